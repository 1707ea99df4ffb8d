"""Output normalisation: an ordered registry of small named steps, each switchable in configuration.

A cell's outputs (stored or fresh) become a list of :class:`Item` s, one per stream, per
mime type of a display/result, or per error, with the noise taken out.  Each step is a
function registered with :func:`normaliser` under the name that ``[tool.nbkit.verify]
normalizers`` switches; within a stage, steps run in registry order (nbconvert-preprocessor
style).  The stages, in pipeline order:

- ``outputs`` (the cell's output list -> output list): ``guard-warnings``, ``coalesce-streams``;
- ``output`` (each output -> output): ``execution-count``, ``output-metadata`` and
  ``error-traceback`` drop what changes with every run;
- ``stream`` (stream text -> text): ``carriage-returns``, so a progress bar keeps only its
  last state;
- ``mimes`` (a display's mime types -> the ones compared): ``html-via-text``, ``image-via-text``;
- ``text`` (every text -> text): the masks ``ansi``, ``durations``, ``timestamps``,
  ``memory-addresses``, ``temp-paths``, then the user's ``sanitizers``;
- ``compare``: ``numbers`` (tolerance), ``images`` (decoded pixels, then structure) and
  ``repr-drift`` (:func:`repr_drift`: the same value printed by a newer library) act in
  :mod:`nbkit.verify.compare`; they are registered here so they are named and switched like
  the rest.

Adding a normaliser: write the step, decorate it with ``@normaliser(name, stage)`` (its
docstring's first line is its summary), and document the name in docs/verify.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .sanitize import apply_sanitizers

if TYPE_CHECKING:
    from .settings import VerifySettings

STAGES = ("outputs", "output", "stream", "mimes", "text", "compare")


@dataclass
class Item:
    """One comparable piece of a cell's output."""

    kind: str  # "stream" | "data" | "error"
    name: str  # stdout / stderr; a mime type; the exception name
    text: str = ""
    image: bytes | None = None  # raw PNG/JPEG bytes for image/png, image/jpeg

    @property
    def mime(self) -> str:
        if self.kind == "data":
            return self.name
        if self.kind == "error":
            return "application/vnd.jupyter.error"
        return "text/plain"

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name

    @property
    def label(self) -> str:
        if self.kind == "stream":
            return self.name
        if self.kind == "error":
            return "error"
        return self.name

    def render(self) -> str:
        """How the item reads in a diff."""
        if self.image is not None:
            return f"[{self.name}] {self.text}\n"
        if self.kind == "error":
            return f"[error] {self.text}\n"
        body = self.text if self.text.endswith("\n") or not self.text else self.text + "\n"
        return f"[{self.label}]\n{body}"


# ---------------------------------------------------------------------------------------
# the registry

@dataclass(frozen=True)
class Normaliser:
    """One registered step: its configuration name, its stage, and its function (in the
    ``compare`` stage a marker only: :mod:`nbkit.verify.compare` applies those)."""

    name: str
    stage: str
    step: Callable[..., Any]
    summary: str
    digits_only: bool = False  # a text mask that only matches digits: skipped on digit-free text


_REGISTRY: dict[str, Normaliser] = {}


def normaliser(name: str, stage: str, *, digits_only: bool = False):
    """Register the decorated function as step ``name`` of ``stage``, after those before it."""
    if stage not in STAGES:
        raise ValueError(f"unknown normaliser stage {stage!r}")

    def deco(fn):
        if name in _REGISTRY:
            raise RuntimeError(f"normaliser {name} registered twice")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        _REGISTRY[name] = Normaliser(name, stage, fn, summary, digits_only)
        return fn

    return deco


def registered() -> tuple[Normaliser, ...]:
    """Every normaliser, in registry order."""
    return tuple(_REGISTRY.values())


def steps(stage: str, settings: VerifySettings) -> list[Normaliser]:
    """The steps of ``stage`` that ``settings`` leave switched on, in order."""
    return [n for n in _REGISTRY.values() if n.stage == stage and settings.on(n.name)]


# ---------------------------------------------------------------------------------------
# the steps, in registry order

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_TS_DATETIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?Z|\s?[+-]\d{2}:?\d{2}|\s?UTC)?\b")
_TS_TIME = re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b")
_TQDM = re.compile(r"\[\d+:\d{2}(?::\d{2})?<(?:\d+:\d{2}(?::\d{2})?|\?)(?:,[^\]\n]*)?\]")
_RATE = re.compile(r"\b\d+(?:\.\d+)?\s?(?:[kMG]?it|[kMG]?B|s)/s\b|\?it/s")
_DURATION = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|µs|μs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|hours?|hrs?|h)\b"
    r"(?:\s?±\s?\d+(?:\.\d+)?\s?(?:ns|µs|μs|us|ms|s))?")
