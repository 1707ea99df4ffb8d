"""The team policy in the server: the post-save hook (never modifies, never blocks, never fails a
save; chained after the user's own hook) and GET policy?path=... (auth, paths, the verdict)."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time

import nbformat
import pytest
from nbbuild import nb
from serverhelp import GOOD
from tornado.httpclient import HTTPClientError

from nbkit import schemas

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180),
              # jupyter_server applies the configuration twice and warns that the (same) hook replaces itself
              pytest.mark.filterwarnings("ignore:Overriding existing post_save_hook")]

USER_HOOK_CALLS: list[str] = []


def _user_post_save_hook(model, os_path, contents_manager, **kw):
    """A hook a user configured (c.ContentsManager.post_save_hook): nbkit's must not replace it."""
    USER_HOOK_CALLS.append(model["path"])


@pytest.fixture
def jp_server_config(jp_server_config, request):
    jp_server_config.ContentsManager.post_save_hook = _user_post_save_hook
    server_policy = getattr(request, "param", None)
    if server_policy is not None:
        jp_server_config.NbkitService.policy = server_policy
    return jp_server_config


POLICY = """\
[tool.nbkit.policy]
required-sections = ["Findings"]
require-pinned-environment = true
require-seed = true
"""

NO_FINDINGS = nb(*[c for c in GOOD["cells"] if "Findings" not in c["source"]])


def _met() -> dict:
    good = copy.deepcopy(GOOD)
    good["metadata"]["nbkit"] = {"seed": 7, "environment": {"python": "3.11.7", "packages": {}}}
    return good


async def _save(jp_fetch, path: str, content: dict) -> dict:
    r = await jp_fetch("api", "contents", *path.split("/"), method="PUT",
                       body=json.dumps({"type": "notebook", "format": "json", "content": content}))
    assert r.code in (200, 201)
    return json.loads(r.body)


async def _policy(jp_fetch, path: str, headers=None) -> tuple[int, dict]:
    try:
        r = await jp_fetch("nbkit", "api", "policy", params={"path": path}, headers=headers)
    except HTTPClientError as e:
        assert e.response is not None
        return e.code, json.loads(e.response.body)
    return r.code, json.loads(r.body)


def _expected_bytes(content: dict) -> bytes:
    """What jupyter_server's file manager writes for a notebook model's content (nbformat.write)."""
    text = nbformat.writes(nbformat.from_dict(copy.deepcopy(content)), version=nbformat.NO_CONVERT)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


async def test_save_then_get_policy_shows_the_violations_and_where_the_policy_came_from(jp_fetch, jp_root_dir,
                                                                                         service):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    (jp_root_dir / "sub").mkdir()
    await _save(jp_fetch, "sub/q3.ipynb", NO_FINDINGS)
    status, rep = await _policy(jp_fetch, "sub/q3.ipynb")
    assert status == 200, rep
    schemas.validate(rep, "policy")
    assert rep["trigger"] == "save"  # the post-save hook made it, GET only read it
    assert rep["configured"] is True and rep["ok"] is False and rep["error"] is None
    assert [v["kind"] for v in rep["violations"]] == ["missing-section", "environment-not-pinned",
                                                      "seed-not-recorded"]
    assert rep["violations"][0]["section"] == "findings"
    assert rep["violations"][0]["fix"]["action"] == "insert-section:findings"
    assert rep["summary"] == ("does not meet the team policy: missing Findings, environment not pinned, "
                              "seed not recorded")
    assert rep["sources"] == [{"kind": "pyproject", "path": "pyproject.toml", "label": "pyproject.toml",
                               "keys": ["required-sections", "require-pinned-environment", "require-seed"]}]
    assert str(jp_root_dir) not in json.dumps(rep)
    # fixed and saved again: the next verdict is the new save's
    await _save(jp_fetch, "sub/q3.ipynb", _met())
    status, rep = await _policy(jp_fetch, "sub/q3.ipynb")
    assert status == 200 and rep["ok"] is True and rep["violations"] == [] and rep["trigger"] == "save"
    assert rep["summary"] == "meets the team policy"


