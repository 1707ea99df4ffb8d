"""NBR005 literal-seed: seeds given as repeated literals instead of one named parameter."""

from __future__ import annotations

import ast
import re

from ...model import Cell
from .. import Hit, rule
from .helpers import NP_GENERATORS, SEEDERS


_SEED_KWARGS = ("random_state", "seed", "random_seed", "rng")


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
    for ci in ctx.facts.semantic.calls:
        node = ci.node
        lits: list[ast.AST] = []
        magic = ci.magic
        if magic is not None:
            kind, name, args = magic
            if kind == "line" and name == "nbkit" and re.fullmatch(r"seed\s+\d+", args.strip()):
                found.append((ci.cell, node.lineno, int(args.split()[1])))
            continue
        q = ci.qual or ""
        if q in SEEDERS or (q.startswith("numpy.random.") and ci.method in NP_GENERATORS) or q == "random.Random":
            if node.args:
                lits.append(node.args[0])
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
