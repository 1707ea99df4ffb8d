"""``%nbkit guard`` per-cell cost: a 200-cell session in a real IPython ``InteractiveShell``.

Method: a notebook of 200 typical code cells (imports, list and dict work, small functions,
loops, string formatting, a seeded numpy generator, a few prints) is written to a temporary
folder with cell ids and named by ``JPY_SESSION_NAME``, as jupyter_server does.  A fresh Python
process per mode loads nbkit (``%load_ext nbkit``), turns the guard on (or leaves it off) and
runs the cells top-down with their ids (``run_cell(..., cell_id=...)``, what ipykernel does with
the ``cellId`` JupyterLab sends), then re-runs 20 earlier cells out of order, and the file is
re-saved (new mtime) every 25 cells, as autosave does.  Two numbers per mode:

- the wall time of each ``run_cell`` (guard on vs off: the difference is what a user feels);
- with the guard on, the time spent inside the guard's own ``pre_run_cell`` + ``post_run_cell``
  callbacks for each cell (measured around the callbacks, so it excludes the cell itself).

A third process interleaves the modes: each cell runs twice in a row, once with the guard's
callbacks registered and once without (alternating which goes first), so both modes share the
heap, the machine's load and the moment: on a shared runner that is the fair comparison.

Target (issue 15): under 5 ms per cell for typical cells.

    python benchmarks/bench_guard.py --repeat 3     # prints the table that docs/guard.md ("Cost") quotes
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CELLS = 200
RERUNS = 20


def make_cells(n: int) -> list[str]:
    cells = ["import math\nimport json\nimport random\nimport statistics\nfrom collections import Counter\n"
             "import numpy as np\nSEED = 7\nrandom.seed(SEED)\nrng = np.random.default_rng(SEED)"]
    kinds = [
        lambda i: f"data_{i} = [math.sin(x / {i + 1}) for x in range(500)]\nlen(data_{i})",
        lambda i: (f"def summarise_{i}(values):\n    \"\"\"Mean and spread.\"\"\"\n    m = statistics.mean(values)\n"
                   f"    s = statistics.pstdev(values)\n    return {{'mean': m, 'sd': s}}\n"),
        lambda i: f"stats_{i} = summarise_{i - 1}(data_{i - 2})\nstats_{i}",
        lambda i: (f"counts_{i} = Counter()\nfor word in 'the quick brown fox jumps over the lazy dog'.split():\n"
                   f"    counts_{i}[word] += 1\nmost_{i} = counts_{i}.most_common(3)\nmost_{i}"),
        lambda i: f"sample_{i} = rng.normal(size=100)\nround(float(sample_{i}.mean()), 3)",
        lambda i: (f"table_{i} = {{k: v * 2 for k, v in enumerate(range(50))}}\n"
                   f"text_{i} = json.dumps(table_{i})[:40]\nprint(text_{i})"),
        lambda i: (f"total_{i} = 0\nfor j in range(200):\n    if j % 3 == 0:\n        total_{i} += j\n"
                   f"    elif j % 5 == 0:\n        total_{i} -= 1\nresult_{i} = f'{{total_{i}:,}}'\nresult_{i}"),
        lambda i: f"pick_{i} = random.choice(list(range(10)))\npick_{i}",
    ]
    for i in range(1, n):
        cells.append(kinds[(i - 1) % len(kinds)](i))
    return cells


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = {"cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": s, "execution_count": None,
                     "outputs": []} for i, s in enumerate(cells)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(nb), encoding="utf-8")
    os.replace(tmp, path)


def session(mode: str, folder: Path) -> dict:
    """One session (in this process): per-cell run_cell times and, guard on, callback times."""
    import contextlib
    import io

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    path = folder / "guarded_session.ipynb"
    cells = make_cells(CELLS)
    write_notebook(path, cells)
    os.environ["JPY_SESSION_NAME"] = str(path)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # leave the user's ~/.ipython alone
    shell = InteractiveShell.instance(config=config)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        shell.run_cell("%load_ext nbkit")
        if mode == "on":
            shell.run_cell("%nbkit guard on")
    hook_times: list[float] = []
    hook_cpu: list[float] = []  # CPU time of the callbacks: what they cost without the neighbours' load
    if mode == "on":
        from nbkit.guard import guard_for

        g = guard_for(shell)
        pre, post = g.pre_run_cell, g.post_run_cell
        acc = [0.0, 0.0]

        def timed_pre(info=None):
            t, c = time.perf_counter(), time.thread_time()
            pre(info)
            acc[:] = [time.perf_counter() - t, time.thread_time() - c]

        def timed_post(result=None):
            t, c = time.perf_counter(), time.thread_time()
            post(result)
            hook_times.append(acc[0] + time.perf_counter() - t)
            hook_cpu.append(acc[1] + time.thread_time() - c)

        shell.events.unregister("pre_run_cell", pre)
        shell.events.unregister("post_run_cell", post)
        shell.events.register("pre_run_cell", timed_pre)
        shell.events.register("post_run_cell", timed_post)
    order = list(range(CELLS)) + [CELLS - 10 - k * 9 for k in range(RERUNS)]  # each above the last
    run_times = []
    with contextlib.redirect_stdout(sink):
        for n, i in enumerate(order):
            if n and n % 25 == 0:
                write_notebook(path, cells)  # autosave: a new mtime, the guard re-reads the file
            t = time.perf_counter()
            result = shell.run_cell(cells[i], store_history=True, cell_id=f"c{i}")
            run_times.append(time.perf_counter() - t)
            if result.error_in_exec is not None:
                raise SystemExit(f"cell {i} failed: {result.error_in_exec!r}")
    fired = 0
    if mode == "on":
        from nbkit.guard import guard_for

        fired = len(guard_for(shell).fired)
    modules = sorted(m for m in ("pandas", "scipy", "sklearn", "torch", "matplotlib", "jupyter_server")
                     if m in sys.modules)
    return {"run": run_times, "hooks": hook_times, "hooks_cpu": hook_cpu, "fired": fired, "heavy_modules": modules}


def interleaved(folder: Path) -> dict:
    """Guard on and off in one process: each cell runs twice in a row, once with the guard's
    callbacks registered and once without (which goes first alternates), so both modes see the
    same heap, the same neighbours' load and the same moment."""
    import contextlib
    import io

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    path = folder / "guarded_session.ipynb"
    cells = make_cells(CELLS)
    write_notebook(path, cells)
    os.environ["JPY_SESSION_NAME"] = str(path)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        shell.run_cell("%load_ext nbkit")
        shell.run_cell("%nbkit guard on")
    from nbkit.guard import guard_for

    g = guard_for(shell)
    g.off()
    out: dict[str, list[float]] = {"on": [], "off": []}
    with contextlib.redirect_stdout(sink):
        for i in range(CELLS):
            for mode in (("on", "off") if i % 2 else ("off", "on")):
                if mode == "on":  # the callbacks themselves: g.on() would also reset its caches
                    shell.events.register("pre_run_cell", g.pre_run_cell)
                    shell.events.register("post_run_cell", g.post_run_cell)
                t = time.perf_counter()
                shell.run_cell(cells[i], store_history=True, cell_id=f"c{i}")
                out[mode].append(time.perf_counter() - t)
                if mode == "on":
                    shell.events.unregister("pre_run_cell", g.pre_run_cell)
                    shell.events.unregister("post_run_cell", g.post_run_cell)
    return out


def ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", help="write the Markdown table here (default: print it)")
    ap.add_argument("--mode", choices=["on", "off", "interleaved"], help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3, help="sessions per mode (default 3)")
    args = ap.parse_args()
    if args.mode:
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(interleaved(Path(d)) if args.mode == "interleaved" else session(args.mode, Path(d))))
        return
    results: dict[str, list[dict]] = {"off": [], "on": [], "interleaved": []}
    for _ in range(args.repeat):
        for mode in ("off", "on", "interleaved"):
            out = subprocess.run([sys.executable, __file__, "--mode", mode], capture_output=True, text=True,
                                 check=True)
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    off = [t for r in results["off"] for t in r["run"]]
    on = [t for r in results["on"] for t in r["run"]]
    hooks = [t for r in results["on"] for t in r["hooks"]]
    cpu = [t for r in results["on"] for t in r["hooks_cpu"]]
    both_on = [t for r in results["interleaved"] for t in r["on"]]
    both_off = [t for r in results["interleaved"] for t in r["off"]]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cells = len(results["on"][0]["run"])
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs (shared), {args.repeat} sessions per mode of {cells} cells "
        f"({CELLS} top-down, {RERUNS} re-run out of order); load average {load:.1f} at the end.",
        "",
        "| per cell | p50 | p95 | max | mean |",
        "|---|---|---|---|---|",
        f"| guard's own callbacks (pre + post) | {ms(hooks, .5):.2f} ms | {ms(hooks, .95):.2f} ms | "
        f"{ms(hooks, 1):.2f} ms | {1000 * statistics.mean(hooks):.2f} ms |",
        f"| guard's callbacks, CPU time | {ms(cpu, .5):.2f} ms | {ms(cpu, .95):.2f} ms | "
        f"{ms(cpu, 1):.2f} ms | {1000 * statistics.mean(cpu):.2f} ms |",
        f"| `run_cell`, guard off | {ms(off, .5):.2f} ms | {ms(off, .95):.2f} ms | {ms(off, 1):.2f} ms | "
        f"{1000 * statistics.mean(off):.2f} ms |",
        f"| `run_cell`, guard on | {ms(on, .5):.2f} ms | {ms(on, .95):.2f} ms | {ms(on, 1):.2f} ms | "
        f"{1000 * statistics.mean(on):.2f} ms |",
        f"| `run_cell` interleaved in one process, guard off | {ms(both_off, .5):.2f} ms | {ms(both_off, .95):.2f} ms | "
        f"{ms(both_off, 1):.2f} ms | {1000 * statistics.mean(both_off):.2f} ms |",
        f"| `run_cell` interleaved in one process, guard on | {ms(both_on, .5):.2f} ms | {ms(both_on, .95):.2f} ms | "
        f"{ms(both_on, 1):.2f} ms | {1000 * statistics.mean(both_on):.2f} ms |",
        "",
        f"Warnings fired per session (guard on): {results['on'][0]['fired']}. "
        f"Heavy modules imported into the session by nbkit: "
        f"{', '.join(results['on'][0]['heavy_modules']) or 'none'} "
        f"(guard off: {', '.join(results['off'][0]['heavy_modules']) or 'none'}).",
    ]
    text = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
