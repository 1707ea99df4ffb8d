"""The team policy core (nbkit.policy: reading, merging, checking) and ``nbkit lint --policy``
(the verdicts printed and in the JSON report, exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clihelp import nbkit_cli
from nbbuild import code, md, nb, write

from nbkit import schemas
from nbkit.config import Config, config_from_table, load_config
from nbkit.errors import ConfigError
from nbkit.findings import Finding, Severity
from nbkit.lintresult import LintResult
from nbkit.model import notebook_from_dict
from nbkit.policy import NO_POLICY, check, policy_from_table, resolve_policy

LAYOUT = [md("# Churn in Q3"), md("## Executive summary\n\nChurn rose by two points in Q3."),
          md("## Questions\n\n1. Why?"), md("## Setup"), code("import random", count=1), md("## Data"),
          code("x = 1", count=2), md("## Analysis"), code("y = x + 1", count=3)]
FINDINGS = md("## Findings\n\n1. It rose.")


def _nb(*cells, metadata=None) -> dict:
    return nb(*cells, metadata=metadata)


def _model(data: dict, path: str = "a.ipynb"):
    return notebook_from_dict(data, path)


def _config(policy: dict) -> Config:
    return config_from_table({"policy": policy}, "/proj/pyproject.toml")


# -- reading a policy ------------------------------------------------------------------------------

def test_no_policy_is_off_and_reports_nothing():
    result = check(_model(_nb(md("x"))), LintResult(), Config())
    assert result.configured is False and result.ok is True and result.violations == []
    assert result.to_dict()["sources"] == [] and result.summary() == "no team policy configured"
    assert NO_POLICY.configured is False
    # keys set to their "off" values are no policy either
    assert not policy_from_table({"required-sections": [], "require-seed": False,
                                  "max-severity-on-save": "off"}, "p").configured


def test_required_sections_accept_keys_labels_and_kebab_case_in_layout_order():
    policy = policy_from_table({"required-sections": ["Findings", "next-steps", "Executive summary", "findings"]},
                               "pyproject.toml")
    assert policy.required_sections == ("summary", "findings", "next_steps")
    assert policy.sources[0].kind == "pyproject" and policy.sources[0].keys == ("required-sections",)


@pytest.mark.parametrize(("table", "message"), [
    ({"required-sections": "findings"}, "tool.nbkit.policy.required-sections must be a list of section names"),
    ({"required-sections": ["Conclusionz"]}, "tool.nbkit.policy.required-sections: unknown section 'Conclusionz'"),
    ({"require-seed": "yes"}, "tool.nbkit.policy.require-seed must be true or false, not 'yes'"),
    ({"require-pinned-environment": 1}, "tool.nbkit.policy.require-pinned-environment must be true or false"),
    ({"max-severity-on-save": "fatal"}, "tool.nbkit.policy.max-severity-on-save must be error, warning, info or off"),
    ({"max-severity-on-save": 3}, "tool.nbkit.policy.max-severity-on-save must be error, warning, info or off"),
    ({"require-sed": True}, "unknown key tool.nbkit.policy.require-sed"),
])
def test_bad_values_are_one_line_config_errors_naming_the_file(table, message):
    with pytest.raises(ConfigError) as ei:
        policy_from_table(table, "/proj/pyproject.toml")
    assert message in ei.value.message and ei.value.path == "/proj/pyproject.toml"
    assert "\n" not in str(ei.value)


def test_server_policy_errors_name_the_setting():
    with pytest.raises(ConfigError) as ei:
        policy_from_table({"require-seed": "yes"}, None, kind="server")
    assert str(ei.value).startswith("NbkitService.policy: NbkitService.policy.require-seed must be true or false")
    assert ei.value.path is None


def test_the_server_policy_is_the_default_and_pyproject_overrides_the_keys_it_sets():
    server = {"required-sections": ["summary"], "require-seed": True}
    only_server = resolve_policy(Config(), server)
    assert only_server.required_sections == ("summary",) and only_server.require_seed
    assert only_server.source_label == "server configuration"
    merged = resolve_policy(_config({"required-sections": ["findings"], "require-pinned-environment": True}), server)
    assert merged.required_sections == ("findings",)  # the project's value
    assert merged.require_seed is True and merged.require_pinned_environment is True
    assert [(s.kind, s.keys) for s in merged.sources] == [
        ("server", ("require-seed",)), ("pyproject", ("required-sections", "require-pinned-environment"))]
    assert merged.source_label == "server configuration + pyproject.toml"
    # a project that overrides every key the server sets: only pyproject.toml is named
    assert resolve_policy(_config({"required-sections": [], "require-seed": False}), server).sources[0].kind == \
        "pyproject"
    assert not resolve_policy(_config({"required-sections": [], "require-seed": False}), server).configured


# -- checking a notebook --------------------------------------------------------------------------

def test_each_requirement_is_a_violation_with_a_fix():
    data = _nb(*LAYOUT)
    policy = _config({"required-sections": ["findings", "setup"], "require-pinned-environment": True,
                      "require-seed": True})
    result = check(_model(data, "dir/my nb.ipynb"), LintResult(), policy)
    assert result.ok is False
    assert [(v.kind, v.message, v.fix.action, v.fix.command) for v in result.violations] == [
        ("missing-section", "missing Findings", "insert-section:findings",
         "nbkit lint --fix --select NBL004 'dir/my nb.ipynb'"),
        ("environment-not-pinned", "environment not pinned", "pin", "nbkit pin 'dir/my nb.ipynb'"),
        ("seed-not-recorded", "seed not recorded", "seed", "nbkit pin --seed 42 'dir/my nb.ipynb'"),
    ]
    assert result.summary() == ("does not meet the team policy: missing Findings, environment not pinned, "
                                "seed not recorded")
    schemas.validate(result.to_dict(), "policy")


def test_a_section_without_a_fixing_rule_has_a_panel_action_but_no_command():
    data = _nb(*[c for c in LAYOUT if "Setup" not in c["source"]], FINDINGS)
    result = check(_model(data), LintResult(), _config({"required-sections": ["setup"]}))
    (v,) = result.violations
    assert v.section == "setup" and v.fix.action == "insert-section:setup" and v.fix.command is None


def test_layout_aliases_of_the_project_count():
    data = _nb(*LAYOUT, md("## What we learned\n\nIt rose."))
    cfg = config_from_table({"policy": {"required-sections": ["findings"]}, "layout": {"findings": ["what we learned"]}},
                            "pyproject.toml")
    assert check(_model(data), LintResult(), cfg).ok
    assert not check(_model(data), LintResult(), _config({"required-sections": ["findings"]})).ok


def test_metadata_pep723_and_percent_nbkit_seed_count_as_pinned_and_seeded():
    policy = _config({"require-pinned-environment": True, "require-seed": True})
    pinned = _nb(*LAYOUT, metadata={"nbkit": {"environment": {"python": "3.11", "packages": {}}, "seed": 3}})
    assert check(_model(pinned), LintResult(), policy).ok
    pep723 = _nb(code('# /// script\n# dependencies = ["numpy==2.0.0"]\n# ///\nimport numpy'),
                 code("%nbkit seed 42"), md("# T"))
    assert check(_model(pep723), LintResult(), policy).ok
    broken = _nb(code("# /// script\n# dependencies = [\n# ///\n"), code("%nbkit pin"))  # bad TOML; no seed call
    kinds = [v.kind for v in check(_model(broken), LintResult(), policy).violations]
    assert kinds == ["environment-not-pinned", "seed-not-recorded"]
    # a seed written as True is not a seed; a comment mentioning %nbkit seed is not a call
    fake = _nb(code("# %nbkit seed 1\nx = 1"), metadata={"nbkit": {"seed": True}})
    assert [v.kind for v in check(_model(fake), LintResult(), policy).violations] == ["environment-not-pinned",
                                                                                       "seed-not-recorded"]


def test_findings_at_or_above_the_limit_of_this_notebook_only():
    def finding(code, severity, path="a.ipynb"):
        return Finding(path, code, "x", Severity(severity), "m")

    lint = LintResult(findings=[finding("NBR004", "error"), finding("NBH007", "warning"),
                                finding("NBR004", "error"), finding("NBL001", "error", "other.ipynb")])
    data = _nb(*LAYOUT, FINDINGS)
    (v,) = check(_model(data), lint, _config({"max-severity-on-save": "error"})).violations
    assert v.kind == "findings-over-limit" and v.message == "2 findings at or above error" and v.codes == ("NBR004",)
    (v,) = check(_model(data), lint, _config({"max-severity-on-save": "warning"})).violations
    assert v.message == "3 findings at or above warning" and v.codes == ("NBR004", "NBH007")
    assert check(_model(data), LintResult(findings=[finding("NBH007", "info")]),
                 _config({"max-severity-on-save": "warning"})).ok


# -- nbkit lint --policy ----------------------------------------------------------------------------

def _project(tmp_path: Path, policy: str | None) -> Path:
    if policy is not None:
        (tmp_path / "pyproject.toml").write_text(
            '[project]\nname = "x"\ndependencies = ["numpy==2.0.0"]\n\n' + policy, encoding="utf-8")
    return tmp_path


POLICY = '[tool.nbkit.policy]\nrequired-sections = ["findings"]\nrequire-seed = true\n'


def test_cli_policy_violation_exits_1_and_prints_each_fix(tmp_path, capsys):
    root = _project(tmp_path, POLICY)
    path = write(root / "churn_analysis_q3.ipynb", _nb(*LAYOUT))
    code_, out, err = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", str(path))
    assert code_ == 1, (out, err)
    assert "does not meet the team policy: missing Findings, seed not recorded (policy from pyproject.toml)" in out
    assert f"policy: missing Findings; fix: nbkit lint --fix --select NBL004 {path}" in out
    assert "Team policy: 0 of 1 notebook meets it." in out
    # without --policy, the same lint passes: the policy is what fails
    assert nbkit_cli(capsys, "lint", "--select", "NBH006", str(path))[0] == 0


def test_cli_policy_met_exits_0_and_json_carries_the_verdicts(tmp_path, capsys):
    root = _project(tmp_path, POLICY)
    good = write(root / "churn_analysis_q3.ipynb", _nb(*LAYOUT, FINDINGS, metadata={"nbkit": {"seed": 1}}))
    write(root / "sub" / "churn_analysis_q4.ipynb", _nb(*LAYOUT))
    code_, out, _ = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", "--format", "json", str(good))
    assert code_ == 0
    report = json.loads(out)
    schemas.validate(report, "lint")
    assert report["policy"]["ok"] is True and report["policy"]["notebooks"][0]["ok"] is True
    code_, out, _ = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", "--format", "json", str(root))
    assert code_ == 1
    report = json.loads(out)
    schemas.validate(report, "lint")
    verdicts = {Path(n["path"]).name: n for n in report["policy"]["notebooks"]}
    assert verdicts["churn_analysis_q3.ipynb"]["ok"] is True
    assert [v["kind"] for v in verdicts["churn_analysis_q4.ipynb"]["violations"]] == ["missing-section",
                                                                                      "seed-not-recorded"]
    # old readers: without --policy there is no policy key at all
    assert "policy" not in json.loads(nbkit_cli(capsys, "lint", "--format", "json", str(good))[1])


def test_cli_without_a_policy_checks_nothing_and_says_so(tmp_path, capsys):
    path = write(_project(tmp_path, None) / "churn_analysis_q3.ipynb", _nb(*LAYOUT))
    code_, out, _ = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", str(path))
    assert code_ == 0 and "Team policy: none configured" in out
    code_, out, _ = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", "--format", "json", str(path))
    assert json.loads(out)["policy"] == {"configured": False, "ok": True, "notebooks": []}


def test_cli_an_invalid_policy_is_exit_2_one_line_naming_the_file(tmp_path, capsys):
    root = _project(tmp_path, '[tool.nbkit.policy]\nrequire-seed = "yes"\n')
    path = write(root / "churn_analysis_q3.ipynb", _nb(*LAYOUT))
    code_, out, err = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", str(path))
    assert code_ == 2
    assert err.strip().splitlines() == [f"nbkit: error: {root / 'pyproject.toml'}: tool.nbkit.policy.require-seed "
                                        "must be true or false, not 'yes'"]
    assert "Traceback" not in err
    # without --policy the policy's values are not read: lint itself is unaffected
    assert nbkit_cli(capsys, "lint", "--select", "NBH006", str(path))[0] == 0
    assert load_config(path).policy == {"require-seed": "yes"}


def test_cli_github_format_annotates_each_violation(tmp_path, capsys):
    root = _project(tmp_path, POLICY)
    path = write(root / "churn_analysis_q3.ipynb", _nb(*LAYOUT))
    code_, out, _ = nbkit_cli(capsys, "lint", "--policy", "--select", "NBH006", "--format", "github", str(path))
    assert code_ == 1
    lines = [ln for ln in out.splitlines() if "title=nbkit policy" in ln]
    assert len(lines) == 2 and lines[0].startswith("::error file=") and "missing Findings" in lines[0]
