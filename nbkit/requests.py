"""Requests: what a face asks the core to do, validated once, and one function per command.

Every face (CLI, magics, server, pytest plugin) parses its own input, builds a request with
the request's ``from_raw`` classmethod (which raises :class:`RequestError`, a
:class:`~nbkit.errors.UsageError`, with the one message every face shows), calls the
command's function, and renders what comes back:

    >>> request = LintRequest.from_raw(["analysis.ipynb"], ignore=["NBD"])
    >>> result = run_lint(request)                      # a LintResult
    >>> for report in run_pin(PinRequest.from_raw(["analysis.ipynb"], seed=42)):
    ...     print(report.path, report.outcome.written)
    >>> rules_catalogue(docs=True)                     # nbkit.rules/1

Pure core: no IPython, Jupyter server or CLI imports (the lint and pin machinery is imported
when a command runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .config import PROFILES
from .errors import EXIT_OK, NbkitError, RequestError, UsageError

if TYPE_CHECKING:
    from .analysis import Facts, ParseCache
    from .config import Config
    from .findings import Severity
    from .lint import LintResult
    from .model import Notebook
    from .pin.data import DataCheck
    from .pin.drift import Drift
    from .pin.pinning import PinOutcome
    from .policy import PolicyReport, PolicyResult
    from .rules import Rule


def __getattr__(name: str) -> Any:
    """``validate_seed`` and ``SEED_MAX`` (the largest seed: numpy's legacy seed and PYTHONHASHSEED
    both stop there) come from :mod:`nbkit.pin.seed` when asked for: ``nbkit lint`` stays clear
    of the pin package."""
    if name in ("validate_seed", "SEED_MAX"):
        from .pin import seed

        return getattr(seed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _selectors(value: Any, name: str) -> tuple[str, ...]:
    """Rule selectors (codes, prefixes, names), each known to the registry."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
        raise RequestError(f"'{name}' must be a list of rule codes, prefixes or names")
    out = tuple(c for c in value if c.strip())
    if not out:
        return out
    from . import rules as registry

    for c in out:
        try:
            registry.expand(c)
        except UsageError as e:
            raise RequestError(e.message, e.path, field=name) from None
    return out


# -- lint -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LintRequest:
    """Lint ``paths`` (files or folders); or one notebook whose unsaved ``content`` (its JSON
    as a dict, or its text) stands for the file at ``paths[0]``.

    ``config`` None: each notebook's own ``[tool.nbkit]`` (the nearest pyproject.toml above it;
    for ``content``, the one at ``paths[0]``).
    ``project_paths``: the notebooks project-wide rules see (NBH014); default the linted ones.
    ``policy``: also check each notebook against its team policy (:func:`check_policy`).
    """

    paths: tuple[str, ...]
    config: Config | None = None
    content: dict | str | bytes | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    profile: str | None = None
    fix: bool = False
    jobs: int | None = 1
    project_paths: tuple[str, ...] | None = None
    fail_on: str | None = None
    cache: bool | str = False  # the persistent lint cache (nbkit.lintcache); a string: its folder
    policy: bool = False  # also check the team policy ([tool.nbkit.policy]; nbkit.policy)

    @classmethod
    def from_raw(cls, paths: Any = (), *, config: Config | None = None, content: Any = None,
                 select: Any = None, ignore: Any = None, profile: Any = None, fix: bool = False,
                 jobs: int | None = 1, project_paths: Any = None, fail_on: Any = None,
                 cache: bool | str = False, policy: bool = False) -> LintRequest:
        """Validate raw input (the faces' values, or a JSON body's) once."""
        from .findings import Severity

        if content is not None and not isinstance(content, (dict, str, bytes)):
            raise RequestError("'content' must be the notebook JSON (an object) or its text")
        if profile in ("", None):
            profile = None
        elif profile not in PROFILES:
            raise RequestError("'profile' must be 'report' or 'exploratory' (or absent: the project's "
                               "[tool.nbkit] profile)")
        if fail_on is not None:
            try:
                Severity.parse(fail_on)
            except ValueError as e:
                raise RequestError(f"'fail-on': {e}") from None
        chosen = _selectors(select, "select")
        return cls(paths=tuple(str(p) for p in paths), config=config, content=content,
                   select=chosen or None, ignore=_selectors(ignore, "ignore"), profile=profile, fix=fix,
                   jobs=jobs, project_paths=_paths(project_paths), fail_on=fail_on, cache=cache,
                   policy=bool(policy))

    def at(self, path: str, config: Config | None = None) -> LintRequest:
        """The same request for the notebook at ``path`` (a face that resolves paths itself)."""
        return replace(self, paths=(path,), config=config if config is not None else self.config)

    def threshold(self) -> Severity:
        """The lowest severity that fails: ``fail_on``, else the configuration's ``fail-on``
        (the one at ``paths[0]``; an invalid one is reported by the lint, and errors fail)."""
        from .errors import ConfigError
        from .findings import Severity

        if self.fail_on:
            return Severity.parse(self.fail_on)
        try:
            return self.resolved_config().fail_on
        except ConfigError:
            return Severity.ERROR

    def resolved_config(self) -> Config:
        from .config import load_cached

        return self.config if self.config is not None else load_cached(self.paths[0] if self.paths else ".")


