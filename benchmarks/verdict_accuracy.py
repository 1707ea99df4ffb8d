"""Verdict accuracy on real notebooks (issue 12, "Measure it honestly").

Runs ``nbkit verify --format json`` on a copy of a corpus of public notebooks (stored outputs
nobody here wrote) and writes docs/verdict-accuracy.md: per notebook, nbkit's verdict and the
causes it names, next to the hand label from a CSV (``notebook,label,cause,note``; label is
``reproducible`` or ``not``, cause one of the diagnosis kinds or ``-``).

    python benchmarks/verdict_accuracy.py /work/corpus/jvns+pandas-cookbook \\
        --labels benchmarks/verdict_labels.csv --out docs/verdict-accuracy.md

nbval is not run here (it is not installed in this environment); its columns are left out.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def run_verify(corpus: Path, timeout: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / corpus.name
        shutil.copytree(corpus, copy, ignore=shutil.ignore_patterns(".git", ".ipynb_checkpoints"))
        r = subprocess.run([sys.executable, "-m", "nbkit", "verify", "--format", "json", "--timeout", str(timeout),
                            "-j", str(jobs), "."], cwd=copy, capture_output=True, text=True)
        return json.loads(r.stdout)


def read_labels(path: Path | None) -> dict[str, dict]:
    if not path or not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["notebook"]: row for row in csv.DictReader(fh)}


def table(report: dict, labels: dict[str, dict], corpus: str) -> str:
    rows = ["| notebook | nbkit verdict | causes named by nbkit (cells) | hand label | labelled cause | agrees |",
            "|---|---|---|---|---|---|"]
    agree = labelled = 0
    for nb in report["notebooks"]:
        causes = "; ".join(f"{g['kind']} ({', '.join(map(str, g['cells'])) or 'notebook'})"
                           for g in nb.get("causes", [])) or "-"
        lab = labels.get(nb["path"])
        ok = ""
        if lab:
            labelled += 1
            kinds = {g["kind"] for g in nb.get("causes", [])}
            verdict_ok = (nb["status"] == "reproducible") == (lab["label"] == "reproducible")
            cause_ok = lab["cause"] in ("-", "") or lab["cause"] in kinds
            ok = "yes" if verdict_ok and cause_ok else "no"
            agree += ok == "yes"
        rows.append(f"| {nb['path']} | {nb['status']} | {causes} | {lab['label'] if lab else '?'} | "
                    f"{(lab['cause'] + (' - ' + lab['note'] if lab.get('note') else '')) if lab else '?'} | {ok} |")
    head = (f"# Verdict accuracy\n\nCorpus: `{corpus}` ({len(report['notebooks'])} notebooks), "
            f"verified with `nbkit verify --format json` (default `--runs auto`, errors do not stop the run).\n\n"
            f"Agreement with the hand labels (verdict, and the labelled cause among the causes nbkit names): "
            f"{agree} of {labelled} labelled notebooks.\n\n"
            "What is measured: the notebook verdict and whether the hand-labelled main cause is among the "
            "causes nbkit names. What is not: a per-cell label for every flagged cell (consequences of a "
            "missing file are counted as hidden-state follow-ups, not labelled one by one), nbval strict/lax "
            "(not installed here), the image comparison across sizes, and the other corpora under "
            "/work/corpus. Labels are one reader's judgement from the diffs (see the CSV's notes).\n\n")
    return head + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/verdict-accuracy.md"))
    ap.add_argument("--report", type=Path, help="reuse a saved verify JSON report instead of running verify")
    ap.add_argument("--save", type=Path, help="save the verify JSON report here")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    a = ap.parse_args()
    report = json.loads(a.report.read_text()) if a.report else run_verify(a.corpus, a.timeout, a.jobs)
    if a.save:
        a.save.write_text(json.dumps(report, indent=1))
    a.out.write_text(table(report, read_labels(a.labels), a.corpus.name), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
