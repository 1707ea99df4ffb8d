"""``nbkit verify`` against real kernels: reproduce, mismatch, noise, faults, runs, parameters,
update/stamp, images, parallelism, cancellation and Ctrl-C.

Most cases share one batch (run once, two kernels in parallel) to keep the suite short.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from nbbuild import code, error, md, nb, result, stream, write

from nbkit.verify import VerifyEvents, VerifyOptions, verify_notebook, verify_paths


class Recorder(VerifyEvents):
    """Every verify event as a dict (``type``: plan, start, cell, end), with its time."""

    def __init__(self, on_cell=None):
        self.events: list[dict] = []
        self.lock = threading.Lock()
        self.cell_hook = on_cell

    def _add(self, **ev) -> None:
        with self.lock:
            self.events.append({**ev, "t": time.monotonic()})

    def on_plan(self, total):
        self._add(type="plan", total=total)

    def on_notebook_start(self, path, cells):
        self._add(type="start", path=path, cells=cells)

    def on_cell(self, path, index, state, run):
        self._add(type="cell", path=path, index=index, status=state, run=run)
        if self.cell_hook:
            self.cell_hook(state)

    def on_notebook_end(self, result):
        self._add(type="end", path=result.path, status=result.status, duration_s=result.duration_s)

pytestmark = pytest.mark.kernel

random.seed(1)
SEEDED = random.random()

GOOD = nb(
    md("# Reproducible"),
    code("import os, random\nrandom.seed(1)\nprint(random.random())\n"
         "print(os.environ['TZ'], os.environ['PYTHONHASHSEED'], os.environ['MPLBACKEND'])", count=1,
         outputs=[stream(f"{SEEDED!r}\nUTC 0 module://matplotlib_inline.backend_inline\n")]),
    code("open('data.txt').read().strip()", count=2, outputs=[result("'beside the notebook'", 2)]),
    code("raise SystemExit('must not run')", count=3, tags=["nbkit:skip"]),
    code("import time\ntime.time()", count=4, outputs=[result("1.0", 4)], tags=["nbkit:ignore-output"]),
    code("1 / 0", count=5, outputs=[error("ZeroDivisionError", "division by zero")], tags=["raises-exception"]),
    code("print('never executed before')"),
    code("{'b': 2, 'a': 1}", count=7, outputs=[result("{'b': 2, 'a': 1}", 7)]),
)
MISMATCH = nb(md("# Mismatch"), code("x = 3"), code("print('accuracy =', 0.87)\nprint('rows =', 100)", count=2,
                                                    outputs=[stream("accuracy = 0.91\nrows = 100\n")]))
TOLERANCE = nb(code("print(0.1 + 0.2)\n1 / 3", count=1,
                    outputs=[stream("0.3\n"), result("0.33333333333333", 1)]))
NOISE = nb(code(
    "import sys, time, datetime, tempfile\nclass Model: pass\nprint(Model())\n"
    "for i in range(5):\n    sys.stderr.write(f'\\r{i * 20:3d}%|##   | {i}/5 [00:0{i}<00:01, {i + 1.5:.2f}it/s]')\n"
    "    time.sleep(0.01)\nsys.stderr.write('\\r100%|#####| 5/5 [00:00<00:00, 91.23it/s]\\n')\n"
    "print(datetime.datetime.now().isoformat())\nprint(tempfile.mkdtemp())", count=1,
    outputs=[stream("<__main__.Model object at 0x7f00deadbeef>\n"),
             stream("\r  0%|     | 0/5 [00:00<?, ?it/s]\r100%|#####| 5/5 [00:03<00:00, 1.23it/s]\n", "stderr"),
             stream("2020-01-01T00:00:00.123456\n/tmp/tmpabcdef\n")]))
TIMEOUT = nb(code("print('start')", count=1, outputs=[stream("start\n")]), code("while True:\n    pass", count=2),
             code("print('after')", count=3))
EXIT = nb(code("import os\nos._exit(1)", count=1), code("print(1)", count=2))
BIG = nb(code("print('x' * 50_000_000)", count=1, outputs=[stream("x" * 10 + "\n")]))

BATCH = {"good": GOOD, "mismatch": MISMATCH, "tolerance": TOLERANCE, "noise": NOISE, "timeout": TIMEOUT,
         "exit": EXIT, "big": BIG}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    for name, notebook in BATCH.items():
        write(d / f"{name}.ipynb", notebook)
    (d / "data.txt").write_text("beside the notebook\n", encoding="utf-8")
    (d / "invalid.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    recorder = Recorder()
    t0 = time.monotonic()
    report = verify_paths([str(d)], VerifyOptions(timeout=12, jobs=2), events=recorder)
    elapsed = time.monotonic() - t0
    by_name = {Path(n.path).stem: n for n in report.notebooks}
    return {"dir": d, "before": before, "report": report, "nb": by_name, "events": recorder.events, "elapsed": elapsed}


def _cells(res):
    return {c.index: c for c in res.cells}


@pytest.mark.slow
def test_inputs_are_byte_identical_after_verify(batch):
    after = {p.name: p.read_bytes() for p in batch["dir"].iterdir()}
    assert after == batch["before"]


@pytest.mark.slow
def test_no_kernel_outlives_the_run(batch):
    # the runaway `while True` kernel and the others are all gone once verify returns
    alive = [k for k in _kernel_children(os.getpid()) if k.status() != psutil.STATUS_ZOMBIE]
    assert alive == []


@pytest.mark.slow
def test_reproducible_notebook(batch):
    res = batch["nb"]["good"]
    assert res.status == "reproducible", res.to_dict()
    cells = _cells(res)
    assert cells[1].status == "match"  # seeded random, TZ / PYTHONHASHSEED / MPLBACKEND of the kernel
    assert cells[2].status == "match"  # cwd is the notebook's folder
    assert cells[3].status == "skipped"
    assert cells[4].status == "ignored"
    assert cells[5].status == "match"  # raises-exception: the error is compared, the run goes on
    assert cells[6].status == "ignored" and "no stored output" in cells[6].message
    assert cells[7].status == "match"
    assert res.kernel == "python3" and res.drift == []


@pytest.mark.slow
def test_mismatch_has_a_readable_diff(batch):
    res = batch["nb"]["mismatch"]
    assert res.status == "mismatch" and res.code == "NBR021"
    cell = _cells(res)[2]
    assert cell.status == "mismatch" and cell.message == "printed output (stdout) differs" and cell.mime == "text/plain"
    assert "-accuracy = 0.91" in cell.diff and "+accuracy = 0.87" in cell.diff
    assert "rows" not in "".join(ln for ln in cell.diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))
    assert "cell 2" in res.message
    assert _cells(res)[1].status == "ignored"  # never executed, no stored output


@pytest.mark.slow
def test_float_tolerance(batch):
    assert batch["nb"]["tolerance"].status == "reproducible"


@pytest.mark.slow
def test_addresses_progress_bars_timestamps_temp_paths_normalised(batch):
    res = batch["nb"]["noise"]
    assert res.status == "reproducible", res.to_dict()


@pytest.mark.slow
def test_timeout_really_stops_the_cell(batch):
    res = batch["nb"]["timeout"]
    assert res.status == "timeout"
    cells = _cells(res)
    assert cells[0].status == "match"
    assert cells[1].status == "error" and "12 s timeout" in cells[1].message
    assert cells[2].status == "not-run"
    assert "cell 1" in res.message
    assert res.duration_s < 30


@pytest.mark.slow
def test_kernel_death_is_failed_with_the_cell(batch):
    res = batch["nb"]["exit"]
    assert res.status == "failed" and res.code == "NBR020"
    assert "kernel died" in res.message and "cell 0" in res.message
    assert [c.status for c in res.cells] == ["error", "not-run"]


@pytest.mark.slow
def test_huge_output_is_handled(batch):
    res = batch["nb"]["big"]
    assert res.status == "mismatch"
    cell = res.cells[0]
    # 50 MB of output: the first 10 MB are kept (the per-cell cap), the rest counted and dropped
    assert "+++ fresh run (10,485,8" in cell.diff and len(cell.diff) < 2000
    assert len(json.dumps(res.to_dict())) < 100_000


@pytest.mark.slow
def test_json_report_matches_schema(batch):
    import jsonschema

    from nbkit.report.verify_reports import render_json

    schema = json.loads((Path(__file__).resolve().parents[2] / "nbkit" / "schemas" / "verify.schema.json")
                        .read_text(encoding="utf-8"))
    doc = json.loads(render_json(batch["report"]))
    jsonschema.validate(doc, schema)
    jsonschema.validate(batch["report"].to_dict(images=True), schema)
    assert doc["summary"]["notebooks"] == 8 and doc["summary"]["reproducible"] == 3


@pytest.mark.slow
def test_invalid_file_is_reported_and_the_rest_still_run(batch):
    res = batch["nb"]["invalid"]
    assert res.status == "invalid" and "not valid JSON" in res.message
    assert batch["report"].exit_code() == 2
    assert len(batch["report"].notebooks) == 8


@pytest.mark.slow
def test_notebooks_ran_in_parallel_with_events(batch):
    ev = batch["events"]
    # the plan comes first and sizes the run: every notebook found (the invalid one included)
    assert ev[0]["type"] == "plan" and ev[0]["total"] == 8
    starts = {e["path"]: e["t"] for e in ev if e["type"] == "start"}
    ends = {e["path"]: e["t"] for e in ev if e["type"] == "end"}
    assert set(starts) == set(ends) and len(starts) == 8
    # with -j 2, some notebook starts before another one ends
    spans = sorted((starts[p], ends[p]) for p in starts)
    assert any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    cells = [e for e in ev if e["type"] == "cell"]
    assert {e["status"] for e in cells} == {"running", "done"}
    assert all(e["type"] != "end" or e["status"] for e in ev)


def _kernel_children(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


@pytest.mark.slow
def test_cli_text_json_html_and_exit_codes(tmp_path):
    write(tmp_path / "m.ipynb", MISMATCH)
    cmd = [sys.executable, "-m", "nbkit", "verify", str(tmp_path / "m.ipynb")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "m.ipynb  mismatch" in r.stdout and "+accuracy = 0.87" in r.stdout
    assert "Traceback" not in r.stderr
    r = subprocess.run(cmd + ["--format", "html", "-o", str(tmp_path / "r.html")], capture_output=True, text=True,
                       timeout=120)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert r.returncode == 1 and "accuracy = 0.91" in page and "accuracy = 0.87" in page and "diff_add" in page
    # a missing kernel: failed, exit 3, one line, no kernel started
    r = subprocess.run(cmd + ["--kernel", "nosuch", "--format", "json"], capture_output=True, text=True, timeout=120)
    d = json.loads(r.stdout)
    assert r.returncode == 3 and d["notebooks"][0]["status"] == "failed"
    assert "no kernel named 'nosuch'" in d["notebooks"][0]["message"] and "Traceback" not in r.stderr
    missing = nb(code("1", count=1), metadata={"kernelspec": {"name": "julia-9", "display_name": "J", "language": "julia"}})
    write(tmp_path / "k.ipynb", missing)
    r = subprocess.run([sys.executable, "-m", "nbkit", "verify", str(tmp_path / "k.ipynb")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 3 and "'julia-9'" in r.stdout and "--kernel" in r.stdout


def test_runs_find_unseeded_randomness(tmp_path):
    p = write(tmp_path / "r.ipynb", nb(code("import random\nprint(random.random())"), code("print('stable')")))
    before = p.read_bytes()
    res = verify_notebook(p, VerifyOptions(runs=2, timeout=60))
    assert res.status == "nondeterministic" and res.code == "NBR022" and res.runs == 2
    cells = _cells(res)
    assert cells[0].status == "mismatch" and cells[0].nondeterministic
    assert "run 1" in cells[0].diff and "run 2" in cells[0].diff
    assert cells[1].status == "ignored"  # stripped output, stable between runs
    assert p.read_bytes() == before


def test_parameters_and_unknown_parameter(tmp_path):
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "nbkit": {"seed": 42}}
    p = write(tmp_path / "p.ipynb", nb(code("n = 2\nlabel = 'x'", tags=["parameters"]),
                                       code("import os\nprint(n * 10, label, os.environ['PYTHONHASHSEED'])", count=2,
                                            outputs=[stream("30 y 42\n")]), metadata=meta))
    before = p.read_bytes()
    res = verify_notebook(p, VerifyOptions(parameters={"n": 3, "label": "y"}, timeout=60))
    assert res.status == "reproducible", res.to_dict()  # the pinned seed became PYTHONHASHSEED
    assert p.read_bytes() == before
    assert [c.index for c in res.cells] == [0, 1]  # the injected cell is not reported
    bad = verify_notebook(p, VerifyOptions(parameters={"sed": 3}))
    assert bad.status == "invalid" and bad.code == "NBR023" and "sed" in bad.message and "n, label" in bad.message
    assert bad.exit_code() == 2


@pytest.mark.slow
def test_update_stamp_and_images(tmp_path):
    plot = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3), dpi=80)\n"
            "ax.plot([0, 1, 2, 3], {ys})\nax.set_ylim(0, 5)\nplt.show()")
    a = write(tmp_path / "chart.ipynb", nb(code(plot.format(ys="[1, 2, 3, 4]"), count=1),
                                           code("print('hello')", count=2, outputs=[stream("bye\n")])))
    res = verify_notebook(a, VerifyOptions(update=True, stamp=True, timeout=60))
    assert res.status == "mismatch" and res.updated and res.stamped
    data = json.loads(a.read_text(encoding="utf-8"))
    assert data["cells"][1]["outputs"][0]["text"] == ["hello\n"]
    assert "image/png" in data["cells"][0]["outputs"][0]["data"]
    stamp = data["metadata"]["nbkit"]["verified"]
    assert stamp["status"] == "mismatch" and stamp["at"].endswith("Z") and stamp["nbkit"]
    assert not list(tmp_path.glob(".*nbkit-tmp"))  # atomic write left no temp file
    # the stored chart now reproduces; a changed chart does not, with images and a pixel diff
    data["cells"][0]["source"] = plot.format(ys="[1, 4, 1, 4]")
    b = write(tmp_path / "chart2.ipynb", data)
    before = {p: p.read_bytes() for p in (a, b)}
    rep = verify_paths([a, b], VerifyOptions(jobs=2, timeout=60))
    same, changed = rep.notebooks
    assert same.status == "reproducible", same.to_dict()
    assert changed.status == "mismatch"
    cell = changed.cells[0]
    assert cell.mime == "image/png" and "content changed: " in cell.message
    assert set(cell.images) == {"expected", "actual", "diff"}
    from nbkit.report.verify_reports import render_html

    assert render_html(rep).count("data:image/png;base64,") == 3
    assert {p: p.read_bytes() for p in (a, b)} == before


def test_shard_splits_deterministically(tmp_path):
    for i in range(7):
        write(tmp_path / f"n{i}.ipynb", nb(md(f"# N{i}")))
    seen = []
    for i in (1, 2, 3):
        rep = verify_paths([tmp_path], VerifyOptions(shard=f"{i}/3"))
        seen.append(sorted(Path(n.path).name for n in rep.notebooks))
        assert all(n.status == "reproducible" for n in rep.notebooks)
    flat = [x for s in seen for x in s]
    assert sorted(flat) == sorted(f"n{i}.ipynb" for i in range(7)) and len(set(flat)) == 7
    again = verify_paths([tmp_path], VerifyOptions(shard="2/3"))
    assert sorted(Path(n.path).name for n in again.notebooks) == seen[1]


def test_cancel_event_kills_the_kernel(tmp_path):
    p = write(tmp_path / "c.ipynb", nb(code("import time\nwhile True:\n    time.sleep(0.05)")))
    cancel = threading.Event()
    pids: list[int] = []

    def on_cell(state):
        if state == "running":
            pids.extend(c.pid for c in _kernel_children(os.getpid()))
            threading.Timer(0.5, cancel.set).start()

    before = p.read_bytes()
    t0 = time.monotonic()
    res = verify_notebook(p, VerifyOptions(timeout=60), events=Recorder(on_cell), cancel=cancel)
    assert res.status == "failed" and res.cancelled and time.monotonic() - t0 < 30
    assert p.read_bytes() == before
    assert pids and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                            for pid in pids)


@pytest.mark.slow
def test_ctrl_c_leaves_no_kernel_processes(tmp_path):
    p = write(tmp_path / "s.ipynb", nb(code("import time\nopen('started', 'w').close()\nwhile True:\n    time.sleep(0.05)"),
                                       code("print(1)")))
    q = write(tmp_path / "t.ipynb", nb(code("import time\ntime.sleep(60)")))
    p_bytes, q_bytes = p.read_bytes(), q.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "nbkit", "verify", "-j", "2", str(p), str(q)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kernels: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(kernels) < 2:
        time.sleep(0.2)
        kernels = _kernel_children(proc.pid)
    assert len(kernels) >= 2, "kernels did not start"
    while time.monotonic() < deadline and not (tmp_path / "started").exists():
        time.sleep(0.1)  # interrupt while a cell is really running
    assert (tmp_path / "started").exists()
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and ("interrupted" in err or "aborted" in err)
    assert p.read_bytes() == p_bytes and q.read_bytes() == q_bytes
    time.sleep(0.3)
    alive = [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    assert alive == []


@pytest.mark.slow
def test_two_thousand_cells(tmp_path):
    cells = [code(f"v{i} = {i}", count=i + 1) for i in range(2000)] + [code("print(v1999)", count=2001,
                                                                            outputs=[stream("1999\n")])]
    p = write(tmp_path / "many.ipynb", nb(*cells))
    res = verify_notebook(p, VerifyOptions(timeout=60))
    assert res.status == "reproducible", res.message
    assert len(res.cells) == 2001 and all(c.status == "match" for c in res.cells)


def test_update_rewrites_only_cells_that_differ(tmp_path):
    stored_match = result("<__main__.A at 0x7f00deadbeef>", 1)
    p = write(tmp_path / "u.ipynb", nb(code("class A: pass\nA()", count=1, outputs=[stored_match]),
                                       code("print('new')", count=2, outputs=[stream("old\n")]),
                                       code("print('fresh')")))
    res = verify_notebook(p, VerifyOptions(update=True, timeout=60))
    assert res.updated and res.exit_code() == 0
    data = json.loads(p.read_text(encoding="utf-8"))
    assert data["cells"][0]["outputs"][0]["data"]["text/plain"] == "<__main__.A at 0x7f00deadbeef>"  # kept as stored
    assert data["cells"][1]["outputs"][0]["text"] == ["new\n"]
    assert data["cells"][2]["outputs"][0]["text"] == ["fresh\n"]
    assert [c["execution_count"] for c in data["cells"]] == [1, 2, 3]
    again = verify_notebook(p, VerifyOptions(update=True, timeout=60))
    assert again.status == "reproducible" and not again.updated


def test_slow_cells_are_noted_nbr024(tmp_path):
    from nbkit.config import config_from_table

    p = write(tmp_path / "slow.ipynb", nb(code("import time\ntime.sleep(1.2)", count=1), code("1", count=2,
                                                                                         outputs=[result("1", 2)])))
    cfg = config_from_table({"rules": {"slow-notebook": {"cell-budget": 1, "notebook-budget": 100}}},
                            str(tmp_path / "pyproject.toml"))
    res = verify_notebook(p, VerifyOptions(timeout=60, config=cfg))
    assert res.status == "reproducible"
    assert "slow (NBR024" in res.message and "cell 0 took 1 s" in res.message and "cell 1" not in res.message


@pytest.mark.slow
def test_pinned_seed_reaches_nbkit_seed_magic_and_report_cells_are_not_compared(tmp_path):
    """`%nbkit seed` without N uses the pinned seed in verify's fresh kernel, as in the session."""
    from nbclient import NotebookClient
    import nbformat

    src = nb(code("%load_ext nbkit"), code("rng = %nbkit seed\nprint(rng.integers(0, 10**9, 3))"),
             code("%nbkit status"), metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}, "nbkit": {"seed": 1234}})
    path = write(tmp_path / "seeded_by_magic.ipynb", src)
    book = nbformat.read(str(path), as_version=4)
    env = dict(os.environ, NBKIT_SEED="1234")  # the user's session: the magic reads the pinned seed
    old = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(book, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    nbformat.write(book, str(path))
    res = verify_notebook(str(path), VerifyOptions(timeout=60))
    assert res.status == "reproducible", res.to_dict()
    statuses = {c["index"]: c["status"] for c in res.to_dict()["cells"]}
    assert statuses[1] == "match" and statuses[2] == "ignored"
