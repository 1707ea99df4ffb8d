"""The ``.nbkit_cache/`` folder shared by the lint cache and the verify cache: where it is, how an
entry is written (atomically) and read (a corrupt or foreign entry is no entry), and how
``nbkit clean`` removes it.

``<cache>`` is ``$NBKIT_CACHE_DIR``, else ``.nbkit_cache`` at the project root (the folder of the
``pyproject.toml`` that configures nbkit, else the repository root).  It holds its own
``.gitignore`` (ignore everything) and one sub-folder per cache: ``lint/``, ``verify/``.
"""

from __future__ import annotations

import json
import os

from . import tmpfile

ENV_VAR = "NBKIT_CACHE_DIR"
DIR_NAME = ".nbkit_cache"
GITIGNORE = "# written by nbkit: its caches (`nbkit clean` removes them)\n*\n"
#: the .gitignore text of caches written before the verify cache existed (still recognised)
_OLD_GITIGNORES = ("# written by nbkit: the lint cache (`nbkit clean` removes it)\n*\n",)
SUBFOLDERS = ("lint", "verify")


def cache_dir(paths: list[str] | tuple[str, ...], config_root: str | None = None) -> str:
    """``$NBKIT_CACHE_DIR``, else ``.nbkit_cache`` at the project root of the first path."""
    env = os.environ.get(ENV_VAR)
    if env:
        return os.path.abspath(env)
    if config_root:
        return os.path.join(os.path.abspath(config_root), DIR_NAME)
    from .roots import find_root

    first = os.path.abspath(paths[0]) if paths else os.getcwd()
    folder = first if os.path.isdir(first) else os.path.dirname(first)
    return os.path.join(find_root(folder), DIR_NAME)


def clean(directory: str) -> bool:
    """Remove the cache folder ``directory``; False when there was none.  Refuses a folder that
    is not an nbkit cache (no nbkit ``.gitignore`` and none of the caches' sub-folders)."""
    if not os.path.isdir(directory):
        return False
    marker = os.path.join(directory, ".gitignore")
    try:
        with open(marker, encoding="utf-8") as f:
            ours = f.read() in (GITIGNORE, *_OLD_GITIGNORES)
    except OSError:
        ours = False
    if not ours and not any(os.path.isdir(os.path.join(directory, s)) for s in SUBFOLDERS):
        raise OSError(f"{directory} does not look like an nbkit cache; not removing it")
    import shutil

    shutil.rmtree(directory)
    return True


def ensure_root(directory: str) -> None:
    """Create ``directory`` with its ``.gitignore`` (atomically; a concurrent run may race us)."""
    ignore = os.path.join(directory, ".gitignore")
    if os.path.exists(ignore):
        return
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tmpfile.create(directory, ".tmp-", "")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(GITIGNORE)
    os.replace(tmp, ignore)


def write_entry(directory: str, target: str, payload: bytes) -> bool:
    """Write ``payload`` to ``target`` (a file under the cache ``directory``) atomically: a
    temporary file in the same folder renamed over it, so a concurrent reader sees the old entry
    or the new one, never half of one.  A cache that cannot be written is no error: False."""
    folder = os.path.dirname(target)
    try:
        ensure_root(directory)
        try:  # (the usual case: only the entry's own folder is new; makedirs checks every parent)
            os.mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:  # (the cache itself removed meanwhile? its .gitignore too)
            ensure_root(directory)
            os.makedirs(folder, exist_ok=True)
        fd, tmp = tmpfile.create(folder, ".tmp-", ".json")
        try:
            try:  # (os.write, not a file object: one system call for an entry)
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return False
    return True


def read_entry(target: str, schema: str) -> dict | None:
    """The JSON object stored at ``target`` when it is one of ``schema``; None when it is missing,
    unreadable, not JSON, or another cache's (or another version's) entry."""
    try:
        with open(target, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return parse_entry(data, schema)


def parse_entry(data: bytes, schema: str) -> dict | None:
    """The JSON object ``data`` holds when it is one of ``schema``; None when it is not JSON or
    another cache's (or another version's) entry."""
    try:
        entry = json.loads(data)
    except ValueError:
        return None
    if isinstance(entry, dict) and entry.get("schema") == schema:
        return entry
    return None
