"""The persistent lint cache (ruff-style): findings of unchanged notebooks are read, not computed.

One entry per notebook and settings, under its slot (a digest of the notebook's absolute path
and the settings) in one SQLite database, ``<cache>/lint/entries-1.sqlite3``
(:mod:`nbkit.entrydb`: a file per entry cost a tenth of a cold run where creating a file is
slow); ``<cache>`` is
``$NBKIT_CACHE_DIR`` or ``.nbkit_cache/`` at the project root (the folder of the
``pyproject.toml`` that configures nbkit, else the repository root), with its own
``.gitignore``.  An entry is used only when everything that can change its findings is
unchanged; the key covers:

- the notebook's bytes and its absolute path;
- the resolved configuration and the rule selection (``select``, ``ignore``, ``profile``);
- nbkit itself: its version and the size and modification time of every file of the package
  (an edited rule invalidates the cache even when the version stays);
- what the rules that look outside the notebook read (NBR001-NBR003 manifests and lock files,
  NBR012 data manifests, NBR013 data files, NBH014 the other notebooks of the run, NBR003 the
  local modules and the installed distributions): the project root, a listing (name, size,
  modification time; the bytes of manifests and lock files; only the name of a report-like file
  that no rule reads: ``.json``, ``.sarif``, ``.xml``, ``.html``, ``.log``, such as nbkit's own
  ``--output``) of every folder from the notebook up to the root and of their
  sub-folders, the run's notebooks with the same file name, the
  site-packages folders of the interpreter, and every path the rules ``stat`` while linting
  the notebook (a referenced data file's existence and size), checked again on every hit.

An entry (schema ``nbkit.lintcache/2``) holds the key, the notebook's digest and stat
signature (``sig``, trusted only when the file had settled before the entry was written:
``trusted``), the paths the rules ``stat``-ed with what they saw (``stats``), and the findings
as ``rows``: one list per finding in the order of :data:`FIELDS` (no path: the entry is the
notebook's; lists, not objects, parse and turn back into findings several times faster).

Entries are written in transactions (a run's in batches), so concurrent runs never read half an
entry; an entry that cannot be read, parsed or does not match is ignored and rewritten.  Nothing
here imports the rules: a run where every notebook hits (:func:`run_from_cache`,
:func:`groups_from_cache`) stays cheap.
"""

from __future__ import annotations

import _thread  # (not threading: a cache hit should not have to import it)
import json
import os
import stat
import sys
from contextlib import contextmanager

try:  # BLAKE2 without hashlib, whose import loads OpenSSL: a cache hit need not pay for it
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - not CPython
    from hashlib import blake2b

# where the cache lives (shared with the verify cache; re-exported) and how an entry's bytes are read
from . import statsig
from .cachestore import DIR_NAME, ENV_VAR, GITIGNORE, cache_dir, clean, parse_entry
from .entrydb import EntryDB

from .findingrow import ROW_FIELDS as FIELDS  # a stored finding's row (without its path: the entry is the notebook's)

SCHEMA = "nbkit.lintcache/2"
__all__ = ["ENV_VAR", "FIELDS", "GITIGNORE", "SCHEMA", "LintCache", "cache_dir", "clean", "open_cache", "run_from_cache"]

_SKIP_SUBFOLDERS = ("node_modules", "__pycache__")
_HASHED_NAMES = ("pyproject.toml", "setup.cfg", "setup.py", "environment.yml", "environment.yaml", "Pipfile",
                 "Pipfile.lock", ".gitattributes", "dvc.lock", "dvc.yaml", "registry.txt")
_HASH_LIMIT = 1_000_000  # bytes: larger files count by size and modification time only
# reports no rule reads (not .txt: requirements files, their -r includes under any name, registry.txt)
_REPORT_SUFFIXES = (".json", ".sarif", ".xml", ".html", ".htm", ".log")


# -- the key --------------------------------------------------------------------------------------

_memo: dict = {}


def _digest(*parts: object) -> str:
    return blake2b(json.dumps(parts, default=str, sort_keys=True).encode(), digest_size=20).hexdigest()


