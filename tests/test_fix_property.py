"""Issue 11 item 20: a property test over the fixable rules.

For random notebooks built from the cells of the rule cases (tests/rule_cases/*.yaml), ``lint
--fix`` applies as many fixes as lint reported fixable findings, and lint after the fix never has
a finding that was not there before (nor one more level skip, NBL010: the notebooks hold headings
of every level, H3 and deeper too)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbbuild import from_case, write

from nbkit import rules as registry
from nbkit.config import Config
from nbkit.lint import lint_paths

CASES = Path(__file__).parent / "rule_cases"


def _case_cells() -> list[dict]:
    cells: list[dict] = []
    for f in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(f.read_text(encoding="utf-8"))["cases"]:
            cells.extend(from_case({"cells": case["notebook"].get("cells", [])})["cells"])
    unique = {repr(sorted(c.items())): c for c in cells}
    return list(unique.values())  # headings of every level: H3 and deeper too


CELLS = _case_cells()
FIXABLE = sorted(r.code for r in registry.all_rules(static_only=True) if r.fix is not None)


def test_the_pool_holds_cells_every_fixable_rule_reports():
    assert len(CELLS) > 100
    deep = [c for c in CELLS if c["cell_type"] == "markdown"
            and any(ln.lstrip().startswith(("### ", "#### ")) for ln in "".join(c["source"]).splitlines())]
    assert len(deep) >= 5  # H3 and deeper headings are in the pool (a section inserted above one must not skip a level)
    assert {"NBL001", "NBL002", "NBL003", "NBL004", "NBH006", "NBH015"} <= set(FIXABLE)


@pytest.mark.slow
@pytest.mark.timeout(300)
@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(CELLS), min_size=1, max_size=10), st.booleans())
def test_fix_applies_what_lint_called_fixable_and_adds_no_finding(cells, ids):
    notebook = {"cells": [dict(c, id=f"c{i}") if ids else {k: v for k, v in c.items() if k != "id"}
                          for i, c in enumerate(cells)],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5 if ids else 4}
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / ".git").mkdir()
        path = str(write(Path(d) / "analysis_notebook.ipynb", notebook))
        config = Config()
        before = lint_paths([path], config)
        assert not before.errors, before.errors
        fixable = sum(1 for f in before.findings if f.fixable)
        fixed = lint_paths([path], config, fix=True)
        assert not fixed.errors, fixed.errors
        assert fixed.fixed.get(path, 0) == fixable, (
            [(f.code, f.message) for f in before.findings if f.fixable],
            [(f.code, f.message) for f in fixed.findings])
        after = lint_paths([path], config)
        assert not any(f.fixable for f in after.findings), [(f.code, f.message) for f in after.findings]
        # a finding is known by its rule: a missing section --fix inserted may still be reported as
        # empty (the same rule, now on the inserted cell), and a notebook whose sections were out of
        # order may be out of order in one more place; but no rule that was silent may speak now
        new = {f.code for f in after.findings} - {f.code for f in before.findings}
        assert not new, ([(f.code, f.cell_index, f.message) for f in after.findings if f.code in new],
                         [(f.code, f.cell_index, f.message) for f in before.findings])
        # and an inserted section never makes the outline skip a level where it did not
        skips = [sum(1 for f in r.findings if f.code == "NBL010") for r in (before, after)]
        assert skips[1] <= skips[0], [(f.cell_index, f.message) for f in after.findings if f.code == "NBL010"]
