"""NBH001 out-of-order-execution: execution counts of code cells decrease somewhere in document order."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import documented_restart, executed_cells


@rule("NBH001", "out-of-order-execution", "error",
      "execution counts of code cells decrease somewhere in document order")
def out_of_order_execution(nb, ctx):
    """
    ## What it does
    Reports each code cell whose execution count is lower than that of the executed code
    cell above it: the cells were not run top to bottom. A documented, deliberate restart
    (count 1 on a cell that, or whose markdown just above, says to restart the kernel) is not
    reported.

    ## Why is this bad?
    The stored outputs were produced by a different order than the one a reader (or
    `Restart & Run All`) follows, so they may depend on state the notebook never creates in
    that order. This is the most common reason a notebook does not reproduce.

    ## Example
    Cells with counts `[1]`, `[2]`, `[7]`, `[3]`: the third cell was re-run after the fourth.

    ## Use instead
    Restart the kernel and run all cells (`Kernel > Restart Kernel and Run All Cells`), then
    save.
    """
    prev = None
    for cell in executed_cells(nb):
        if (prev is not None and cell.execution_count < prev.execution_count
                and not documented_restart(nb, cell)):
            yield Hit(f"execution count drops from {prev.execution_count} (cell {prev.index}) to "
                      f"{cell.execution_count}: cells were run out of order; restart the kernel and run all",
                      cell)
        prev = cell
