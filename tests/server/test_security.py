"""Refusals: no token, wrong permission, XSRF, paths outside the root, hidden files."""

from __future__ import annotations

import json
import os
import urllib.parse

import pytest
from tornado.httpclient import HTTPClientError
from nbbuild import write
from serverhelp import GOOD, UNTITLED

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


# -- authentication, authorisation, XSRF -----------------------------------------------------------

ROUTES = [("lint", "POST"), ("verify", "POST"), ("verify/" + "0" * 32, "GET"), ("verify/" + "0" * 32, "DELETE"),
          ("pin", "POST"), ("rules", "GET"), ("template", "GET"), ("policy", "GET")]


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
