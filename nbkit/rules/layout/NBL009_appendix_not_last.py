"""NBL009 appendix-not-last: nothing but appendix after the appendix heading."""

from __future__ import annotations

from ...analysis.layout import SECTION_LABELS
from .. import Hit, rule
from .helpers import cell_ref, layout_for


@rule("NBL009", "appendix-not-last", "warning", "nothing but appendix after the appendix heading")
def appendix_not_last(nb, ctx):
    """
    ## What it does
    Checks that nothing but appendix material (including other appendix-like headings such
    as "References") follows the appendix heading.

    ## Why is this bad?
    Readers stop at the appendix. A findings or analysis section after it is easily missed.

    ## Example
    `## Appendix` followed by `## Findings`.

    ## Use instead
    Move the appendix to the end.
    """
    lay = layout_for(nb, ctx)
    apps = lay.of_kind("appendix")
    if not apps:
        return
    a = apps[0]
    for s in lay.sections:
        if (s.cell_index, s.line) <= (a.cell_index, a.line) or s.nested or s.kind == "appendix":
            continue
        if s.level <= a.level or s.kind != "other":
            what = SECTION_LABELS.get(s.kind, "section") if s.kind != "other" else "section"
            yield Hit(f"{what} {s.text!r} comes after the appendix ({cell_ref(a.cell_index)}); "
                      f"the appendix goes last", nb.cells[s.cell_index], s.line)
            return