def nbkit_fingerprint() -> str:
    """nbkit's version plus the size and modification time of every file of the package."""
    fp = _memo.get("nbkit")
    if fp is None:
        from ._version import __version__

        package = os.path.dirname(os.path.abspath(__file__))
        files = []
        for folder, dirs, names in os.walk(package):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "labextension", "node_modules"))
            for name in sorted(names):
                if name.endswith((".py", ".json", ".toml", ".txt")):
                    try:
                        st = os.stat(os.path.join(folder, name))
                    except OSError:
                        continue
                    files.append((os.path.relpath(os.path.join(folder, name), package), st.st_size, st.st_mtime_ns))
        fp = _memo["nbkit"] = _digest(SCHEMA, __version__, sys.version, files)
    return fp


def settings_fingerprint(config, select, ignore, profile) -> str:
    """The resolved configuration and the command line's rule selection."""
    from dataclasses import asdict

    return _digest(asdict(config), list(select or []), list(ignore or []), profile, nbkit_fingerprint())


def _environment_fingerprint() -> str:
    """Which distributions are installed (NBR003): the site-packages folders' modification times."""
    dirs = []
    for entry in sys.path:
        if entry and entry.rstrip("/").endswith("-packages"):
            try:
                dirs.append((entry, os.stat(entry).st_mtime_ns))
            except OSError:
                pass
    return _digest(os.path.realpath(sys.executable), sys.prefix, dirs)


def _read_by_rules(name: str, low: str) -> bool:
    """Is this a file a rule reads by its name (manifests, lock files, DVC and data manifests,
    checksum lists, .gitattributes)?  Its bytes count, not only its size and time."""
    return (name in _HASHED_NAMES or low.startswith(("requirements", "checksums", "sha256sums", "md5sums"))
            or low.endswith((".lock", ".dvc", ".sha256", ".md5", ".in")) or "manifest" in low or "conda-lock" in low)


def _file_print(path: str, name: str, st: os.stat_result) -> tuple:
    if not stat.S_ISREG(st.st_mode):
        return (name, stat.S_IFMT(st.st_mode))
    low = name.lower()
    read = _read_by_rules(name, low)
    if not read and low.endswith(_REPORT_SUFFIXES):
        # a report (nbkit's own --output, verify's HTML, a log) that no rule reads: only its name
        # counts, so writing it anew beside the notebooks does not make every entry stale (a
        # notebook that reads it has its size in the entry's stats, checked on every hit)
        return (name, "file")
    content = None
    if read and st.st_size <= _HASH_LIMIT:
        try:
            with open(path, "rb") as f:
                content = blake2b(f.read(), digest_size=16).hexdigest()
        except OSError:
            content = "?"
    return (name, st.st_size, st.st_mtime_ns, content)


def _listing(folder: str, depth: int) -> list:
    """Every entry of ``folder`` but notebooks (their own keys cover them); sub-folders (not
    hidden ones) to ``depth`` more levels."""
    out: list = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return out
    for e in entries:
        if e.name.endswith(".ipynb") or e.name == DIR_NAME:
            continue
        try:
            if e.is_dir():
                sub = _listing(e.path, depth - 1 if e.name != "src" else 1) \
                    if depth > 0 and not e.name.startswith(".") and e.name not in _SKIP_SUBFOLDERS else None
                out.append((e.name, "dir", sub))
            else:
                out.append(_file_print(e.path, e.name, e.stat()))
        except OSError:
            out.append((e.name, "?"))
    return out


def _folder_print(folder: str, memo: dict) -> str:
    fp = memo.get(folder)
    if fp is None:
        fp = memo[folder] = _digest(_listing(folder, 1))
    return fp


def _folders_up_to_root(folder: str, memo: dict) -> tuple[str, list[str]]:
    key = ("up", folder)
    if key not in memo:
        memo[key] = _walk_up(folder)
    return memo[key]


def _walk_up(here: str) -> tuple[str, list[str]]:
    """The project root of a notebook's resolved folder, and the folders from there up to it
    (os.path, not pathlib: a cache hit should not have to import it)."""
    from .roots import find_root

    root = find_root(here)
    out = [here]
    if here != root and here.startswith(root.rstrip(os.sep) + os.sep):
        d = here
        while (parent := os.path.dirname(d)) != d:
            d = parent
            out.append(d)
            if d == root:
                break
    return root, out