async def test_no_policy_reports_nothing(jp_fetch, jp_root_dir, service):
    await _save(jp_fetch, "a.ipynb", NO_FINDINGS)
    status, rep = await _policy(jp_fetch, "a.ipynb")
    assert status == 200
    schemas.validate(rep, "policy")
    assert rep["configured"] is False and rep["ok"] is True and rep["violations"] == [] and rep["sources"] == []
    status, lint = await _api_lint(jp_fetch, "a.ipynb")
    assert status == 200 and "policy" not in lint["status"]


async def _api_lint(jp_fetch, path: str, content=None) -> tuple[int, dict]:
    body = {"path": path, **({"content": content} if content is not None else {})}
    r = await jp_fetch("nbkit", "api", "lint", method="POST", body=json.dumps(body))
    return r.code, json.loads(r.body)


async def test_the_lint_reply_carries_the_policy_verdict_of_what_it_linted(jp_fetch, jp_root_dir, service):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    await _save(jp_fetch, "a.ipynb", NO_FINDINGS)
    status, rep = await _api_lint(jp_fetch, "a.ipynb")
    assert status == 200
    schemas.validate(rep, "lint-reply")
    assert [v["kind"] for v in rep["status"]["policy"]["violations"]][0] == "missing-section"
    status, rep = await _api_lint(jp_fetch, "a.ipynb", content=_met())  # the unsaved content's verdict
    schemas.validate(rep, "lint-reply")
    assert rep["status"]["saved"] is False and rep["status"]["policy"]["ok"] is True


@pytest.mark.parametrize("jp_server_config", [{"require-seed": True, "required-sections": ["summary"]}],
                         indirect=True)
async def test_server_configuration_is_the_default_and_pyproject_overrides_the_keys_it_sets(jp_fetch, jp_root_dir,
                                                                                           service):
    no_summary = nb(*[c for c in GOOD["cells"] if "summary" not in c["source"].lower()])
    await _save(jp_fetch, "a.ipynb", no_summary)
    status, rep = await _policy(jp_fetch, "a.ipynb")
    assert status == 200 and [v["message"] for v in rep["violations"]] == ["missing Executive summary",
                                                                            "seed not recorded"]
    assert rep["sources"] == [{"kind": "server", "path": None, "label": "server configuration",
                               "keys": ["required-sections", "require-seed"]}]
    (jp_root_dir / "pyproject.toml").write_text('[tool.nbkit.policy]\nrequired-sections = ["findings"]\n',
                                                encoding="utf-8")
    await _save(jp_fetch, "a.ipynb", no_summary)
    status, rep = await _policy(jp_fetch, "a.ipynb")
    assert status == 200 and [v["message"] for v in rep["violations"]] == ["seed not recorded"]  # summary: overridden
    assert [s["label"] for s in rep["sources"]] == ["server configuration", "pyproject.toml"]
    assert rep["sources"][0]["keys"] == ["require-seed"]


@pytest.mark.parametrize("jp_server_config", [{"require-seed": "yes"}], indirect=True)
async def test_an_invalid_server_policy_is_the_verdicts_error_not_a_broken_server(jp_fetch, jp_root_dir, service):
    await _save(jp_fetch, "a.ipynb", GOOD)
    status, rep = await _policy(jp_fetch, "a.ipynb")
    assert status == 200 and rep["ok"] is False
    assert rep["error"] == "NbkitService.policy: NbkitService.policy.require-seed must be true or false, not 'yes'"
    status, lint = await _api_lint(jp_fetch, "a.ipynb")
    assert status == 200 and lint["status"]["policy"]["error"] == rep["error"]