@dataclass
class NotebookLint:
    """The lint of one notebook: the result, the notebook (None when it could not be read) and
    the facts the rules derived from it (e.g. the layout checklist the panel shows)."""

    result: LintResult
    notebook: Notebook | None = None
    facts: Facts | None = None


def _from_cache(request: LintRequest) -> tuple[LintResult | None, list[tuple[str, Config]] | None, list]:
    """(the cached result or None, and the notebooks with their configurations and the errors
    of finding them when that search was made: run_lint does not make it twice)."""
    import os

    if not request.cache or request.fix:
        return None, None, []
    # every notebook unchanged: answered without loading the rules
    from .lintcache import groups_from_cache, run_from_cache

    selection = dict(select=_list(request.select), ignore=list(request.ignore), profile=request.profile)
    one_config = request.config is not None or (len(request.paths) == 1 and os.path.isfile(request.paths[0]))
    if one_config:
        return run_from_cache(list(request.paths), request.resolved_config(), request.cache, **selection), None, []
    found, errors = notebooks_with_configs(request.paths)
    return groups_from_cache(found, errors, request.cache, **selection), found, errors


def run_lint(request: LintRequest, on_miss: Callable[[], None] | None = None) -> LintResult:
    """Lint the request's files and folders; unreadable inputs come back in ``result.errors``.

    Without a ``config``, each notebook is linted with the ``[tool.nbkit]`` of the nearest
    pyproject.toml above it; an invalid one is an error for the notebooks under it only.
    ``on_miss``: called once when the lint cache cannot answer the whole request, before the
    linter is imported (the click-free command line readies its process for a lint there).
    """
    if request.content is not None:
        return lint_one(request).result
    cached, found, errors = _from_cache(request)
    if cached is not None:
        return cached
    if on_miss is not None:
        on_miss()
    from .lint import LintResult, lint_paths

    kw: dict[str, Any] = dict(select=_list(request.select), ignore=list(request.ignore), profile=request.profile,
                              fix=request.fix, jobs=request.jobs, cache=request.cache)
    if request.config is not None:
        return lint_paths(list(request.paths), request.config, **kw)
    if found is None:
        found, errors = notebooks_with_configs(request.paths)
    from .lintgroups import config_groups, in_run_order

    everyone, groups = config_groups(found)
    result = LintResult(paths=everyone, errors=errors)
    for cfg, paths in groups:
        sub = lint_paths(paths, cfg, project_paths=everyone, **kw)
        result.findings.extend(sub.findings)
        result.errors.extend(sub.errors)
        result.fixed.update(sub.fixed)
        result.notebooks += sub.notebooks
    in_run_order(result.findings, everyone, groups)
    return result


