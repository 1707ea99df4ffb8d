"""Verify many notebooks: preparation, parallel workers, runs, comparison, update and stamp.

All kernels of one call live on one asyncio loop in a worker thread; the calling thread
only waits, so Ctrl-C (KeyboardInterrupt) or a ``cancel`` event stops every kernel and
leaves no process behind.  The input files are only read, except by ``--update`` and
``--stamp``, which rewrite them atomically on purpose.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .._version import __version__
from ..errors import NbkitError, UsageError
from .controls import CellControl, check_parameters, control_for, parse_shard
from .execute import (
    KernelKey,
    KernelPool,
    KernelStartError,
    RunResult,
    check_kernel_name,
    kill_all_kernels,
    run_cells,
)
from .results import CellResult, NotebookResult, VerifyReport
from .settings import VerifySettings, settings_from_config


@dataclass
class VerifyOptions:
    """Options of one verify call; None means "from [tool.nbkit.verify], else the default"."""

    timeout: float | None = None
    kernel: str | None = None
    parameters: dict = field(default_factory=dict)
    runs: int | None = None
    jobs: int | None = None
    shard: tuple[int, int] | str | None = None
    strict_env: bool | None = None
    update: bool = False
    stamp: bool = False
    config: object = None  # nbkit.config.Config

    def resolved(self) -> tuple[VerifySettings, VerifyOptions]:
        s = settings_from_config(self.config)
        o = copy.copy(self)
        o.timeout = s.timeout if self.timeout is None else (float(self.timeout) or None)
        o.kernel = self.kernel or s.kernel
        o.runs = s.runs if self.runs is None else int(self.runs)
        o.jobs = s.jobs if self.jobs is None else int(self.jobs)
        o.strict_env = s.strict_env if self.strict_env is None else bool(self.strict_env)
        o.shard = parse_shard(self.shard)
        if o.runs < 1:
            raise UsageError(f"--runs must be at least 1, not {o.runs}")
        if o.jobs < 1:
            raise UsageError(f"-j/--jobs must be at least 1, not {o.jobs}")
        if o.timeout is not None and o.timeout < 0:
            raise UsageError("--timeout must be positive (0 = no timeout)")
        return s, o


# ---------------------------------------------------------------------------------------
# preparation (synchronous, no kernel)

@dataclass
class Prepared:
    index: int
    path: str
    raw: bytes | None = None
    nb: object = None                 # nbkit.model.Notebook
    controls: dict = field(default_factory=dict)  # cell index -> CellControl
    key: KernelKey | None = None
    exec_cells: list = field(default_factory=list)  # executed copy: (orig index | None for injected, cell dict)
    early: NotebookResult | None = None  # decided before running (invalid, NBR023, no kernel)
    prefetched: bool = False


def prepare(index: int, path: str, opts: VerifyOptions) -> Prepared:
    from ..model import parse_notebook

    p = Prepared(index, path)
    try:
        if os.path.isdir(path):
            raise NbkitError("is a directory, not a notebook", path)
        p.raw = Path(path).read_bytes()
        p.nb = parse_notebook(p.raw, path)
    except FileNotFoundError:
        p.early = NotebookResult(path, "invalid", "no such file or directory")
        return p
    except NbkitError as e:
        p.early = NotebookResult(path, "invalid", e.message)
        return p
    except OSError as e:
        p.early = NotebookResult(path, "invalid", f"cannot read file ({e.strerror or e})")
        return p
    nb = p.nb
    p.controls = {c.index: control_for(c) for c in nb.cells if c.is_code}
    param_index, problem = check_parameters(nb, opts.parameters)
    if problem:
        p.early = NotebookResult(path, "invalid", problem, code="NBR023")
        return p
    kernel = opts.kernel
    ks = nb.metadata.get("kernelspec") if isinstance(nb.metadata.get("kernelspec"), dict) else {}
    where = "--kernel"
    if not kernel:
        kernel = ks.get("name") if isinstance(ks.get("name"), str) and ks.get("name") else "python3"
        where = "the notebook's kernelspec" if ks.get("name") else "the default"
    problem = check_kernel_name(kernel)
    if problem:
        hint = "; pass --kernel NAME" if where != "--kernel" else ""
        p.early = NotebookResult(path, "failed", f"{problem} (kernel from {where}{hint})", machinery=True,
                                 kernel=kernel)
        return p
    seed = nb.nbkit_metadata.get("seed")
    seed_s = str(seed % 2**32) if isinstance(seed, int) and not isinstance(seed, bool) else "0"
    cwd = os.path.dirname(os.path.abspath(path))
    cells = []
    for c in nb.cells:
        cells.append((c.index, c.raw if nb.upgraded_from is None else _cell_dict(c)))
        if c.index == param_index and opts.parameters:
            cells.append((None, _injected_cell(kernel, nb, opts.parameters)))
    p.exec_cells = cells
    if any(c.is_code and not c.is_empty and not p.controls[c.index].skip for c in nb.cells):
        pinned = str(seed) if isinstance(seed, int) and not isinstance(seed, bool) else ""
        p.key = KernelKey(kernel, cwd, seed_s, pinned)
    return p


def _cell_dict(c) -> dict:
    return {"cell_type": c.cell_type, "metadata": c.metadata, "source": c.source, "outputs": c.outputs,
            "execution_count": c.execution_count}


def _injected_cell(kernel: str, nb, parameters: dict) -> dict:
    """papermill's injected-parameters cell, placed after the ``parameters`` cell."""
    from papermill.translators import translate_parameters

    lang = nb.metadata.get("language_info", {}).get("name") if isinstance(nb.metadata.get("language_info"), dict) \
        else None
    lang = lang or (nb.metadata.get("kernelspec") or {}).get("language") or "python"
    source = translate_parameters(kernel, lang, parameters, "Parameters")
    return {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": source,
            "outputs": [], "execution_count": None}


