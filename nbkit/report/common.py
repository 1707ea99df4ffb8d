"""Small pieces of report text shared by every face (CLI, magics, server, pytest plugin).

One wording per fact: a cell is labelled one way, a drifted package is described one way, and
"the cells that failed" means the same cells everywhere.
"""

from __future__ import annotations

from typing import Iterable, Protocol, TypeVar

#: cell statuses that make a verify result fail (``not-run`` and ``skipped`` are consequences, not causes)
FAILING_CELL_STATUSES = ("mismatch", "error")
#: the word for a pinned package that is not installed at all
NOT_INSTALLED = "not installed"


def cell_label(index: int | None, cell_id: str | None = None) -> str:
    """``cell 5 (id c1f3)``; ``notebook`` when there is no cell."""
    if index is None:
        return "notebook"
    return f"cell {index}" + (f" (id {cell_id})" if cell_id else "")


class _HasStatus(Protocol):
    status: str


C = TypeVar("C", bound=_HasStatus)


def failing_cells(cells: Iterable[C]) -> list[C]:
    """The cells whose own result failed (mismatch or error), in order."""
    return [c for c in cells if c.status in FAILING_CELL_STATUSES]


def drift_line(package: str, pinned: str, installed: str | None) -> str:
    """``numpy pinned 1.26.4, installed 2.4.6`` (or ``..., not installed``)."""
    return f"{package} pinned {pinned}, installed {installed if installed is not None else NOT_INSTALLED}"
