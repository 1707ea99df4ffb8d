"""Verdict accuracy on real notebooks (issue 12, "Measure it honestly").

Runs ``nbkit verify --format json`` on a copy of each corpus of public notebooks (stored outputs
nobody here wrote) and, when the kernel's interpreter can import nbval, ``pytest --nbval``
(strict) and ``pytest --nbval-lax`` on the same copy, then writes docs/verdict-accuracy.md: per
notebook, nbkit's verdict, the causes it names and the matches it made with a note (re-rendered
charts, repr drift), nbval's verdicts, and the hand label from a CSV
(``corpus,notebook,label,cause,note``; label ``reproducible`` or ``not``, cause one of the
diagnosis kinds or ``-``), and per cell, whether the cause nbkit gives each flagged cell is the one
hand-labelled in ``verdict_cell_labels.csv`` (``corpus,notebook,cells,cause,note``; cells like
``5, 7-9``; cause a diagnosis kind, or ``-`` for a cell that reproduces).

    python benchmarks/verdict_accuracy.py /work/corpus/jvns+pandas-cookbook \\
        /work/corpus/jrjohansson+scientific-python-lectures /work/corpus/jakevdp+WhirlwindTourOfPython \\
        --kernel corpus --python /work/corpus-env/bin/python \\
        --skip Lecture-6A-Fortran-and-C.ipynb --skip Lecture-6B-HPC.ipynb \\
        --skip Lecture-7-Revision-Control-Software.ipynb \\
        --labels benchmarks/verdict_labels.csv --save /tmp/verdict-runs.json --out docs/verdict-accuracy.md

A ``pip`` that refuses is put first on the PATH of every run (a notebook's ``!pip install`` would
otherwise install into the environment on the PATH).  ``--reuse-nbval FILE`` takes nbval's columns
from saved runs and runs only nbkit.  ``--runs FILE`` regenerates the table from saved runs without running anything.  "Before" (what
nbkit said without the re-rendering and repr-drift matches) is derived from the same run: a cell
that matched only with a note was a mismatch before.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from nbkit.report.verify_reports import note_kinds


def _copy(corpus: Path, dest: Path, skip: list[str]) -> None:
    shutil.copytree(corpus, dest, ignore=shutil.ignore_patterns(".git", ".ipynb_checkpoints", *skip))


def _no_pip_env(tmp: Path) -> dict:
    """The environment for the runs, with a ``pip`` first on PATH that refuses: a notebook's
    ``!pip install`` must not install into whatever environment happens to be on the PATH."""
    shim = tmp / "no-pip"
    shim.mkdir(exist_ok=True)
    for name in ("pip", "pip3"):
        f = shim / name
        f.write_text("#!/bin/sh\necho 'pip is disabled during the corpus run' >&2\nexit 1\n", encoding="utf-8")
        f.chmod(0o755)
    return {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_verify(copy: Path, timeout: int, jobs: int, kernel: str | None) -> dict:
    cmd = [sys.executable, "-m", "nbkit", "verify", "--format", "json", "--timeout", str(timeout), "-j", str(jobs)]
    if kernel:
        cmd += ["--kernel", kernel]
    r = subprocess.run(cmd + ["."], cwd=copy, capture_output=True, text=True, env=_no_pip_env(copy.parent))
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"nbkit verify gave no JSON in {copy}: {r.stderr[-2000:]}") from None


def has_nbval(python: str) -> bool:
    return subprocess.run([python, "-c", "import nbval"], capture_output=True).returncode == 0


def run_nbval(copy: Path, python: str, mode: str, timeout: int) -> dict[str, dict]:
    """Per notebook (relative path): cells run, cells failed, and pass/fail, from pytest's JUnit XML."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "-q", mode, "--nbval-current-env",
                        "--nbval-cell-timeout", str(timeout), f"--junitxml={xml}", "."],
                       cwd=copy, capture_output=True, text=True, env=_no_pip_env(Path(tmp)))
        out: dict[str, dict] = {}
        if not xml.exists():
            return out
        for case in ET.parse(xml).getroot().iter("testcase"):
            nb = (case.get("file") or case.get("classname") or "").replace("\\", "/")
            if not nb.endswith(".ipynb"):  # classname "cookbook.Chapter 1 - ..." without a file attribute
                nb = nb.replace(".", "/").rsplit("/ipynb", 1)[0] + ".ipynb"
            st = out.setdefault(nb, {"cells": 0, "failed": 0})
            st["cells"] += 1
            st["failed"] += any(c.tag in ("failure", "error") for c in case)
        return out


