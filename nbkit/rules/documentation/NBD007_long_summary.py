"""NBD007 long-summary: summary over 200 words or 7 bullets, or containing TODO/TBD."""

from __future__ import annotations

import re

from ...analysis.layout import bullets, words
from .. import Hit, rule
from ..layout.helpers import layout_for
from .helpers import PLACEHOLDER


_TOC_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]*\]\(#[^)\s]*\)\s*$")


@rule("NBD007", "long-summary", "warning", "summary over 200 words or 7 bullets, or containing TODO/TBD",
      options={"max-words": 200, "max-bullets": 7})
def long_summary(nb, ctx):
    """
    ## What it does
    Checks that the executive summary stays short (at most `max-words` words and
    `max-bullets` top-level bullets) and is finished (no TODO, TBD, FIXME). A table of
    contents under it (bullets that only link to the notebook's own sections,
    `- [Data](#Data)`) does not count.

    ## Why is this bad?
    The summary is for readers who read nothing else. A long one is skipped; an unfinished
    one tells them the results are not ready.

    ## Example
    A 450-word summary that retells the analysis step by step.

    ## Use instead
    Three to five bullets: the answer to each question, the key number, the recommendation.

    ## Options
    - `max-words` (default 200): the most words the summary may have.
    - `max-bullets` (default 7): the most top-level bullets the summary may have.
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("summary")
    if not found:
        return
    s = found[0]
    # a table of contents under it (bullets that only link to the notebook's sections) is not summary text
    body = [bl for bl in lay.body(s, stop_at_code=True) if not _TOC_ITEM.match(bl.text)]
    head = nb.cells[s.cell_index]
    max_words = ctx.option("max-words", int)
    max_bullets = ctx.option("max-bullets", int)
    n_words = sum(len(words(bl.text)) for bl in body)
    if n_words > max_words:
        yield Hit(f"summary has {n_words} words (limit {max_words}); keep only the answers and the key numbers, "
                  f"move the rest to the findings", head, s.line)
    n_bullets = len(bullets(body))
    if n_bullets > max_bullets:
        yield Hit(f"summary has {n_bullets} bullets (limit {max_bullets}); keep the few that matter most",
                  head, s.line)
    for bl in body:
        m = PLACEHOLDER.search(bl.text)
        if m:
            yield Hit(f"summary still contains {m.group(0).rstrip(': ')!r}; finish it before sharing the notebook",
                      nb.cells[bl.cell_index], bl.line)
            break
