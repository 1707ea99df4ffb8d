"""Golden reports: the JSON that `nbkit lint` and `nbkit verify` print must not change by accident.

The redesign (issue 10) moves code without changing behaviour; these tests pin the exact reports
on the bundled examples and on every rule case (linted with the default selection, not only the
case's own rule). A deliberate change of behaviour regenerates them:

    python tests/test_golden_reports.py            # rewrite tests/golden/*.json

and the diff of tests/golden/ is then part of the commit that changes behaviour.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from nbbuild import case_project  # noqa: E402

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
EXAMPLES = HERE.parent / "examples"
CASES_DIR = HERE / "rule_cases"


def _cli_json(args: list[str], cwd: Path) -> tuple[int, dict]:
    """Run the real click command in-process from ``cwd``; (exit code, parsed JSON report)."""
    import os

    from click.testing import CliRunner

    from nbkit.cli import main

    old = os.getcwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, json.loads(res.stdout)


def _scrub_verify(report: dict) -> dict:
    """Drop what differs between two runs of the same verify: durations and timestamps."""
    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items() if k not in {"duration_s", "at", "captured_at"}}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x
    report = walk(report)
    for nb in report.get("notebooks", []):
        if "unseeded" in nb["path"]:  # its fresh numbers are random by design: keep the shape only
            for c in nb.get("cells", []):  # (with --runs auto, "expected" of a nondeterministic cell is run 1)
                for k in ("actual", "diff") + (("expected",) if c.get("nondeterministic") else ()):
                    if k in c:
                        c[k] = "<random>"
    return report


def lint_examples() -> dict:
    rc, report = _cli_json(["lint", "--format", "json", "."], EXAMPLES)
    return {"exit": rc, "report": report}


def lint_rule_cases() -> dict:
    """Every rule case's notebook linted with the default rule selection and its options."""
    from nbkit.lint import lint_paths

    out: dict[str, list] = {}
    for f in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        code = spec["rule"]
        for i, case in enumerate(spec["cases"]):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "project"
                nb_path, cfg, others = case_project(root, code, case)
                result = lint_paths([str(nb_path), *others], cfg)
                rows = [[f.code, f.cell_index, f.line, f.severity.value, f.message.replace(str(root), "<root>"),
                         f.fixable] for f in result.findings if f.path == str(nb_path)]
                errors = [str(e).replace(str(root), "<root>") for e in result.errors]
                out[f"{code}-{i}"] = {"findings": rows, "errors": errors}
    return out


def verify_examples() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "examples"
        shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("ci", ".ipynb_checkpoints"))
        rc, report = _cli_json(["verify", "--format", "json", "."], copy)
    return {"exit": rc, "report": _scrub_verify(report)}


PRODUCERS = {"lint_examples": lint_examples, "lint_rule_cases": lint_rule_cases, "verify_examples": verify_examples}


def _golden(name: str):
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def test_lint_examples_report_is_golden():
    assert lint_examples() == _golden("lint_examples")


def test_lint_rule_cases_reports_are_golden():
    got, want = lint_rule_cases(), _golden("lint_rule_cases")
    assert got.keys() == want.keys()
    changed = [k for k in want if got[k] != want[k]]
    assert not changed, {k: {"got": got[k], "want": want[k]} for k in changed[:5]}


@pytest.mark.kernel
@pytest.mark.slow
def test_verify_examples_report_is_golden():
    assert verify_examples() == _golden("verify_examples")


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name in sys.argv[1:] or PRODUCERS:
        data = PRODUCERS[name]()
        if name == "lint_rule_cases":  # one line per case keeps the diffs of a behaviour change readable
            text = "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in data.items()) + "\n}"
        else:
            text = json.dumps(data, indent=1, sort_keys=True)
        (GOLDEN / f"{name}.json").write_text(text + "\n", encoding="utf-8")
        print(f"wrote tests/golden/{name}.json")
