"""The saved notebook as the guard sees it: cell ids -> positions, re-read only when the file's
modification time (or size) changes, and the names each saved code cell binds (computed only
when a check asks, once per cell source)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import statsig
from ..analysis.defuse import DefUse
from ..ipysyntax import parse_cell
from ..model import Cell, Notebook, load


@dataclass(frozen=True)
class CellNames:
    """What one cell's top-level code reads before binding it (free names) and what it binds."""

    reads: frozenset[str]
    binds: frozenset[str]
    dynamic: bool  # a star import, %run, exec(...): names may come from anywhere


EMPTY = CellNames(frozenset(), frozenset(), False)


def cell_names(tree) -> CellNames:
    """Free reads and top-level bindings of one parsed cell (the def-use pass of NBR011)."""
    if tree is None:
        return EMPTY
    from ..ipysyntax import ParsedCell

    cell = Cell(index=0, cell_type="code", source="")
    du = DefUse([(cell, ParsedCell("", tree, None))])
    reports = du.run()
    reads = frozenset(name for kind, name, *_ in reports if kind in ("undefined", "body", "deleted"))
    return CellNames(reads, frozenset(du.defined) | frozenset(du.deleted), du.quiet)


@dataclass
class SavedNotebook:
    path: str
    stamp: tuple[int, int, int, int]  # inode, size, modification and change times
    nb: Notebook
    positions: dict[str, int]  # cell id -> index among all cells
    binds_cache: dict[str, frozenset[str]] = field(default_factory=dict)  # source -> names it binds

    def binds_above(self, pos: int) -> set[str]:
        """Names the saved code cells above position ``pos`` bind."""
        out: set[str] = set()
        for c in self.nb.cells[:pos]:
            if not c.is_code or c.is_empty:
                continue
            found = self.binds_cache.get(c.source)
            if found is None:
                parsed = parse_cell(c.source)
                names = cell_names(parsed.tree)
                found = self.binds_cache[c.source] = names.binds | (frozenset({"*"}) if names.dynamic else frozenset())
            out |= found
        return out

    def label(self, pos: int) -> str:
        """``cell 7`` counting code and markdown cells from 1, as JupyterLab's users count them."""
        return f"cell {pos + 1}"


class SavedNotebookCache:
    """One saved notebook, re-read when its stamp changes; None when it cannot be read."""

    def __init__(self) -> None:
        self._saved: SavedNotebook | None = None

    def get(self, path: str | None) -> SavedNotebook | None:
        if path is None:
            return None
        stamp = statsig.of(path)  # (touch -r restores a modification time, never a change time)
        if stamp is None:
            return None
        saved = self._saved
        if saved is not None and saved.path == path and saved.stamp == stamp:
            return saved
        try:
            nb = load(path)
        except Exception:  # noqa: BLE001 - a half-written or broken file: no position-based checks now
            return None
        positions = {c.id: c.index for c in nb.cells if c.id}
        keep = saved.binds_cache if saved is not None and saved.path == path else {}
        self._saved = SavedNotebook(path, stamp, nb, positions, keep)
        return self._saved
