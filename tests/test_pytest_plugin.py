"""The pytest plugin, run the way users run it: pytest in a subprocess, on notebooks in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from nbbuild import code, error, md, nb, result, stream, write

PYPROJECT = """\
[project]
name = "demo"
dependencies = ["numpy==2.4.6"]

[tool.pytest.ini_options]
{ini}

[tool.nbkit]
{nbkit}
"""


def _project(root: Path, ini: str = "", nbkit: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(ini=ini, nbkit=nbkit), encoding="utf-8")
    return root


def _pytest(root: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NBKIT_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "nbkit.pytest_plugin", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--strict-markers", "-rA", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _junit(path: Path) -> dict[str, ET.Element]:
    tree = ET.parse(path)
    return {f"{tc.get('classname')}::{tc.get('name')}": tc for tc in tree.iter("testcase")}


def _template(title: str) -> dict:
    from nbkit.template import new_notebook

    return new_notebook(title)


def test_inert_without_the_option(tmp_path):
    root = _project(tmp_path / "proj")
    write(root / "would_fail_if_run.ipynb", nb(md("# X"), code("1/0", count=1)))
    (root / "test_plain.py").write_text(
        "import sys\n\n"
        "def test_nothing_heavy_was_imported():\n"
        "    heavy = [m for m in ('nbkit.verify', 'nbkit.report', 'papermill', 'jupyter_client', 'nbclient',\n"
        "                         'IPython', 'rich') if m in sys.modules]\n"
        "    assert heavy == []\n")
    # (nbval and nbmake, installed for the migration tests, import nbclient themselves)
    p = _pytest(root, "-p", "no:nbval", "-p", "no:nbmake")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed" in p.stdout
    assert "ipynb" not in p.stdout
    # and the options are there for whoever asks
    p = _pytest(root, "--help")
    assert "--nbkit" in p.stdout and "--nbkit-lint" in p.stdout and "nbkit_timeout" in p.stdout


@pytest.mark.slow
def test_lint_items_honour_config_and_cell_tags(tmp_path):
    root = _project(tmp_path / "proj", nbkit='[tool.nbkit.lint]\nignore = ["NBD", "NBR007"]\nexclude = ["scratch/"]')
    write(root / "clean_template_report.ipynb", _template("A clean report"))
    write(root / "archive" / "clean_template_report.ipynb", _template("An older clean report"))
    unseeded = _template("Unseeded sampling")
    unseeded["cells"][6]["source"] = "sample = np.random.normal(size=3)"  # the seeding cell, now unseeded
    unseeded["cells"][8]["source"] = "sample.shape"
    write(root / "analysis" / "unseeded_sampling_demo.ipynb", unseeded)
    tagged = _template("Unseeded but acknowledged")
    tagged["cells"][6]["source"] = "sample = np.random.normal(size=3)"
    tagged["cells"][6]["metadata"] = {"tags": ["nbkit:ignore[NBR004]"]}
    tagged["cells"][8]["source"] = "sample.shape"
    tagged["cells"].insert(9, {"cell_type": "code", "id": "empty1", "metadata": {}, "source": "",
                               "execution_count": None, "outputs": []})  # NBH006, a warning
    write(root / "analysis" / "acknowledged_sampling.ipynb", tagged)
    write(root / "scratch" / "never_collected_scratch.ipynb", nb(md("no title"), code("import os")))

    p = _pytest(root, "--nbkit-lint", "--junitxml", "lint.xml")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "scratch" not in p.stdout
    cases = _junit(root / "lint.xml")
    assert set(cases) == {"clean_template_report.ipynb::lint", "analysis.unseeded_sampling_demo.ipynb::lint",
                          "analysis.acknowledged_sampling.ipynb::lint", "archive.clean_template_report.ipynb::lint"}
    assert cases["clean_template_report.ipynb::lint"].find("failure") is None
    # project-wide rules see every collected notebook, as `nbkit lint .` does (NBH014 is a warning)
    assert "NBH014 duplicate-filename (warning)" in p.stdout
    assert cases["analysis.acknowledged_sampling.ipynb::lint"].find("failure") is None
    failure = cases["analysis.unseeded_sampling_demo.ipynb::lint"].find("failure")
    assert failure is not None
    text = failure.text
    assert "analysis/unseeded_sampling_demo.ipynb: 1 finding at or above error" in text
    assert "NBR004 unseeded-random (error)" in text
    assert f"cell 6 (id {unseeded['cells'][6]['id']}), line 1" in text
    assert "NBD" not in text and "NBR007" not in text  # ignored by [tool.nbkit.lint]

    # findings below the threshold are shown, not failed
    assert "cell 9 (id empty1): NBH006 empty-cell (warning)" in p.stdout  # -rA shows passed tests' sections

    # --nbkit-fail-on and marker selection
    p = _pytest(root, "--nbkit-lint", "--nbkit-fail-on", "warning", "-m", "nbkit_lint", "-q", "analysis")
    assert p.returncode == 1
    assert "2 failed" in p.stdout, p.stdout
    assert "analysis/acknowledged_sampling.ipynb: 1 finding at or above warning" in p.stdout


@pytest.mark.slow
def test_ini_options_enable_the_plugin_and_bad_values_are_one_line(tmp_path):
    root = _project(tmp_path / "proj", ini="nbkit_lint = true")
    write(root / "clean_template_report.ipynb", _template("A clean report"))
    p = _pytest(root, "-v")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "clean_template_report.ipynb::lint PASSED" in p.stdout

    bad = _project(tmp_path / "bad", ini='nbkit = true\nnbkit_timeout = "soon"')
    p = _pytest(bad, "-q")
    assert p.returncode == 4  # pytest's usage error
    assert "nbkit_timeout must be a number of seconds, not 'soon'" in p.stderr
    assert "Traceback" not in p.stderr

    broken = _project(tmp_path / "broken", nbkit='profile = "sloppy"')
    write(broken / "clean_template_report.ipynb", _template("A clean report"))
    p = _pytest(broken, "--nbkit-lint", "-q")
    assert p.returncode == 1
    assert "tool.nbkit.profile must be one of report, exploratory, not 'sloppy'" in p.stdout
    assert "Traceback" not in p.stdout


@pytest.mark.kernel
@pytest.mark.slow
def test_verify_items_with_xdist_and_junit(tmp_path):
    root = _project(tmp_path / "proj", nbkit="[tool.nbkit.verify]\ntimeout = 3\n\n[tool.nbkit.lint]\n"
                                             'exclude = ["scratch"]')
    write(root / "reproduces.ipynb", nb(
        md("# R"), code("print(6 * 7)", count=1, outputs=[stream("42\n")]),
        code("1/0", count=2, tags=["raises-exception"],                          # nbclient/nbmake tag
             outputs=[error("ZeroDivisionError", "division by zero")]),
        code("import time; time.time()", count=3, outputs=[result("1.0", 3)], tags=["nbkit:ignore-output"]),
        code("# NBVAL_IGNORE_OUTPUT\nimport os; os.getpid()", count=4, outputs=[result("1", 4)]),
        code("raise SystemExit('not run')", count=5, tags=["nbkit:skip"])))
    write(root / "mismatch.ipynb", nb(
        md("# M"), code("x = 41 + 1\nprint(x)", count=1, outputs=[stream("41\n")]),
        code("x * 2", count=2, outputs=[result("84", 2)])))
    write(root / "sub" / "fails.ipynb", nb(md("# F"), code("values = [1, 2]", count=1),
                                          code("values[1] / 0", count=2)))
    write(root / "sub" / "too_slow.ipynb", nb(md("# S"), code("import time; time.sleep(30)", count=1)))
    write(root / "scratch" / "excluded.ipynb", nb(md("# E"), code("1/0", count=1)))

    p = _pytest(root, "--nbkit", "-n", "2", "--junitxml", "verify.xml")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "2 workers" in p.stdout
    cases = _junit(root / "verify.xml")
    assert set(cases) == {"reproduces.ipynb::verify", "mismatch.ipynb::verify", "sub.fails.ipynb::verify",
                          "sub.too_slow.ipynb::verify"}

    def props(name):
        return {pr.get("name"): pr.get("value") for pr in cases[name].iter("property")}

    failure = cases["reproduces.ipynb::verify"].find("failure")
    assert failure is None, failure.text
    assert props("reproduces.ipynb::verify")["nbkit_status"] == "reproducible"

    mism = cases["mismatch.ipynb::verify"].find("failure").text
    assert props("mismatch.ipynb::verify") == {"nbkit_status": "mismatch", "nbkit_code": "NBR021"}
    assert mism.startswith("mismatch.ipynb: mismatch (NBR021): 1 cell differs")
    assert "cell 1 (id cell1): mismatch" in mism
    assert "-41" in mism and "+42" in mism  # the diff
    assert "cell 2" not in mism  # the matching cell is not reported

    fails = cases["sub.fails.ipynb::verify"].find("failure").text
    assert fails.startswith("sub/fails.ipynb: failed (NBR020): cell 2 (id cell2) raised ZeroDivisionError")
    assert props("sub.fails.ipynb::verify")["nbkit_status"] == "failed"

    slow = cases["sub.too_slow.ipynb::verify"].find("failure").text
    assert "timeout" in slow and "3 s timeout" in slow  # [tool.nbkit.verify] timeout was honoured

    # the command-line timeout overrides the configuration; -k picks one notebook
    p = _pytest(root, "--nbkit", "--nbkit-timeout", "60", "-k", "reproduces or mismatch", "-q")
    assert p.returncode == 1
    assert "1 failed, 1 passed" in p.stdout, p.stdout

    # --nbkit-update accepts the fresh outputs (nbmake's --overwrite); afterwards the notebook reproduces
    p = _pytest(root, "--nbkit", "--nbkit-update", "-k", "mismatch or reproduces", "-q")
    assert p.returncode == 0, p.stdout
    assert "stored outputs updated" in p.stdout
    assert '"42\\n"' in (root / "mismatch.ipynb").read_text()
    p = _pytest(root, "--nbkit", "-k", "mismatch", "-q")
    assert p.returncode == 0, p.stdout
