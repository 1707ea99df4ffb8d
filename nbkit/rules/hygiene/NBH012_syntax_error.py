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

    A notebook written for Python 2 (its kernelspec is `python2`, or its `language_info` says
    version 2) gets one finding, on its first cell that does not parse, which counts the
    others: its cells are Python 2 code, and the fix is to port the notebook.

    ## Example
    `print "done"` (Python 2), or a cell with a missing closing bracket.

    ## Use instead
    Fix the syntax: `print("done")`.
    """
    failing = []
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
        failing.append((cell, lineno, f"line {lineno}" + (f" (`{text}`)" if text else "") + f": {msg}"))
    if not failing:
        return
    kernel = _python2_kernel(nb)
    if kernel is not None:
        cell, lineno, where = failing[0]
        others = f" and {len(failing) - 1} more cell{'s' * (len(failing) > 2)}" if len(failing) > 1 else ""
        yield Hit(f"the notebook is written for Python 2 ({kernel}): this cell{others} "
                  f"{'do' if others else 'does'} not parse as Python 3 "
                  f"(first, {where}); port it to Python 3 (print x -> print(x), ...)", cell, lineno)
        return
    for cell, lineno, where in failing:
        yield Hit(f"syntax error on {where}", cell, lineno)


def _python2_kernel(nb) -> str | None:
    """How the notebook says it was written for Python 2 (``kernelspec python2``,
    ``language_info version 2.7.18``), or None."""
    md = nb.metadata if isinstance(nb.metadata, dict) else {}
    spec = md.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(name, str) and name.lower() in ("python2", "python2.7", "py27", "python27"):
        return f"kernelspec {name}"
    info = md.get("language_info")
    version = info.get("version") if isinstance(info, dict) else None
    if isinstance(version, str) and version.startswith("2.") and not (isinstance(name, str) and "3" in name):
        return f"language_info version {version}"
    return None
