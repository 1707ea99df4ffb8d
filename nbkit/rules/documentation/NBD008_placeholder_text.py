"""NBD008 placeholder-text: TODO/FIXME/TBD in markdown (report profile)."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import PLACEHOLDER, may_hold_placeholder, quote_short


@rule("NBD008", "placeholder-text", "warning", "TODO/FIXME/TBD in markdown (report profile)")
def placeholder_text(nb, ctx):
    """
    ## What it does
    Reports TODO, FIXME and TBD left in markdown cells. Off in the `exploratory`
    profile, where unfinished notes are expected.

    ## Why is this bad?
    A report with TODOs in it is not finished; readers cannot tell which parts to trust.

    ## Example
    `TODO: check the March numbers`

    ## Use instead
    Do it, or turn it into a tracked issue and remove the note.
    """
    for cell in nb.cells:
        if not cell.is_markdown or not may_hold_placeholder(cell.source) or not PLACEHOLDER.search(cell.source):
            continue
        for i, line in enumerate(cell.lines, start=1):
            m = PLACEHOLDER.search(line)
            if m:
                yield Hit(f"placeholder {m.group(0).rstrip(': ')!r} in markdown: {quote_short(line[m.start():], 60)}; "
                          f"finish or remove it", cell, i)
