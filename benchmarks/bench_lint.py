"""Lint throughput: nbkit against pynblint on the same corpus, same machine, same run.

Generates (once, seeded) a corpus of realistic notebooks with ``make_corpus.py``, then measures:

1. **Folder run** - each tool's CLI over the whole corpus folder, one process per run (both
   tools accept a folder: pynblint treats it as a local repository and lints every notebook
   in it).  Runs are interleaved (nbkit, pynblint, nbkit, ...) so machine load hits both alike.
   Wall time (median) gives notebooks per second; the CPU time of the child process
   (user + system, from ``getrusage``) is reported too, because the machine may be shared.
2. **One process per notebook** - a deterministic sample of notebooks, each linted by a fresh
   process of each tool (what a pre-commit hook or an editor integration does).
3. **Single notebook** - ``nbkit lint ONE.ipynb`` wall time including interpreter start
   (hyperfine when installed, else ``time.perf_counter`` around ``subprocess.run``), median.
4. **In process** - ``nbkit.lint_paths`` over the folder after the imports are warm, with a
   breakdown into loading, parsing and per-rule time (CPU seconds), to find hot spots.

pynblint lives in its own virtual environment (its pins clash with nbkit's)::

    python -m venv .bench-venv && .bench-venv/bin/pip install pynblint "click<8.2"
    python benchmarks/bench_lint.py --pynblint .bench-venv/bin/pynblint --output docs/benchmarks-lint.md

5. **Warm** - cold-then-warm pairs: the folder linted into an empty lint cache, then re-linted
   from it (nothing changed; the speed-up is the median of the pairs), and the
   10,000-notebook scale run (peak RSS).

Targets (DESIGN.md, issue 14): at least 20x pynblint's notebooks per second cold; ``nbkit lint``
on one notebook in under 0.3 s wall time including interpreter start (0.1 s when unchanged: warm
cache); re-linting unchanged notebooks at least 10x faster than cold; peak RSS under 300 MB at
10,000 notebooks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import DEFAULT_OUT, ensure_corpus

TARGET_RATIO = 20.0
TARGET_SINGLE_S = 0.3
TARGET_WARM_SINGLE_S = 0.1
TARGET_WARM_SPEEDUP = 10.0
TARGET_RSS_MB = 300


# -- helpers -----------------------------------------------------------------------------------

def default_pynblint() -> str | None:
    found = shutil.which("pynblint")
    if found:
        return found
    for cand in (Path("/work/bench-venv/bin/pynblint"), HERE.parent / ".bench-venv" / "bin" / "pynblint"):
        if cand.exists():
            return str(cand)
    return None


def default_nbkit() -> str:
    cand = Path(sys.executable).parent / "nbkit"
    return str(cand) if cand.exists() else (shutil.which("nbkit") or "nbkit")


def tool_version(executable: str, dist: str) -> str:
    """Version of ``dist`` in the environment whose script ``executable`` is."""
    try:
        out = subprocess.run([interpreter(executable), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                             capture_output=True, text=True, timeout=60, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


CHILD_ENV = dict(os.environ)


def child_env(pycache: str) -> None:
    """Children run as in a normal installation: bytecode cached (a private cache folder).

    Some environments (CI images, sandboxes) set PYTHONDONTWRITEBYTECODE=1, which makes every
    process recompile every module that has no .pyc yet (an editable install has none): that
    would measure the compiler, not the tools.
    """
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = pycache
    CHILD_ENV.pop("NO_COLOR", None)


def interpreter(executable: str) -> str:
    """The Python that runs the console script ``executable`` (from its #! line)."""
    try:
        first = Path(executable).read_text(errors="replace").splitlines()[0]
        if first.startswith("#!"):
            return first[2:].strip().split()[0]
    except (OSError, IndexError):
        pass
    return sys.executable


def timed_run(cmd: list[str], ok_codes=(0, 1)) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, CPU seconds of the child).  Fails loudly on a crash."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=CHILD_ENV,
                          check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok_codes:
        raise SystemExit(f"bench_lint: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def nbkit_cmd(nbkit: str, target: str, out: str, *extra: str) -> list[str]:
    return [nbkit, "lint", target, "--format", "json", "--output", out, *extra]


def use_cache(folder: str) -> None:
    """Children's lint cache (``NBKIT_CACHE_DIR``): an empty folder makes a cold run."""
    CHILD_ENV["NBKIT_CACHE_DIR"] = folder


def pynblint_cmd(pynblint: str, target: str, out: str) -> list[str]:
    return [pynblint, target, "-q", "-y", "-o", out]


def check_nbkit_output(path: str, expected: int) -> dict:
    data = json.loads(Path(path).read_text())
    n = data["summary"]["notebooks"]
    if n != expected or data.get("errors"):
        raise SystemExit(f"bench_lint: nbkit linted {n} notebooks (expected {expected}), errors: {data.get('errors')}")
    return data


def check_pynblint_output(path: str, expected: int, folder: bool) -> dict:
    data = json.loads(Path(path).read_text())
    if folder:
        n = len(data.get("notebook_level_lints", []))
    else:
        n = 1 if "notebook_metadata" in data and "lints" in data else 0
    if n != expected:
        raise SystemExit(f"bench_lint: pynblint linted {n} notebooks (expected {expected})")
    return data


# -- the measurements -------------------------------------------------------------------------

def has_jobs_option(nbkit: str) -> bool:
    """Whether this nbkit's ``lint`` has ``-j/--jobs`` (worker processes)."""
    proc = subprocess.run([nbkit, "lint", "--help"], capture_output=True, text=True, env=CHILD_ENV, check=False)
    return "--jobs" in proc.stdout


def repeated_code(corpus: Path) -> dict:
    """How much of the corpus's code repeats: code cells with the source of an earlier code cell
    of the same notebook (nbkit parses such a cell once), and of another notebook (nbkit shares
    nothing between notebooks: that repetition does not help it)."""
    cells = in_notebook = across = 0
    code_bytes = in_notebook_bytes = 0
    seen_anywhere: set[str] = set()
    for path in sorted(corpus.glob("*.ipynb")):
        seen: set[str] = set()
        for cell in json.loads(path.read_bytes()).get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            cells += 1
            code_bytes += len(src)
            if src in seen:
                in_notebook += 1
                in_notebook_bytes += len(src)
            elif src in seen_anywhere:
                across += 1
            seen.add(src)
            seen_anywhere.add(src)
    return {"cells": cells, "in_notebook": in_notebook, "in_notebook_bytes": in_notebook_bytes,
            "code_bytes": code_bytes, "across": across}


def folder_runs(corpus: Path, count: int, nbkit: str, pynblint: str | None, repeat: int, tmp: str) -> dict:
    """Interleaved CLI runs over the folder: nbkit as installed (``-j`` default: worker processes
    when there are many notebooks), nbkit with ``-j 1`` (one process), pynblint."""
    res: dict = {"nbkit": [], "nbkit_j1": [], "pynblint": [], "findings": {}}
    variants = [("nbkit", [])]
    if has_jobs_option(nbkit):
        variants.append(("nbkit_j1", ["--jobs", "1"]))
    for r in range(repeat):
        for key, extra in variants:
            out = os.path.join(tmp, f"{key}-{r}.json")
            use_cache(os.path.join(tmp, f"cold-cache-{key}-{r}"))  # empty: a cold run (it fills the cache)
            res[key].append(timed_run(nbkit_cmd(nbkit, str(corpus), out) + extra))
            data = check_nbkit_output(out, count)
            res["findings"]["nbkit"] = len(data["findings"])
            print(f"  folder run {r + 1}/{repeat}: {key:9s}{res[key][-1][0]:7.2f} s wall, "
                  f"{res[key][-1][1]:7.2f} s CPU", flush=True)
        if pynblint:
            out = os.path.join(tmp, f"pynblint-{r}.json")
            res["pynblint"].append(timed_run(pynblint_cmd(pynblint, str(corpus), out)))
            data = check_pynblint_output(out, count, folder=True)
            res["findings"]["pynblint"] = sum(len(x.get("lints", [])) for x in data["notebook_level_lints"]) + \
                len(data.get("lints", []))
            print(f"  folder run {r + 1}/{repeat}: pynblint {res['pynblint'][-1][0]:7.2f} s wall, "
                  f"{res['pynblint'][-1][1]:7.2f} s CPU", flush=True)
    return res


def warm_runs(corpus: Path, count: int, nbkit: str, repeat: int, tmp: str) -> dict:
    """Pairs of runs, each a cold run that fills an empty lint cache and then a re-lint of the
    unchanged corpus from it (nbkit as installed, default ``-j``), so that the speed-up compares
    runs taken seconds apart (a shared machine's speed drifts over minutes); each warm report
    must equal its cold one."""
    runs, colds = [], []
    for r in range(repeat):
        cache = os.path.join(tmp, f"warm-cache-{r}")
        use_cache(cache)
        cold_out = os.path.join(tmp, f"warm-fill-{r}.json")
        colds.append(timed_run(nbkit_cmd(nbkit, str(corpus), cold_out)))
        cold = check_nbkit_output(cold_out, count)
        out = os.path.join(tmp, f"warm-{r}.json")
        runs.append(timed_run(nbkit_cmd(nbkit, str(corpus), out)))
        if check_nbkit_output(out, count) != cold:
            raise SystemExit("bench_lint: the warm (cached) report differs from the cold one")
        print(f"  pair {r + 1}/{repeat}: cold {colds[-1][0]:7.2f} s wall, warm {runs[-1][0]:7.2f} s wall, "
              f"{runs[-1][1]:7.2f} s CPU", flush=True)
    return {"colds": colds, "runs": runs}


def small_notebook(i: int) -> dict:
    cells = [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": f"# Report {i}\n\nWhat it shows."},
             {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": 1, "outputs": [],
              "source": "import pandas as pd\nimport numpy as np\n"},
             {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 2, "outputs": [],
              "source": f"df = pd.DataFrame({{'x': np.arange({i % 97 + 3})}})\ndf['y'] = df.x * {i}\n"},
             {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 3,
              "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"}],
              "source": "print(df.y.sum())\n"}]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


