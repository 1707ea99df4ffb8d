"""NBH005 error-output (the rule's docstring is its documentation)."""

from __future__ import annotations

import re

from ...lazy import lazy_re
from ...model import multiline_text
from .. import Hit, rule
from .helpers import ANSI, short


_RAISES_TAGS = frozenset({"raises-exception", "nbval-raises-exception"})

PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"

_PAPERMILL_MARKER = lazy_re(r"An Exception was encountered at\s*'?(?:<a[^>]*>)?\s*In \[(\w*)\]")

_PAPERMILL_ANCHOR = "Execution using papermill encountered an exception"

_TRACEBACK = "Traceback (most recent call last)"

_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)\b.*)$")


def _traceback_summary(text: str) -> str:
    """The ``ValueError: ...`` line of a traceback printed on stderr (or a stand-in)."""
    after = ANSI.sub("", text).split(_TRACEBACK, 1)[-1]
    for line in reversed(after.splitlines()):
        m = _EXC_LINE.match(line)
        if m:
            return short(m.group(1))
    return "a Python exception"


def _papermill_marker(cell) -> bool:
    if not cell.is_markdown:
        return False
    if PAPERMILL_ERROR_TAG in cell.tags:
        return True
    return "An Exception was encountered at" in cell.source and "<span" in cell.source


@rule("NBH005", "error-output", "error",
      "an `error` output, or a traceback on stderr, in a cell not tagged `raises-exception`; "
      "papermill error-marker cells")
def error_output(nb, ctx):
    """
    ## What it does
    Reports code cells with an `error` output (an exception was raised), or whose stderr
    shows a Python traceback, and the marker cells papermill inserts into a notebook whose
    run failed. Cells tagged `raises-exception` (nbclient/nbmake) or `nbval-raises-exception`,
    or marked `# NBVAL_RAISES_EXCEPTION`, are exempt: there the error is intended.
    `SystemExit` with status 0 is not an error.

    ## Why is this bad?
    A saved exception means the notebook did not run to completion, so every output after it
    is stale or missing, and readers cannot trust the results.

    ## Example
    A cell ending in `ZeroDivisionError: division by zero`, or a papermill output notebook
    starting with "An Exception was encountered at In [7]".

    ## Use instead
    Fix the error and re-run the notebook; when the exception is the point (a teaching
    notebook), tag the cell `raises-exception`.
    """
    marker_reported = False
    for cell in nb.cells:
        if _papermill_marker(cell):
            if not marker_reported:
                marker_reported = True
                m = _PAPERMILL_MARKER.search(cell.source)
                at = f" at In [{m.group(1)}]" if m and m.group(1) else ""
                what = ("papermill marked this notebook as failed" + at if _PAPERMILL_ANCHOR not in cell.source
                        else "papermill marked the cell below as where execution stopped")
                yield Hit(f"{what}: the run that produced it raised an exception; fix it and re-run "
                          "(the marker cells are papermill's, delete them)", cell)
            continue
        if not cell.is_code:
            continue
        if cell.tags & _RAISES_TAGS or "NBVAL_RAISES_EXCEPTION" in cell.source:
            continue
        reported = False
        for out in cell.outputs:
            kind = out.get("output_type")
            if kind == "error":
                ename = str(out.get("ename") or "an exception")
                evalue = short(str(out.get("evalue") or ""))
                if ename == "SystemExit" and evalue in ("", "0", "None"):
                    continue
                reported = True
                yield Hit(f"the cell raised {ename}" + (f": {evalue}" if evalue else "")
                          + "; fix it, or tag the cell raises-exception if the error is intended", cell)
            elif kind == "stream" and out.get("name") == "stderr":
                text = multiline_text(out.get("text"))
                if _TRACEBACK in text:
                    reported = True
                    yield Hit(f"stderr shows a traceback ({_traceback_summary(text)}); fix the error, or tag "
                              "the cell raises-exception if it is intended", cell)
        pm = cell.metadata.get("papermill")
        if not reported and isinstance(pm, dict) and pm.get("exception") is True:
            yield Hit("papermill recorded an exception in this cell; fix it and re-run", cell)
