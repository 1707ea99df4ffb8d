"""NBL011 notebook-too-long: more than 50 cells (configurable)."""

from __future__ import annotations

from .. import Hit, rule


@rule("NBL011", "notebook-too-long", "warning", "more than 50 cells (configurable)",
      options={"max-cells": 50})
def notebook_too_long(nb, ctx):
    """
    ## What it does
    Reports notebooks with more cells than `max-cells`.

    ## Why is this bad?
    Long notebooks are hard to review, slow to re-run and usually mix several analyses.
    Hidden state and out-of-order execution become more likely with every cell.

    ## Example
    A 140-cell notebook that cleans data, trains three models and writes a report.

    ## Use instead
    Split it: one notebook per question or stage, and move reusable functions into a
    Python module that the notebooks import.

    ## Options
    - `max-cells` (default 50): the most cells a notebook may have.
    """
    limit = ctx.option("max-cells", int)
    n = len(nb.cells)
    if n > limit:
        yield Hit(f"the notebook has {n} cells (limit {limit}); split it into smaller notebooks or move "
                  f"helper code into a module")
