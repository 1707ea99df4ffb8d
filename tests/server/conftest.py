"""Fixtures for the server tests: nbkit's extension enabled in pytest-jupyter's real server, its
service, and ``api`` to call the REST routes.

pytest-jupyter itself is registered by ``pytest_plugins`` in each test module (registering it in
tests/conftest.py would load it for the browser tests too, which run their own server).
"""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["ServerApp"]["jpserver_extensions"]["nbkit"] = True
    # gc.freeze() is for a real server process, not for pytest's (tested once, below)
    jp_server_config.NbkitService.freeze_startup_heap = False
    jp_server_config.NbkitService.freeze_after_lint = False
    return jp_server_config


@pytest.fixture
def service(jp_serverapp):
    svc = jp_serverapp.web_app.settings["nbkit_service"]
    yield svc
    svc.shutdown(wait=20)


@pytest.fixture
def api(jp_fetch, service):
    """``await api("lint", {...})`` -> (status, JSON body); never raises for HTTP errors."""

    async def call(route, body=None, method=None, raw=None, headers=None, params=None):
        method = method or ("POST" if body is not None or raw is not None else "GET")
        kw = {"params": params} if params else {}
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
