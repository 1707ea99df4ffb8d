"""``--runs auto`` with ``-j 2``: the confirming run starts beside run 1 on a free worker, with
real kernels.  Checked by the order of verify events (never a wall-time threshold): run 2 starts
before run 1 ends, never more than ``-j`` kernels at once, the verdicts and causes are those of
sequential runs (``-j 1``, or ``NBKIT_VERIFY_OVERLAP=0``), and cancelling stops both runs and
leaves no kernel process or connection file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from nbbuild import code, nb, stream, write

from nbkit.verify import VerifyEvents, VerifyOptions, verify_notebook, verify_paths
from nbkit.verify import execute
from nbkit.verify.execute import CellRun, RunResult

ROOT = Path(__file__).resolve().parents[2]


class Spans(VerifyEvents):
    """Cell events with their times; per (notebook, run) the span from its first cell starting to
    its last cell ending."""

    def __init__(self, hook=None):
        self.cells: list[tuple[float, str, int, str, int]] = []
        self.lock = threading.Lock()
        self.hook = hook

    def on_cell(self, path, index, state, run):
        with self.lock:
            self.cells.append((time.monotonic(), Path(path).stem, index, state, run))
        if self.hook:
            self.hook(Path(path).stem, index, state, run)

    def span(self, name: str, run: int) -> tuple[float, float]:
        ts = [t for t, n, _i, _s, r in self.cells if n == name and r == run]
        return min(ts), max(ts)

    def most_at_once(self) -> int:
        """The most runs (of any notebook) running cells at the same time."""
        runs = {(n, r) for _t, n, _i, _s, r in self.cells}
        edges = sorted((t, k) for n, r in runs for t, k in zip(self.span(n, r), (1, -1)))
        most = now = 0
        for _t, k in edges:
            now += k
            most = max(most, now)
        return most


def random_nb(sleeps: int = 8):
    """Cell 0 prints an unseeded random number (stored: 0.5); then a few slow cells."""
    return nb(code("import random, time\nprint(random.random())", count=1, outputs=[stream("0.5\n")]),
              *[code("time.sleep(0.4)", count=k + 2) for k in range(sleeps)])


STABLE = nb(code("print('stable')", count=1, outputs=[stream("stable\n")]))


def _verdict(res) -> tuple:
    """What must not depend on how the runs were scheduled (the random numbers aside)."""
    return (res.status, res.code, res.message, res.runs, [(c.index, c.status, c.message, c.nondeterministic)
                                                          for c in res.cells],
            [(c["kind"], c.get("cells")) for c in res.causes])


@pytest.mark.kernel
def test_confirming_run_overlaps_run_1_with_two_jobs(tmp_path):
    write(tmp_path / "a_random.ipynb", random_nb())
    write(tmp_path / "b_stable.ipynb", STABLE)
    spans = Spans()
    report = verify_paths([str(tmp_path)], VerifyOptions(jobs=2, timeout=60), events=spans)
    got = {Path(n.path).stem: n for n in report.notebooks}
    assert got["b_stable"].status == "reproducible" and got["b_stable"].runs == 1
    rnd = got["a_random"]
    assert rnd.status == "nondeterministic" and rnd.code == "NBR022" and rnd.runs == 2
    assert [c["kind"] for c in rnd.causes] == ["randomness"]
    # run 2 started while run 1 still ran cells: the two runs overlapped
    start2 = spans.span("a_random", 2)[0]
    start1, end1 = spans.span("a_random", 1)
    assert start1 < start2 < end1
    # both runs ran every cell (run 1 did not stop)
    for run in (1, 2):
        assert sorted({i for _t, n, i, s, r in spans.cells if n == "a_random" and r == run and s == "done"}) \
            == list(range(9))
    assert spans.most_at_once() <= 2

    # -j 1: the same verdict, from runs one after the other
    seq = Spans()
    alone = verify_notebook(tmp_path / "a_random.ipynb", VerifyOptions(jobs=1, timeout=60), events=seq)
    assert seq.span("a_random", 1)[1] < seq.span("a_random", 2)[0]
    assert _verdict(alone) == _verdict(rnd)


@pytest.mark.kernel
def test_never_more_kernels_than_jobs(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_VERIFY_PREFETCH", "0")  # every kernel alive is one that runs cells
    write(tmp_path / "a_random.ipynb", random_nb(1))
    write(tmp_path / "b_stable.ipynb", STABLE)
    write(tmp_path / "c_random.ipynb", random_nb(16))
    most, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            with execute._LIVE_LOCK:
                most[0] = max(most[0], len(execute._LIVE))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    spans = Spans()
    try:
        report = verify_paths([str(tmp_path)], VerifyOptions(jobs=2, timeout=60), events=spans)
    finally:
        stop.set()
        sampler.join()
    assert [n.status for n in report.notebooks] == ["nondeterministic", "reproducible", "nondeterministic"]
    assert 1 <= most[0] <= 2
    assert spans.most_at_once() <= 2
    # a_random's run 1 ended while c_random's ran: that worker then took c_random's confirming run
    assert spans.span("c_random", 2)[0] < spans.span("c_random", 1)[1]


# run 1 claims a marker file in cell 1 and sleeps there, then its kernel dies in cell 2; the
# confirming run (no sleep) runs cells 2 and 3 (which raises) before run 1 dies.  What run 2 did
# from cell 2 on is dropped: the verdict is the one of a run 2 started after run 1 (-j 1).
STOPS = nb(
    code("import os, random, time\nprint(random.random())", count=1, outputs=[stream("0.5\n")]),
    code("try:\n    open('marker', 'x').close()\n    first = True\nexcept FileExistsError:\n    first = False\n"
         "if first:\n    time.sleep(6)", count=2),
    code("if first:\n    os._exit(1)\nprint('run 2 goes on')", count=3),
    code("raise ValueError('past the cell where run 1 stopped')", count=4),
)


@pytest.mark.kernel
@pytest.mark.slow
def test_what_run_2_did_past_where_run_1_stopped_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_VERIFY_OVERLAP", "always")  # its marker file would keep run 2 after run 1
    p = write(tmp_path / "stops.ipynb", STOPS)
    spans = Spans()
    overlapped = verify_notebook(p, VerifyOptions(jobs=2, timeout=60), events=spans)
    # the case happened: run 2 ran cell 3 (and failed there) while run 1 slept in cell 1
    assert (3, "done", 2) in {(i, s, r) for _t, _n, i, s, r in spans.cells}
    assert spans.span("stops", 2)[0] < spans.span("stops", 1)[1]
    (tmp_path / "marker").unlink()
    sequential = verify_notebook(p, VerifyOptions(jobs=1, timeout=60))
    assert _verdict(overlapped) == _verdict(sequential)
    assert overlapped.status == "failed" and "kernel died while running cell 2" in overlapped.message
    assert "more cell" not in overlapped.message  # cell 3's failure in run 2 was dropped
    cells = {c.index: c.status for c in overlapped.cells}
    assert cells == {0: "mismatch", 1: "match", 2: "error", 3: "not-run"}


LOOPS = nb(code("import random\nprint(random.random())", count=1, outputs=[stream("0.5\n")]),
           code("import os, time\nopen(f'running-{os.getpid()}', 'w').close()\nwhile True:\n    time.sleep(0.05)"))


def _kernels_below(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


def _gone(procs) -> bool:
    return not any(psutil.pid_exists(p.pid) and p.status() != psutil.STATUS_ZOMBIE for p in procs)


@pytest.mark.kernel
def test_cancel_stops_both_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_VERIFY_OVERLAP", "always")  # its marker files would keep run 2 after run 1
    p = write(tmp_path / "loops.ipynb", LOOPS)
    cancel = threading.Event()
    pids: list[psutil.Process] = []

    def hook(name, index, state, run):
        if index == 1 and state == "running" and run == 2:  # both runs are in their endless cell
            pids.extend(_kernels_below(os.getpid()))
            threading.Timer(0.3, cancel.set).start()

    t0 = time.monotonic()
    res = verify_notebook(p, VerifyOptions(jobs=2, timeout=60), events=Spans(hook), cancel=cancel)
    assert res.cancelled and res.status == "failed" and time.monotonic() - t0 < 60
    assert len(pids) >= 2 and _gone(pids)
    assert not execute._LIVE and not execute._RUNTIME_DIRS


@pytest.mark.kernel
@pytest.mark.slow
def test_ctrl_c_stops_both_runs_and_leaves_no_connection_file(tmp_path, monkeypatch, request):
    monkeypatch.setenv("NBKIT_VERIFY_OVERLAP", "always")  # its marker files would keep run 2 after run 1
    p = write(tmp_path / "loops.ipynb", LOOPS)
    # the kernels' private runtime folders (connection files) go here: a short folder, where the
    # sockets' paths fit (a deep pytest folder does not: then they would go to /tmp)
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="nbk-", dir="/tmp"))  # noqa: S108
    request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "nbkit", "verify", "-j", "2", str(p)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list(tmp_path.glob("running-*"))) < 2 and proc.poll() is None:
        time.sleep(0.1)
    assert len(list(tmp_path.glob("running-*"))) == 2, proc.communicate(timeout=30)  # run 1 and run 2
    kernels = _kernels_below(proc.pid)
    assert len(kernels) >= 2 and list(tmp.glob("nbkit-kernel-*"))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    time.sleep(0.3)
    assert _gone(kernels)
    assert list(tmp.glob("nbkit-kernel-*")) == []


@pytest.mark.kernel
@pytest.mark.slow
def test_examples_report_with_two_jobs_is_the_golden_one():
    """The golden verify report (made with -j 1) is also what -j 2, with overlapping confirming
    runs, reports."""
    sys.path.insert(0, str(ROOT / "tests"))
    import test_golden_reports as golden

    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "examples"
        shutil.copytree(golden.EXAMPLES, copy, ignore=shutil.ignore_patterns("ci", ".ipynb_checkpoints"))
        rc, report = golden._cli_json(["verify", "--format", "json", "-j", "2", "."], copy)
    assert {"exit": rc, "report": golden._scrub_verify(report)} == golden._golden("verify_examples")


def test_cell_by_cell_judgement_is_the_whole_run_s(tmp_path):
    """The early start asks, cell by cell, what the verdict asks of run 1 as a whole (no kernel)."""
    from nbkit.verify.plan import prepare
    from nbkit.verify.request import VerifyRequest
    from nbkit.verify.verdict import Execution, cell_needs_confirming_run, needs_confirming_run

    p = write(tmp_path / "n.ipynb", nb(
        code("print(1)", count=1, outputs=[stream("1\n")]),
        code("print(2)", count=2, outputs=[stream("2\n")], tags=["nbkit:ignore-output"]),
        code("print(3)"),  # never executed: not compared
        code("print(4)", count=4, outputs=[stream("4\n")]),
    ))
    request = VerifyRequest.build([p], VerifyOptions())
    item = prepare(0, str(p), request)
    printed = {0: "1\n", 1: "2\n", 2: "3\n", 3: "4\n"}
    for changed in (None, 0, 1, 2, 3):
        cells = {pos: CellRun([{"output_type": "stream", "name": "stdout",
                                "text": "changed\n" if pos == changed else printed[pos]}]) for pos in printed}
        ex = Execution(item, [RunResult(cells)])
        whole = needs_confirming_run(ex, request)
        assert whole == any(cell_needs_confirming_run(item, pos, run, request) for pos, run in cells.items())
        assert whole == (changed in (0, 3))


def test_run_before_a_position():
    ok, err = CellRun(), CellRun(status="error")
    run = RunResult({0: ok, 1: err, 2: ok, 3: CellRun(status="dead")}, "dead", stopped_at=3, message="boom")
    assert run.before(None) is run
    assert run.before(5) is run  # it had stopped before 5 anyway
    cut = run.before(2)
    assert (sorted(cut.cells), cut.status, cut.stopped_at, cut.message) == ([0, 1], "error", None, "")
    assert run.before(1).status == "ok" and sorted(run.before(1).cells) == [0]


@pytest.mark.parametrize("source, shares", [
    ("import random\nprint(random.random())", False),
    ("%matplotlib inline\nx = 1", False),
    ("df.to_csv('out.csv')", True),
    ("with open('a.txt', 'w') as f:\n    f.write('x')", True),
    ("plt.savefig('fig.png')", True),
    ("!ls -l", True),
    ("files = !ls", True),
    ("%%writefile mod.py\nx = 1", True),
    ("con = sqlite3.connect('db.sqlite')", True),
    ("os.remove('a.txt')", True),
])
def test_a_notebook_that_may_write_files_keeps_its_confirming_run_after_run_1(tmp_path, source, shares):
    """Both runs of a notebook work in its folder: one that looks like it writes there does not
    run two at once (a false sign only costs the overlap)."""
    from nbkit.verify.confirm import may_share_files
    from nbkit.verify.plan import prepare
    from nbkit.verify.request import VerifyRequest

    path = write(tmp_path / "a.ipynb", nb(code("x = 1", count=1), code(source, count=2)))
    item = prepare(0, str(path), VerifyRequest.build([path], VerifyOptions()))
    assert may_share_files(item) is shares
