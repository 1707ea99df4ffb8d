"""NBD002 section-without-prose: an analysis section whose first cell is code."""

from __future__ import annotations

from ...analysis.layout import words
from .. import Hit, rule
from ..layout.helpers import layout_for


@rule("NBD002", "section-without-prose", "warning", "an analysis section whose first cell is code")
def section_without_prose(nb, ctx):
    """
    ## What it does
    Reports analysis sections that go straight from the heading to code, with no sentence
    saying what the section looks at.

    ## Why is this bad?
    The heading names the topic; the reader still needs to know what is being computed and
    why before reading the code and its output.

    ## Example
    ```markdown
    ## Churn by plan
    ```
    followed directly by a code cell.

    ## Use instead
    ```markdown
    ## Churn by plan
    Does churn differ between monthly and annual plans? We compare 90-day churn rates.
    ```
    """
    lay = layout_for(nb, ctx)
    for s in lay.of_kind("analysis"):
        cell = nb.cells[s.cell_index]
        # prose after the heading, in the heading's own cell?
        stop_line = s.stop[1] if s.stop and s.stop[0] == s.cell_index else None
        if any(ln > s.line and (stop_line is None or ln < stop_line) and words(text)
               for ln, text in lay.content_lines(cell)):
            continue
        for c in nb.cells[s.cell_index + 1:s.end]:
            if c.is_empty:
                continue
            if c.is_markdown:
                if any(words(text) for _, text in lay.content_lines(c)):
                    break
                continue  # only a sub-heading: look further
            if c.is_code:
                yield Hit(f"section {s.text!r} starts with code (cell {c.index}); add a sentence on what it looks at "
                          f"and why", cell, s.line)
            break
