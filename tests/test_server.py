"""nbkit's jupyter_server extension against a real server (pytest-jupyter).

Every route, every refusal (no token, wrong permission, XSRF, paths outside the root, hidden
files, bad bodies), verify jobs run in real kernels (polled to completion, cancelled mid-run
without leaving a kernel behind), and lint staying correct under concurrent load.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.parse
from datetime import UTC

import pytest
from nbbuild import code, md, nb, result, write
from tornado.httpclient import HTTPClientError

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]

GOOD = nb(
    md("# Churn in Q3\n\nAuthor: me"),
    md("## Executive summary\n\nChurn rose."),
    md("## Questions\n\n1. Why?"),
    md("## Setup"),
    code("x = 1", count=1),
    md("## Data"),
    code("y = x + 1", count=2),
    md("## Analysis"),
    code("y * 2", count=3, outputs=[result("4", count=3)]),
    md("## Findings\n\n1. It rose."),
)
UNTITLED = nb(code("x = 1"), md("## Setup"))


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["ServerApp"]["jpserver_extensions"]["nbkit"] = True
    # gc.freeze() is for a real server process, not for pytest's (tested once, below)
    jp_server_config.NbkitService.freeze_startup_heap = False
    return jp_server_config


@pytest.fixture
def service(jp_serverapp):
    svc = jp_serverapp.web_app.settings["nbkit_service"]
    yield svc
    svc.shutdown(wait=20)


@pytest.fixture
def api(jp_fetch, service):
    """``await api("lint", {...})`` -> (status, JSON body); never raises for HTTP errors."""

    async def call(route, body=None, method=None, raw=None, headers=None):
        method = method or ("POST" if body is not None or raw is not None else "GET")
        kw = {}
        if method in ("POST", "PUT"):
            kw["body"] = raw if raw is not None else json.dumps(body)
        try:
            r = await jp_fetch("nbkit", "api", *route.split("/"), method=method, headers=headers,
                               allow_nonstandard_methods=True, **kw)
        except HTTPClientError as e:
            assert e.response is not None, e
            return e.code, json.loads(e.response.body)
        return r.code, json.loads(r.body)

    return call


# -- loading ------------------------------------------------------------------------------------

def test_extension_is_loaded_and_enabled(jp_serverapp):
    ext = jp_serverapp.extension_manager.extensions["nbkit"]
    assert ext.enabled and list(ext.extension_points) == ["nbkit.server"]
    assert "nbkit_service" in jp_serverapp.web_app.settings


def test_traitlets_configure_the_service(jp_server_config, jp_configurable_serverapp):
    jp_server_config.NbkitService.update(max_verify_jobs=3, default_timeout=12.5, job_ttl_seconds=7)
    app = jp_configurable_serverapp(config=jp_server_config)
    svc = app.web_app.settings["nbkit_service"]
    assert (svc.max_verify_jobs, svc.default_timeout, svc.job_ttl_seconds) == (3, 12.5, 7)
    assert "verify jobs" in type(svc).class_traits()["max_verify_jobs"].help


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


# -- rules and template -------------------------------------------------------------------------

async def test_rules_catalogue(api):
    from nbkit.rules import all_rules

    status, rep = await api("rules")
    assert status == 200 and rep["schema"] == "nbkit.rules/1"
    assert [r["code"] for r in rep["rules"]] == [r.code for r in all_rules()]
    nbl001 = next(r for r in rep["rules"] if r["code"] == "NBL001")
    assert nbl001["name"] == "missing-title" and "## What it does" in nbl001["doc"]


async def test_template(api):
    import gc

    from nbkit.layout import analyse
    from nbkit.model import notebook_from_dict

    status, rep = await api("template")
    assert status == 200
    assert gc.get_freeze_count() == 0  # freeze_startup_heap is off in these tests
    cells = rep["cells"]
    assert cells[0]["cell_type"] == "markdown" and cells[0]["source"].startswith("# ")
    model = notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})
    assert analyse(model).missing() == []


# -- authentication, authorisation, XSRF -----------------------------------------------------------

ROUTES = [("lint", "POST"), ("verify", "POST"), ("verify/" + "0" * 32, "GET"), ("verify/" + "0" * 32, "DELETE"),
          ("pin", "POST"), ("rules", "GET"), ("template", "GET")]


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_every_route_refuses_without_a_valid_token(jp_fetch, jp_root_dir, service, token, monkeypatch):
    write(jp_root_dir / "a.ipynb", GOOD)
    started = []
    monkeypatch.setattr(service, "start_verify", lambda *a, **k: started.append(a))
    for route, method in ROUTES:
        headers = {"Authorization": f"token {token}" if token else ""}
        body = json.dumps({"path": "a.ipynb"}) if method == "POST" else None
        with pytest.raises(HTTPClientError) as ei:
            await jp_fetch("nbkit", "api", *route.split("/"), method=method, body=body, headers=headers,
                           allow_nonstandard_methods=True)
        assert ei.value.code == 403, (route, method)
    assert started == []


async def test_xsrf_is_honoured_for_cookie_sessions(jp_serverapp, http_server_client, jp_base_url, jp_root_dir,
                                                    service):
    write(jp_root_dir / "a.ipynb", GOOD)
    token = jp_serverapp.identity_provider.token
    login = jp_base_url + "login"
    r = await http_server_client.fetch(login)
    xsrf = r.headers.get_list("Set-Cookie")
    xsrf_value = next(c.split(";")[0].split("=", 1)[1] for c in xsrf if c.startswith("_xsrf="))
    r = await http_server_client.fetch(
        login, method="POST", follow_redirects=False, raise_error=False,
        body=urllib.parse.urlencode({"password": token, "_xsrf": xsrf_value}),
        headers={"Cookie": f"_xsrf={xsrf_value}"})
    assert r.code == 302
    session = "; ".join(c.split(";")[0] for c in r.headers.get_list("Set-Cookie"))
    cookies = f"{session}; _xsrf={xsrf_value}"
    url = jp_base_url + "nbkit/api/lint"
    body = json.dumps({"path": "a.ipynb"})
    # a logged-in browser session without the XSRF token: refused
    r = await http_server_client.fetch(url, method="POST", body=body, raise_error=False, headers={"Cookie": cookies})
    assert r.code == 403
    # with it (what JupyterLab's ServerConnection sends): served
    r = await http_server_client.fetch(url, method="POST", body=body, raise_error=False,
                                       headers={"Cookie": cookies, "X-XSRFToken": xsrf_value})
    assert r.code == 200 and json.loads(r.body)["schema"] == "nbkit.lint/1"
    # GET needs no XSRF token with the session cookie
    r = await http_server_client.fetch(jp_base_url + "nbkit/api/rules", raise_error=False,
                                       headers={"Cookie": cookies})
    assert r.code == 200


class TestAuthorisation:
    """A user who may read files but not run kernels or write files."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        from jupyter_server.auth import Authorizer

        class ReadOnly(Authorizer):
            def is_authorized(self, handler, user, action, resource):
                return resource == "contents" and action == "read"

        jp_server_config["ServerApp"]["authorizer_class"] = ReadOnly
        return jp_server_config

    async def test_routes_check_the_right_permission(self, api, jp_root_dir, service, monkeypatch):
        write(jp_root_dir / "a.ipynb", GOOD)
        calls = []
        monkeypatch.setattr(service, "start_verify", lambda *a, **k: calls.append(a))
        monkeypatch.setattr(service, "pin", lambda *a, **k: calls.append(a))
        assert (await api("lint", {"path": "a.ipynb"}))[0] == 200
        assert (await api("rules"))[0] == 200
        assert (await api("template"))[0] == 200
        status, rep = await api("verify", {"path": "a.ipynb"})
        assert status == 403 and "resource: kernels" in rep["message"]
        status, rep = await api("verify/" + "0" * 32)
        assert status == 403 and "kernels" in rep["message"]
        status, rep = await api("pin", {"path": "a.ipynb"})
        assert status == 403 and "write on resource: contents" in rep["message"]
        assert calls == []


