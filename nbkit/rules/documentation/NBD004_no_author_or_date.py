"""NBD004 no-author-or-date: no `metadata.authors`, no front matter, no Author/Date line."""

from __future__ import annotations

import re

from ...lazy import lazy_re
from .. import Hit, rule
from ..layout.helpers import layout_for


_AUTHOR_DATE_LINE = re.compile(
    r"^[\s>*_#|-]*(?:authors?|written by|prepared by|owner|date|created|last updated|updated|last modified)"
    r"[\s*_]*[:：]", re.IGNORECASE | re.MULTILINE)

_BY_LINE = re.compile(r"^[\s>*_]*by\s+\S", re.IGNORECASE | re.MULTILINE)

_ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-[01]\d-[0-3]\d(?!\d)")

# forms of "who and when" near the top (the title cell and the cells around it)
_NAME = r"[A-Z][\w'’-]*\.?(?:[A-Z]\.)*"  # Ana, VanderPlas, J.R., O'Neil
_EMAIL = re.compile(r"[\w.+-]+(?:@|\s+at\s+)[\w-]+(?:\.[\w-]+)+")
_NAME_LINE = lazy_re(rf"^[>\s]*[*_]+{_NAME}(?:[ \t]+{_NAME}){{1,3}}[*_]+[\s]*(?:[,(–—-].*)?$")
_NOT_NAMES = lazy_re(r"\b(?:summary|questions?|setup|data|analysis|findings|introduction|overview|contents|"
                        r"table|appendix|references|next|steps|abstract|background|results|conclusions?|"
                        r"notes?|exercises?|warning|note|draft|todo)\b", re.IGNORECASE)
_INLINE_BY = re.compile(rf"\bby\s+\W{{0,2}}{_NAME}(?:[ \t]+{_NAME}){{1,3}}")
_TEXT_DATE = re.compile(
    r"\b(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?"
    r"(?:19|20)\d\d\b", re.IGNORECASE)


def _says_who_or_when(text: str) -> bool:
    """An author or date in one of the first markdown cells: a short line with an email
    (``J.R. Johansson (jrjohansson at gmail.com)``), a line that is only a name (``*Jake
    VanderPlas*``), ``... by Jake VanderPlas``, or a date."""
    if _BY_LINE.search(text) or _ISO_DATE.search(text) or _TEXT_DATE.search(text) or _INLINE_BY.search(text):
        return True
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or len(line) > 100:
            continue
        if _EMAIL.search(line) or (_NAME_LINE.match(line) and not _NOT_NAMES.search(line)):
            return True
    return False


_FRONT_KEYS = lazy_re(r"^\s*(?:authors?|date|created|updated)\s*:", re.IGNORECASE | re.MULTILINE)


@rule("NBD004", "no-author-or-date", "warning",
      "no `metadata.authors`, no front matter, no Author/Date line")
def no_author_or_date(nb, ctx):
    """
    ## What it does
    Looks for who wrote the notebook and when: `metadata.authors`, a leading raw YAML
    front-matter cell, an `Author:` / `Date:` line (or `by ...`, or an ISO date under the title)
    in the markdown before the analysis, or, in the first markdown cells (the title and the
    cells around it), a name line (`*Jake VanderPlas*`), a line with an email
    (`J.R. Johansson (jrjohansson at gmail.com)`), `... by Jake VanderPlas` or a date such as
    `26 Nov 2026`. Reports the notebook when there is none of them.

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
    # "near the top": the title cell and the markdown cells after it up to the first section
    # heading (a section's date is its content's, not the notebook's), at most a few cells.
    # Defined by content, not by position, so inserting a missing title (--fix) changes nothing.
    top = (lay.title if lay.title is not None else lay.front_matter) + 4
    for c in nb.cells[: max(limit, lay.front_matter + 1)]:
        if not c.is_markdown:
            continue
        if _AUTHOR_DATE_LINE.search(c.source):
            return
        heading = c.source.lstrip().startswith("#")
        if heading and c.index != lay.title and (lay.title is None or c.index > lay.title):
            top = min(top, c.index)
        if c.index < top and (c.index == lay.title or not heading) and _says_who_or_when(c.source):
            return
    yield Hit("no author or date: add 'Author: ... / Date: yyyy-mm-dd' under the title (or metadata.authors) "
              "so readers know whom to ask and how current it is",
              nb.cells[lay.title] if lay.title is not None else None)
