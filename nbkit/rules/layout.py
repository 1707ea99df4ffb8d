"""NBL: the standard notebook layout (title, summary, questions, setup, data, analysis,
findings, next steps, appendix).  Section detection lives in :mod:`nbkit.layout`."""

from __future__ import annotations

from . import Hit, rule


@rule("NBL001", "missing-title", "error",
      "first non-raw cell is markdown with an H1; exactly one H1 in the notebook")
def missing_title(nb, ctx):
    """
    ## What it does
    Checks that the first cell (after any raw front-matter cells) is a markdown cell whose
    first heading is a level-1 heading, and that the notebook has no other H1.

    ## Why is this bad?
    The title is what readers, file browsers and rendered reports show first. Without one
    nobody knows what the notebook is about; with several, the structure is ambiguous.

    ## Example
    A notebook that starts with `import pandas as pd`.

    ## Use instead
    Start with a markdown cell: `# Churn drivers in Q3 2026`.
    """
    lay = nb.layout
    if lay.title is None:
        first = nb.cells[lay.front_matter] if lay.front_matter < len(nb.cells) else None
        if first is None:
            yield Hit("the notebook has no cells, so no title")
        elif not first.is_markdown:
            yield Hit(f"the first cell is {first.cell_type}, not a markdown title (# Title)", first)
        else:
            yield Hit("the first markdown cell does not start with a level-1 heading (# Title)", first, 1)
    h1 = [h for h in nb.headings if h.level == 1]
    for h in h1[1 if lay.title is not None else len(h1):]:
        yield Hit(f"second level-1 heading {h.text!r}; a notebook has one title", nb.cells[h.cell_index], h.line)
