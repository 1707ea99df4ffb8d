"""pre-commit: the hooks file and the example config are valid, and the hooks work in a real
``pre-commit run`` on a git repository of notebooks."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cmdcheck import check_nbkit_args
from nbbuild import code, md, nb, result, stream, write

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
EXAMPLE = ROOT / "examples" / ".pre-commit-config.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def _hooks() -> dict[str, dict]:
    from pre_commit.clientlib import load_manifest

    return {h["id"]: h for h in load_manifest(str(HOOKS))}  # validates against pre-commit's schema


def test_hooks_file_is_valid_and_calls_existing_commands():
    hooks = _hooks()
    assert {"nbkit-lint", "nbkit-verify"} <= set(hooks)
    for hook in hooks.values():
        assert hook["types"] == ["jupyter"], hook["id"]
        words = shlex.split(hook["entry"])
        assert words[0] == "nbkit"
        check_nbkit_args([*words[1:], *hook["args"], "a.ipynb", "b.ipynb"])  # pre-commit appends file names
    # lint is static: its own virtualenv suffices; verify needs the user's packages and kernel
    assert hooks["nbkit-lint"]["language"] == "python"
    # (pre-commit 4.4 calls `system` `unsupported`; the file says `system`, which every version reads)
    assert hooks["nbkit-verify"]["language"] in ("system", "unsupported")
    assert {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}["nbkit-verify"]["language"] == "system"
    # verify is slow: never on every commit unless the user asks for it
    assert "pre-commit" not in hooks["nbkit-verify"]["stages"]


def test_example_config_is_valid_and_uses_existing_hooks():
    from pre_commit.clientlib import load_config

    config = load_config(str(EXAMPLE))  # validates against pre-commit's schema
    hooks = _hooks()
    used = []
    for repo in config["repos"]:
        assert repo["repo"].endswith("/nbkit")
        for hook in repo["hooks"]:
            assert hook["id"] in hooks, f"{hook['id']} is not in .pre-commit-hooks.yaml"
            entry = shlex.split(hooks[hook["id"]]["entry"])
            check_nbkit_args([*entry[1:], *hook.get("args", []), "analysis.ipynb"])
            used.append(hook["id"])
    assert "nbkit-lint" in used and "nbkit-verify" in used


def _repo(tmp_path: Path, hook_ids: list[str], args: dict | None = None) -> tuple[Path, dict]:
    """A git repository whose .pre-commit-config.yaml runs nbkit's hooks, as defined in
    .pre-commit-hooks.yaml, from this checkout (language: system: nbkit is installed here)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    raw = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    local = []
    for hid in hook_ids:
        h = {k: v for k, v in raw[hid].items() if k != "minimum_pre_commit_version"}
        h["language"] = "system"
        if args and hid in args:
            h["args"] = args[hid]
        local.append(h)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = ["numpy==2.4.6"]\n\n'
                                         '[tool.nbkit.lint]\nignore = ["NBD", "NBR007"]\n')
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    env.pop("PRE_COMMIT", None)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=env)
    return repo, env


def _good(title: str) -> dict:
    from nbkit.template import new_notebook

    return new_notebook(title)


def _precommit(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never", *args],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_lint_hook_in_a_real_pre_commit_run(tmp_path):
    repo, env = _repo(tmp_path, ["nbkit-lint"])
    write(repo / "analysis" / "churn_drivers_q3.ipynb", _good("Churn drivers in Q3"))
    (repo / "notes.txt").write_text("not a notebook\n")
    p = _precommit(repo, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "nbkit lint" in p.stdout and "Passed" in p.stdout

    # an unseeded, out-of-order notebook is refused, naming the file and the rule
    write(repo / "analysis" / "random_sampling_demo.ipynb", nb(
        md("# Random sampling"), code("import random", count=2), code("random.random()", count=1,
                                                                   outputs=[result("0.5", 1)])))
    p = _precommit(repo, env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Failed" in p.stdout
    assert "random_sampling_demo.ipynb" in p.stdout and "NBH001" in p.stdout
    assert "churn_drivers_q3.ipynb" not in p.stdout.split("Failed", 1)[1].replace("random_sampling", "")


def test_lint_fix_hook_changes_files_and_fails_once(tmp_path):
    repo, env = _repo(tmp_path, ["nbkit-lint-fix"], args={"nbkit-lint-fix": ["--select", "NBH006"]})
    path = write(repo / "cleanup_example_nb.ipynb", nb(md("# T"), code("x = 1", count=1), code("", count=None),
                                                       code("x", count=2, outputs=[result("1", 2)])))
    p = _precommit(repo, env)
    assert p.returncode == 1 and "files were modified by this hook" in p.stdout, p.stdout + p.stderr
    assert '"source": ""' not in path.read_text()
    p = _precommit(repo, env)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.kernel
@pytest.mark.slow
def test_verify_hook_runs_in_the_manual_stage(tmp_path):
    repo, env = _repo(tmp_path, ["nbkit-verify"])
    write(repo / "prints_a_number.ipynb", nb(md("# N"), code("print(6 * 7)", count=1, outputs=[stream("42\n")])))
    p = _precommit(repo, env)  # not on commit: the hook is opt-in
    assert p.returncode == 0 and "nbkit verify" not in p.stdout, p.stdout
    p = _precommit(repo, env, "--hook-stage", "manual")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "nbkit verify" in p.stdout and "Passed" in p.stdout
    write(repo / "prints_a_number.ipynb", nb(md("# N"), code("print(6 * 7)", count=1, outputs=[stream("41\n")])))
    p = _precommit(repo, env, "--hook-stage", "manual")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "prints_a_number.ipynb" in p.stdout and "mismatch" in p.stdout
