"""NBL002 missing-executive-summary (the rule's docstring is its documentation)."""

from __future__ import annotations

from ...analysis.layout import bullets, is_placeholder_only, words
from .. import Hit, rule
from .helpers import fix_section, layout_for, offered


@rule("NBL002", "missing-executive-summary", "error",
      "a summary heading before the first code cell, with >= 15 words or >= 2 bullets under it",
      fix=fix_section("summary"), options={"min-words": 15, "min-bullets": 2})
def missing_executive_summary(nb, ctx):
    """
    ## What it does
    Checks for an executive-summary section (a heading such as "Executive summary", "Summary",
    "TL;DR", "Key takeaways", "Abstract") before the first code cell, and that it says
    something: at least 15 words or at least 2 bullet points. `--fix` inserts a
    `## Executive summary` heading with a one-line hint under the title when there is none.

    ## Why is this bad?
    Most readers of an analysis read only the top. Without a summary they have to scroll
    through code to find out what the notebook concluded, or they never find out.

    ## Example
    ```markdown
    # Churn drivers
    ## Summary
    See below.
    ```

    ## Use instead
    ```markdown
    ## Executive summary
    - Churn is 2.3x higher for customers on monthly plans (Figure 2).
    - Moving them to annual plans could cut churn by about 8 points; worth a pilot.
    ```

    ## Options
    - `min-words` (default 15): the fewest words a prose summary may have.
    - `min-bullets` (default 2): the fewest bullet points a list summary may have.
    """
    lay = layout_for(nb, ctx)
    min_words = ctx.option("min-words", int)
    min_bullets = ctx.option("min-bullets", int)
    found = lay.of_kind("summary")
    if not found:
        where = f" (before cell {lay.first_code}, the first code cell)" if lay.first_code is not None else ""
        yield Hit(f"no executive summary: add a '## Executive summary' section under the title{where} "
                  f"stating what the notebook found", fixable=offered(nb, lay, "summary"))
        return
    early = [s for s in found if lay.first_code is None or s.cell_index < lay.first_code]
    if not early:
        s = found[0]
        yield Hit(f"the summary {s.text!r} comes after the first code cell (cell {lay.first_code}); "
                  f"move it up under the title so readers see the answer first",
                  nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = early[0]
    body = lay.body(s, stop_at_code=True)
    if is_placeholder_only(body):
        yield Hit(f"the summary {s.text!r} is empty; write at least {min_words} words or {min_bullets} bullets "
                  f"saying what the notebook found", nb.cells[s.cell_index], s.line, fixable=False)
        return
    n_words = sum(len(words(bl.text)) for bl in body)
    n_bullets = len(bullets(body))
    if n_words < min_words and n_bullets < min_bullets:
        what = f"{n_words} word{'s' if n_words != 1 else ''}"
        if n_bullets:
            what += f" and {n_bullets} bullet"
        yield Hit(f"summary has {what}; write at least {min_words} words or {min_bullets} bullets",
                  nb.cells[s.cell_index], s.line, fixable=False)
