"""Cell-by-cell comparison of normalised outputs, and the diffs people read.

Text is compared with numbers inside it matched to a relative tolerance (``rtol``; integers
exactly), then, when it still differs, through :func:`nbkit.verify.normalize.repr_drift` (the
same values printed by a newer library: a match with a note); images by decoded pixels, then
by structure (:mod:`nbkit.verify.images`: re-rendered or resized is a match with a note),
errors by name and message.  A match that needed a note carries it (``CellComparison.note``).  The diff shows only what really differs: items that match within tolerance are
rendered identically on both sides.
"""

from __future__ import annotations

import base64
import difflib
import math
import re
from dataclasses import dataclass, field

from .images import compare_images
from .normalize import Item, has_digit, repr_drift
from .settings import VerifySettings

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
MAX_SHOWN = 20_000        # characters of expected/actual kept in a report
MAX_DIFF_LINES = 400
_DIFFLIB_LIMIT = 400_000  # beyond this many characters, diffs are summarised, not computed


def _is_float(tok: str) -> bool:
    return "." in tok or "e" in tok or "E" in tok


def text_equal(a: str, b: str, rtol: float) -> bool:
    """Equal, with float literals inside the text compared to ``rtol`` (0 = exact)."""
    if a == b:
        return True
    if rtol <= 0 or not (has_digit(a) and has_digit(b)):
        return False
    ta, tb = _NUMBER.split(a), _NUMBER.split(b)
    if ta != tb:  # the words around the numbers differ
        return False
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    for x, y in zip(na, nb):
        if x == y:
            continue
        if not (_is_float(x) or _is_float(y)):
            return False
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not math.isclose(fx, fy, rel_tol=rtol, abs_tol=rtol * 1e-9):
            return False
    return True


@dataclass
class CellComparison:
    equal: bool
    mime: str | None = None
    message: str = ""
    expected: str = ""
    actual: str = ""
    diff: str = ""
    images: dict = field(default_factory=dict)  # expected/actual/diff: base64 PNG
    note: str | None = None  # why a match is not exact: "numpy 2 scalar repr", "same chart, re-rendered"


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit:,} more characters)\n"


def _first_difference(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # binary search on equal prefixes (slice comparisons run in C)
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def make_diff(expected: str, actual: str, from_name: str = "stored", to_name: str = "fresh run") -> str:
    """A unified diff, summarised for huge outputs."""
    if expected == actual:
        return ""
    if len(expected) + len(actual) > _DIFFLIB_LIMIT:
        i = _first_difference(expected, actual)
        line = expected.count("\n", 0, i) + 1
        ctx = 60
        return (f"--- {from_name} ({len(expected):,} characters)\n+++ {to_name} ({len(actual):,} characters)\n"
                f"first difference at character {i:,} (line {line}):\n"
                f"-{expected[max(0, i - ctx):i + ctx]!r}\n+{actual[max(0, i - ctx):i + ctx]!r}\n")
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), from_name, to_name,
                                      lineterm="", n=2))
    long = [ln if len(ln) <= 2000 else ln[:2000] + " ..." for ln in lines]
    if len(long) > MAX_DIFF_LINES:
        long = long[:MAX_DIFF_LINES] + [f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(long) + "\n"


def _tolerant_lines(expected: str, actual: str, rtol: float) -> str:
    """``actual`` with each line that equals its stored counterpart within tolerance replaced
    by the stored line, so the diff shows only the lines that really changed."""
    e_lines, a_lines = expected.splitlines(keepends=True), actual.splitlines(keepends=True)
    out: list[str] = []
    sm = difflib.SequenceMatcher(None, e_lines, a_lines, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            out.extend(e if text_equal(e, a, rtol) else a for e, a in zip(e_lines[i1:i2], a_lines[j1:j2]))
        else:
            out.extend(a_lines[j1:j2])
    return "".join(out)


def _b64(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode("ascii") if raw else None


_FRIENDLY = {"stdout": "printed output (stdout)", "stderr": "stderr output", "text/plain": "displayed value (text/plain)",
             "text/html": "HTML output", "text/markdown": "Markdown output"}


def _describe(items: list[Item]) -> str:
    if not items:
        return "no output"
    return ", ".join(i.label for i in items)


def compare_items(expected: list[Item], actual: list[Item], settings: VerifySettings,
                  names: tuple[str, str] = ("stored", "fresh run")) -> CellComparison:
    """Compare two normalised output lists of one cell."""
    rtol = settings.rtol if settings.on("numbers") else 0.0
    exp_text = "".join(i.render() for i in expected)
    if len(expected) != len(actual) or any(a.key != b.key for a, b in zip(expected, actual)):
        act_text = "".join(i.render() for i in actual)
        first = next((k for k, (a, b) in enumerate(zip(expected, actual)) if a.key != b.key),
                     min(len(expected), len(actual)))
        mime = (expected[first] if first < len(expected) else actual[first]).mime
        errs = [i for i in actual if i.kind == "error"]
        if errs and not any(i.kind == "error" for i in expected):
            msg = f"raised {errs[0].text.splitlines()[0]} (stored output has no error)"
        else:
            msg = f"outputs changed: stored {_describe(expected)}; now {_describe(actual)}"
        return CellComparison(False, mime, msg, shorten(exp_text), shorten(act_text),
                              make_diff(exp_text, act_text, *names))
    shown_actual: list[str] = []
    first_bad: Item | None = None
    message = ""
    images: dict = {}
    notes: list[str] = []
    for e, a in zip(expected, actual):
        note = None
        if e.image is not None and a.image is not None:
            if settings.on("images"):
                d = compare_images(e.image, a.image, settings.image_threshold, settings.image_tolerance,
                                   settings.image_resize)
                same, why, note = d.equal, d.message, d.note
            else:
                same, why, d = e.image == a.image, "image bytes differ", None
            if not same and first_bad is None:
                images = {"expected": _b64(e.image), "actual": _b64(a.image), "diff": _b64(d.diff_png if d else None)}
        else:
            same = text_equal(e.text, a.text, rtol)
            why = ""
            if not same and settings.on("repr-drift"):
                note = repr_drift(e.text, a.text, lambda x, y: text_equal(x, y, rtol))
                same = note is not None
        if same and note and note not in notes:
            notes.append(note)
        if same:
            shown_actual.append(e.render())
            continue
        if e.image is None and rtol > 0 and len(e.text) + len(a.text) < _DIFFLIB_LIMIT:
            shown_actual.append(Item(a.kind, a.name, _tolerant_lines(e.text, a.text, rtol)).render())
        else:
            shown_actual.append(a.render())
        if first_bad is None:
            first_bad = e
            if e.image is not None:
                message = f"{e.name} changed: {why}"
            elif e.kind == "error":
                message = f"error changed: stored {e.text.splitlines()[0]!r}, now {a.text.splitlines()[0]!r}"
            else:
                message = f"{_FRIENDLY.get(e.label, e.label)} differs"
    if first_bad is None:
        return CellComparison(True, note="; ".join(notes) or None)
    act_text = "".join(shown_actual)
    return CellComparison(False, first_bad.mime, message, shorten(exp_text), shorten("".join(a.render() for a in actual)),
                          make_diff(exp_text, act_text, *names), images)
