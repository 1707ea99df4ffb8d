"""NBD004 no-author-or-date: no `metadata.authors`, no front matter, no Author/Date line."""

from __future__ import annotations

import re

from .. import Hit, rule
from ..layout.helpers import layout_for


_AUTHOR_DATE_LINE = re.compile(
    r"^[\s>*_#|-]*(?:authors?|written by|prepared by|owner|date|created|last updated|updated|last modified)"
    r"[\s*_]*[:：]", re.IGNORECASE | re.MULTILINE)

_BY_LINE = re.compile(r"^[\s>*_]*by\s+\S", re.IGNORECASE | re.MULTILINE)

_ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)")

_FRONT_KEYS = re.compile(r"^\s*(?:authors?|date|created|updated)\s*:", re.IGNORECASE | re.MULTILINE)


@rule("NBD004", "no-author-or-date", "warning",
      "no `metadata.authors`, no front matter, no Author/Date line")
def no_author_or_date(nb, ctx):
    """
    ## What it does
    Looks for who wrote the notebook and when: `metadata.authors`, a leading raw YAML
    front-matter cell, an `Author:` / `Date:` line (or `by ...`, or an ISO date under the title)
    in the markdown before the analysis. Reports the notebook when there is none of them.

    ## Why is this bad?
    Readers need to know whom to ask and how current the analysis is; a dated notebook is
    read differently from a fresh one.

    ## Example
    `# Churn drivers` followed directly by the summary.

    ## Use instead
    ```markdown
    # Churn drivers
    Author: Ana Lima, Date: 2026-11-26
    ```
    """
    authors = nb.metadata.get("authors")
    if authors:
        return
    for c in nb.cells:
        if c.cell_type != "raw":
            break
        src = c.source.lstrip()
        if src.startswith(("---", "+++")) or _FRONT_KEYS.search(src):
            return
    lay = layout_for(nb, ctx)
    limit = lay.first_code if lay.first_code is not None else len(nb.cells)
    for c in nb.cells[: max(limit, lay.front_matter + 1)]:
        if not c.is_markdown:
            continue
        if _AUTHOR_DATE_LINE.search(c.source):
            return
        if c.index == lay.title and (_BY_LINE.search(c.source) or _ISO_DATE.search(c.source)):
            return
    yield Hit("no author or date: add 'Author: ... / Date: yyyy-mm-dd' under the title (or metadata.authors) "
              "so readers know whom to ask and how current it is",
              nb.cells[lay.title] if lay.title is not None else None)
