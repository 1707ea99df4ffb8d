"""``nbkit verify --env pinned``: the cost of the first build of a pinned environment and of each
later (cached) run, against ``--env current`` on the same notebook, in the same run.

The notebook pins six 1.16.0 (a small wheel) plus what ipykernel brings; the first build goes to
a fresh cache folder (uv's own download cache stays warm, as on a developer's machine or a CI
runner with a cache step). Medians of ``--reps`` runs, interleaved.

Target (issue 13): a cached ``--env pinned`` run adds under 1 s over ``--env current``.

    python benchmarks/bench_pinned_env.py --reps 5 --output docs/benchmarks-pinned-env.md
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
from datetime import datetime, timezone
from pathlib import Path


def notebook(path: Path) -> None:
    meta = {"nbkit": {"environment": {"python": platform.python_version(), "packages": {"six": "1.16.0"}}},
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    cell = {"cell_type": "code", "id": "c0", "metadata": {}, "source": "print(6 * 7)", "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "42\n"}]}
    path.write_text(json.dumps({"cells": [cell], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))


def timed(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "nbkit", "verify", *args], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"nbkit verify {' '.join(args)} failed: {res.stdout}{res.stderr}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--output", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nb = Path(tmp) / "pinned.ipynb"
        notebook(nb)
        env = {**os.environ, "NBKIT_ENV_CACHE": str(Path(tmp) / "envs")}
        load0 = os.getloadavg()
        first = timed(["--env", "pinned", str(nb)], env)
        current, cached = [], []
        for _ in range(args.reps):
            current.append(timed(["--env", "current", str(nb)], env))
            cached.append(timed(["--env", "pinned", str(nb)], env))
        load1 = os.getloadavg()
    c, p = statistics.median(current), statistics.median(cached)
    text = "\n".join([
        "# Pinned environments: build and cache overhead", "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_pinned_env.py` on "
        f"{os.cpu_count()} cores (Python {platform.python_version()}); load average {load0[0]:.2f} before, "
        f"{load1[0]:.2f} after; medians of {args.reps} interleaved runs.", "",
        "| run | wall time | over `--env current` |", "|---|---|---|",
        f"| `nbkit verify --env current` | {c:.2f} s | |",
        f"| `nbkit verify --env pinned`, first build (fresh cache) | {first:.2f} s | +{first - c:.2f} s |",
        f"| `nbkit verify --env pinned`, cached | {p:.2f} s | {p - c:+.2f} s ({p / c:.2f}x) |", "",
        "Target: a cached run adds under 1 s over `--env current`: "
        + ("met." if p - c < 1.0 else "NOT met."), ""])
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
