"""NBL001 missing-title: first non-raw cell is markdown with an H1; exactly one H1 in the notebook."""

from __future__ import annotations

from ...layout import insert_section, title_from_path
from .. import Hit, rule
from .helpers import layout_for


def _title_would_skip_a_level(nb, lay) -> bool:
    at = lay.insert_position("title")
    following = [h for h in nb.headings if h.cell_index >= at]
    return bool(following) and following[0].level > 2


def _fix_title(data: dict, nb, ctx) -> bool:
    """Insert a title cell, only when the notebook has no H1 at all."""
    if any(h.level == 1 for h in nb.headings) or _title_would_skip_a_level(nb, layout_for(nb, ctx)):
        return False
    aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None) or None
    return insert_section(data, "title", nb, aliases, title=title_from_path(nb.path)) is not None


@rule("NBL001", "missing-title", "error",
      "first non-raw cell is markdown with an H1; exactly one H1 in the notebook", fix=_fix_title)
def missing_title(nb, ctx):
    """
    ## What it does
    Checks that the first cell (after any raw front-matter cells) is a markdown cell whose
    first heading is a level-1 heading, and that the notebook has no other H1.
    `--fix` inserts a title cell (named after the file) when the notebook has no H1 at all.

    ## Why is this bad?
    The title is what readers, file browsers and rendered reports show first. Without one
    nobody knows what the notebook is about; with several, the structure is ambiguous.

    ## Example
    A notebook that starts with `import pandas as pd`.

    ## Use instead
    Start with a markdown cell: `# Churn drivers in Q3 2026`.
    """
    lay = layout_for(nb, ctx)
    h1 = [h for h in nb.headings if h.level == 1]
    if lay.title is None:
        # --fix inserts a title only when there is no H1 at all, and not right above an H3 or deeper
        # heading (it would then skip a level: an NBL010 finding the fix added)
        fixable = not h1 and not _title_would_skip_a_level(nb, lay)
        first = nb.cells[lay.front_matter] if lay.front_matter < len(nb.cells) else None
        if first is None:
            yield Hit("the notebook has no cells, so no title" if not nb.cells else
                      "the notebook's cells are all raw or empty, so no title (# Title)", fixable=fixable)
        elif not first.is_markdown:
            yield Hit(f"the first cell is {first.cell_type}, not a markdown title (# Title)", first, fixable=fixable)
        else:
            yield Hit("the first markdown cell does not start with a level-1 heading (# Title)", first, 1,
                      fixable=fixable)
    for h in h1[1 if lay.title is not None else len(h1):]:
        yield Hit(f"second level-1 heading {h.text!r}; a notebook has one title", nb.cells[h.cell_index], h.line,
                  fixable=False)
