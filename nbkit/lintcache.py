"""The persistent lint cache (ruff-style): findings of unchanged notebooks are read, not computed.

One entry per notebook and settings, ``<cache>/lint/<xx>/<slot>.json``; ``<cache>`` is
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
  modification time; the bytes of manifests and lock files) of every folder from the notebook
  up to the root and of their sub-folders, the run's notebooks with the same file name, the
  site-packages folders of the interpreter, and every path the rules ``stat`` while linting
  the notebook (a referenced data file's existence and size), checked again on every hit.

Entries are written atomically (a temporary file renamed over the entry), so concurrent runs
never read half an entry; an entry that cannot be read, parsed or does not match is ignored
and rewritten.  Nothing here imports the rules: a run where every notebook hits stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager

SCHEMA = "nbkit.lintcache/1"
ENV_VAR = "NBKIT_CACHE_DIR"
DIR_NAME = ".nbkit_cache"
GITIGNORE = "# written by nbkit: the lint cache (`nbkit clean` removes it)\n*\n"

_SKIP_SUBFOLDERS = ("node_modules", "__pycache__")
_HASHED_NAMES = ("pyproject.toml", "setup.cfg", "setup.py", "environment.yml", "environment.yaml", "Pipfile",
                 "Pipfile.lock", ".gitattributes", "dvc.lock", "dvc.yaml", "registry.txt")
_HASH_LIMIT = 1_000_000  # bytes: larger files count by size and modification time only


# -- where ----------------------------------------------------------------------------------------

def cache_dir(paths: list[str] | tuple[str, ...], config_root: str | None = None) -> str:
    """``$NBKIT_CACHE_DIR``, else ``.nbkit_cache`` at the project root of the first path."""
    env = os.environ.get(ENV_VAR)
    if env:
        return os.path.abspath(env)
    if config_root:
        return os.path.join(os.path.abspath(config_root), DIR_NAME)
    from .project import find_root

    first = os.path.abspath(paths[0]) if paths else os.getcwd()
    folder = first if os.path.isdir(first) else os.path.dirname(first)
    return os.path.join(find_root(folder), DIR_NAME)


def clean(directory: str) -> bool:
    """Remove the cache folder ``directory``; False when there was none.  Refuses a folder that
    is not an nbkit cache (no ``lint`` folder and no nbkit ``.gitignore``)."""
    if not os.path.isdir(directory):
        return False
    marker = os.path.join(directory, ".gitignore")
    try:
        with open(marker, encoding="utf-8") as f:
            ours = f.read() == GITIGNORE
    except OSError:
        ours = False
    if not ours and not os.path.isdir(os.path.join(directory, "lint")):
        raise OSError(f"{directory} does not look like an nbkit cache; not removing it")
    shutil.rmtree(directory)
    return True


# -- the key --------------------------------------------------------------------------------------

_memo: dict = {}


def _digest(*parts: object) -> str:
    return hashlib.blake2b(json.dumps(parts, default=str, sort_keys=True).encode(), digest_size=20).hexdigest()


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
    return _digest(sys.executable, sys.prefix, dirs)


def _file_print(path: str, name: str, st: os.stat_result) -> tuple:
    if not stat.S_ISREG(st.st_mode):
        return (name, stat.S_IFMT(st.st_mode))
    content = None
    low = name.lower()
    if st.st_size <= _HASH_LIMIT and (name in _HASHED_NAMES or low.startswith(("requirements", "checksums"))
                                      or low.endswith((".lock", ".dvc", ".sha256", ".md5", ".in"))
                                      or "manifest" in low):
        try:
            with open(path, "rb") as f:
                content = hashlib.blake2b(f.read(), digest_size=16).hexdigest()
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


def _folders_up_to_root(nb_path: str) -> tuple[str, list[str]]:
    from pathlib import Path

    from .project import find_root

    here = Path(nb_path).resolve().parent
    root = Path(find_root(str(here)))
    out = [str(here)]
    if here != root and root in here.parents:
        for d in here.parents:
            out.append(str(d))
            if d == root:
                break
    return str(root), out


def outside_fingerprint(nb_path: str, run_paths_by_name: dict[str, list[str]], memo: dict) -> str:
    """What the rules that look outside the notebook read, except the paths they ``stat``
    (``memo``: folder listings already taken in this run)."""
    root, folders = _folders_up_to_root(nb_path)
    me = os.path.abspath(nb_path)
    same = sorted(p for p in run_paths_by_name.get(os.path.basename(me), []) if p != me)
    if "" not in memo:
        memo[""] = _environment_fingerprint()
    return _digest(root, [(f, _folder_print(f, memo)) for f in folders], same, memo[""])


# -- stat recording ---------------------------------------------------------------------------

def _stat_print(path: str) -> list | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [stat.S_IFMT(st.st_mode), st.st_size if stat.S_ISREG(st.st_mode) else 0]


@contextmanager
def recording_stats():
    """Record every path ``os.stat`` is asked about (``Path.exists``, ``os.path.isfile``, ... go
    through it) while the rules of one notebook run; yields the list of paths."""
    seen: list[str] = []
    real = os.stat

    def recorder(path, *args, **kwargs):
        if isinstance(path, (str, os.PathLike)) and not args and not kwargs.get("dir_fd"):
            seen.append(os.fspath(path))
        return real(path, *args, **kwargs)

    os.stat = recorder
    try:
        yield seen
    finally:
        os.stat = real


# -- entries --------------------------------------------------------------------------------------

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

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_memo": {}}

    def _slot(self, path: str) -> str:
        h = _digest(os.path.abspath(path), self.settings)
        return os.path.join(self.directory, "lint", h[:2], h + ".json")

    def key(self, path: str, data: bytes) -> str:
        return _digest(hashlib.blake2b(data, digest_size=20).hexdigest(), os.path.abspath(path), self.settings,
                       outside_fingerprint(path, self.by_name, self._memo))

    def get(self, path: str, key: str) -> list[dict] | None:
        """The findings stored under ``key`` for ``path`` (as dicts), or None (a miss)."""
        try:
            with open(self._slot(path), "rb") as f:
                entry = json.loads(f.read())
            if not isinstance(entry, dict) or entry.get("schema") != SCHEMA or entry.get("key") != key:
                raise ValueError
            for dep, was in entry["stats"]:
                if _stat_print(dep) != was:
                    raise ValueError
            findings = entry["findings"]
            if not isinstance(findings, list):
                raise ValueError
        except (OSError, ValueError, TypeError, KeyError):
            self.misses += 1
            return None
        self.hits += 1
        return findings

    def put(self, path: str, key: str, findings: list[dict], stats: list[str]) -> None:
        """Store an entry atomically; a cache that cannot be written is no error (lint goes on)."""
        deps = {p: _stat_print(p) for p in dict.fromkeys(stats)}
        payload = json.dumps({"schema": SCHEMA, "key": key, "stats": sorted(deps.items()),
                              "findings": [{k: v for k, v in f.items() if k != "path"} for f in findings]},
                             separators=(",", ":")).encode()
        target = self._slot(path)
        try:
            self._ensure_root()
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(payload)
                os.replace(tmp, target)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass

    def _ensure_root(self) -> None:
        ignore = os.path.join(self.directory, ".gitignore")
        if os.path.exists(ignore):
            return
        os.makedirs(self.directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(GITIGNORE)
        os.replace(tmp, ignore)
