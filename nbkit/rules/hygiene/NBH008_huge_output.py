"""NBH008 huge-output (the rule's docstring is its documentation)."""

from __future__ import annotations

import json

from ...model import multiline_text
from .. import Hit, rule


def _fmt_size(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} kB"
    return f"{int(n)} bytes"


_TEXT_ADVICE = "show a summary (df.head(), a sample) instead of the whole object"

_IMAGE_ADVICE = "lower the figure's size or dpi, or save it to a file and link it"


def _mime_sizes(out: dict, image_limit: float = -1.0):
    """(mime, bytes) for each representation of an output (streams count as text/plain).  A
    base64 image too short to decode to more than ``image_limit`` bytes is left out: its exact
    size (which strips and counts the newlines of the whole text) cannot exceed the limit."""
    if out.get("output_type") == "stream":
        text = multiline_text(out.get("text"))
        yield "text/plain", len(text)
        return
    data = out.get("data")
    if not isinstance(data, dict):
        return
    for mime, value in data.items():
        if isinstance(value, (str, list)):
            text = multiline_text(value)
            if mime.startswith("image/") and mime != "image/svg+xml":
                if len(text) * 3 // 4 <= image_limit:
                    continue  # its decoded size is at most this
                b64 = text.strip().rstrip("=")
                yield mime, (len(b64) - b64.count("\n")) * 3 // 4  # decoded size of base64
            else:
                yield mime, len(text)
        else:
            yield mime, len(json.dumps(value, separators=(",", ":")))


@rule("NBH008", "huge-output", "warning",
      "one output > 100 kB (text/html/json), an image > 1 MB, or a notebook file > 10 MB",
      options={"max-output-kb": 100, "max-image-kb": 1000, "max-notebook-mb": 10})
def huge_output(nb, ctx):
    """
    ## What it does
    Reports outputs with a text representation (text, HTML, JSON, widget or plot data,
    stream text) larger than `max-output-kb`, images larger than `max-image-kb` (decoded),
    and a notebook file larger than `max-notebook-mb`.

    ## Why is this bad?
    Huge outputs make notebooks slow to open, review and diff, bloat the repository for
    ever, and usually come from printing a whole data frame or a high-resolution figure by
    accident.

    ## Example
    `df` as the last line of a cell, rendering 50 000 rows of HTML.

    ## Use instead
    Show `df.head()` or a summary; save large figures and tables to files; lower a figure's
    dpi.

    ## Options
    - `max-output-kb` (default 100): largest text, HTML or JSON output, in kB.
    - `max-image-kb` (default 1000): largest image output, in kB.
    - `max-notebook-mb` (default 10): largest notebook file, in MB.
    """
    text_limit = ctx.option("max-output-kb", float) * 1000
    image_limit = ctx.option("max-image-kb", float) * 1000
    nb_limit = ctx.option("max-notebook-mb", float) * 1_000_000
    if nb.size and nb.size > nb_limit:
        yield Hit(f"the notebook file is {_fmt_size(nb.size)} (limit {_fmt_size(nb_limit)}): clear large "
                  "outputs, and save data and figures to files instead of embedding them")
    for cell in nb.cells:
        if not cell.outputs:
            continue
        for i, out in enumerate(cell.outputs, start=1):
            worst = None  # (excess ratio, mime, size, limit, is_image)
            for mime, size in _mime_sizes(out, image_limit):
                is_image = mime.startswith("image/")
                limit = image_limit if is_image else text_limit
                if size > limit and (worst is None or size / max(limit, 1) > worst[0]):
                    worst = (size / max(limit, 1), mime, size, limit, is_image)
            if worst is None:
                continue
            _, mime, size, limit, is_image = worst
            where = f"output {i} of {len(cell.outputs)}" if len(cell.outputs) > 1 else "the output"
            yield Hit(f"{where} is {_fmt_size(size)} of {mime} (limit {_fmt_size(limit)}): "
                      f"{_IMAGE_ADVICE if is_image else _TEXT_ADVICE}", cell)
