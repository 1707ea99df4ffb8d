"""The bundled examples: nbkit reports what examples/README.md says, and nothing absurd."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clihelp import nbkit_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LAYOUT = {"NBL002", "NBL003", "NBL004", "NBL008"}
FLAWED_COMMON = {"NBD004", "NBR007"}

EXPECTED_LINT = {
    "regional_sales_report.ipynb": set(),
    "flawed/out_of_order_execution.ipynb": {"NBH001", "NBH002", "NBR011", "NBD001"} | LAYOUT | FLAWED_COMMON,
    "flawed/unseeded_randomness.ipynb": {"NBR004"} | LAYOUT | FLAWED_COMMON,
    "flawed/absolute_paths.ipynb": {"NBR009", "NBR010"} | LAYOUT | FLAWED_COMMON,
    "flawed/missing_sections.ipynb": LAYOUT | FLAWED_COMMON,
}
EXPECTED_VERIFY = {
    "regional_sales_report.ipynb": "reproducible",
    "flawed/out_of_order_execution.ipynb": "failed",
    "flawed/unseeded_randomness.ipynb": "nondeterministic",  # --runs auto: its confirming run disagrees (issue 12)
    "flawed/absolute_paths.ipynb": "reproducible",
    "flawed/missing_sections.ipynb": "reproducible",
}


def _rel(path: str) -> str:
    return Path(path).resolve().relative_to(EXAMPLES).as_posix()


def test_lint_examples_reports_what_the_readme_says(capsys):
    rc, out, err = nbkit_cli(capsys, "lint", "--format", "json", str(EXAMPLES))
    assert err == ""
    report = json.loads(out)
    got: dict[str, set[str]] = {name: set() for name in EXPECTED_LINT}
    for f in report["findings"]:
        got[_rel(f["path"])].add(f["code"])
    assert got == EXPECTED_LINT
    assert rc == 1
    # the headline findings point at the right cells
    by = {(_rel(f["path"]), f["code"]): f for f in report["findings"]}
    assert by[("flawed/out_of_order_execution.ipynb", "NBR011")]["cell_index"] == 2
    assert "prices" in by[("flawed/out_of_order_execution.ipynb", "NBR011")]["message"]
    assert by[("flawed/unseeded_randomness.ipynb", "NBR004")]["cell_index"] == 2
    nbr009 = [f for f in report["findings"] if f["code"] == "NBR009"]
    assert len(nbr009) == 2 and all(f["cell_index"] == 2 for f in nbr009)


def test_readme_table_names_every_example_and_its_codes():
    text = (EXAMPLES / "README.md").read_text()
    for name, codes in EXPECTED_LINT.items():
        assert f"`{name}`" in text
        for code in codes - FLAWED_COMMON - LAYOUT:
            assert code in text, (name, code)


def test_fix_inserts_missing_sections_in_a_copy(tmp_path, capsys):
    target = tmp_path / "missing_sections.ipynb"
    shutil.copy(EXAMPLES / "flawed" / "missing_sections.ipynb", target)
    (tmp_path / ".git").mkdir()
    rc, out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBL", str(target))
    cells = json.loads(target.read_text())["cells"]
    headings = [c["source"].splitlines()[0] if isinstance(c["source"], str) else c["source"][0].rstrip("\n")
                for c in cells if c["cell_type"] == "markdown"]
    assert any("Executive summary" in h for h in headings)
    assert any("Questions" in h for h in headings)
    assert any("Findings" in h for h in headings)


@pytest.mark.kernel
@pytest.mark.slow
def test_verify_examples_tells_reproducible_from_flawed(tmp_path, capsys):
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*.ipynb")}
    rc, out, err = nbkit_cli(capsys, "verify", "--format", "json", "-j", "2", str(copy))
    report = json.loads(out)
    got = {Path(n["path"]).resolve().relative_to(copy.resolve()).as_posix(): n["status"] for n in report["notebooks"]}
    assert got == EXPECTED_VERIFY
    assert rc == 1
    assert {p: p.read_bytes() for p in copy.rglob("*.ipynb")} == before
    failed = next(n for n in report["notebooks"] if n["status"] == "failed")
    assert "NameError" in failed["message"]
