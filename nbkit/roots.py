"""The project root of a folder (light: the lint cache finds it without loading the manifests)."""

from __future__ import annotations

import os
from functools import lru_cache

ROOT_MARKERS = (".git", ".hg", ".svn")


@lru_cache(maxsize=256)
def find_root(folder: str) -> str:
    """The nearest folder at or above ``folder`` holding a VCS directory; else ``folder``'s
    nearest ancestor with a pyproject.toml; else the folder itself."""
    here = os.path.realpath(folder)  # os.path, not pathlib: the lint cache's hit path stays light
    chain = [here]
    while (parent := os.path.dirname(chain[-1])) != chain[-1]:
        chain.append(parent)
    for d in chain:
        if any(os.path.exists(os.path.join(d, m)) for m in ROOT_MARKERS):
            return d
    for d in chain:
        if os.path.isfile(os.path.join(d, "pyproject.toml")):
            return d
    return here