def outside_fingerprint(nb_path: str, run_paths_by_name: dict[str, list[str]], memo: dict) -> str:
    """What the rules that look outside the notebook read, except the paths they ``stat``
    (``memo``: folder listings already taken in this run)."""
    from .roots import notebook_folder

    me = os.path.abspath(nb_path)
    same = sorted(p for p in run_paths_by_name.get(os.path.basename(me), []) if p != me)
    # the notebooks of a folder share all but `same`: the folder the rules look around, resolved
    # (a symlinked notebook's is its target's, not the folder it is listed in)
    folder = notebook_folder(me, memo)
    key = ("outside", folder, *same)
    fp = memo.get(key)
    if fp is None:
        root, folders = _folders_up_to_root(folder, memo)
        if "" not in memo:
            memo[""] = _environment_fingerprint()
        fp = memo[key] = _digest(root, [(f, _folder_print(f, memo)) for f in folders], same, memo[""])
    return fp


# -- stat recording ---------------------------------------------------------------------------

def stat_print(path: str) -> list | None:
    """What a rule can learn from ``stat``: the kind of file and a regular file's size.  A
    notebook's size does not count (listing a folder stats every notebook in it, and a
    notebook's own entry covers its bytes): only that it exists.  (The server keys its kept
    policy verdict by the same prints.)"""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    sized = stat.S_ISREG(st.st_mode) and not path.endswith(".ipynb")
    return [stat.S_IFMT(st.st_mode), st.st_size if sized else 0]


# One wrapper stands in for ``os.stat`` while any thread records (a count of recorders, under a
# lock); it records into the calling thread's list only, so recordings in several threads at once
# (the server's lint threads) neither mix nor leave the wrapper installed.
_recording = _thread._local()
_recorders_lock = _thread.allocate_lock()
_recorders = 0
_real_stat = os.stat


def _recording_stat(path, *args, **kwargs):
    seen = getattr(_recording, "seen", None)
    if seen is not None and isinstance(path, (str, os.PathLike)) and not args and not kwargs.get("dir_fd"):
        seen.append(os.fspath(path))
    return _real_stat(path, *args, **kwargs)


@contextmanager
def recording_stats():
    """Record every path ``os.stat`` is asked about in this thread (``Path.exists``,
    ``os.path.isfile``, ... go through it) while the rules of one notebook run; yields the list
    of paths."""
    global _recorders, _real_stat
    seen: list[str] = []
    outer = getattr(_recording, "seen", None)
    _recording.seen = seen
    with _recorders_lock:
        if _recorders == 0:
            _real_stat = os.stat
            os.stat = _recording_stat
        _recorders += 1
    try:
        yield seen
    finally:
        with _recorders_lock:
            _recorders -= 1
            if _recorders == 0:
                os.stat = _real_stat
        _recording.seen = outer
        if outer is not None:
            outer.extend(seen)  # a recording inside another one: the outer one saw these too


# -- entries --------------------------------------------------------------------------------------

# what json.dumps(..., separators=(",", ":")) gives, without building an encoder per entry (and
# without the cycle check: an entry is fresh lists and dicts)
_ENCODE = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _settled(sig: list | None) -> bool:
    """Did the file stop changing long enough ago for its stat signature to stand for its bytes?"""
    return sig is not None and statsig.settled(sig[3], sig[4])  # (sig: device first, then statsig's four)


class Probe:
    """What a lookup learnt about the notebook: its bytes (None on a stat hit), the entry key,
    the bytes' digest and the file's stat signature.  (A plain class, not a NamedTuple: a
    cache hit should not have to import typing.)"""

    __slots__ = ("data", "key", "digest", "sig")

    def __init__(self, data: bytes | None, key: str, digest: str, sig: list | None) -> None:
        self.data = data
        self.key = key
        self.digest = digest
        self.sig = sig

