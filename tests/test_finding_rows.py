"""The row form of a finding (nbkit/findingrow.py, Finding.to_row/from_row, to_rows/from_rows):
one field order for the lint cache's entries and the parallel workers' replies; the shared
exit-status test (findingrow.fails); the shared grouping of a run by configuration
(lintgroups.config_groups/in_run_order); the one colour decision (cli/lintflow.use_color)."""

from __future__ import annotations

import pytest

from nbkit.findingrow import ROW_FIELDS, fails
from nbkit.findings import Finding, Severity, from_rows, to_rows
from nbkit.lintcache import FIELDS, as_dicts
from nbkit.lintresult import LintResult
from nbkit.lintgroups import config_groups, in_run_order

FINDINGS = [
    Finding("a.ipynb", "NBR004", "unseeded-random", Severity.ERROR, "np.random.rand before a seed"),
    Finding("a.ipynb", "NBH001", "x-y", Severity.WARNING, "é 漢字 🙂", cell_index=3, cell_id="a1", line=2,
            fixable=True),
    Finding("a.ipynb", "NBD001", "no-title", Severity.INFO, "", cell_index=0, cell_id="", line=0),
]


def test_a_row_holds_every_field_but_the_path_in_the_declared_order():
    assert FIELDS is ROW_FIELDS
    for f in FINDINGS:
        row = f.to_row()
        expected = {k: v for k, v in f.to_dict().items() if k != "path"}
        assert dict(zip(ROW_FIELDS, row)) == expected
        assert list(ROW_FIELDS) == list(expected)  # to_dict's order after the path
        assert as_dicts([row]) == [expected]


def test_rows_turn_back_into_the_same_findings():
    rows = to_rows(FINDINGS)
    assert rows == [f.to_row() for f in FINDINGS]
    assert from_rows("a.ipynb", rows) == FINDINGS
    assert [Finding.from_row("a.ipynb", r) for r in rows] == FINDINGS
    assert all(type(f.severity) is Severity for f in from_rows("a.ipynb", rows))
    assert from_rows("a.ipynb", [tuple(r) for r in rows]) == FINDINGS  # pickled or parsed alike
    assert from_rows("b.ipynb", rows)[0].path == "b.ipynb"


def test_the_stored_row_is_the_cache_format_on_disk():
    # nbkit.lintcache/2 entries hold exactly these lists (json): a cache written before reads the same
    assert FINDINGS[1].to_row() == ["NBH001", "x-y", "warning", "é 漢字 🙂", 3, "a1", 2, True]


@pytest.mark.parametrize("threshold", list(Severity))
def test_fails_agrees_with_the_results_exit_status(threshold):
    for k in range(len(FINDINGS) + 1):
        findings = FINDINGS[k:]
        expected = any(f.severity.rank >= threshold.rank for f in findings)
        assert fails((f.severity.value for f in findings), threshold.value) is expected
        assert LintResult(findings=list(findings)).exit_code(threshold) == int(expected)
    assert [s.rank for s in (Severity.INFO, Severity.WARNING, Severity.ERROR)] == [1, 2, 3]


def test_a_run_groups_by_configuration_object_and_sorts_back_into_its_order():
    one, two = object(), object()
    found = [("a", one), ("b", two), ("c", one), ("d", two)]
    everyone, groups = config_groups(found)  # type: ignore[arg-type]
    assert everyone == ["a", "b", "c", "d"]
    assert groups == [(one, ["a", "c"]), (two, ["b", "d"])]
    findings = [Finding(p, "X", "x", Severity.INFO, m) for p, m in
                [("a", "1"), ("c", "2"), ("c", "3"), ("b", "4"), ("d", "5")]]
    in_run_order(findings, everyone, groups)
    assert [f.message for f in findings] == ["1", "4", "2", "3", "5"]  # stable within a notebook
    single = list(reversed(findings))
    in_run_order(single, everyone, [groups[0]])  # one configuration: left as it is
    assert [f.message for f in single] == ["5", "3", "2", "4", "1"]


@pytest.mark.parametrize("env,output,expected", [
    ({}, None, False),  # pytest's standard output is no terminal
    ({"FORCE_COLOR": "1"}, None, True),
    ({"FORCE_COLOR": "1"}, "-", True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, None, False),
    ({"FORCE_COLOR": "1"}, "report.txt", False),
])
def test_one_colour_decision_for_the_command_and_the_fast_paths(monkeypatch, env, output, expected):
    from nbkit.cli import common, fastlint, lintflow

    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert common.use_color is lintflow.use_color is fastlint.use_color
    assert lintflow.use_color(output) is expected
    assert fastlint._color() is False  # printed to no terminal: click would strip the colours
