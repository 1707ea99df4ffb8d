"""NBH015 trailing-whitespace (the rule's docstring is its documentation)."""

from __future__ import annotations

import re

from .. import Hit, rule
from .helpers import suppressed_filter


def _set_source(raw_cell: dict, text: str) -> None:
    """Write ``text`` into a cell's JSON ``source`` keeping its form (string or list of lines)."""
    if isinstance(raw_cell.get("source"), list):
        raw_cell["source"] = re.findall(r"[^\n]*\n|[^\n]+$", text)
    else:
        raw_cell["source"] = text


_TRAIL_CANDIDATE = re.compile(r"[ \t]\r?$|\n[ \t\r]*\n[ \t\r\n]*\Z", re.MULTILINE)


def _trail_candidate(source: str) -> bool:
    """``_TRAIL_CANDIDATE.search(source)`` as substring tests (a third of the regex's cost): a space
    or tab before a line's end (a "\n", "\r\n" or the end), or at least two newlines in the
    whitespace that ends the source."""
    if (" \n" in source or "\t\n" in source or " \r\n" in source or "\t\r\n" in source
            or source.endswith((" ", "\t", " \r", "\t\r"))):
        return True
    return source.count("\n", len(source.rstrip(" \t\r\n"))) >= 2


def _trailing_ws(source: str):
    """Where a markdown source has trailing whitespace.

    Returns (flagged line numbers, 1-based; number of the first blank trailing line or None).
    A markdown hard line break (two or more trailing spaces before a non-blank line) is kept.
    """
    parts = source.split("\n")
    last = max((i for i, p in enumerate(parts) if p.strip()), default=-1)
    flagged = []
    for i in range(last + 1):
        part = parts[i]
        line = part[:-1] if part.endswith("\r") else part
        if not line or line[-1] not in " \t":
            continue
        stripped = line.rstrip(" \t")
        trail = line[len(stripped):]
        if (stripped.strip() and len(trail) >= 2 and trail.strip(" ") == "" and i + 1 <= last
                and parts[i + 1].strip()):
            continue  # a hard line break
        flagged.append(i + 1)
    tail = parts[last + 1:]
    bad_tail = last >= 0 and tail not in ([], [""], ["\r"])
    return flagged, (last + 2 if bad_tail else None)


def _strip_trailing(source: str) -> str:
    flagged, tail_line = _trailing_ws(source)
    parts = source.split("\n")
    for n in flagged:
        part = parts[n - 1]
        cr = "\r" if part.endswith("\r") else ""
        parts[n - 1] = part[: len(part) - len(cr)].rstrip(" \t") + cr
    if tail_line is None:
        return "\n".join(parts)
    content = parts[: tail_line - 1]
    if content and content[-1].endswith("\r"):
        content[-1] = content[-1][:-1]
    ending = "\r\n" if source.endswith("\r\n") else "\n" if source.endswith("\n") else ""
    return "\n".join(content) + ending


def _fix_trailing_whitespace(data: dict, nb, ctx) -> bool:
    suppressed = suppressed_filter("NBH015")
    cells = data.get("cells")
    if not isinstance(cells, list):
        return False
    changed = False
    for cell in nb.cells:
        if not cell.is_markdown or cell.is_empty or suppressed(cell):
            continue
        new = _strip_trailing(cell.source)
        if new != cell.source:
            _set_source(cells[cell.index], new)
            changed = True
    return changed


@rule("NBH015", "trailing-whitespace", "info",
      "markdown lines ending in spaces or tabs (not hard line breaks), blank lines at the end of a cell",
      fix=_fix_trailing_whitespace)
def trailing_whitespace(nb, ctx):
    """
    ## What it does
    Reports markdown cells with lines that end in spaces or tabs, and cells that end in
    blank or whitespace-only lines. A markdown hard line break (two or more trailing spaces
    followed by a non-blank line) is left alone. `--fix` strips the reported whitespace and
    nothing else.

    ## Why is this bad?
    Trailing whitespace is invisible, renders as nothing (or as an accidental line break),
    and shows up as noise in diffs and reviews.

    ## Example
    `The churn rate rose in Q3.   ` (three spaces at the end of the paragraph).

    ## Use instead
    `The churn rate rose in Q3.` (`nbkit lint --fix` strips it).
    """
    for cell in nb.cells:
        if not cell.is_markdown or cell.is_empty:
            continue
        if not _trail_candidate(cell.source):
            continue
        flagged, tail_line = _trailing_ws(cell.source)
        if not flagged and tail_line is None:
            continue
        what = []
        if flagged:
            shown = ", ".join(str(n) for n in flagged[:5]) + (", ..." if len(flagged) > 5 else "")
            what.append(f"{'line' if len(flagged) == 1 else 'lines'} {shown} "
                        f"{'ends' if len(flagged) == 1 else 'end'} in spaces or tabs")
        if tail_line is not None:
            what.append("the cell ends with blank lines")
        yield Hit("; ".join(what) + ": invisible whitespace that makes diffs noisy (`nbkit lint --fix` strips it)",
                  cell, flagged[0] if flagged else tail_line)
