"""The work behind nbkit's REST API: one :class:`NbkitService` per server.

Handlers (``handlers.py``) only parse requests and await the service.  The service

- resolves API paths through the contents manager's root and refuses anything outside it;
- lints in a small thread pool, so the server's event loop never waits for a rule; the pool is
  shared fairly (``lintqueue.py``): a large notebook never holds every thread, and notebooks
  take turns, so a small lint never waits for a big one to finish;
- runs verify jobs on background threads, at most ``max_verify_jobs`` at once (the rest wait
  in a bounded queue), each cancellable, and drops finished jobs ``job_ttl_seconds`` later;
- pins notebooks (writes ``metadata.nbkit.environment``) off the event loop.

Problems are raised as :class:`ServiceError` (an HTTP status and one line for the panel) or as
:class:`nbkit.errors.NbkitError`; the base handler maps both to a JSON ``{"message": ...}``.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import json
import os
import re
import sys
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from traitlets import Bool, Dict, Float, Int, default
from traitlets.config import LoggingConfigurable

from ..errors import NbkitError
from ..verify.events import VerifyEvents
from .lintqueue import FairQueue
from .parsecache import ParseCache
from .policycheck import TeamPolicy
from .paths import ResolvedPath, ServiceError, resolve_path

if TYPE_CHECKING:
    from ..analysis import Facts
    from ..requests import LintRequest, PinRequest

JOB_STATES = ("queued", "running", "done", "cancelled", "error")
FINISHED = ("done", "cancelled", "error")


# -- verify jobs ---------------------------------------------------------------------------------

@dataclass
class Job:
    id: str
    path: ResolvedPath
    parameters: dict
    timeout: float | None  # None: the project's [tool.nbkit.verify] timeout, else default_timeout
    stamp: bool = False
    runs: int | str | None = None  # None: [tool.nbkit.verify] runs, else "auto"
    env: str | None = None  # "current" | "pinned"; None: the project's [tool.nbkit.verify] env
    state: str = "queued"
    progress: dict = field(default_factory=lambda: {"cells": 0, "done": 0, "current": None})
    report: dict | None = None
    message: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def to_dict(self) -> dict:
        out = {
            "job": self.id,
            "path": self.path.api,
            "state": self.state,
            "progress": dict(self.progress),
            "created": _iso(self.created),
            "started": _iso(self.started),
            "finished": _iso(self.finished),
        }
        if self.cancel.is_set() and self.state == "running":
            out["cancelling"] = True  # asked to stop; the kernel is being shut down
        if self.message:
            out["message"] = self.message
        if self.report is not None:
            out["report"] = self.report
        return out


class _JobProgress(VerifyEvents):
    """A job's ``progress`` (code cells, cells done, the cell running), kept from verify events;
    every event also counts as server activity (``touch``)."""

    def __init__(self, job: Job, touch):
        self.job, self.touch = job, touch

    def on_plan(self, total: int) -> None:
        self.touch()

    def on_notebook_start(self, path: str, cells: int) -> None:
        self.touch()
        self.job.progress["cells"] = cells

    def on_cell(self, path: str, index: int, state: str, run: int) -> None:
        self.touch()
        if state == "running":
            self.job.progress["current"] = index
        elif state == "done" and run == 1:  # a confirming run (--runs auto) re-runs cells already counted
            self.job.progress["done"] += 1

    def on_notebook_end(self, result) -> None:
        self.touch()
        self.job.progress["current"] = None


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


_SERVICES: weakref.WeakSet[NbkitService] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:  # pragma: no cover - runs at interpreter exit
    for service in list(_SERVICES):
        service.shutdown(wait=5.0)


# -- the service ---------------------------------------------------------------------------------

class NbkitService(LoggingConfigurable):
    """nbkit's server-side work.  Configure it in ``jupyter_server_config.py``::

        c.NbkitService.max_verify_jobs = 2
        c.NbkitService.default_timeout = 300
    """

    max_verify_jobs = Int(1, config=True, help=(
        "How many verify jobs may run at once (each runs one kernel). Further jobs wait in a queue."))
    max_queued_jobs = Int(16, config=True, help=(
        "How many verify jobs may wait in the queue; beyond that, new jobs are refused with 429."))
    default_timeout = Float(600.0, config=True, help=(
        "Per-cell timeout in seconds for verify jobs that do not set one (0 or less: no timeout)."))
    max_timeout = Float(3600.0, config=True, help=(
        "The largest per-cell timeout (seconds) a request may ask for."))
    job_ttl_seconds = Float(3600.0, config=True, help=(
        "How long a finished verify job (done, cancelled or failed) stays available, in seconds."))
    max_body_bytes = Int(16 * 1024 * 1024, config=True, help=(
        "The largest request body nbkit's routes accept, in bytes (an unsaved notebook sent for lint). "
        "A larger Content-Length is refused before the body is read; bodies are parsed off the event "
        "loop. The server's own limit (ServerApp.max_body_size, 512 MB) still applies to other routes."))
    lint_workers = Int(help=(
        "Threads that run lint, pin and policy checks off the event loop (lint is CPU-bound: about "
        "one per core). Further requests wait in a queue, served fairly: see large_notebook_bytes.")).tag(config=True)
    large_notebook_bytes = Int(256 * 1024, config=True, help=(
        "A lint or policy check of a notebook at least this large (its file, or the unsaved JSON sent) "
        "runs on at most lint_workers - 1 threads at once, so smaller notebooks always have a thread "
        "and never wait for a large one to finish. Pins count as large."))
    parse_cache_notebooks = Int(64, config=True, help=(
        "For how many notebooks lint keeps the parsed cells of the last request, so the next lint of "
        "the same notebook parses only the cells that changed (0 turns it off); fewer when they hold "
        "more than parse_cache_cells code cells in all."))
    parse_cache_cells = Int(12000, config=True, help=(
        "At most this many parsed code cells are kept across notebooks (least recently linted "
        "notebooks dropped first; 0: no limit but parse_cache_notebooks). About 6 KB each: the default "
        "holds 50 open notebooks of 200 cells (a burst of 50 panels re-linting after an edit parses one "
        "cell each; with fewer cells kept than that, the least-recently-used order drops every notebook "
        "before its next lint and each lint parses every cell again). The syntax trees are what a full "
        "garbage collection walks: more of them lengthens those (rare) pauses."))
    freeze_startup_heap = Bool(True, config=True, help=(
        "Once the server has started, move the objects alive then (modules, classes, configuration: the "
        "server's long-lived heap) out of the cyclic garbage collector's way (gc.freeze). Full "
        "collections then stop walking them, which roughly halves lint's p95 latency in a Jupyter "
        "server. Turn it off if something relies on collecting reference cycles created at start-up."))
    hold_collector_during_lint = Bool(True, config=True, help=(
        "Hold the cyclic garbage collector off while a lint, pin or policy check runs (process-wide, at "
        "most about 2 s at a stretch): a lint's temporary objects then die by reference counting instead "
        "of triggering full collections of the whole server, which otherwise hit the p95 latency of "
        "lints of new notebooks (measured 335-551 ms instead of 98-111 ms)."))
    freeze_after_lint = Bool(True, config=True, help=(
        "After a lint, pin or policy check, when no other one runs, collect what was made since the last "
        "one and move the survivors (the parse cache's new syntax trees among them) out of the cyclic "
        "garbage collector's way (gc.freeze): full collections then stop walking the parse cache, which "
        "otherwise paused the whole server for 0.6-1.4 s about every 10 s while a verify job ran. Needs "
        "hold_collector_during_lint. See full_collection_seconds."))
    full_collection_seconds = Float(900.0, config=True, help=(
        "With freeze_after_lint: at most this often, after a lint when no other lint is waiting, unfreeze "
        "and collect everything (a pause of about a second with a full parse cache), so that reference "
        "cycles that died after being frozen are freed and memory stays bounded; when lints keep "
        "waiting, at twice this interval anyway. 0: after every lint."))
    drift_cache_seconds = Float(60.0, config=True, help=(
        "How long lint re-uses the installed package versions it compares a pinned environment with."))
    policy = Dict(config=True, help=(
        "The team policy every notebook saved through this server is checked against (the keys of "
        "[tool.nbkit.policy]: required-sections, require-pinned-environment, require-seed, "
        "max-severity-on-save). It is the default: a project's [tool.nbkit.policy] overrides the keys it "
        "sets. Empty (the default) and no [tool.nbkit.policy]: no policy, nothing checked on save."))
    policy_wait_seconds = Float(30.0, config=True, help=(
        "How long GET policy waits for the check of a save still running before it checks the file itself."))
    cancel_wait_seconds = Float(15.0, config=True, help=(
        "How long DELETE verify/<job> waits for a running job to stop and its kernel to die."))

    @default("lint_workers")
    def _default_lint_workers(self) -> int:
        return max(2, min(4, os.cpu_count() or 2))

    def __init__(self, root_dir: str, allow_hidden: bool = False, kernel_spec_manager=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_spec_manager = kernel_spec_manager
        self.activity_settings: dict | None = None  # the web app's settings, for *_last_activity
        self.root_dir = os.path.realpath(root_dir)
        self._root_prefixes = _root_prefixes(root_dir, self.root_dir)
        self.allow_hidden = allow_hidden
        from .gchold import CollectorHold

        self.lint_queue = FairQueue(self.lint_workers, name="nbkit-lint",
                                    hold=CollectorHold(freeze=self.freeze_after_lint,
                                                      full_every=self.full_collection_seconds)
                                    if self.hold_collector_during_lint else None)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._queue: collections.deque[Job] = collections.deque()
        self._running = 0
        self._drift_cache: dict = {}
        from ..pin.data import HashCache

        self._hashes = HashCache()  # the data pins' file hashes, by size and mtime
        self._parse_cache = ParseCache(self.parse_cache_notebooks, self.parse_cache_cells)
        self.team_policy = TeamPolicy(self)  # checks on save, verdicts for GET policy
        _SERVICES.add(self)

    # -- helpers --------------------------------------------------------------------------------
    def too_large(self, size: int) -> str:
        return (f"request body too large ({size} bytes; the limit is {self.max_body_bytes}, "
                "NbkitService.max_body_bytes)")

    async def parse_body(self, raw: bytes, required: tuple[str, ...] = ("path",)) -> dict:
        """A request body's JSON object, parsed and checked off the event loop (400s say why)."""
        return await self._off_loop(parse_body, raw, required)

    def scrub(self, value: Any) -> Any:
        """``value`` (a reply, a message) with the server's file-system paths made relative to its
        root: the root's own path and its parents' never reach a client."""
        if isinstance(value, str):
            return _scrub_text(value, self._root_prefixes) if os.sep in value else value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value

    def resolve(self, api_path: Any, **kw) -> ResolvedPath:
        return resolve_path(api_path, self.root_dir, allow_hidden=self.allow_hidden, **kw)

    async def _off_loop(self, fn, *args, large: bool = False, client: str = ""):
        """``fn(*args)`` in the lint queue; ``client`` (a notebook's API path) takes turns with the
        other clients, ``large`` work never holds every thread."""
        return await asyncio.wrap_future(self.lint_queue.submit(fn, *args, large=large, client=client))

    def _is_large(self, rp: ResolvedPath, size: int | None = None) -> bool:
        """Whether lint of this notebook is large work: ``size`` bytes of unsaved JSON, else its file's size."""
        if size is None:
            try:
                size = os.stat(rp.os_path).st_size
            except OSError:
                return False
        return size >= self.large_notebook_bytes

    def _config_for(self, os_path: str):
        """The [tool.nbkit] configuration for a notebook's folder (the core's cache)."""
        from ..config import load_cached

        return load_cached(os.path.dirname(os_path))

    def _api_message(self, e: NbkitError, rp: ResolvedPath) -> str:
        """An error line with server paths shown relative to the root."""
        path = e.path
        if path:
            real = os.path.realpath(path)
            if real == os.path.realpath(rp.os_path):
                path = rp.api
            elif real.startswith(self.root_dir + os.sep):
                path = os.path.relpath(real, self.root_dir).replace(os.sep, "/")
            else:
                path = os.path.basename(path)
            return self.scrub(f"{path}: {e.message}")
        return self.scrub(e.message)

    # -- lint -----------------------------------------------------------------------------------
    async def lint(self, api_path: Any, content: Any = None, profile: Any = None, ignore: Any = None,
                   size: int | None = None) -> dict:
        """Lint a saved notebook, or the unsaved JSON ``content`` (``size``: its bytes in the request)."""
        from ..requests import LintRequest

        request = _request(LintRequest.from_raw, content=content, profile=profile, ignore=ignore)
        rp = self.resolve(api_path, must_exist=content is None)
        large = self._is_large(rp, size if content is not None else None)
        return await self._off_loop(self._lint_sync, rp, request, large=large, client=rp.api)

    def _lint_sync(self, rp: ResolvedPath, request: LintRequest) -> dict:
        from ..requests import lint_one

        try:
            cfg = self._config_for(rp.os_path)
        except NbkitError as e:
            raise ServiceError(400, self._api_message(e, rp)) from None
        done = lint_one(request.at(rp.os_path, cfg), parse_cache=self._parse_cache.for_notebook(rp.os_path))
        if done.notebook is None or done.facts is None:
            raise ServiceError(400, self._api_message(done.result.errors[0], rp))
        nb, facts, result, content = done.notebook, done.facts, done.result, request.content
        for f in result.findings:
            f.path = rp.api
            f.message = self.scrub(f.message)  # suggested commands name the API path, not the server's
        result.paths = [rp.api]
        out = result.to_dict()
        out["status"] = self._panel_status(nb, facts, rp, cfg, saved=content is None)
        try:
            verdict = self.team_policy.verdict_of(request.at(rp.os_path, cfg), done, rp)
            if verdict["configured"] or verdict["error"]:
                out["status"]["policy"] = self.scrub(verdict)
        except Exception:  # noqa: BLE001 - the lint reply stands without the policy (GET policy says why)
            self.log.exception("nbkit: the policy check of %s failed", rp.api)
        return out

    def _panel_status(self, nb, facts: Facts, rp: ResolvedPath, cfg, *, saved: bool) -> dict:
        """The lint reply's ``status`` (lint-reply.schema.json): the layout checklist and the
        reproducibility status the panel shows besides the findings."""
        meta = nb.nbkit_metadata
        env = meta.get("environment")
        pinned = isinstance(env, dict) and bool(env)
        seed, verified = meta.get("seed"), meta.get("verified")
        return {
            "path": rp.api,
            "saved": saved,
            "layout": facts.layout(cfg.layout_aliases or None).checklist(),  # the rules' analysis
            "pinned": pinned,
            "environment": env if isinstance(env, dict) else None,
            "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            "verified": verified if isinstance(verified, dict) else None,
            "drift": self._drift(env, nb.metadata) if pinned else [],
            "data": self._data_summary(nb, facts),
        }

    def _data_summary(self, nb, facts: Facts) -> dict | None:
        """The data pins against the files now: {"pinned", "changed", "missing"}; None when the
        notebook pins no data (or its pins are malformed).  File hashes are cached by size and
        mtime, so an unchanged input is hashed once per server."""
        from ..pin.data import check_data, pinned_data

        if pinned_data(nb) is None:
            return None
        try:
            return check_data(nb, new=False, facts=facts, hashes=self._hashes).summary()
        except (OSError, ValueError) as e:
            self.log.warning("nbkit: cannot check the data pins of %s: %s", nb.path, e)
            return None

    def _drift(self, env: dict, metadata: dict) -> list[dict] | None:
        """Pinned packages whose version differs in the notebook kernel's environment, as the reply
        shows them (None: unknown).  Installed versions are cached for ``drift_cache_seconds``."""
        from ..pin import environment_drift
        from ..pin.capture import installed_versions

        packages = env.get("packages")
        if not isinstance(packages, dict):
            return []
        names = tuple(sorted(k for k, v in packages.items() if isinstance(k, str) and isinstance(v, str)))
        python = self._kernel_python(metadata)
        key = (python, names)
        now = time.monotonic()
        hit = self._drift_cache.get(key)
        if hit is None or now - hit[0] > self.drift_cache_seconds:
            try:
                hit = (now, installed_versions(list(names), python))
            except NbkitError as e:
                self.log.warning("nbkit: cannot read the installed versions for drift: %s", e)
                return None
            if len(self._drift_cache) > 64:
                self._drift_cache.clear()
            self._drift_cache[key] = hit
        return [d.to_dict() for d in environment_drift(env, hit[1])]

    # -- team policy (nbkit/server/policycheck.py) -----------------------------------------------
    def on_save(self, model: Any = None, os_path: Any = None, contents_manager: Any = None, **kw: Any) -> None:
        """The contents manager's post-save hook (see :meth:`TeamPolicy.on_save`)."""
        self.team_policy.on_save(model, os_path, contents_manager, **kw)

    async def policy_verdict(self, api_path: Any) -> dict:
        """GET policy (see :meth:`TeamPolicy.verdict`)."""
        return await self.team_policy.verdict(api_path)

    # -- catalogue and template -------------------------------------------------------------------
    def rules(self) -> dict:
        from ..requests import rules_catalogue

        return rules_catalogue(docs=True)

    def template(self) -> dict:
        from ..template import template_cells

        return {"cells": template_cells()}

    # -- pin ------------------------------------------------------------------------------------
    async def pin(self, api_path: Any, seed: Any = None) -> dict:
        from ..requests import PinRequest

        request = _request(PinRequest.from_raw, (), seed=seed, seed_name="'seed'")
        rp = self.resolve(api_path)
        return await self._off_loop(self._pin_sync, rp, request, large=True, client=rp.api)

    def _kernel_python(self, metadata: dict) -> str | None:
        """The interpreter of the notebook's kernel when it is not the server's own (else None):
        pin records, and drift compares with, the environment the notebook runs in."""
        import shutil

        ksm = self.kernel_spec_manager
        if ksm is None:
            return None
        try:
            ks = metadata.get("kernelspec") if isinstance(metadata, dict) else None
            name = (ks.get("name") if isinstance(ks, dict) else None) or \
                getattr(ksm, "default_kernel_name", "python3")
            spec = ksm.get_kernel_spec(name)
        except Exception:  # noqa: BLE001 - unknown kernel, unreadable file: pin reports the file itself
            return None
        if (spec.language or "").lower() != "python" or not spec.argv:
            return None
        exe = spec.argv[0]
        exe = exe if os.sep in exe else (shutil.which(exe) or exe)
        if not os.path.isfile(exe) or os.path.realpath(exe) == os.path.realpath(sys.executable):
            return None
        return exe

    def _pin_sync(self, rp: ResolvedPath, request: PinRequest) -> dict:
        from ..requests import run_pin

        try:
            with open(rp.os_path, "rb") as fh:
                metadata = json.loads(fh.read()).get("metadata", {})
        except (OSError, ValueError, AttributeError):
            metadata = {}  # pinning reports an unreadable notebook itself
        python = self._kernel_python(metadata)
        try:
            (report,) = run_pin(request.at(rp.os_path, python))
            if report.error is not None:
                raise report.error
        except NbkitError as e:
            raise ServiceError(400 if e.exit_code == 2 else 500, self._api_message(e, rp)) from None
        return {"path": rp.api, "nbkit": report.outcome.nbkit}

    # -- verify ---------------------------------------------------------------------------------
    def start_verify(self, api_path: Any, parameters: Any = None, timeout: Any = None, stamp: Any = False,
                     runs: Any = None, env: Any = None) -> Job:
        from ..errors import RequestError
        from ..verify.request import check_env, check_parameter_names, check_runs, check_timeout

        try:
            parameters = check_parameter_names(parameters)
            env = None if env is None else check_env(env)
            # None: [tool.nbkit.verify] timeout of the notebook's project, else default_timeout;
            # 0 (no timeout) is not for REST clients: max_timeout bounds every job
            timeout = check_timeout(timeout, allow_zero=False, maximum=self.max_timeout)
            runs = None if runs is None else check_runs(runs)
        except RequestError as e:
            hint = " (NbkitService.max_timeout)" if (e.problem or "").startswith("may be at most") else ""
            raise ServiceError(400, e.message_for(f"'{e.field}'") + hint) from None
        if not isinstance(stamp, bool):
            raise ServiceError(400, "'stamp' must be true or false")
        rp = self.resolve(api_path)
        self._check_verify_config(rp)
        self._prune()
        with self._lock:
            if len(self._queue) >= self.max_queued_jobs:
                raise ServiceError(429, f"{len(self._queue)} verify jobs are already waiting; try again later")
            job = Job(id=uuid.uuid4().hex, path=rp, parameters=parameters, timeout=timeout, stamp=stamp, runs=runs,
                      env=env)
            self._jobs[job.id] = job
            self._queue.append(job)
        self.log.info("nbkit: verify job %s queued for %s", job.id, rp.api)
        self._pump()
        return job

    def _check_verify_config(self, rp: ResolvedPath) -> None:
        """A bad ``[tool.nbkit]`` (or ``[tool.nbkit.verify]``) is a 400 now, as for lint, not a
        job that fails later."""
        from ..verify.settings import settings_from_config

        try:
            settings_from_config(self._config_for(rp.os_path))
        except NbkitError as e:
            raise ServiceError(400, self._api_message(e, rp)) from None

    def get_job(self, job_id: str) -> Job:
        self._prune()
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ServiceError(404, f"no verify job {job_id!r} (unknown, or finished more than "
                                    f"{self.job_ttl_seconds:g} s ago)")
        return job

    def jobs(self) -> list[Job]:
        self._prune()
        with self._lock:
            return list(self._jobs.values())

    async def cancel_job(self, job_id: str) -> Job:
        job = self.get_job(job_id)
        with self._lock:
            if job.state == "queued":
                try:
                    self._queue.remove(job)
                except ValueError:
                    pass
                self._finish(job, "cancelled", "cancelled before it started")
                return job
            if job.state in FINISHED:
                return job
            job.cancel.set()
        # wait (without blocking the loop) until the thread has stopped and killed the kernel
        deadline = time.monotonic() + self.cancel_wait_seconds
        while not job.finished_event.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return job

    def _finish(self, job: Job, state: str, message: str | None = None) -> None:
        job.state = state
        if message:
            job.message = message
        job.finished = time.time()
        job.finished_event.set()

    def _prune(self) -> None:
        cutoff = time.time() - self.job_ttl_seconds
        with self._lock:
            for jid in [j.id for j in self._jobs.values() if j.finished is not None and j.finished < cutoff]:
                del self._jobs[jid]

    def _pump(self) -> None:
        with self._lock:
            while self._running < max(1, self.max_verify_jobs) and self._queue:
                job = self._queue.popleft()
                if job.state != "queued":
                    continue
                job.state = "running"
                job.started = time.time()
                self._running += 1
                job.thread = threading.Thread(target=self._run_job, args=(job,), daemon=True,
                                              name=f"nbkit-verify-{job.id[:8]}")
                job.thread.start()

    def _touch(self) -> None:
        """Running verify jobs count as server activity (idle culling must not stop them)."""
        if self.activity_settings is not None:
            from datetime import datetime

            self.activity_settings["nbkit_last_activity"] = datetime.now(UTC)

    def _run_job(self, job: Job) -> None:
        try:
            from ..verify import VerifyOptions, VerifyRequest, run

            cfg = self._config_for(job.path.os_path)
            timeout = job.timeout
            if timeout is None and "timeout" not in cfg.verify:
                timeout = max(0.0, self.default_timeout)  # 0: no timeout
            options = VerifyOptions(timeout=timeout, parameters=job.parameters, config=cfg, stamp=job.stamp,
                                    runs=job.runs, env=job.env)
            request = VerifyRequest.build([job.path.os_path], options, discover=False)
            result = run(request, events=_JobProgress(job, self._touch), cancel=job.cancel)
            # images=True: mismatching images as base64 PNG (expected, actual, diff) for the panel
            report = self.scrub(_relativise(result.to_dict(images=True), job.path))
            with self._lock:
                job.report = report
                if job.cancel.is_set():
                    self._finish(job, "cancelled", "cancelled; the kernel was shut down")
                else:
                    self._finish(job, "done")
        except NbkitError as e:
            with self._lock:
                self._finish(job, "cancelled" if job.cancel.is_set() else "error", self._api_message(e, job.path))
        except Exception as e:  # a failing job must not take the server down
            self.log.exception("nbkit: verify job %s failed", job.id)
            with self._lock:
                self._finish(job, "cancelled" if job.cancel.is_set() else "error",
                             self.scrub(f"internal error: {type(e).__name__}: {e}"))
        finally:
            self._touch()
            with self._lock:
                self._running -= 1
                if not job.finished_event.is_set():
                    self._finish(job, "error", "the job stopped without a result")
            self.log.info("nbkit: verify job %s %s", job.id, job.state)
            self._pump()

    # -- shutdown -------------------------------------------------------------------------------
    def shutdown(self, wait: float = 10.0) -> None:
        """Cancel every job, wait up to ``wait`` seconds for running ones to stop, stop the pool."""
        with self._lock:
            for job in list(self._queue):
                self._finish(job, "cancelled", "the server is shutting down")
            self._queue.clear()
            running = [j for j in self._jobs.values() if j.state == "running"]
            for job in running:
                job.cancel.set()
        deadline = time.monotonic() + wait
        for job in running:
            job.finished_event.wait(max(0.0, deadline - time.monotonic()))
        if running and "nbkit.verify.execute" in sys.modules:
            sys.modules["nbkit.verify.execute"].kill_all_kernels()  # last resort: no kernel outlives us
        self.lint_queue.shutdown(wait=False, cancel_futures=True)