def notebooks_with_configs(paths: Any) -> tuple[list[tuple[str, Config]], list[NbkitError]]:
    """The notebooks of ``paths`` (files and folders), each with the ``[tool.nbkit]``
    configuration of the nearest pyproject.toml above it, and the problems: inputs that are not
    notebooks, and one error per invalid configuration naming it and how many notebooks it
    keeps from being processed.  A folder is searched with its own configuration's ``exclude``;
    a notebook found in it is also skipped when its own configuration excludes it."""
    import os

    from .config import load_cached
    from .errors import ConfigError
    from .nbio import discover, is_excluded

    found: list[tuple[str, Config]] = []
    errors: list[NbkitError] = []
    bad: dict[str, tuple[ConfigError, int]] = {}
    seen: set[str] = set()
    by_folder: dict[str, Config | ConfigError] = {}  # the notebooks of one folder share its configuration
    for given in paths:
        try:
            exclude = load_cached(given).exclude
        except ConfigError:
            exclude = []
        real: dict[str, str] = {}
        nb_paths, problems = discover([given], exclude, real)
        errors.extend(problems)
        for path in nb_paths:
            key = real[path]
            if key in seen:
                continue
            seen.add(key)
            folder = os.path.dirname(key)
            got = by_folder.get(folder)
            if got is None:
                try:
                    got = load_cached(key)
                except ConfigError as e:
                    got = e
                by_folder[folder] = got
            if isinstance(got, ConfigError):
                was = bad.get(str(got))
                bad[str(got)] = (got, (was[1] if was else 0) + 1)
                continue
            cfg = got
            if path != given and is_excluded(path, cfg.exclude):
                continue
            found.append((path, cfg))
    for problem, n in bad.values():
        errors.append(ConfigError(f"{problem.message}; {n} notebook{'s' if n != 1 else ''} under it not processed",
                                  problem.path))
    return found, errors


def lint_one(request: LintRequest, *, parse_cache: ParseCache | None = None,
             reuse: dict | None = None) -> NotebookLint:
    """Lint the one notebook at ``request.paths[0]`` (its unsaved ``content`` when given).

    ``parse_cache``: a :class:`nbkit.analysis.ParseCache` holding the parsed cells of an earlier
    lint of the same notebook (the server keeps one per notebook).  ``reuse``: a dict the caller keeps over
    the calls of one run, all with the same ``project_paths`` (the pytest plugin), so the rule
    selection and the project's file scans are made once per configuration.
    """
    from .analysis import Facts
    from .lint import LintResult, Selection, lint_notebook
    from .model import load, notebook_from_dict, parse_notebook
    from .project import Project

    path = request.paths[0]
    config = request.resolved_config()
    result = LintResult(paths=[path])
    try:
        if request.content is None:
            nb = load(path)
        elif isinstance(request.content, dict):
            nb = notebook_from_dict(request.content, path)
        else:
            nb = parse_notebook(request.content, path)
    except NbkitError as e:
        result.errors.append(e)
        return NotebookLint(result)
    facts = Facts(nb, parse_cache)
    key = (config.path, request.select, request.ignore, request.profile)
    shared: tuple[Selection, Project] | None = reuse.get(key) if reuse is not None else None
    if shared is None or shared[0].config is not config:
        shared = (Selection(config, select=_list(request.select), ignore=list(request.ignore),
                            profile=request.profile),
                  Project(list(request.project_paths or (path,)), strip_outputs=config.strip_outputs))
        if reuse is not None:
            reuse[key] = shared
    result.notebooks = 1
    result.findings = lint_notebook(nb, *shared, facts=facts)
    return NotebookLint(result, nb, facts)


