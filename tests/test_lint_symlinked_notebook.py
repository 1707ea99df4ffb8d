"""A symlinked notebook whose target lives in another project, listed next to a notebook of
this one: each is linted against its own project's files, cached or not (issue 14: "never a
wrong result").

The rules that look around a notebook (NBR001-NBR003 manifests, NBR012 data manifests, NBR013
data) read the files around the notebook's resolved path; their per-folder memos (the rules'
``Project``, the lint cache's project root and folder listing) were keyed by the folder as
given, so the first of the two notebooks linted decided both notebooks' manifests, and a change
to the other project's manifest did not invalidate the symlink's cache entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbkit.config import Config, clear_cache
from nbkit.lint import lint_paths
from nbkit.requests import LintRequest, run_lint

SOURCE = "import numpy\nimport pandas\nprint(numpy, pandas)\n"


def _notebook(path: Path) -> None:
    path.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [{"cell_type": "code", "id": "c0", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": SOURCE}]}))


def _manifest(folder: Path, *deps: str) -> None:
    # the same size whatever the dependencies: what the rules ``stat`` does not change, only the bytes
    listed = ", ".join(f'"{d}"' for d in deps).ljust(40)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{folder.name.lower()}"\nversion = "0"\n'
                                           f"dependencies = [{listed}]\n")


def _by_path(result: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in result["findings"]:
        out.setdefault(f["path"], []).append(f)
    return out


def _alone(paths: list[str]) -> dict[str, list]:
    """The truth: each notebook linted on its own, without the cache."""
    out: dict[str, list] = {}
    for p in paths:
        out.update(_by_path(lint_paths([p], Config()).to_dict()))
    return out


@pytest.mark.parametrize("route", ["lint_paths", "run_lint"])
@pytest.mark.parametrize("link_name", ["link_to_b.ipynb", "0_link_to_b.ipynb"])  # after and before a's
def test_symlinked_notebook_of_another_project(tmp_path, route, link_name):
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    b.mkdir()
    _manifest(a, "numpy")
    _manifest(b, "pandas")
    _notebook(a / "analysis_a.ipynb")
    _notebook(b / "analysis_b.ipynb")
    (a / link_name).symlink_to(b / "analysis_b.ipynb")
    paths = [str(a / "analysis_a.ipynb"), str(a / link_name)]
    cache = tmp_path / "cache"

    def folder(use_cache: bool) -> dict[str, list]:
        clear_cache()
        if route == "lint_paths":
            res = lint_paths([str(a)], Config(), cache=str(cache) if use_cache else False)
        else:
            res = run_lint(LintRequest.from_raw([str(a)], cache=str(cache) if use_cache else False))
        return _by_path(res.to_dict())

    def undeclared(found: dict[str, list], path: str) -> list[str]:
        return sorted(f["message"].split("'")[1] for f in found[path] if f["code"] == "NBR003")

    truth = _alone(paths)
    assert undeclared(truth, paths[0]) == ["pandas"]  # A declares numpy
    assert undeclared(truth, paths[1]) == ["numpy"]  # the link's target is B's: B declares pandas
    assert folder(False) == truth
    assert folder(True) == truth  # cold
    assert folder(True) == truth  # warm
    for project, other in ((b, "numpy"), (a, "pandas")):  # each project in turn declares both
        _manifest(project, "numpy", "pandas")
        truth = _alone(paths)
        assert folder(True) == truth, f"after {project.name}/pyproject.toml changed"
        assert folder(False) == truth
    assert undeclared(truth, paths[0]) == undeclared(truth, paths[1]) == []
