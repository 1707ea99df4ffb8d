"""Small HTML fragments (and their plain-text twins) for reports shown inside Jupyter.

The ``%nbkit`` magics display every report as both ``text/html`` and ``text/plain``; the
pieces here build both from the same rows, styled with JupyterLab's theme variables so they
read well in light and dark themes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

CSS = ("font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px); "
       "color: var(--jp-ui-font-color1, inherit)")
BAD = "color: var(--jp-error-color1, #c62828); font-weight: bold"
WARN = "color: var(--jp-warn-color1, #e65100); font-weight: bold"
OK = "color: var(--jp-success-color1, #2e7d32)"

_CELL = "text-align:left; padding:2px 10px 2px 0"


def table(headers: Sequence[str], rows: Sequence[Sequence], styles: Sequence[str | None] | None = None) -> str:
    """An HTML table; ``styles`` gives each row's inline style (None: plain)."""
    e = html.escape
    head = "".join(f"<th style='{_CELL}'>{e(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        st = (styles or [None] * len(rows))[i]
        attr = f" style='{st}'" if st else ""
        body.append(f"<tr{attr}>" + "".join(f"<td style='{_CELL}'>{e(str(c))}</td>" for c in row) + "</tr>")
    return f"<table class='nbkit-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def text_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """The same table as aligned plain text, with a rule under the headers."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def fmt(r):
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def box(title: str, inner: str, title_style: str | None = None) -> str:
    """A report: a bold title over ``inner`` (HTML)."""
    t = html.escape(title)
    head = f"<b style='{title_style}'>{t}</b>" if title_style else f"<b>{t}</b>"
    return f"<div class='nbkit-report' style='{CSS}'><p>{head}</p>{inner}</div>"


def paragraph(text: str, style: str | None = None) -> str:
    attr = f" style='{style}'" if style else ""
    return f"<p{attr}>{html.escape(text)}</p>"