def _exec_notebook(p: Prepared):
    """A fresh in-memory nbformat copy to execute (the input is never touched)."""
    import nbformat

    cells = []
    for _orig, c in p.exec_cells:
        c = copy.deepcopy(c)
        src = c.get("source", "")
        c["source"] = "".join(src) if isinstance(src, list) else src
        c.setdefault("metadata", {})
        if c.get("cell_type") == "code":
            c["outputs"] = []
            c["execution_count"] = None
        cells.append(c)
    md = copy.deepcopy(p.nb.metadata)
    return nbformat.from_dict({"cells": cells, "metadata": md, "nbformat": 4, "nbformat_minor": 5})


# ---------------------------------------------------------------------------------------
# the async engine

class _Engine:
    def __init__(self, items: list[Prepared], opts: VerifyOptions, settings: VerifySettings, on_event,
                 cancel: threading.Event):
        self.items, self.opts, self.settings, self.cancel = items, opts, settings, cancel
        self.on_event = on_event
        self.queue: deque[Prepared] = deque(items)
        self.results: dict[int, NotebookResult] = {}
        self.pool: KernelPool | None = None

    def emit(self, event: dict) -> None:
        if self.on_event:
            try:
                self.on_event(event)
            except Exception:
                pass

    async def main(self) -> list[NotebookResult]:
        jobs = max(1, min(self.opts.jobs, len(self.items)))
        # Kernel start-up is mostly waiting (about 0.2 s of CPU in 0.5 s), so up to two kernels per
        # job are started ahead.  NBKIT_VERIFY_PREFETCH=0 starts each only when needed (benchmarks).
        self.pool = KernelPool(limit=2 * jobs if os.environ.get("NBKIT_VERIFY_PREFETCH", "1") != "0" else 0)
        for p in self.items:  # start the first kernels before anything else: they boot meanwhile
            if p.key and not p.prefetched and self.pool.prefetch(p.key):
                p.prefetched = True
        watcher = asyncio.ensure_future(self._watch())
        try:
            if any(p.key for p in self.items):
                await asyncio.to_thread(__import__, "nbclient")
            await asyncio.gather(*(self._worker() for _ in range(jobs)))
        finally:
            watcher.cancel()
            await self.pool.close()
        return [self.results[p.index] for p in self.items]

    async def _watch(self) -> None:
        while not self.cancel.is_set():
            await asyncio.sleep(0.05)
        await self.pool.close()

    async def _worker(self) -> None:
        while self.queue:
            p = self.queue.popleft()
            t0 = time.monotonic()
            try:
                res = await self._verify(p)
            except asyncio.CancelledError:
                res = NotebookResult(p.path, "failed", "cancelled", cancelled=True)
            except Exception as e:
                res = NotebookResult(p.path, "failed", f"nbkit could not verify it: {type(e).__name__}: {e}",
                                     machinery=True)
            res.duration_s = time.monotonic() - t0
            self.results[p.index] = res
            self.emit({"type": "end", "path": p.path, "status": res.status, "message": res.message,
                       "duration_s": round(res.duration_s, 3)})

    def _prefetch_next(self) -> None:
        for q in self.queue:
            if q.key and not q.prefetched:
                if not self.pool.prefetch(q.key):
                    return
                q.prefetched = True

    async def _verify(self, p: Prepared) -> NotebookResult:
        n_code = sum(1 for c in (p.nb.cells if p.nb else []) if c.is_code)
        self.emit({"type": "start", "path": p.path, "cells": n_code})
        if p.early:
            return p.early
        if self.cancel.is_set():
            return NotebookResult(p.path, "failed", "cancelled", cancelled=True)
        drift = self._drift(p)
        runs: list[RunResult] = []
        executed = None
        positions = [i for i, (orig, c) in enumerate(p.exec_cells)
                     if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()
                     and (orig is None or not p.controls[orig].skip)]
        allow = frozenset(i for i, (orig, _c) in enumerate(p.exec_cells)
                          if orig is not None and orig in p.controls and p.controls[orig].raises)
        for r in range(self.opts.runs):
            if not p.key:
                runs.append(RunResult())
                continue
            try:
                kernel = await self.pool.acquire(p.key)
            except KernelStartError as e:
                return NotebookResult(p.path, "failed", e.message, machinery=True, kernel=p.key.name, drift=drift)
            if r + 1 < self.opts.runs:
                self.pool.prefetch(p.key)
            else:
                self._prefetch_next()
            nbnode = _exec_notebook(p)

            def on_cell(pos, state, _run=r):
                orig = p.exec_cells[pos][0]
                if orig is not None:
                    self.emit({"type": "cell", "path": p.path, "index": orig, "status": state, "run": _run + 1})

            try:
                run = await run_cells(kernel, nbnode, positions, self.opts.timeout, allow, on_cell,
                                      self.cancel.is_set)
            finally:
                await self.pool.release(kernel)
            runs.append(run)
            if r == 0:
                executed = nbnode
            if run.status != "ok":
                break
        if self.cancel.is_set():
            return NotebookResult(p.path, "failed", "cancelled", cancelled=True, kernel=p.key.name if p.key else None)
        res = await asyncio.to_thread(assess, p, runs, self.settings, self.opts, drift)
        if self.opts.update or self.opts.stamp:
            await asyncio.to_thread(write_back, p, res, runs[0] if runs else None, executed, self.opts)
        return res

    def _drift(self, p: Prepared) -> list[dict]:
        env = p.nb.nbkit_metadata.get("environment")
        if not isinstance(env, dict):
            return []
        from ..pin.drift import environment_drift

        try:
            return [d.to_dict() for d in environment_drift(env)]
        except Exception:
            return []


