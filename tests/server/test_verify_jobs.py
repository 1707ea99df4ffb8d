"""Verify jobs in real kernels: polled to completion, cancelled mid-run without leaving a kernel
behind, queued, parameters and timeouts, dropped after their TTL; lint stays correct meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC

import pytest
from nbbuild import code, md, nb, result, write

pytest_plugins = ["pytest_jupyter.jupyter_server"]  # here, not in a conftest (the browser tests)

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]


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
    assert report["schema"] == "nbkit.verify/2" and report["summary"]["mismatch"] == 1
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
