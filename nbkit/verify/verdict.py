"""Verdict: the runs of one notebook -> its :class:`NotebookResult`.

Each code cell is judged (skipped, ignored, failed, not run, nondeterministic between fresh
runs, matching or not its stored outputs), then the notebook: the first failure (NBR020,
or a timeout) wins over nondeterminism (NBR022), which wins over mismatches (NBR021).  The
NBR024 slow-notebook note and NBR025 environment drift are added to the message.  Rule
codes, severities and options come from the rule catalogue (``nbkit.rules``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from ..findings import Severity
from ..report.common import cell_label
from .compare import compare_items
from .diagnosis import Cause, diagnose, group_causes
from .evidence import NotebookEvidence, cell_evidence, error_output, gather
from .execute import CellRun, RunResult
from .normalize import normalize_outputs
from .results import CellResult, NotebookResult
from .settings import VerifySettings

if TYPE_CHECKING:
    from ..pin.drift import Drift
    from ..rules import Rule
    from .plan import WorkItem
    from .request import VerifyRequest


@lru_cache(maxsize=None)
def catalogue(name: str) -> Rule:
    """The verify-reported rule called ``name`` in the rule catalogue."""
    from .. import rules as registry

    return registry.get(name)


def rule_code(name: str) -> str:
    return catalogue(name).code


@dataclass
class Execution:
    """What the engine hands to the verdict: the fresh runs of one notebook."""

    item: WorkItem
    runs: list[RunResult] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)


def failure_result(cell, run: CellRun, timeout: float, settings: VerifySettings) -> CellResult:
    """The result of a cell whose run failed: why, and the end of what it printed (with the
    traceback, normalised with the user's settings)."""
    if run.status == "timeout":
        msg = f"ran past the {timeout:g} s timeout and was stopped"
    elif run.status == "dead":
        msg = "the kernel died while running this cell"
    elif run.status == "cancelled":
        msg = "cancelled"
    elif run.status == "unsendable":
        msg = f"cannot be sent to the kernel: {run.reason}"
    else:
        errs = [o for o in run.outputs if o.get("output_type") == "error"]
        e = errs[0] if errs else {}
        msg = f"raised {e.get('ename', 'an error')}" + (f": {e.get('evalue')}" if e.get("evalue") else "")
    # show where it failed, with IPython's own cell names (Cell In[2]) as the user's notebook shows them
    shown = replace(settings, normalizers={**settings.normalizers, "error-traceback": False, "cell-names": False})
    actual = "".join(i.render() for i in normalize_outputs(run.outputs, shown))
    lines = actual.splitlines()
    if len(lines) > 40:
        actual = "\n".join(["...", *lines[-40:]]) + "\n"
    return CellResult(cell.index, cell.id, "error", message=msg, actual=actual[-20_000:] or None)


#: the note of a cell, not tagged ``raises-exception``, that raises the error its stored output shows
STORED_ERROR_NOTE = "raises the error its stored output shows (tag it raises-exception to make that explicit)"


def _cells_differ(n: int, what: str) -> str:
    return f"{n} cell{'s differ' if n != 1 else ' differs'} {what}"


@dataclass
class _Judged:
    """The cells of one notebook, judged, and the ones that decide its status."""

    cells: list[CellResult] = field(default_factory=list)
    failure: tuple | None = None  # (cell, run status, message, run) of the first failed cell
    nondeterministic: list = field(default_factory=list)  # model cells whose fresh runs disagree
    mismatches: list[CellResult] = field(default_factory=list)
    to_diagnose: list = field(default_factory=list)  # (cell result, error output, do fresh runs agree?, stderr)


def _judge_cells(ex: Execution, request: VerifyRequest) -> _Judged:
    judged = _Judged()
    for c in ex.item.notebook.cells:
        if c.is_code:
            _judge_cell(ex.item, c, ex.runs, request, judged)
    return judged


def _judge_cell(item: WorkItem, c, runs: list[RunResult], request: VerifyRequest, judged: _Judged) -> None:
    """Judge code cell ``c`` from the fresh ``runs``: its result, and what it decides, go to ``judged``."""
    settings = request.settings
    first = runs[0] if runs else RunResult()
    ctl = item.controls[c.index]
    pos = item.position_of[c.index]
    if ctl.skip:
        judged.cells.append(CellResult(c.index, c.id, "skipped", message=f"not run ({ctl.why})"))
        return
    if c.is_empty:
        return
    bad_run = next((r for r in runs if r.cells.get(pos) and r.cells[pos].status != "ok"), None)
    if bad_run is not None:
        cr = failure_result(c, bad_run.cells[pos], request.timeout or 0, settings)
        judged.cells.append(cr)
        judged.failure = judged.failure or (c, bad_run.cells[pos].status, cr.message, bad_run)
        outs = bad_run.cells[pos].outputs
        judged.to_diagnose.append((cr, error_output(outs), None, _stderr(outs)))
        return
    run1 = first.cells.get(pos)
    if run1 is None:
        judged.cells.append(CellResult(c.index, c.id, "not-run",
                                       message="not run: an earlier cell stopped the run"))
        return
    actual = normalize_outputs(run1.outputs, settings)
    if ctl.ignore_output:
        judged.cells.append(CellResult(c.index, c.id, "ignored", message=f"output not compared ({ctl.why})"))
        return
    nd = _between_runs(actual, runs, pos, settings)
    if nd is not None:
        judged.cells.append(CellResult(c.index, c.id, "mismatch", nd.mime, nd.expected, nd.actual, nd.diff,
                                       f"differs between fresh runs: {nd.message}", nd.images or None,
                                       nondeterministic=True))
        judged.nondeterministic.append(c)
        judged.to_diagnose.append((judged.cells[-1], None, False, ""))
        return
    if c.execution_count is None and not c.outputs:
        judged.cells.append(CellResult(c.index, c.id, "ignored",
                                       message="no stored output to compare (never executed)"))
        return
    cmp = compare_items(normalize_outputs(c.outputs, settings), actual, settings)
    if cmp.equal:
        note = cmp.note
        if run1.stored_error:
            note = "; ".join(n for n in (STORED_ERROR_NOTE, note) if n)
        judged.cells.append(CellResult(c.index, c.id, "match", note=note))
    else:
        judged.cells.append(CellResult(c.index, c.id, "mismatch", cmp.mime, cmp.expected, cmp.actual, cmp.diff,
                                       cmp.message, cmp.images or None))
        judged.mismatches.append(judged.cells[-1])
        agree = True if any(later.cells.get(pos) for later in runs[1:]) else None
        judged.to_diagnose.append((judged.cells[-1], None, agree, ""))


def _stderr(outputs: list) -> str:
    """What a cell printed on stderr (a warning before its failure may name what is missing)."""
    return "".join(o["text"] if isinstance(o.get("text"), str) else "".join(map(str, o.get("text") or []))
                   for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")


_NAME_ERROR = re.compile(r"name '([^']+)' is not defined")


def _consequence_of(error: dict, failed: list[int], nbev: NotebookEvidence) -> int | None:
    """The earlier failed cell a failure only follows from: a NameError for a name that cell binds
    (it failed before binding it)."""
    if error.get("ename") not in ("NameError", "UnboundLocalError"):
        return None
    m = _NAME_ERROR.search(str(error.get("evalue") or ""))
    if not m:
        return None
    return next((i for i in reversed(failed) if m.group(1) in nbev.binds.get(i, ())), None)


def needs_confirming_run(ex: Execution, request: VerifyRequest) -> bool:
    """``--runs auto``: does run 1 leave a cell that mismatches its stored output?"""
    return bool(_judge_cells(ex, request).mismatches)


def cell_needs_confirming_run(item: WorkItem, position: int, run: CellRun, request: VerifyRequest) -> bool:
    """``--runs auto``, while run 1 still runs: does its cell at ``position``, just ended, mismatch
    its stored output?  The judgement :func:`needs_confirming_run` makes of the whole run, one cell
    at a time (the same code: a cell's judgement depends on its own runs only)."""
    index = item.cell_index_at(position)
    if index is None:  # the injected parameters cell is not the notebook's: never compared
        return False
    judged = _Judged()
    _judge_cell(item, item.notebook.cells[index], [RunResult(cells={position: run})], request, judged)
    return bool(judged.mismatches)


def _diagnose(ex: Execution, judged: _Judged) -> list[dict]:
    """Each cell that did not reproduce gets its cause; the notebook's causes, grouped."""
    if not judged.to_diagnose:
        return []
    info = next((r.language_info for r in ex.runs if r.language_info), {})
    version = info.get("version") if info.get("name", "python") == "python" else None
    nbev = gather(ex.item.notebook, version if isinstance(version, str) else None)
    causes: dict[int, Cause] = {}
    failed: list[int] = []  # cells that failed before, in order
    for cr, error, agree, stderr in judged.to_diagnose:
        if cr.status == "error":
            cr.consequence_of = _consequence_of(error or {}, failed, nbev)
            failed.append(cr.index)
        status = "nondeterministic" if cr.nondeterministic else cr.status
        stored = ex.item.notebook.cells[cr.index]
        ev = cell_evidence(cr.index, status, nbev, ex.drift, expected=cr.expected or "", actual=cr.actual or "",
                           error=error, runs_agree=agree, consequence_of=cr.consequence_of,
                           never_executed=stored.execution_count is None and not stored.outputs, stderr=stderr)
        cause = diagnose(ev, causes.get(cr.consequence_of) if cr.consequence_of is not None else None)
        cr.cause = cause.to_dict()
        causes[cr.index] = cause
    return group_causes(causes)


def _between_runs(actual, runs: list[RunResult], pos: int, settings: VerifySettings):
    """The first comparison of run 1 with a later fresh run that differs (None: they agree)."""
    for k, later in enumerate(runs[1:], start=2):
        o = later.cells.get(pos)
        if o is None:
            continue
        cmp = compare_items(actual, normalize_outputs(o.outputs, settings), settings, ("run 1", f"run {k}"))
        if not cmp.equal:
            return cmp
    return None


def assess(ex: Execution, request: VerifyRequest) -> NotebookResult:
    """The verdict of one notebook: its judged cells, status, rule code and message."""
    item, runs = ex.item, ex.runs
    judged = _judge_cells(ex, request)
    res = NotebookResult(item.path, "reproducible", drift=ex.drift, cells=judged.cells, kernel=item.kernel_name,
                         runs=len(runs), causes=_diagnose(ex, judged))
    if judged.failure:
        c, status, msg, run = judged.failure
        label = cell_label(c.index, c.id)
        if status == "timeout":
            res.status, res.message = "timeout", f"{label} {msg}"
        elif status == "dead":
            res.status, res.code = "failed", rule_code("fails-in-fresh-kernel")
            res.message = f"the kernel died while running {label}" + (f" ({run.message})" if run.message else "")
        else:
            res.status, res.code, res.message = "failed", rule_code("fails-in-fresh-kernel"), f"{label} {msg}"
        more = sum(1 for x in judged.cells if x.status == "error") - 1
        if more > 0:
            res.message += f" ({more} more cell{'s' if more != 1 else ''} failed)"
    elif judged.nondeterministic:
        nondet = judged.nondeterministic
        res.status, res.code = "nondeterministic", rule_code("nondeterministic-output")
        res.message = (_cells_differ(len(nondet), f"between {len(runs)} fresh runs") + ": "
                       + ", ".join(cell_label(c.index, c.id) for c in nondet[:5]) + (" ..." if len(nondet) > 5 else ""))
    elif judged.mismatches:
        mism = judged.mismatches
        res.status, res.code = "mismatch", rule_code("output-mismatch")
        res.message = (_cells_differ(len(mism), "from the stored outputs") + ": "
                       + "; ".join(f"{cell_label(m.index)} ({m.message})" for m in mism[:3])
                       + (" ..." if len(mism) > 3 else ""))
    else:
        compared = sum(1 for x in judged.cells if x.status == "match")
        other = sum(1 for x in judged.cells if x.status in ("ignored", "skipped"))
        res.message = f"{compared} cell{'s reproduce' if compared != 1 else ' reproduces'}"
        if other:
            res.message += f" ({other} not compared)"
        if len(runs) > 1:
            res.message += f"; {len(runs)} fresh runs agree"
    slow = slow_note(item, runs, request)
    if slow:
        res.message += f"; {slow}"
    if ex.drift:
        _judge_drift(res, ex.drift, request)
    return res


def _judge_drift(res: NotebookResult, drift: list[Drift], request: VerifyRequest) -> None:
    """NBR025: a note, or (--strict-env, or the catalogue makes it an error) a failure."""
    rule = catalogue("environment-drift")
    what = ", ".join(f"{d.package} {d.pinned} -> {d.installed or 'missing'}" for d in drift[:4])
    if len(drift) > 4:
        what += ", ..."
    fails = request.strict_env or rule.severity is Severity.ERROR
    if fails and res.status == "reproducible":
        res.status, res.code = "failed", rule.code
        res.message = f"environment drift (--strict-env): {what}"
    else:
        res.message += f"; environment drift ({rule.code}): {what}"


def slow_note(item: WorkItem, runs: list[RunResult], request: VerifyRequest) -> str:
    """NBR024 slow-notebook: cells over the cell budget, or the run over the notebook budget."""
    from ..config import Config

    if not runs or not item.key:
        return ""
    rule = catalogue("slow-notebook")
    try:
        budget = (request.config or Config()).options_for(rule)
        cell_budget, nb_budget = float(budget["cell-budget"]), float(budget["notebook-budget"])
    except (KeyError, TypeError, ValueError):  # a bad option is reported by lint; no note here
        return ""
    first = runs[0]
    slow = [(cell_label(item.cell_index_at(pos)), r.duration_s) for pos, r in first.cells.items()
            if item.cell_index_at(pos) is not None and r.duration_s > cell_budget and r.status == "ok"]
    total = sum(r.duration_s for r in first.cells.values())
    parts = [f"{name} took {secs:.0f} s" for name, secs in sorted(slow, key=lambda x: -x[1])[:3]]
    if total > nb_budget:
        parts.insert(0, f"the run took {total:.0f} s")
    if not parts:
        return ""
    return (f"slow ({rule.code}, budget {cell_budget:g} s per cell, {nb_budget:g} s in all): "
            + ", ".join(parts))
