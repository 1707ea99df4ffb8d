"""Issue 11, server items: bounded, off-loop bodies; 400s (not 500s or late job errors) for bad
numbers and bad configuration; no absolute server path in any reply."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from nbbuild import code, md, nb, write
from serverhelp import GOOD

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "server-api.md"


def test_the_body_limit_is_lower_than_the_servers_and_documented():
    from nbkit.server.service import NbkitService

    default = NbkitService.max_body_bytes.default_value
    assert default <= 16 * 1024 * 1024
    row = next(ln for ln in DOCS.read_text(encoding="utf-8").splitlines() if "max_body_bytes` |" in ln)
    assert f"| {default} |" in row


async def test_a_declared_oversized_body_is_refused_before_it_is_read(jp_serverapp, http_server_client, jp_http_port,
                                                                     jp_base_url, jp_root_dir, service):
    """A client announces 1 GB and sends nothing: the answer (a JSON 400) comes at once, so
    the server did not wait for, or buffer, the body."""
    write(jp_root_dir / "a.ipynb", GOOD)
    token = jp_serverapp.identity_provider.token
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    try:
        writer.write((f"POST {jp_base_url}nbkit/api/lint HTTP/1.1\r\nHost: 127.0.0.1:{jp_http_port}\r\n"
                      f"Authorization: token {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {10**9}\r\n\r\n").encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        payload = json.loads(await asyncio.wait_for(reader.readexactly(length), timeout=10))
    finally:
        writer.close()
    assert status == 400
    assert payload["message"].startswith(f"request body too large ({10**9} bytes; the limit is")
    # and the server still answers
    r = await http_server_client.fetch(f"{jp_base_url}nbkit/api/lint", method="POST", raise_error=False,
                                       body=json.dumps({"path": "a.ipynb"}),
                                       headers={"Authorization": f"token {token}"})
    assert r.code == 200


async def test_bodies_are_parsed_off_the_event_loop(api, jp_root_dir, service):
    import threading

    write(jp_root_dir / "a.ipynb", GOOD)
    seen: list[str] = []
    original = json.JSONDecoder.decode

    def spy(self, s, *a, **kw):  # observe where the real decoder runs (it still does the work)
        seen.append(threading.current_thread().name)
        return original(self, s, *a, **kw)

    json.JSONDecoder.decode = spy
    try:
        status, _rep = await api("lint", {"path": "a.ipynb"})
    finally:
        json.JSONDecoder.decode = original
    assert status == 200
    assert seen and seen[0].startswith("nbkit-lint"), seen


async def test_numbers_nbkit_cannot_read_are_400s_with_a_message(api, jp_root_dir):
    write(jp_root_dir / "a.ipynb", GOOD)
    huge = "1" * 5000
    for route, raw in (("lint", '{"path": "a.ipynb", "content": {"cells": [], "x": %s}}' % huge),
                       ("verify", '{"path": "a.ipynb", "timeout": %s}' % huge),
                       ("pin", '{"path": "a.ipynb", "seed": %s}' % huge)):
        status, rep = await api(route, raw=raw)
        assert status == 400, (route, rep)
        assert rep["message"].startswith("request body has a number nbkit cannot read"), rep
        assert "Traceback" not in rep["message"]
    for value in ("NaN", "-Infinity"):
        status, rep = await api("verify", raw='{"path": "a.ipynb", "timeout": %s}' % value)
        assert status == 400 and rep["message"].startswith("'timeout' must be a positive number"), rep
    status, rep = await api("verify", raw='{"path": "a.ipynb", "timeout": Infinity}')
    assert status == 400 and "'timeout' may be at most" in rep["message"]


@pytest.mark.parametrize("toml", ["[tool.nbkit]\nprofile = 'nosuch'\n", "[tool.nbkit.verify]\nnosuch = 1\n",
                                  "[tool.nbkit\n"])
async def test_a_bad_config_refuses_a_verify_job_up_front_as_lint_does(api, jp_root_dir, service, toml):
    write(jp_root_dir / "sub" / "a.ipynb", GOOD)
    (jp_root_dir / "sub" / "pyproject.toml").write_text(toml)
    status, rep = await api("verify", {"path": "sub/a.ipynb"})
    assert status == 400, rep
    assert rep["message"].startswith("sub/pyproject.toml: "), rep
    assert service.jobs() == []
    if "verify" not in toml:  # lint reads [tool.nbkit] too, and says the same
        status, lint_rep = await api("lint", {"path": "sub/a.ipynb"})
        assert status == 400 and lint_rep["message"] == rep["message"]


async def test_no_reply_carries_an_absolute_server_path(api, jp_root_dir, service):
    import os

    (jp_root_dir.parent / ".git").mkdir(exist_ok=True)  # the project root is above the server's root
    notebook = nb(md("# Churn review"), code("import pandas as pd\nopen('loop_a')", count=1))
    write(jp_root_dir / "sub dir" / "quarterly_churn_review.ipynb", notebook)
    os.symlink("loop_b", jp_root_dir / "sub dir" / "loop_a")
    os.symlink("loop_a", jp_root_dir / "sub dir" / "loop_b")
    status, rep = await api("lint", {"path": "sub dir/quarterly_churn_review.ipynb"})
    assert status == 200, rep
    text = json.dumps(rep)
    for root in {str(jp_root_dir), os.path.realpath(jp_root_dir), str(jp_root_dir.parent),
                 os.path.realpath(jp_root_dir.parent)}:
        assert root not in text, root
    messages = {f["code"]: f["message"] for f in rep["findings"]}
    assert "run `nbkit pin 'sub dir/quarterly_churn_review.ipynb'`" in messages["NBR007"]
    assert "project root (..)" in messages["NBR001"]
    status, rep = await api("lint", {"path": "sub dir/loop_a"})
    assert status in (400, 404) and str(jp_root_dir) not in json.dumps(rep)
