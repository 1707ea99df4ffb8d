"""NBL007 unanswered-questions: fewer findings items than questions."""

from __future__ import annotations

import re

from ...analysis.layout import bullets, is_placeholder_only
from .. import Hit, rule
from .helpers import layout_for


def _question_count(body) -> int:
    items = bullets(body)
    if items:
        return len(items)
    return sum(len(re.findall(r"\?(?=[\s*_)\]]|$)", bl.text)) for bl in body)


def _finding_count(lay, sections) -> int:
    items = []
    subsections = 0
    paragraphs = 0
    for s in sections:
        body = lay.body(s)
        items += bullets(body)
        idx = lay.sections.index(s)
        subsections += sum(1 for x in lay.sections if x.parent == idx)
        prev = None
        for bl in body:
            if prev is None or bl.cell_index != prev.cell_index or bl.line != prev.line + 1:
                paragraphs += 1
            prev = bl
    return len(items) or subsections or paragraphs


@rule("NBL007", "unanswered-questions", "info", "fewer findings items than questions")
def unanswered_questions(nb, ctx):
    """
    ## What it does
    Counts the questions (list items, or sentences ending in `?`) and the findings (list
    items, sub-sections, or paragraphs) and reports when there are fewer findings.

    ## Why is this bad?
    A question without an answer is either forgotten or quietly dropped; readers will ask.

    ## Example
    Three questions, two findings.

    ## Use instead
    Answer every question in the findings, one item per question ("Q3: not answered, the
    data has no region field" is an answer too).
    """
    lay = layout_for(nb, ctx)
    qs = lay.of_kind("questions")
    fs = lay.of_kind("findings")
    if not qs or not fs:
        return
    if all(is_placeholder_only(lay.body(s)) for s in fs):
        return  # an empty findings section is NBL004's finding (and what --fix inserts)
    n_q = _question_count(lay.body(qs[0], stop_at_code=True))
    if n_q < 2:
        return
    n_f = _finding_count(lay, fs)
    if n_f < n_q:
        yield Hit(f"{n_q} questions but {n_f} finding{'s' if n_f != 1 else ''}; answer each question in "
                  f"the findings, one item per question", nb.cells[fs[0].cell_index], fs[0].line)