def read_labels(path: Path | None) -> dict[tuple[str, str], dict]:
    if not path or not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {(row["corpus"], row["notebook"]): row for row in csv.DictReader(fh)}


def parse_cells(spec: str) -> list[int]:
    """``"5, 7-9"`` -> ``[5, 7, 8, 9]``."""
    out: list[int] = []
    for part in spec.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def read_cell_labels(path: Path | None) -> dict[tuple[str, str], dict[int, str]]:
    """Per notebook, cell index -> the hand-labelled cause kind (``-``: the cell reproduces, so
    flagging it is a false alarm), from a CSV ``corpus,notebook,cells,cause,note``."""
    if not path or not path.exists():
        return {}
    out: dict[tuple[str, str], dict[int, str]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            cells = out.setdefault((row["corpus"], row["notebook"]), {})
            for i in parse_cells(row["cells"]):
                if i in cells:
                    raise SystemExit(f"{path}: cell {i} of {row['notebook']} is labelled twice")
                cells[i] = row["cause"].strip()
    return out


def cell_agreement(nb: dict, labels: dict[int, str]) -> dict:
    """Flagged cells whose cause kind is the labelled one, flagged cells labelled as reproducing
    (false alarms) or not labelled, and cells labelled as not reproducing that nbkit did not flag."""
    flagged = {c["index"]: (c.get("cause") or {}).get("kind") for c in _flagged(nb)}
    out = {"flagged": len(flagged), "agree": 0, "wrong": [], "false_alarm": [], "unlabelled": [], "missed": []}
    for i, kind in sorted(flagged.items()):
        lab = labels.get(i)
        if lab is None:
            out["unlabelled"].append(i)
        elif lab == "-":
            out["false_alarm"].append(i)
        elif lab == kind:
            out["agree"] += 1
        else:
            out["wrong"].append((i, kind, lab))
    out["missed"] = sorted(i for i, lab in labels.items() if lab != "-" and i not in flagged)
    return out


def _nbval_cell(res: dict | None, nb: str) -> str:
    if res is None:
        return "n/a"
    st = res.get(nb) or res.get(nb.replace("/", "."))  # JUnit names sub-folders with dots
    if st is None:
        return "-"
    return "pass" if not st["failed"] else f"fail ({st['failed']}/{st['cells']})"


def _noted(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c.get("status") == "match" and c.get("note")]


def _flagged(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c.get("status") in ("mismatch", "error")]


def _cells_text(cells: list[int]) -> str:
    return ", ".join(map(str, cells))


def table(runs: list[dict], labels: dict[tuple[str, str], dict], findings: str = "",
          cell_labels: dict[tuple[str, str], dict[int, str]] | None = None) -> str:
    cell_labels = cell_labels or {}
    rows = ["| corpus | notebook | nbkit verdict | causes named by nbkit (cells) | matched with a note | "
            "before (no note matches) | nbval strict | nbval lax | hand label | labelled cause | agrees | "
            "cells: cause agrees / flagged |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cell_total = {"flagged": 0, "agree": 0, "missed": 0}
    confusion: Counter = Counter()
    cell_problems: list[str] = []
    agree = labelled = 0
    before_fail = after_fail = noise_only_before = noise_only_after = 0
    cells_before = cells_after = 0
    notes_total: Counter = Counter()
    missed: list[str] = []
    false_alarms: list[str] = []
    nbval_fail = {"strict": 0, "lax": 0}
    for run in runs:
        corpus = run["corpus"]
        for nb in run["verify"]["notebooks"]:
            path = nb["path"]
            causes = "; ".join(f"{g['kind']} ({', '.join(map(str, g['cells'])) or 'notebook'})"
                               for g in nb.get("causes", [])) or "-"
            noted = _noted(nb)
            kinds = Counter(k for c in noted for k in note_kinds(c["note"]))
            notes_total.update(kinds)
            note_text = "; ".join(f"{n}: {k}" for n, k in sorted(kinds.items())) or "-"
            flagged = _flagged(nb)
            cells_after += len(flagged)
            cells_before += len(flagged) + len(noted)
            failed_now = nb["status"] != "reproducible"
            failed_before = failed_now or bool(noted)
            after_fail += failed_now
            before_fail += failed_before
            was_error = any("raises the error" in c["note"] for c in noted)  # a failure before the note existed
            before = ("reproducible" if not failed_before else nb["status"] if failed_now
                      else f"{'failed' if was_error else 'mismatch'} ({len(noted)} cells)")
            strict, lax = (_nbval_cell(run.get(m), path) for m in ("strict", "lax"))
            for m, v in (("strict", strict), ("lax", lax)):
                nbval_fail[m] += v.startswith("fail")
            lab = labels.get((corpus, path))
            ok = ""
            if lab:
                labelled += 1
                lab_kinds = {g["kind"] for g in nb.get("causes", [])}
                verdict_ok = (nb["status"] == "reproducible") == (lab["label"] == "reproducible")
                cause_ok = lab["cause"] in ("-", "") or lab["cause"] in lab_kinds
                ok = "yes" if verdict_ok and cause_ok else "no"
                agree += ok == "yes"
                if lab["label"] == "reproducible":
                    noise_only_before += failed_before
                    noise_only_after += failed_now
                    if failed_now:
                        false_alarms.append(f"{corpus}/{path}")
                elif not failed_now:
                    missed.append(f"{corpus}/{path}")
            ca = cell_agreement(nb, cell_labels.get((corpus, path), {}))
            cell_total["flagged"] += ca["flagged"]
            cell_total["agree"] += ca["agree"]
            cell_total["missed"] += len(ca["missed"])
            for _i, kind, lab_kind in ca["wrong"]:
                confusion[(lab_kind, kind)] += 1
            confusion.update(("-", "flagged") for _ in ca["false_alarm"])
            confusion.update(("unlabelled", "flagged") for _ in ca["unlabelled"])
            cell_col = f"{ca['agree']}/{ca['flagged']}" if ca["flagged"] else "-"
            extra = []
            if ca["wrong"]:
                extra.append("other cause: " + ", ".join(f"{i} ({k} vs {lk})" for i, k, lk in ca["wrong"]))
            if ca["false_alarm"]:
                extra.append(f"labelled reproducing: {_cells_text(ca['false_alarm'])}")
            if ca["unlabelled"]:
                extra.append(f"not labelled: {_cells_text(ca['unlabelled'])}")
            if ca["missed"]:
                extra.append(f"missed: {_cells_text(ca['missed'])}")
                cell_problems.append(f"{corpus}/{path}: missed cells {_cells_text(ca['missed'])}")
            if extra:
                cell_col += " (" + "; ".join(extra) + ")"
            rows.append(f"| {corpus} | {path} | {nb['status']} | {causes} | {note_text} | {before} | {strict} | {lax} | "
                        f"{lab['label'] if lab else '?'} | "
                        f"{(lab['cause'] + (' - ' + lab['note'] if lab.get('note') else '')) if lab else '?'} | {ok} | "
                        f"{cell_col} |")
    n = sum(len(r["verify"]["notebooks"]) for r in runs)
    secs = sum(r.get("verify_seconds", r.get("seconds", 0)) for r in runs)
    corpora = ", ".join(f"`{r['corpus']}` ({len(r['verify']['notebooks'])})" for r in runs)
    skipped = sorted({s for r in runs for s in r.get("skip", [])})
    head = [
        "# Verdict accuracy", "",
        "Generated by `benchmarks/verdict_accuracy.py` (see its docstring for the command); labels in "
        "`benchmarks/verdict_labels.csv`.", "",
        f"Corpora: {corpora}; {n} notebooks, verified with `nbkit verify --format json` (default `--runs auto`, "
        f"errors do not stop the run), and with `pytest --nbval` (strict) and `pytest --nbval-lax` in the same "
        f"environment (kernel `{runs[0].get('kernel') or 'default'}`); nbkit verify took {secs / 60:.0f} minutes "
        f"on a shared 2-core machine."
        + (f" Not run: {', '.join(skipped)} (they need compilers, MPI or git set-ups outside a notebook "
           f"kernel)." if skipped else ""), "",
        "## Summary", "",
        f"- Agreement with the hand labels (verdict, and the labelled cause among the causes nbkit names): "
        f"**{agree} of {labelled}** labelled notebooks.",
        f"- Notebooks nbkit calls not reproducible: {after_fail} of {n} (before the matches with a note: "
        f"{before_fail}); nbval strict fails {nbval_fail['strict']}, nbval lax {nbval_fail['lax']}.",
        f"- Notebooks labelled reproducible that nbkit fails: {noise_only_after} (before: {noise_only_before})"
        + (f": {', '.join(false_alarms)}" if false_alarms else "") + ".",
        f"- Missed real changes (labelled not reproducible, called reproducible): {len(missed)}"
        + (f" ({', '.join(missed)})" if missed else "") + ".",
        (f"- Per cell (labels in `benchmarks/verdict_cell_labels.csv`): the cause nbkit gives agrees with the "
         f"hand label on **{cell_total['agree']} of {cell_total['flagged']}** flagged cells "
         f"({100 * cell_total['agree'] / max(1, cell_total['flagged']):.0f}%); cells labelled as not reproducing "
         f"that nbkit did not flag: {cell_total['missed']}."
         + (" Disagreements (label -> nbkit): " + ", ".join(
             f"{lab} -> {kind} {n}" for (lab, kind), n in confusion.most_common()) + "." if confusion else "")
         if cell_labels else "- Per cell: no cell labels given."),
        f"- Cells flagged (mismatch or error): {cells_after} (before: {cells_before}); cells that now match "
        f"with a note: " + (", ".join(f"{k} {n_}" for n_, k in sorted((k, v) for k, v in notes_total.items()))
                            or "none") + ".", "",
        "How \"before\" is counted: from the same run, a cell that matched only with a note (a chart "
        "re-rendered or resized, a value printed differently by a newer library, an untagged cell raising the "
        "error its stored output shows) was a mismatch or failure before these matches existed. Formulas compared through their text/latex instead of their PNG carry no note and "
        "are not counted. nbval columns: cells failed / cells collected; `-` when nbval collected nothing.", "",
        "What is measured: the notebook verdict and whether the hand-labelled main cause is among the causes "
        "nbkit names; per cell, whether each flagged cell's cause kind is the labelled one (a failure that only "
        "follows from an earlier failed cell is labelled with that cell's cause, as nbkit reports it; a flagged "
        "cell labelled `-` reproduces and counts as a disagreement). Labels are one reader's judgement from the "
        "diffs (see the CSVs' notes).", "",
        findings.strip() + "\n" if findings.strip() else "",
        "## Per notebook", ""]
    return "\n".join(head) + "\n" + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", type=Path, nargs="*")
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--cell-labels", type=Path, default=Path(__file__).with_name("verdict_cell_labels.csv"),
                    help="per-cell labels (corpus,notebook,cells,cause,note)")
    ap.add_argument("--findings", type=Path, default=Path(__file__).with_name("verdict_findings.md"),
                    help="hand-written findings (markdown) put between the summary and the table")
    ap.add_argument("--out", type=Path, default=Path("docs/verdict-accuracy.md"))
    ap.add_argument("--runs", type=Path, help="reuse saved runs instead of running anything")
    ap.add_argument("--save", type=Path, help="save the runs (verify JSON, nbval results) here")
    ap.add_argument("--kernel", help="kernel for nbkit verify (e.g. one registered from the corpus environment)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter for nbval (its ipykernel runs the cells)")
    ap.add_argument("--skip", action="append", default=[], help="notebook file name to leave out (repeatable)")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--no-nbval", action="store_true")
    ap.add_argument("--reuse-nbval", type=Path, help="take the nbval columns from saved runs (nbval does not "
                    "depend on nbkit's code) and run only nbkit verify")
    a = ap.parse_args()
    if a.runs:
        runs = json.loads(a.runs.read_text())
    else:
        nbval = not a.no_nbval and not a.reuse_nbval and has_nbval(a.python)
        runs = []
        for corpus in a.corpora:
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / corpus.name
                _copy(corpus, copy, a.skip)
                t0 = time.monotonic()
                run = {"corpus": corpus.name, "kernel": a.kernel, "skip": a.skip,
                       "verify": run_verify(copy, a.timeout, a.jobs, a.kernel)}
                run["verify_seconds"] = time.monotonic() - t0
                for mode, flag in (("strict", "--nbval"), ("lax", "--nbval-lax")):
                    if nbval:
                        fresh = Path(tmp) / f"{mode}-{corpus.name}"
                        _copy(corpus, fresh, a.skip)
                        run[mode] = run_nbval(fresh, a.python, flag, a.timeout)
                saved = {r["corpus"]: r for r in json.loads(a.reuse_nbval.read_text())} if a.reuse_nbval else {}
                old = saved.get(corpus.name, {})  # read now: another run may still be adding corpora
                for mode in ("strict", "lax"):
                    if mode in old:
                        run[mode] = old[mode]
                run["seconds"] = time.monotonic() - t0 + old.get("nbval_seconds", 0)
                run["nbval_seconds"] = run["seconds"] - run["verify_seconds"]
                runs.append(run)
                print(f"{corpus.name}: {run['seconds']:.0f} s", file=sys.stderr, flush=True)
            if a.save:
                a.save.write_text(json.dumps(runs, indent=1))
    findings = a.findings.read_text(encoding="utf-8") if a.findings and a.findings.exists() else ""
    a.out.write_text(table(runs, read_labels(a.labels), findings, read_cell_labels(a.cell_labels)), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
