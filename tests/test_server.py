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
    checklist = {c["section"]: c for c in rep["layout"]}
    assert checklist["title"]["present"] is False and checklist["title"]["insert_at"] == 0
    assert checklist["setup"]["present"] is True and checklist["setup"]["cell_index"] == 1
    assert rep["pinned"] is False and rep["seed"] is None and rep["verified"] is None
    assert rep["saved"] is True


async def test_lint_good_notebook_and_status_keys(api, jp_root_dir):
    good = json.loads(json.dumps(GOOD))
    good["metadata"]["nbkit"] = {"seed": 7, "environment": {"python": "3.11.7", "packages": {}},
                                 "verified": {"at": "2026-11-26T20:00:00Z", "status": "reproducible"}}
    write(jp_root_dir / "good.ipynb", good)
    status, rep = await api("lint", {"path": "good.ipynb"})
    assert status == 200
    assert "NBL001" not in [f["code"] for f in rep["findings"]]
    assert all(c["present"] for c in rep["layout"] if c["required"])
    assert rep["pinned"] is True and rep["seed"] == 7 and rep["verified"]["status"] == "reproducible"


async def test_lint_unsaved_content_wins_over_the_file(api, jp_root_dir):
    write(jp_root_dir / "a.ipynb", GOOD)
    status, saved = await api("lint", {"path": "a.ipynb"})
    assert status == 200 and "NBL001" not in [f["code"] for f in saved["findings"]]
    for content in (UNTITLED, json.dumps(UNTITLED)):  # JSON object, or the notebook's text
        status, rep = await api("lint", {"path": "a.ipynb", "content": content})
        assert status == 200
        assert rep["saved"] is False
        assert "NBL001" in [f["code"] for f in rep["findings"]]
    # a new, never-saved notebook in an existing folder
    status, rep = await api("lint", {"path": "new.ipynb", "content": GOOD})
    assert status == 200 and rep["path"] == "new.ipynb"


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
    from nbkit.layout import analyse
    from nbkit.model import notebook_from_dict

    status, rep = await api("template")
    assert status == 200
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
    for path in (".secret.ipynb", ".hidden/a.ipynb"):
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
