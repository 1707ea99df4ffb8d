"""Data pins: the local input files a notebook reads, recorded under ``metadata.nbkit.data``.

The inputs are found statically, by the same analysis as NBR013 (:func:`nbkit.analysis.inputs.local_reads`):
the constant relative paths the notebook's read calls name (``pd.read_csv("data/sales.csv")``,
``open(DATA / "params.json")``...).  Each is recorded relative to the notebook's folder (where
verify and papermill run it) with its size and sha256::

    "data": {"data/sales.csv": {"sha256": "9f2c...", "bytes": 41}}

Files larger than ``[tool.nbkit.pin] data-max-bytes`` (default 1 GB) are recorded by size and
modification time only (``{"bytes": N, "mtime": "2026-12-01T11:00:00Z"}``).  Never recorded:
absolute paths (the analysis does not take them), files outside the project root
(:func:`nbkit.roots.find_root`), files the notebook itself writes or downloads, and files that do
not exist (a note says so).  Hashing streams the file in fixed-size chunks (bounded memory).

:func:`check_data` compares the pins with the files as they are now: changed, missing, and new
(read by the notebook but not pinned).  The pins come from the notebook, which may come from
someone else: an entry whose key is not a relative path inside the project is never opened.

Pure core: no IPython, Jupyter server or CLI imports.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .. import statsig
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..analysis import Facts
    from ..config import Config
    from ..model import Notebook

DEFAULT_MAX_BYTES = 1_000_000_000  # 1 GB
_CHUNK = 1 << 20


def data_max_bytes(config: Config | None) -> int:
    """``[tool.nbkit.pin] data-max-bytes`` (a positive integer; default 1 GB); a bad value is a
    :class:`~nbkit.errors.ConfigError` (exit 2) naming the file."""
    table = config.pin if config is not None else {}
    if "data-max-bytes" not in table:
        return DEFAULT_MAX_BYTES
    value = table["data-max-bytes"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[tool.nbkit.pin] data-max-bytes must be a whole number of bytes (0 or more), "
                          f"not {value!r}", config.path if config is not None else None)
    return value


def sha256_of(path: str) -> tuple[str, int]:
    """The file's sha256 (hex) and its size in bytes, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size




class HashCache:
    """sha256 of files, remembered by (real path, size, mtime and ctime in ns, inode): a long-lived caller
    (the server, which re-checks the pins on every lint) hashes a file again only after it
    changed.  A file that had changed in the two seconds before it was hashed is not remembered
    (git's "racily clean" rule).  Bounded; safe to share between threads."""

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._known: OrderedDict[tuple, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def sha256(self, path: str) -> tuple[str, int]:
        st = os.stat(path)
        key = (os.path.realpath(path), *statsig.signature(st))
        with self._lock:
            hit = self._known.get(key)
            if hit is not None:
                self._known.move_to_end(key)
                return hit
        found = sha256_of(path)
        if not statsig.settled(st.st_mtime_ns, st.st_ctime_ns):
            return found  # racily clean: a rewrite in the same clock tick would keep this stat
        with self._lock:
            self._known[key] = found
            while len(self._known) > self._limit:
                self._known.popitem(last=False)
        return found


def _mtime(st: os.stat_result) -> str:
    return datetime.fromtimestamp(st.st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), os.path.realpath(root)]) == os.path.realpath(root)
    except ValueError:  # another drive
        return False


def _key(value: str) -> str:
    """The pin's key for a path as the notebook writes it: normalised, with forward slashes."""
    return os.path.normpath(value).replace(os.sep, "/")


def safe_key(key: object, folder: str, root: str) -> bool:
    """Is ``key`` (from a notebook's metadata) a relative path that stays inside the project?"""
    if not isinstance(key, str) or not key or "\x00" in key or os.path.isabs(key) or key.startswith(("~", "\\")):
        return False
    if len(key) > 1 and key[1] == ":":
        return False
    return _inside(os.path.join(folder, key), root)


@dataclass
class DataInput:
    """A local file the notebook reads: its key (relative to the notebook's folder), where it is,
    and the cells that read it."""

    key: str
    path: str
    cells: list[int] = field(default_factory=list)


@dataclass
class NotebookInputs:
    """What :func:`notebook_inputs` found: the pinnable inputs, and the reads left out (with why)."""

    folder: str
    root: str
    inputs: dict[str, DataInput] = field(default_factory=dict)
    reads: dict[str, list[int]] = field(default_factory=dict)  # every local read (pinnable or not) -> its cells
    outside: list[str] = field(default_factory=list)   # relative paths that leave the project root
    missing: list[str] = field(default_factory=list)   # read, but not there (and not made by the notebook)
    not_files: list[str] = field(default_factory=list)  # there, but a folder or a device


def notebook_inputs(nb: Notebook, facts: Facts | None = None) -> NotebookInputs:
    """The local input files ``nb`` reads, found statically (the analysis behind NBR013)."""
    from ..analysis import Facts, is_python
    from ..analysis.inputs import local_reads, produced_paths
    from ..roots import find_root

    folder = os.path.dirname(os.path.abspath(nb.path))
    found = NotebookInputs(folder, find_root(folder))
    if not is_python(nb):
        return found
    facts = facts or Facts(nb)
    produced = produced_paths(facts)
    for read in local_reads(facts):
        key = _key(read.path)
        if os.path.normpath(read.path) in produced:
            continue  # the notebook writes or fetches it itself: an output, not an input
        if key in found.reads:
            found.reads[key].append(read.cell_index)
            continue
        found.reads[key] = [read.cell_index]
        target = os.path.join(folder, key)
        if not _inside(target, found.root):
            found.outside.append(key)
            continue
        try:
            exists = os.path.exists(target)
            is_file = os.path.isfile(target)
        except (OSError, ValueError):
            exists = is_file = False
        if not exists:
            found.missing.append(key)
        elif not is_file:
            found.not_files.append(key)
        else:
            found.inputs[key] = DataInput(key, target, found.reads[key])
    return found


