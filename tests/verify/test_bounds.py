"""Verify's resources stay bounded (issue 11, item 5): output past the per-cell cap is counted and
dropped, and an endless output flood is stopped instead of growing nbkit and the kernel without end."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from nbbuild import code, nb, write

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def _verify(path, *args, timeout=300):
    started = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "nbkit", "verify", "--format", "json", *args, str(path)],
                         capture_output=True, text=True, timeout=timeout)
    return res, json.loads(res.stdout), time.monotonic() - started


def test_an_endless_output_flood_is_stopped_and_reported(tmp_path):
    flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 100000 + '\\n')"
    path = write(tmp_path / "flood.ipynb", nb(code(flood, count=1), code("print('after')", count=2)))
    res, report, elapsed = _verify(path)  # no --timeout: only the flood guard can stop it
    nb_ = report["notebooks"][0]
    assert nb_["status"] == "failed", nb_
    assert elapsed < 120
    cell = nb_["cells"][0]
    assert "output truncated at 10 MB" in cell.get("actual", "") and "kernel was stopped" in cell["actual"], cell
    assert "Traceback" not in res.stderr


def test_output_past_the_cap_is_dropped_but_the_notebook_runs_on(tmp_path):
    big = "for i in range(30):\n    print('y' * (1024 * 1024 - 1))"  # 30 MB: over the cap, not a flood
    path = write(tmp_path / "big.ipynb", nb(code(big, count=1), code("print('after')", count=2)))
    res, report, _ = _verify(path)
    nb_ = report["notebooks"][0]
    cells = {c["index"]: c for c in nb_["cells"]}
    assert "+++ fresh run (10,485,8" in cells[0]["diff"]  # 30 MB printed, 10 MB kept (+ the note)
    assert cells[0]["message"].endswith("now stdout, stderr")  # the note: a stderr line after stdout
    assert cells[1]["status"] == "mismatch" and "after" in cells[1]["actual"]  # the next cell still ran


def test_processes_a_cell_started_in_their_own_session_do_not_outlive_verify(tmp_path):
    import psutil

    pidfile = tmp_path / "child.pid"
    src = ("import subprocess, sys\n"
           "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], start_new_session=True)\n"
           f"_ = open({str(pidfile)!r}, 'w').write(str(p.pid))")
    path = write(tmp_path / "spawns.ipynb", nb(code(src, count=1)))
    res, report, _ = _verify(path)
    assert report["notebooks"][0]["status"] == "reproducible", report
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_flood_keeps_nbkit_and_the_kernel_under_300_mb(tmp_path):
    """Issue 11 item 5: nbkit and the kernel each stay under 300 MB while a cell floods its output
    (before the stream bound, IPython's copy of every write and ipykernel's 0.2 s message buffers
    took the kernel past 900 MB within seconds, and nbkit past 500 MB reading those messages)."""
    import psutil

    flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 100000 + '\\n')"
    path = write(tmp_path / "flood.ipynb", nb(code(flood, count=1)))
    proc = subprocess.Popen([sys.executable, "-m", "nbkit", "verify", "--format", "json", "--timeout", "30",
                             str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    me = psutil.Process(proc.pid)
    peak = {"nbkit": 0, "kernel": 0}
    kernel_seen = False
    while proc.poll() is None:
        try:
            peak["nbkit"] = max(peak["nbkit"], me.memory_info().rss)
            for child in me.children(recursive=True):
                if any("ipykernel" in a for a in child.cmdline()):
                    kernel_seen = True
                    peak["kernel"] = max(peak["kernel"], child.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    out = json.loads(proc.stdout.read())
    assert kernel_seen
    assert out["notebooks"][0]["status"] in ("failed", "timeout"), out["notebooks"][0]
    assert peak["nbkit"] < 300 * 2**20 and peak["kernel"] < 300 * 2**20, {k: v / 2**20 for k, v in peak.items()}


def test_a_cell_printing_megabytes_in_small_writes_reproduces(tmp_path):
    """The stream bound flushes every MB: what a cell prints is still one output, equal to the
    stored one (the comparison joins the stream messages)."""
    src = "import sys\nfor i in range(40):\n    sys.stdout.write(str(i % 10) * 99999 + '\\n')"
    text = "".join(str(i % 10) * 99999 + "\n" for i in range(40))
    stored = {"output_type": "stream", "name": "stdout", "text": text}
    path = write(tmp_path / "mb.ipynb", nb(code(src, count=1, outputs=[stored])))
    res, report, _ = _verify(path)
    assert report["notebooks"][0]["status"] == "reproducible", report["notebooks"][0].get("cells")
