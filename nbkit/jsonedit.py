"""Change a JSON document's text by touching only the values that changed.

Re-serialising a whole notebook (even in its detected style) changes bytes nbkit does not own:
number spellings (``1e-05`` vs ``1e-5``), escapes (``\\/``, ``\\u00e9``), the order of keys,
CRLF line ends, a UTF-8 byte order mark.  So the writers edit the text instead: a small JSON
scanner finds the span of every value, unchanged values keep their text byte for byte, and only
what changed (a cell's source, an inserted or deleted cell, ``metadata.nbkit``) is serialised,
in the indentation, line ending, separators and escaping the file already uses.  The result is
parsed back and compared with what was meant; when an edit cannot be done that way (an unusual
layout) the whole document is written in the file's detected style instead, still with its
line ends and byte order mark.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonStyle", "detect_style", "dumps", "updated_document", "TextStyle", "text_style"]

_WS = " \t\r\n"
BOM = b"\xef\xbb\xbf"


@dataclass
class JsonStyle:
    indent: int | None = 1
    sort_keys: bool = True
    ensure_ascii: bool = False
    final_newline: bool = True


_INDENT = re.compile(rb"^\{\r?\n([ \t]+)\"")


def detect_style(raw: bytes | None) -> JsonStyle:
    """How the original file was serialised (nbformat's defaults when unknown)."""
    if not raw:
        return JsonStyle()
    m = _INDENT.match(raw)
    indent = len(m.group(1)) if m else (None if b"\n" not in raw.strip() else 1)
    try:
        data = json.loads(raw)
        keys = list(data) if isinstance(data, dict) else []
        sort_keys = keys == sorted(keys)
    except (ValueError, UnicodeDecodeError):
        sort_keys = True
    ensure_ascii = not any(b > 127 for b in raw) and b"\\u" in raw
    return JsonStyle(indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii,
                     final_newline=raw.endswith(b"\n"))


def dumps(data: dict, style: JsonStyle | None = None) -> bytes:
    style = style or JsonStyle()
    text = json.dumps(data, indent=style.indent, sort_keys=style.sort_keys, ensure_ascii=style.ensure_ascii,
                      separators=(",", ": ") if style.indent is not None else (",", ":"))
    if style.final_newline:
        text += "\n"
    return text.encode("utf-8")


class ScanError(ValueError):
    """The text does not have the shape the scanner expects (the caller falls back)."""


def ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def string_end(s: str, i: int) -> int:
    """``s[i]`` is an opening quote; the index just past the closing one."""
    i += 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        else:
            i += 1
    raise ScanError("unterminated string")


_SCALAR = re.compile(r"[^,\]}\s]+")


def value_end(s: str, i: int) -> int:
    """``s[i]`` starts a JSON value; the index just past it."""
    c = s[i]
    if c == '"':
        return string_end(s, i)
    if c in "{[":
        depth = 0
        n = len(s)
        while i < n:
            c = s[i]
            if c == '"':
                i = string_end(s, i)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ScanError("unterminated container")
    m = _SCALAR.match(s, i)
    if not m:
        raise ScanError(f"unexpected {c!r}")
    return m.end()


Member = tuple[str, int, int, int, int]  # key, key_start, key_end, value_start, value_end


def members(s: str, i: int) -> tuple[list[Member], int]:
    """Members of the object starting at ``s[i] == '{'`` and the index just past its ``}``."""
    if s[i] != "{":
        raise ScanError("not an object")
    out: list[Member] = []
    i = ws(s, i + 1)
    if s[i] == "}":
        return out, i + 1
    while True:
        if s[i] != '"':
            raise ScanError("expected a key")
        k_end = string_end(s, i)
        key = json.loads(s[i:k_end])
        j = ws(s, k_end)
        if s[j] != ":":
            raise ScanError("expected ':'")
        v_start = ws(s, j + 1)
        v_end = value_end(s, v_start)
        out.append((key, i, k_end, v_start, v_end))
        i = ws(s, v_end)
        if s[i] == ",":
            i = ws(s, i + 1)
            continue
        if s[i] == "}":
            return out, i + 1
        raise ScanError("expected ',' or '}'")


def elements(s: str, i: int) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each element of the array starting at ``s[i] == '['``, and the index
    just past its ``]``."""
    if s[i] != "[":
        raise ScanError("not an array")
    out: list[tuple[int, int]] = []
    i = ws(s, i + 1)
    if s[i] == "]":
        return out, i + 1
    while True:
        end = value_end(s, i)
        out.append((i, end))
        i = ws(s, end)
        if s[i] == ",":
            i = ws(s, i + 1)
            continue
        if s[i] == "]":
            return out, i + 1
        raise ScanError("expected ',' or ']'")


@dataclass
class TextStyle:
    """How the document's text is laid out (found in the text itself)."""

    unit: str | None  # one level of indentation; None: everything on one line
    nl: str  # "\n" or "\r\n"
    item_sep: str  # what follows a key (": ")
    sort_keys: bool
    ensure_ascii: bool

    def dumps(self, value: Any, prefix: str) -> str:
        """``value`` serialised to start on a line indented by ``prefix``."""
        if self.unit is None:
            return json.dumps(value, sort_keys=self.sort_keys, ensure_ascii=self.ensure_ascii,
                              separators=(",", self.item_sep))
        text = json.dumps(value, indent=self.unit, sort_keys=self.sort_keys, ensure_ascii=self.ensure_ascii,
                          separators=(",", self.item_sep))
        return text.replace("\n", self.nl + prefix)


