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
"""

from __future__ import annotations

import gc
import threading
import time


class CollectorHold:
    def __init__(self, max_seconds: float = 2.0):
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._holders = 0
        self._since = 0.0
        self.holds = 0  # how many times the collector was held off (for tests and diagnostics)

    def acquire(self) -> bool:
        """Hold the collector off for the caller (True: it must call :meth:`release`)."""
        with self._lock:
            if self._holders == 0:
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
                gc.enable()

    @property
    def holding(self) -> bool:
        with self._lock:
            return self._holders > 0