_LOOPS = re.compile(r"\b[\d,]+ loops? each\b|\b\d+ runs?,")


#: directories a run makes for itself under a temp root: mkdtemp's ``tmpXXXXXXXX``, ipykernel's cell
#: files, pytest's ``pytest-of-USER``, nbkit's own; anything else under /tmp (a virtualenv, a
#: library) is a real path and stays
_OWN_TEMP_DIRS = r"(?:tmp[\w-]{4,}|ipykernel_\d+|pytest-of-[^/\\\s]+|nbkit-[\w-]+)"


def _temp_path_regex() -> re.Pattern:
    roots = {"/tmp", "/var/tmp", tempfile.gettempdir()}
    alts = "|".join(sorted((re.escape(r.rstrip("/\\")) for r in roots if r), key=len, reverse=True))
    rest = r"(?:[/\\][^\s'\"),;:\]}}>]*)?"
    # macOS's per-user temp folders are all the run's own
    return re.compile(rf"(?:(?:{alts})[/\\]{_OWN_TEMP_DIRS}|(?:/private)?/var/folders){rest}")


_TEMP = _temp_path_regex()


_BACKSPACE = re.compile(r"[^\n\x08]\x08")
_CR = re.compile(r"[^\n]*\r(?=[^\n])")


_DROPPED = object()  # what an ``output`` step leaves in place of a field it drops


@normaliser("execution-count", "output")
def drop_execution_count(o: dict) -> dict:
    """drop execution counts"""
    return {**o, "execution_count": _DROPPED} if o.get("output_type") == "execute_result" else o


@normaliser("output-metadata", "output")
def drop_output_metadata(o: dict) -> dict:
    """drop output metadata"""
    return {**o, "metadata": _DROPPED} if "metadata" in o else o


@normaliser("guard-warnings", "outputs")
def drop_guard_warnings(outputs: list[dict]) -> list[dict]:
    """drop `%nbkit guard` warnings

    The guard's advisories (displays tagged ``metadata.nbkit.guard``) depend on the session's
    history and on the saved notebook the front end had, not on what the cell computes."""
    def advisory(o: dict) -> bool:
        md = o.get("metadata")
        nb = md.get("nbkit") if isinstance(md, dict) else None
        return o.get("output_type") == "display_data" and isinstance(nb, dict) and "guard" in nb

    return [o for o in outputs if not advisory(o)]


@normaliser("coalesce-streams", "outputs")
def coalesce_streams(outputs: list[dict]) -> list[dict]:
    """join consecutive stream outputs of the same name

    Each run of consecutive stream outputs becomes one stdout then one stderr output: how
    stdout and stderr interleave is up to the operating system, not the notebook."""
    out: list[dict] = []
    run: dict[str, list[str]] = {}

    def flush():
        for name in sorted(run, key=lambda n: (n != "stdout", n)):
            out.append({"output_type": "stream", "name": name, "text": "".join(run[name])})
        run.clear()

    for o in outputs:
        if o.get("output_type") == "stream":
            run.setdefault(str(o.get("name", "stdout")), []).append(_join(o.get("text", "")))
        else:
            flush()
            out.append(o)
    flush()
    return out


@normaliser("carriage-returns", "stream")
def apply_carriage_returns(text: str) -> str:
    """apply \\r and \\b like a terminal (progress bars): \\r rewinds the line, \\b deletes a character"""
    if "\r" not in text and "\x08" not in text:
        return text
    text = text.replace("\r\n", "\n")
    while "\x08" in text:
        new = _BACKSPACE.sub("", text)
        if new == text:
            text = text.replace("\x08", "")
            break
        text = new
    text = _CR.sub("", text)
    return text.replace("\r", "")


_RICH_PREFIXES = ("text/html", "application/javascript", "application/vnd.")


@normaliser("html-via-text", "mimes")
def html_via_text(data: dict, mimes: list[str]) -> list[str]:
    """compare text/html (and widget views) through their text/plain sibling"""
    if "text/plain" not in data:
        return mimes
    return [m for m in mimes if not m.startswith(_RICH_PREFIXES)]


_TEXT_RENDERED = ("text/latex", "text/markdown")


