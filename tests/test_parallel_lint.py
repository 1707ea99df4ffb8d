"""Linting in worker processes gives exactly what a serial run gives, in the same order."""

from __future__ import annotations

import json

from clihelp import nbkit_cli
from nbbuild import code, md, nb, write
from nbkit.config import Config
from nbkit.lint import lint_paths


def _corpus(tmp_path, n=40):
    (tmp_path / ".git").mkdir()
    for i in range(n):
        cells = [md(f"# Notebook {i}")] if i % 3 else [code("import numpy as np", count=1)]
        cells += [code(f"x{i} = np.random.rand({i})" if i % 2 else f"y = {i}", count=2 + (i % 4 == 0) * 5),
                  code("print(undefined_thing)", count=3)]
        sub = "a" if i % 2 else "b"
        write(tmp_path / sub / f"notebook_number_{i % 25:03d}.ipynb", nb(*cells))  # duplicate basenames
    (tmp_path / "a" / "broken_notebook.ipynb").write_text("{not json")
    return tmp_path


def test_parallel_lint_equals_serial(tmp_path):
    root = _corpus(tmp_path)
    serial = lint_paths([str(root)], Config(), jobs=1)
    parallel = lint_paths([str(root)], Config(), jobs=2)
    assert serial.findings and serial.errors
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]
    assert [(e.path, e.message) for e in parallel.errors] == [(e.path, e.message) for e in serial.errors]
    assert parallel.notebooks == serial.notebooks == 40
    assert any(f.code == "NBH014" for f in parallel.findings)  # project-wide rule sees every path


def test_cli_jobs_option(tmp_path, capsys):
    root = _corpus(tmp_path)
    rc1, out1, err1 = nbkit_cli(capsys, "lint", "--format", "json", "-j", "1", str(root))
    rc2, out2, err2 = nbkit_cli(capsys, "lint", "--format", "json", "-j", "2", str(root))
    assert (rc1, err1) == (rc2, err2) == (2, err1)
    assert json.loads(out1) == json.loads(out2)
    assert "broken_notebook.ipynb: not valid JSON" in err2