def scale_run(nbkit: str, n: int, tmp: str) -> dict:
    """Cold and warm ``nbkit lint`` over ``n`` small notebooks (100 per folder); wall time and the
    peak RSS of the largest process (the CLI or one of its workers), measured by a wrapper
    process so earlier children do not count."""
    root = Path(tmp, "scale")
    for i in range(n):
        folder = root / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"nb{i:05d}.ipynb").write_text(json.dumps(small_notebook(i)))
    (root / "requirements.txt").write_text("pandas\nnumpy\n")
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)\n"
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out: dict = {"n": n}
    use_cache(os.path.join(tmp, "scale-cache"))
    for label in ("cold", "warm"):
        res = os.path.join(tmp, f"scale-{label}.json")
        proc = subprocess.run([sys.executable, "-c", wrapper, *nbkit_cmd(nbkit, str(root), res)], capture_output=True,
                              text=True, env=CHILD_ENV, check=True)
        wall, rss_kb = proc.stdout.split()
        check_nbkit_output(res, n)
        out[label] = {"wall": float(wall), "rss_mb": int(rss_kb) / 1024}
        print(f"  {n} small notebooks, {label}: {float(wall):.2f} s wall, peak RSS {int(rss_kb) / 1024:.0f} MB",
              flush=True)
    return out


