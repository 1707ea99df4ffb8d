"""NBH012 syntax-error: the cell does not parse."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import short


@rule("NBH012", "syntax-error", "error", "the cell does not parse", requires=("python",))
def syntax_error(nb, ctx):
    """
    ## What it does
    Reports code cells that are not valid Python once IPython syntax (`%magic`, `!cmd`,
    `%%cell` magics, `obj?`) has been turned into the calls IPython would make. Notebooks
    whose kernel is not Python (R, Julia, ...) are skipped. The other code rules skip cells
    that do not parse.

    ## Why is this bad?
    The cell cannot run, so the notebook cannot be re-executed, and nothing nbkit says about
    the cell's code can be checked.

    ## Example
    `print "done"` (Python 2), or a cell with a missing closing bracket.

    ## Use instead
    Fix the syntax: `print("done")`.
    """
    for cell in nb.cells:
        if not cell.is_code:
            continue
        err = ctx.facts.syntax_error(cell)
        if err is None:
            continue
        lines = cell.lines
        lineno = err.lineno if isinstance(err.lineno, int) and err.lineno > 0 else 1
        lineno = min(lineno, max(len(lines), 1))
        text = short(lines[lineno - 1], 50) if lines else ""
        msg = (err.msg or "invalid syntax").rstrip(".")
        yield Hit(f"syntax error on line {lineno}" + (f" (`{text}`)" if text else "") + f": {msg}", cell, lineno)
