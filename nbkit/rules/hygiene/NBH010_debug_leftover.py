"""NBH010 debug-leftover: `breakpoint()`, `pdb.set_trace()`, `%debug`, `%pdb`."""

from __future__ import annotations

import ast

from ...analysis.semantic import ipython_method
from ...analysis.walk import calls_breadth_first
from .. import Hit, rule


_DEBUG_WORDS = ("breakpoint", "set_trace", "debug", "pdb", "embed", "post_mortem")

_DEBUGGER_MODULES = frozenset({"pdb", "ipdb", "pudb"})


def _debug_call(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Name):
        if f.id == "breakpoint":
            return "breakpoint()"
        if f.id == "set_trace":
            return "set_trace()"
        return None
    if not isinstance(f, ast.Attribute):
        return None
    owner = f.value.id if isinstance(f.value, ast.Name) else None
    if f.attr == "set_trace":
        return f"{owner}.set_trace()" if owner else ".set_trace()"
    if owner in _DEBUGGER_MODULES and f.attr in ("post_mortem", "pm", "run", "runcall"):
        return f"{owner}.{f.attr}()"
    if owner == "IPython" and f.attr == "embed":
        return "IPython.embed()"
    if (ipython_method(node) in ("run_line_magic", "run_cell_magic") and node.args
            and isinstance(node.args[0], ast.Constant)):
        name = node.args[0].value
        args = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else ""
        args = args.strip() if isinstance(args, str) else ""
        if name == "debug":
            return "%%debug" if f.attr == "run_cell_magic" else "%debug"
        if name == "pdb" and f.attr == "run_line_magic" and args.lower() not in ("off", "0", "false"):
            return f"%pdb {args}".strip()
    return None


@rule("NBH010", "debug-leftover", "warning", "`breakpoint()`, `pdb.set_trace()`, `%debug`, `%pdb`",
      requires=("python",))
def debug_leftover(nb, ctx):
    """
    ## What it does
    Reports debugger calls left in code cells: `breakpoint()`, `pdb.set_trace()`,
    `ipdb.set_trace()` (and `set_trace()` imported from a debugger), `pdb.post_mortem()`,
    `IPython.embed()`, and the `%debug`, `%%debug` and `%pdb` magics (`%pdb off` is fine).

    ## Why is this bad?
    A debugger call stops `Run All`, papermill and CI runs waiting for input that never
    comes; `%pdb` changes how every later error behaves.

    ## Example
    `import pdb; pdb.set_trace()` in the middle of a cleaning step.

    ## Use instead
    Remove the call once the bug is found; to inspect a failure, run `%debug` interactively
    and do not save it in the notebook.
    """
    for cell in nb.cells:
        if not cell.is_code:
            continue
        src = cell.source  # any of _DEBUG_WORDS in it ("in" tests joined by "or": cheaper than any())
        if not ("breakpoint" in src or "set_trace" in src or "debug" in src or "pdb" in src or "embed" in src
                or "post_mortem" in src):
            continue
        tree = ctx.facts.tree(cell)
        if tree is None:
            continue
        for node in calls_breadth_first(tree):  # the calls, in ast.walk's order
            what = _debug_call(node)
            if what:
                yield Hit(f"`{what}` left in the code: it stops Run All, papermill and CI runs waiting "
                          "for input; remove it", cell, getattr(node, "lineno", None))
