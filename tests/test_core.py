"""Core behaviour: import purity, `nbkit new`, --fix byte-identity, IPython syntax, the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, write
from nbkit.analysis import Facts
from nbkit.ipysyntax import transform_cell
from nbkit.model import markdown_headings, normalise_heading, parse_notebook

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

BLOCKER = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError('blocked import: ' + name)
sys.meta_path.insert(0, Block())
"""


def test_core_and_lint_import_without_jupyter_server_papermill_or_kernels(tmp_path):
    nbp = write(tmp_path / "some_notebook_here.ipynb", nb(md("# T"), code("%matplotlib inline\nx = 1", count=1)))
    blocked = ["papermill", "jupyter_server", "jupyter_client", "nbclient", "ipykernel", "tornado", "zmq"]
    script = BLOCKER.format(blocked=blocked) + f"""
import nbkit, nbkit.lint, nbkit.config, nbkit.model, nbkit.layout, nbkit.analysis, nbkit.report.lint_reports
from nbkit.rules import all_rules
all_rules()
sys.argv = ['nbkit', 'lint', '--format', 'json', {str(nbp)!r}]
from nbkit.cli import run
try:
    run()
except SystemExit as e:
    print('exit', e.code)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "blocked import" not in out.stderr, out.stderr
    assert out.stdout.strip().splitlines()[-1] in ("exit 0", "exit 1"), out.stdout + out.stderr


def test_pure_core_imports_without_cli_library(tmp_path):
    script = BLOCKER.format(blocked=["click", "rich", "IPython", "jupyter_server", "papermill"]) + """
import nbkit
from nbkit.lint import lint_source
from nbkit.config import Config
r = lint_source({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}, "x.ipynb", Config())
print("ok", r.notebooks)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok 1", out.stderr


def test_new_writes_a_layout_notebook_that_lints_clean_and_refuses_overwrite(tmp_path, capsys):
    target = tmp_path / "quarterly_review.ipynb"
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\n")  # project-level rules need a manifest
    rc, out, err = nbkit_cli(capsys, "new", str(target), "--title", "Quarterly review")
    assert rc == 0 and target.exists()
    data = json.loads(target.read_text())
    assert data["cells"][0]["source"].startswith("# Quarterly review")
    assert any("parameters" in c["metadata"].get("tags", []) for c in data["cells"])
    rc, out, err = nbkit_cli(capsys, "lint", "--format", "json", "--fail-on", "error", str(target))
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [], errors
    before = target.read_bytes()
    rc, out, err = nbkit_cli(capsys, "new", str(target))
    assert rc == 2 and "already exists" in err and target.read_bytes() == before


def test_new_refuses_non_ipynb_and_missing_folder(tmp_path, capsys):
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "x.txt"))
    assert rc == 2 and ".ipynb" in err
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "nope" / "some_notebook.ipynb"))
    assert rc == 2 and "does not exist" in err


@pytest.mark.parametrize("name", ["regional_sales_report.ipynb", "flawed/absolute_paths.ipynb"])
def test_fix_with_nothing_to_fix_leaves_bytes_identical(tmp_path, capsys, name):
    src = EXAMPLES / name
    target = tmp_path / Path(name).name
    target.write_bytes(src.read_bytes())
    (tmp_path / ".git").mkdir()
    # select only fixable rules that do not apply to this notebook
    rc, out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBL001", str(target))
    assert target.read_bytes() == src.read_bytes()


def test_atomic_writer_keeps_style_and_mode(tmp_path):
    from nbkit.nbio import detect_style, dumps, write_notebook

    for indent in (1, 2, 4):
        raw = (json.dumps(nb(md("# T"), code("x = 'é'")), indent=indent, sort_keys=True, ensure_ascii=False)
               + "\n").encode()
        p = tmp_path / f"n{indent}.ipynb"
        p.write_bytes(raw)
        os.chmod(p, 0o640)
        write_notebook(p, json.loads(raw))
        assert p.read_bytes() == raw
        assert oct(p.stat().st_mode & 0o777) == oct(0o640)
        assert detect_style(raw).indent == indent
    assert dumps({"b": 1, "a": 2}).startswith(b'{\n "a"')
    assert not list(tmp_path.glob("*.nbkit-tmp"))


@pytest.mark.parametrize("src,expect", [
    ("%matplotlib inline\nimport os", "get_ipython().run_line_magic('matplotlib', 'inline')\nimport os"),
    ("!pip install numpy==2.0", "get_ipython().system('pip install numpy==2.0')"),
    ("files = !ls -la", "files = get_ipython().getoutput('ls -la')"),
    ("x = %who_ls", "x = get_ipython().run_line_magic('who_ls', '')"),
    ("np.mean?", "get_ipython().run_line_magic('pinfo', 'np.mean')"),
    ("for i in range(3):\n    %time f(i)", "for i in range(3):\n    get_ipython().run_line_magic('time', 'f(i)')"),
    ("x = (1 +\n 2)", "x = (1 +\n 2)"),
    ("y = 10 % 3", "y = 10 % 3"),
])
def test_ipython_syntax_transforms_to_python(src, expect):
    assert transform_cell(src) == expect


def test_time_cell_magic_keeps_syntax_errors_visible():
    import ast

    out = transform_cell("%%time\nx = (")
    with pytest.raises(SyntaxError):
        ast.parse(out)


def test_cell_magics():
    out = transform_cell("%%bash\necho hi\nls")
    assert out.splitlines()[0].startswith("get_ipython().run_cell_magic('bash', '', ")
    assert out.count("\n") == 2  # line numbers kept
    out = transform_cell("%%time\nx = 1\ny = x + 1")
    assert out.splitlines()[1:] == ["x = 1", "y = x + 1"]


def test_headings_atx_setext_html_and_fences():
    src = "# One\ntext\nTwo\n---\n```\n# not\n```\n<h3>Three</h3>\n## Four ##"
    hs = markdown_headings(src, 0)
    assert [(h.level, h.text, h.line) for h in hs] == [(1, "One", 1), (2, "Two", 3), (3, "Three", 8), (2, "Four", 9)]


@pytest.mark.parametrize("text,key", [
    ("1. Executive Summary:", "executive summary"),
    ("II. Findings", "findings"),
    ("📊 Key takeaways", "key takeaways"),
    ("**TL;DR**", "tl;dr"),
    ("2.1 Data sources", "data sources"),
    ("[Questions](#questions)", "questions"),
])
def test_heading_normalisation(text, key):
    assert normalise_heading(text) == key


def test_model_reads_list_and_string_sources_and_ids():
    nbj = nb(md(["# T\n", "text"]), code("x = 1", count=3))
    model = parse_notebook(json.dumps(nbj).encode(), "a.ipynb")
    assert model.cells[0].source == "# T\ntext"
    assert model.cells[1].execution_count == 3 and model.cells[1].id == "cell1"
    parsed = Facts(model).parsed(model.cells[1])
    assert parsed.tree is not None and parsed.syntax_error is None and model.cells[1].tree is not None
