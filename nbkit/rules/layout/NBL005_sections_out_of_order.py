"""NBL005 sections-out-of-order: first occurrences of known sections follow the standard order."""

from __future__ import annotations

from ...analysis.layout import SECTION_LABELS, SECTIONS
from .. import Hit, rule
from .helpers import cell_ref, layout_for


ORDER_TEXT = "title, summary, questions, setup, data, analysis, findings, next steps, appendix"


@rule("NBL005", "sections-out-of-order", "warning",
      "first occurrences of known sections follow the standard order")
def sections_out_of_order(nb, ctx):
    """
    ## What it does
    Takes the first occurrence of each known section and checks that they come in the
    standard order: title, summary, questions, setup, data, analysis, findings, next steps
    (the appendix, which goes last, is checked by NBL009).

    ## Why is this bad?
    Readers of many notebooks learn where to look. A summary at the bottom or questions
    after the results breaks that, and usually means the story is told backwards.

    ## Example
    `## Findings` before `## Data`.

    ## Use instead
    Move the sections into the standard order.
    """
    lay = layout_for(nb, ctx)
    firsts = sorted((s for k, s in lay.first.items() if k != "appendix"), key=lambda s: (s.cell_index, s.line))
    latest = None  # the section with the highest order seen so far
    for s in firsts:
        order = SECTIONS.index(s.kind)
        if latest is not None and order < SECTIONS.index(latest.kind):
            yield Hit(f"{SECTION_LABELS[s.kind]} section {s.text!r} comes after "
                      f"{SECTION_LABELS[latest.kind]} ({cell_ref(latest.cell_index)}); expected order: {ORDER_TEXT}",
                      nb.cells[s.cell_index], s.line)
        else:
            latest = s
