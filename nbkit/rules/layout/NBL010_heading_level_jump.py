"""NBL010 heading-level-jump: no jump of more than one heading level; no second H1."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import layout_for


@rule("NBL010", "heading-level-jump", "warning",
      "no jump of more than one heading level; no second H1")
def heading_level_jump(nb, ctx):
    """
    ## What it does
    Checks the heading outline: a heading may go at most one level deeper than the heading
    before it (H2 then H4 is a jump), and only the title is an H1 (a second H1 is reported
    here only when the notebook has no title; otherwise NBL001 reports it, once).

    ## Why is this bad?
    Table-of-contents extensions, rendered reports and screen readers build the outline from
    heading levels; jumps and extra H1s produce a broken outline.

    ## Example
    ```markdown
    ## Data
    #### Cleaning
    ```

    ## Use instead
    ```markdown
    ## Data
    ### Cleaning
    ```
    """
    prev = None
    seen_h1 = False
    titled = layout_for(nb, ctx).title is not None  # then NBL001 reports the other H1s
    for h in nb.headings:
        cell = nb.cells[h.cell_index]
        if h.level == 1:
            if seen_h1 and not titled:
                yield Hit(f"second H1 {h.text!r}; only the title is an H1, use ## for sections", cell, h.line)
            seen_h1 = True
        elif prev is not None and h.level > prev.level + 1:
            yield Hit(f"heading {h.text!r} jumps from H{prev.level} to H{h.level}; use "
                      f"{'#' * (prev.level + 1)} (H{prev.level + 1})", cell, h.line)
        prev = h
