"""Import purity: `import nbkit` and `nbkit lint` start no Jupyter server, papermill or kernel
client, and the pure core needs neither the CLI library nor IPython."""

from __future__ import annotations

import subprocess
import sys

from nbbuild import code, md, nb, write


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
