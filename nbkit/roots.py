"""The project root of a folder (light: the lint cache finds it without loading the manifests)."""

from __future__ import annotations

import os
ROOT_MARKERS = (".git", ".hg", ".svn")


def find_root(folder: str) -> str:
    """The nearest folder at or above ``folder`` holding a VCS directory; else ``folder``'s
    nearest ancestor with a pyproject.toml; else the folder itself.

    Not remembered here: a long-lived process (the server, a pytest session) would keep an old
    root after a ``.git`` or a pyproject.toml appears or goes; callers memoise it for one run
    (the rules' ``Project``, the lint cache's memo)."""
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


def notebook_folder(nb_path: str, memo: dict) -> str:
    """The resolved folder of the file ``nb_path`` names: where the files the rules look at
    around a notebook (manifests, lock files, data) are, for a symlinked notebook too (its
    target's folder, maybe in another project).  ``memo``: a run's dict; the folder of a
    notebook that is no symlink is resolved once per folder as given (one ``lstat`` a notebook).
    Memos keyed by this folder, not the folder as given, cannot mix a symlinked notebook up
    with its neighbours."""
    path = os.path.abspath(nb_path)
    if os.path.islink(path):
        return os.path.dirname(os.path.realpath(path))
    given = os.path.dirname(path)
    key = ("realdir", given)
    real = memo.get(key)
    if real is None:
        real = memo[key] = os.path.realpath(given)
    return real
