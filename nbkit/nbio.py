"""Finding notebooks on disk and writing them back atomically, in their own JSON style.

Writers never leave a half-written notebook: they write a temporary file in the same folder,
flush it to disk and rename it over the original (keeping its permissions).  The JSON is
serialised the way the original was (indent, key order, ASCII escaping, final newline), so a
change touches only the bytes it claims to.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import NbkitError, NoNotebooksError, NotebookError

SKIP_DIRS = {".ipynb_checkpoints", "node_modules", "__pycache__", "site-packages"}


def is_excluded(path: str, exclude: list[str], roots: list[str] | tuple[str, ...] = ()) -> bool:
    """Whether an ``exclude`` glob (``[tool.nbkit.lint] exclude``) skips ``path``.

    A glob matches the path, or names one of its folders (``build/``).  With ``roots``, the
    path is matched relative to each root instead of as given.
    """
    if not exclude:
        return False
    if roots:
        candidates = set()
        for base in roots:
            try:
                candidates.add(os.path.relpath(path, base))
            except ValueError:  # another drive (Windows)
                pass
    else:
        candidates = {path}
    for candidate in candidates:
        rel = candidate.replace(os.sep, "/")
        if any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.rstrip("/") + "/*")
               or f"/{g.strip('/')}/" in f"/{rel}/" for g in exclude):
            return True
    return False


def discover(paths: list[str], exclude: list[str] | None = None) -> tuple[list[str], list[NbkitError]]:
    """Expand files and folders into notebook paths (sorted, de-duplicated).

    Folders are searched recursively, skipping hidden folders, checkpoints and
    ``exclude`` globs.  Problems (a missing path, a folder without notebooks) come back
    as errors rather than exceptions so the rest of the run goes on.
    """
    found: list[str] = []
    errors: list[NbkitError] = []
    seen: set[str] = set()
    exclude = exclude or []

    def excluded(p: str) -> bool:
        return is_excluded(p, exclude)

    def add(p: str) -> None:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            found.append(p)

    for path in paths:
        if not os.path.exists(path):
            errors.append(NotebookError("no such file or directory", path))
        elif os.path.isdir(path):
            before = len(found)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
                                     and not excluded(os.path.join(dirpath, d)))
                for f in sorted(filenames):
                    full = os.path.join(dirpath, f)
                    if f.endswith(".ipynb") and not f.startswith(".") and not excluded(full):
                        add(os.path.normpath(full))
            if len(found) == before:
                errors.append(NoNotebooksError("no notebooks (*.ipynb) found in this directory", path))
        else:
            add(path)
    return found, errors


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


def _new_file_mode() -> int:
    """What ``open(path, "w")`` would give a new file (mkstemp alone gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` atomically, keeping the file's permission bits."""
    p = Path(path)
    if p.exists() and not os.access(p, os.W_OK):
        raise NbkitError("file is read-only; nothing was written", str(p))
    try:
        mode = stat.S_IMODE(p.stat().st_mode) if p.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".nbkit-tmp", dir=p.parent)
    except OSError as e:
        raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", str(p)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise NbkitError(f"cannot write ({e.strerror or e}); nothing was written", str(p)) from None
        raise


def write_notebook(path: str | os.PathLike, data: dict, original: bytes | None = None) -> None:
    """Serialise ``data`` in the style of ``original`` (nbformat's by default) and write atomically."""
    if original is None and os.path.exists(path):
        original = Path(path).read_bytes()
    atomic_write_bytes(path, dumps(data, detect_style(original)))
