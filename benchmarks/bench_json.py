"""Would a faster JSON reader make ``nbkit lint`` measurably faster?  (issue 14: "a faster JSON
reader where it is measurably faster (e.g. orjson or msgspec), chosen by measurement").

Decodes every notebook of the lint benchmark corpus with the standard library's ``json`` and with
each of ``orjson`` / ``msgspec`` that is importable, checks that each gives the same document as
``json`` for every notebook, and puts the time saved next to the CPU time of the whole lint of the
corpus (``nbkit.lint_paths``, in this process), all in one run.  Prints the table and, with
``--output``, writes it as Markdown.

    pip install orjson msgspec   # in a scratch environment: nbkit does not depend on them
    python benchmarks/bench_json.py --output docs/benchmarks-json.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"


def readers() -> dict:
    found = {"json (standard library)": json.loads}
    for name, attr in (("orjson", "loads"), ("msgspec", "json.decode")):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        fn = mod
        for part in attr.split("."):
            fn = getattr(fn, part)
        version = getattr(mod, "__version__", "?")
        found[f"{name} {version}"] = fn
    return found


def cpu_of(fn, datas: list[bytes], repeats: int) -> float:
    """Median CPU seconds of decoding every document once."""
    runs = []
    for _ in range(repeats):
        c = time.process_time()
        for d in datas:
            fn(d)
        runs.append(time.process_time() - c)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(CORPUS), help="folder of notebooks (default: the lint benchmark's)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--output", help="write the results as Markdown to this file")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise SystemExit(f"{corpus}: no corpus; run benchmarks/bench_lint.py once (it generates it)")
    paths = sorted(corpus.glob("*.ipynb"))
    datas = [p.read_bytes() for p in paths]
    n = len(datas)
    found = readers()
    reference = [json.loads(d) for d in datas]
    same = {}
    for name, fn in found.items():
        same[name] = all(fn(d) == ref for d, ref in zip(datas, reference, strict=True))
    cpu = {name: cpu_of(fn, datas, args.repeats) for name, fn in found.items()}

    from nbkit.config import load_config
    from nbkit.lint import lint_paths

    config = load_config(str(corpus), None)
    lint_paths([str(paths[0])], config)  # warm: imports, compiled patterns
    lint_runs = []
    for _ in range(3):
        c = time.process_time()
        lint_paths([str(corpus)], config)
        lint_runs.append(time.process_time() - c)
    lint_cpu = statistics.median(lint_runs)
    base = cpu["json (standard library)"]
    fastest = base / min(cpu.values())
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    mb = sum(len(d) for d in datas) / 1e6
    lines = [
        "# JSON readers for lint: measured, not adopted",
        "",
        f"Measured {when} by `benchmarks/bench_json.py` on the lint benchmark corpus ({n} notebooks, "
        f"{mb:.0f} MB of JSON; load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; Python "
        f"{platform.python_version()}). Each reader decodes every notebook {args.repeats} times (median "
        "CPU seconds); the whole in-process lint of the same corpus (`nbkit.lint_paths`, median of 3) is the "
        "yardstick.",
        "",
        "| reader | same documents as `json` | CPU s for the corpus | ms per notebook | saving vs `json`, share of the whole lint |",
        "|---|---|---:|---:|---:|",
    ]
    for name in found:
        saving = (base - cpu[name]) / lint_cpu * 100
        lines.append(f"| {name} | {'yes' if same[name] else 'NO'} | {cpu[name]:.3f} | {1000 * cpu[name] / n:.2f} | "
                     f"{saving:+.1f}% |")
    lines += [
        "",
        f"The whole lint took {lint_cpu:.2f} CPU s ({1000 * lint_cpu / n:.1f} ms per notebook). "
        "Decoding is a small part of it: even a reader that took no time at all would save "
        f"{base / lint_cpu * 100:.1f}% of the lint.",
        "",
        "Decision: nbkit keeps the standard library's `json`. The faster readers decode these notebooks "
        f"up to {fastest:.1f}x as fast, but that is a saving of a few per cent of a lint, smaller than the run-to-run "
        "noise of a folder run on this machine, for a compiled dependency and a second parser whose edge "
        "cases differ from `json`'s (NaN and Infinity, integers beyond 64 bits, escaped lone surrogates, "
        "nesting depth), each of which nbkit reports in its own words today (docs/reliability.md). The "
        "lint's time is in parsing code cells and in the rules (docs/benchmarks-lint.md).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
