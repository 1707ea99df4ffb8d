"""NBH003 repeated-execution-count: the same count appears twice (mixed sessions)."""

from __future__ import annotations

from ...model import Cell
from .. import Hit, rule
from .helpers import documented_restart, executed_cells


@rule("NBH003", "repeated-execution-count", "error",
      "the same count appears twice (mixed sessions)")
def repeated_execution_count(nb, ctx):
    """
    ## What it does
    Reports a code cell whose execution count already appears on another code cell. A
    documented, deliberate restart (count 1 on a cell that, or whose markdown just above, says
    to restart the kernel) starts a new session whose counts are compared among themselves.

    ## Why is this bad?
    One kernel session never gives two cells the same count, so the outputs come from
    different sessions (a restart in the middle, or cells pasted from another notebook).
    Nobody can tell which state produced which output.

    ## Example
    Two cells both marked `[3]`.

    ## Use instead
    Restart the kernel and run all cells before saving.
    """
    seen: dict[int | None, Cell] = {}
    for cell in executed_cells(nb):
        if documented_restart(nb, cell):
            seen = {}  # a new session the notebook asks for: counts start again
        first = seen.get(cell.execution_count)
        if first is not None:
            yield Hit(f"execution count {cell.execution_count} also appears on cell {first.index}: the outputs "
                      "come from different kernel sessions; restart the kernel and run all", cell)
        else:
            seen[cell.execution_count] = cell
