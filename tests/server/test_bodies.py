"""Request bodies: malformed, too large, too deep, or with bad values, are 400s that say why."""

from __future__ import annotations

import json

import pytest
from nbbuild import write
from serverhelp import GOOD

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


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
            ("verify", json.dumps({"path": "a.ipynb", "env": "elsewhere"}), "'env' must be one of current, pinned"),
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
