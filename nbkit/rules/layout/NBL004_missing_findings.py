"""NBL004 missing-findings: a findings heading after the last analysis code cell, with non-empty text."""

from __future__ import annotations

from ...analysis.layout import is_placeholder_only
from .. import Hit, rule
from .helpers import fix_section, layout_for, offered


def _inserted_section_would_be_nested(nb, lay) -> bool:
    """Whether the '## Findings' --fix would insert lands inside a level-1 analysis section (a
    notebook whose sections are H1s: the section would then hold the findings and stop counting as
    analysis, an NBL008 finding the fix added) or before a section that belongs before the
    findings (an NBL005 finding): then the fix is not offered."""
    at = lay.insert_position("findings")
    h1 = [s for s in lay.sections if s.level == 1 and s.cell_index < at]
    if h1 and h1[-1].kind == "analysis":
        return True
    # an earlier part (data, setup...) after the place it would go: the findings would come before it
    return any(s.kind in ("summary", "questions", "setup", "data", "analysis") and s.cell_index >= at
               for s in lay.sections if not s.nested)


@rule("NBL004", "missing-findings", "error",
      "a findings heading after the last analysis code cell, with non-empty text",
      fix=fix_section("findings"))
def missing_findings(nb, ctx):
    """
    ## What it does
    Checks for a findings section (a heading such as "Findings", "Results", "Conclusions",
    "Insights", "Key takeaways" after the code) after the last analysis code cell (code in the
    next-steps section or the appendix does not count), with some text in it. `--fix` inserts
    a `## Findings` heading with a hint after the analysis when there is none.

    ## Why is this bad?
    The findings are what the notebook was written for. Without them the reader has to
    interpret the raw outputs, and may draw a different conclusion than the author did.

    ## Example
    A notebook that ends with a chart and no text.

    ## Use instead
    ```markdown
    ## Findings
    1. Monthly-plan customers churn 2.3x more than annual ones (Figure 2).
    2. The March price change shows no measurable effect (p = 0.41, Table 3).
    ```
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("findings")
    last = lay.last_analysis_code()
    if not found:
        where = f" after the last analysis cell (cell {last})" if last is not None else ""
        yield Hit(f"no findings section: add '## Findings'{where} stating the answer to each question",
                  fixable=not _inserted_section_would_be_nested(nb, lay) and offered(nb, lay, "findings"))
        return
    late = [s for s in found if last is None or s.cell_index > last]
    if not late:
        s = found[-1]
        yield Hit(f"the findings {s.text!r} are followed by analysis code (cell {last}); "
                  f"put the findings after the last analysis cell", nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = late[0]
    if all(is_placeholder_only(lay.body(x)) for x in late):
        yield Hit(f"the findings section {s.text!r} is empty; state what the analysis found",
                  nb.cells[s.cell_index], s.line, fixable=False)
