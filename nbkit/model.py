"""The notebook model: a read-only view of an nbformat-4 notebook for rules and reports.

Loading is deliberately hand-rolled rather than done by :mod:`nbformat`, so that ``nbkit lint``
starts fast; nbformat is imported only to upgrade an nbformat-3 file.  The JSON is read by
msgspec, about twice as fast as :mod:`json`; json reads what msgspec refuses, and words every
error.
Every loading problem becomes a :class:`~nbkit.errors.NotebookError` with one clear line.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import is_
from .lazy import cached_property
from typing import Any, Callable, Iterator

from .errors import NotebookError
from .ipysyntax import parse_cell

CELL_TYPES = ("code", "markdown", "raw")


def multiline_text(value: Any) -> str:
    """An nbformat multiline string (a string or a list of strings) as one string; list items
    that are not strings are skipped and any other value is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return "".join(value)  # the usual case: every item a string (joined in C)
        except TypeError:
            return "".join(v for v in value if isinstance(v, str))
    return ""


def _join(source: Any) -> str:
    """A cell's ``source``, which must be a string or a list of strings."""
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(source)  # TypeError when an item is not a string
    raise TypeError("source must be a string or a list of strings")


@dataclass(frozen=True)
class Heading:
    """A markdown heading: the cell it is in, its level (1-6), its text and line (1-based)."""

    cell_index: int
    level: int
    text: str
    line: int

    @property
    def key(self) -> str:
        return normalise_heading(self.text)


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")  # a fenced code block opens or closes
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HTML_H = re.compile(r"<h([1-3])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_NUMBERING = re.compile(
    r"^(?:(?:\d+(?:\.\d+)*|[ivxlcdm]+|[a-z])[.)]|\d+(?:\.\d+)+|\d+)\s+", re.IGNORECASE
)
_MD_DECOR = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")
_NON_TEXT = re.compile(r"[^\w\s;:&'?/-]", re.UNICODE)


@lru_cache(maxsize=4096)  # a pure function of the text; layout rules ask for each heading's key many times
def normalise_heading(text: str) -> str:
    """Lower-case heading text with numbering, emoji, markup and trailing ``:`` removed."""
    t = _TAGS.sub("", text)
    t = _MD_DECOR.sub(lambda m: m.group(1) or "", t)
    t = " ".join(t.split()).strip()
    t = _NUMBERING.sub("", t + " ").strip()
    t = _NON_TEXT.sub(" ", t)
    t = _NUMBERING.sub("", " ".join(t.split()) + " ").strip()  # numbering after an emoji
    t = t.rstrip(":").strip().lower()
    return " ".join(t.split())


def markdown_headings(source: str, cell_index: int) -> list[Heading]:
    """Headings in one markdown cell: ATX, setext and ``<h1>``-``<h3>``; fenced code ignored."""
    out: list[Heading] = []
    lines = source.splitlines()
    fence: str | None = None
    prev_text: str | None = None  # previous paragraph line (for setext)
    for i, line in enumerate(lines):
        # the first character after at most 3 spaces tells which of the patterns below can match
        # (a fence, an ATX heading, a setext underline): most lines are none, and skip them all
        s = line.lstrip(" ")
        lead = s[:1] if len(line) - len(s) <= 3 else ""
        m = FENCE.match(line) if lead == "`" or lead == "~" else None
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            prev_text = None
            continue
        if m:
            fence = m.group(1)
            prev_text = None
            continue
        m = _ATX.match(line) if lead == "#" else None
        if m:
            out.append(Heading(cell_index, len(m.group(1)), (m.group(2) or "").strip(), i + 1))
            prev_text = None
            continue
        if (lead == "=" or lead == "-") and prev_text is not None:
            m = _SETEXT.match(line)
            if m:
                level = 1 if m.group(1)[0] == "=" else 2
                out.append(Heading(cell_index, level, prev_text.strip(), i))
                prev_text = None
                continue
        if line.strip() and not line.startswith("    ") and not line.lstrip().startswith(("-", "*", "+", ">", "|")):
            prev_text = line
        else:
            prev_text = None
        for hm in (_HTML_H.finditer(line) if "<" in line else ()):
            out.append(Heading(cell_index, int(hm.group(1)), _TAGS.sub("", hm.group(2)).strip(), i + 1))
    return out


