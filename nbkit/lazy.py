"""``cached_property`` without a lock; ``lazy_re``, a regular expression compiled on first use.

Python 3.11's :func:`functools.cached_property` computes under one lock per property *shared by
every instance* (removed in 3.12).  The server lints in several threads, each notebook with its own
:class:`nbkit.analysis.Facts`: with the shared lock, a small notebook's lint waited for a large
one's to finish parsing all its cells.  This one computes without a lock, like 3.12's: an
instance used by two threads at once may compute a value twice, and keeps one of them.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Generic, TypeVar, overload

T = TypeVar("T")


class cached_property(Generic[T]):  # noqa: N801 - named like the functools decorator it replaces
    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.attrname: str = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.func(instance)
        setattr(instance, self.attrname, value)  # an instance attribute: later reads find it, not this
        return value


class lazy_re:  # noqa: N801 - used like re.compile
    """A regular expression compiled on first use: most patterns here never run for a given
    notebook (secret and path patterns sit behind cheap substring checks), so importing the
    rules should not pay for compiling them all."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._rx: re.Pattern[str] | None = None

    def __getattr__(self, name):
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return getattr(rx, name)