def text_style(text: str) -> TextStyle:
    start = ws(text, 0)
    root, _ = members(text, start)
    lead = text[start + 1:root[0][1]] if root else ""
    unit = lead.split("\n")[-1] if "\n" in lead else None
    between = text[root[0][2]:root[0][3]] if root else ": "
    item_sep = between if between.strip() == ":" and "\n" not in between and "\r" not in between else ": "
    style = detect_style(text.encode("utf-8", "surrogatepass"))
    return TextStyle(unit or None, "\r\n" if "\r\n" in text else "\n", item_sep, style.sort_keys,
                     style.ensure_ascii)


def _line_prefix(text: str, i: int) -> str:
    """The leading whitespace of the line holding ``text[i]``."""
    line_start = text.rfind("\n", 0, i) + 1
    j = line_start
    while j < i and text[j] in " \t":
        j += 1
    return text[line_start:j]


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class _Editor:
    def __init__(self, text: str, style: TextStyle):
        self.text, self.style = text, style

    def edit(self, start: int, end: int, old: Any, new: Any) -> str:
        """The new text of the value at ``text[start:end]`` (which holds ``old``)."""
        text = self.text
        if _same(old, new):
            return text[start:end]
        if isinstance(old, dict) and isinstance(new, dict) and old and text[start] == "{":
            return self._object(start, end, old, new)
        if isinstance(old, list) and isinstance(new, list) and old and text[start] == "[":
            return self._array(start, end, old, new)
        return self.style.dumps(new, _line_prefix(text, start))

    def _object(self, start: int, end: int, old: dict, new: dict) -> str:
        text = self.text
        found, _ = members(text, start)
        if [m[0] for m in found] != list(old):
            raise ScanError("duplicate or unexpected keys")
        by_key = {m[0]: m for m in found}
        lead = text[start + 1:found[0][1]]
        close = text[found[-1][4]:end - 1]
        sep = text[found[0][4]:found[1][1]] if len(found) > 1 else "," + lead
        prefix = lead.split("\n")[-1] if "\n" in lead else ""
        keys = list(new)
        if [k for k in keys if k in old] != [k for k in old if k in new] or not any(k in old for k in keys):
            return self.style.dumps(new, _line_prefix(text, start))  # reordered or another object
        if any(k not in old for k in keys) and list(old) == sorted(old) and len(old) > 1:
            keys = sorted(keys)  # a new key goes where a sorted file would have it
        pieces = []
        for k in keys:
            if k in by_key:
                _, k_start, _, v_start, v_end = by_key[k]
                pieces.append(text[k_start:v_start] + self.edit(v_start, v_end, old[k], new[k]))
            else:
                pieces.append(json.dumps(k, ensure_ascii=self.style.ensure_ascii) + self.style.item_sep
                              + self.style.dumps(new[k], prefix))
        if not pieces:
            return "{}"
        return "{" + lead + sep.join(pieces) + close + "}"

    def _array(self, start: int, end: int, old: list, new: list) -> str:
        text = self.text
        found, _ = elements(text, start)
        if len(found) != len(old):
            raise ScanError("array length")
        lead = text[start + 1:found[0][0]]
        close = text[found[-1][1]:end - 1]
        sep = text[found[0][1]:found[1][0]] if len(found) > 1 else "," + lead
        prefix = lead.split("\n")[-1] if "\n" in lead else ""
        pieces: list[str] = []
        if len(old) == len(new):
            pieces = [self.edit(s, e, o, n) for (s, e), o, n in zip(found, old, new)]
        else:
            def key(v: Any) -> str:
                return json.dumps(v, sort_keys=True, ensure_ascii=True)

            matcher = difflib.SequenceMatcher(None, [key(v) for v in old], [key(v) for v in new], autojunk=False)
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                    pieces += [self.edit(found[i][0], found[i][1], old[i], new[j])
                               for i, j in zip(range(i1, i2), range(j1, j2))]
                elif op in ("insert", "replace"):
                    pieces += [self.style.dumps(new[j], prefix) for j in range(j1, j2)]
        if not pieces:
            return "[]"
        return "[" + lead + sep.join(pieces) + close + "]"


def updated_document(raw: bytes, new: Any) -> bytes:
    """``raw`` (a JSON document's bytes) changed to hold ``new``: every byte of what did not
    change kept (byte order mark, line ends, indentation, key order, escapes, number spellings)."""
    bom = raw.startswith(BOM)
    try:
        text = raw.decode("utf-8-sig")
        old = json.loads(text)
        if _same(old, new) and json.dumps(old) == json.dumps(new):
            return raw
        start = ws(text, 0)
        end = value_end(text, start)
        out = text[:start] + _Editor(text, text_style(text)).edit(start, end, old, new) + text[end:]
        if json.loads(out) == new:
            return (BOM if bom else b"") + out.encode("utf-8")
    except (ValueError, IndexError, UnicodeError, RecursionError):
        pass
    payload = dumps(new, detect_style(raw[3:] if bom else raw))
    if b"\r\n" in raw:
        payload = payload.replace(b"\n", b"\r\n")
    return (BOM if bom else b"") + payload