async def test_a_save_is_never_blocked_nor_modified_even_when_the_check_hangs_then_crashes(
        jp_fetch, jp_root_dir, service, monkeypatch):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    import nbkit.requests

    release, entered = threading.Event(), threading.Event()

    def crashing_lint(*args, **kw):
        entered.set()
        release.wait(60)
        raise RuntimeError("lint exploded")

    monkeypatch.setattr(nbkit.requests, "lint_one", crashing_lint)
    content = NO_FINDINGS
    model = await asyncio.wait_for(_save(jp_fetch, "a.ipynb", content), 30)  # returns while the check hangs
    assert model["path"] == "a.ipynb" and model["type"] == "notebook"
    for _ in range(200):
        if entered.is_set():
            break
        await asyncio.sleep(0.05)
    assert entered.is_set() and not release.is_set()  # the check was running when the save returned
    saved = (jp_root_dir / "a.ipynb").read_bytes()
    assert saved == _expected_bytes(content)
    release.set()
    status, rep = await _policy(jp_fetch, "a.ipynb")
    assert status == 200 and rep["ok"] is False and rep["trigger"] == "save"
    assert "internal error in nbkit (RuntimeError: lint exploded)" in rep["error"]
    assert (jp_root_dir / "a.ipynb").read_bytes() == saved  # the check never writes
    assert USER_HOOK_CALLS[-1] == "a.ipynb"


async def test_an_invalid_notebook_is_saved_as_sent_and_its_verdict_says_why(jp_fetch, jp_root_dir, service):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    invalid = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
                          "execution_count": "one", "bogus": True}],  # not valid nbformat 4
               "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    model = await _save(jp_fetch, "bad.ipynb", invalid)
    assert "validation failed" in model["message"].lower() or "not valid" in model["message"].lower(), model
    on_disk = (jp_root_dir / "bad.ipynb").read_bytes()
    assert on_disk == _expected_bytes(invalid)
    status, rep = await _policy(jp_fetch, "bad.ipynb")
    assert status == 200
    schemas.validate(rep, "policy")
    assert rep["configured"] is True and rep["ok"] is False  # no Findings, nothing pinned: still checked
    assert (jp_root_dir / "bad.ipynb").read_bytes() == on_disk


async def test_a_users_post_save_hook_still_runs_besides_nbkits(jp_fetch, jp_root_dir, jp_serverapp, service):
    cm = jp_serverapp.contents_manager
    assert cm.post_save_hook is _user_post_save_hook  # the user's hook is left in place
    assert service.on_save in cm._post_save_hooks  # nbkit's is added next to it
    USER_HOOK_CALLS.clear()
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    await _save(jp_fetch, "b.ipynb", GOOD)
    assert USER_HOOK_CALLS == ["b.ipynb"]
    status, rep = await _policy(jp_fetch, "b.ipynb")
    assert status == 200 and rep["trigger"] == "save" and rep["configured"] is True


async def test_a_notebook_changed_outside_the_contents_api_is_checked_again(jp_fetch, jp_root_dir, service):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    await _save(jp_fetch, "c.ipynb", _met())
    status, rep = await _policy(jp_fetch, "c.ipynb")
    assert rep["ok"] is True
    time.sleep(0.01)
    (jp_root_dir / "c.ipynb").write_text(json.dumps(NO_FINDINGS), encoding="utf-8")  # not through the server
    status, rep = await _policy(jp_fetch, "c.ipynb")
    assert status == 200 and rep["trigger"] == "request" and rep["ok"] is False
    status, again = await _policy(jp_fetch, "c.ipynb")
    assert again == rep  # kept: nothing changed since
    # a changed policy applies at once, without a save
    (jp_root_dir / "pyproject.toml").write_text('[tool.nbkit.policy]\nrequire-seed = true\n', encoding="utf-8")
    status, rep = await _policy(jp_fetch, "c.ipynb")
    assert status == 200 and rep["trigger"] == "request" and [v["kind"] for v in rep["violations"]] == [
        "seed-not-recorded"]


