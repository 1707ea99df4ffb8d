"""Long work that gives way: a lint calls :func:`checkpoint` between rules and parsed cells, and a
long-lived host (the server's lint queue) may install a function there that pauses a large
notebook's lint while a small, interactive one runs.  Outside such a host, ``checkpoint`` does
nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class _Local(threading.local):
    # the class default: a thread that never set ``fn`` reads None without the AttributeError
    # that getattr(local, "fn", None) raised and caught inside (~1.5 us; a lint of one
    # notebook reaches checkpoint about 200 times)
    fn: Callable[[], None] | None = None


_local = _Local()


def checkpoint() -> None:
    """Give way, if this thread's host asked for it (see :func:`giving_way`)."""
    fn = _local.fn
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