# -- paths --------------------------------------------------------------------------------------

async def test_paths_outside_the_root_are_refused(api, jp_root_dir, tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.ipynb", UNTITLED)
    write(jp_root_dir / "a.ipynb", GOOD)
    os.symlink(outside / "secret.ipynb", jp_root_dir / "link.ipynb")
    os.symlink(outside, jp_root_dir / "linkdir")
    rel = os.path.relpath(outside / "secret.ipynb", jp_root_dir)
    cases = {
        "../outside/secret.ipynb": 403,
        rel: 403,
        "sub/../../outside/secret.ipynb": 403,
        str(outside / "secret.ipynb"): 403,
        "/a.ipynb": 403,
        "link.ipynb": 403,
        "linkdir/secret.ipynb": 403,
        "missing.ipynb": 404,
        "a.txt": 400,
        "": 400,
        "a\0.ipynb": 400,
    }
    for route in ("lint", "pin", "verify"):
        for path, expected in cases.items():
            status, rep = await api(route, {"path": path})
            assert status == expected, (route, path, rep)
            assert rep["message"] and "secret" not in rep.get("schema", "")
    status, rep = await api("lint", {"path": 42})
    assert status == 400 and "'path' must be a non-empty string" in rep["message"]
    # unsaved content cannot smuggle a path outside either
    status, _ = await api("lint", {"path": "../x.ipynb", "content": GOOD})
    assert status == 403


async def test_symlink_inside_the_root_is_followed(api, jp_root_dir):
    write(jp_root_dir / "real" / "a.ipynb", UNTITLED)
    os.symlink(jp_root_dir / "real", jp_root_dir / "alias")
    status, rep = await api("lint", {"path": "alias/a.ipynb"})
    assert status == 200 and rep["findings"][0]["path"] == "alias/a.ipynb"


async def test_hidden_files_are_refused(api, jp_root_dir):
    write(jp_root_dir / ".secret.ipynb", UNTITLED)
    write(jp_root_dir / ".hidden" / "a.ipynb", UNTITLED)
    os.symlink(jp_root_dir / ".hidden", jp_root_dir / "visible")  # a visible name for a hidden folder
    for path in (".secret.ipynb", ".hidden/a.ipynb", "visible/a.ipynb"):
        for route in ("lint", "pin", "verify"):
            status, rep = await api(route, {"path": path})
            assert status == 404 and "hidden" in rep["message"], (route, path)


class TestAllowHidden:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config.ContentsManager.allow_hidden = True
        return jp_server_config

    async def test_hidden_files_are_served_when_the_server_allows_them(self, api, jp_root_dir):
        write(jp_root_dir / ".hidden" / "a.ipynb", UNTITLED)
        status, rep = await api("lint", {"path": ".hidden/a.ipynb"})
        assert status == 200 and "NBL001" in [f["code"] for f in rep["findings"]]


# -- bodies -------------------------------------------------------------------------------------

class TestBodies:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config.NbkitService.max_body_bytes = 2000
        return jp_server_config

    async def test_bad_bodies_are_400_with_a_clear_message(self, api, jp_root_dir):
        write(jp_root_dir / "a.ipynb", GOOD)
        cases = [
            ("lint", "{nope", "request body is not valid JSON (line 1, column 2"),
            ("lint", "", "empty request body"),
            ("lint", "[1, 2]", "request body must be a JSON object, not list"),
            ("lint", '{"content": {}}', "request body has no 'path'"),
            ("lint", json.dumps({"path": "a.ipynb", "content": 5}), "'content' must be the notebook JSON"),
            ("lint", json.dumps({"path": "a.ipynb", "content": "x" * 3000}), "request body too large (3"),
            ("lint", b"\xff\xfe{}", "request body is not UTF-8 text"),
            ("lint", "[" * 100000 + "]" * 100000, "request body too large"),
            ("pin", json.dumps({"path": "a.ipynb", "seed": "x"}), "'seed' must be an integer"),
            ("pin", json.dumps({"path": "a.ipynb", "seed": -1}), "'seed' must be an integer"),
            ("verify", json.dumps({"path": "a.ipynb", "timeout": -1}), "'timeout' must be a positive number"),
            ("verify", json.dumps({"path": "a.ipynb", "timeout": "10"}), "'timeout' must be a positive number"),
            ("verify", json.dumps({"path": "a.ipynb", "timeout": 10**9}), "'timeout' may be at most"),
            ("verify", json.dumps({"path": "a.ipynb", "parameters": [1]}), "'parameters' must be an object"),
            ("verify", json.dumps({"path": "a.ipynb", "parameters": {"not valid": 1}}),
             "'parameters' must be an object"),
        ]
        for route, raw, message in cases:
            status, rep = await api(route, raw=raw)
            assert status == 400, (route, raw[:40], rep)
            assert rep["message"].startswith(message), (route, rep["message"])
        # the server is still fine
        assert (await api("lint", {"path": "a.ipynb"}))[0] == 200

    async def test_deeply_nested_json_is_refused_cleanly(self, api, service):
        service.max_body_bytes = 10**6
        status, rep = await api("lint", raw='{"path": ' + "[" * 50000 + "]" * 50000 + "}")
        assert status == 400 and "nested too deeply" in rep["message"]


async def test_unknown_routes_and_jobs_are_json_404(api):
    status, rep = await api("nope")
    assert status == 404 and "no such nbkit API route" in rep["message"]
    status, rep = await api("verify/" + "a" * 32)
    assert status == 404 and "no verify job" in rep["message"]
    status, rep = await api("verify/" + "a" * 32, method="DELETE")
    assert status == 404


async def test_finished_jobs_are_dropped_after_the_ttl(api, service, jp_root_dir):
    from nbkit.server.service import Job, ResolvedPath

    service.job_ttl_seconds = 0.3
    job = Job(id="b" * 32, path=ResolvedPath("a.ipynb", str(jp_root_dir / "a.ipynb")), parameters={}, timeout=5)
    service._jobs[job.id] = job
    service._finish(job, "done")
    status, rep = await api("verify/" + job.id)
    assert status == 200 and rep["state"] == "done"
    await asyncio.sleep(0.5)
    status, rep = await api("verify/" + job.id)
    assert status == 404


# -- pin ----------------------------------------------------------------------------------------

async def test_pin_records_environment_and_seed(api, jp_root_dir):
    nbdata = nb(md("# T"), code("import json\nimport numpy as np", count=1))
    write(jp_root_dir / "p.ipynb", nbdata)
    status, rep = await api("pin", {"path": "p.ipynb", "seed": 7})
    assert status == 200, rep
    assert rep["path"] == "p.ipynb"
    on_disk = json.loads((jp_root_dir / "p.ipynb").read_text())["metadata"]["nbkit"]
    assert on_disk == rep["nbkit"]
    assert on_disk["seed"] == 7
    env = on_disk["environment"]
    import platform

    import numpy

    assert env["python"] == platform.python_version() and env["packages"]["numpy"] == numpy.__version__
    assert on_disk and json.loads((jp_root_dir / "p.ipynb").read_text())["cells"] == nbdata["cells"]
    # the panel's status follows
    status, rep = await api("lint", {"path": "p.ipynb"})
    assert rep["status"]["pinned"] is True and rep["status"]["seed"] == 7


async def test_pin_refusals_name_the_file(api, jp_root_dir):
    write(jp_root_dir / "ro.ipynb", nb(md("# T")))
    os.chmod(jp_root_dir / "ro.ipynb", 0o444)
    before = (jp_root_dir / "ro.ipynb").read_bytes()
    status, rep = await api("pin", {"path": "ro.ipynb"})
    assert status == 400 and rep["message"].startswith("ro.ipynb: file is read-only")
    assert (jp_root_dir / "ro.ipynb").read_bytes() == before
    (jp_root_dir / "bad.ipynb").write_text("[]")
    status, rep = await api("pin", {"path": "bad.ipynb"})
    assert status == 400 and rep["message"].startswith("bad.ipynb: ")


# -- verify jobs (real kernels) -----------------------------------------------------------------

def kernel_processes() -> set[int]:
    """Kernel processes descended from this test process (the server runs in it)."""
    children: dict[int, list[int]] = {}
    cmdlines: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdlines[int(entry)] = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue  # zombies are dead already
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            if "ipykernel" in cmdlines.get(child, ""):
                out.add(child)
    return out


async def poll(api, job, until, timeout=90.0):
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        status, rep = await api(f"verify/{job}")
        assert status == 200, rep
        seen.append(rep)
        if until(rep) or time.monotonic() > deadline:
            return rep, seen
        await asyncio.sleep(0.1)


SLOW = nb(md("# Slow"), code("import time\nx = 1", count=1), code("time.sleep(60)", count=2),
          code("x + 1", count=3, outputs=[result("2", count=3)]))


@pytest.mark.kernel
async def test_verify_job_runs_to_completion_with_progress(api, jp_fetch, jp_root_dir, jp_serverapp):
    from datetime import datetime

    started_at = datetime.now(UTC)
    write(jp_root_dir / "v" / "ok.ipynb", nb(
        md("# Verify me"),
        code("import os\nos.getcwd().endswith('v')", count=1, outputs=[result("True", count=1)]),
        code("print(1 + 1)", count=2, outputs=[{"output_type": "stream", "name": "stdout", "text": "2\n"}]),
        code("6 * 7", count=3, outputs=[result("41", count=3)]),  # stored output is wrong
    ))
    before = kernel_processes()
    r = await jp_fetch("nbkit", "api", "verify", method="POST", body=json.dumps({"path": "v/ok.ipynb", "timeout": 60}))
    assert r.code == 202
    job = json.loads(r.body)["job"]
    assert r.headers["Location"].endswith(f"/nbkit/api/verify/{job}")
    rep, seen = await poll(api, job, lambda rep: rep["state"] in ("done", "error", "cancelled"))
    assert rep["state"] == "done", rep
    assert {s["state"] for s in seen} <= {"queued", "running", "done"}
    assert rep["progress"]["cells"] == 3 and rep["progress"]["done"] == 3
    report = rep["report"]
    assert report["schema"] == "nbkit.verify/1" and report["summary"]["mismatch"] == 1
    entry = report["notebooks"][0]
    assert entry["path"] == "v/ok.ipynb" and str(jp_root_dir) not in json.dumps(report)
    assert entry["status"] == "mismatch"
    by_index = {c["index"]: c for c in entry["cells"]}
    assert by_index[1]["status"] == "match" and by_index[2]["status"] == "match"
    assert by_index[3]["status"] == "mismatch" and "42" in by_index[3]["actual"]
    # a running job counts as server activity (idle culling must not stop it)
    assert jp_serverapp.web_app.settings["nbkit_last_activity"] >= started_at
    # listed, then still there for the panel until the TTL
    status, listing = await api("verify")
    assert status == 200 and job in [j["job"] for j in listing["jobs"]]
    await asyncio.sleep(0.5)
    assert kernel_processes() - before == set()


@pytest.mark.kernel
async def test_cancel_mid_run_kills_the_kernel_and_queued_jobs_wait(api, service, jp_root_dir):
    assert service.max_verify_jobs == 1
    write(jp_root_dir / "slow.ipynb", SLOW)
    before = kernel_processes()
    status, first = await api("verify", {"path": "slow.ipynb"})
    assert status == 202
    status, second = await api("verify", {"path": "slow.ipynb"})
    assert status == 202
    rep, _ = await poll(api, first["job"], lambda rep: rep["progress"]["current"] == 2)
    assert rep["state"] == "running" and rep["progress"]["cells"] == 3 and rep["progress"]["done"] == 1
    assert len(kernel_processes() - before) == 1
    # the queue is bounded
    service.max_queued_jobs = 1
    status, rep3 = await api("verify", {"path": "slow.ipynb"})
    assert status == 429 and "already waiting" in rep3["message"]
    # the second job waits for the slot; cancelling it is immediate
    status, rep2 = await api(f"verify/{second['job']}")
    assert rep2["state"] == "queued"
    status, rep2 = await api(f"verify/{second['job']}", method="DELETE")
    assert status == 200 and rep2["state"] == "cancelled"
    # cancelling the running one stops the cell and kills its kernel before replying
    t0 = time.monotonic()
    status, rep = await api(f"verify/{first['job']}", method="DELETE")
    assert status == 200 and rep["state"] == "cancelled", rep
    assert time.monotonic() - t0 < 15
    deadline = time.monotonic() + 5
    while kernel_processes() - before and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert kernel_processes() - before == set()
    # the cancelled queued job never ran
    status, rep2 = await api(f"verify/{second['job']}")
    assert rep2["state"] == "cancelled" and rep2["started"] is None


@pytest.mark.kernel
async def test_fifty_concurrent_lints_while_a_verify_job_runs(api, jp_root_dir):
    write(jp_root_dir / "slow.ipynb", SLOW)
    variants = {}
    for i in range(5):  # notebooks that differ, so a mixed-up reply would show
        cells = [code(f"v{k} = {k}", count=k + 1) for k in range(i + 1)]
        cells = cells if i % 2 else [md(f"# Title {i}"), *cells]
        write(jp_root_dir / f"n{i}.ipynb", nb(*cells))
        variants[f"n{i}.ipynb"] = i
    status, job = await api("verify", {"path": "slow.ipynb"})
    assert status == 202
    await poll(api, job["job"], lambda rep: rep["progress"]["current"] == 2)

    async def one(k):
        path = f"n{k % 5}.ipynb"
        t0 = time.monotonic()
        status, rep = await api("lint", {"path": path})
        return path, status, rep, time.monotonic() - t0

    results = await asyncio.gather(*(one(k) for k in range(50)))
    for path, status, rep, _ in results:
        i = variants[path]
        assert status == 200 and rep["status"]["path"] == path
        assert all(f["path"] == path for f in rep["findings"])
        assert ("NBL001" in [f["code"] for f in rep["findings"]]) == bool(i % 2)
        assert len([c for c in rep["status"]["layout"] if c["present"]]) == (0 if i % 2 else 1)
    assert max(r[3] for r in results) < 10
    status, rep = await api(f"verify/{job['job']}")
    assert rep["state"] == "running"  # still busy in its kernel: lint did not wait for it
    status, rep = await api(f"verify/{job['job']}", method="DELETE")
    assert rep["state"] == "cancelled"


@pytest.mark.kernel
async def test_verify_parameters_and_timeout(api, jp_root_dir):
    write(jp_root_dir / "p.ipynb", nb(
        md("# Parameters"),
        code("N = 1", count=1, tags=["parameters"]),
        code("N * 2", count=2, outputs=[result("10", count=2)]),
    ))
    status, job = await api("verify", {"path": "p.ipynb", "parameters": {"N": 5}})
    assert status == 202
    rep, _ = await poll(api, job["job"], lambda rep: rep["state"] not in ("queued", "running"))
    assert rep["state"] == "done" and rep["report"]["notebooks"][0]["status"] == "reproducible", rep
    write(jp_root_dir / "t.ipynb", nb(md("# Timeout"), code("import time\ntime.sleep(30)", count=1)))
    status, job = await api("verify", {"path": "t.ipynb", "timeout": 1})
    rep, _ = await poll(api, job["job"], lambda rep: rep["state"] not in ("queued", "running"))
    assert rep["state"] == "done" and rep["report"]["notebooks"][0]["status"] == "timeout", rep


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
    import shutil
    from pathlib import Path

    import nbkit

    examples = Path(__file__).resolve().parent.parent / "examples"
    shutil.copytree(examples, jp_root_dir / "examples")
    paths = sorted(p.relative_to(jp_root_dir).as_posix() for p in (jp_root_dir / "examples").rglob("*.ipynb"))
    assert len(paths) >= 3
    for rel in paths:
        expected = nbkit.lint_paths([str(jp_root_dir / rel)], nbkit.load_config(jp_root_dir / rel)).to_dict()
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


async def test_an_unexpected_failure_is_a_json_500_and_the_server_goes_on(api, service, monkeypatch):
    def boom():
        raise RuntimeError("registry exploded")

    monkeypatch.setattr(service, "rules", boom)
    status, rep = await api("rules")
    assert status == 500
    assert rep == {"message": "internal error in nbkit (RuntimeError: registry exploded); see the server log"}
    status, rep = await api("template")
    assert status == 200


class TestFreezeStartupHeap:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        jp_server_config.NbkitService.freeze_startup_heap = True
        return jp_server_config

    async def test_the_start_up_heap_is_frozen_once_the_loop_runs(self, api):
        import gc  # (test_template checks that nothing is frozen when the trait is off)

        try:
            status, _ = await api("rules")  # the event loop has run the start-up callback
            assert status == 200
            assert gc.get_freeze_count() > 10000
        finally:
            gc.unfreeze()


async def test_pin_records_the_kernels_interpreter_not_the_servers(api, jp_root_dir, jp_data_dir, tmp_path):
    import stat
    import sys

    # a kernelspec whose Python sees no site-packages (-E -S): numpy is not installed *there*
    python = tmp_path / "bare-python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -E -S "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    spec = jp_data_dir / "kernels" / "bare"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Bare Python", "language": "python"}))
    for name, kernel in (("server.ipynb", "python3"), ("bare.ipynb", "bare")):
        write(jp_root_dir / name, nb(md("# T"), code("import numpy as np", count=1), metadata={
            "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"}}))
    _, rep = await api("pin", {"path": "server.ipynb"})
    assert "numpy" in rep["nbkit"]["environment"]["packages"]
    status, rep = await api("pin", {"path": "bare.ipynb"})
    assert status == 200, rep
    assert "numpy" not in rep["nbkit"]["environment"]["packages"]


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
