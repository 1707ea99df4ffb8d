"""Confirming runs that overlap run 1 (``--runs auto`` with ``-j 2`` or more).

``--runs auto`` gives a notebook a second fresh run when a cell of run 1 mismatches its stored
output.  Run 2 need not wait for run 1 to end: once no notebook waits for a worker, each cell of
run 1 is judged as it ends (:func:`~nbkit.verify.verdict.cell_needs_confirming_run`, the verdict's
own code), and at the first mismatch the confirming run is offered to the engine's workers.  A
free worker takes it at once and runs it beside run 1, on its own kernel; if none is free before
run 1 ends, run 1's worker runs it afterwards, as with ``-j 1``.  So at most ``-j`` kernels run
cells at any time, and nothing is offered while notebooks still wait (a free worker takes one of
them: the same work, in another order).  A notebook whose code looks like it writes, moves or
removes files (:func:`may_share_files`) keeps its confirming run after run 1: both runs work in
the notebook's folder, and two at once could read each other's files.

What run 2 contributes is what a run started after run 1 would: when run 1 stopped at a cell
(timeout, dead kernel), run 2 ends before that cell, and whatever it did past that cell before
run 1 stopped is dropped (:meth:`~nbkit.verify.execute.RunResult.before`).  Whether run 2 is used
at all is decided as before, by :func:`~nbkit.verify.verdict.needs_confirming_run` on the whole
of run 1: the per-cell judgement only starts it early.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .verdict import cell_needs_confirming_run

if TYPE_CHECKING:
    from .execute import CellRun, KernelStartError, RunResult
    from .plan import WorkItem
    from .request import VerifyRequest
    from .verdict import Execution


# Signs that a cell changes files (where both runs of a notebook would meet, since they work in the
# same folder): writes and removals through Python, pandas/numpy/matplotlib savers, databases,
# shell commands and cell magics.  Deliberately broad: a false sign only costs the overlap (the
# confirming run then runs after run 1, as with -j 1), a missed one could make the runs disagree.
_WRITES = re.compile(
    r"""open\s*\(|\.to_[a-z_]+\s*\(|save|write|dump|mkdir|makedirs|remove|unlink|rmtree|rename|replace\s*\("""
    r"""|move\s*\(|copy|touch|download|urlretrieve|extract|sqlite|connect\s*\(|to_sql|\.tmp|tempfile"""
    r"""|^\s*!|^\s*%%|^\s*%(?:sx|system|run|store|cd|bookmark)\b|=\s*!""", re.MULTILINE | re.IGNORECASE)


def may_share_files(item: WorkItem) -> bool:
    """Could two runs of ``item`` at once meet in its folder (a code cell that looks like it
    writes, moves or removes files, or runs a shell command or a cell magic)?"""
    for _orig, cell in item.exec_cells:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if _WRITES.search(source if isinstance(source, str) else "".join(source)):
                return True
    return False


@dataclass(eq=False)
class ConfirmingRun:
    """Run 2 of a notebook whose run 1 showed a mismatching cell, offered to a free worker."""

    item: WorkItem
    claimed: bool = False              # a worker took it (it runs, or ran, beside run 1)
    run1_ended: bool = False
    bound: int | None = None           # run 1 stopped at this position: run 2 ends before it
    abandoned: bool = False            # run 1 turned out not to need it (or crashed): stop, unused
    ended: bool = False
    run: RunResult | None = None       # run 2, once ended
    start_error: KernelStartError | None = None  # its kernel could not start
    crash: Exception | None = None     # nbkit failed while running it
    ex: Execution | None = None        # set when run 1's worker moved on: run 2's worker concludes

    def limit(self) -> int | None:
        """The position run 2 must not reach (None: none yet); asked before each of its cells."""
        if self.abandoned:
            return -1
        return self.bound

    def positions(self) -> list[int]:
        limit = self.limit()
        return [p for p in self.item.run_positions if limit is None or p < limit]

    def result(self) -> RunResult:
        """Run 2 as a run started after run 1 would have gone: up to the cell where run 1 stopped."""
        assert self.run is not None and self.run1_ended
        return self.run.before(self.bound)


class FirstRunWatch:
    """Run 1 of one notebook, watched: its ended cells are judged (in a thread, one at a time,
    while ``wanted()`` says a confirming run could start early) until one mismatches; then
    ``offer(item)`` hands the engine a :class:`ConfirmingRun`."""

    def __init__(self, item: WorkItem, request: VerifyRequest, wanted: Callable[[], bool],
                 offer: Callable[[ConfirmingRun], None]):
        self.item, self.request, self.wanted, self.offer = item, request, wanted, offer
        self.backlog: list[tuple[int, CellRun]] = []
        self.confirm: ConfirmingRun | None = None
        self.open = True
        self._task: asyncio.Future | None = None

    def cell_ended(self, pos: int, run: CellRun) -> None:
        if self.open and self.confirm is None:
            self.backlog.append((pos, run))
            self.kick()

    def kick(self) -> None:
        """Judge the cells waiting, if a confirming run could start early and none is judging."""
        if self.open and self.confirm is None and self.backlog and self._task is None and self.wanted():
            self._task = asyncio.ensure_future(self._judge())

    async def _judge(self) -> None:
        try:
            while self.open and self.confirm is None and self.backlog:
                pos, run = self.backlog.pop(0)
                if await asyncio.to_thread(cell_needs_confirming_run, self.item, pos, run, self.request) \
                        and self.open:
                    self.confirm = ConfirmingRun(self.item)
                    self.offer(self.confirm)
        except Exception:  # noqa: BLE001 - only an early start is lost: run 1's end decides, as with -j 1
            self.backlog.clear()
        finally:
            self._task = None

    def run_ended(self, run: RunResult) -> None:
        """Run 1 ended (before its kernel is released): run 2 learns where to end."""
        self.open = False
        if self.confirm is not None:
            self.confirm.run1_ended, self.confirm.bound = True, run.stopped_at

    def close(self) -> None:
        """Run 1 is over, however it ended: nothing more is judged; a confirming run not told
        where run 1 ended (nbkit failed during run 1) is abandoned."""
        self.open = False
        self.backlog.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.confirm is not None and not self.confirm.run1_ended:
            self.confirm.run1_ended = self.confirm.abandoned = True
