"""Write ``metadata.nbkit`` into a notebook file without touching any other byte.

Re-serialising the whole document (even in the file's own style) can change bytes nbkit
does not own: number spellings (``1e-05`` vs ``1e-5``), escapes, unsorted keys, CRLF line
ends.  So the new value is spliced into the original text instead: a small JSON scanner
finds the span of ``metadata.nbkit`` (or the place to insert it) and only that span is
replaced, serialised in the indentation, key order and escaping the file already uses.
The result is parsed back and compared with what was meant; if the splice cannot be done
(an unusual layout) the whole document is written in the file's detected style instead.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import NbkitError
from ..nbio import atomic_write_bytes, detect_style, dumps

_WS = " \t\r\n"


class _ScanError(ValueError):
    pass


def _ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def _string_end(s: str, i: int) -> int:
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
    raise _ScanError("unterminated string")


def _value_end(s: str, i: int) -> int:
    """``s[i]`` starts a JSON value; the index just past it."""
    c = s[i]
    if c == '"':
        return _string_end(s, i)
    if c in "{[":
        depth = 0
        n = len(s)
        while i < n:
            c = s[i]
            if c == '"':
                i = _string_end(s, i)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _ScanError("unterminated container")
    m = re.compile(r"[^,\]}\s]+").match(s, i)
    if not m:
        raise _ScanError(f"unexpected {c!r}")
    return m.end()


def _members(s: str, i: int) -> tuple[list[tuple[str, int, int, int, int]], int]:
    """Members of the object starting at ``s[i] == '{'``: (key, key_start, key_end, value_start,
    value_end) each, and the index just past the closing brace."""
    if s[i] != "{":
        raise _ScanError("not an object")
    out: list[tuple[str, int, int, int, int]] = []
    i = _ws(s, i + 1)
    if s[i] == "}":
        return out, i + 1
    while True:
        if s[i] != '"':
            raise _ScanError("expected a key")
        k_end = _string_end(s, i)
        key = json.loads(s[i:k_end])
        j = _ws(s, k_end)
        if s[j] != ":":
            raise _ScanError("expected ':'")
        v_start = _ws(s, j + 1)
        v_end = _value_end(s, v_start)
        out.append((key, i, k_end, v_start, v_end))
        i = _ws(s, v_end)
        if s[i] == ",":
            i = _ws(s, i + 1)
            continue
        if s[i] == "}":
            return out, i + 1
        raise _ScanError("expected ',' or '}'")


def _serialise(value, unit: str | None, depth: int, nl: str, sort_keys: bool, ensure_ascii: bool,
               item_sep: str) -> str:
    if unit is None:
        return json.dumps(value, sort_keys=sort_keys, ensure_ascii=ensure_ascii, separators=(",", item_sep))
    text = json.dumps(value, indent=unit, sort_keys=sort_keys, ensure_ascii=ensure_ascii,
                      separators=(",", item_sep))
    return text.replace("\n", nl + unit * depth)


def splice_nbkit(text: str, nbkit_value: dict) -> str:
    """``text`` (a notebook's JSON) with ``metadata.nbkit`` set to ``nbkit_value``; every byte
    outside that value (and the separators around it) kept.  Raises ``ValueError`` when the
    document's shape does not allow a splice."""
    start = _ws(text, 0)
    root, _ = _members(text, start)
    meta = [m for m in root if m[0] == "metadata"]
    if not meta:
        raise _ScanError("no top-level metadata")
    _, _, _, m_start, m_end = meta[-1]
    if text[m_start] != "{":
        raise _ScanError("metadata is not an object")
    members, _ = _members(text, m_start)

    nl = "\r\n" if "\r\n" in text else "\n"
    # indentation unit: the whitespace before the first top-level key, after its newline
    lead = text[start + 1:root[0][1]] if root else ""
    unit = lead.split("\n")[-1] if "\n" in lead else None
    if unit == "":
        unit = None
    style = detect_style(text.encode("utf-8"))
    ref = members[0] if members else root[0]
    between = text[ref[2]:ref[3]]  # what follows a key: ": " in nbformat's style
    item_sep = between if between.strip() == ":" and "\n" not in between and "\r" not in between else ": "
    ensure_ascii = style.ensure_ascii
    sort_keys = style.sort_keys

    def ser(value, depth):
        return _serialise(value, unit, depth, nl, sort_keys, ensure_ascii, item_sep)

    existing = [m for m in members if m[0] == "nbkit"]
    if existing:
        _, _, _, v_start, v_end = existing[-1]
        return text[:v_start] + ser(nbkit_value, 2) + text[v_end:]
    key = json.dumps("nbkit", ensure_ascii=ensure_ascii)
    if not members:
        # "metadata": {} -> an object holding nbkit, laid out like the rest of the file
        return text[:m_start] + ser({"nbkit": nbkit_value}, 1) + text[m_end:]
    first_lead = text[m_start + 1:members[0][1]]  # e.g. "\n  "
    keys = [m[0] for m in members]
    if keys == sorted(keys) and any(k > "nbkit" for k in keys):
        nxt = next(m for m in members if m[0] > "nbkit")
        at = nxt[1]
        return text[:at] + key + item_sep + ser(nbkit_value, 2) + "," + first_lead + text[at:]
    last_end = members[-1][4]
    return text[:last_end] + "," + first_lead + key + item_sep + ser(nbkit_value, 2) + text[last_end:]


def updated_bytes(raw: bytes, data: dict, nbkit_value: dict) -> bytes:
    """The new file content: ``raw`` with ``metadata.nbkit`` replaced (spliced when possible,
    else ``data`` re-serialised in the file's style)."""
    expected = dict(data)
    expected["metadata"] = {**data.get("metadata", {}), "nbkit": nbkit_value}
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    try:
        text = raw.decode("utf-8-sig")
        new = splice_nbkit(text, nbkit_value)
        if json.loads(new) == expected:
            return (bom + new).encode("utf-8")
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        pass
    return dumps(expected, detect_style(raw))


def read_only(path: str | os.PathLike) -> bool:
    """No write permission, or no write bit at all (which even root should respect)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not (mode & 0o222)


def jupyter_save_in_progress(path: str | os.PathLike) -> str | None:
    """The backup jupyter_server keeps while it saves a file (``.~name``), if present."""
    p = Path(path)
    backup = p.with_name(".~" + p.name)
    return str(backup) if backup.exists() else None


def write_nbkit(path: str | os.PathLike, raw: bytes, data: dict, nbkit_value: dict, *,
                base: bytes | None = None, doing: str = "pinning") -> None:
    """Atomically replace ``path`` (whose content was ``raw``) with ``metadata.nbkit`` set.

    ``base`` (default ``raw``) is the content the value is spliced into, when the caller changed
    other parts of the document on purpose (``nbkit verify --update --stamp``); ``data`` is then
    ``base`` parsed.  ``doing`` names the work in the refusal message.

    Refuses, writing nothing, when the file changed since it was read (another program saved
    it meanwhile), when Jupyter is in the middle of saving it, or when it is read-only."""
    p = os.fspath(path)
    if read_only(p):
        raise NbkitError("file is read-only; nothing was written", p)
    backup = jupyter_save_in_progress(p)
    if backup:
        raise NbkitError(f"Jupyter is saving this file (or a save was interrupted: {os.path.basename(backup)} "
                         "exists); nothing was written, try again", p)
    payload = updated_bytes(raw if base is None else base, data, nbkit_value)
    try:
        now = Path(p).read_bytes()
    except OSError as e:
        raise NbkitError(f"cannot read file ({e.strerror or e}); nothing was written", p) from None
    if now != raw:
        raise NbkitError(f"the file changed on disk while nbkit was {doing} it (another program saved it); "
                         "nothing was written, run again", p)
    atomic_write_bytes(p, payload)