@normaliser("image-via-text", "mimes")
def image_via_text(data: dict, mimes: list[str]) -> list[str]:
    """compare a formula through its text/latex (or text/markdown), not its PNG rendering

    A display that carries text/latex or text/markdown next to an image (SymPy's printing) is
    compared by that text: the image is a rendering of it, and a renderer (LaTeX, fonts) that
    differs, or is missing, changes the pixels, not the output."""
    if not any(m in data for m in _TEXT_RENDERED):
        return mimes
    return [m for m in mimes if m not in _IMAGE_MIMES]


@normaliser("error-traceback", "output")
def drop_traceback(o: dict) -> dict:
    """compare errors by exception name and message, not traceback"""
    return {**o, "traceback": _DROPPED} if o.get("output_type") == "error" else o


@normaliser("ansi", "text")
def mask_ansi(text: str, settings: VerifySettings | None = None) -> str:
    """strip ANSI colour codes"""
    return _ANSI.sub("", text) if "\x1b" in text else text


@normaliser("durations", "text", digits_only=True)
def mask_durations(text: str, settings: VerifySettings | None = None) -> str:
    """1.23 s, 12ms, [00:01<00:00, 99.1it/s] -> <duration>"""
    text = _TQDM.sub("[<duration>]", text)
    text = _RATE.sub("<rate>", text)
    text = _LOOPS.sub("<loops>", text)
    return _DURATION.sub("<duration>", text)


@normaliser("timestamps", "text", digits_only=True)
def mask_timestamps(text: str, settings: VerifySettings | None = None) -> str:
    """2026-11-26T20:00:00Z, 20:00:01 -> <timestamp>, <time>"""
    return _TS_TIME.sub("<time>", _TS_DATETIME.sub("<timestamp>", text))


@normaliser("memory-addresses", "text", digits_only=True)
def mask_addresses(text: str, settings: VerifySettings | None = None) -> str:
    """0x7f3a2c... -> 0x<address>"""
    return _ADDRESS.sub("0x<address>", text)


_CELL_NAMES = re.compile(
    r"(?:[/\\][^\s'\"(),:]*[/\\]ipykernel_\d+[/\\]|\b)\d{5,12}\.py\b"   # /tmp/ipykernel_123/3311942670.py
    r"|<ipython-input-\d+-[0-9a-f]+>"                                  # IPython < 8
    r"|<cell>")                                                         # IPYKERNEL_CELL_NAME=<cell>
_CELL_IN = re.compile(r"\bCell In\[\d+\]")


@normaliser("cell-names", "text")
def mask_cell_names(text: str, settings: VerifySettings | None = None) -> str:
    """IPython's cell file names (``/tmp/ipykernel_1/3311942670.py``, ``<ipython-input-2-ab>``,
    ``<cell>``) -> ``<cell>``, ``Cell In[7]`` -> ``Cell In[N]``"""
    if "py" not in text and "<" not in text and "Cell In" not in text:
        return text
    return _CELL_IN.sub("Cell In[N]", _CELL_NAMES.sub("<cell>", text))


@normaliser("temp-paths", "text")
def mask_temp_paths(text: str, settings: VerifySettings | None = None) -> str:
    """/tmp/tmpab12cd/... -> <tmp>/... (only the run's own temp folders, not e.g. a venv under /tmp)"""
    return _TEMP.sub("<tmp>", text)


@normaliser("sanitizers", "text")
def sanitize(text: str, settings: VerifySettings | None = None) -> str:
    """the user's regex sanitisers"""
    return apply_sanitizers(text, settings.sanitizers) if settings is not None and settings.sanitizers else text


@normaliser("numbers", "compare")
def _numbers_with_tolerance() -> None:
    """numbers inside text compared with the relative tolerance rtol"""


@normaliser("images", "compare")
def _images_by_pixels() -> None:
    """images compared by decoded pixels, then by structure across re-rendering and size/dpi changes"""


@normaliser("repr-drift", "compare")
def _repr_drift() -> None:
    """the same value printed differently by a newer library (numpy 2 scalars, scipy sparse, matplotlib objects): a match with a note"""


