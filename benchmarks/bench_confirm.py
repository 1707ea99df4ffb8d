"""Confirming runs: ``--runs auto`` with ``-j 2``, the confirming run after run 1 (as before)
against beside run 1 (on a free job, from run 1's first mismatching cell).

Builds small notebooks of 6 code cells (a print, then about 0.7 s of CPU-bound arithmetic in 5 cells):
*random* ones print an unseeded random number first (their stored output cannot match: each
gets a confirming run, and is reported nondeterministic), *stable* ones a seeded one.  Each
scenario is verified by the real command line, ``nbkit verify -j 2 --format json``, with
``NBKIT_VERIFY_OVERLAP=0`` (the confirming run after run 1 on the same job) and without it,
interleaved so that load on a shared machine hits both alike; medians of ``--reps`` runs,
interpreter start included, with the load average before and after.  Both modes must report the
same statuses, or the benchmark stops.

1. **One random notebook**, ``-j 2``.
2. **Four notebooks, random last**: random, stable, stable, random (in path order).
3. **Four notebooks, random first**: random, random, stable, stable.

    python benchmarks/bench_confirm.py --reps 5 --output docs/benchmarks-verify.md

With ``--output`` the results replace the part of the page between the markers
``<!-- bench_confirm -->`` and ``<!-- /bench_confirm -->`` (appended when absent); the rest of
the page is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from random import Random

from pagesection import write_section

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- bench_confirm -->", "<!-- /bench_confirm -->"
WORK = "n = 0\nfor i in range(1_200_000):\n    n += i % 7\nprint(n)"  # about 0.13 s of CPU


def _cell(source: str, i: int, printed: str | None) -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": printed}] if printed is not None else []
    return {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
            "execution_count": i + 1 if printed is not None else None, "outputs": outputs}


def make_notebook(path: Path, unseeded: bool) -> None:
    first = "import random\n" + ("" if unseeded else "random.seed(1)\n") + "print(random.random())"
    stored = "0.5\n" if unseeded else f"{Random(1).random()!r}\n"
    n = sum(i % 7 for i in range(1_200_000))
    cells = [_cell(first, 0, stored)] + [_cell(WORK, k, f"{n}\n") for k in range(1, 6)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


SCENARIOS = {
    "one random notebook": ["random"],
    "four notebooks, random last": ["random", "stable", "stable", "random"],
    "four notebooks, random first": ["random", "random", "stable", "stable"],
}
MODES = {"after run 1 (NBKIT_VERIFY_OVERLAP=0)": "0", "beside run 1": "1"}


def timed(folder: Path, overlap: str) -> tuple[float, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NBKIT_VERIFY_OVERLAP": overlap}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "nbkit", "verify", "-j", "2", "--format", "json", str(folder)],
                       env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise SystemExit(f"nbkit verify exited {p.returncode}:\n{p.stderr[-2000:]}")
    return dt, [n["status"] for n in json.loads(p.stdout)["notebooks"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--output", help="the Markdown page to write the results into (between the markers)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nbkit-bench-confirm-"))
    times: dict[str, dict[str, list[float]]] = {s: {m: [] for m in MODES} for s in SCENARIOS}
    statuses: dict[str, list[str]] = {}
    try:
        folders = {}
        for k, (name, kinds) in enumerate(SCENARIOS.items()):
            folder = folders[name] = work / f"s{k}"
            folder.mkdir()
            for i, kind in enumerate(kinds):
                make_notebook(folder / f"{chr(ord('a') + i)}_{kind}.ipynb", kind == "random")
        load0 = os.getloadavg()
        for _ in range(args.reps):
            for name, folder in folders.items():
                for mode, flag in MODES.items():
                    dt, st = timed(folder, flag)
                    if statuses.setdefault(name, st) != st:
                        raise SystemExit(f"{name}: {mode} reported {st}, the other mode {statuses[name]}")
                    times[name][mode].append(dt)
        load1 = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    after, beside = MODES
    rows = []
    for name in SCENARIOS:
        a, b = statistics.median(times[name][after]), statistics.median(times[name][beside])
        rows.append(f"| {name} | {', '.join(statuses[name])} | {a:.2f} | {b:.2f} | {b / a:.2f}x |")
    now = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    lines = [
        BEGIN,
        "## Confirming runs",
        "",
        f"Run {now} by `benchmarks/bench_confirm.py --reps {args.reps}` on {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. Load average "
        f"before/after: {load0[0]:.1f} / {load1[0]:.1f} (a shared machine: compare the ratios, from interleaved "
        "runs, rather than absolute seconds).",
        "",
        "`nbkit verify -j 2` (`--runs auto`, the default) on notebooks of 6 code cells, about 0.7 s of "
        "CPU-bound arithmetic each; a *random* notebook prints an unseeded number first, so it gets a "
        "confirming run (and is reported nondeterministic). Median wall time of the command line, interpreter start "
        "included, with the confirming run after run 1 on the same job (as before, "
        "`NBKIT_VERIFY_OVERLAP=0`) and beside run 1 on a free job (now). Both modes report the same statuses.",
        "",
        "| notebooks (path order) | statuses | after run 1, s | beside run 1, s | ratio |",
        "|---|---|---:|---:|---:|",
        *rows,
        "",
        "A confirming run starts early only when a job is free: with a notebook left waiting, the free "
        "job takes that notebook instead (the same work in another order), so the four notebooks with "
        "the random ones first take as long either way; the gain is at the end of a run, where the "
        "other job would otherwise idle.",
        "",
        "Raw times (s):",
        "",
        "```",
        json.dumps({s: {m: [round(x, 3) for x in v] for m, v in t.items()} for s, t in times.items()}, indent=1),
        "```",
        END,
        "",
    ]
    text = "\n".join(lines)
    if args.output:
        write_section(args.output, text, BEGIN, END, "")
    print(text)


if __name__ == "__main__":
    main()
