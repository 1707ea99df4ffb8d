"""Latency of ``POST {base_url}/nbkit/api/lint`` for a 200-cell notebook on localhost.

Starts a real ``jupyter server`` (nbkit's extension enabled, token auth on) in a temporary root,
writes a realistic 200-cell notebook (markdown sections, code with imports, magics, outputs),
then times sequential requests over one keep-alive connection, for the saved file and for the
unsaved JSON the panel sends.  Prints a table and, with ``--output``, writes it as Markdown.

    python benchmarks/bench_server.py --requests 300 --output docs/benchmarks-server.md

Target (DESIGN.md): p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_notebook(n_cells: int = 200) -> dict:
    """A 200-cell analysis notebook: sections, prose, code and stored outputs."""
    cells: list[dict] = []

    def md(text):
        cells.append({"cell_type": "markdown", "id": f"c{len(cells)}", "metadata": {}, "source": text})

    def code(text, out=None):
        outputs = []
        if out is not None:
            outputs = [{"output_type": "execute_result", "execution_count": len(cells), "metadata": {},
                        "data": {"text/plain": out}}]
        cells.append({"cell_type": "code", "id": f"c{len(cells)}", "metadata": {},
                      "execution_count": len(cells), "outputs": outputs, "source": text})

    md("# Regional sales, 2026\n\nAuthor: analyst  \nDate: 2026-11-26")
    md("## Executive summary\n\nSales grew 4% overall; the north region drove most of it.")
    md("## Questions\n\n1. Which region grew?\n2. Is the growth seasonal?")
    md("## Setup")
    code("import random\nimport math\nimport json\n\nimport numpy as np\n\nrandom.seed(0)\nrng = np.random.default_rng(0)")
    code("%matplotlib inline\nSEED = 0")
    md("## Data")
    code("rows = [{'region': r, 'value': rng.normal()} for r in ['n', 's', 'e', 'w'] * 25]\nlen(rows)", "100")
    md("## Analysis")
    i = 0
    while len(cells) < n_cells - 2:
        i += 1
        if i % 10 == 1:
            md(f"### Step {i}\n\nWe look at slice {i} of the data, because the question asks for it.\n\n"
               "- a bullet\n- another bullet with `code`\n")
        elif i % 3 == 0:
            code(f"def stat_{i}(xs):\n    \"\"\"Mean of a slice.\"\"\"\n    return sum(xs) / max(len(xs), 1)\n\n"
                 f"stat_{i}([row['value'] for row in rows[:{i % 50 + 1}]])", f"{i * 0.01:.4f}")
        elif i % 3 == 1:
            code(f"subset_{i} = [r for r in rows if r['region'] == 'n']\n"
                 f"total_{i} = sum(r['value'] for r in subset_{i})\n"
                 f"print(f'{{total_{i}:.3f}}')\n!echo done", None)
        else:
            code(f"values_{i} = np.array([r['value'] for r in rows])\nvalues_{i}.mean().round(3)",
                 f"np.float64({i * 0.001:.3f})")
    md("## Findings\n\n1. The north grew most.\n2. No seasonality at this resolution.")
    md("## Next steps\n\nCollect another quarter.")
    return {"cells": cells[:n_cells], "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, token: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"jupyter server exited with code {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/nbkit/api/rules", headers={"Authorization": f"token {token}"})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("jupyter server did not answer within 60 s")


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def time_requests(port: int, token: str, body, n: int, warmup: int) -> tuple[list[float], dict]:
    """Sequential requests; ``body`` is bytes, or a function of the request number giving bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    times = []
    reply = {}
    for k in range(warmup + n):
        payload = body(k) if callable(body) else body
        t0 = time.perf_counter()
        conn.request("POST", "/nbkit/api/lint", body=payload, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        dt = time.perf_counter() - t0
        if resp.status != 200:
            raise SystemExit(f"lint answered {resp.status}: {data[:200]!r}")
        if k >= warmup:
            times.append(dt * 1000)
        reply = json.loads(data)
    conn.close()
    return times, reply


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) the process has used so far, in ms (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def edited(nb: dict, k: int, every: bool) -> bytes:
    """The notebook as the panel sends it after an edit: one code cell changed (``every``: all
    of them, so no cell can come from the server's parse cache)."""
    cells = []
    code_seen = 0
    target = k % 150
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            if every or code_seen == target:
                c = dict(c, source=c["source"] + f"\nedit_{k} = {k}")
            code_seen += 1
        cells.append(c)
    return json.dumps({"path": "bench.ipynb", "content": dict(nb, cells=cells)}).encode()


def time_core(nb: dict, n: int, warmup: int) -> list[float]:
    """The same lint in this process: parse the JSON and run the rules (the API's floor)."""
    from nbkit.config import load_config
    from nbkit.lint import Selection, lint_notebook
    from nbkit.model import parse_notebook
    from nbkit.project import Project

    text = json.dumps(nb)
    selection = Selection(load_config(tempfile.gettempdir()))
    times = []
    cpu = 0.0
    for k in range(warmup + n):
        t0, c0 = time.perf_counter(), time.process_time()
        model = parse_notebook(text, "bench.ipynb")
        lint_notebook(model, selection, Project(["bench.ipynb"]))
        if k >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu += (time.process_time() - c0) * 1000
    return times, cpu / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--cells", type=int, default=200)
    ap.add_argument("--output", help="write the results as Markdown to this file")
    ap.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                    help="extra jupyter server argument, e.g. --NbkitService.parse_cache_notebooks=0")
    args = ap.parse_args()

    import nbkit
    from nbkit.rules import all_rules

    token = secrets.token_hex(16)
    port = free_port()
    with tempfile.TemporaryDirectory() as root:
        nb = build_notebook(args.cells)
        path = Path(root, "bench.ipynb")
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        env = dict(os.environ, JUPYTER_CONFIG_DIR=os.path.join(root, ".jupyter"))
        cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.jpserver_extensions=nbkit=True", "--allow-root", "--log-level=WARN", *args.server_arg]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_ready(port, token, proc)
            saved_body = json.dumps({"path": "bench.ipynb"}).encode()
            unsaved_body = json.dumps({"path": "bench.ipynb", "content": nb}).encode()
            cpu = {}

            def run(name, body):
                before = cpu_ms(proc.pid)
                out = time_requests(port, token, body, args.requests, args.warmup)
                cpu[name] = (cpu_ms(proc.pid) - before) / (args.requests + args.warmup)
                return out

            saved, rep = run("saved", saved_body)
            unsaved, rep2 = run("unsaved", unsaved_body)
            assert rep["findings"] == rep2["findings"], "saved and unsaved lint disagree"
            one, _ = run("one", lambda k: edited(nb, k, False))
            cold, _ = run("cold", lambda k: edited(nb, k, True))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    core, core_cpu = time_core(nb, args.requests, args.warmup)
    rows = []
    for name, xs, c in (("API, saved file, unchanged (`{\"path\"}`)", saved, cpu["saved"]),
                        ("API, unsaved JSON, unchanged (`{\"path\", \"content\"}`)", unsaved, cpu["unsaved"]),
                        ("API, unsaved JSON, one cell edited per request", one, cpu["one"]),
                        ("API, unsaved JSON, every cell new (no parse cache hit)", cold, cpu["cold"]),
                        ("in-process lint only (parse + rules, no server, no cache)", core, core_cpu)):
        rows.append((name, statistics.median(xs), percentile(xs, 0.95), percentile(xs, 0.99), max(xs), c))
    n_rules = len(all_rules(static_only=True))
    lines = [
        "| request | p50 ms | p95 ms | p99 ms | max ms | CPU ms / request |",
        "|---|---:|---:|---:|---:|---:|",
        *(f"| {n} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} | {'-' if math.isnan(e) else f'{e:.1f}'} |"
          for n, a, b, c, d, e in rows),
    ]
    ok = all(r[2] < 50 for r in rows[:3])  # the panel's requests: a notebook linted before
    cold_ok = rows[3][2] < 50
    load = os.getloadavg()
    overhead = cpu["cold"] - core_cpu
    setup = (f"{args.cells} cells ({len(json.dumps(nb)) // 1024} KiB JSON), {args.requests} timed requests after "
             f"{args.warmup} warm-up, one keep-alive connection, token auth; nbkit {nbkit.__version__} with "
             f"{n_rules} static rules, {len(rep['findings'])} findings per reply; Python {platform.python_version()}, "
             f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s), load average "
             f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min) when it finished.")
    text = "\n".join(lines)
    print(setup)
    print(text)
    print(f"server CPU overhead (cold API CPU - in-process CPU per lint): {overhead:.1f} ms")
    print(f"target p95 < 50 ms: {'met' if ok else 'NOT met'} for a notebook linted before; "
          f"{'met' if cold_ok else 'NOT met'} for a notebook the server has never seen")
    if args.output:
        doc = Path(args.output)
        doc.write_text(
            "# Server lint latency\n\n"
            "`POST {base_url}/nbkit/api/lint` for a 200-cell notebook, through a real `jupyter server` on "
            "localhost (measured by `benchmarks/bench_server.py`; re-run it with\n"
            "`python benchmarks/bench_server.py --output docs/benchmarks-server.md`).\n\n"
            f"Setup: {setup}\n\n{text}\n\n"
            f"Target (DESIGN.md): p95 under 50 ms. For the panel's requests (a notebook linted before: "
            f"unchanged, or with a cell edited): **{'met' if ok else 'not met'}**. For a notebook the server "
            f"has never seen: **{'met' if cold_ok else 'not met'}** (compare the in-process row: the parse and "
            "the rules alone, without any server). The server's "
            f"own CPU share (cold API CPU minus in-process CPU per lint) is {overhead:.1f} ms per request; the "
            "rest is parsing and the lint rules themselves.\n\n"
            "The server keeps the parsed code cells of each notebook's last lint "
            "(`NbkitService.parse_cache_notebooks`), so the panel's usual request, a notebook with one cell "
            "changed since the last lint, parses one cell; the \"every cell new\" row is the worst case, a "
            "notebook the server has never seen. Once started, the extension also moves the server's start-up "
            "objects out of the garbage collector's way (`NbkitService.freeze_startup_heap`, `gc.freeze()`): "
            "without that, full collections walking a Jupyter server's few hundred thousand start-up objects "
            "roughly double lint's p95.\n\n"
            "CPU per request (user + system time of the server process divided by the requests; for the "
            "in-process row, this process's time per lint) depends much less on what else the machine is "
            "doing than the latencies do: read it first when the load average is high.\n\n"
            "Latency includes HTTP parsing, authentication, path resolution, reading the file (or parsing the\n"
            "sent JSON), the lint itself in nbkit's thread pool, the layout checklist and JSON encoding of\n"
            "the reply. Lint runs off the event loop, so the server keeps answering other requests while it\n"
            "works.\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
