"""Execution: fresh kernels in deterministic surroundings, cells run one by one.

Kernels are started by :mod:`jupyter_client` with cwd = the notebook's folder and
``PYTHONHASHSEED`` (the pinned seed or 0), ``TZ=UTC`` and the inline matplotlib backend;
cells run through :mod:`nbclient` (papermill's engine), on an in-memory copy.
A :class:`KernelPool` starts the next kernel while the current notebook runs, so kernel
start-up overlaps useful work.  A cell past its timeout is interrupted, then its kernel
is killed; a kernel that dies is reported with the cell it was running.  Every kernel
process is tracked so that cancellation (or Ctrl-C) leaves none behind.

On POSIX, kernels talk over IPC (Unix sockets in a private runtime folder, removed with the
kernel): no TCP port can be taken by another process between choosing it and the kernel binding
it, and no plaintext-TCP warning.  ``NBKIT_KERNEL_TRANSPORT=tcp`` (or Windows) uses TCP.  A kernel
that dies before it answers (e.g. it could not bind) is started again, up to ``START_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import MachineryError

# the kernels' processes and runtime folders (re-exported: the registry is shared)
from .kernelprocs import (  # noqa: F401
    _LIVE,
    _LIVE_LOCK,
    _RUNTIME_DIRS,
    TRANSPORT_ENV,
    _descendants,
    _kill_pid,
    _new_runtime_dir,
    _remove_runtime_dir,
    _runtime_base,
    kernel_transport,
    kill_all_kernels,
    remove_runtime_dirs,
)

# No IPYKERNEL_CELL_NAME: each cell keeps its own file name, as in IPython, so a traceback through a
# function an earlier cell defined shows that cell's source; the "cell-names" normaliser makes the
# names comparable.
KERNEL_ENV = {"TZ": "UTC", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
              "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
STARTUP_TIMEOUT = 60
START_ATTEMPTS = 2  # a kernel that dies before replying to kernel_info is started once more
class KernelStartError(MachineryError):
    """The kernel could not be started (after ``attempts`` tries)."""

    def __init__(self, message: str, attempts: int = 1, timed_out: bool = False):
        super().__init__(message)
        self.attempts = attempts
        self.timed_out = timed_out


@dataclass(frozen=True)
class KernelKey:
    """What makes two kernels interchangeable: the kernelspec, the folder and the hash seed."""

    name: str
    cwd: str
    seed: str = "0"
    pinned_seed: str = ""  # NBKIT_SEED for `%nbkit seed` without N ("" when nothing is pinned)
    spec_dir: str = ""     # a kernelspec folder of a pinned environment ("" = the installed kernelspecs)
    pythonpath: str = ""   # with spec_dir: the kernel's whole PYTHONPATH (nothing of ours leaks in)
    venv: str = ""         # with spec_dir: the pinned environment's folder, activated for the kernel


class Kernel:
    def __init__(self, key: KernelKey, km, kc, pid: int | None, pgid: int | None):
        self.key, self.km, self.kc, self.pid, self.pgid = key, km, kc, pid, pgid
        self._dead = False
        self.log: Any = None  # the temporary file that takes the kernel's stderr
        self.proc: Any = None  # the Popen, to reap it after the kill
        self.runtime_dir: str | None = None  # private folder of the connection file and sockets
        self.attempts = 1  # how many starts it took
        self.language_info: dict = {}  # the kernel's kernel_info_reply language_info (its Python version)

    async def kill(self) -> None:
        if self._dead:
            return
        self._dead = True
        # before the kernel dies (its orphans then lose their parent link): every process below it,
        # including children that left its process group (start_new_session=True, setsid)
        strays = _descendants(self.pid) if self.pid else []
        try:
            self.kc.stop_channels()
        except Exception:  # noqa: BLE001 - best-effort teardown; the signal below is what counts
            pass
        context = getattr(self.kc, "context", None)
        if context is not None and not getattr(self.kc, "_created_context", True):
            context.destroy(linger=0)  # ours (see _client_context): queued messages are freed
        try:
            await asyncio.wait_for(self.km.shutdown_kernel(now=True), 10)
        except BaseException:  # noqa: BLE001 - including cancellation: the kill must still happen
            pass
        if self.pid:
            _kill_pid(self.pid, self.pgid)
            await self._reap()
            with _LIVE_LOCK:
                _LIVE.pop(self.pid, None)
        for pid in strays:
            _kill_pid(pid, None)
        if self.log is not None:
            self.log.close()
        _remove_runtime_dir(self.runtime_dir)

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
    if key.spec_dir:  # a pinned environment: none of this interpreter's paths may reach it
        for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE"):
            env.pop(var, None)
        env["PYTHONNOUSERSITE"] = "1"
        if key.pythonpath:
            env["PYTHONPATH"] = key.pythonpath
        if key.venv:  # activated, as `source bin/activate` would: `!python` in a cell is the environment's
            env["VIRTUAL_ENV"] = key.venv
            scripts = os.path.join(key.venv, "Scripts" if os.name == "nt" else "bin")
            outer = env.get("PATH") or os.defpath
            guard = pip_guard_dir(os.path.dirname(key.venv), os.pathsep.join((scripts, outer)))
            env["PATH"] = os.pathsep.join((guard, scripts, outer) if guard else (scripts, outer))
    return env


# -- no installs from a pinned run -----------------------------------------------------------------
#
# A pinned environment has no pip (uv builds it without), so `!pip install x` in a cell would find
# the outer pip on PATH and install into the user's own environment; and `!uv pip install x` would
# install into the cached pinned environment itself (VIRTUAL_ENV points there), changing it for
# every later run.  The kernel's PATH starts with a folder of small scripts that refuse those.

_REFUSAL = ("nbkit: {what} is turned off in a pinned environment (verify --env pinned): the packages come "
            "from the notebook's pins (metadata.nbkit.environment); not run: {cmd} $*")


# uv's global options that take a value as the next argument (`--color never`)
_UV_VALUE_OPTIONS = ("--cache-dir", "--color", "--allow-insecure-host", "--directory", "--project", "--config-file",
                     "--python-preference", "--python-fetch")
_UV_SUBCOMMANDS = ("run", "init", "add", "remove", "version", "sync", "lock", "export", "tree", "format", "tool",
                   "python", "venv", "build", "publish", "cache", "self", "auth", "help", "generate-shell-completion")


def _guard_scripts(path: str) -> dict[str, str]:
    """The guard's scripts (name -> text): pip, pip3 and pip3.N refuse; uv runs the uv the kernel
    would find without the guard (on ``path``, else the uv Python package's) except for ``uv pip``."""
    # (printf, not echo: dash's echo reads backslashes in the arguments as escapes)
    refuse = "#!/bin/sh\nprintf '%s\\n' \"{msg}\" >&2\nexit 1\n"
    scripts = {name: refuse.format(msg=_REFUSAL.format(what="pip", cmd=name))
               for name in ("pip", "pip3", *(f"pip3.{minor}" for minor in range(8, 16)))}
    uv = shutil.which("uv", path=path)
    if uv is None:
        from ..environments import PinnedEnvError, find_uv

        try:
            uv = find_uv()
        except PinnedEnvError:
            uv = None
    if uv:
        import shlex

        msg = _REFUSAL.format(what="uv pip", cmd="uv")
        # the subcommand comes after uv's global options (`uv -q pip install x`, `uv --directory .
        # pip install x`): the known options that take a value skip it; any other word before a
        # known subcommand (the value of an option this list lacks) is read past, so only a known
        # subcommand other than pip lets the command through
        scripts["uv"] = ("#!/bin/sh\nskip=\nfor a in \"$@\"; do\n"
                         "  if [ -n \"$skip\" ]; then skip=; continue; fi\n"
                         "  case \"$a\" in\n"
                         f"    {'|'.join(_UV_VALUE_OPTIONS)}) skip=1 ;;\n"
                         f"    pip) printf '%s\\n' \"{msg}\" >&2; exit 1 ;;\n"
                         f"    {'|'.join(_UV_SUBCOMMANDS)}) break ;;\n"
                         "  esac\ndone\n"
                         f"exec {shlex.quote(os.path.abspath(uv))} \"$@\"\n")
    return scripts


def pip_guard_dir(root: str, path: str) -> str | None:
    """The guard folder for a pinned kernel's PATH, in front of ``path`` (made once under ``root``, the pinned
    environments' folder, named by its contents so a verify cache key sees a stable PATH), or
    None where it cannot be made (Windows, a read-only cache: the kernel then runs without it)."""
    import hashlib
    import json

    if os.name == "nt":
        return None
    scripts = _guard_scripts(path)
    digest = hashlib.sha256(json.dumps(scripts, sort_keys=True).encode()).hexdigest()[:12]
    folder = os.path.join(root, "_guard", digest)
    if os.path.isdir(folder):
        return folder
    try:
        os.makedirs(os.path.dirname(folder), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{digest}.", dir=os.path.dirname(folder))
        for name, text in scripts.items():
            script = os.path.join(tmp, name)
            with open(script, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(script, 0o755)
        os.chmod(tmp, 0o755)  # (mkdtemp makes it 0700: another user sharing the cache could not run it)
        try:
            os.rename(tmp, folder)  # atomic: another run made it meanwhile -> use theirs
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        return None
    return folder if os.path.isdir(folder) else None


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


async def start_kernel(key: KernelKey, startup_timeout: float = STARTUP_TIMEOUT,
                       attempts: int = START_ATTEMPTS) -> Kernel:
    """Launch a kernel and wait until it answers; raise KernelStartError otherwise.

    A kernel that dies before replying (it could not bind, it crashed at start-up) is started
    again with fresh connection info, up to ``attempts`` times; one that does not answer within
    ``startup_timeout`` is not (waiting again would only double the wait).
    """
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            kernel = await _start_once(key, startup_timeout)
        except KernelStartError as e:
            if e.timed_out or attempt == attempts:
                if attempt > 1:
                    raise KernelStartError(f"{e} (after {attempt} attempts)", attempt, e.timed_out) from None
                raise
            continue
        kernel.attempts = attempt
        return kernel
    raise AssertionError("unreachable")  # pragma: no cover


async def _start_once(key: KernelKey, startup_timeout: float) -> Kernel:
    from jupyter_client.manager import AsyncKernelManager

    base, transport = _runtime_base(kernel_transport())
    runtime_dir = _new_runtime_dir(base)
    extra_km = {}
    if key.spec_dir:
        from jupyter_client.kernelspec import KernelSpecManager

        extra_km["kernel_spec_manager"] = KernelSpecManager(kernel_dirs=[key.spec_dir], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name=key.name, transport=transport,
                            connection_file=os.path.join(runtime_dir, "kernel.json"), **extra_km)
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
        kc = km.client(context=_client_context())
        kc.start_channels()
        await kc.wait_for_ready(timeout=startup_timeout)
        kc.allow_stdin = False
        kernel = Kernel(key, km, kc, pid, pgid)
        kernel.log, kernel.proc, kernel.runtime_dir = log, proc, runtime_dir
        kernel.language_info = await _language_info(kc)
        if kernel.language_info.get("name") == "python" or key.name.startswith("python"):
            await _bound_stream_buffers(kc)
        return kernel
    except BaseException as e:
        failed = Kernel(key, km, kc or _NoClient(), pid, pgid)
        failed.proc, failed.runtime_dir = proc, runtime_dir
        await failed.kill()
        if isinstance(e, (asyncio.CancelledError, KeyboardInterrupt)):
            log.close()
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        tail = _last_line(log)
        log.close()
        timed_out = isinstance(e, (TimeoutError, asyncio.TimeoutError)) or "didn't respond" in msg
        raise KernelStartError(f"kernel {key.name!r} could not start ({msg})" + (f": {tail}" if tail else ""),
                               timed_out=timed_out) from None


async def _language_info(kc) -> dict:
    """The kernel's ``language_info`` (name, version) from a kernel_info request; {} when it does not say."""
    try:
        reply = await asyncio.wait_for(kc.kernel_info(reply=True, timeout=5), 6)
        info = reply.get("content", {}).get("language_info")
        return dict(info) if isinstance(info, dict) else {}
    except Exception:  # noqa: BLE001 - only the diagnosis reads it, as evidence
        return {}


# What a cell prints must cost the kernel and nbkit a bounded amount of memory, however much it
# prints (``while True: print(...)`` until the timeout).  Two things in the kernel grow with it:
# IPython (9+) keeps a copy of every write to stdout and stderr in its output history
# (``InteractiveShell._tee``), and ipykernel gathers 0.2 s of output into one message, which a
# flood fills with hundreds of MB that the kernel then copies into one JSON message and nbkit
# copies again to read it.  Run silently in each Python kernel before its cells (in a throw-away
# namespace: the notebook sees no name, no execution count, no history), this code turns the
# output-history copy off (verify kernels keep no history: ``hist_file=:memory:``) and makes a
# write flush the stream once its buffer passes STREAM_FLUSH_BYTES, the writer waiting for the
# send.  Past MAX_CELL_OUTPUT_BYTES in one cell (output nbkit counts and drops), the kernel sends
# no faster than PAST_CAP_BYTES_PER_S, so messages do not pile up in the kernel's send queue
# faster than nbkit reads them.  What the notebook prints is unchanged (the comparison joins
# consecutive stream outputs); a kernel without these internals is left as it is.
STREAM_FLUSH_BYTES = 1 << 20
PAST_CAP_BYTES_PER_S = 20 * 1024 * 1024  # a cell's output past MAX_CELL_OUTPUT_BYTES is paced to this
_BOUND_STREAMS = """
def _nbkit_bound_streams(limit, past, rate):
    import contextlib, sys
    from IPython.core.getipython import get_ipython
    shell = get_ipython()
    if shell is not None and callable(getattr(shell, "_tee", None)):
        shell._tee = lambda channel: contextlib.nullcontext()
    from ipykernel.iostream import OutStream
    if not isinstance(getattr(sys.stdout, "_buffers", None), dict):
        return
    write = getattr(OutStream, "_nbkit_write", OutStream.write)
    OutStream._nbkit_write = write
    import time
    def bounded_write(self, string, _write=write, _limit=limit):
        n = _write(self, string)
        try:
            pending = sum(b.tell() for b in list(self._buffers.values()))
            if pending <= _limit or not self._is_master_process():
                return n
            key = self.parent_header.get("msg_id")
            seen = getattr(self, "_nbkit_sent", (None, 0))
            sent = (seen[1] if seen[0] == key else 0) + pending
            self._nbkit_sent = (key, sent)
        except Exception:
            return n
        self.flush()
        if sent > past:  # nbkit drops this output anyway: send it no faster than nbkit reads it
            time.sleep(pending / rate)
        return n
    OutStream.write = bounded_write
    for stream in (sys.stdout, sys.stderr):  # the write a _tee put back on the instance, if any
        if isinstance(stream, OutStream) and "write" in vars(stream):
            del stream.write
try:
    _nbkit_bound_streams(%d, %d, %d)
except Exception:
    pass
"""


async def _bound_stream_buffers(kc, timeout: float = 10.0) -> None:
    """Install the stream bound in a started Python kernel (silent: no execution count, no
    history, no output); a kernel that does not answer in ``timeout`` is used as it is.  The code
    runs twice: IPython's ``_tee``, active during the first run, puts the stream's original
    ``write`` back on exit; the second run, without it, removes that."""
    code = _BOUND_STREAMS % (STREAM_FLUSH_BYTES, MAX_CELL_OUTPUT_BYTES, PAST_CAP_BYTES_PER_S)
    code = f"exec({code!r}, {{}})"
    try:
        kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            reply = await kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return
    except Exception:  # noqa: BLE001 - an optimisation: a kernel without it still runs the notebook
        return


def _last_line(fh) -> str:
    try:
        fh.seek(0)
        lines = [ln for ln in fh.read().decode("utf-8", "replace").splitlines()
                 if ln.strip() and "without encryption" not in ln]
        return lines[-1].strip()[:300] if lines else ""
    except (OSError, ValueError):
        return ""


RECEIVE_QUEUE_MESSAGES = 16


def _client_context():
    """A ZeroMQ context for one kernel client whose sockets queue at most a few messages: an
    output flood waits in the kernel instead of piling up, decoded, in nbkit."""
    import zmq
    import zmq.asyncio

    ctx = zmq.asyncio.Context()
    ctx.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE_MESSAGES)
    return ctx


class _NoClient:
    def stop_channels(self):
        pass


class KernelPool:
    """Kernels started ahead of need, keyed by :class:`KernelKey`; at most ``limit`` spare."""

    def __init__(self, limit: int = 1, startup_timeout: float = STARTUP_TIMEOUT, attempts: int = START_ATTEMPTS):
        self.limit = max(0, limit)
        self.startup_timeout = startup_timeout
        self.attempts = attempts
        self._spare: dict[KernelKey, list[asyncio.Task]] = {}
        self._live: set[Kernel] = set()
        self.closed = False

    def _spare_count(self) -> int:
        return sum(len(v) for v in self._spare.values())

    def prefetch(self, key: KernelKey) -> bool:
        if self.closed or self._spare_count() >= self.limit:
            return False
        task = asyncio.ensure_future(start_kernel(key, self.startup_timeout, self.attempts))
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
            kernel = await start_kernel(key, self.startup_timeout, self.attempts)
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
    status: str = "ok"  # ok | error | timeout | dead | cancelled | unsendable
    execution_count: int | None = None
    duration_s: float = 0.0
    dropped_bytes: int = 0  # output past the caps: counted, not kept
    reason: str = ""  # why a cell could not run at all (status "unsendable")
    stored_error: bool = False  # it raised the very error its stored output shows (not a failure)


def unsendable_reason(source) -> str | None:
    """Why a cell's source cannot be sent to a kernel (None: it can).  Jupyter messages are UTF-8
    JSON, so a lone surrogate (``\\ud800``, valid in a Python str but not in Unicode text) cannot
    travel: sending it would fail inside the client and look like a dead kernel."""
    text = source if isinstance(source, str) else "".join(s for s in source if isinstance(s, str)) \
        if isinstance(source, list) else ""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as e:
        line = text.count("\n", 0, e.start) + 1
        return (f"it contains a lone surrogate ({ascii(text[e.start])[1:-1]} on line {line}), which is not "
                "Unicode text; replace it with the character meant")


MAX_CELL_OUTPUT_BYTES = 10 * 1024 * 1024       # what verify keeps of one cell's output
MAX_NOTEBOOK_OUTPUT_BYTES = 100 * 1024 * 1024  # ... and of a whole notebook's
FLOOD_FACTOR = 10  # a cell whose dropped output passes 10x its cap is interrupted: an endless flood


class OutputCaps:
    """Bytes of output kept per cell and per notebook; the rest is counted and dropped, so an
    endless flood neither grows nbkit's memory nor slows the loop that drains the kernel."""

    def __init__(self, max_cell: int, max_notebook: int):
        self.max_cell, self.max_notebook = max_cell, max_notebook
        self.kept: dict[int, int] = {}
        self.dropped: dict[int, int] = {}
        self.total = 0
        self.flooding: int | None = None  # the cell whose output is an endless flood

    def limit_for(self, pos: int) -> int:
        return min(self.max_cell, self.max_notebook)

    def admit(self, pos: int, size: int) -> int:
        """How many of ``size`` bytes of new output for the cell at ``pos`` may be kept (the rest
        is counted as dropped); once a cell has dropped output, nothing more of it is kept."""
        room = 0 if self.dropped.get(pos) else max(0, min(self.max_cell - self.kept.get(pos, 0),
                                                         self.max_notebook - self.total))
        keep = min(size, room)
        self.kept[pos] = self.kept.get(pos, 0) + keep
        self.total += keep
        if keep < size:
            self.dropped[pos] = self.dropped.get(pos, 0) + size - keep
            if self.flooding is None and self.dropped[pos] > FLOOD_FACTOR * self.limit_for(pos):
                self.flooding = pos
        return keep


def _output_size(msg: dict) -> int:
    content = msg.get("content") or {}
    if "text" in content:
        return len(content["text"])
    data = content.get("data")
    if isinstance(data, dict):
        return sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
    return len(str(content.get("traceback", ""))) + len(str(content.get("evalue", "")))


_CAPPED: dict[type, type] = {}


def _capped_client(base: type) -> type:
    """nbclient's NotebookClient with per-cell and per-notebook output caps (made once)."""
    if base not in _CAPPED:
        class CappedClient(base):
            nbkit_caps: OutputCaps

            def output(self, outs, msg, display_id, cell_index):
                if msg.get("msg_type") in ("stream", "display_data", "execute_result", "error"):
                    caps = self.nbkit_caps
                    size = _output_size(msg)
                    keep = caps.admit(cell_index, size)
                    if keep < size:
                        if caps.flooding == cell_index and not getattr(self, "nbkit_stopped", False):
                            # stop the flood at once: an interrupt lets ipykernel flush its whole
                            # backlog as one huge message, so the kernel is killed instead
                            self.nbkit_stopped = True
                            self.nbkit_on_flood()
                        if not (keep and msg["msg_type"] == "stream"):
                            return None
                        msg = {**msg, "content": {**msg["content"], "text": msg["content"]["text"][:keep]}}
                return super().output(outs, msg, display_id, cell_index)

        _CAPPED[base] = CappedClient
    return _CAPPED[base]


@dataclass
class RunResult:
    cells: dict = field(default_factory=dict)  # position in the executed copy -> CellRun
    status: str = "ok"  # ok | error | timeout | dead | cancelled | unsendable | machinery
    stopped_at: int | None = None  # position of the cell that stopped the run
    message: str = ""
    language_info: dict = field(default_factory=dict)  # the kernel's (see Kernel.language_info)

    def before(self, position: int | None) -> RunResult:
        """This run as if it had ended before the cell at ``position`` (None: the whole run).  A
        confirming run started while run 1 still ran may have gone past the cell where run 1 then
        stopped; what it did from there on is not used."""
        if position is None or (self.stopped_at is not None and self.stopped_at < position):
            return self
        cells = {p: c for p, c in self.cells.items() if p < position}
        return RunResult(cells, "error" if any(c.status == "error" for c in cells.values()) else "ok",
                         language_info=self.language_info)


def _plain(o):
    """NotebookNode -> plain dicts/lists."""
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


async def run_cells(kernel: Kernel, nbnode, positions: list[int], timeout: float | None,
                    allow_errors: frozenset[int] = frozenset(), on_cell=None, cancelled=lambda: False,
                    max_cell_bytes: int = MAX_CELL_OUTPUT_BYTES,
                    max_notebook_bytes: int = MAX_NOTEBOOK_OUTPUT_BYTES, stop_on_error: bool = True,
                    on_result=None, until=None,
                    reproduces_error: Callable[[int, list], bool] | None = None) -> RunResult:
    """Execute the code cells at ``positions`` of ``nbnode`` in order, stopping at the first
    error, except in cells whose position is in ``allow_errors`` (``raises-exception``) and in
    cells for which ``reproduces_error(position, outputs)`` says the error is the one their stored
    output shows (``CellRun.stored_error``).  ``stop_on_error`` False: an error does not stop the
    run (a timeout or a dead kernel does); the run's status is that of its first failed cell.
    ``on_result(pos, cell_run)`` hears each cell that ended; ``until()``, asked before each cell,
    is a position the run ends before (None: no limit yet)."""
    import math

    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = _capped_client(NotebookClient)(
        nbnode, km=kernel.km, timeout=int(math.ceil(timeout)) if timeout else None, allow_errors=True,
        interrupt_on_timeout=False, raise_on_iopub_timeout=False, iopub_timeout=4, record_timing=False,
        kernel_name=kernel.key.name, resources={"metadata": {"path": kernel.key.cwd}}, coalesce_streams=False)
    client.kc = kernel.kc
    client.nbkit_caps = OutputCaps(max_cell_bytes, max_notebook_bytes)
    client.nbkit_on_flood = lambda: _kill_pid(kernel.pid, kernel.pgid) if kernel.pid else None
    res = RunResult()
    for pos in positions:
        if cancelled():
            res.status, res.stopped_at, res.message = "cancelled", pos, "cancelled"
            break
        limit = until() if until else None
        if limit is not None and pos >= limit:
            break
        cell = nbnode.cells[pos]
        allow_error = pos in allow_errors
        if on_cell:
            on_cell(pos, "running")
        run = CellRun()
        res.cells[pos] = run
        started = time.monotonic()
        reason = unsendable_reason(cell.get("source", ""))
        if reason:  # say what happened: the cell never reached the kernel, which is alive
            run.status, run.reason = "unsendable", reason
            res.status, res.stopped_at, res.message = "unsendable", pos, reason
            if on_cell:
                on_cell(pos, "done")
            break
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
        run.dropped_bytes = client.nbkit_caps.dropped.get(pos, 0)
        if run.dropped_bytes:
            flood = client.nbkit_caps.flooding == pos
            run.outputs.append({"output_type": "stream", "name": "stderr", "text": (
                f"\n[nbkit: output truncated at {client.nbkit_caps.limit_for(pos) / 2**20:g} MB; "
                f"{run.dropped_bytes / 2**20:.0f} MB more were dropped"
                + ("; the output did not stop, so the kernel was stopped" if flood else "") + "]\n")})
            if flood and run.status in ("ok", "dead"):
                run.status = "error"
        run.execution_count = cell.get("execution_count")
        if run.status == "ok" and any(o.get("output_type") == "error" for o in run.outputs) and not allow_error:
            if reproduces_error is not None and reproduces_error(pos, run.outputs):
                run.stored_error = True
            else:
                run.status = "error"
        if on_cell:
            on_cell(pos, "done")
        if on_result:
            on_result(pos, run)
        if run.status == "error" and not stop_on_error:
            if res.status == "ok":
                res.status = "error"
            continue
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
