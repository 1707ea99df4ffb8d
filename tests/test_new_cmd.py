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


def test_new_refuses_non_ipynb_and_missing_folder(tmp_path, capsys):
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "x.txt"))
    assert rc == 2 and ".ipynb" in err
    rc, _, err = nbkit_cli(capsys, "new", str(tmp_path / "nope" / "some_notebook.ipynb"))
    assert rc == 2 and "does not exist" in err
