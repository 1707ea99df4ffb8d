"""NBR005 literal-seed: seeds given as repeated literals instead of one named parameter."""

from __future__ import annotations

import ast
import re

from ...model import Cell
from .. import Hit, rule
from .helpers import NP_GENERATORS, SEEDERS


_SEED_KWARGS = ("random_state", "seed", "random_seed", "rng")


def _may_name_seed_keyword(source: str) -> bool:
    """Can a keyword of _SEED_KWARGS be in this code?  (A non-ASCII source may spell one in other
    letters that Python normalises.)"""
    return not source.isascii() or "seed" in source or "random_state" in source or "rng" in source


@rule("NBR005", "literal-seed", "info",
      "seeds given as repeated literals instead of one named parameter", requires=("python",))
def literal_seed(nb, ctx):
    """
    ## What it does
    Counts seeds written as integer literals (`np.random.seed(42)`, `random_state=42`,
    `default_rng(42)`, `%nbkit seed 42`) and reports them when there is more than one.

    ## Why is this bad?
    A seed repeated as a literal cannot be changed in one place: re-running the analysis
    with another seed (to check results are not a lucky draw) means editing every cell,
    and papermill cannot inject it as a parameter.

    ## Example
    ```python
    np.random.seed(42)
    model = RandomForestClassifier(random_state=42)
    ```

    ## Use instead
    ```python
    SEED = 42  # parameters cell
    np.random.seed(SEED)
    model = RandomForestClassifier(random_state=SEED)
    ```
    """
    found: list[tuple[Cell, int, int]] = []
    python_source = ctx.facts.python_source
    may_name: dict[int, bool] = {}  # cell index -> may a call there pass a seed keyword?
    for ci in ctx.facts.semantic.calls:
        magic = ci.magic
        if magic is not None:
            kind, name, args = magic
            if kind == "line" and name == "nbkit" and re.fullmatch(r"seed\s+\d+", args.strip()):
                found.append((ci.cell, ci.node.lineno, int(args.split()[1])))
            continue
        q = ci.qual
        positional = q is not None and (q in SEEDERS or (q.startswith("numpy.random.") and ci.method in NP_GENERATORS)
                                        or q == "random.Random")
        if not positional:
            # a keyword is written as it is in the cell's code: only a cell whose code spells a seed
            # keyword can pass one (most calls are then done without reading their node)
            index = ci.cell.index
            may = may_name.get(index)
            if may is None:
                may = may_name[index] = _may_name_seed_keyword(python_source(ci.cell))
            if not may:
                continue
        node = ci.node
        lits: list[ast.AST] = [node.args[0]] if positional and node.args else []
        for k in node.keywords:
            if k.arg in _SEED_KWARGS:
                lits.append(k.value)
        for lit in lits:
            if isinstance(lit, ast.Constant) and isinstance(lit.value, int) and not isinstance(lit.value, bool):
                found.append((ci.cell, lit.lineno, lit.value))
    if len(found) < 2:
        return
    cell, line, value = found[1]
    cells = sorted({c.index for c, _, _ in found})
    values = sorted({v for _, _, v in found})
    what = f"seed {values[0]}" if len(values) == 1 else "seeds " + ", ".join(map(str, values[:5])) + (
        ", ..." if len(values) > 5 else "")
    where = (f"cell {cells[0]}" if len(cells) == 1 else "cells " + ", ".join(map(str, cells[:8]))
             + (", ..." if len(cells) > 8 else ""))
    yield Hit(f"{what} written as a literal in {len(found)} places ({where}); "
              "define SEED once in the parameters cell and pass SEED everywhere", cell, line)
