"""NBD006 unsupported-finding: a findings item with no number and no reference to a figure/table."""

from __future__ import annotations

import re

from ...analysis.layout import bullets, words
from ...lazy import lazy_re
from .. import Hit, rule
from ..layout.helpers import layout_for
from .helpers import quote_short


_EVIDENCE = lazy_re(
    r"\d|\b(?:fig(?:ure)?s?|charts?|plots?|graphs?|tables?|tab\.|histograms?|heatmaps?|maps?|diagrams?|"
    r"twice|half|double[ds]?|triple[ds]?|percent|see (?:above|below|cell|section))\b|\]\(#|!\[",
    re.IGNORECASE)

_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")

_QUESTION_REF = lazy_re(r"\b(?:Q|question\s*)\d+\b|\(\d\)", re.IGNORECASE)  # "Q1:" is not evidence


@rule("NBD006", "unsupported-finding", "info",
      "a findings item with no number and no reference to a figure/table")
def unsupported_finding(nb, ctx):
    """
    ## What it does
    Reads each item of the findings section (list items, or paragraphs when there is no list)
    and reports items that contain no number and refer to no figure, table, chart or section.

    ## Why is this bad?
    A finding without evidence is an opinion. Pointing at the number or the chart lets the
    reader check it, and makes the finding easy to quote correctly.

    ## Example
    `- Customers on monthly plans churn more.`

    ## Use instead
    `- Customers on monthly plans churn 2.3x more than annual ones (Figure 2).`
    """
    lay = layout_for(nb, ctx)
    for s in lay.of_kind("findings"):
        body = lay.body(s)
        items = bullets(body)
        if items:
            # an item runs until the next item: include its continuation lines
            groups = []
            item_keys = {(b.cell_index, b.line) for b in items}
            for bl in body:
                if (bl.cell_index, bl.line) in item_keys:
                    groups.append([bl])
                elif groups and not (_LIST_MARK.match(bl.text) and groups[-1][0].cell_index != bl.cell_index):
                    groups[-1].append(bl)
        else:
            groups = []
            prev = None
            for bl in body:
                if prev is None or bl.cell_index != prev.cell_index or bl.line != prev.line + 1:
                    groups.append([])
                groups[-1].append(bl)
                prev = bl
        for g in groups:
            first_text = _LIST_MARK.sub("", g[0].text, count=1)
            text = " ".join([first_text] + [b.text for b in g[1:]])
            if not words(text) or _EVIDENCE.search(_QUESTION_REF.sub(" ", text)):
                continue
            yield Hit(f"finding {quote_short(first_text)} has no number and no reference to a figure or table; add "
                      f"the evidence (e.g. '12% higher, see Figure 2')", nb.cells[g[0].cell_index], g[0].line)
