"""`nbkit new`: a notebook with the standard layout that lints clean; refusals."""

from __future__ import annotations

import json

from clihelp import nbkit_cli


def test_new_writes_a_layout_notebook_that_lints_clean_and_refuses_overwrite(tmp_path, capsys):
    target = tmp_path / "quarterly_review.ipynb"
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\n")  # project-level rules need a manifest
    rc, out, err = nbkit_cli(capsys, "new", str(target), "--title", "Quarterly review")
    assert rc == 0 and target.exists()
    data = json.loads(target.read_text())
    assert data["cells"][0]["source"].startswith("# Quarterly review")
    assert any("parameters" in c["metadata"].get("tags", []) for c in data["cells"])
    rc, out, err = nbkit_cli(capsys, "lint", "--format", "json", "--fail-on", "error", str(target))
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert errors == [], errors
    before = target.read_bytes()
    rc, out, err = nbkit_cli(capsys, "new", str(target))
    assert rc == 2 and "already exists" in err and target.read_bytes() == before


def test_new_refuses_non_ipynb(tmp_path, capsys):
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "x.txt"))
    assert rc == 2 and ".ipynb" in err


def test_new_creates_missing_folders_and_says_so(tmp_path, capsys):
    target = tmp_path / "nope" / "deeper" / "some_notebook.ipynb"
    rc, out, err = nbkit_cli(capsys, "new", str(target))
    assert rc == 0, err
    assert target.is_file()
    assert f"created folder {target.parent}" in out and f"created {target}" in out
    (tmp_path / "a_file").write_text("x")
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "a_file" / "some_notebook.ipynb"))
    assert rc == 2 and "cannot create the folder" in err


def test_readme_tour_new_command_works_and_the_readme_claim_holds(tmp_path, capsys, monkeypatch):
    """The README's first tour command, run as written in an empty folder, then linted: no
    errors once a manifest exists (what the README claims), NBR001 before, never NBH013."""
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = next(ln for ln in readme.splitlines() if ln.startswith("nbkit new "))
    args = shlex.split(line.split("#", 1)[0])[1:]
    claim = " ".join(readme.split())
    assert "lints without errors once the project lists its packages" in claim
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    rc, out, err = nbkit_cli(capsys, *args)
    assert rc == 0, err
    notebook = args[1]
    assert "created folder" in out and Path(notebook).is_file()
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", notebook)
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "NBH013" not in codes and "NBR001" in codes
    Path("requirements.txt").write_text("numpy==2.4.6\n")
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", notebook)
    findings = json.loads(out)["findings"]
    assert rc == 0 and not [f for f in findings if f["severity"] == "error"], findings
    assert {f["code"] for f in findings} <= {"NBR007"}, findings
    assert "NBR007 warns" in claim
