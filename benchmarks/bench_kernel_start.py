"""Kernel start reliability: ``nbkit verify -j 4`` on many one-cell notebooks (one fresh kernel
each) while another process binds random local TCP ports as fast as it can, as a busy CI runner's
neighbours do. Counts notebooks that did not verify, for IPC transport (nbkit's default on POSIX)
and for TCP (``NBKIT_KERNEL_TRANSPORT=tcp``), in the same run.

Target (issue 16): zero start failures in 200 starts with ``-j 4``.

    python benchmarks/bench_kernel_start.py --starts 200 --output docs/benchmarks-kernel-start.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

PORT_HOG = textwrap.dedent("""
    import random, socket, sys, time
    deadline = time.monotonic() + float(sys.argv[1])
    held = []
    while time.monotonic() < deadline:      # bounded in time: it stops by itself
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", random.randint(20000, 65000)))
            s.listen(1)
            held.append(s)
        except OSError:
            s.close()
        if len(held) > 200:
            for old in held[:100]:
                old.close()
            del held[:100]
""")


def make_notebooks(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cell = {"cell_type": "code", "id": "c0", "metadata": {}, "source": f"print({i})", "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"}]}
        nb = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        (folder / f"nb{i:03d}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def run(folder: Path, transport: str, jobs: int) -> dict:
    hog = subprocess.Popen([sys.executable, "-c", PORT_HOG, "3600"])
    env = {**os.environ, "NBKIT_KERNEL_TRANSPORT": transport}
    try:
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "nbkit", "verify", "-j", str(jobs), "--format", "json",
                              str(folder)], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
    finally:
        hog.kill()
        hog.wait()
    report = json.loads(res.stdout)
    failed = [n for n in report["notebooks"] if n["status"] != "reproducible"]
    return {"transport": transport, "exit": res.returncode, "starts": len(report["notebooks"]),
            "failed": len(failed), "wall_s": wall,
            "examples": sorted({n["message"][:160] for n in failed})[:3],
            "tcp_warning": "without encryption" in res.stderr}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=200)
    ap.add_argument("-j", "--jobs", type=int, default=4)
    ap.add_argument("--output", type=Path)
    args = ap.parse_args()
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nbs"
        make_notebooks(folder, args.starts)
        results = [run(folder, t, args.jobs) for t in ("ipc", "tcp")]
    load1 = os.getloadavg()
    lines = [
        "# Kernel start reliability", "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_kernel_start.py` on "
        f"{os.cpu_count()} cores ({platform.platform()}, Python {platform.python_version()}); load average "
        f"{load0[0]:.2f} before, {load1[0]:.2f} after.", "",
        f"`nbkit verify -j {args.jobs}` on {args.starts} one-cell notebooks (one fresh kernel each) while a "
        "second process binds random local TCP ports as fast as it can.", "",
        "| transport | kernel starts | notebooks not verified | exit code | wall time | plaintext-TCP warning |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['transport']}{' (default)' if r['transport'] == 'ipc' else ''} | {r['starts']} | "
                     f"{r['failed']} | {r['exit']} | {r['wall_s']:.1f} s | {'yes' if r['tcp_warning'] else 'no'} |")
    for r in results:
        for ex in r["examples"]:
            lines.append(f"\n{r['transport']} failure example: `{ex}`")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
