"""The project root in a long-lived process (the server, a pytest session): a pyproject.toml or
a ``.git`` that appears above a notebook after a first lint moves the root on the next run
(``find_root`` was remembered for the life of the process: NBR001 went on saying "no
environment manifest" next to one)."""

from __future__ import annotations

import json

import pytest

from nbkit.config import Config
from nbkit.lint import lint_paths
from nbkit.roots import find_root


def _write_notebook(path) -> None:
    path.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [{"cell_type": "code", "id": "c0", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": "import pandas\n"}]}))


@pytest.mark.parametrize("cache", [False, True])
def test_a_manifest_added_above_is_seen_by_the_next_run(tmp_path, cache):
    project = tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    nb = project / "reports" / "sales_analysis.ipynb"
    _write_notebook(nb)
    kw = {"cache": str(tmp_path / "cache")} if cache else {}

    def codes() -> list[str]:
        return sorted(f["code"] for f in lint_paths([str(nb)], Config(), **kw).to_dict()["findings"])

    assert find_root(str(nb.parent)) == str(nb.parent)
    assert "NBR001" in codes()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\ndependencies = ["pandas==2.2.0"]\n')
    assert "NBR001" not in codes() and "NBR003" not in codes()
    assert find_root(str(nb.parent)) == str(project)
    (project / ".git").mkdir()
    (project / "pyproject.toml").unlink()
    assert find_root(str(nb.parent)) == str(project)
    assert "NBR001" in codes()
