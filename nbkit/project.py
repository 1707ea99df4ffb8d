"""The project around a notebook: its root, manifest and lock files, sibling notebooks.

Rules that need project files (NBR001-NBR003, NBR012, NBR013, NBH014) read them through a
:class:`Project`, which caches what it reads so a run over many notebooks reads each
manifest once.  Manifests are searched from the notebook's folder up to the project root and
parsed by :mod:`nbkit.manifests`.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from .manifests import (
    LOCK_FILES,
    LOCK_GLOBS,
    MANIFEST_NAMES,
    Manifest,
    parse_manifest_cached,
    parse_requirements_txt,
    read_text,
)
from .roots import ROOT_MARKERS, find_root, notebook_folder  # noqa: F401 - re-exported (the root is part of the project)


@dataclass
class FolderFiles:
    """What one folder contributes: manifests and lock files."""

    manifests: list[Manifest]
    locks: list[str]


def _scan_folder(folder: Path) -> FolderFiles:
    manifests: list[Manifest] = []
    locks: list[str] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return FolderFiles([], [])
    for name in names:
        # (every lock glob holds "lock": most names of a folder of notebooks skip the globs)
        if name in LOCK_FILES or ("lock" in name.lower() and any(fnmatch.fnmatch(name, g) for g in LOCK_GLOBS)):
            locks.append(str(folder / name))
            continue
        if name in MANIFEST_NAMES or (name.startswith("requirements") and name.endswith((".txt", ".in"))):
            p = folder / name
            if not os.path.isfile(p):
                continue
            m = parse_manifest_cached(str(p))
            if m is not None:
                manifests.append(m)
    req_dir = folder / "requirements"
    if req_dir.is_dir():
        for p in sorted(req_dir.glob("*.txt")):
            manifests.append(parse_requirements_txt(p))
    for m in manifests:
        if m.hashed or m.compiled:
            locks.append(m.path)
    return FolderFiles(manifests, locks)


# -- data files: DVC and Git LFS -----------------------------------------------------------------

def _lfs_patterns(folder: Path) -> list[str]:
    text = read_text(folder / ".gitattributes")
    if not text:
        return []
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            out.append(parts[0])
    return out


def _gitattr_match(pattern: str, rel: str) -> bool:
    """Does a .gitattributes pattern match ``rel`` (a path relative to the file's folder)?"""
    pattern = pattern.lstrip("/") if pattern.startswith("/") else pattern
    if "/" not in pattern.rstrip("/"):
        return fnmatch.fnmatch(os.path.basename(rel), pattern) or any(
            fnmatch.fnmatch(part, pattern.rstrip("/")) for part in rel.split("/")[:-1])
    if pattern.endswith("/**"):
        return rel.startswith(pattern[:-3] + "/")
    pat = pattern.replace("**/", "*")
    return fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pattern)