# ---------------------------------------------------------------------------------------
# assessment: runs -> NotebookResult

def _cell_result_for_failure(cell, run, timeout) -> CellResult:
    from .normalize import normalize_outputs
    from .settings import VerifySettings

    if run.status == "timeout":
        msg = f"ran past the {timeout:g} s timeout and was stopped"
    elif run.status == "dead":
        msg = "the kernel died while running this cell"
    elif run.status == "cancelled":
        msg = "cancelled"
    else:
        errs = [o for o in run.outputs if o.get("output_type") == "error"]
        e = errs[0] if errs else {}
        msg = f"raised {e.get('ename', 'an error')}" + (f": {e.get('evalue')}" if e.get("evalue") else "")
    shown = VerifySettings()
    shown.normalizers["error-traceback"] = False  # show where it failed
    actual = "".join(i.render() for i in normalize_outputs(run.outputs, shown))
    lines = actual.splitlines()
    if len(lines) > 40:
        actual = "\n".join(["...", *lines[-40:]]) + "\n"
    return CellResult(cell.index, cell.id, "error", message=msg, actual=actual[-20_000:] or None)


def assess(p: Prepared, runs: list[RunResult], settings: VerifySettings, opts: VerifyOptions,
           drift: list[dict]) -> NotebookResult:
    from .compare import compare_items
    from .normalize import normalize_outputs

    nb = p.nb
    pos_of = {orig: i for i, (orig, _c) in enumerate(p.exec_cells) if orig is not None}
    first = runs[0] if runs else RunResult()
    cells: list[CellResult] = []
    mism, nondet = [], []
    failure: tuple | None = None
    for c in nb.cells:
        if not c.is_code:
            continue
        ctl: CellControl = p.controls[c.index]
        pos = pos_of[c.index]
        if ctl.skip:
            cells.append(CellResult(c.index, c.id, "skipped", message=f"not run ({ctl.why})"))
            continue
        if c.is_empty:
            continue
        bad_run = next((r for r in runs if r.cells.get(pos) and r.cells[pos].status != "ok"), None)
        if bad_run is not None:
            cr = _cell_result_for_failure(c, bad_run.cells[pos], opts.timeout or 0)
            cells.append(cr)
            failure = failure or (c, bad_run.cells[pos].status, cr.message, bad_run)
            continue
        run1 = first.cells.get(pos)
        if run1 is None:
            cells.append(CellResult(c.index, c.id, "not-run", message="not run: an earlier cell stopped the run"))
            continue
        actual = normalize_outputs(run1.outputs, settings)
        if ctl.ignore_output:
            cells.append(CellResult(c.index, c.id, "ignored", message=f"output not compared ({ctl.why})"))
            continue
        # nondeterminism between fresh runs
        nd = None
        for k, other in enumerate(runs[1:], start=2):
            o = other.cells.get(pos)
            if o is None:
                continue
            cmp = compare_items(actual, normalize_outputs(o.outputs, settings), settings, ("run 1", f"run {k}"))
            if not cmp.equal:
                nd = cmp
                break
        if nd is not None:
            cells.append(CellResult(c.index, c.id, "mismatch", nd.mime, nd.expected, nd.actual, nd.diff,
                                    f"differs between fresh runs: {nd.message}", nd.images or None,
                                    nondeterministic=True))
            nondet.append(c)
            continue
        if c.execution_count is None and not c.outputs:
            cells.append(CellResult(c.index, c.id, "ignored", message="no stored output to compare (never executed)"))
            continue
        cmp = compare_items(normalize_outputs(c.outputs, settings), actual, settings)
        if cmp.equal:
            cells.append(CellResult(c.index, c.id, "match"))
        else:
            cells.append(CellResult(c.index, c.id, "mismatch", cmp.mime, cmp.expected, cmp.actual, cmp.diff,
                                    cmp.message, cmp.images or None))
            mism.append(cells[-1])
    res = NotebookResult(p.path, "reproducible", drift=drift, cells=cells, kernel=p.key.name if p.key else None,
                         runs=len(runs))
    if failure:
        c, status, msg, run = failure
        if status == "timeout":
            res.status, res.message = "timeout", f"{c.label} {msg}"
        elif status == "dead":
            res.status, res.code = "failed", "NBR020"
            res.message = f"the kernel died while running {c.label}" + (f" ({run.message})" if run.message else "")
        else:
            res.status, res.code, res.message = "failed", "NBR020", f"{c.label} {msg}"
    elif nondet:
        res.status, res.code = "nondeterministic", "NBR022"
        res.message = (f"{len(nondet)} cell{'s differ' if len(nondet) != 1 else ' differs'} between {len(runs)} fresh runs: "
                       + ", ".join(c.label for c in nondet[:5]) + (" ..." if len(nondet) > 5 else ""))
    elif mism:
        res.status, res.code = "mismatch", "NBR021"
        res.message = (f"{len(mism)} cell{'s differ' if len(mism) != 1 else ' differs'} from the stored outputs: "
                       + "; ".join(f"cell {m.index} ({m.message})" for m in mism[:3]) + (" ..." if len(mism) > 3 else ""))
    else:
        compared = sum(1 for x in cells if x.status == "match")
        other = sum(1 for x in cells if x.status in ("ignored", "skipped"))
        res.message = f"{compared} cell{'s reproduce' if compared != 1 else ' reproduces'}"
        if other:
            res.message += f" ({other} not compared)"
        if len(runs) > 1:
            res.message += f"; {len(runs)} fresh runs agree"
    slow = _slow_note(p, runs, opts)
    if slow:
        res.message += f"; {slow}"
    if drift:
        what = ", ".join(f"{d['package']} {d['pinned']} -> {d['installed'] or 'missing'}" for d in drift[:4])
        if len(drift) > 4:
            what += ", ..."
        if opts.strict_env and res.status == "reproducible":
            res.status, res.code = "failed", "NBR025"
            res.message = f"environment drift (--strict-env): {what}"
        else:
            res.message += f"; environment drift (NBR025): {what}"
    return res


