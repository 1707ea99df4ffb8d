"""Data-driven rule tests: tests/rule_cases/<CODE>.yaml holds pass and fail cases per rule.

Each case writes a notebook (and any project files it lists) into a temporary folder and
runs the real lint pipeline with only that rule selected.

    rule: NBH006
    cases:
      - name: empty code cell between two others
        notebook: {cells: [{md: "# T"}, {code: ""}, {code: "x = 1", count: 1}]}
        expect: [{cell: 1}]          # each expected finding: cell, line, severity, message (substring)
      - name: no empty cells
        notebook: {cells: [{md: "# T"}]}
        expect: []
    # optional per case: filename (default analysis_notebook.ipynb), files {relpath: text},
    # options {option: value}, profile, git (bool: make the folder a repository root),
    # lint_also [relpath, ...] (other notebooks of the project linted in the same run; only the
    # case's own notebook's findings are compared)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nbbuild import case_project
from nbkit import rules as registry
from nbkit.lint import lint_paths

CASES_DIR = Path(__file__).resolve().parents[1] / "rule_cases"


def _load_cases():
    out = []
    for f in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        for i, case in enumerate(spec["cases"]):
            out.append(pytest.param(spec["rule"], case, id=f"{spec['rule']}-{i}-{case.get('name', '')[:40]}"))
    return out


@pytest.mark.parametrize("code,case", _load_cases())
def test_rule_case(tmp_path, code, case):
    nb_path, cfg, others = case_project(tmp_path / "project", code, case)
    result = lint_paths([str(nb_path), *others], cfg, select=[code])
    assert not result.errors, result.errors
    got = [f for f in result.findings if f.code == code and f.path == str(nb_path)]
    assert all(not f.message.startswith("internal error") for f in got), got
    expect = case["expect"]
    assert len(got) == len(expect), f"expected {len(expect)} finding(s), got: " + "; ".join(
        f"cell {f.cell_index} line {f.line}: {f.message}" for f in got)
    for f, e in zip(got, expect):
        if "cell" in e:
            assert f.cell_index == e["cell"], (f, e)
        if "line" in e:
            assert f.line == e["line"], (f, e)
        if "severity" in e:
            assert f.severity.value == e["severity"], (f, e)
        if "message" in e:
            assert e["message"].lower() in f.message.lower(), (f, e)


def test_every_static_rule_has_pass_and_fail_cases():
    covered: dict[str, tuple[bool, bool]] = {}
    for f in CASES_DIR.glob("*.yaml"):
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        fails = any(c["expect"] for c in spec["cases"])
        passes = any(not c["expect"] for c in spec["cases"])
        covered[spec["rule"]] = (fails, passes)
    missing = [r.code for r in registry.all_rules(static_only=True) if covered.get(r.code) != (True, True)]
    assert not missing, f"rules without both a failing and a passing case: {missing}"
