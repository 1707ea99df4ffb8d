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

from ..errors import NbkitError
from ..jsonedit import BOM, ScanError, members, string_end, value_end, ws
from ..nbio import (ReadSnapshot, detect_style, dumps, is_read_only, jupyter_save_in_progress, read_snapshot,
                    replace_if_unchanged)

_ScanError = ScanError
_ws, _string_end, _value_end, _members = ws, string_end, value_end, members


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
    bom = "\ufeff" if raw.startswith(BOM) else ""
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
    return is_read_only(path)


def write_nbkit(path: str | os.PathLike, raw: bytes | ReadSnapshot, data: dict, nbkit_value: dict, *,
                base: bytes | None = None, doing: str = "pinning", snapshot: ReadSnapshot | None = None) -> None:
    """Replace ``path`` (whose content was ``raw``) with ``metadata.nbkit`` set, through the one
    compare-and-replace writer (:func:`nbkit.nbio.replace_if_unchanged`).

    ``raw`` is the :class:`~nbkit.nbio.ReadSnapshot` the caller read (or its bytes: then the file
    is read again here and must still hold them).  ``base`` (default ``raw``'s bytes) is the
    content the value is spliced into, when the caller changed other parts of the document on
    purpose (``nbkit verify --update --stamp``); ``data`` is then ``base`` parsed.  ``doing``
    names the work in the refusal message.

    Refuses, writing nothing, when the file changed since it was read (another program saved
    it meanwhile), when Jupyter is in the middle of saving it, or when it is read-only."""
    p = os.fspath(path)
    if isinstance(raw, ReadSnapshot):
        snapshot = raw
    if is_read_only(p):
        raise NbkitError("file is read-only; nothing was written", p)
    if snapshot is None:
        snapshot = read_snapshot(p)
        if snapshot.data != raw:
            from ..nbio import CHANGED_ON_DISK, ChangedOnDiskError

            raise ChangedOnDiskError(f"{CHANGED_ON_DISK} (another program saved it while nbkit was {doing} it; "
                                     "run again)", p)
    backup = jupyter_save_in_progress(snapshot.target)
    if backup:
        raise NbkitError(f"Jupyter is saving this file (or a save was interrupted: {os.path.basename(backup)} "
                         "exists); nothing was written, try again", p)
    payload = updated_bytes(snapshot.data if base is None else base, data, nbkit_value)
    replace_if_unchanged(p, snapshot, payload, doing=doing)