async def test_a_verdict_is_checked_again_when_what_the_rules_read_around_the_notebook_changes(
        jp_fetch, jp_root_dir, service):
    """The kept verdict of an unchanged notebook still goes stale when a file the rules read
    outside it changes: a manifest (NBR001) or a data file the notebook reads (NBR013)."""
    from nbbuild import code

    (jp_root_dir / "pyproject.toml").write_text('[tool.nbkit.policy]\nmax-severity-on-save = "warning"\n',
                                                encoding="utf-8")
    reads = _met()
    reads["cells"].insert(5, dict(code("import csv\nrows = list(csv.reader(open('data/sales.csv')))\n"
                                       "more = list(csv.reader(open('data/raw/2026/q3.csv')))", count=2),
                                  id="reads-sales"))
    await _save(jp_fetch, "reads_sales.ipynb", reads)

    async def codes() -> tuple[str, set[str]]:
        status, rep = await _policy(jp_fetch, "reads_sales.ipynb")
        assert status == 200, rep
        return rep["trigger"], {c for v in rep["violations"] for c in v["codes"]}

    trigger, found = await codes()
    assert trigger == "save" and {"NBR001", "NBR013"} <= found
    (jp_root_dir / "data" / "raw" / "2026").mkdir(parents=True)
    (jp_root_dir / "data" / "sales.csv").write_text("a\n1\n", encoding="utf-8")
    trigger, found = await codes()
    assert trigger == "request" and "NBR013" in found and "NBR001" in found  # q3.csv is still missing
    (jp_root_dir / "data" / "raw" / "2026" / "q3.csv").write_text("a\n1\n", encoding="utf-8")
    trigger, found = await codes()  # three levels down: seen by the stat the rule made, not a listing
    assert trigger == "request" and "NBR013" not in found and "NBR001" in found
    (jp_root_dir / "requirements.txt").write_text("pandas==2.2.2\n", encoding="utf-8")
    trigger, found = await codes()
    assert trigger == "request" and "NBR001" not in found
    status, again = await _policy(jp_fetch, "reads_sales.ipynb")
    assert again["trigger"] == "request" and again["checked_at"] == (await _policy(jp_fetch, "reads_sales.ipynb"))[1][
        "checked_at"]  # kept again while nothing changes


async def test_a_notebook_restored_with_its_old_mtime_is_checked_again(jp_fetch, jp_root_dir, service):
    """The kept verdict stands for the file by its inode, size, modification and change times, not
    its modification time alone (``touch -r``, ``cp -p`` or a tool keeping times restore that)."""
    import os

    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    await _save(jp_fetch, "d.ipynb", _met())
    status, rep = await _policy(jp_fetch, "d.ipynb")
    assert rep["ok"] is True
    path = jp_root_dir / "d.ipynb"
    before = os.stat(path)
    path.write_text(json.dumps(NO_FINDINGS), encoding="utf-8")  # not through the server
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    status, rep = await _policy(jp_fetch, "d.ipynb")
    assert status == 200 and rep["trigger"] == "request" and rep["ok"] is False


async def test_get_policy_needs_a_token(jp_fetch, jp_root_dir, service):
    await _save(jp_fetch, "a.ipynb", GOOD)
    for token in ("", "token wrong-token"):
        status, _ = await _policy(jp_fetch, "a.ipynb", headers={"Authorization": token})
        assert status == 403


async def test_get_policy_refuses_paths_outside_the_root(jp_fetch, jp_root_dir, tmp_path, service):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text(json.dumps(GOOD), encoding="utf-8")
    rel = "../" + outside.name + "/secret.ipynb"
    for path, expected in {"../outside/secret.ipynb": 403, rel: 403, str(outside / "secret.ipynb"): 403,
                           "missing.ipynb": 404, "a.txt": 400}.items():
        status, rep = await _policy(jp_fetch, path)
        assert status == expected, (path, rep)
        schemas.validate(rep, "error")
    with pytest.raises(HTTPClientError) as ei:
        await jp_fetch("nbkit", "api", "policy")
    assert ei.value.code == 400 and b"no 'path'" in ei.value.response.body


async def test_saving_other_files_does_not_check_anything(jp_fetch, jp_root_dir, service):
    (jp_root_dir / "pyproject.toml").write_text(POLICY, encoding="utf-8")
    r = await jp_fetch("api", "contents", "notes.txt", method="PUT",
                       body=json.dumps({"type": "file", "format": "text", "content": "hello"}))
    assert r.code in (200, 201)
    assert service.team_policy._pending == {} and "notes.txt" not in service.team_policy._verdicts
