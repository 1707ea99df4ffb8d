"""The server's per-notebook parse caches: the panel re-lints the same notebook after each edit,
so each open notebook keeps the syntax trees of its unchanged cells (least recently used dropped)."""

from __future__ import annotations

import collections
import threading

from ..analysis import ParseCache as CellParseCache


class ParseCache:
    """One :class:`nbkit.analysis.ParseCache` per notebook: the parsed code cells of its last lint,
    re-used by the next lint of it.

    The panel re-lints the same notebook on every save and debounced edit, and most cells have
    not changed since the last request.  At most the ``size`` most recently linted notebooks are
    kept, and fewer when together they hold more than ``cells`` parsed cells: what bounds the
    garbage collector's walk is the number of syntax trees, not of notebooks (many small open
    notebooks fit; a few very large ones push the others out).
    """

    def __init__(self, size: int, cells: int = 0):
        self.size = size
        self.cells = cells  # at most this many parsed cells in all (0: no limit but ``size``)
        self._by_path: collections.OrderedDict[str, CellParseCache] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._dropped_hits = self._dropped_misses = 0

    def for_notebook(self, key: str) -> CellParseCache | None:
        """The cache of the notebook at ``key`` (None: caching is off)."""
        if self.size <= 0:
            return None
        with self._lock:
            cache = self._by_path.get(key)
            if cache is None:
                cache = self._by_path[key] = CellParseCache()
            self._by_path.move_to_end(key)
            while len(self._by_path) > self.size or (self.cells and len(self._by_path) > 1 and self._held() > self.cells):
                _, old = self._by_path.popitem(last=False)
                self._dropped_hits += old.hits
                self._dropped_misses += old.misses
            return cache

    def _held(self) -> int:
        return sum(c.cells for c in self._by_path.values())

    @property
    def hits(self) -> int:
        with self._lock:
            return self._dropped_hits + sum(c.hits for c in self._by_path.values())

    @property
    def misses(self) -> int:
        with self._lock:
            return self._dropped_misses + sum(c.misses for c in self._by_path.values())