def policy_for(request: LintRequest, done: NotebookLint, *, server: dict | None = None,
               path: str | None = None) -> PolicyResult:
    """The team-policy verdict for the one notebook :func:`lint_one` linted: the policy of its
    ``[tool.nbkit.policy]`` over ``server`` (``c.NbkitService.policy``); ``path``: the name
    shown.  An invalid policy or an unreadable notebook is the verdict's ``error``."""
    from .policy import NO_POLICY, PolicyResult, check, resolve_policy

    shown = path or request.paths[0]
    try:
        config = request.resolved_config()
        policy = resolve_policy(config, server)
    except NbkitError as e:
        return PolicyResult(path=shown, policy=NO_POLICY, error=str(e))
    if done.notebook is None:
        if not policy.configured:
            return PolicyResult(path=shown, policy=policy)
        problem = done.result.errors[0].message if done.result.errors else "the notebook could not be read"
        return PolicyResult(path=shown, policy=policy, error=problem)
    return check(done.notebook, done.result, config, policy=policy, facts=done.facts, path=shown)


def check_policy(request: LintRequest, result: LintResult, *, server: dict | None = None) -> PolicyReport:
    """Each notebook of a :func:`run_lint` run checked against its team policy (the
    ``[tool.nbkit.policy]`` of its own pyproject.toml, or of ``request.config``), with the
    run's findings for ``max-severity-on-save``.  Notebooks lint could not read are left out
    (they are the run's errors already)."""
    from .config import load_cached
    from .errors import ConfigError
    from .model import load
    from .policy import NO_POLICY, PolicyReport, PolicyResult, check, resolve_policy

    report = PolicyReport()
    for path in result.paths:
        try:
            config = request.config if request.config is not None else load_cached(path)
            policy = resolve_policy(config, server)
        except ConfigError as e:
            report.results.append(PolicyResult(path=path, policy=NO_POLICY, error=str(e)))
            continue
        if not policy.configured:
            continue
        try:
            nb = load(path)
        except NbkitError:
            continue
        report.results.append(check(nb, result, config, policy=policy, path=path))
    return report


def _paths(paths: Any) -> tuple[str, ...] | None:
    if paths is None or isinstance(paths, tuple):  # a tuple is taken as it is (pytest: every item)
        return paths
    return tuple(str(p) for p in paths)


def _list(codes: tuple[str, ...] | None) -> list[str] | None:
    return list(codes) if codes else None


# -- pin --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PinRequest:
    """Pin ``paths`` (record the environment, ``seed``, and with ``data`` the input files), or
    ``check`` them for drift and changed inputs, or ``export`` their pinned requirements.
    ``python``: the interpreter whose environment counts (default nbkit's own); ``extra_sources``:
    more code whose imports count (the cells a kernel has run); ``config`` (optional) supplies
    the ``exclude`` globs for folders and ``[tool.nbkit.pin]`` (default: each notebook's own)."""

    paths: tuple[str, ...]
    seed: int | None = None
    check: bool = False
    python: str | None = None
    export: str | None = None
    force: bool = False
    extra_sources: tuple[str, ...] = ()
    config: Config | None = None
    data: bool = True  # pin the local input files (``--no-data``: leave metadata.nbkit.data alone)

    @classmethod
    def from_raw(cls, paths: Any, *, seed: Any = None, check: bool = False, python: Any = None,
                 export: str | None = None, force: bool = False, extra_sources: Any = (),
                 config: Config | None = None, seed_name: str = "seed", data: bool = True) -> PinRequest:
        if check and (seed is not None or export or force):
            raise RequestError("--check only reads; it cannot be combined with --seed, --export or --force")
        if export and (seed is not None or force):
            raise RequestError("--export only reads; it cannot be combined with --seed or --force")
        if seed is not None:
            from .pin.seed import validate_seed

            validate_seed(seed, seed_name)
        return cls(paths=tuple(str(p) for p in paths), seed=seed, check=check,
                   python=None if python is None else str(python), export=export, force=force,
                   extra_sources=tuple(extra_sources or ()), config=config, data=bool(data))

    def at(self, path: str, python: str | None = None) -> PinRequest:
        """The same request for the notebook at ``path`` (a face that resolves paths itself),
        captured from ``python`` (a notebook kernel's interpreter) when given."""
        return replace(self, paths=(path,), python=python if python is not None else self.python)


