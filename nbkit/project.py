"""The project around a notebook: its root, manifest and lock files, sibling notebooks.

Rules that need project files (NBR001-NBR003, NBR013, NBH014) read them through a
:class:`Project`, which caches what it reads so a run over many notebooks reads each
manifest once.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

ROOT_MARKERS = (".git", ".hg", ".svn")


@lru_cache(maxsize=256)
def find_root(folder: str) -> str:
    """The nearest folder at or above ``folder`` holding a VCS directory; else ``folder``'s
    nearest ancestor with a pyproject.toml; else the folder itself."""
    here = Path(folder).resolve()
    for d in (here, *here.parents):
        if any((d / m).exists() for m in ROOT_MARKERS):
            return str(d)
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file():
            return str(d)
    return str(here)


class Project:
    """Shared, cached knowledge about the files around the notebooks of one run."""

    def __init__(self, notebook_paths: list[str] | None = None, strip_outputs: bool = False):
        self.notebook_paths = [os.path.abspath(p) for p in (notebook_paths or [])]
        self.strip_outputs = strip_outputs
        self._cache: dict = {}

    def root_for(self, nb_path: str) -> str:
        return find_root(os.path.dirname(os.path.abspath(nb_path)))

    def folders_up_to_root(self, nb_path: str) -> list[Path]:
        """The notebook's folder and its parents up to (and including) the project root."""
        here = Path(os.path.abspath(nb_path)).resolve().parent
        root = Path(self.root_for(nb_path))
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


def _group_by_name(paths: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in paths:
        out.setdefault(os.path.basename(p), []).append(p)
    return out
