"""Execution: fresh kernels in deterministic surroundings, cells run one by one.

Kernels are started by :mod:`jupyter_client` with cwd = the notebook's folder and
``PYTHONHASHSEED`` (the pinned seed or 0), ``TZ=UTC`` and the inline matplotlib backend;
cells run through :mod:`nbclient` (papermill's engine), on an in-memory copy.
A :class:`KernelPool` starts the next kernel while the current notebook runs, so kernel
start-up overlaps useful work.  A cell past its timeout is interrupted, then its kernel
is killed; a kernel that dies is reported with the cell it was running.  Every kernel
process is tracked so that cancellation (or Ctrl-C) leaves none behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import MachineryError

KERNEL_ENV = {"TZ": "UTC", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
              "IPYKERNEL_CELL_NAME": "<cell>", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
STARTUP_TIMEOUT = 60

_LIVE: dict[int, int] = {}  # kernel pid -> process group id, for the last-resort cleanup
_LIVE_LOCK = threading.Lock()


def kill_all_kernels() -> int:
    """SIGKILL every kernel process group still registered (last resort, e.g. at Ctrl-C)."""
    with _LIVE_LOCK:
        items = list(_LIVE.items())
        _LIVE.clear()
    for pid, pgid in items:
        _kill_pid(pid, pgid)
    return len(items)


def _kill_pid(pid: int, pgid: int | None) -> None:
    try:
        if pgid and hasattr(os, "killpg"):
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


class KernelStartError(MachineryError):
    """The kernel could not be started."""


@dataclass(frozen=True)
class KernelKey:
    """What makes two kernels interchangeable: the kernelspec, the folder and the hash seed."""

    name: str
    cwd: str
    seed: str = "0"
    pinned_seed: str = ""  # NBKIT_SEED for `%nbkit seed` without N ("" when nothing is pinned)


class Kernel:
    def __init__(self, key: KernelKey, km, kc, pid: int | None, pgid: int | None):
        self.key, self.km, self.kc, self.pid, self.pgid = key, km, kc, pid, pgid
        self._dead = False
        self.log: Any = None  # the temporary file that takes the kernel's stderr
        self.proc: Any = None  # the Popen, to reap it after the kill

    async def kill(self) -> None:
        if self._dead:
            return
        self._dead = True
        try:
            self.kc.stop_channels()
        except Exception:  # noqa: BLE001 - best-effort teardown; the signal below is what counts
            pass
        try:
            await asyncio.wait_for(self.km.shutdown_kernel(now=True), 10)
        except BaseException:  # noqa: BLE001 - including cancellation: the kill must still happen
            pass
        if self.pid:
            _kill_pid(self.pid, self.pgid)
            await self._reap()
            with _LIVE_LOCK:
                _LIVE.pop(self.pid, None)
        if self.log is not None:
            self.log.close()

    async def _reap(self, wait: float = 5.0) -> None:
        """Wait until the process has really exited (and collect it: no zombie is left)."""
        proc = self.proc
        deadline = time.monotonic() + wait
        while proc is not None and time.monotonic() < deadline:
            try:
                if proc.poll() is not None:
                    return
            except OSError:
                return
            await asyncio.sleep(0.02)


def kernel_env(key: KernelKey) -> dict:
    env = dict(os.environ)
    env.update(KERNEL_ENV)
    env["PYTHONHASHSEED"] = key.seed
    env.pop("NBKIT_SEED", None)
    if key.pinned_seed:
        env["NBKIT_SEED"] = key.pinned_seed  # so `%nbkit seed` picks the pinned seed, as in the session
    for var in ("JPY_SESSION_NAME", "JPY_PARENT_PID"):
        env.pop(var, None)
    return env


_SPECS: dict[str, object] = {}


def check_kernel_name(name: str) -> str | None:
    """None when the kernelspec exists, else a one-line message naming the installed ones."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    if name in _SPECS:
        return None
    ksm = KernelSpecManager()
    try:
        _SPECS[name] = ksm.get_kernel_spec(name)
        return None
    except NoSuchKernel:
        names = sorted(ksm.find_kernel_specs())
        return f"no kernel named {name!r} is installed (installed: {', '.join(names) or 'none'})"
    except Exception as e:
        return f"kernel {name!r} cannot be loaded ({type(e).__name__}: {e})"


async def start_kernel(key: KernelKey, startup_timeout: float = STARTUP_TIMEOUT) -> Kernel:
    """Launch a kernel and wait until it answers; raise KernelStartError otherwise."""
    from jupyter_client.manager import AsyncKernelManager

    km = AsyncKernelManager(kernel_name=key.name)
    extra = ["--HistoryManager.hist_file=:memory:"] if key.name.startswith("python") else []
    pid = pgid = proc = None
    kc = None
    log = tempfile.TemporaryFile()  # the kernel's own chatter stays out of nbkit's output
    try:
        await km.start_kernel(cwd=key.cwd, env=kernel_env(key), extra_arguments=extra,
                              stdout=subprocess.DEVNULL, stderr=log)
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        pid = getattr(proc, "pid", None)
        if pid:
            try:
                pgid = os.getpgid(pid)
            except OSError:
                pgid = None
            if pgid == os.getpgrp():
                pgid = None  # never signal our own group
            with _LIVE_LOCK:
                _LIVE[pid] = pgid or 0
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=startup_timeout)
        kc.allow_stdin = False
        kernel = Kernel(key, km, kc, pid, pgid)
        kernel.log, kernel.proc = log, proc
        return kernel
    except BaseException as e:
        failed = Kernel(key, km, kc or _NoClient(), pid, pgid)
        failed.proc = proc
        await failed.kill()
        if isinstance(e, (asyncio.CancelledError, KeyboardInterrupt)):
            log.close()
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        tail = _last_line(log)
        log.close()
        raise KernelStartError(f"kernel {key.name!r} could not start ({msg})" + (f": {tail}" if tail else "")) from None


