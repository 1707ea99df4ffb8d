"""NBH004 unexecuted-cell (the rule's docstring is its documentation)."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import executed_cells, plural


_SKIP_TAGS = frozenset({"skip-execution", "nbkit:skip", "nbval-skip"})


def _only_comments(cell) -> bool:
    """A cell of comments only runs nothing: that it was not run changes no output."""
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in cell.lines)


@rule("NBH004", "unexecuted-cell", "error",
      "non-empty code cell never executed while others were (skipped when the repo strips outputs)")
def unexecuted_cell(nb, ctx):
    """
    ## What it does
    Reports non-empty code cells that have no execution count (and no outputs) in a notebook
    where other cells were executed. Cells tagged `skip-execution`, `nbkit:skip` or
    `nbval-skip` (or marked `# NBVAL_SKIP`) are exempt, and so are cells of comments only. The rule stays quiet when the
    repository strips outputs (`strip-outputs = true` in `[tool.nbkit.lint]`) and when no
    cell was executed at all.

    ## Why is this bad?
    The saved outputs were produced without this cell, so either the cell is dead code or the
    outputs below it do not show what the notebook really does.

    ## Example
    A notebook run top to bottom, after which a new cell was added and never run.

    ## Use instead
    Restart the kernel and run all cells before saving, or delete the cell if it is not needed.
    """
    project = getattr(ctx, "project", None)
    if project is not None and getattr(project, "strip_outputs", False):
        return
    executed = executed_cells(nb)
    if not executed:
        return
    for cell in nb.cells:
        if (cell.is_code and cell.execution_count is None and not cell.outputs and not cell.is_empty
                and not (cell.tags & _SKIP_TAGS) and "NBVAL_SKIP" not in cell.source
                and not _only_comments(cell)):
            yield Hit(f"this code cell was never run, but {plural(len(executed), 'other cell')} "
                      f"{'was' if len(executed) == 1 else 'were'}: the outputs do not reflect it; "
                      "restart the kernel and run all", cell)