class LintCache:
    """Entries for one run's settings under ``directory`` (picklable: worker processes get it)."""

    def __init__(self, directory: str, settings: str, run_paths: list[str]):
        self.directory = directory
        self.settings = settings
        by_name: dict[str, list[str]] = {}
        for p in run_paths:
            ap = os.path.abspath(p)
            by_name.setdefault(os.path.basename(ap), []).append(ap)
        self.by_name = by_name
        self.hits = 0
        self.misses = 0
        self._memo: dict = {}
        self.db = EntryDB(directory)
        # while lookup_all checks a run's entries: what each dependency's stat gave (notebooks
        # of one folder share most of theirs: the import search path of NBR003)
        self._stat_memo: dict[str, list | None] | None = None
        # the notebooks lookup_all found no entry for, with the stat signature it took (before any
        # read): their lint's lookup neither looks for the entry again nor stats the file again
        self._no_entry: dict[str, list | None] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_memo": {}, "_stat_memo": None}

    def known_size(self, path: str) -> int | None:
        """The size of a notebook lookup_all found no entry for, as its stat gave it (None: not
        known), before its lint."""
        sig = self._no_entry.get(path)
        return sig[2] if sig is not None else None

    def _slot(self, path: str) -> str:
        return blake2b(f"{os.path.abspath(path)}\0{self.settings}".encode("utf-8", "surrogateescape"),
                       digest_size=20).hexdigest()

    def _key(self, path: str, digest: str) -> str:
        # messages name the notebook as the user gave it (e.g. NBR007's `nbkit pin PATH`): the
        # spelling, and the folder a relative one is relative to, are part of the key
        given = path if os.path.isabs(path) else [os.getcwd(), path]
        return _digest(digest, os.path.abspath(path), given, self.settings,
                       outside_fingerprint(path, self.by_name, self._memo))

    def _entry(self, path: str) -> dict | None:
        data = self.db.get(self._slot(path))
        entry = parse_entry(data, SCHEMA) if data is not None else None
        return entry if entry is not None and isinstance(entry.get("rows"), list) else None

    def _valid(self, entry: dict, key: str) -> bool:
        try:
            if entry.get("key") != key:
                return False
            memo = self._stat_memo
            if memo is None:
                return all(stat_print(dep) == was for dep, was in entry["stats"])
            for dep, was in entry["stats"]:
                now = memo[dep] if dep in memo else memo.setdefault(dep, stat_print(dep))
                if now != was:
                    return False
            return True
        except (TypeError, ValueError, KeyError):
            return False

    def lookup(self, path: str, read, read_on_miss: bool = True) -> tuple[list[list] | None, Probe]:
        """The findings stored for ``path`` (as rows of :data:`FIELDS`) or None (a miss), and what
        a miss needs to store its entry.  ``read(path)`` gives the notebook's bytes; it is not called when
        the file's ``stat`` (device, inode, size, modification and change times) is the one
        recorded with the entry and the file had not changed in the two seconds before that
        entry was written (git's "racily clean" rule: a write in the same clock tick as the
        recording could keep the times), so an unchanged notebook is not even read.
        ``read_on_miss=False``: the caller only wants a hit; a notebook without an entry is not read
        (and its next lookup, the lint's, takes the signature taken here and looks for no entry:
        one found meanwhile, written by a concurrent run, is only rewritten)."""
        no_entry = self._no_entry
        if path in no_entry and read_on_miss:
            # (a signature taken earlier is safe: taken before the read, an older one can only
            # fail to match the file later, never stand for bytes it was not taken with)
            sig = no_entry.pop(path)
            entry = None
        else:
            try:
                st = os.stat(path)
                sig = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
            except OSError:
                sig = None
            entry = self._entry(path)
            if entry is None and not read_on_miss:
                self.misses += 1
                no_entry[path] = sig
                return None, Probe(None, "", "", sig)
        if entry is not None and sig is not None and entry.get("sig") == sig and entry.get("trusted") is True:
            digest = entry.get("digest")
            if isinstance(digest, str) and self._valid(entry, self._key(path, digest)):
                self.hits += 1
                return entry["rows"], Probe(None, "", "", None)
        data = read(path)
        import hashlib  # (only when the notebook was read)

        digest = hashlib.sha256(data).hexdigest()
        key = self._key(path, digest)
        if entry is not None and self._valid(entry, key):
            self.hits += 1
            probe = Probe(data, key, digest, sig)
            if entry.get("trusted") is not True and _settled(sig):
                self.put(path, probe, entry["rows"], [dep for dep, _ in entry["stats"]])  # next time: no read
            return entry["rows"], probe
        self.misses += 1
        return None, Probe(data, key, digest, sig)

    def put(self, path: str, probe: Probe, rows: list[list], stats: list[str]) -> None:
        """Store an entry atomically; a cache that cannot be written is no error (lint goes on).
        ``rows``: the findings as :func:`nbkit.findings.to_rows` gives them."""
        deps = {p: stat_print(p) for p in dict.fromkeys(stats)}
        trusted = _settled(probe.sig)
        payload = _ENCODE({"schema": SCHEMA, "key": probe.key, "digest": probe.digest, "sig": probe.sig,
                           "trusted": trusted, "stats": sorted(deps.items()), "rows": rows}).encode()
        self.db.put(self._slot(path), payload)

    def flush(self) -> None:
        """Write the entries queued by :meth:`put` (a run's entries are written in batches)."""
        self.db.flush()

    def close(self) -> None:
        """Write what is queued and close this process's connection to the entries (before a
        fork: a connection must not cross it; at the end of a run)."""
        self.db.close()