def parse_body(raw: bytes, required: tuple[str, ...] = ("path",)) -> dict:
    """The JSON object in a request body, or a :class:`ServiceError` (400) saying what is wrong."""
    if not raw.strip():
        raise ServiceError(400, "empty request body; expected a JSON object such as "
                                '{"path": "analysis.ipynb"}')
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError(400, "request body is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ServiceError(400, f"request body is not valid JSON (line {e.lineno}, column {e.colno}: "
                                f"{e.msg})") from None
    except RecursionError:
        raise ServiceError(400, "request body is not valid JSON (nested too deeply)") from None
    except ValueError as e:  # an integer longer than sys.get_int_max_str_digits() (4300 digits)
        raise ServiceError(400, f"request body has a number nbkit cannot read ({e})") from None
    if not isinstance(data, dict):
        raise ServiceError(400, f"request body must be a JSON object, not {type(data).__name__}")
    for key in required:
        if key not in data:
            raise ServiceError(400, f"request body has no {key!r}")
    return data


def _root_prefixes(*roots: str) -> list[tuple[re.Pattern, str]]:
    """Patterns for the server root (as configured and resolved) and its parent folders, each with
    what replaces it: the root is "." and its parents "..", "../..", ... (longest first)."""
    out: dict[str, str] = {}
    for root in roots:
        here, up = os.path.abspath(root), "."
        while os.path.dirname(here) != here:  # never the file-system root itself
            out.setdefault(here, up)
            here, up = os.path.dirname(here), (".." if up == "." else up + "/..")
    sep = re.escape(os.sep)
    ends = r"(?=$|[\s'\"`),;:\]])"
    return [(re.compile(re.escape(p) + f"(?:(?P<sep>{sep})|{ends})"), rel)
            for p, rel in sorted(out.items(), key=lambda kv: -len(kv[0]))]


def _scrub_text(text: str, prefixes: list[tuple[re.Pattern, str]]) -> str:
    """``/srv/root/a/b.ipynb`` -> ``a/b.ipynb``; ``/srv/root`` -> ``.``; ``/srv/x`` -> ``../x``."""
    for pattern, rel in prefixes:
        text = pattern.sub(lambda m, rel=rel: ("" if rel == "." else rel + "/") if m.group("sep") else rel, text)
    return text


def _request(build, *args, **kw):
    """A core request built from a JSON body's values; its refusal becomes a 400."""
    from ..errors import RequestError

    try:
        return build(*args, **kw)
    except RequestError as e:
        raise ServiceError(400, e.message_for(f"'{e.field}'")) from None


def _relativise(report: Any, rp: ResolvedPath) -> Any:
    """Replace the server's file-system path of the notebook with its API path in a report."""
    if isinstance(report, dict):
        return {k: (rp.api if k == "path" and isinstance(v, str) and os.path.realpath(v) ==
                    os.path.realpath(rp.os_path) else _relativise(v, rp)) for k, v in report.items()}
    if isinstance(report, list):
        return [_relativise(v, rp) for v in report]
    return report
