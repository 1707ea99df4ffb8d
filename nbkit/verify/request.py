"""A verify request: what to verify and how, validated once, with the messages every face shows.

Every face (CLI, server, ``%nbkit verify``, the pytest plugin) builds a
:class:`VerifyRequest` from its own input and calls :func:`run` (or the convenience
wrappers :func:`verify_notebook` / :func:`verify_paths`).  The checks of the values a user
types (timeout, parameter names, runs, jobs, shard) live here and nowhere else; a face only
chooses how a field is named in its message (``--timeout`` on the command line, ``'timeout'``
in a REST reply) through :meth:`nbkit.errors.RequestError.message_for`.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import RequestError
from .controls import parse_shard
from .settings import VerifySettings, settings_from_config

if TYPE_CHECKING:
    from ..config import Config
    from .events import VerifyEvents
    from .results import NotebookResult, VerifyReport


def check_timeout(value: Any, *, allow_zero: bool = True, maximum: float | None = None) -> float | None:
    """A per-cell timeout in seconds; ``None``, 0 (when allowed) or infinity mean none (infinity
    is over any ``maximum``).  Refuses non-numbers, booleans, NaN and negatives."""
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        raise RequestError.for_field("timeout", "must be a positive number of seconds"
                                     + (" (0 = no timeout)" if allow_zero else ""))
    if maximum is not None and value > maximum:
        raise RequestError.for_field("timeout", f"may be at most {maximum:g} seconds")
    if math.isinf(value):
        return None
    return float(value) or None


def check_parameter_names(value: Any) -> dict:
    """``-p NAME VALUE`` parameters: a mapping whose names are Python identifiers."""
    problem = "must be an object of NAME: value (NAME a Python identifier)"
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RequestError.for_field("parameters", problem)
    bad = [k for k in value if not isinstance(k, str) or not k.isidentifier()]
    if bad:
        raise RequestError.for_field("parameters", f"{problem}; {bad[0]!r} is not an identifier")
    return dict(value)


def check_env(value: Any) -> str:
    """``current`` (this environment) or ``pinned`` (the one the notebook records)."""
    from .settings import ENVS

    if value not in ENVS:
        raise RequestError.for_field("env", f"must be one of {', '.join(ENVS)}, not {value!r}")
    return value


RUNS_AUTO = "auto"


def check_runs(value: Any) -> int | str:
    """``"auto"`` (one run; a confirming second run when a cell mismatches) or a count >= 1."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v == RUNS_AUTO:
            return RUNS_AUTO
        if v.isdigit():
            return _at_least_one("runs", int(v))
        raise RequestError.for_field("runs", f"must be 'auto' or a whole number >= 1, not {value!r}")
    return _at_least_one("runs", value)


