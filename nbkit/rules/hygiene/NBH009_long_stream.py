"""NBH009 long-stream: a stream output of more than 200 lines."""

from __future__ import annotations

from ...model import multiline_text
from .. import Hit, rule


@rule("NBH009", "long-stream", "warning", "a stream output of more than 200 lines",
      options={"max-lines": 200})
def long_stream(nb, ctx):
    """
    ## What it does
    Reports code cells whose printed output (stdout or stderr, all stream outputs of the cell
    together) has more than `max-lines` lines.

    ## Why is this bad?
    Pages of log lines (training epochs, warnings, a printed loop) bury the results, make
    the notebook hard to read and review, and change on every run.

    ## Example
    `model.fit(X, y, verbose=1)` printing one line per batch.

    ## Use instead
    Print a summary, lower the verbosity (`verbose=0`, `logging.WARNING`), or write the log
    to a file.

    ## Options
    - `max-lines` (default 200): the most lines of stdout or stderr a cell may show.
    """
    limit = ctx.option("max-lines", int)
    for cell in nb.cells:
        if not cell.outputs:
            continue
        counts: dict[str, int] = {}
        for out in cell.outputs:
            if out.get("output_type") != "stream":
                continue
            text = multiline_text(out.get("text"))
            n = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
            name = str(out.get("name") or "stdout")
            counts[name] = counts.get(name, 0) + n
        for name, n in counts.items():
            if n > limit:
                yield Hit(f"{name} output has {n:,} lines (limit {limit}): print a summary, or lower the "
                          "verbosity (verbose=0, logging level) or write the log to a file", cell)
