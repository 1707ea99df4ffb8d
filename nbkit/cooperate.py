"""Long work that gives way: a lint calls :func:`checkpoint` between rules and parsed cells, and a
long-lived host (the server's lint queue) may install a function there that pauses a large
notebook's lint while a small, interactive one runs.  Outside such a host, ``checkpoint`` does
nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


def checkpoint() -> None:
    """Give way, if this thread's host asked for it (see :func:`giving_way`)."""
    fn = getattr(_local, "fn", None)
    if fn is not None:
        fn()


@contextmanager
def giving_way(fn: Callable[[], None]) -> Iterator[None]:
    """Call ``fn`` at every :func:`checkpoint` this thread reaches inside the block."""
    _local.fn = fn
    try:
        yield
    finally:
        _local.fn = None
