"""Engine: run the planned notebooks in fresh kernels, then judge and write each back.

All kernels of one call live on one asyncio loop in a worker thread (:func:`drive`); the
calling thread only waits, so Ctrl-C (KeyboardInterrupt) or a ``cancel`` event stops every
kernel and leaves no process behind.  Up to ``jobs`` notebooks run at once; kernels are
started ahead (prefetched) so start-up overlaps useful work.  Per notebook the engine hands
an :class:`~nbkit.verify.verdict.Execution` to :func:`~nbkit.verify.verdict.assess`, and the
result to :func:`~nbkit.verify.writeback.write_back` when ``--update``/``--stamp`` ask for it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from .diagnosis import kernel_causes
from .events import CellState, VerifyEvents
from .execute import KernelPool, KernelStartError, RunResult, kill_all_kernels, run_cells
from .results import NotebookResult
from .verdict import Execution, assess, needs_confirming_run
from .writeback import write_back

if TYPE_CHECKING:
    from ..pin.drift import Drift
    from .cache import VerifyCache
    from .plan import WorkItem
    from .request import VerifyRequest


def _cancelled(item: WorkItem) -> NotebookResult:
    return NotebookResult(item.path, "failed", "cancelled", cancelled=True, kernel=item.kernel_name)


def drift_of(item: WorkItem) -> list[Drift]:
    """NBR025: the pinned packages whose installed version differs (none when nothing is pinned)."""
    from ..pin.drift import environment_drift

    env = item.notebook.nbkit_metadata.get("environment")
    if not isinstance(env, dict):
        return []
    if item.pinned_env is not None:  # --env pinned: what the kernel really has
        return environment_drift(env, item.pinned_env.installed)
    return environment_drift(env)


class Engine:
    def __init__(self, items: list[WorkItem], request: VerifyRequest, events: VerifyEvents,
                 cancel: threading.Event):
        self.items, self.request, self.events, self.cancel = items, request, events, cancel
        self.queue: deque[WorkItem] = deque(items)
        self.results: dict[int, NotebookResult] = {}
        self.pool: KernelPool  # started by main(), on the engine's loop
        self.cache: VerifyCache | None = None
        self.hits: dict[int, NotebookResult] = {}   # --cache: verdicts read, not run
        self.cache_keys: dict[int, str] = {}        # --cache: where a fresh reproducible verdict goes

    async def _look_up_cache(self) -> None:
        """--cache: read the stored verdicts before any kernel starts (a hit starts none)."""
        from .cache import VerifyCache

        cache = self.cache = VerifyCache.open(self.request)
        todo = [p for p in self.items if not p.early]
        cache.expect_folders(todo)
        found = await asyncio.gather(*(asyncio.to_thread(cache.lookup, p) for p in todo))
        for p, (hit, key) in zip(todo, found):
            if hit is not None:
                self.hits[p.index] = hit
            elif key is not None:
                self.cache_keys[p.index] = key

    async def main(self) -> list[NotebookResult]:
        if self.request.cache:
            await self._look_up_cache()
        jobs = max(1, min(self.request.jobs, len(self.items)))
        # Kernel start-up is mostly waiting (about 0.2 s of CPU in 0.5 s), so up to two kernels per
        # job are started ahead.  NBKIT_VERIFY_PREFETCH=0 starts each only when needed (benchmarks).
        self.pool = KernelPool(limit=2 * jobs if os.environ.get("NBKIT_VERIFY_PREFETCH", "1") != "0" else 0,
                               attempts=self.request.settings.kernel_start_attempts)
        for p in self.items:  # start the first kernels before anything else: they boot meanwhile
            if p.key and not p.prefetched and p.index not in self.hits and self.pool.prefetch(p.key):
                p.prefetched = True
        watcher = asyncio.ensure_future(self._watch())
        try:
            if any(p.index not in self.hits for p in self.items):
                # the rule registry, loaded once before any verdict thread reads it (not for a run
                # whose every notebook is a cache hit), and the executor, while the kernels boot
                await asyncio.to_thread(_load_for_runs, any(p.key and p.index not in self.hits for p in self.items))
            await asyncio.gather(*(self._worker() for _ in range(jobs)))
        finally:
            watcher.cancel()
            await self.pool.close()
        results = [self.results[p.index] for p in self.items]
        started = [self.results[p.index] for p in self.items if p.key and not p.early
                   and p.index not in self.hits and not self.results[p.index].cancelled]
        if started and all(r.kernel_failed for r in started):
            for r in started:  # no kernel could start at all: nbkit's machinery failed (exit 3)
                r.machinery = True
        return results

    async def _watch(self) -> None:
        while not self.cancel.is_set():
            await asyncio.sleep(0.05)
        await self.pool.close()

    async def _worker(self) -> None:
        while self.queue:
            item = self.queue.popleft()
            t0 = time.monotonic()
            try:
                res = await self._verify(item)
            except asyncio.CancelledError:
                res = NotebookResult(item.path, "failed", "cancelled", cancelled=True)
            except Exception as e:  # noqa: BLE001 - one notebook's crash is its result, not the batch's
                res = NotebookResult(item.path, "failed", f"nbkit could not verify it: {type(e).__name__}: {e}",
                                     machinery=True)
            res.duration_s = time.monotonic() - t0
            key = self.cache_keys.get(item.index)
            if self.cache is not None and key and res.status == "reproducible" and not self.cancel.is_set():
                await asyncio.to_thread(self.cache.store, key, res)
            self.results[item.index] = res
            self.events.on_notebook_end(res)

    def _prefetch_next(self) -> None:
        for q in self.queue:
            if q.key and not q.prefetched and q.index not in self.hits:
                if not self.pool.prefetch(q.key):
                    return
                q.prefetched = True

    async def _verify(self, item: WorkItem) -> NotebookResult:
        self.events.on_notebook_start(item.path, item.code_cells)
        if item.early:
            return item.early
        if item.index in self.hits:
            return self.hits[item.index]
        if self.cancel.is_set():
            return NotebookResult(item.path, "failed", "cancelled", cancelled=True)
        ex = Execution(item, drift=drift_of(item))
        attempts = 1
        planned, r = self.request.planned_runs, 0
        while r < planned:
            positions = item.run_positions
            stopped = ex.runs[0].stopped_at if ex.runs else None
            if stopped is not None:  # run 1 stopped at a cell: later runs go up to that cell
                positions = [p for p in positions if p < stopped]
                if not positions:
                    break
            if not item.key:
                ex.runs.append(RunResult())
                r += 1
                continue
            try:
                kernel = await self.pool.acquire(item.key)
            except KernelStartError as e:
                # this notebook's failure, not the run's: exit 3 only when no kernel could start at all
                return NotebookResult(item.path, "failed", e.message, kernel=item.key.name, drift=ex.drift,
                                      kernel_failed=True, kernel_attempts=e.attempts,
                                      causes=kernel_causes(item.key.name, e.message, e.timed_out))
            attempts = max(attempts, kernel.attempts)
            if r + 1 < planned:
                self.pool.prefetch(item.key)
            else:
                self._prefetch_next()
            nbnode = item.executable_copy()

            def on_cell(pos: int, state: CellState, _run: int = r + 1) -> None:
                index = item.cell_index_at(pos)
                if index is not None:
                    self.events.on_cell(item.path, index, state, _run)

            try:
                settings = self.request.settings
                run = await run_cells(kernel, nbnode, positions, self.request.timeout, item.may_raise,
                                      on_cell, self.cancel.is_set, stop_on_error=self.request.stop_on_error,
                                      reproduces_error=lambda pos, outs: item.reproduces_stored_error(pos, outs,
                                                                                                      settings))
            finally:
                await self.pool.release(kernel)
            run.language_info = kernel.language_info
            ex.runs.append(run)
            r += 1
            if run.status == "cancelled" or self.cancel.is_set():
                break
            if r == 1 and planned == 1 and self.request.auto_runs and needs_confirming_run(ex, self.request):
                planned = 2  # --runs auto: a mismatch gets a confirming run (randomness vs a stable change)
        if self.cancel.is_set():
            return _cancelled(item)
        res = await asyncio.to_thread(assess, ex, self.request)
        res.kernel_attempts = attempts
        if item.pinned_env is not None:
            res.environment = item.pinned_env.report()
            if item.pinned_env.note:
                res.message += f" ({item.pinned_env.note})"
        if self.request.update or self.request.stamp:
            await asyncio.to_thread(write_back, ex, res, self.request)
        return res


def _load_for_runs(kernels: bool) -> None:
    from .. import rules

    rules.all_rules()  # the verdicts of parallel notebooks read the registry from threads
    if kernels:
        __import__("nbclient")


def drive(items: list[WorkItem], request: VerifyRequest, events: VerifyEvents,
          cancel: threading.Event | None) -> list[NotebookResult]:
    """Run the engine on its own loop in a thread; the caller's thread handles Ctrl-C."""
    cancel = cancel or threading.Event()
    engine = Engine(items, request, events, cancel)
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(engine.main())
        except BaseException as e:  # noqa: BLE001 - handed to the calling thread, re-raised there
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