# each: (note, a substring one of the texts must hold, [(pattern, replacement)]), applied to both
# texts only when they differ; the replacement keeps the value (np.int64(9) -> 9) and drops only
# the wrapper or padding a library added
_ADDR = r"0x(?:<address>|[0-9a-fA-F]+)"
_PAREN = r"(?:[^()]|\((?:[^()]|\([^()]*\))*\))*"  # text with balanced parentheses, two levels deep
_REPR_STEPS: list[tuple[str, str, list[tuple[re.Pattern, str]]]] = [
    ("numpy 2 scalar repr", "np.", [
        (re.compile(rf"\bnp\.void\((\({_PAREN}\)), dtype={_PAREN}\)"), r"\1"),
        (re.compile(r"\bnp\.(?:float|int|uint|complex|bool|str|bytes|longdouble|clongdouble)(?:\d+|_)?"
                    rf"\(({_PAREN})\)"), r"\1"),
        (re.compile(r"\bnp\.(True|False)_\b"), r"\1"),
    ]),
    # numpy 1.14 stopped padding array elements for a minus sign and wraps lines elsewhere:
    # array([  1.5,  -2. ]) -> array([ 1.5, -2. ]); only the layout is dropped, every value stays
    ("numpy array repr spacing", "array(", [(re.compile(r"\s+"), " "), (re.compile(r" ?, ?"), ", "),
                                            (re.compile(r"([\[(]) "), r"\1"), (re.compile(r" ([\])])"), r"\1")]),
    ("numpy float repr (0. vs 0.0)", "", [(re.compile(r"(?<![\w.])(\d+)\.(?![\d\w])"), r"\1.0")]),
    # SymPy < 1.4 wrapped its LaTeX in $$...$$ (display maths) and printed booleans with \mathrm;
    # SymPy < 1.5 wrote \left ( and \right )
    ("sympy latex repr", "$", [
        (re.compile(r"^\$\$(.*)\$\$$", re.S), r"$\\displaystyle \1$"),
        (re.compile(r"\\mathrm\{(True|False)\}"), r"\\text{\1}"),
        (re.compile(r"\\left \("), r"\\left("), (re.compile(r"\\right \)"), r"\\right)"),  # SymPy < 1.5
    ]),
    # IPython 6 changed %timeit's report (the durations are masked already)
    ("IPython timeit format", "per loop", [
        (re.compile(r"(?:The slowest run took [^\n]*\n)?(?:<loops>|[\d,]+ loops?), best of \d+: <duration> per loop"),
         "<timeit> per loop"),
        (re.compile(r"<duration> per loop \(mean ± std\. dev\. of [^)\n]*\)"), "<timeit> per loop"),
    ]),
    ("scipy sparse repr", "sparse", [
        (re.compile(r"<(\d+)x(\d+) sparse (matrix|array) of type '<class 'numpy\.(\w+)'>'\s+"
                    r"with (\d+) stored elements in ([\w ]+?) format>"),
         r"<\6 sparse \3 of dtype '\4' with \5 stored elements and shape (\1, \2)>"),
        (re.compile(r"<([\w ]+?) sparse (matrix|array) of dtype '(\w+)'\s+with (\d+) stored elements "
                    r"and shape \((\d+), (\d+)\)>"),
         r"<\1 sparse \2 of dtype '\3' with \4 stored elements and shape (\5, \6)>"),
    ]),
    ("matplotlib object repr", "", [
        (re.compile(rf"<matplotlib\.axes\.[\w.]*? at {_ADDR}>"), "<matplotlib Axes>"),
        (re.compile(r"<(?:Polar)?Axes(?:3D)?(?:Subplot)?:[^<>\n]*>"), "<matplotlib Axes>"),
        (re.compile(rf"<matplotlib\.text\.(?:Text|Annotation) at {_ADDR}>"), "<matplotlib Text>"),
        (re.compile(r"\b(?:Text|Annotation)\([-+\w.]+, [-+\w.]+, (?:'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")\)"),
         "<matplotlib Text>"),
        (re.compile(rf"<matplotlib\.figure\.Figure at {_ADDR}>"), "<matplotlib Figure>"),
        (re.compile(r"<Figure size \d+(?:\.\d+)?x\d+(?:\.\d+)? with \d+ Axes>"), "<matplotlib Figure>"),
        (re.compile(r"<(?:Bar)?Container object of (\d+) artists>"), r"<matplotlib container of \1 artists>"),
    ]),
]


def _rewrite(text: str, subs: list[tuple[re.Pattern, str]]) -> str:
    for pattern, repl in subs:
        for _ in range(5):  # nested reprs, e.g. a tuple of numpy scalars inside a numpy void
            new = pattern.sub(repl, text)
            if new == text:
                break
            text = new
    return text