def sample_paths(notebooks: list[Path], n: int) -> list[Path]:
    step = max(1, len(notebooks) // n)
    return notebooks[::step][:n]


def per_process_runs(sample: list[Path], nbkit: str, pynblint: str | None, tmp: str) -> dict:
    res = {"nbkit": [0.0, 0.0], "pynblint": [0.0, 0.0]}
    for i, nb in enumerate(sample):
        for tool in ("nbkit", "pynblint"):
            if tool == "pynblint" and not pynblint:
                continue
            out = os.path.join(tmp, f"one-{tool}-{i}.json")
            cmd = nbkit_cmd(nbkit, str(nb), out, "--no-cache") if tool == "nbkit" else \
                pynblint_cmd(pynblint, str(nb), out)
            wall, cpu = timed_run(cmd)
            if tool == "nbkit":
                check_nbkit_output(out, 1)
            else:
                check_pynblint_output(out, 1, folder=False)
            res[tool][0] += wall
            res[tool][1] += cpu
    print(f"  one process per notebook ({len(sample)} notebooks): nbkit {res['nbkit'][0]:.2f} s, "
          f"pynblint {res['pynblint'][0]:.2f} s", flush=True)
    return res


def single_notebook(cmd: list[str], runs: int, tmp: str) -> dict:
    """Median / min / max wall seconds of ``cmd`` over ``runs`` runs (after 2 warm-ups)."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        export = os.path.join(tmp, "hyperfine.json")
        shell_cmd = " ".join(cmd)
        proc = subprocess.run([hyperfine, "--warmup", "2", "--runs", str(runs), "--ignore-failure",
                               "--shell=none", "--style", "none", "--export-json", export, shell_cmd],
                              capture_output=True, text=True, env=CHILD_ENV, check=False)
        if proc.returncode == 0:
            r = json.loads(Path(export).read_text())["results"][0]
            return {"method": "hyperfine", "median": r["median"], "min": r["min"], "max": r["max"],
                    "mean": r["mean"], "user": r["user"], "system": r["system"], "runs": len(r["times"])}
    times = []
    cpus = []
    for i in range(runs + 2):
        wall, cpu = timed_run(cmd)
        if i >= 2:
            times.append(wall)
            cpus.append(cpu)
    return {"method": "perf_counter", "median": statistics.median(times), "min": min(times), "max": max(times),
            "mean": statistics.mean(times), "user": statistics.mean(cpus), "system": 0.0, "runs": runs}


def startup_profile(nbkit: str, one: Path) -> dict:
    """Import time of ``nbkit lint ONE`` by top-level module (``python -X importtime``, one run)."""
    proc = subprocess.run([interpreter(nbkit), "-X", "importtime", "-m", "nbkit", "lint", str(one)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=CHILD_ENV, check=False)
    top: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and name.startswith(" ") and not name.startswith("  "):
            top[name.strip()] = top.get(name.strip(), 0.0) + int(cumulative) / 1e6
    return {"total": sum(top.values()), "top": sorted(top.items(), key=lambda kv: -kv[1])[:10]}


def in_process(corpus: Path, count: int, profile_rules: bool) -> dict:
    """nbkit's library API over the folder (imports warm), plus a per-phase / per-rule profile."""
    from nbkit.analysis import Facts
    from nbkit.config import load_config
    from nbkit.lint import Selection, lint_paths
    from nbkit.model import load
    from nbkit.project import Project
    from nbkit.rules import Context

    config = load_config(str(corpus), None)
    lint_paths([str(min(corpus.glob("*.ipynb")))], config)  # warm: rule modules, caches
    t0, c0 = time.perf_counter(), time.process_time()
    result = lint_paths([str(corpus)], config)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.notebooks == count and not result.errors, (result.notebooks, result.errors)
    out = {"wall": wall, "cpu": cpu, "rules": len(Selection(config).rules)}
    if not profile_rules:
        return out
    # one notebook at a time, as lint_paths does (keeping all 500 alive would inflate the
    # cycle collector's share and misattribute it to whichever phase allocates most)
    selection = Selection(config)
    paths = sorted(str(p) for p in corpus.glob("*.ipynb"))
    project = Project(paths, strip_outputs=config.strip_outputs)
    out["load"] = out["parse"] = out["analysis"] = 0.0
    out["code_bytes"] = 0
    per_rule = {r.code: 0.0 for r in selection.rules}
    for path in paths:
        c = time.process_time()
        nb = load(path)
        c2 = time.process_time()
        facts = Facts(nb)
        for cell in nb.cells:
            facts.parsed(cell)  # IPython-syntax transform + ast.parse, kept in the notebook's facts
        c3 = time.process_time()
        facts.semantic  # the shared walk (calls, imports, strings) most rules read: its own phase
        c4 = time.process_time()
        out["load"] += c2 - c
        out["parse"] += c3 - c2
        out["analysis"] += c4 - c3
        out["code_bytes"] += sum(len(facts.python_source(cell).encode()) for cell in nb.cells)
        for rule in selection.rules:
            ctx = Context(options=config.options_for(rule), defaults=rule.options, project=project, config=config,
                          facts=facts)
            c = time.process_time()
            try:
                if rule.applies(nb, ctx):
                    list(rule.check(nb, ctx))
            except Exception:  # noqa: BLE001, S110 - the runner turns a crash into a finding; time it all the same
                pass
            per_rule[rule.code] += time.process_time() - c
        del nb, facts, ctx
    out["per_rule"] = dict(sorted(per_rule.items(), key=lambda kv: -kv[1]))
    out["names"] = {r.code: r.name for r in selection.rules}
    return out


# -- report ------------------------------------------------------------------------------------

def render(info: dict) -> str:
    n = info["count"]
    f = info["folder"]
    lines = [
        "# Lint performance: nbkit vs pynblint",
        "",
        f"Measured {info['when']} by `benchmarks/bench_lint.py` (how to run it: `benchmarks/README.md`).",
        "",
        "## Results",
        "",
        "| measurement | nbkit | pynblint | ratio (nbkit faster by) |",
        "|---|---|---|---|",
    ]
    nk_wall = statistics.median(w for w, _ in f["nbkit"])
    nk_cpu = statistics.median(c for _, c in f["nbkit"])
    has_p = bool(f["pynblint"])
    if has_p:
        py_wall = statistics.median(w for w, _ in f["pynblint"])
        py_cpu = statistics.median(c for _, c in f["pynblint"])
        lines.append(f"| folder run, notebooks/s (wall, median of {len(f['nbkit'])}) | {n / nk_wall:.1f} | "
                     f"{n / py_wall:.1f} | **{py_wall / nk_wall:.1f}x** |")
        lines.append(f"| folder run, notebooks per CPU-second | {n / nk_cpu:.1f} | {n / py_cpu:.1f} | "
                     f"**{py_cpu / nk_cpu:.1f}x** |")
        lines.append(f"| folder run, wall seconds for {n} notebooks | {nk_wall:.2f} | {py_wall:.2f} | |")
        if f["nbkit_j1"]:
            j1_wall = statistics.median(w for w, _ in f["nbkit_j1"])
            j1_cpu = statistics.median(c for _, c in f["nbkit_j1"])
            lines.append(f"| folder run with `nbkit lint -j 1` (one process), notebooks/s (wall) | "
                         f"{n / j1_wall:.1f} | {n / py_wall:.1f} | **{py_wall / j1_wall:.1f}x** |")
            lines.append(f"| folder run with `-j 1`, notebooks per CPU-second | {n / j1_cpu:.1f} | {n / py_cpu:.1f} "
                         f"| **{py_cpu / j1_cpu:.1f}x** |")
    else:
        lines.append(f"| folder run, notebooks/s (wall) | {n / nk_wall:.1f} | not run | |")
    pp = info.get("per_process")
    if pp:
        k = info["sample"]
        if has_p:
            lines.append(f"| one process per notebook ({k}-notebook sample), notebooks/s | {k / pp['nbkit'][0]:.1f} | "
                         f"{k / pp['pynblint'][0]:.1f} | **{pp['pynblint'][0] / pp['nbkit'][0]:.1f}x** |")
        else:
            lines.append(f"| one process per notebook ({k}-notebook sample), notebooks/s | {k / pp['nbkit'][0]:.1f} | | |")
    ip = info["in_process"]
    lines.append(f"| in process (`nbkit.lint_paths`, imports warm), notebooks/s | {n / ip['wall']:.1f} "
                 f"({n / ip['cpu']:.1f} per CPU-s) | | |")
    s = info["single"]
    sp = info.get("single_pynblint")
    lines.append(f"| one notebook ({info['single_cells']} cells), wall s incl. interpreter start, median of {s['runs']} "
                 f"| {s['median']:.3f} (min {s['min']:.3f}) | "
                 + (f"{sp['median']:.3f} (min {sp['min']:.3f}) | {sp['median'] / s['median']:.1f}x |" if sp else "| |"))
    sc = info.get("single_cold")
    if sc:
        lines.append(f"| one notebook, `--no-cache` (cold), wall s incl. interpreter start, median of {sc['runs']} "
                     f"| {sc['median']:.3f} (min {sc['min']:.3f}) | | |")
    wr = info.get("warm")
    if wr:
        w_wall = statistics.median(w for w, _ in wr["runs"])
        w_cpu = statistics.median(c for _, c in wr["runs"])
        c_wall = statistics.median(w for w, _ in wr["colds"])
        # the median of each pair's speed-up (a warm run against the cold run just before it)
        sp_up = statistics.median(cw / ww for (cw, _), (ww, _) in zip(wr["colds"], wr["runs"], strict=True))
        sp_cpu = statistics.median(cc / wc for (_, cc), (_, wc) in zip(wr["colds"], wr["runs"], strict=True))
        lines.append(f"| warm re-lint of the {n} unchanged notebooks (lint cache filled), wall s, median of "
                     f"{len(wr['runs'])} | {w_wall:.2f} ({w_cpu:.2f} CPU s) | | **{sp_up:.1f}x** faster than the "
                     f"cold run just before it (median of the pairs; cold median {c_wall:.2f} s; {sp_cpu:.1f}x in "
                     "CPU) |")
    sca = info.get("scale")
    if sca:
        lines.append(f"| {sca['n']:,} small notebooks, cold: wall s / peak RSS of the largest process | "
                     f"{sca['cold']['wall']:.1f} s / {sca['cold']['rss_mb']:.0f} MB | | |")
        lines.append(f"| {sca['n']:,} small notebooks, warm: wall s / peak RSS | "
                     f"{sca['warm']['wall']:.1f} s / {sca['warm']['rss_mb']:.0f} MB | | |")
    lines += ["", "Targets (DESIGN.md, issue 14):", ""]
    if has_p:
        ratio = py_wall / nk_wall
        lines.append(f"- at least {TARGET_RATIO:.0f}x pynblint's notebooks per second (folder run, wall, "
                     f"`nbkit lint` with its default `-j`): "
                     f"**{ratio:.1f}x - {'met' if ratio >= TARGET_RATIO else 'NOT met'}** "
                     f"(CPU-time ratio {py_cpu / nk_cpu:.1f}x"
                     + (f"; one process, `-j 1`: {py_wall / j1_wall:.1f}x wall)" if f["nbkit_j1"] else ")"))
    lines.append(f"- `nbkit lint` on one unchanged notebook (warm cache) under {TARGET_WARM_SINGLE_S} s wall "
                 f"including interpreter start: **median {s['median']:.3f} s - "
                 f"{'met' if s['median'] < TARGET_WARM_SINGLE_S else 'NOT met'}** (CPU {s['user'] + s['system']:.3f} s)"
                 + (f"; cold (`--no-cache`) under {TARGET_SINGLE_S} s: median {sc['median']:.3f} s - "
                    f"{'met' if sc['median'] < TARGET_SINGLE_S else 'NOT met'}" if sc else ""))
    if wr:
        lines.append(f"- re-linting {n} unchanged notebooks at least {TARGET_WARM_SPEEDUP:.0f}x faster than cold: "
                     f"**{sp_up:.1f}x - {'met' if sp_up >= TARGET_WARM_SPEEDUP else 'NOT met'}**")
    if sca:
        peak = max(sca["cold"]["rss_mb"], sca["warm"]["rss_mb"])
        lines.append(f"- peak RSS at {sca['n']:,} notebooks under {TARGET_RSS_MB} MB: **{peak:.0f} MB - "
                     f"{'met' if peak < TARGET_RSS_MB else 'NOT met'}**")
    if has_p and "per_rule" in ip:
        py_ms = 1000 * py_cpu / n
        floor_ms = 1000 * (ip["load"] + ip["parse"]) / n
        analysis_ms = 1000 * ip["analysis"] / n
        rules_ms = 1000 * sum(ip["per_rule"].values()) / n
        cli_ms = 1000 * (statistics.median(c for _, c in f["nbkit_j1"]) if f["nbkit_j1"] else nk_cpu) / n
        lines += ["", "## Reading the numbers", "",
                  (f"- pynblint spends {py_ms:.1f} ms of CPU per notebook; nbkit's CLI {cli_ms:.1f} ms "
                  f"(one process, start-up and report included)."),
                  (f"- Reading the JSON and building the model plus parsing every code cell (`ast.parse` after the "
                  f"IPython-syntax transform) costs nbkit {floor_ms:.1f} ms per notebook before any rule runs: "
                  f"even with free rules, one process could be at most {py_ms / floor_ms:.0f}x faster than "
                  f"pynblint on this corpus. The shared semantic walk adds {analysis_ms:.1f} ms and the rules "
                  f"{rules_ms:.1f} ms."),
                  (f"- A {TARGET_RATIO:.0f}x ratio needs nbkit at {py_ms / TARGET_RATIO:.1f} ms of CPU per notebook "
                  "in one process, or spreading notebooks over several cores (pynblint uses one)."),
                  ("- On a shared machine wall time follows the load (see the load averages below); the CPU-time "
                  "rows are the steadier comparison.")]
    st = info.get("startup")
    if st:
        bare = info["bare_python"]
        lines += ["", "## One notebook: where the start-up goes", "",
                  (f"A bare `python -c pass` takes {bare['median']:.3f} s (median) here. Imports of `nbkit lint` "
                  f"take {st['total']:.3f} s in one `python -X importtime` run (which inflates them a little); "
                  "the biggest top-level imports (cumulative seconds, including what they import):"), "",
                  "| module | s |", "|---|---|"]
        lines += [f"| `{name}` | {sec:.3f} |" for name, sec in st["top"]]
    if "per_rule" in ip:
        total_rules = sum(ip["per_rule"].values())
        lines += ["", "## Where nbkit's time goes (in process, CPU seconds over the corpus)", "",
                  "| phase | CPU s | ms per notebook | share |", "|---|---|---|---|"]
        whole = ip["load"] + ip["parse"] + ip["analysis"] + total_rules
        for name, v in (("load (read + JSON + model)", ip["load"]),
                        (f"IPython-syntax transform + `ast.parse` ({ip['code_bytes'] / 1e6:.1f} MB of code)", ip["parse"]),
                        ("shared semantic walk (`nbkit/analysis/semantic.py`: calls, imports, strings)",
                         ip["analysis"]),
                        (f"rules ({ip['rules']})", total_rules)):
            lines.append(f"| {name} | {v:.2f} | {1000 * v / n:.2f} | {100 * v / whole:.0f}% |")
        lines += ["", ("Slowest rules (the semantic walk is measured above; another per-notebook analysis shared "
                  "by several rules, such as NBR011's def-use pass or the layout, is charged to the first rule that "
                  "asks for it):"), "", "| rule | CPU s | ms per notebook | share of rule time |", "|---|---|---|---|"]
        for code, v in list(ip["per_rule"].items())[:12]:
            lines.append(f"| {code} {ip['names'].get(code, '')} | {v:.3f} | {1000 * v / n:.2f} | "
                         f"{100 * v / total_rules:.0f}% |")
    c = info["corpus"]
    lines += [
        "",
        "## Corpus",
        "",
        f"{n} notebooks generated by `benchmarks/make_corpus.py` (seed {c['seed']}, generator v{c['generator']}): "
        f"{c['cells']['total']} cells, {c['cells']['min']}-{c['cells']['max']} per notebook (median {c['cells']['median']}), "
        f"{c['bytes'] / 1e6:.1f} MB on disk. Stored outputs: "
        + ", ".join(f"{v} {k}" for k, v in c["outputs"].items()) + ". "
        "Markdown titles, headings and prose; imports cells; pandas / numpy / matplotlib / sklearn-style code; "
        "line and cell magics, shell escapes and `?` help; base64 PNG charts (4-90 kB) and pandas HTML tables; "
        "tracebacks; and the usual flaws (out-of-order counts, unexecuted and empty cells, long cells, unseeded "
        "randomness, absolute paths, late and star imports, debug leftovers, syntax errors).",
    ]
    r = info.get("repeats")
    if r and r["cells"]:
        lines += [
            "",
            f"Repeated code: {r['in_notebook']} of the {r['cells']} code cells ({100 * r['in_notebook'] / r['cells']:.1f}%, "
            f"{100 * r['in_notebook_bytes'] / max(r['code_bytes'], 1):.1f}% of the code's characters) repeat an earlier "
            "code cell of their own notebook; nbkit parses such a cell once (for comparison: 1.3% of the code's "
            "characters in the three public notebook repositories of docs/lint-accuracy.md, measured 2026-12-02). "
            f"Another {r['across']} ({100 * r['across'] / r['cells']:.0f}%) repeat a cell of another notebook (the generator "
            "draws code from templates); nbkit shares nothing between notebooks, so that does not help it.",
        ]
    lines += [
        "",
        (f"Findings reported in the last folder run: nbkit {f['findings'].get('nbkit', 'n/a')} "
        f"({ip['rules']} static rules enabled), pynblint {f['findings'].get('pynblint', 'n/a')}."),
        "",
        "## Machine and versions",
        "",
        (f"- CPU: {info['cpu']}, {os.cpu_count()} cores (shared with other work: load average "
        f"{info['load_before']} before, {info['load_after']} after)"),
        f"- OS: {platform.platform()}",
        (f"- Python {platform.python_version()} (nbkit); nbkit {info['nbkit_version']}; "
        f"pynblint {info['pynblint_version']} (in its own virtual environment)"),
        f"- single-notebook timing: {s['method']}",
        "",
        "## Method",
        "",
        ("- Child processes run with bytecode caching on, as after a normal installation: the benchmark "
        "removes PYTHONDONTWRITEBYTECODE from their environment and points PYTHONPYCACHEPREFIX at a private "
        "folder, and one warm-up run of each tool fills it."),
        (f"- Folder run: `nbkit lint CORPUS --format json --output OUT` (as installed: its default `-j` lints a "
        "folder this size in one worker process per core), the same with `-j 1` (one process), and "
        "`pynblint CORPUS -q -y -o OUT.json` (one process: pynblint has no parallel mode), "
        f"interleaved, {len(f['nbkit'])} times each; median wall time. pynblint accepts a folder "
        "(it treats it as a local repository: every notebook gets its notebook-level lints, and it adds a few "
        "repository-level lints). Both reports are checked to cover every notebook. CPU time is the child's "
        "user + system time (`getrusage`), which is less sensitive to other load on the machine."),
        (f"- One process per notebook: the same {info.get('sample', 0)} notebooks (every "
        f"{max(1, n // max(1, info.get('sample', 1)))}th), each tool started once per notebook; total wall time."),
        ("- One notebook: `nbkit lint NOTEBOOK` (text report to a pipe) on the corpus notebook with the median "
        "cell count, after 2 warm-up runs (which fill the lint cache: the timed runs are warm re-lints); the "
        "same with `--no-cache` for the cold figure; the exit status (1: findings) is ignored."),
        ("- Lint cache: every cold folder run (the pynblint comparison) starts from an empty cache folder "
        "(`NBKIT_CACHE_DIR`), so it pays for writing the cache; each warm run re-lints the unchanged corpus "
        "from the cache the cold run just before it filled (the speed-up compares these pairs, taken seconds "
        "apart: the machine's speed drifts over minutes), and its report is checked to equal that cold one's. "
        "The one-process-per-notebook comparison runs `nbkit lint --no-cache`."),
        ("- Scale: small notebooks (4 cells) in folders of 100, `nbkit lint` as installed (default `-j`), "
        "cold then warm; peak RSS is `ru_maxrss` of the children of a wrapper process, i.e. of the largest "
        "process (the CLI or one worker), not their sum."),
        ("- In process: `nbkit.lint_paths([CORPUS])` after one warm-up call; the breakdown re-runs the phases "
        "separately (load, parse every code cell, then each rule on every notebook) with `time.process_time`."),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="nbkit vs pynblint lint throughput (see the module docstring).")
    ap.add_argument("--count", type=int, default=500, help="notebooks in the corpus (default 500)")
    ap.add_argument("--seed", type=int, default=2026, help="corpus seed (default 2026)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_OUT, help="corpus folder (generated when missing)")
    ap.add_argument("--pynblint", default=default_pynblint(),
                    help="pynblint executable (default: `pynblint` on PATH, else /work/bench-venv/bin/pynblint "
                         "or .bench-venv/bin/pynblint)")
    ap.add_argument("--no-pynblint", action="store_true", help="measure nbkit only")
    ap.add_argument("--nbkit", default=default_nbkit(), help="nbkit executable (default: next to this Python)")
    ap.add_argument("--repeat", type=int, default=3, help="folder runs per tool (default 3)")
    ap.add_argument("--warm-pairs", type=int, default=5,
                    help="cold-then-warm pairs for the warm speed-up (default 5)")
    ap.add_argument("--sample", type=int, default=20, help="notebooks for the per-process runs (0: skip)")
    ap.add_argument("--single-runs", type=int, default=10, help="runs for the single-notebook timing (default 10)")
    ap.add_argument("--no-profile", action="store_true", help="skip the per-rule profile")
    ap.add_argument("--scale", type=int, default=10_000,
                    help="small notebooks for the peak-RSS run (default 10000; 0 skips it)")
    ap.add_argument("--output", type=Path, help="write the Markdown report here (e.g. docs/benchmarks-lint.md)")
    args = ap.parse_args(argv)

    pynblint = None if args.no_pynblint else args.pynblint
    if not args.no_pynblint and not pynblint:
        ap.error("pynblint not found: set it up with `python -m venv .bench-venv && .bench-venv/bin/pip install "
                 "pynblint \"click<8.2\"` and pass --pynblint .bench-venv/bin/pynblint (or use --no-pynblint)")
    if pynblint and not os.access(pynblint, os.X_OK):
        ap.error(f"--pynblint {pynblint}: not an executable")

    info: dict = {"count": args.count, "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  "cpu": cpu_model(), "load_before": loadavg()}
    print(f"corpus: {args.corpus} ({args.count} notebooks, seed {args.seed})", flush=True)
    info["corpus"] = ensure_corpus(args.corpus, args.count, args.seed)
    info["repeats"] = repeated_code(args.corpus)
    notebooks = sorted(args.corpus.glob("*.ipynb"))
    info["nbkit_version"] = tool_version(args.nbkit, "nbkit")
    info["pynblint_version"] = tool_version(pynblint, "pynblint") if pynblint else "not run"

    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        child_env(os.path.join(tmp, "pycache"))
        use_cache(os.path.join(tmp, "warmup-cache"))
        # warm-up: bytecode caches (file and folder code paths) and the OS file cache, both tools
        warm = Path(tmp, "warm")
        warm.mkdir()
        shutil.copy(notebooks[0], warm)
        for target in (str(warm), str(notebooks[0])):
            timed_run(nbkit_cmd(args.nbkit, target, os.path.join(tmp, "warm.json")))
            if pynblint:
                timed_run(pynblint_cmd(pynblint, target, os.path.join(tmp, "warm-p.json")))
        for nb in notebooks:
            nb.read_bytes()
        print("folder runs:", flush=True)
        info["folder"] = folder_runs(args.corpus, args.count, args.nbkit, pynblint, args.repeat, tmp)
        print("warm runs (lint cache filled, notebooks unchanged):", flush=True)
        info["warm"] = warm_runs(args.corpus, args.count, args.nbkit, args.warm_pairs, tmp)
        if args.sample:
            info["sample"] = min(args.sample, len(notebooks))
            info["per_process"] = per_process_runs(sample_paths(notebooks, args.sample), args.nbkit, pynblint, tmp)
        # the single notebook: the one with the median number of cells
        by_cells = sorted(notebooks, key=lambda p: (len(json.loads(p.read_bytes())["cells"]), p.name))
        one = by_cells[len(by_cells) // 2]
        info["single_cells"] = len(json.loads(one.read_bytes())["cells"])
        print(f"single notebook: {one.name} ({info['single_cells']} cells)", flush=True)
        use_cache(os.path.join(tmp, "single-cache"))  # filled by the warm-up runs: a warm re-lint
        info["single"] = single_notebook([args.nbkit, "lint", str(one)], args.single_runs, tmp)
        info["single_cold"] = single_notebook([args.nbkit, "lint", "--no-cache", str(one)], args.single_runs, tmp)
        if pynblint:
            out = os.path.join(tmp, "single-pynblint.json")
            info["single_pynblint"] = single_notebook(pynblint_cmd(pynblint, str(one), out),
                                                      max(3, args.single_runs // 2), tmp)
        print(f"  nbkit lint one notebook: median {info['single']['median']:.3f} s ({info['single']['method']})",
              flush=True)
        info["bare_python"] = single_notebook([interpreter(args.nbkit), "-c", "pass"], args.single_runs, tmp)
        info["startup"] = startup_profile(args.nbkit, one)
        if args.scale:
            print(f"scale ({args.scale} small notebooks):", flush=True)
            info["scale"] = scale_run(args.nbkit, args.scale, tmp)
    print("in process:", flush=True)
    info["in_process"] = in_process(args.corpus, args.count, not args.no_profile)
    info["load_after"] = loadavg()

    report = render(info)
    print()
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
