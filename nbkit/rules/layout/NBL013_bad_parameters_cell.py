"""NBL013 bad-parameters-cell (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast

from .. import Hit, rule


def _quote(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _is_literal(node) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _assign_targets_ok(targets) -> bool:
    for t in targets:
        if isinstance(t, ast.Name):
            continue
        if isinstance(t, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in t.elts):
            continue
        return False
    return True


@rule("NBL013", "bad-parameters-cell", "warning",
      "at most one `parameters` cell, code, literal assignments only; error when verify is given "
      "`-p` and there is none")
def bad_parameters_cell(nb, ctx):
    """
    ## What it does
    Checks the papermill `parameters` cell: there is at most one cell tagged `parameters`, it
    is a code cell, and it holds only assignments of literal values (numbers, strings, lists,
    dicts, `None`, ...); comments are fine. `nbkit verify -p NAME VALUE` additionally fails
    when there is no parameters cell at all.

    ## Why is this bad?
    papermill injects the overriding values in a new cell right after the first `parameters`
    cell. Anything computed in the parameters cell (`OUT = DATA_DIR / "out"`) is computed from
    the defaults and silently ignores the override; a second tagged cell is ignored.

    ## Example
    ```python
    # parameters
    DATA_DIR = Path("data")
    OUT = DATA_DIR / "out"
    ```

    ## Use instead
    ```python
    # parameters
    DATA_DIR = "data"
    ```
    and, in the next cell, `OUT = Path(DATA_DIR) / "out"`.
    """
    tagged = [c for c in nb.cells if "parameters" in c.tags]
    if not tagged:
        return
    first_code = None
    for c in tagged:
        if not c.is_code:
            yield Hit(f"the 'parameters' tag is on a {c.cell_type} cell; papermill only uses a code cell", c)
            continue
        if first_code is not None:
            yield Hit(f"second 'parameters' cell (the first is cell {first_code.index}); papermill uses only the "
                      f"first, merge them", c)
            continue
        first_code = c
        tree = ctx.facts.tree(c)
        if tree is None:
            continue  # NBH012 reports the syntax error
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                if _assign_targets_ok(stmt.targets) and _is_literal(stmt.value):
                    continue
            elif isinstance(stmt, ast.AnnAssign):
                if isinstance(stmt.target, ast.Name) and (stmt.value is None or _is_literal(stmt.value)):
                    continue
            src = c.lines[stmt.lineno - 1].strip() if stmt.lineno <= len(c.lines) else ""
            yield Hit(f"parameters cell line {stmt.lineno}: {_quote(src)} is not a literal assignment; papermill "
                      f"overrides only literals, so compute derived values in the next cell", c, stmt.lineno)
