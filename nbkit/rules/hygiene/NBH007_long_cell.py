"""NBH007 long-cell: code cell with more than 30 non-blank lines (configurable)."""

from __future__ import annotations

from .. import Hit, rule


def _writes_a_file(lines: list[str]) -> bool:
    """A `%%writefile` / `%%file` cell: its body is a file's contents, not code the notebook runs."""
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    return first.split(None, 1)[0] in ("%%writefile", "%%file") if first else False


@rule("NBH007", "long-cell", "warning",
      "code cell with more than 30 non-blank lines (configurable)", options={"max-lines": 30})
def long_cell(nb, ctx):
    """
    ## What it does
    Reports code cells with more non-blank lines than `max-lines` (30). A `%%writefile` /
    `%%file` cell is not counted: its body is a file written to disk, not code the notebook runs.

    ## Why is this bad?
    A long cell does many things at once: its outputs cannot be related to its steps, a
    failure in the middle leaves partial state, and the notebook no longer reads as a
    story of small steps with their results.

    ## Example
    A 120-line cell that loads, cleans, models and plots.

    ## Use instead
    Split it into cells of one step each, with a sentence of markdown between them, and move
    reusable logic into functions in a module that the notebook imports.

    ## Options
    - `max-lines` (default 30): the most non-blank lines a code cell may have.
    """
    limit = ctx.option("max-lines", int)
    for cell in nb.cells:
        if not cell.is_code:
            continue
        lines = cell.lines
        if len(lines) <= limit or _writes_a_file(lines):
            continue
        n = sum(1 for ln in lines if ln.strip())
        if n > limit:
            yield Hit(f"code cell has {n} non-blank lines (limit {limit}): split it into smaller steps, or move "
                      "logic into functions in a module", cell)
