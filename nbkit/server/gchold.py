"""The cyclic garbage collector held off while lint runs in the server.

A lint builds tens of thousands of short-lived objects (syntax trees, the analysis, findings)
that stay alive until it ends and then die by reference counting.  While it runs, the collector's
young generations fill up and it promotes those objects, alive at that moment, to the old
generation; every few lints that triggers a full collection, which walks every object of the
server (the parse cache's syntax trees included) and holds the GIL for hundreds of milliseconds:
measured in process on the benchmark's 200-cell notebook with every cell new, p95 335-551 ms with
the collector running, 98-111 ms with it held off during each lint (docs/benchmarks-server.md).
Held off, the temporary objects are freed by reference counting before the collector ever sees
them, and it runs as usual between lints.

The hold is process-wide (the collector is), counted across the lint threads, and bounded: a lint
that starts when the collector has been held off for ``max_seconds`` already runs without extending
the hold, so a server that is never without a lint still collects.  A collector that something else
disabled stays disabled.

**Freezing what lint keeps** (``freeze``): the objects lint keeps, the parse cache's syntax trees
(up to ``NbkitService.parse_cache_cells`` cells, about 790,000 objects), are what makes a full
collection long: measured in the server with a verify job running, full collections of 0.6-1.4 s
about every 10 s, and collections of the middle generation of 40-230 ms several times a second
(docs/benchmarks-server.md, History, 2026-12-02).  So after a task, when no other task runs
(:meth:`settle`), the collector collects what is not frozen yet (what was made since the last
task: cheap) and freezes what survived (``gc.freeze``): full collections then walk only what was
made since.  A syntax tree holds no reference cycle, so a frozen one that the parse cache drops is
freed by reference counting as usual; only a reference cycle that was alive when frozen and dies
later stays until the next full collection, which :meth:`settle` runs (unfreeze, collect
everything, freeze again) at most every ``full_every`` seconds, when no task is waiting (at twice
that interval even when tasks keep waiting).

With ``freeze`` on, the last :meth:`release` leaves the collector off and :meth:`settle` turns it
back on after its collection: turned on at once, the collector would run at the first allocation
after the task (gen 0 is full of what the lint made), before the reply is even sent, over
everything a never-seen notebook's lint kept (about 9% of the server's CPU in a py-spy profile of
the benchmark's every-cell-new requests), and settle would then collect the same objects again.
"""

from __future__ import annotations

import gc
import threading
import time


class CollectorHold:
    def __init__(self, max_seconds: float = 2.0, freeze: bool = False, full_every: float = 900.0):
        self.max_seconds = max_seconds
        self.freeze = freeze
        self.full_every = full_every
        self._lock = threading.Lock()
        self._holders = 0
        self._pending = False  # released with freeze on: off until settle() collects and freezes
        self._since = 0.0
        self._last_full = time.monotonic()
        self.holds = 0  # how many times the collector was held off (for tests and diagnostics)
        self.freezes = 0  # how many times settle() froze what survived
        self.full_collections = 0  # how many times settle() unfroze and collected everything

    def acquire(self) -> bool:
        """Hold the collector off for the caller (True: it must call :meth:`release`)."""
        with self._lock:
            if self._holders == 0 and self._pending:
                # still off since the last task (its settle has not run yet): this task holds it on
                if time.monotonic() - self._since > self.max_seconds:
                    return False  # (settle turns it back on; this task runs without extending the hold)
                self.holds += 1
            elif self._holders == 0:
                if not gc.isenabled():
                    return False  # disabled by someone else: not ours to turn back on
                gc.disable()
                self._since = time.monotonic()
                self.holds += 1
            elif time.monotonic() - self._since > self.max_seconds:
                return False  # held long enough: let it run again once the current holders finish
            self._holders += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                if self.freeze:
                    self._pending = True  # settle() collects, freezes and turns it back on
                else:
                    gc.enable()

    @property
    def holding(self) -> bool:
        with self._lock:
            return self._holders > 0

    def settle(self, idle: bool = True) -> None:
        """After a task, with ``freeze`` on and no task holding the collector: collect the objects
        made since the last freeze and freeze the survivors (the parse cache's new syntax trees
        among them).  At most every ``full_every`` seconds, and only when ``idle`` (no task
        waiting), unfreeze and collect everything first, so that reference cycles that died after
        being frozen are freed: the server's memory stays bounded.  A server that is never idle
        after a task gets that full collection at twice ``full_every`` (0: after every task)."""
        with self._lock:
            if not self.freeze:
                if self._pending and not self._holders:  # (freeze turned off since the release)
                    self._pending = False
                    gc.enable()
                return
            if self._holders or not (self._pending or gc.isenabled()):
                return  # a task runs (it will settle), or the collector is not ours to run
            gc.disable()  # (off already when pending) no automatic collection in another thread meanwhile
            try:
                since = time.monotonic() - self._last_full
                # when idle once the interval is up; on a server never idle after a lint, at twice
                # the interval anyway: cycles that died frozen are freed whatever the traffic
                if since > self.full_every and (idle or since > 2 * self.full_every):
                    gc.unfreeze()
                    gc.collect()
                    self._last_full = time.monotonic()
                    self.full_collections += 1
                else:
                    gc.collect()  # walks only what is not frozen: what was made since the last freeze
                gc.freeze()
                self.freezes += 1
            finally:
                self._pending = False
                gc.enable()
