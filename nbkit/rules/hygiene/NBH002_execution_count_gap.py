"""NBH002 execution-count-gap: executed counts are not 1,2,3,... (re-run or deleted cells)."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import executed_cells, plural


@rule("NBH002", "execution-count-gap", "warning",
      "executed counts are not 1,2,3,... (re-run or deleted cells)")
def execution_count_gap(nb, ctx):
    """
    ## What it does
    Checks that the execution counts of the executed code cells, in document order, start
    at 1 and go up by one. It reports once per notebook, at the first gap, and says how many
    gaps there are. Decreasing counts are NBH001's business.

    ## Why is this bad?
    A gap means cells were re-run, or run and then deleted, in the session that produced the
    outputs: the notebook as saved is not the program that made them.

    ## Example
    Counts `[1]`, `[2]`, `[5]`, `[6]`: two executions happened that are not in the notebook.

    ## Use instead
    Restart the kernel and run all cells before saving.
    """
    gaps = []
    prev = None
    for cell in executed_cells(nb):
        n = cell.execution_count
        if prev is None:
            if n != 1:
                gaps.append((cell, None, n))
        elif n > prev + 1:
            gaps.append((cell, prev, n))
        prev = n
    if not gaps:
        return
    cell, before, after = gaps[0]
    more = f" ({plural(len(gaps) - 1, 'more gap')})" if len(gaps) > 1 else ""
    if before is None:
        what = f"execution counts start at {after}, not 1{more}: the kernel ran cells that are not in the notebook"
    else:
        what = f"execution count jumps from {before} to {after}{more}: cells were re-run or deleted"
    yield Hit(f"{what}; restart the kernel and run all", cell)