@dataclass
class PinReport:
    """What ``run_pin`` did for one notebook (or one input that is not a usable notebook)."""

    path: str
    outcome: PinOutcome | None = None  # pinned (or already pinned)
    drift: list[Drift] | None = None  # --check
    pinned: dict | None = None  # --check: the pinned environment
    data: DataCheck | None = None  # --check: the data pins against the files now (None: no data pins)
    requirements: list[str] = field(default_factory=list)  # --export
    notes: list[str] = field(default_factory=list)  # warnings for this notebook
    error: NbkitError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return 1 if self.drift or (self.data is not None and self.data.differs) else EXIT_OK


def run_pin(request: PinRequest) -> Iterator[PinReport]:
    """Pin, check or export each notebook of the request, one report at a time (inputs that
    are not notebooks first).  Problems with one notebook are reported, and the rest go on;
    an interpreter that cannot be asked at all raises."""
    from .model import load
    from .nbio import discover
    from .pin import Interpreter, check_notebook, pin, requirements_for
    from .pin.capture import interpreter_facts
    from .pin.data import data_max_bytes
    from .pin.pinning import check_notebook_data, pinned_environment

    configs: dict[str, Config] = {}
    if request.config is not None:
        nb_paths, errors = discover(list(request.paths), request.config.exclude)
    else:  # each notebook under its own [tool.nbkit]; an invalid one stops only the notebooks under it
        found, errors = notebooks_with_configs(request.paths)
        nb_paths = [path for path, _cfg in found]
        configs = dict(found)
    for e in errors:
        yield PinReport(path=e.path or "", error=e)
    interpreter = Interpreter(request.python)
    pinning = not (request.check or request.export)
    if pinning and len(nb_paths) > 1:
        readable = []
        for path in nb_paths:
            try:
                readable.append(load(path))
            except NbkitError:
                pass  # reported when its turn comes
        interpreter.prefetch(readable)
    for path in nb_paths:
        report = PinReport(path=path)
        try:
            if request.check:
                nb = load(path)
                report.drift = check_notebook(nb, interpreter if request.python else None)
                report.pinned = pinned_environment(nb) or {}
                facts = interpreter_facts(interpreter)
                was, now = report.pinned.get("python"), facts.get("python")
                if was and now and was != now:
                    report.notes.append(f"pinned with Python {was}, checking against Python {now}")
                report.data = check_notebook_data(nb)
            elif request.export:
                report.requirements = requirements_for(path, interpreter, report.notes)
            else:
                limit = data_max_bytes(request.config or configs.get(path)) if request.data else 0
                report.outcome = pin(path, request.seed, interpreter, force=request.force,
                                     extra_sources=list(request.extra_sources) or None, data=request.data,
                                     data_max_bytes=limit)
                report.notes.extend(report.outcome.notes)
        except NbkitError as e:
            report.error = e
        yield report


# -- the rule catalogue ---------------------------------------------------------------------------

def rule_entry(rule: Rule, *, doc: bool = True) -> dict:
    """One rule as the catalogue shows it (``doc``: with its documentation, Markdown)."""
    return {**rule.to_dict(), "doc": rule.doc} if doc else rule.to_dict()


def rules_catalogue(*, docs: bool = False) -> dict:
    """``nbkit.rules/1``: every rule, static and verify-reported (``docs``: with documentation)."""
    from . import rules as registry

    return {"schema": "nbkit.rules/1", "rules": [rule_entry(r, doc=docs) for r in registry.all_rules()]}