def _slow_note(p: Prepared, runs: list[RunResult], opts: VerifyOptions) -> str:
    """NBR024 slow-notebook: cells over the cell budget, or the run over the notebook budget."""
    from .. import rules as registry
    from ..config import Config

    if not runs or not p.key:
        return ""
    try:
        budget = (opts.config or Config()).options_for(registry.get("NBR024"))
        cell_budget, nb_budget = float(budget["cell-budget"]), float(budget["notebook-budget"])
    except Exception:  # noqa: BLE001 - a bad option is reported by lint; no note here
        return ""
    label = {pos: f"cell {orig}" for pos, (orig, _c) in enumerate(p.exec_cells) if orig is not None}
    first = runs[0]
    slow = [(label[pos], r.duration_s) for pos, r in first.cells.items() if pos in label and r.duration_s > cell_budget
            and r.status == "ok"]
    total = sum(r.duration_s for r in first.cells.values())
    parts = [f"{name} took {secs:.0f} s" for name, secs in sorted(slow, key=lambda x: -x[1])[:3]]
    if total > nb_budget:
        parts.insert(0, f"the run took {total:.0f} s")
    if not parts:
        return ""
    return f"slow (NBR024, budget {cell_budget:g} s per cell, {nb_budget:g} s in all): " + ", ".join(parts)


