"""NBL012 late-import: `import` outside the first code cell (imports inside functions are fine)."""

from __future__ import annotations

import ast

from ...analysis.layout import is_setup_only
from .. import Hit, rule


# the fields that hold statements (or except handlers and match cases, which hold statements)
_STMT_LISTS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_stmt_fields: dict[type, tuple[str, ...]] = {}


def _top_level_imports(tree: ast.Module):
    """Import statements not inside a function (or lambda).  The walk goes through the statement
    lists only (an expression holds no statement), in the order the walk over every child node did
    (depth first, last child first): the rule sorts by line, and keeps that order within a line."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        t = type(node)
        if t is ast.Import or t is ast.ImportFrom:
            yield node
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            continue
        else:
            fields = _stmt_fields.get(t)
            if fields is None:
                fields = _stmt_fields[t] = tuple(f for f in t._fields if f in _STMT_LISTS)
            for f in fields:
                stack.extend(getattr(node, f))


def _import_names(node) -> str:
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    return ", ".join(a.name for a in node.names)


@rule("NBL012", "late-import", "warning",
      "`import` outside the first code cell (imports inside functions are fine)")
def late_import(nb, ctx):
    """
    ## What it does
    Reports `import` statements outside the first code cell. Cells at the top that only
    prepare (magics such as `%load_ext`, the `parameters` cell, other import-only cells) do
    not use up the "first code cell"; imports inside functions are fine.

    ## Why is this bad?
    Imports scattered through a notebook hide its dependencies: a reader cannot see up front
    what must be installed, and re-running from the middle fails with a `NameError`.

    ## Example
    ```python
    # cell 12
    import seaborn as sns
    sns.histplot(df.age)
    ```

    ## Use instead
    Move `import seaborn as sns` to the imports cell at the top.
    """
    allowed = True
    imports_cell = None
    for cell in nb.cells:
        if not cell.is_code or cell.is_empty:
            continue
        tree = ctx.facts.tree(cell)
        if tree is None:
            continue
        if allowed:
            if imports_cell is None and any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body):
                imports_cell = cell.index
            if "parameters" in cell.tags or is_setup_only(tree):
                continue
            allowed = False  # the first cell that does real work may still import
            continue
        if "import" not in cell.source:
            continue
        for node in sorted(_top_level_imports(tree), key=lambda n: n.lineno):
            target = f"the imports cell (cell {imports_cell})" if imports_cell is not None else "the first code cell"
            yield Hit(f"late import of {_import_names(node)!r}; move it to {target} so the dependencies "
                      f"are visible up front", cell, node.lineno)
