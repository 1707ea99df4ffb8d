"""A new temporary file, created exclusively: what ``tempfile.mkstemp`` does, without importing
tempfile (with shutil and random, a tenth of a warm ``nbkit lint`` run's imports).

Every atomic writer of nbkit (notebooks, reports, cache entries) writes such a file next to its
target and renames it over the target.
"""

from __future__ import annotations

import os

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def create(folder: str, prefix: str, suffix: str) -> tuple[int, str]:
    """``(fd, path)`` of a new file ``<prefix><8 random hex digits><suffix>`` in ``folder``, open
    for writing and readable only by its owner.  The name is as long as ``mkstemp``'s (a long
    notebook name must still leave room for it); ``O_EXCL`` makes a clash a retry, never a
    shared file, and never follows a link planted under that name."""
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{os.urandom(4).hex()}{suffix}")
        try:
            return os.open(path, _FLAGS, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary file name in {folder}")
