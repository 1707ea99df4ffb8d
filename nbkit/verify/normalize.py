"""Output normalisation: a pipeline of small named steps, each switchable in configuration.

A cell's outputs (stored or fresh) become a list of :class:`Item` s, one per stream, per
mime type of a display/result, or per error, with the noise taken out.  The steps, in
order (names as in ``[tool.nbkit.verify] normalizers``):

- ``execution-count`` / ``output-metadata``: dropped (they change with every run);
- ``coalesce-streams``: consecutive stream outputs of the same name become one;
- ``carriage-returns``: ``\\r`` and ``\\b`` applied like a terminal, so a progress bar
  keeps only its last state;
- ``html-via-text``: a rich repr (HTML, JavaScript, widget views, vendor JSON) that has a
  ``text/plain`` sibling is compared through that sibling;
- ``error-traceback``: errors compared by exception name and message;
- text masks ``ansi``, ``durations``, ``timestamps``, ``memory-addresses``, ``temp-paths``,
  then the user's ``sanitizers``.

``numbers`` (tolerance) and ``images`` (decoded pixels) act in :mod:`nbkit.verify.compare`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import tempfile
from dataclasses import dataclass

from .sanitize import apply_sanitizers
from .settings import VerifySettings


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
# text masks: each is (name, function str -> str)

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


def _temp_path_regex() -> re.Pattern:
    roots = {"/tmp", "/var/tmp", "/var/folders", "/private/var/folders", tempfile.gettempdir()}
    alts = "|".join(sorted((re.escape(r.rstrip("/\\")) for r in roots if r), key=len, reverse=True))
    return re.compile(rf"(?:{alts})(?:[/\\][^\s'\"),;:\]}}>]*)?")


_TEMP = _temp_path_regex()


def mask_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def mask_durations(text: str) -> str:
    text = _TQDM.sub("[<duration>]", text)
    text = _RATE.sub("<rate>", text)
    text = _LOOPS.sub("<loops>", text)
    return _DURATION.sub("<duration>", text)


def mask_timestamps(text: str) -> str:
    return _TS_TIME.sub("<time>", _TS_DATETIME.sub("<timestamp>", text))


def mask_addresses(text: str) -> str:
    return _ADDRESS.sub("0x<address>", text)


def mask_temp_paths(text: str) -> str:
    return _TEMP.sub("<tmp>", text)


TEXT_MASKS = (
    ("ansi", mask_ansi),
    ("durations", mask_durations),
    ("timestamps", mask_timestamps),
    ("memory-addresses", mask_addresses),
    ("temp-paths", mask_temp_paths),
)

_BACKSPACE = re.compile(r"[^\n\x08]\x08")
_CR = re.compile(r"[^\n]*\r(?=[^\n])")


def apply_carriage_returns(text: str) -> str:
    """What a terminal shows: ``\\r`` rewinds the line, ``\\b`` deletes a character."""
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


_DIGIT_MASKS = {"durations", "timestamps", "memory-addresses"}


def has_digit(text: str) -> bool:
    """Fast (C-speed substring search) test that lets digit-based masks skip huge outputs."""
    return any(d in text for d in "0123456789")


def mask_text(text: str, settings: VerifySettings) -> str:
    digits = has_digit(text)
    for name, fn in TEXT_MASKS:
        if settings.on(name) and (digits or name not in _DIGIT_MASKS):
            text = fn(text)
    if settings.sanitizers and settings.on("sanitizers"):
        text = apply_sanitizers(text, settings.sanitizers)
    return text


# ---------------------------------------------------------------------------------------
# outputs -> items

def _join(v) -> str:
    if isinstance(v, list):
        return "".join(str(x) for x in v)
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True)


_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_RICH_PREFIXES = ("text/html", "application/javascript", "application/vnd.")


def _decode_image(v) -> bytes | None:
    try:
        return base64.b64decode(re.sub(r"\s+", "", _join(v)))
    except (binascii.Error, ValueError):
        return None


def _coalesce(outputs: list[dict]) -> list[dict]:
    """Each run of consecutive stream outputs becomes one stdout then one stderr output:
    how stdout and stderr interleave is up to the operating system, not the notebook."""
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


def normalize_outputs(outputs: list, settings: VerifySettings) -> list[Item]:
    """The comparable items of one cell's outputs, in order, with the noise taken out."""
    outs = [o for o in (outputs or []) if isinstance(o, dict)]
    if settings.on("coalesce-streams"):
        outs = _coalesce(outs)
    items: list[Item] = []
    for o in outs:
        otype = o.get("output_type")
        if otype == "stream":
            text = _join(o.get("text", ""))
            if settings.on("carriage-returns"):
                text = apply_carriage_returns(text)
            items.append(Item("stream", str(o.get("name", "stdout")), mask_text(text, settings)))
        elif otype in ("display_data", "execute_result", "update_display_data"):
            data = o.get("data") if isinstance(o.get("data"), dict) else {}
            mimes = sorted(data)
            if settings.on("html-via-text") and "text/plain" in data:
                mimes = [m for m in mimes if not m.startswith(_RICH_PREFIXES)]
            if not settings.on("execution-count") and otype == "execute_result":
                items.append(Item("data", "execution_count", str(o.get("execution_count"))))
            if not settings.on("output-metadata") and o.get("metadata"):
                items.append(Item("data", "metadata", json.dumps(o.get("metadata"), sort_keys=True)))
            for mime in mimes:
                v = data[mime]
                if mime in _IMAGE_MIMES:
                    raw = _decode_image(v)
                    if raw is not None:
                        items.append(Item("data", mime, _image_label(raw), image=raw))
                        continue
                items.append(Item("data", mime, mask_text(_join(v), settings)))
        elif otype == "error":
            ename, evalue = str(o.get("ename", "")), str(o.get("evalue", ""))
            text = f"{ename}: {evalue}" if evalue else ename
            if not settings.on("error-traceback"):
                tb = "\n".join(str(t) for t in o.get("traceback", []) or [])
                text += "\n" + _ANSI.sub("", tb)
            items.append(Item("error", ename, mask_text(text, settings)))
    return items


def _image_label(raw: bytes) -> str:
    import hashlib

    size = ""
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        w, h = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
        size = f"{w}x{h}, "
    return f"<image {size}{len(raw):,} bytes, sha1 {hashlib.sha1(raw).hexdigest()[:10]}>"
