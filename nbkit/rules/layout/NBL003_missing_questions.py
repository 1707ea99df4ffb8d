"""NBL003 missing-questions (the rule's docstring is its documentation)."""

from __future__ import annotations

import re

from ...analysis.layout import bullets, is_placeholder_only
from .. import Hit, rule
from .helpers import fix_section, layout_for, offered, questions_would_hold_code


def _analysis_start(lay) -> int:
    analysis = [s.cell_index for s in lay.of_kind("analysis")]
    if analysis:
        return min(analysis)
    findings = [s.cell_index for s in lay.sections if s.kind == "findings"]
    return min(findings) if findings else lay.n_cells


_QUESTION_END = re.compile(r"\?[\s*_)\]]*$")


def _question_lines(body) -> list:
    return [bl for bl in body if _QUESTION_END.search(bl.text.strip())]


@rule("NBL003", "missing-questions", "error",
      "a questions heading before the analysis, with a list item or a line ending in `?`",
      fix=fix_section("questions"))
def missing_questions(nb, ctx):
    """
    ## What it does
    Checks for a questions section (a heading such as "Questions", "Objectives", "Goals",
    "Hypotheses", "Problem statement") before the first analysis section, holding at least one
    list item or one line ending in `?`. `--fix` inserts a `## Questions` heading with a hint
    when there is none.

    ## Why is this bad?
    An analysis without stated questions cannot be judged: the reader does not know what it
    set out to answer, and the author drifts into exploring whatever looks interesting.

    ## Example
    A notebook that goes from the title straight to loading data.

    ## Use instead
    ```markdown
    ## Questions
    1. Which customer segments churn most?
    2. Did the March price change affect churn?
    ```
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("questions")
    limit = _analysis_start(lay)
    if not found:
        yield Hit("no questions section: add '## Questions' before the analysis, listing what the "
                  "notebook sets out to answer", fixable=questions_would_hold_code(nb, lay) is not None
                  and offered(nb, lay, "questions"))
        return
    early = [s for s in found if s.cell_index < limit]
    if not early:
        s = found[0]
        yield Hit(f"the questions {s.text!r} come after the analysis starts (cell {limit}); "
                  f"state them before the analysis", nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = early[0]
    body = lay.body(s, stop_at_code=True)
    if is_placeholder_only(body):
        yield Hit(f"the questions section {s.text!r} is empty; list the questions, one item each",
                  nb.cells[s.cell_index], s.line, fixable=False)
        return
    if not bullets(body) and not _question_lines(body):
        yield Hit(f"the questions section {s.text!r} has no list item and no line ending in '?'; "
                  f"write each question as a list item", nb.cells[s.cell_index], s.line, fixable=False)
