"""Suppressions: ``# nbkit: ignore[CODES]`` comments, ``<!-- nbkit: ignore -->`` in markdown and
``nbkit:ignore[CODES]`` cell tags.

The lint runner drops suppressed hits; fixers ask the same question so that they never touch
what the user exempted.
"""

from __future__ import annotations

import re

from . import rules as registry
from .errors import NbkitError
from .lazy import lazy_re
from .model import Cell

_COMMENT = lazy_re(r"#\s*nbkit:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)
_HTML_COMMENT = lazy_re(r"<!--\s*nbkit:\s*ignore(?:\[([^\]]*)\])?\s*-->", re.IGNORECASE)
_TAG = re.compile(r"^nbkit:ignore(?:\[([^\]]*)\])?$")
# a cell that never names nbkit (in any case, as the comments above match) holds no suppression
_MENTION = re.compile("nbkit", re.IGNORECASE)
ALL = "*"


def _codes(group: str | None) -> set[str]:
    if group is None or not group.strip():
        return {ALL}
    out: set[str] = set()
    for part in re.split(r"[,\s]+", group.strip()):
        if part:
            try:
                out |= registry.expand(part)
            except NbkitError:
                pass
    return out


def _mentions_nbkit(text: str) -> bool:
    """``_MENTION.search(text)``: for ASCII text (most cells; ``isascii`` is a flag, not a
    scan) lower-casing and ``in`` say the same several times faster (only ASCII letters match
    ASCII letters regardless of case there; beyond ASCII, the Kelvin sign matches ``k``...)."""
    if text.isascii():
        return "nbkit" in text.lower()
    return _MENTION.search(text) is not None


def cell_suppressions(cell: Cell) -> tuple[set[str], dict[int, set[str]]]:
    """(codes suppressed for the whole cell, codes suppressed per line)."""
    whole: set[str] = set()
    for tag in cell.tags:
        m = _TAG.match(tag)
        if m:
            whole |= _codes(m.group(1))
    per_line: dict[int, set[str]] = {}
    if not _mentions_nbkit(cell.source):
        return whole, per_line
    if cell.is_markdown:
        for m in _HTML_COMMENT.finditer(cell.source):
            whole |= _codes(m.group(1))
        return whole, per_line
    for i, line in enumerate(cell.lines, start=1):
        m = _COMMENT.search(line)
        if m:
            codes = _codes(m.group(1))
            per_line.setdefault(i, set()).update(codes)
            if line.lstrip().startswith("#") and all(not ln.strip() or ln.lstrip().startswith("#")
                                                     for ln in cell.lines[: i - 1]):
                whole |= codes  # a comment line at the top of the cell covers the whole cell
    return whole, per_line


class Suppressions:
    """The suppressions of one notebook, read cell by cell as hits ask about them."""

    def __init__(self) -> None:
        self._cells: dict[int, tuple[set[str], dict[int, set[str]]]] = {}

    def suppressed(self, code: str, cell: Cell | None, line: int | None = None) -> bool:
        """Is a hit of ``code`` at ``cell`` (and ``line``, 1-based) suppressed?"""
        if cell is None:
            return False
        found = self._cells.get(cell.index)
        if found is None:
            found = self._cells[cell.index] = cell_suppressions(cell)
        whole, per_line = found
        if ALL in whole or code in whole:
            return True
        if line is not None:
            codes = per_line.get(line, ())
            return ALL in codes or code in codes
        return False

    def for_code(self, code: str):
        """A predicate ``(cell, line=None) -> bool`` for the hits of one rule (fixers use it)."""
        return lambda cell, line=None: self.suppressed(code, cell, line)
