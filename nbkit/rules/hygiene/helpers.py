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


def suppressed_filter(code: str):
    """A predicate telling whether a hit is suppressed in the cell (tag or comment), for fixers
    so that they never touch what the user exempted."""
    return Suppressions().for_code(code)