@dataclass
class Cell:
    """One cell.  ``source`` is joined text."""

    index: int
    cell_type: str
    source: str
    id: str | None = None
    metadata: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)
    execution_count: int | None = None
    raw: dict = field(default_factory=dict, repr=False)
    # plain attributes, set once (the model is never changed): rules ask them ~1,000 times per
    # notebook, and a property is a Python call each time
    is_code: bool = field(init=False, repr=False, compare=False)
    is_markdown: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.is_code = self.cell_type == "code"
        self.is_markdown = self.cell_type == "markdown"

    @cached_property
    def tags(self) -> frozenset[str]:
        tags = self.metadata.get("tags", ()) if isinstance(self.metadata, dict) else ()
        return frozenset(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.source.strip()

    @cached_property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    @property
    def tree(self) -> ast.Module | None:
        """The cell's AST (None for non-code cells and cells that do not parse), parsed afresh on
        every call: lint and the rules read the parses of :class:`nbkit.analysis.Facts`."""
        return parse_cell(self.source).tree if self.is_code else None

    @cached_property
    def headings(self) -> list[Heading]:
        return markdown_headings(self.source, self.index) if self.is_markdown else []

    @property
    def label(self) -> str:
        """How reports name the cell: ``cell 5 (id c1f3)``."""
        return f"cell {self.index}" + (f" (id {self.id})" if self.id else "")


@dataclass
class Notebook:
    """A loaded notebook.  ``data`` is the JSON document as read (never mutated by rules)."""

    path: str
    data: dict
    cells: list[Cell]
    size: int = 0
    upgraded_from: int | None = None

    @property
    def metadata(self) -> dict:
        md = self.data.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def nbkit_metadata(self) -> dict:
        md = self.metadata.get("nbkit")
        return md if isinstance(md, dict) else {}

    @cached_property
    def code_cells(self) -> list[Cell]:
        return [c for c in self.cells if c.is_code]  # the model is never changed once loaded

    @cached_property
    def headings(self) -> list[Heading]:
        return [h for c in self.cells for h in c.headings]

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


_EMPTY: dict = {}  # "no such key" for raw.get (one lookup instead of `in` and a get); never changed


def _cell_from_json(i: int, raw: Any, path: str) -> Cell:
    if not isinstance(raw, dict):
        raise NotebookError(f"cell {i} is not a JSON object", path)
    ctype = raw.get("cell_type")
    if ctype is None:
        raise NotebookError(f"cell {i} has no 'cell_type'", path)
    if ctype not in CELL_TYPES:
        raise NotebookError(f"cell {i} has unknown cell_type {ctype!r}", path)
    source = raw.get("source", _EMPTY)
    if source is _EMPTY:
        raise NotebookError(f"cell {i} has no 'source'", path)
    if type(source) is not str:
        try:
            source = _join(source)
        except TypeError:
            raise NotebookError(f"cell {i}: 'source' must be a string or a list of strings", path) from None
    metadata = raw.get("metadata", _EMPTY)
    if metadata is _EMPTY:
        metadata = {}
    elif not isinstance(metadata, dict):
        raise NotebookError(f"cell {i}: 'metadata' must be an object", path)
    if ctype == "code":
        outputs = raw.get("outputs", _EMPTY)
        if outputs is _EMPTY:
            outputs = []
        elif not isinstance(outputs, list):
            raise NotebookError(f"cell {i}: 'outputs' must be a list", path)
        else:
            outputs = [o for o in outputs if isinstance(o, dict)]
        count = raw.get("execution_count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            raise NotebookError(f"cell {i}: 'execution_count' must be an integer or null", path)
    else:
        outputs = []
        count = None
    cid = raw.get("id")
    return Cell(i, ctype, source, cid if isinstance(cid, str) else None, metadata, outputs, count, raw)


def parse_notebook(text: str | bytes, path: str = "<notebook>") -> Notebook:
    """Parse notebook JSON (text or bytes) into a :class:`Notebook`, or raise NotebookError."""
    if isinstance(text, bytes):
        size = len(text)
        # (isspace, not strip: strip copies the whole file to find out; the same whitespace)
        if not text or text.isspace():
            raise NotebookError("empty file, not a notebook", path)
        data = _fast_document(memoryview(text)[3:] if text.startswith(b"\xef\xbb\xbf") else text)
        if data is not _UNREAD:
            return notebook_from_dict(data, path, size=size)
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise NotebookError(
                f"not UTF-8 text (invalid byte 0x{text[e.start]:02x} at offset {e.start})", path
            ) from None
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if not text or text.isspace():
        raise NotebookError("empty file, not a notebook", path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise NotebookError(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})", path) from None
    except RecursionError:
        raise NotebookError(f"JSON nested too deeply (nbkit reads at most {MAX_DEPTH} levels)", path) from None
    except ValueError as e:  # an integer past Python's int_max_str_digits (4300 digits)
        if "digits" not in str(e):
            raise
        raise NotebookError(f"contains an integer longer than {sys.get_int_max_str_digits()} digits, which nbkit "
                            "cannot read", path) from None
    _check_readable(data, text, path)
    return notebook_from_dict(data, path, size=size)


MAX_DEPTH = 200  # deeper JSON is refused: copying, comparing and writing it would exhaust the stack

_UNREAD = object()  # (_fast_document: the standard library's reader has to read it)
_msgspec_decode: Callable[[bytes | memoryview], Any] | None
try:  # msgspec's JSON reader is about twice as fast as json's (docs/benchmarks-json.md)
    from msgspec import DecodeError as _DecodeError  # (its ValidationError, numbers out of range, is one)
    from msgspec.json import Decoder as _Decoder

    _msgspec_decode = _Decoder().decode
except ImportError:  # pragma: no cover - a dependency; without it json reads every notebook
    _msgspec_decode = None


def _fast_document(data: bytes | memoryview) -> Any:
    """The JSON document in ``data`` (UTF-8, its byte order mark already cut off) as
    :func:`json.loads` would give it, read by msgspec; ``_UNREAD`` when the standard library's
    reader has to read it: msgspec is missing, refuses the document, or the document is deeper
    than nbkit reads.

    msgspec (0.23, the version pyproject.toml asks for at least; older ones read some 65-bit
    integers wrongly, msgspec PR #751) reads the documents json reads, to the same values,
    except for some it refuses that json takes (``NaN``, numbers past a float's range, escaped
    lone surrogates, ...): json reads those and words every problem, as before
    (tests/test_json_reader.py compares the two paths).  One difference is left: msgspec needs
    a few fewer frames of recursion headroom than json, so a document of 200 levels or fewer that json
    could not read because the caller was already hundreds of frames deep is read."""
    if _msgspec_decode is None:
        return _UNREAD
    try:
        doc = _msgspec_decode(data)
    except (_DecodeError, ValueError, RecursionError):  # (ValueError: bad UTF-8 in some versions)
        return _UNREAD
    # (no lone surrogate can be in it: msgspec refuses them, as invalid UTF-8 or unpaired escapes)
    return doc if _depth(doc) <= MAX_DEPTH else _UNREAD


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _depth(data: Any) -> int:
    """How deeply ``data`` (a document as :func:`json.loads` gives it: dicts, lists and scalars of
    exactly those types) nests, one level at a time (no recursion limit; stops past
    :data:`MAX_DEPTH`).  Each level is gathered by C loops (itertools): most of a notebook's
    values are strings in lists (source lines, output text), and a list that ``"".join`` takes
    holds nothing deeper; the items of the other containers are sorted by type."""
    dicts = [data] if type(data) is dict else []
    lists = [data] if type(data) is list else []
    d = 0
    join = "".join
    while dicts or lists:
        d += 1
        if d > MAX_DEPTH:
            return d
        mixed = []
        for value in lists:
            try:
                join(value)
            except TypeError:
                mixed.append(value)
        items = [*chain.from_iterable(map(dict.values, dicts)), *chain.from_iterable(mixed)]
        types = list(map(type, items))
        dicts = list(compress(items, map(is_, types, repeat(dict))))
        lists = list(compress(items, map(is_, types, repeat(list))))
    return d


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate (``\\ud800``) in ``value``'s strings, escaped, or None."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return None
    except UnicodeEncodeError as e:
        return ascii(e.object[e.start])[1:-1]


def _check_readable(data: Any, text: str, path: str) -> None:
    """Refuse JSON nbkit could parse but not process: nesting past :data:`MAX_DEPTH`, lone
    surrogates (``\\ud800`` escaped in the JSON: not Unicode text, so no report, kernel or file
    can carry it)."""
    if _depth(data) > MAX_DEPTH:
        raise NotebookError(f"JSON nested too deeply (more than {MAX_DEPTH} levels; nbkit reads at most "
                            f"{MAX_DEPTH})", path)
    if not _ESCAPED_SURROGATE.search(text) or _lone_surrogate(data) is None:
        return
    cells = data.get("cells") if isinstance(data, dict) else None
    for i, cell in enumerate(cells if isinstance(cells, list) else []):
        bad = _lone_surrogate(cell)
        if bad:
            cid = cell.get("id") if isinstance(cell, dict) else None
            where = "its source" if _lone_surrogate(cell.get("source") if isinstance(cell, dict) else None) \
                else "its outputs or metadata"
            raise NotebookError(f"cell {i}{f' (id {cid})' if isinstance(cid, str) else ''} contains a lone "
                                f"surrogate ({bad} in {where}), which is not Unicode text: it cannot be "
                                "reported, written or sent to a kernel; replace it with the character meant",
                                path)
    raise NotebookError(f"contains a lone surrogate ({_lone_surrogate(data)}), which is not Unicode text: it "
                        "cannot be reported or written; replace it with the character meant", path)


def notebook_from_dict(data: Any, path: str = "<notebook>", size: int = 0) -> Notebook:
    """Build the model from an already-parsed JSON document."""
    if not isinstance(data, dict):
        raise NotebookError(f"JSON {type(data).__name__} is not a notebook (expected an object)", path)
    major = data.get("nbformat")
    upgraded = None
    if major is None:
        if "worksheets" in data:
            major = 3
        else:
            raise NotebookError("not a notebook: no 'nbformat' key", path)
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotebookError(f"not a notebook: 'nbformat' is {major!r}, expected an integer", path)
    if major == 3:
        data = _upgrade_v3(data, path)
        upgraded = 3
    elif major < 3:
        raise NotebookError(f"nbformat {major} is too old; open and save it in Jupyter to upgrade it", path)
    elif major > 4:
        raise NotebookError(f"nbformat {major} is newer than nbkit understands (4)", path)
    cells_raw = data.get("cells")
    if cells_raw is None:
        raise NotebookError("not a notebook: no 'cells' key", path)
    if not isinstance(cells_raw, list):
        raise NotebookError("not a notebook: 'cells' must be a list", path)
    if "metadata" in data and not isinstance(data["metadata"], dict):
        raise NotebookError("not a notebook: 'metadata' must be an object", path)
    cells = [_cell_from_json(i, c, path) for i, c in enumerate(cells_raw)]
    return Notebook(path=path, data=data, cells=cells, size=size, upgraded_from=upgraded)


def _upgrade_v3(data: dict, path: str) -> dict:
    try:
        import nbformat
        from nbformat.v4 import upgrade
    except ImportError:  # pragma: no cover - nbformat is a dependency
        raise NotebookError("nbformat 3 notebook; upgrade it with `jupyter nbconvert --to notebook`", path) from None
    try:
        nb3 = nbformat.from_dict(data)
        nb4 = upgrade(nb3, from_version=3, from_minor=data.get("nbformat_minor", 0))
        return json.loads(json.dumps(nb4))
    except Exception as e:  # noqa: BLE001 - any failure of the converter is an input problem
        raise NotebookError(f"nbformat 3 notebook that could not be upgraded ({e.__class__.__name__}: {e})", path) from None


def read_bytes(path: str | os.PathLike) -> bytes:
    """The raw bytes of the notebook file at ``path`` (NotebookError when it cannot be read)."""
    p = os.fspath(path)
    try:  # (open first, and find out why only when it fails: no stat calls, no Path, for a notebook read)
        with open(p, "rb") as f:
            return f.read()
    except OSError as e:
        if not os.path.exists(p):
            raise NotebookError("no such file or directory", p) from None
        if os.path.isdir(p):
            raise NotebookError("is a directory, not a notebook", p) from None
        raise NotebookError(f"cannot read file ({e.strerror or e})", p) from None


def load(path: str | os.PathLike) -> Notebook:
    """Read and parse the notebook file at ``path``."""
    p = os.fspath(path)
    return parse_notebook(read_bytes(p), p)