# ---------------------------------------------------------------------------------------
# --update and --stamp: deliberate, atomic rewrites

def _split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _stored_output(o: dict) -> dict:
    o = copy.deepcopy(o)
    if o.get("output_type") == "stream" and isinstance(o.get("text"), str):
        o["text"] = _split_lines(o["text"])
    if isinstance(o.get("data"), dict):
        for mime, v in o["data"].items():
            if isinstance(v, str) and (mime.startswith("text/") or mime in ("image/svg+xml", "application/javascript")):
                o["data"][mime] = _split_lines(v)
    return o


def write_back(p: Prepared, res: NotebookResult, run: RunResult | None, executed, opts: VerifyOptions) -> None:
    from ..nbio import write_notebook

    try:
        current = Path(p.path).read_bytes()
    except OSError:
        return
    if current != p.raw:
        res.message += "; not written: the file changed while it was verified"
        return
    data = json.loads(current.decode("utf-8-sig"))
    changed = False
    if opts.update:
        if res.status in ("failed", "timeout", "invalid") or run is None:
            res.message += "; stored outputs not updated (the run did not complete)"
        elif data.get("nbformat") != 4:
            res.message += "; stored outputs not updated (nbformat 3 file)"
        else:
            # only the cells that differ (or had nothing stored): matching cells keep their bytes
            todo = {c.index for c in res.cells
                    if c.status == "mismatch" or (c.status == "ignored" and (c.message or "").startswith("no stored"))}
            # ... but execution counts follow the fresh run everywhere, so they stay in order
            pos_of = {orig: i for i, (orig, _c) in enumerate(p.exec_cells) if orig is not None}
            for c in p.nb.cells if todo else ():
                pos = pos_of.get(c.index)
                cr = run.cells.get(pos) if pos is not None else None
                if cr is None or not c.is_code:
                    continue
                cell = data["cells"][c.index]
                cell["execution_count"] = cr.execution_count
                if c.index in todo:
                    cell["outputs"] = [_stored_output(o) for o in cr.outputs]
                else:
                    for o in cell.get("outputs") or []:
                        if isinstance(o, dict) and o.get("output_type") == "execute_result":
                            o["execution_count"] = cr.execution_count
                changed = res.updated = True
    if opts.stamp and res.status != "invalid":
        md = data.setdefault("metadata", {})
        nbk = md.get("nbkit") if isinstance(md.get("nbkit"), dict) else {}
        nbk["verified"] = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "status": res.status,
                           "nbkit": __version__}
        md["nbkit"] = nbk
        changed = res.stamped = True
    if changed:
        try:
            write_notebook(p.path, data, original=current)
        except NbkitError as e:
            res.updated = res.stamped = False
            res.message += f"; not written: {e.message}"


