"""Helpers shared by several hygiene rules."""

from __future__ import annotations

import re

from ...suppression import Suppressions


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def short(text: str, limit: int = 70) -> str:
    text = " ".join(ANSI.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def executed_cells(nb):
    return [c for c in nb.cells if c.is_code and c.execution_count is not None]


_RESTART = re.compile(r"\brestart(?:ing)?\b(?:\s+(?:the|your))?\s+(?:kernel|notebook|python|ipython)\b|"
                      r"kernel\s*>\s*restart", re.IGNORECASE)


def documented_restart(nb, cell) -> bool:
    """Is ``cell`` where the author restarts the kernel on purpose: its count is 1 and the cell
    itself (a comment) or the markdown since the previous code cell says to restart the kernel
    (``# RESTART THE NOTEBOOK: the backend can only be selected before ...``)."""
    if cell.execution_count != 1:
        return False
    if _RESTART.search(cell.source):
        return True
    for other in reversed(nb.cells[: cell.index]):
        if other.is_code:
            return False
        if other.is_markdown and _RESTART.search(other.source):
            return True
    return False


def suppressed_filter(code: str):
    """A predicate telling whether a hit is suppressed in the cell (tag or comment), for fixers
    so that they never touch what the user exempted."""
    return Suppressions().for_code(code)