def _at_least_one(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError.for_field(name, f"must be at least 1, not {value}")
    return value


@dataclass
class VerifyOptions:
    """Options of one verify call; None means "from [tool.nbkit.verify], else the default"."""

    timeout: float | None = None
    kernel: str | None = None
    parameters: dict = field(default_factory=dict)
    runs: int | str | None = None  # "auto" or N
    jobs: int | None = None
    shard: tuple[int, int] | str | None = None
    strict_env: bool | None = None
    update: bool = False
    stamp: bool = False
    stop_on_error: bool = False  # True: the first failed cell ends the run (before issue 12 the only way)
    config: Config | None = None
    env: str | None = None           # "current" | "pinned"
    allow_build: bool | None = None  # --env pinned: allow source distributions
    env_spec: Any = None             # --env pinned with these pins instead of the notebook's (EnvSpec)
    explain_drift: int = 0           # --explain-drift: at most this many extra environments per notebook
    cache: bool | None = None        # --cache/--no-cache: reuse reproducible verdicts (nbkit.verify.cache)


@dataclass(frozen=True)
class VerifyRequest:
    """A validated verify call: the options resolved against ``[tool.nbkit.verify]``.

    ``discover`` False: ``paths`` are notebooks taken as they are (one result each); True:
    files or folders searched for notebooks, then sharded."""

    paths: tuple[str, ...]
    settings: VerifySettings
    timeout: float | None
    kernel: str | None
    parameters: dict
    runs: int | str  # "auto" or N
    jobs: int
    shard: tuple[int, int] | None
    strict_env: bool
    update: bool
    stamp: bool
    config: Config | None
    discover: bool = True
    env: str = "current"
    allow_build: bool = False
    env_spec: Any = None
    explain_drift: int = 0
    stop_on_error: bool = False
    cache: bool = False  # reuse reproducible verdicts; never with update/stamp (they must run)

    @classmethod
    def build(cls, paths, options: VerifyOptions | None = None, *, discover: bool = True) -> VerifyRequest:
        """Validate ``options`` (raising :class:`RequestError`/``ConfigError``) into a request."""
        o = options or VerifyOptions()
        s = settings_from_config(o.config)
        return cls(
            paths=tuple(os.fspath(p) for p in paths),
            settings=s,
            timeout=s.timeout if o.timeout is None else check_timeout(o.timeout),
            kernel=o.kernel or s.kernel,
            parameters=check_parameter_names(o.parameters),
            runs=check_runs(s.runs if o.runs is None else o.runs),
            jobs=_at_least_one("jobs", s.jobs if o.jobs is None else o.jobs),
            shard=parse_shard(o.shard),
            strict_env=s.strict_env if o.strict_env is None else bool(o.strict_env),
            update=bool(o.update),
            stamp=bool(o.stamp),
            stop_on_error=bool(o.stop_on_error),
            config=o.config,
            discover=discover,
            env=check_env(s.env if o.env is None else o.env),
            allow_build=s.allow_build if o.allow_build is None else bool(o.allow_build),
            env_spec=o.env_spec,
            explain_drift=max(0, int(o.explain_drift or 0)),
            cache=(s.cache if o.cache is None else bool(o.cache)) and not (o.update or o.stamp),
        )

    @property
    def auto_runs(self) -> bool:
        return self.runs == RUNS_AUTO

    @property
    def planned_runs(self) -> int:
        """Fresh runs every notebook gets (auto: 1, plus a confirming run on a mismatch)."""
        return 1 if self.runs == RUNS_AUTO else int(self.runs)


def run(request: VerifyRequest, events: VerifyEvents | None = None,
        cancel: threading.Event | None = None) -> VerifyReport:
    """The one verify entry point: plan, run, judge and (``--update``/``--stamp``) write back.

    ``cancel`` (a threading.Event) stops every kernel; ``events`` hears the progress."""
    from ..deferred_imports import defer_iri_grammar
    from .engine import drive
    from .events import NO_EVENTS
    from .plan import plan
    from .results import VerifyReport

    defer_iri_grammar()  # nbformat's jsonschema would build an IRI grammar no verify uses (1-3 s)
    events = events or NO_EVENTS
    p = plan(request)
    for bad in p.invalid:
        events.on_input_error(bad)
    events.on_plan(len(p.items))
    results = drive(p.items, request, events, cancel) if p.items else []
    if request.explain_drift and not (cancel and cancel.is_set()):
        from .explain import explain_drift

        for res in results:
            explain_drift(res, request, run, cancel)
    return VerifyReport(p.invalid + results)


def verify_notebook(path, opts: VerifyOptions | None = None, events: VerifyEvents | None = None,
                    cancel: threading.Event | None = None) -> NotebookResult:
    """Verify one notebook; ``cancel`` (a threading.Event) stops it and kills its kernel."""
    return run(VerifyRequest.build([path], opts, discover=False), events, cancel).notebooks[0]


def verify_paths(paths, opts: VerifyOptions | None = None, events: VerifyEvents | None = None,
                 cancel: threading.Event | None = None) -> VerifyReport:
    """Verify every notebook found in ``paths`` (files or folders)."""
    return run(VerifyRequest.build(paths, opts), events, cancel)
