"""Linting in worker processes gives exactly what a serial run gives, in the same order."""

from __future__ import annotations

import contextlib
import json
import os
import re

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, write
from nbkit.config import Config
from nbkit.lint import lint_paths


def _corpus(tmp_path, n=40):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / ".git").mkdir()
    for i in range(n):
        cells = [md(f"# Notebook {i}")] if i % 3 else [code("import numpy as np", count=1)]
        cells += [code(f"x{i} = np.random.rand({i})" if i % 2 else f"y = {i}", count=2 + (i % 4 == 0) * 5),
                  code("print(undefined_thing)", count=3)]
        sub = "a" if i % 2 else "b"
        write(tmp_path / sub / f"notebook_number_{i % 25:03d}.ipynb", nb(*cells))  # duplicate basenames
    (tmp_path / "a" / "broken_notebook.ipynb").write_text("{not json")
    return tmp_path


def test_parallel_lint_equals_serial(tmp_path):
    root = _corpus(tmp_path)
    serial = lint_paths([str(root)], Config(), jobs=1)
    parallel = lint_paths([str(root)], Config(), jobs=2)
    assert serial.findings and serial.errors
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]
    assert [(e.path, e.message) for e in parallel.errors] == [(e.path, e.message) for e in serial.errors]
    assert parallel.notebooks == serial.notebooks == 40
    assert any(f.code == "NBH014" for f in parallel.findings)  # project-wide rule sees every path


def test_cli_jobs_option(tmp_path, capsys):
    root = _corpus(tmp_path)
    rc1, out1, err1 = nbkit_cli(capsys, "lint", "--format", "json", "-j", "1", str(root))
    rc2, out2, err2 = nbkit_cli(capsys, "lint", "--format", "json", "-j", "2", str(root))
    assert (rc1, err1) == (rc2, err2) == (2, err1)
    assert json.loads(out1) == json.loads(out2)
    assert "broken_notebook.ipynb: not valid JSON" in err2


def test_tasks_cover_every_notebook_once_and_end_small():
    from nbkit.lint import _tasks

    sizes = [(i * 7919) % 1000 + 1 for i in range(300)]
    items = [(i, f"nb{i}.ipynb") for i in range(1, 300)]  # (the parent lints index 0 itself)
    tasks = _tasks(items, 2, sizes)
    flat = [i for task in tasks for i, _ in task]
    assert sorted(flat) == list(range(1, 300))
    tail = [task[0][0] for task in tasks[-15:]]
    assert all(len(task) == 1 for task in tasks[-15:])
    assert [sizes[i] for i in tail] == sorted((sizes[i] for i in tail), reverse=True)
    assert sizes[tail[-1]] == min(sizes[1:])  # the last task is the smallest notebook
    bulk = [i for task in tasks[:-15] for i, _ in task]
    assert bulk == sorted(bulk)  # runs in the order of the run
    assert len(tasks[0]) > len(tasks[len(tasks) // 2]) >= 1  # large tasks first


def test_parallel_fix_equals_serial(tmp_path):
    import shutil

    one = _corpus(tmp_path / "one")
    two = tmp_path / "two"
    shutil.copytree(one, two)
    serial = lint_paths([str(one)], Config(), jobs=1, fix=True)
    parallel = lint_paths([str(two)], Config(), jobs=2, fix=True)
    assert serial.fixed
    assert {p.replace(str(two), str(one)): n for p, n in parallel.fixed.items()} == serial.fixed
    def rows(result, root):  # (a cell --fix inserts gets a new random id)
        return [json.dumps({**f.to_dict(), "cell_id": None}).replace(str(root), "ROOT") for f in result.findings]

    assert rows(parallel, two) == rows(serial, one)
    ids = re.compile(r'"id": "[0-9a-f-]+"')
    for path in sorted(one.rglob("*.ipynb")):
        assert ids.sub("", (two / path.relative_to(one)).read_text()) == ids.sub("", path.read_text())


def test_parallel_lint_keeps_a_callers_frozen_objects(tmp_path):
    """gc.unfreeze() is process-wide: a caller that froze its objects (the server does, at start-up
    and after each lint) must find them still frozen after a parallel lint."""
    import gc

    root = _corpus(tmp_path, n=12)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        result = lint_paths([str(root)], Config(), jobs=2)
        assert result.notebooks == 12
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running or sleeping (not gone, nor a zombie that nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


# runs `nbkit lint` with every notebook's lint logged to a file as it starts and ends (and slowed
# down, so that a kill lands while workers are inside notebooks)
_LOGGED_LINT = """
import os, sys, time
import nbkit.lint as lint

log, argv = sys.argv[1], sys.argv[2:]
linted = lint._lint_each

def logged(result, paths, *args, **kwargs):
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(fd, f"start {os.getpid()} {paths[0]}\\n".encode())
    time.sleep(0.05)
    out = linted(result, paths, *args, **kwargs)
    os.write(fd, f"end {os.getpid()} {paths[0]}\\n".encode())
    os.close(fd)
    return out

lint._lint_each = logged
sys.argv = ["nbkit", *argv]
from nbkit.cli import run
run()
"""


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                    reason="needs Linux's /proc/PID/task/PID/children to find the workers")
def test_workers_end_when_the_lint_process_is_killed(tmp_path):
    """A parent killed outright (SIGKILL: the pool cannot stop its workers) does not leave its
    workers waiting for a task for ever, and none of them stops inside a notebook: each ends
    after the notebook it is linting.  Three workers: with fork, a worker started later holds
    the parent's end of an earlier worker's sentinel pipe, and each must still notice."""
    import signal
    import subprocess
    import sys
    import time

    root = _corpus(tmp_path / "nbs", n=90)
    log = tmp_path / "lint.log"
    script = tmp_path / "logged_lint.py"
    script.write_text(_LOGGED_LINT)
    env = {**os.environ, "NBKIT_CACHE_DIR": str(tmp_path / "cache")}  # the lint cache on: its writes too
    proc = subprocess.Popen([sys.executable, str(script), str(log), "lint", "-j", "3", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            workers = _children(proc.pid)
            if len(workers) == 3 and log.exists() and \
                    {line.split()[1] for line in log.read_text().splitlines()} >= {str(w) for w in workers}:
                break  # every worker is linting
            time.sleep(0.005)
        assert len(workers) == 3 and all(map(_alive, workers)), "the run ended before the workers were seen"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        deadline = time.monotonic() + 20
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, workers)), "a worker outlived the lint process that started it"
        lines = [line.split(None, 2) for line in log.read_text().splitlines()]
        started = sorted((pid, path) for what, pid, path in lines if what == "start")
        ended = sorted((pid, path) for what, pid, path in lines if what == "end")
        assert started == ended, "a worker stopped inside a notebook"
        assert len(started) < 90  # (the run was cut short)
    finally:
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