# ---------------------------------------------------------------------------------------
# the public entry points

def _drive(items: list[Prepared], opts: VerifyOptions, settings: VerifySettings, on_event,
           cancel: threading.Event | None) -> list[NotebookResult]:
    """Run the engine on its own loop in a thread; the caller's thread handles Ctrl-C."""
    cancel = cancel or threading.Event()
    engine = _Engine(items, opts, settings, on_event, cancel)
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(engine.main())
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=target, name="nbkit-verify", daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.1)
    except KeyboardInterrupt:
        cancel.set()
        t.join(15)
        kill_all_kernels()
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def verify_notebook(path, opts: VerifyOptions | None = None, on_event=None, cancel=None) -> NotebookResult:
    """Verify one notebook; ``cancel`` (a threading.Event) stops it and kills its kernel."""
    opts = opts or VerifyOptions()
    settings, o = opts.resolved()
    items = [prepare(0, os.fspath(path), o)]
    return _drive(items, o, settings, on_event, cancel)[0]


def select_shard(paths: list[str], shard: tuple[int, int] | None) -> list[str]:
    """A deterministic slice: the notebooks sorted by path, dealt round-robin to N shards."""
    if not shard:
        return paths
    i, n = shard
    ordered = sorted(paths, key=lambda s: s.replace(os.sep, "/"))
    return [p for k, p in enumerate(ordered) if k % n == i - 1]


def verify_paths(paths, opts: VerifyOptions | None = None, on_event=None, cancel=None) -> VerifyReport:
    """Verify every notebook found in ``paths`` (files or folders)."""
    from ..nbio import discover

    opts = opts or VerifyOptions()
    settings, o = opts.resolved()
    exclude = list(getattr(o.config, "exclude", None) or [])
    found, errors = discover([os.fspath(p) for p in paths], exclude)
    found = select_shard(found, o.shard)
    items = [prepare(k, path, o) for k, path in enumerate(found)]
    results = _drive(items, o, settings, on_event, cancel) if items else []
    invalid = [NotebookResult(e.path or "", "invalid", e.message) for e in errors]
    return VerifyReport(invalid + results)
