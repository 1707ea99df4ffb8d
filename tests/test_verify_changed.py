"""``nbkit verify --changed [REF]`` (issue 14, item 5) against a real git repository: changed,
untracked and data-changed notebooks are selected, the default ref is the default branch's merge
base, and bad input (no repository, an unknown ref) is one line and exit 2."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from clihelp import nbkit_cli
from nbbuild import code, nb, write

from nbkit.errors import UsageError
from nbkit.verify.changed import default_ref, select_changed, split_ref_and_paths


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout.strip()


def pinned_nb(data: dict | None = None) -> dict:
    notebook = nb(code("x = 1", count=1))
    if data is not None:
        notebook["metadata"]["nbkit"] = {"data": data}
    return notebook


def pin(path: Path) -> dict:
    raw = path.read_bytes()
    return {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """main: a, b, sub/c (pins data/in.csv), d (pins data/other.csv); then a branch `work`."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "data").mkdir()
    (root / "data" / "in.csv").write_text("a\n1\n")
    (root / "data" / "other.csv").write_text("b\n2\n")
    write(root / "a.ipynb", pinned_nb())
    write(root / "b.ipynb", pinned_nb())
    write(root / "sub" / "c.ipynb", pinned_nb({"../data/in.csv": pin(root / "data" / "in.csv")}))
    write(root / "d.ipynb", pinned_nb({"data/other.csv": pin(root / "data" / "other.csv")}))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-q", "-b", "work")
    monkeypatch.chdir(root)
    return root


def names(sel) -> list[str]:
    return sorted(Path(p).name for p in sel.notebooks)


def test_changed_untracked_and_data_changed_notebooks_are_selected(repo):
    sel = select_changed([], None)
    assert sel.notebooks == [] and sel.total == 4 and sel.ref == "main"
    assert sel.summary() == "0 of 4 notebooks changed since main"

    write(repo / "a.ipynb", nb(code("x = 2", count=1)))          # committed on the branch
    git(repo, "commit", "-qam", "edit a")
    write(repo / "b.ipynb", nb(code("x = 3", count=1)))          # modified, not committed
    write(repo / "new.ipynb", pinned_nb())                       # untracked
    (repo / "data" / "in.csv").write_text("a\n9\n")              # data pinned by sub/c.ipynb
    sel = select_changed([], None)
    assert names(sel) == ["a.ipynb", "b.ipynb", "c.ipynb", "new.ipynb"]
    reasons = {Path(p).name: r for p, r in sel.reasons.items()}
    assert reasons == {"a.ipynb": "changed", "b.ipynb": "changed", "new.ipynb": "untracked",
                       "c.ipynb": "data: ../data/in.csv"}
    assert sel.summary() == "4 of 5 notebooks changed since main (1 untracked, 1 for their data)"
    # only notebooks under the given paths
    assert names(select_changed(["sub"], None)) == ["c.ipynb"]
    assert select_changed(["sub"], None).total == 1
    # staged counts too
    git(repo, "add", "b.ipynb")
    assert "b.ipynb" in names(select_changed([], None))


def test_a_data_file_outside_git_that_no_longer_matches_its_pin(repo):
    (repo / ".gitignore").write_text("data/other.csv\n")
    git(repo, "rm", "-q", "--cached", "data/other.csv")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "untrack data")
    assert "d.ipynb" not in names(select_changed([], "HEAD"))
    (repo / "data" / "other.csv").write_text("b\n3\n")  # same size, other bytes: git cannot see it
    sel = select_changed([], "HEAD")
    assert names(sel) == ["d.ipynb"] and sel.reasons[sel.notebooks[0]] == "data: data/other.csv"
    (repo / "data" / "other.csv").unlink()  # missing
    assert names(select_changed([], "HEAD")) == ["d.ipynb"]


def test_an_explicit_ref_compares_with_its_merge_base(repo):
    write(repo / "a.ipynb", nb(code("x = 2", count=1)))
    git(repo, "commit", "-qam", "edit a")
    first = git(repo, "rev-parse", "HEAD")
    write(repo / "b.ipynb", nb(code("x = 5", count=1)))
    git(repo, "commit", "-qam", "edit b")
    assert names(select_changed([], "HEAD~1")) == ["b.ipynb"]
    assert names(select_changed([], first)) == ["b.ipynb"]
    # main moved on after the branch started: its own changes are not the branch's
    git(repo, "checkout", "-q", "main")
    write(repo / "d.ipynb", nb(code("x = 7", count=1)))
    git(repo, "commit", "-qam", "main moves")
    git(repo, "checkout", "-q", "work")
    assert names(select_changed([], "main")) == ["a.ipynb", "b.ipynb"]


def test_default_ref_resolution(repo, tmp_path):
    assert default_ref(str(repo)) == "main"
    git(repo, "branch", "-m", "main", "master")
    assert default_ref(str(repo)) == "master"
    # origin/HEAD wins when there is one
    git(repo, "update-ref", "refs/remotes/origin/trunk", "HEAD")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert default_ref(str(repo)) == "origin/trunk"
    assert select_changed([], None).ref == "origin/trunk"
    # none of them
    git(repo, "symbolic-ref", "--delete", "refs/remotes/origin/HEAD")
    git(repo, "branch", "-m", "master", "other")
    with pytest.raises(UsageError, match="no default branch"):
        default_ref(str(repo))


def test_a_path_given_to_changed_is_a_path(repo):
    assert split_ref_and_paths("sub", ()) == (None, ["sub"])
    assert split_ref_and_paths("main", ("sub",)) == ("main", ["sub"])
    git(repo, "branch", "sub")  # a branch named like the folder: git's rule, the ref wins
    assert split_ref_and_paths("sub", ()) == ("sub", [])


def test_cli_prints_the_selection_and_verifies_only_it(repo, capsys):
    write(repo / "new.ipynb", nb())  # untracked; no code cell: verified without a kernel
    code_, out, err = nbkit_cli(capsys, "verify", "--changed", "--format", "json")
    assert code_ == 0
    assert "nbkit verify: 1 of 5 notebooks changed since main (1 untracked)" in err
    report = json.loads(out)
    assert [n["path"] for n in report["notebooks"]] == ["new.ipynb"]
    # a path after --changed is a path, the ref stays the default
    code_, out, err = nbkit_cli(capsys, "verify", "--changed", "sub", "--format", "json")
    assert code_ == 0 and "0 of 1 notebook changed since main" in err
    assert json.loads(out)["notebooks"] == []


def test_errors_are_one_line_and_exit_2(repo, tmp_path, capsys):
    code_, out, err = nbkit_cli(capsys, "verify", "--changed=no-such-ref")
    assert code_ == 2 and "unknown git ref 'no-such-ref'" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    outside = tmp_path / "plain"
    outside.mkdir()
    write(outside / "x.ipynb", pinned_nb())
    os.chdir(outside)
    code_, out, err = nbkit_cli(capsys, "verify", "--changed")
    assert code_ == 2 and "is not inside a git repository" in err
    assert len(err.strip().splitlines()) == 1
    code_, out, err = nbkit_cli(capsys, "verify")
    assert code_ == 2 and "give at least one notebook or folder" in err
