"""The project root of a folder (light: the lint cache finds it without loading the manifests)."""

from __future__ import annotations

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
