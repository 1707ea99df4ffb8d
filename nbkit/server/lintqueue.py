"""The server's work queue for lint, pin and policy checks: a fixed set of threads, fairly shared.

Lint is CPU-bound Python: more threads than cores only make every request slower, so the pool
is small (``NbkitService.lint_workers``) and further requests wait in a queue, never in new
threads.  Two rules decide which waiting task a free thread takes:

- **large notebooks never hold every thread**: a task marked ``large`` (a notebook of at least
  ``NbkitService.large_notebook_bytes``) runs only while fewer than ``large_limit`` large tasks
  run (default: all threads but one), so small requests always have a thread and never wait for
  a big notebook to finish (no head-of-line blocking);
- **one small task at a time**: lint holds the GIL, so two small tasks at once share one core
  and each takes twice as long, and more threads add switching on top (a burst of 25 lints came
  back at 1.9x the time per lint of one at a time); small tasks run one after another
  (``small_limit``, default 1), beside at most ``large_limit`` large ones;
- **small tasks go first**: a large task pauses at its checkpoints (between lint rules, before
  each cell it parses: :mod:`nbkit.cooperate`) while a small task runs, for at most
  ``give_way_seconds`` at a time, so a small lint beside a large one runs about as fast as alone;
  in all it pauses at most ``give_way_seconds`` more than it has worked, so a steady stream of
  small lints slows a large one down but never holds it for good;
- **clients take turns**: tasks are queued per client (the server uses the notebook's API path:
  each open notebook is one client of lint) and free threads serve the clients round-robin, each
  client's tasks in arrival order; a client that sends fifty requests delays another client's
  one request by at most one task per thread.

While a task runs, the garbage collector is held off (``hold``, :mod:`nbkit.server.gchold`): a
lint's temporary objects then die by reference counting instead of being promoted and walked by
full collections; after a task (its reply sent), what it kept (the parse cache's new syntax trees)
is frozen out of the collector's way.

Within those rules the oldest eligible task of the next client runs; a large task skipped
because of the limit keeps its place and runs as soon as a large one finishes.
"""

from __future__ import annotations

import collections
import threading
import time
from concurrent.futures import Future
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable

from ..cooperate import giving_way
from .gchold import CollectorHold


@dataclass
class _Task:
    future: Future
    fn: Callable[..., Any]
    args: tuple
    large: bool


class FairQueue:
    """``workers`` threads running submitted tasks, at most ``large_limit`` large ones and
    ``small_limit`` small ones at once, clients served round-robin.  ``submit`` returns a :class:`concurrent.futures.Future`."""

    def __init__(self, workers: int, large_limit: int | None = None, name: str = "nbkit-lint",
                 small_limit: int = 1, hold: CollectorHold | None = None):
        self.workers = max(1, workers)
        self.large_limit = max(1, self.workers - 1 if large_limit is None else min(large_limit, self.workers))
        self.small_limit = max(1, min(small_limit, self.workers))
        self.name = name
        self.hold = hold  # the garbage collector held off while a task runs (nbkit/server/gchold.py)
        self.give_way_seconds = 0.5  # the longest a large task pauses at one checkpoint for small ones
        self.gave_way = 0  # how often a large task paused for a small one (tests, diagnostics)
        self._cond = threading.Condition()
        self._clients: collections.OrderedDict[str, collections.deque[_Task]] = collections.OrderedDict()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self.running = 0
        self.running_large = 0
        self._closed = False

    # -- what the service calls --------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, large: bool = False, client: str = "") -> Future:
        future: Future = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the lint queue is shut down")
            self._clients.setdefault(client, collections.deque()).append(_Task(future, fn, args, large))
            if len(self._threads) < self.workers and sum(len(q) for q in self._clients.values()) > self._idle:
                t = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                self._threads.append(t)
                t.start()
            self._cond.notify_all()
        return future

    @property
    def queued(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._clients.values())

    def shutdown(self, wait: bool = False, cancel_futures: bool = True) -> None:
        with self._cond:
            self._closed = True
            if cancel_futures:
                for q in self._clients.values():
                    for task in q:
                        task.future.cancel()
                self._clients.clear()
            self._cond.notify_all()
        if wait:
            for t in list(self._threads):
                if t is not threading.current_thread():
                    t.join()

    # -- the threads -------------------------------------------------------------------------------
    def _gate(self) -> Callable[[], None]:
        """A large task's checkpoint function: :meth:`_give_way`, for at most ``give_way_seconds``
        at one checkpoint and, over the task, at most ``give_way_seconds`` more than the task has
        worked (without that bound, small lints arriving one after another would hold a large
        lint at every checkpoint for good)."""
        started = time.monotonic()
        waited = 0.0

        def give_way() -> None:
            nonlocal waited
            now = time.monotonic()
            worked = now - started - waited
            allowance = min(self.give_way_seconds, self.give_way_seconds + worked - waited)
            if allowance > 0:
                try:
                    self._give_way(allowance)
                finally:
                    waited += time.monotonic() - now
        return give_way

    def _give_way(self, longest: float) -> None:
        """At a large task's checkpoint (between lint rules, before each cell it parses): wait while
        a small task runs, at most ``longest`` seconds.  Both hold the GIL in turns, so
        without this a small lint beside a large one takes about three times as long as alone."""
        deadline = time.monotonic() + longest
        with self._cond:
            while self.running > self.running_large and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.gave_way += 1
                self._cond.wait(left)

    def _pick(self) -> _Task | None:
        """The next task to run (called with the lock held): the first client, in turn order, with
        an eligible task gives its oldest one and goes to the back of the turn order."""
        for client, q in self._clients.items():
            for task in q:
                if (self.running_large < self.large_limit) if task.large \
                        else (self.running - self.running_large < self.small_limit):
                    q.remove(task)
                    if q:
                        self._clients.move_to_end(client)
                    else:
                        del self._clients[client]
                    return task
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                task = self._pick()
                while task is None:
                    if self._closed:
                        return
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                    task = self._pick()
                self.running += 1
                if task.large:
                    self.running_large += 1
            try:
                if task.future.set_running_or_notify_cancel():
                    held = self.hold is not None and self.hold.acquire()
                    try:
                        try:
                            with giving_way(self._gate()) if task.large else nullcontext():
                                result = task.fn(*task.args)
                        finally:
                            if held:  # the collector is back on before the caller sees the result
                                self.hold.release()  # type: ignore[union-attr]
                    except BaseException as e:  # noqa: BLE001 - handed to whoever awaits the future
                        task.future.set_exception(e)
                    else:
                        task.future.set_result(result)
            finally:
                with self._cond:
                    self.running -= 1
                    if task.large:
                        self.running_large -= 1
                    self._cond.notify_all()  # a task that waited for its limit may run now
                    idle = not self._clients and self.running == 0
            del task
            if self.hold is not None:  # after the reply: freeze what the task kept (gchold.py)
                self.hold.settle(idle=idle)
