"""NBL006 code-before-questions: no code cell (other than `parameters`) before the questions section ends."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import cell_ref, layout_for


def _questions_end(lay, q) -> int:
    """Where the questions section ends: its own end, or the next recognised section."""
    end = q.end
    for s in lay.sections:
        if s.cell_index > q.cell_index and s.kind not in ("other", "questions"):
            end = min(end, s.cell_index)
            break
    return end


@rule("NBL006", "code-before-questions", "warning",
      "no code cell (other than `parameters`) before the questions section ends")
def code_before_questions(nb, ctx):
    """
    ## What it does
    Reports code cells (other than a `parameters`-tagged cell) that come before the end of
    the questions section, i.e. analysis started before the questions were stated.

    ## Why is this bad?
    The top of a notebook is for readers: title, summary, questions. Code there pushes the
    story down and hints that the questions were written after the fact.

    ## Example
    `import pandas as pd` directly under the title, before `## Questions`.

    ## Use instead
    Put imports and set-up code in a `## Setup` section after the questions.
    """
    lay = layout_for(nb, ctx)
    qs = lay.of_kind("questions")
    if not qs:
        return
    q = qs[0]
    end = _questions_end(lay, q)
    early = [c for c in nb.cells[:end] if c.is_code and not c.is_empty and "parameters" not in c.tags]
    if early:
        more = f" (and {len(early) - 1} more code cell{'s' if len(early) > 2 else ''})" if len(early) > 1 else ""
        if early[0].index < q.cell_index:
            yield Hit(f"code before the questions{more}; state the questions ({cell_ref(q.cell_index)}) first and "
                      f"move the code to a Setup section after them", early[0])
        else:
            yield Hit(f"code inside the questions section{more}; end the questions with a '## Setup' or "
                      f"'## Data' heading before this cell", early[0])