def pin_entry(path: str, max_bytes: int) -> dict:
    """The pin of one file: ``{"sha256", "bytes"}``, or ``{"bytes", "mtime"}`` over ``max_bytes``."""
    st = os.stat(path)
    if st.st_size > max_bytes:
        return {"bytes": st.st_size, "mtime": _mtime(st)}
    digest, size = sha256_of(path)
    return {"sha256": digest, "bytes": size}


def record_data(nb: Notebook, max_bytes: int = DEFAULT_MAX_BYTES, notes: list[str] | None = None) -> dict:
    """``metadata.nbkit.data`` for ``nb`` as its files are now (sorted by key).  ``notes``
    collects the reads that were left out, and why."""
    found = notebook_inputs(nb)
    out: dict[str, dict] = {}
    for key in sorted(found.inputs):
        try:
            out[key] = pin_entry(found.inputs[key].path, max_bytes)
        except OSError as e:
            if notes is not None:
                notes.append(f"input '{key}' cannot be read ({e.strerror or e}); not pinned")
    if notes is not None:
        for key in found.outside:
            notes.append(f"input '{key}' is outside the project root ({found.root}); not pinned")
        for key in found.missing:
            notes.append(f"input '{key}' does not exist; not pinned")
    return out


def data_problem(value: object) -> str | None:
    """What is malformed in a ``metadata.nbkit.data`` value (None when fine)."""
    if not isinstance(value, dict):
        return "metadata.nbkit.data is not an object"
    for key, entry in value.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("bytes"), int) \
                or not (isinstance(entry.get("sha256"), str) or isinstance(entry.get("mtime"), str)):
            return f"metadata.nbkit.data[{key!r}] is malformed (expected sha256 and bytes, or bytes and mtime)"
    return None


def pinned_data(nb: Notebook) -> dict | None:
    """The notebook's data pins (None: it has none, or they are malformed)."""
    value = nb.nbkit_metadata.get("data")
    return value if value is not None and data_problem(value) is None else None


@dataclass
class DataCheck:
    """The pinned inputs compared with the files as they are now."""

    pinned: int = 0
    changed: dict[str, str] = field(default_factory=dict)  # key -> what changed ("sha256 differs", ...)
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)  # read by the notebook, not pinned
    refused: list[str] = field(default_factory=list)  # pinned keys that are not paths inside the project
    cells: dict[str, list[int]] = field(default_factory=dict)  # key -> the cells that read it

    @property
    def differs(self) -> bool:
        return bool(self.changed or self.missing or self.new)

    def summary(self) -> dict:
        """The panel's ``data`` summary."""
        return {"pinned": self.pinned, "changed": len(self.changed), "missing": len(self.missing)}

    def lines(self) -> list[str]:
        """One line per difference, for humans."""
        out = [f"data changed: {k} ({why})" for k, why in self.changed.items()]
        out += [f"data missing: {k} (pinned, no longer there)" for k in self.missing]
        out += [f"data new: {k} (read by the notebook, not pinned; run `nbkit pin`)" for k in self.new]
        out += [f"data pin refused: {k!r} is not a relative path inside the project" for k in self.refused]
        return out


def _compare(entry: dict, path: str, hashes: HashCache | None = None) -> str | None:
    """Why the file at ``path`` no longer matches its pin (None: it matches)."""
    st = os.stat(path)
    if st.st_size != entry.get("bytes"):
        return f"{entry.get('bytes')} -> {st.st_size} bytes"
    if isinstance(entry.get("sha256"), str):
        digest, _ = hashes.sha256(path) if hashes is not None else sha256_of(path)
        return None if digest == entry["sha256"] else "sha256 differs"
    now = _mtime(st)
    return None if now == entry.get("mtime") else f"modified {entry.get('mtime')} -> {now}"


def check_data(nb: Notebook, pins: dict | None = None, *, new: bool = True, facts: Facts | None = None,
               hashes: HashCache | None = None) -> DataCheck:
    """Compare ``pins`` (default the notebook's ``metadata.nbkit.data``) with the files now.
    ``new``: also list inputs the notebook reads that are not pinned; ``hashes``: a cache of
    file hashes kept by a long-lived caller."""
    pins = pinned_data(nb) if pins is None else pins
    found = notebook_inputs(nb, facts)
    check = DataCheck(pinned=len(pins or {}))
    for key, cells in found.reads.items():
        check.cells[key] = list(dict.fromkeys(cells))
    for key, entry in (pins or {}).items():
        if not safe_key(key, found.folder, found.root):
            check.refused.append(str(key))
            continue
        path = os.path.join(found.folder, key)
        try:
            if not os.path.isfile(path):
                check.missing.append(key)
                continue
            why = _compare(entry, path, hashes)
        except OSError as e:
            why = f"cannot be read ({e.strerror or e})"
        if why is not None:
            check.changed[key] = why
    if new and pins is not None:
        check.new = [k for k in found.inputs if k not in pins]
    return check


__all__ = ["DEFAULT_MAX_BYTES", "DataCheck", "DataInput", "HashCache", "NotebookInputs", "check_data", "data_max_bytes",
           "data_problem", "notebook_inputs", "pin_entry", "pinned_data", "record_data", "sha256_of", "safe_key"]