def _last_line(fh) -> str:
    try:
        fh.seek(0)
        lines = [ln for ln in fh.read().decode("utf-8", "replace").splitlines()
                 if ln.strip() and "without encryption" not in ln]
        return lines[-1].strip()[:300] if lines else ""
    except (OSError, ValueError):
        return ""


class _NoClient:
    def stop_channels(self):
        pass


class KernelPool:
    """Kernels started ahead of need, keyed by :class:`KernelKey`; at most ``limit`` spare."""

    def __init__(self, limit: int = 1, startup_timeout: float = STARTUP_TIMEOUT):
        self.limit = max(0, limit)
        self.startup_timeout = startup_timeout
        self._spare: dict[KernelKey, list[asyncio.Task]] = {}
        self._live: set[Kernel] = set()
        self.closed = False

    def _spare_count(self) -> int:
        return sum(len(v) for v in self._spare.values())

    def prefetch(self, key: KernelKey) -> bool:
        if self.closed or self._spare_count() >= self.limit:
            return False
        task = asyncio.ensure_future(start_kernel(key, self.startup_timeout))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # no "never retrieved" noise
        self._spare.setdefault(key, []).append(task)
        return True

    async def acquire(self, key: KernelKey) -> Kernel:
        if self.closed:
            raise asyncio.CancelledError()
        spare = self._spare.get(key)
        if spare:
            kernel = await spare.pop(0)
        else:
            kernel = await start_kernel(key, self.startup_timeout)
        if self.closed:
            await kernel.kill()
            raise asyncio.CancelledError()
        self._live.add(kernel)
        return kernel

    async def release(self, kernel: Kernel) -> None:
        self._live.discard(kernel)
        await kernel.kill()

    async def close(self) -> None:
        """Kill every kernel: the running ones (their cells then fail) and the spares."""
        self.closed = True
        tasks = [t for v in self._spare.values() for t in v]
        self._spare.clear()
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                k = await t
            except BaseException:
                continue
            await k.kill()
        await asyncio.gather(*(k.kill() for k in list(self._live)), return_exceptions=True)
        self._live.clear()


@dataclass
class CellRun:
    outputs: list = field(default_factory=list)
    status: str = "ok"  # ok | error | timeout | dead | cancelled
    execution_count: int | None = None
    duration_s: float = 0.0


@dataclass
class RunResult:
    cells: dict = field(default_factory=dict)  # position in the executed copy -> CellRun
    status: str = "ok"  # ok | error | timeout | dead | cancelled | machinery
    stopped_at: int | None = None  # position of the cell that stopped the run
    message: str = ""


def _plain(o):
    """NotebookNode -> plain dicts/lists."""
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


async def run_cells(kernel: Kernel, nbnode, positions: list[int], timeout: float | None,
                    allow_errors: frozenset[int] = frozenset(), on_cell=None, cancelled=lambda: False) -> RunResult:
    """Execute the code cells at ``positions`` of ``nbnode`` in order, stopping at the first
    error, except in cells whose position is in ``allow_errors`` (``raises-exception``)."""
    import math

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(
        nbnode, km=kernel.km, timeout=int(math.ceil(timeout)) if timeout else None, allow_errors=True,
        interrupt_on_timeout=False, raise_on_iopub_timeout=False, iopub_timeout=4, record_timing=False,
        kernel_name=kernel.key.name, resources={"metadata": {"path": kernel.key.cwd}}, coalesce_streams=False)
    client.kc = kernel.kc
    res = RunResult()
    for pos in positions:
        if cancelled():
            res.status, res.stopped_at, res.message = "cancelled", pos, "cancelled"
            break
        cell = nbnode.cells[pos]
        allow_error = pos in allow_errors
        if on_cell:
            on_cell(pos, "running")
        run = CellRun()
        res.cells[pos] = run
        started = time.monotonic()
        try:
            await client.async_execute_cell(cell, pos)
        except CellTimeoutError:
            run.status = "timeout"
        except DeadKernelError:
            run.status = "cancelled" if cancelled() else "dead"
        except asyncio.CancelledError:
            run.status = "cancelled"
        except Exception as e:
            run.status = "dead"
            res.message = f"{type(e).__name__}: {e}".splitlines()[0]
        run.duration_s = time.monotonic() - started
        cell = nbnode.cells[pos]
        run.outputs = _plain(list(cell.get("outputs", [])))
        run.execution_count = cell.get("execution_count")
        if run.status == "ok" and any(o.get("output_type") == "error" for o in run.outputs) and not allow_error:
            run.status = "error"
        if on_cell:
            on_cell(pos, "done")
        if run.status != "ok":
            res.status, res.stopped_at = run.status, pos
            if run.status == "timeout":
                await _interrupt_then_kill(kernel)
            break
    return res


async def _interrupt_then_kill(kernel: Kernel) -> None:
    try:
        await asyncio.wait_for(kernel.km.interrupt_kernel(), 3)
        await asyncio.sleep(0.2)
    except BaseException:
        pass
    await kernel.kill()
