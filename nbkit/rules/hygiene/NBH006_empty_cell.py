"""NBH006 empty-cell: empty cell in the middle of the notebook."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import suppressed_filter


def _empty_cells(nb):
    """(cell, fixable) for every blank code or markdown cell that is not a `parameters` cell."""
    for cell in nb.cells:
        if cell.cell_type in ("code", "markdown") and cell.is_empty and "parameters" not in cell.tags:
            yield cell, not cell.outputs


def _jupyter_trailing_cell(nb, cell) -> bool:
    """The never-run, truly empty code cell Jupyter keeps at the end of a notebook: not reported
    (``--fix`` still deletes it)."""
    return (cell.index == len(nb.cells) - 1 and cell.is_code and cell.source == ""
            and cell.execution_count is None and not cell.outputs)


def _fix_empty_cells(data: dict, nb, ctx) -> bool:
    suppressed = suppressed_filter("NBH006")
    doomed = [cell.index for cell, fixable in _empty_cells(nb) if fixable and not suppressed(cell)]
    cells = data.get("cells")
    if not doomed or not isinstance(cells, list):
        return False
    for i in reversed(doomed):
        del cells[i]
    return True


@rule("NBH006", "empty-cell", "warning", "empty cell in the middle of the notebook",
      fix=_fix_empty_cells)
def empty_cell(nb, ctx):
    """
    ## What it does
    Reports code and markdown cells whose source is blank, wherever they are, except the
    never-run, empty code cell Jupyter leaves at the end (`--fix` deletes that one too). A blank cell tagged `parameters` is exempt, since
    papermill needs it. `--fix` deletes the empty cells (but not an empty code cell that
    still holds outputs: those belong to code that was deleted, and you should decide).

    ## Why is this bad?
    Empty cells are clutter: they add gaps to the rendered report and to diffs, and hide
    nothing but an extra `Shift+Enter`.

    ## Example
    An empty code cell between the data loading and the analysis.

    ## Use instead
    Delete it (`nbkit lint --fix` does).
    """
    for cell, fixable in _empty_cells(nb):
        if _jupyter_trailing_cell(nb, cell):
            continue
        if not fixable:
            yield Hit("empty code cell that still shows outputs of deleted code: delete the cell or "
                      "restore its code", cell, fixable=False)  # --fix leaves it: you decide
        else:
            yield Hit(f"empty {cell.cell_type} cell: delete it (`nbkit lint --fix` does)", cell)
