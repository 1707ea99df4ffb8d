"""The lint route: saved and unsaved notebooks, the project's configuration, the panel's extras
(profile, ignore, layout, pin, drift), the event loop and the parse cache."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from nbbuild import code, md, nb, write
from serverhelp import GOOD, UNTITLED

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


# -- lint ---------------------------------------------------------------------------------------

async def test_lint_saved_notebook(api, jp_root_dir):
    write(jp_root_dir / "sub" / "bad.ipynb", UNTITLED)
    status, rep = await api("lint", {"path": "sub/bad.ipynb"})
    assert status == 200
    assert rep["schema"] == "nbkit.lint/1"
    codes = [f["code"] for f in rep["findings"]]
    assert "NBL001" in codes
    assert all(f["path"] == "sub/bad.ipynb" for f in rep["findings"])  # API path, not a server path
    assert str(jp_root_dir) not in json.dumps(rep)
    assert rep["summary"]["notebooks"] == 1 and rep["summary"]["error"] >= 1
    checklist = {c["section"]: c for c in rep["status"]["layout"]}
    assert checklist["title"]["present"] is False and checklist["title"]["insert_at"] == 0
    assert checklist["setup"]["present"] is True and checklist["setup"]["cell_index"] == 1
    assert rep["status"]["pinned"] is False and rep["status"]["seed"] is None and rep["status"]["verified"] is None
    assert rep["status"]["saved"] is True
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("nbkit").joinpath("schemas/lint.schema.json").read_text())
    jsonschema.validate(rep, schema)  # the REST reply is the CLI's nbkit.lint/1 report, plus "status"


async def test_lint_good_notebook_and_status_keys(api, jp_root_dir):
    good = json.loads(json.dumps(GOOD))
    good["metadata"]["nbkit"] = {"seed": 7, "environment": {"python": "3.11.7", "packages": {}},
                                 "verified": {"at": "2026-11-26T20:00:00Z", "status": "reproducible"}}
    write(jp_root_dir / "good.ipynb", good)
    status, rep = await api("lint", {"path": "good.ipynb"})
    assert status == 200
    assert "NBL001" not in [f["code"] for f in rep["findings"]]
    assert all(c["present"] for c in rep["status"]["layout"] if c["required"])
    assert rep["status"]["pinned"] is True and rep["status"]["seed"] == 7 and rep["status"]["verified"]["status"] == "reproducible"


async def test_lint_unsaved_content_wins_over_the_file(api, jp_root_dir):
    write(jp_root_dir / "a.ipynb", GOOD)
    status, saved = await api("lint", {"path": "a.ipynb"})
    assert status == 200 and "NBL001" not in [f["code"] for f in saved["findings"]]
    for content in (UNTITLED, json.dumps(UNTITLED)):  # JSON object, or the notebook's text
        status, rep = await api("lint", {"path": "a.ipynb", "content": content})
        assert status == 200
        assert rep["status"]["saved"] is False
        assert "NBL001" in [f["code"] for f in rep["findings"]]
    # a new, never-saved notebook in an existing folder
    status, rep = await api("lint", {"path": "new.ipynb", "content": GOOD})
    assert status == 200 and rep["status"]["path"] == "new.ipynb"


async def test_lint_uses_the_notebooks_pyproject(api, jp_root_dir):
    write(jp_root_dir / "proj" / "bad.ipynb", UNTITLED)
    write(jp_root_dir / "other" / "bad.ipynb", UNTITLED)
    (jp_root_dir / "proj" / "pyproject.toml").write_text('[tool.nbkit]\nignore = ["NBL001"]\n')
    _, rep = await api("lint", {"path": "proj/bad.ipynb"})
    assert "NBL001" not in [f["code"] for f in rep["findings"]]
    _, rep = await api("lint", {"path": "other/bad.ipynb"})
    assert "NBL001" in [f["code"] for f in rep["findings"]]
    # a broken config is a 400 naming the file, relative to the root
    (jp_root_dir / "proj" / "pyproject.toml").write_text('[tool.nbkit]\nbogus = 1\n')
    status, rep = await api("lint", {"path": "proj/bad.ipynb"})
    assert status == 400
    assert rep["message"].startswith("proj/pyproject.toml: unknown key tool.nbkit.bogus")


async def test_lint_of_a_broken_notebook_is_400_naming_it(api, jp_root_dir):
    (jp_root_dir / "broken.ipynb").write_text("{not json")
    status, rep = await api("lint", {"path": "broken.ipynb"})
    assert status == 400
    assert rep["message"].startswith("broken.ipynb: not valid JSON")
    status, rep = await api("lint", {"path": "x.ipynb", "content": {"cells": []}})
    assert status == 400 and rep["message"] == "x.ipynb: not a notebook: no 'nbformat' key"


async def test_lint_does_not_block_the_event_loop(api, jp_root_dir, service, monkeypatch):
    write(jp_root_dir / "a.ipynb", GOOD)
    real = service._lint_sync

    def slow_lint(*args):
        time.sleep(1.0)  # a slow lint, in the worker thread
        return real(*args)

    monkeypatch.setattr(service, "_lint_sync", slow_lint)
    t0 = time.monotonic()
    lint = asyncio.ensure_future(api("lint", {"path": "a.ipynb"}))
    await asyncio.sleep(0.1)
    status, _ = await api("template")
    answered = time.monotonic() - t0
    assert status == 200 and answered < 0.8  # served while lint was still working
    status, rep = await lint
    assert status == 200 and rep["status"]["path"] == "a.ipynb" and time.monotonic() - t0 >= 1.0


async def test_lint_through_the_api_equals_the_cli_and_the_parse_cache_is_safe(api, jp_root_dir, service):
    import os
    import shutil
    from pathlib import Path

    import nbkit

    examples = Path(__file__).resolve().parents[2] / "examples"
    shutil.copytree(examples, jp_root_dir / "examples")
    paths = sorted(p.relative_to(jp_root_dir).as_posix() for p in (jp_root_dir / "examples").rglob("*.ipynb"))
    assert len(paths) >= 3
    here = os.getcwd()
    for rel in paths:
        os.chdir(jp_root_dir)  # the CLI run from the server's root: replies name paths as it does
        try:
            expected = nbkit.lint_paths([rel], nbkit.load_config(jp_root_dir / rel)).to_dict()
        finally:
            os.chdir(here)
        for f in expected["findings"]:
            f["path"] = rel
        for _ in range(2):  # cold, then with every cell from the parse cache
            status, rep = await api("lint", {"path": rel})
            assert status == 200 and rep["findings"] == expected["findings"], rel
    assert service._parse_cache.hits > 0
    # an edited cell is parsed afresh; an unchanged one comes from the cache
    broken = nb(md("# T"), code("x = (", count=1), code("y = 2", count=2))
    fixed = nb(md("# T"), code("x = 1", count=1), code("y = 2", count=2))
    for content, has_error in ((broken, True), (fixed, False), (broken, True)):
        status, rep = await api("lint", {"path": "edit.ipynb", "content": content})
        assert status == 200
        assert ("NBH012" in [f["code"] for f in rep["findings"]]) is has_error


async def test_lint_profile_ignore_and_drift_for_the_panel(api, jp_root_dir):
    import numpy

    write(jp_root_dir / "u.ipynb", UNTITLED)
    _, rep = await api("lint", {"path": "u.ipynb"})
    assert next(f for f in rep["findings"] if f["code"] == "NBL001")["severity"] == "error"
    _, rep = await api("lint", {"path": "u.ipynb", "profile": "exploratory"})
    assert next(f for f in rep["findings"] if f["code"] == "NBL001")["severity"] == "warning"
    _, rep = await api("lint", {"path": "u.ipynb", "ignore": ["NBL"]})
    assert rep["findings"] and not [f for f in rep["findings"] if f["code"].startswith("NBL")]
    status, rep = await api("lint", {"path": "u.ipynb", "profile": "sloppy"})
    assert status == 400 and "'profile' must be" in rep["message"]
    status, rep = await api("lint", {"path": "u.ipynb", "ignore": ["NOPE9"]})
    assert status == 400 and rep["message"].startswith("'ignore': unknown rule selector 'NOPE9'")
    status, rep = await api("lint", {"path": "u.ipynb", "ignore": "NBL"})
    assert status == 400 and "'ignore' must be a list" in rep["message"]
    # drift of a pinned notebook, against the kernel's environment (here the server's own)
    for version, drift in (("0.0.1", [{"package": "numpy", "pinned": "0.0.1", "installed": numpy.__version__}]),
                           (numpy.__version__, [])):
        pinned = nb(md("# T"), code("import numpy", count=1))
        pinned["metadata"]["nbkit"] = {"environment": {"python": "3.11", "packages": {"numpy": version}}}
        write(jp_root_dir / "pinned.ipynb", pinned)
        _, rep = await api("lint", {"path": "pinned.ipynb"})
        assert rep["status"]["pinned"] is True and rep["status"]["drift"] == drift
    _, rep = await api("lint", {"path": "u.ipynb"})
    assert rep["status"]["pinned"] is False and rep["status"]["drift"] == []