def repr_drift(expected: str, actual: str, same: Callable[[str, str], bool]) -> str | None:
    """When ``expected`` and ``actual`` print the same values and differ only by how a library
    prints them (``np.int64(9)`` vs ``9``, an old and a new scipy sparse or matplotlib repr), the
    note naming it ("numpy 2 scalar repr"); None when a value, a type or anything else differs.

    Only the wrappers are rewritten, on both sides alike, and the rewritten texts must then be
    ``same`` (the caller's comparison, with its number tolerance): ``np.int64(9)`` vs ``10``
    still differs.  The note names only the rewrites the match needs."""
    if len(expected) + len(actual) > 1_000_000:
        return None
    texts = {}
    for note, needs, subs in _REPR_STEPS:
        if needs not in expected and needs not in actual:  # a cheap test before the regexes
            continue
        e, a = _rewrite(expected, subs), _rewrite(actual, subs)
        if (e, a) != (expected, actual):
            texts[note] = subs
    if not texts:
        return None

    def matches(notes) -> bool:
        e, a = expected, actual
        for n in notes:
            e, a = _rewrite(e, texts[n]), _rewrite(a, texts[n])
        return same(e, a)

    chosen = list(texts)
    if not matches(chosen):
        return None
    for n in list(chosen):
        if len(chosen) > 1 and matches([c for c in chosen if c != n]):
            chosen.remove(n)
    return "; ".join(chosen)


def has_digit(text: str) -> bool:
    """Fast (C-speed substring search) test that lets digit-based masks skip huge outputs."""
    return any(d in text for d in "0123456789")


def mask_text(text: str, settings: VerifySettings, masks: list[Normaliser] | None = None) -> str:
    """``text`` through the ``text`` steps switched on (``masks``: those steps, looked up already)."""
    digits = has_digit(text)
    for n in steps("text", settings) if masks is None else masks:
        if digits or not n.digits_only:
            text = n.step(text, settings)
    return text


# ---------------------------------------------------------------------------------------
# outputs -> items

def _join(v) -> str:
    if isinstance(v, list):
        return "".join(str(x) for x in v)
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")


def _decode_image(v) -> bytes | None:
    try:
        return base64.b64decode(re.sub(r"\s+", "", _join(v)))
    except (binascii.Error, ValueError):
        return None


def normalize_outputs(outputs: list, settings: VerifySettings) -> list[Item]:
    """The comparable items of one cell's outputs, in order, with the noise taken out."""
    outs = [o for o in (outputs or []) if isinstance(o, dict)]
    for n in steps("outputs", settings):
        outs = n.step(outs)
    per_output, stream_steps = steps("output", settings), steps("stream", settings)
    mime_steps, masks = steps("mimes", settings), steps("text", settings)
    items: list[Item] = []
    for o in outs:
        for n in per_output:
            o = n.step(o)
        otype = o.get("output_type")
        if otype == "stream":
            text = _join(o.get("text", ""))
            for n in stream_steps:
                text = n.step(text)
            items.append(Item("stream", str(o.get("name", "stdout")), mask_text(text, settings, masks)))
        elif otype in ("display_data", "execute_result", "update_display_data"):
            data: dict = o["data"] if isinstance(o.get("data"), dict) else {}
            mimes = sorted(data)
            for n in mime_steps:
                mimes = n.step(data, mimes)
            count = o.get("execution_count")
            if otype == "execute_result" and count is not _DROPPED:
                items.append(Item("data", "execution_count", str(count)))
            metadata = o.get("metadata")
            if metadata is not _DROPPED and metadata:
                items.append(Item("data", "metadata", json.dumps(metadata, sort_keys=True)))
            for mime in mimes:
                v = data[mime]
                if mime in _IMAGE_MIMES:
                    raw = _decode_image(v)
                    if raw is not None:
                        items.append(Item("data", mime, _image_label(raw), image=raw))
                        continue
                items.append(Item("data", mime, mask_text(_join(v), settings, masks)))
        elif otype == "error":
            ename, evalue = str(o.get("ename", "")), str(o.get("evalue", ""))
            text = f"{ename}: {evalue}" if evalue else ename
            tb = o.get("traceback", [])
            if tb is not _DROPPED:
                text += "\n" + _ANSI.sub("", "\n".join(str(t) for t in tb or []))
            items.append(Item("error", ename, mask_text(text, settings, masks)))
    return items


def error_signatures(outputs: list, settings: VerifySettings) -> list[tuple[str, str]]:
    """The errors among ``outputs`` as (exception name, message with the ``text`` masks applied,
    e.g. IPython's cell file names): what makes a fresh error the same as a stored one."""
    return [(str(o.get("ename", "")), mask_text(_join(o.get("evalue", "")), settings))
            for o in outputs or [] if isinstance(o, dict) and o.get("output_type") == "error"]


def _image_label(raw: bytes) -> str:
    import hashlib

    size = ""
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        w, h = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
        size = f"{w}x{h}, "
    return f"<image {size}{len(raw):,} bytes, sha1 {hashlib.sha1(raw).hexdigest()[:10]}>"
