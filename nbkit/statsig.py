"""A file's stat signature, and when it may stand for the file's bytes.

Caches that remember something about a file (a parsed manifest, a hash, a verdict, a lint
entry) recognise the file again by its inode, size, modification and change times: a
modification time alone comes back with ``touch -r`` or a copy that keeps times, a change time
never does.  And they trust a signature only once the file has not changed for ``RACY_NS`` (git's
"racily clean" rule): a rewrite within the same clock tick keeps size and times.
"""

from __future__ import annotations

import os
import time

RACY_NS = 2_000_000_000  # a file changed this recently may change again without its stat showing it


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """(inode, size, modification time, change time), times in ns."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def of(path: str | os.PathLike) -> tuple[int, int, int, int] | None:
    """The :func:`signature` of ``path``; None when it cannot be stat-ed."""
    try:
        return signature(os.stat(path))
    except (OSError, ValueError):
        return None


def settled(mtime_ns: int, ctime_ns: int, now_ns: int | None = None) -> bool:
    """Had the file stopped changing ``RACY_NS`` before ``now_ns`` (default: now)?"""
    return max(mtime_ns, ctime_ns) < (time.time_ns() if now_ns is None else now_ns) - RACY_NS
