"""Lint precision on real notebooks: re-lint a corpus, join with hand-made labels, write the table.

    python benchmarks/lint_accuracy.py CORPUS [--labels benchmarks/lint_labels.yaml]
                                              [--output docs/lint-accuracy.md]

CORPUS is a folder holding public notebook repositories that nobody on the project wrote, one
sub-folder per repository (``owner+name``, e.g. ``jvns+pandas-cookbook``); it is not committed.
The labels file (YAML) judges findings, each by the cell it points at:

    labels:
      - {path: "jvns+pandas-cookbook/cookbook/Chapter 1 - Reading from a CSV.ipynb",
         code: NBD003, cell: 3, line: 1, label: TP}
      - {path: ..., code: NBH012, cell: 5, line: 1, label: FP, note: "IPython automagic",
         quoted: "ls scripts/hello-world*.py"}
    expected:        # misses that must be found (a finding of this code in this cell)
      - {path: ..., code: NBR013, cell: 12, note: "sqlite3.connect('../data/test_db.sqlite')"}

``label`` is TP (right), noisy (right, but a reader would not want to be told: a deliberate
error in a tutorial, a teaching notebook's late import) or FP (wrong); every FP quotes the
cell. A finding is matched by path, code, cell and line (the message is not compared, so
rewording a message keeps its labels). A label whose finding is no longer reported is
counted apart: for an FP that is a fix, for a TP or noisy label a lost finding (a regression
to look at). Precision counts TP and noisy as right: (TP + noisy) / (TP + noisy + FP).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import yaml

LABELS = ("TP", "noisy", "FP")


def lint(corpus: Path) -> list[dict]:
    """`nbkit lint --format json CORPUS` (every rule the default profile runs), as findings."""
    proc = subprocess.run([sys.executable, "-m", "nbkit", "lint", "--format", "json", str(corpus)],
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"nbkit lint failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)["findings"]


def _key(path: str, code: str, cell, line) -> tuple:
    return (path, code, cell, line)


def join(findings: list[dict], corpus: Path, labels: list[dict]):
    """(per-rule counts, lost labels, unlabelled findings by rule)."""
    found = collections.Counter()
    for f in findings:
        rel = os.path.relpath(f["path"], corpus).replace(os.sep, "/")
        found[_key(rel, f["code"], f["cell_index"], f["line"])] += 1
    left = collections.Counter(found)
    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    lost = []
    for lab in labels:
        if lab["label"] not in LABELS:
            raise SystemExit(f"unknown label {lab['label']!r} in {lab}")
        if lab["label"] == "FP" and not lab.get("quoted"):
            raise SystemExit(f"an FP label must quote the cell: {lab}")
        k = _key(lab["path"], lab["code"], lab.get("cell"), lab.get("line"))
        if left[k] > 0:
            left[k] -= 1
            rows[lab["code"]][lab["label"]] += 1
        else:
            rows[lab["code"]]["fixed FP" if lab["label"] == "FP" else "lost"] += 1
            lost.append(lab)
    unlabelled = collections.Counter()
    for (_p, code, _c, _l), n in left.items():
        if n > 0:
            unlabelled[code] += n
    return rows, lost, unlabelled


def _precision(c: collections.Counter) -> float | None:
    right = c["TP"] + c["noisy"]
    total = right + c["FP"]
    return right / total if total else None


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{100 * p:.1f}%"


def _where(lab: dict) -> str:
    if lab.get("cell") is None:
        return "(the notebook)"
    return f"cell {lab['cell']}" + (f", line {lab['line']}" if lab.get("line") is not None else "")


def render(corpus: Path, findings: list[dict], spec: dict, rows, lost, unlabelled, expected_found) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    repos = sorted(p.name for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
    total = collections.Counter()
    for c in rows.values():
        total.update(c)
    judged = total["TP"] + total["noisy"] + total["FP"]
    out = [
        "# Lint accuracy on real notebooks",
        "",
        f"Measured {now} by `benchmarks/lint_accuracy.py` from the labels in `benchmarks/lint_labels.yaml`; "
        "re-run it with `python benchmarks/lint_accuracy.py CORPUS --output docs/lint-accuracy.md`.",
        "",
        "The corpus is public notebook repositories that nobody on the project wrote "
        f"({', '.join(repos)}), linted with the default profile: {len(findings)} findings. "
        f"{judged} of them were judged by hand, each by looking at the cell it points at: "
        "**TP** (right), **noisy** (right, but unwelcome: a deliberate error in a tutorial, a teaching "
        "notebook's late import), **FP** (wrong). Every FP quotes its cell below. *Fixed FP* counts "
        "findings judged wrong before the fixes of issue 17 that are no longer reported; *lost* counts "
        "findings judged right that are no longer reported (none should be). The labels were made by the "
        "engineer who fixed the false positives, on this corpus: a held-out set of notebooks with labels "
        "made by someone else is the real check of these numbers.",
        "",
        f"**Overall precision: {_pct(_precision(total))}** ({total['TP']} TP, {total['noisy']} noisy, "
        f"{total['FP']} FP; {total['fixed FP']} earlier FP fixed, {total['lost']} lost) over "
        f"{sum(1 for c in rows.values() if c['TP'] + c['noisy'] + c['FP'])} rules.",
        "",
        "| rule | TP | noisy | FP | precision | fixed FP | lost | unlabelled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for code in sorted(set(rows) | set(unlabelled)):
        c = rows.get(code, collections.Counter())
        out.append(f"| {code} | {c['TP']} | {c['noisy']} | {c['FP']} | {_pct(_precision(c))} | "
                   f"{c['fixed FP']} | {c['lost']} | {unlabelled.get(code, 0)} |")
    out += ["", "## Misses that must be found", ""]
    for exp, ok in expected_found:
        out.append(f"- {'found' if ok else '**MISSED**'}: {exp['code']} in `{exp['path']}` cell {exp['cell']}"
                   f" ({exp.get('note', '')})")
    fps = [lab for lab in spec.get("labels", []) if lab["label"] == "FP"]
    lost_ids = {id(x) for x in lost}
    out += ["", "## False positives", ""]
    if not fps:
        out.append("None.")
    for lab in fps:
        state = "fixed: no longer reported" if id(lab) in lost_ids else "still reported"
        out += [f"- {lab['code']} `{lab['path']}` {_where(lab)}: {lab.get('note', '')} ({state})", "", "  ```text"]
        out += ["  " + ln for ln in str(lab["quoted"]).splitlines()] + ["  ```", ""]
    lost_right = [lab for lab in lost if lab["label"] != "FP"]
    if lost_right:
        out += ["## Lost findings (judged right, no longer reported)", ""]
        out += [f"- {lab['code']} `{lab['path']}` {_where(lab)}" for lab in lost_right]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--labels", type=Path, default=Path(__file__).with_name("lint_labels.yaml"))
    ap.add_argument("--output", type=Path, default=None, help="write the Markdown here (default: stdout)")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    spec = yaml.safe_load(args.labels.read_text(encoding="utf-8"))
    findings = lint(corpus)
    rows, lost, unlabelled = join(findings, corpus, spec.get("labels", []))
    have = {(os.path.relpath(f["path"], corpus).replace(os.sep, "/"), f["code"], f["cell_index"]) for f in findings}
    expected = [(e, (e["path"], e["code"], e["cell"]) in have) for e in spec.get("expected", [])]
    text = render(corpus, findings, spec, rows, lost, unlabelled, expected)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0 if all(ok for _, ok in expected) else 1


if __name__ == "__main__":
    raise SystemExit(main())