# -- reading a run from the cache -----------------------------------------------------------------

def as_dicts(rows: list[list]) -> list[dict]:
    """An entry's rows as dicts of :data:`FIELDS` (the one-notebook report reads those)."""
    return [dict(zip(FIELDS, row)) for row in rows]


def open_cache(cache: bool | str, nb_paths: list[str], config, select, ignore, profile) -> LintCache:
    """The cache of a run: ``cache`` True: the default folder (see :func:`cache_dir`); a string: that folder."""
    directory = cache if isinstance(cache, str) else cache_dir(nb_paths, config.root)
    return LintCache(directory, settings_fingerprint(config, select, ignore, profile), nb_paths)


def lookup_all(store: LintCache, nb_paths: list[str], first_miss_stops: bool = False) -> dict[str, list[list]]:
    """The stored findings of every notebook of the run that hits (path -> rows);
    ``first_miss_stops``: the caller wants all or nothing, the hits before the first miss."""
    def read(path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    hits = {}
    store._stat_memo = {}  # one stat per dependency for the whole lookup, not one per entry naming it
    try:
        for path in nb_paths:
            try:
                rows, _ = store.lookup(path, read, read_on_miss=False)
            except OSError:
                continue  # the linter reports it
            if rows is not None:
                hits[path] = rows
            elif first_miss_stops:
                break
    finally:
        store._stat_memo = None
    return hits


def run_from_cache(paths: list[str], config, cache: bool | str, select=None, ignore=None, profile=None):
    """The :class:`~nbkit.lintresult.LintResult` of a run when the cache holds every notebook of
    it, else None (then the caller lints; the rules are not imported here)."""
    from .findings import from_rows
    from .lintresult import LintResult
    from .nbio import discover

    nb_paths, errors = discover(paths, config.exclude)
    if not nb_paths:
        return None
    store = open_cache(cache, nb_paths, config, select, ignore, profile)
    try:
        hits = lookup_all(store, nb_paths, first_miss_stops=True)
    finally:
        store.close()
    if len(hits) < len(nb_paths):
        return None
    result = LintResult(errors=errors, notebooks=len(nb_paths), paths=nb_paths)
    for path in nb_paths:
        result.findings.extend(from_rows(path, hits[path]))
    return result


def groups_from_cache(found: list[tuple], errors: list, cache: bool | str, select=None, ignore=None,
                      profile=None):
    """The :class:`~nbkit.lintresult.LintResult` of a run of notebooks each with its own
    configuration (``found``: (path, config) pairs from ``nbkit.requests.notebooks_with_configs``,
    ``errors``: its problems) when the cache holds every notebook, else None.  The same keys
    as ``lint_paths`` per configuration with ``project_paths`` the whole run, without the rules."""
    from .findings import from_rows
    from .lintresult import LintResult
    from .lintgroups import config_groups, in_run_order

    everyone, groups = config_groups(found)
    if not everyone:
        return None
    result = LintResult(paths=everyone, errors=list(errors), notebooks=len(everyone))
    for cfg, paths in groups:
        store = open_cache(cache, everyone, cfg, select, ignore, profile)
        try:
            hits = lookup_all(store, paths, first_miss_stops=True)
        finally:
            store.close()
        if len(hits) < len(paths):
            return None
        for path in paths:
            result.findings.extend(from_rows(path, hits[path]))
    in_run_order(result.findings, everyone, groups)
    return result
