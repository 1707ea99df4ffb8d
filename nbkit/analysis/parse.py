"""Parsed code cells, and a cache of them that outlives one lint (the server keeps one per
notebook: the panel re-lints the same notebook on every save and most cells have not changed)."""

from __future__ import annotations

from typing import Any

from ..ipysyntax import ParsedCell, parse_cell


class ParseCache:
    """The parsed code cells of the last lint of one notebook, keyed by cell source.

    A lint that is given the cache takes unchanged cells from it and puts the others in; at
    the start of the next lint (:meth:`begin`) only what the last lint used is kept, so edited
    cells' old trees are freed.  Rules never mutate an AST, so sharing one is safe.
    """

    def __init__(self) -> None:
        self._last: dict[str, ParsedCell] = {}
        self._now: dict[str, ParsedCell] = {}
        # what analyses derived from a cell at the last lint (see derived()), by (analysis, source)
        self._derived_last: dict[tuple[str, str], Any] = {}
        self._derived_now: dict[tuple[str, str], Any] = {}
        self.notebook_records: dict[str, Any] = {}  # what analyses keep of the whole last lint, by analysis
        self.hits = self.misses = 0

    @property
    def cells(self) -> int:
        """How many parsed cells it holds (what a full garbage collection walks)."""
        return max(len(self._last), len(self._now))

    def begin(self) -> None:
        """A new lint of the notebook starts: keep only the cells the last one parsed."""
        if self._now:
            self._last, self._now = self._now, {}
            self._derived_last, self._derived_now = self._derived_now, {}

    def parse(self, source: str) -> ParsedCell:
        found = self._now.get(source) or self._last.get(source)
        if found is None:
            found = parse_cell(source)
            self.misses += 1
        else:
            self.hits += 1
        self._now[source] = found
        return found

    def derived(self, analysis: str, source: str) -> Any:
        """What ``analysis`` kept (:meth:`keep`) of the cell with this source at the last lint that
        had it, or None.  The analysis checks that it still applies (the same parsed cell, the same
        input from the cells above): it is a record to re-use, not a result."""
        key = (analysis, source)
        found = self._derived_now.get(key)
        if found is None:
            found = self._derived_last.get(key)
            if found is not None:
                self._derived_now[key] = found
        return found

    def keep(self, analysis: str, source: str, record: Any) -> None:
        """Keep ``record`` for the cell with this source until the lint after next (kept and
        dropped with the cell's parse, at :meth:`begin`)."""
        self._derived_now[(analysis, source)] = record
