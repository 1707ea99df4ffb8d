"""The CI templates under examples/ci/ are valid YAML and call nbkit the way nbkit's CLI accepts."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cmdcheck import check_nbkit_args, expand, nbkit_commands

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / "examples" / "ci" / "github" / "notebooks.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a YAML mapping"
    return data


def _gh_steps(job: dict) -> list[dict]:
    steps = job.get("steps")
    assert isinstance(steps, list) and steps
    return steps


def _gh_commands(wf: dict) -> dict[str, list[tuple[dict, list[str]]]]:
    """job -> [(step, nbkit args)], with every matrix value substituted."""
    env = {k: str(v) for k, v in wf.get("env", {}).items()}
    out: dict[str, list] = {}
    for name, job in wf["jobs"].items():
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        combos = [{}]
        for key, values in matrix.items():
            combos = [{**c, key: str(v)} for c in combos for v in values]
        for combo in combos:
            for step in _gh_steps(job):
                if "run" in step:
                    for args in nbkit_commands(step["run"], {**env, **combo}):
                        out.setdefault(name, []).append((step, args, combo))
    return out


def test_github_workflow_is_valid_and_complete():
    wf = _load(GITHUB)
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
    triggers = wf.get("on", wf.get(True))
    assert "pull_request" in triggers and "push" in triggers
    assert set(wf["jobs"]) >= {"lint", "verify"}
    for name, job in wf["jobs"].items():
        assert job.get("runs-on"), name
        for step in _gh_steps(job):
            assert ("uses" in step) != ("run" in step), f"{name}: a step needs exactly one of uses/run: {step}"
    assert wf["jobs"]["lint"]["permissions"]["security-events"] == "write"


def test_github_workflow_calls_existing_commands_and_options():
    wf = _load(GITHUB)
    commands = _gh_commands(wf)
    seen = set()
    for job, calls in commands.items():
        for _step, args, _combo in calls:
            sub, params = check_nbkit_args(args)
            seen.add((job, sub, params.get("fmt")))
    assert ("lint", "lint", "github") in seen
    assert ("lint", "lint", "sarif") in seen
    assert ("verify", "verify", "html") in seen


def test_github_sarif_is_uploaded_from_the_file_lint_writes():
    wf = _load(GITHUB)
    lint = wf["jobs"]["lint"]
    outputs = [check_nbkit_args(a)[1]["output"] for _s, a, _c in _gh_commands(wf)["lint"]
               if check_nbkit_args(a)[1].get("fmt") == "sarif"]
    uploads = [s for s in _gh_steps(lint) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(uploads) == 1 and outputs
    assert uploads[0]["with"]["sarif_file"] in outputs


def test_github_verify_matrix_covers_every_shard_once():
    from nbkit.verify.controls import parse_shard

    wf = _load(GITHUB)
    job = wf["jobs"]["verify"]
    shards = job["strategy"]["matrix"]["shard"]
    total = int(wf["env"]["SHARDS"])
    assert sorted(shards) == list(range(1, total + 1)), "the matrix and SHARDS disagree"
    assert job["strategy"].get("fail-fast") is False, "one failing shard must not cancel the others"
    got = set()
    uploads = [s for s in _gh_steps(job) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(uploads) == 1
    for _step, args, combo in _gh_commands(wf)["verify"]:
        sub, params = check_nbkit_args(args)
        if sub != "verify":
            continue
        got.add(parse_shard(params["shard"]))
        # the artifact step uploads the report this shard wrote
        assert expand(uploads[0]["with"]["path"], combo) == params["output"]
    assert got == {(i, total) for i in range(1, total + 1)}


def test_gitlab_ci_is_valid_and_calls_existing_commands():
    from nbkit.verify.controls import parse_shard

    ci = _load(GITLAB)
    assert set(ci["stages"]) == {"lint", "verify"}
    jobs = {k: v for k, v in ci.items() if isinstance(v, dict) and "script" in v}
    assert {j["stage"] for j in jobs.values()} == {"lint", "verify"}
    env = {k: str(v) for k, v in ci.get("variables", {}).items()}
    subs = set()
    for name, job in jobs.items():
        total = int(job.get("parallel", 1))
        for index in range(1, total + 1):
            variables = {**env, "CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(total)}
            for line in job["script"]:
                for args in nbkit_commands(line, variables):
                    sub, params = check_nbkit_args(args)
                    subs.add((sub, params.get("fmt")))
                    if sub == "verify":
                        assert parse_shard(params["shard"]) == (index, total), name
                        kept = [expand(p, variables) for p in job["artifacts"]["paths"]]
                        assert any(fnmatch.fnmatch(params["output"], k) for k in kept), (params["output"], kept)
                    if params.get("fmt") == "junit":
                        assert job["artifacts"]["reports"]["junit"] == params["output"]
    assert ("lint", "junit") in subs and ("verify", "html") in subs


def test_a_wrong_option_is_caught():
    # the checker itself must fail on what nbkit would refuse
    with pytest.raises(AssertionError, match="--shards"):
        check_nbkit_args(["verify", ".", "--shards", "1/4"])
    with pytest.raises(AssertionError, match="no sub-command 'check'"):
        check_nbkit_args(["check", "."])
    with pytest.raises(AssertionError, match="format"):
        check_nbkit_args(["verify", ".", "--format", "sarif"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_github_lint_steps_run_on_a_repository(tmp_path):
    """Run the lint job's shell steps, as written, on a copy of the examples."""
    from nbbuild import code, md, nb, write

    wf = _load(GITHUB)
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", repo / "notebooks", ignore=shutil.ignore_patterns("ci", ".*"))
    write(repo / "notebooks" / "empty_title_only.ipynb", nb(md("# Only a title"), code("1 + 1")))
    env = {**os.environ, **{k: str(v) for k, v in wf["env"].items()},
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    steps = [s for s in _gh_steps(wf["jobs"]["lint"]) if "run" in s and "pip install" not in s["run"]]
    results = []
    for step in steps:
        p = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True,
                           timeout=120, check=False)
        results.append((step["name"], p.returncode, p.stdout, p.stderr))
    by_name = {r[0]: r for r in results}
    annotations = by_name["Lint (annotations on the pull request)"]
    assert annotations[1] == 1, annotations  # the flawed examples have errors
    assert "::error file=" in annotations[2]
    sarif_step = by_name["Lint (SARIF for code scanning)"]
    assert sarif_step[1] == 0, sarif_step  # findings do not fail the upload step
    sarif = json.loads((repo / "nbkit.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_github_verify_shards_cover_every_notebook_once(tmp_path):
    """Run the verify job's shell step, as written, for every matrix shard."""
    from nbbuild import code, md, nb, stream, write

    wf = _load(GITHUB)
    job = wf["jobs"]["verify"]
    step = next(s for s in _gh_steps(job) if "run" in s and "nbkit verify" in s["run"])
    repo = tmp_path / "repo"
    names = ["alpha_notebook.ipynb", "sub/beta_notebook.ipynb", "sub/gamma_notebook.ipynb"]
    for k, name in enumerate(names):
        write(repo / name, nb(md(f"# N{k}"), code(f"print({k} * 2)", count=1, outputs=[stream(f"{k * 2}\n")])))
    env = {**os.environ, **{k: str(v) for k, v in wf["env"].items()},
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    seen: list[str] = []
    for shard in job["strategy"]["matrix"]["shard"]:
        script = expand(step["run"], {**env, "shard": str(shard)})
        p = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                           timeout=300, check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        report = (repo / f"verify-{shard}.html").read_text(encoding="utf-8")
        seen += [n for n in names if n in report]
    assert sorted(seen) == sorted(names)  # every notebook in exactly one shard's report
