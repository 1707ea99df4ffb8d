"""The server's lint queue (nbkit/server/lintqueue.py, issue 11 item 16): a large notebook never
holds every lint thread, so a small lint sent while large ones are linted comes back first; and
notebooks take turns.  Ordering assertions, no timing thresholds."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from nbbuild import code, md, nb, write

from nbkit.server.lintqueue import FairQueue

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(300)]


def _wait(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


# -- the queue on its own ---------------------------------------------------------------------------

def test_a_small_task_runs_while_large_ones_hold_the_large_limit():
    q = FairQueue(2)
    release = threading.Event()
    started: list[str] = []

    def large(name):
        started.append(name)
        release.wait(30)
        return name

    try:
        big1 = q.submit(large, "big1", large=True, client="a")
        big2 = q.submit(large, "big2", large=True, client="b")
        _wait(lambda: started == ["big1"] and q.queued == 1)  # the second large one waits: limit 1 of 2
        small = q.submit(lambda: "small", client="c")
        assert small.result(30) == "small"  # ran on the thread kept free of large work
        assert not big1.done() and not big2.done() and started == ["big1"]
    finally:
        release.set()
    assert big1.result(30) == "big1" and big2.result(30) == "big2"
    assert started == ["big1", "big2"]
    q.shutdown(wait=True)


def test_clients_take_turns():
    q = FairQueue(1)
    gate = threading.Event()
    order: list[str] = []
    first = q.submit(gate.wait, 30, client="a")  # holds the only thread while the others queue
    _wait(lambda: q.running == 1)
    futures = [q.submit(order.append, f"a{k}", client="a") for k in range(4)]
    futures += [q.submit(order.append, f"b{k}", client="b") for k in range(2)]
    futures.append(q.submit(order.append, "c0", client="c"))
    gate.set()
    first.result(30)
    for f in futures:
        f.result(30)
    assert order == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]
    q.shutdown(wait=True)


def test_errors_reach_the_caller_and_shutdown_cancels_what_waits():
    q = FairQueue(1)
    with pytest.raises(ZeroDivisionError):
        q.submit(lambda: 1 / 0).result(30)
    gate = threading.Event()
    running = q.submit(gate.wait, 30)
    _wait(lambda: q.running == 1)
    waiting = q.submit(lambda: "never")
    q.shutdown(wait=False, cancel_futures=True)
    assert waiting.cancelled()
    gate.set()
    assert running.result(30) is True
    with pytest.raises(RuntimeError):
        q.submit(lambda: None)


# -- through a real server ----------------------------------------------------------------------------

@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config.NbkitService.lint_workers = 2
    return jp_server_config


def _big(cells: int) -> dict:
    out = [md("# Big\n\nAuthor: me"), md("## Setup"), code("import math\nimport json", count=1)]
    for k in range(cells):
        out.append(code(f"def f_{k}(xs):\n    return sum(math.sqrt(x) for x in xs) / max(len(xs), 1)\n\n"
                        f"value_{k} = f_{k}([{k}, {k + 1}, {k + 2}])\nprint(json.dumps(value_{k}))", count=k + 2))
    return nb(*out)


async def test_a_small_lint_sent_while_large_ones_are_linted_comes_back_first(api, service, jp_fetch, jp_root_dir):
    big = json.dumps({"path": "big.ipynb", "content": _big(3000)})
    assert len(big) >= service.large_notebook_bytes  # both count as large: at most one at a time
    write(jp_root_dir / "small.ipynb", nb(md("# Small"), code("x = 1", count=1)))
    queue = service.lint_queue

    async def big_lint():
        r = await jp_fetch("nbkit", "api", "lint", method="POST", body=big)
        return r.code

    bigs = [asyncio.ensure_future(big_lint()) for _ in range(2)]
    deadline = time.monotonic() + 60
    while not (queue.running_large == 1 and queue.queued >= 1):  # one large lint runs, one waits
        assert time.monotonic() < deadline and not any(t.done() for t in bigs), "the large lints did not start"
        await asyncio.sleep(0.01)
    status, rep = await api("lint", {"path": "small.ipynb"})
    assert status == 200 and rep["status"]["path"] == "small.ipynb"
    assert not any(t.done() for t in bigs)  # the small lint came back before either large one
    assert await asyncio.gather(*bigs) == [200, 200]
