"""Engine: run the planned notebooks in fresh kernels, then judge and write each back.

All kernels of one call live on one asyncio loop in a worker thread (:func:`drive`); the
calling thread only waits, so Ctrl-C (KeyboardInterrupt) or a ``cancel`` event stops every
kernel and leaves no process behind.  Up to ``jobs`` notebooks run at once; kernels are
started ahead (prefetched) so start-up overlaps useful work.  With ``--runs auto`` and ``-j 2``
or more, a confirming run can start on a free worker while run 1 still runs
(:mod:`~nbkit.verify.confirm`); at most ``jobs`` kernels run cells at once.  Per notebook the engine hands
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

from .confirm import ConfirmingRun, FirstRunWatch, may_share_files
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
        # --runs auto with -j 2+: confirming runs may start beside run 1 (NBKIT_VERIFY_OVERLAP=0: after it)
        self.overlap = (request.auto_runs and request.jobs > 1
                        and os.environ.get("NBKIT_VERIFY_OVERLAP", "1") != "0")
        self.overlap_always = os.environ.get("NBKIT_VERIFY_OVERLAP") == "always"  # even for notebooks that write
        self.confirms: deque[ConfirmingRun] = deque()  # offered, not yet taken by a worker
        self.watches: set[FirstRunWatch] = set()       # runs 1 that may still offer one
        self.wake = asyncio.Event()                    # a confirming run was offered, or a watch closed
        self.started_at: dict[int, float] = {}
        self.attempts: dict[int, int] = {}             # kernel start attempts per notebook

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
            # a confirming run may take a worker of its own: up to -j, at most two per notebook
            workers = min(self.request.jobs, 2 * len(self.items)) if self.overlap else jobs
            await asyncio.gather(*(self._worker() for _ in range(workers)))
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
        while (unit := await self._next()) is not None:
            if isinstance(unit, ConfirmingRun):
                await self._confirming_run(unit)
            else:
                self.started_at[unit.index] = time.monotonic()
                await self._settle(unit, self._verify(unit))

    async def _next(self) -> WorkItem | ConfirmingRun | None:
        """A worker's next unit: a confirming run offered, else the next notebook; None when there
        is neither and no run 1 can still offer one."""
        while True:
            if self.confirms:
                confirm = self.confirms.popleft()
                confirm.claimed = True
                return confirm
            if self.queue:
                item = self.queue.popleft()
                if not self.queue:  # no notebook waits any more: runs 1 may now offer confirming runs
                    for w in list(self.watches):
                        w.kick()
                return item
            if not self.watches:
                return None
            self.wake.clear()
            await self.wake.wait()

    def _offer(self, confirm: ConfirmingRun) -> None:
        self.confirms.append(confirm)
        if confirm.item.key:  # its kernel boots while it waits for a worker
            self.pool.prefetch(confirm.item.key)
        self.wake.set()

    async def _settle(self, item: WorkItem, work) -> None:
        """Await one notebook's verdict and record it (None: the worker of its confirming run will)."""
        try:
            res = await work
        except asyncio.CancelledError:
            res = NotebookResult(item.path, "failed", "cancelled", cancelled=True)
        except Exception as e:  # noqa: BLE001 - one notebook's crash is its result, not the batch's
            res = NotebookResult(item.path, "failed", f"nbkit could not verify it: {type(e).__name__}: {e}",
                                 machinery=True)
        if res is None:
            return
        res.duration_s = time.monotonic() - self.started_at[item.index]
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

    async def _fresh_run(self, item: WorkItem, number: int, positions: list[int], *, prefetch_same: bool = False,
                         watch: FirstRunWatch | None = None, until=None) -> RunResult:
        """Fresh run ``number`` of ``item`` in a kernel of its own (KernelStartError: none started)."""
        assert item.key is not None
        kernel = await self.pool.acquire(item.key)
        self.attempts[item.index] = max(self.attempts.get(item.index, 1), kernel.attempts)
        if prefetch_same:
            self.pool.prefetch(item.key)
        else:
            self._prefetch_next()
        nbnode = item.executable_copy()

        def on_cell(pos: int, state: CellState) -> None:
            index = item.cell_index_at(pos)
            if index is not None:
                self.events.on_cell(item.path, index, state, number)

        settings = self.request.settings
        try:
            run = await run_cells(kernel, nbnode, positions, self.request.timeout, item.may_raise,
                                  on_cell, self.cancel.is_set, stop_on_error=self.request.stop_on_error,
                                  on_result=watch.cell_ended if watch else None, until=until,
                                  reproduces_error=lambda pos, outs: item.reproduces_stored_error(pos, outs, settings))
            run.language_info = kernel.language_info
            if watch:
                watch.run_ended(run)
        finally:
            await self.pool.release(kernel)
        return run

    def _kernel_failed(self, item: WorkItem, ex: Execution, e: KernelStartError) -> NotebookResult:
        # this notebook's failure, not the run's: exit 3 only when no kernel could start at all
        assert item.key is not None
        return NotebookResult(item.path, "failed", e.message, kernel=item.key.name, drift=ex.drift,
                              kernel_failed=True, kernel_attempts=e.attempts,
                              causes=kernel_causes(item.key.name, e.message, e.timed_out))

    async def _verify(self, item: WorkItem) -> NotebookResult | None:
        self.events.on_notebook_start(item.path, item.code_cells)
        if item.early:
            return item.early
        if item.index in self.hits:
            return self.hits[item.index]
        if self.cancel.is_set():
            return NotebookResult(item.path, "failed", "cancelled", cancelled=True)
        ex = Execution(item, drift=drift_of(item))
        planned = self.request.planned_runs
        while len(ex.runs) < planned:
            r = len(ex.runs)
            positions = item.run_positions
            stopped = ex.runs[0].stopped_at if ex.runs else None
            if stopped is not None:  # run 1 stopped at a cell: later runs go up to that cell
                positions = [p for p in positions if p < stopped]
                if not positions:
                    break
            if not item.key:
                ex.runs.append(RunResult())
                continue
            watch = None
            if r == 0 and self.overlap and (self.overlap_always or not may_share_files(item)):
                watch = FirstRunWatch(item, self.request, lambda: not self.queue, self._offer)
                self.watches.add(watch)
            try:
                run = await self._fresh_run(item, r + 1, positions, prefetch_same=r + 1 < planned, watch=watch)
            except KernelStartError as e:
                return self._kernel_failed(item, ex, e)
            finally:
                if watch:
                    watch.close()
                    self.watches.discard(watch)
                    self.wake.set()
            ex.runs.append(run)
            if run.status == "cancelled" or self.cancel.is_set():
                break
            if r == 0 and planned == 1 and self.request.auto_runs:
                confirm = watch.confirm if watch else None
                if not needs_confirming_run(ex, self.request):
                    if confirm is not None:  # never expected: the same judgement, cell by cell
                        confirm.abandoned = True
                    break
                planned = 2  # --runs auto: a mismatch gets a confirming run (randomness vs a stable change)
                if confirm is not None and confirm.claimed:  # it runs (or ran) on another worker
                    if not confirm.ended:
                        confirm.ex = ex  # that worker concludes; this one moves on
                        return None
                    return await self._join(ex, confirm)
                if confirm is not None:  # no worker was free: this one runs it, as with -j 1
                    self.confirms.remove(confirm)
        return await self._conclude(ex)

    async def _confirming_run(self, confirm: ConfirmingRun) -> None:
        """A worker runs a confirming run offered while run 1 runs; when run 1's worker has moved
        on, it also concludes the notebook."""
        item = confirm.item
        try:
            if self.cancel.is_set() or confirm.abandoned:
                confirm.run = RunResult(status="cancelled")
            else:
                confirm.run = await self._fresh_run(item, 2, confirm.positions(), until=confirm.limit)
        except KernelStartError as e:
            confirm.start_error = e
        except asyncio.CancelledError:
            confirm.run = RunResult(status="cancelled")
        except Exception as e:  # noqa: BLE001 - reported as the notebook's crash by whoever concludes
            confirm.crash = e
        confirm.ended = True
        if confirm.ex is not None:
            await self._settle(item, self._join(confirm.ex, confirm))

    async def _join(self, ex: Execution, confirm: ConfirmingRun) -> NotebookResult:
        """Run 1 and its confirming run (run on another worker), concluded."""
        if confirm.crash is not None:
            raise confirm.crash
        if confirm.start_error is not None:
            return self._kernel_failed(ex.item, ex, confirm.start_error)
        ex.runs.append(confirm.result())
        return await self._conclude(ex)

    async def _conclude(self, ex: Execution) -> NotebookResult:
        """The verdict of the notebook's runs, written back when --update/--stamp ask for it."""
        item = ex.item
        if self.cancel.is_set():
            return _cancelled(item)
        res = await asyncio.to_thread(assess, ex, self.request)
        res.kernel_attempts = self.attempts.get(item.index, 1)
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
