"""The processes and private runtime folders of verify's kernels: which transport a kernel uses
and where its connection file and sockets go, the registry of live kernels, and the last-resort
cleanup (SIGKILL every registered kernel's process group; remove every runtime folder, whose
connection file holds the HMAC key) that Ctrl-C and the process's exit run."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import threading

TRANSPORT_ENV = "NBKIT_KERNEL_TRANSPORT"

_LIVE: dict[int, int] = {}  # kernel pid -> process group id, for the last-resort cleanup
_RUNTIME_DIRS: set[str] = set()  # private folders holding connection files (HMAC keys) and sockets
_LIVE_LOCK = threading.Lock()


def kernel_transport() -> str:
    """``ipc`` on POSIX (no port race), ``tcp`` on Windows or when NBKIT_KERNEL_TRANSPORT=tcp."""
    wanted = os.environ.get(TRANSPORT_ENV, "").strip().lower()
    if wanted in ("tcp", "ipc"):
        return "tcp" if os.name == "nt" else wanted
    return "tcp" if os.name == "nt" else "ipc"


def kill_all_kernels() -> int:
    """SIGKILL every kernel process group still registered (last resort, e.g. at Ctrl-C), and
    remove every kernel's private runtime folder (its connection file holds the HMAC key)."""
    with _LIVE_LOCK:
        items = list(_LIVE.items())
        _LIVE.clear()
    for pid, pgid in items:
        _kill_pid(pid, pgid)
    remove_runtime_dirs()
    return len(items)


def remove_runtime_dirs() -> None:
    with _LIVE_LOCK:
        dirs = list(_RUNTIME_DIRS)
        _RUNTIME_DIRS.clear()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(remove_runtime_dirs)


# A Unix socket's path holds at most 107 bytes on Linux (108 with the NUL), 103 on macOS and the
# BSDs.  With ipc, a kernel's sockets are <runtime dir>/kernel-ipc-<n>: a long TMPDIR (a deep
# pytest folder, a CI workspace) made every kernel fail to start ("File name too long").
_SUN_PATH_MAX = 107 if sys.platform.startswith("linux") else 103
_SOCKET_TAIL = "/nbkit-kernel-xxxxxxxx/kernel-ipc-99"  # (mkdtemp's 8 random characters; ports are small)


def _runtime_base(transport: str) -> tuple[str | None, str]:
    """Where a kernel's private runtime folder goes (None: the temporary folder) and the
    transport it uses: with ipc, the first of the temporary folder, /tmp and /var/tmp whose
    socket paths fit (:data:`_SUN_PATH_MAX`); tcp when none does."""
    if transport != "ipc":
        return None, transport
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp"):  # short fallbacks for socket paths
        if len(os.fsencode(os.path.abspath(base) + _SOCKET_TAIL)) <= _SUN_PATH_MAX and \
                os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK):
            return base, "ipc"
    return None, "tcp"


def _new_runtime_dir(base: str | None = None) -> str:
    d = tempfile.mkdtemp(prefix="nbkit-kernel-", dir=base)  # mode 0700: only this user reads the key
    with _LIVE_LOCK:
        _RUNTIME_DIRS.add(d)
    return d


def _remove_runtime_dir(d: str | None) -> None:
    if not d:
        return
    shutil.rmtree(d, ignore_errors=True)
    with _LIVE_LOCK:
        _RUNTIME_DIRS.discard(d)


def _kill_pid(pid: int, pgid: int | None) -> None:
    try:
        if pgid and hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), whatever session or group."""
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except Exception:  # noqa: BLE001 - psutil missing, or the process is already gone
        return []