class Project:
    """Shared, cached knowledge about the files around the notebooks of one run."""

    def __init__(self, notebook_paths: list[str] | None = None, strip_outputs: bool = False):
        self.notebook_paths = [os.path.abspath(p) for p in (notebook_paths or [])]
        self.strip_outputs = strip_outputs
        self._cache: dict = {}

    def folder_of(self, nb_path: str) -> str:
        """The resolved folder of the notebook's file (a symlinked notebook's: its target's,
        maybe in another project).  Every memo below that depends on a notebook's surroundings
        is keyed by it, not by the folder as given, where a symlink and its neighbours meet."""
        key = ("folder_of", nb_path)  # (asked for by several rules per notebook)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = notebook_folder(nb_path, self._cache)
        return found

    def root_for(self, nb_path: str) -> str:
        return self.root_of(self.folder_of(nb_path))

    def root_of(self, folder: str) -> str:
        """:func:`find_root`, once per folder for the life of this project."""
        return self.cached(("root", folder), lambda: find_root(folder))

    def folders_up_to_root(self, nb_path: str) -> list[Path]:
        """The notebook's folder and its parents up to (and including) the project root (found
        once per folder: most notebooks of a run share a few folders)."""
        folder = self.folder_of(nb_path)
        return list(self.cached(("up", folder), lambda: self._folders_up_to_root(folder)))

    def _folders_up_to_root(self, folder: str) -> list[Path]:
        here = Path(folder)
        root = Path(self.root_of(folder))
        out = [here]
        if here == root or root not in here.parents:
            return out
        for d in here.parents:
            out.append(d)
            if d == root:
                break
        return out

    def cached(self, key, compute):
        """Memoise ``compute()`` under ``key`` for the life of this project."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def same_basename(self, nb_path: str) -> list[str]:
        """Other notebooks of this run with the same file name (NBH014)."""
        names = self.cached("basenames", lambda: _group_by_name(self.notebook_paths))
        me = os.path.abspath(nb_path)
        return [p for p in names.get(os.path.basename(me), []) if p != me]

    # -- manifests and locks --

    def _folder(self, folder: Path) -> FolderFiles:
        return self.cached(("folder", str(folder)), lambda: _scan_folder(folder))

    def manifests_for(self, nb_path: str) -> list[Manifest]:
        """Environment manifests from the notebook's folder up to the project root, nearest first."""
        return [m for d in self.folders_up_to_root(nb_path) for m in self._folder(d).manifests]

    def lock_files_for(self, nb_path: str) -> list[str]:
        """Lock files (and hashed pip-compile outputs) from the notebook's folder up to the root."""
        return [p for d in self.folders_up_to_root(nb_path) for p in self._folder(d).locks]

    def declared_distributions(self, nb_path: str) -> set[str]:
        """Normalised names of every distribution the manifests declare (and the project itself)."""
        def compute():
            out: set[str] = set()
            for m in self.manifests_for(nb_path):
                out |= m.names
                out |= set(m.provides)
            return out

        return self.cached(("declared", self.folder_of(nb_path)), compute)

    def manifests_complete(self, nb_path: str) -> bool:
        """False when some manifest could not be fully read (dynamic deps, non-literal setup.py)."""
        return all(m.complete for m in self.manifests_for(nb_path))

    # -- data files --

    def lfs_tracked(self, path: str) -> bool:
        """Is ``path`` matched by a ``filter=lfs`` pattern of a .gitattributes up to the root?"""
        p = Path(os.path.abspath(path))
        root = Path(self.root_of(str(p.parent)))
        folders = [d for d in p.parents if d == root or root in d.parents]
        for d in folders:
            patterns = self.cached(("lfs", str(d)), lambda d=d: _lfs_patterns(d))
            if not patterns:
                continue
            rel = p.relative_to(d).as_posix()
            if any(_gitattr_match(pat, rel) for pat in patterns):
                return True
        return False

    def dvc_tracked(self, path: str) -> bool:
        """Is ``path`` (or a folder holding it) tracked by DVC (a ``.dvc`` file beside it, or
        listed in a ``dvc.lock`` outs)?"""
        p = Path(os.path.abspath(path))
        root = Path(self.root_of(str(p.parent)))
        cur = p
        while True:
            if cur.with_name(cur.name + ".dvc").is_file():
                return True
            if cur == root or cur.parent == cur or root not in cur.parents:
                break
            cur = cur.parent
        lock = self.cached(("dvclock", str(root)), lambda: read_text(root / "dvc.lock") or "")
        if lock:
            rel = p.relative_to(root).as_posix() if root in p.parents else p.name
            return f"path: {rel}" in lock
        return False

    def data_manifest_text(self, nb_path: str) -> str:
        """Concatenated text of data manifests/checksum files near the notebook (NBR012)."""
        def compute():
            chunks = []
            folders = self.folders_up_to_root(nb_path)
            for d in list(folders):  # and their direct sub-folders (data/x.csv.dvc)
                try:  # (os.scandir: an entry knows whether it is a folder without a stat call)
                    with os.scandir(d) as entries:
                        subs = sorted(e.name for e in entries if not e.name.startswith(".")
                                      and not e.name.endswith((".dvc", "__pycache__"))
                                      and e.name not in ("node_modules",) and e.is_dir())
                    folders += [d / n for n in subs]
                except OSError:
                    continue
            for d in dict.fromkeys(folders):
                try:
                    names = sorted(os.listdir(d))
                except OSError:
                    continue
                for name in names:
                    low = name.lower()
                    if (low.endswith(".dvc") or low == "dvc.lock" or ("manifest" in low and "data" in low)
                            or low.startswith(("checksums", "sha256sums", "md5sums")) or low.endswith(
                                (".sha256", ".md5")) or low == "registry.txt"):
                        p = d / name
                        if p.is_file() and p.stat().st_size < 5_000_000:
                            chunks.append(read_text(p) or "")
            return "\n".join(chunks)

        return self.cached(("datamanifest", self.folder_of(nb_path)), compute)


def _group_by_name(paths: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in paths:
        out.setdefault(os.path.basename(p), []).append(p)
    return out
