"""nbkit's pytest plugin: verify (and lint) notebooks as pytest tests.

    pytest --nbkit                    # one test per notebook: re-execute it, compare its outputs
    pytest --nbkit --nbkit-lint       # and one lint test per notebook
    pytest --nbkit-lint               # lint only (static, no kernel)
    pytest --nbkit -n auto --junitxml report.xml   # pytest-xdist and JUnit work as usual

or in configuration (``[tool.pytest.ini_options]``, pytest.ini, ...)::

    nbkit = true
    nbkit_lint = true
    nbkit_timeout = 300
    nbkit_kernel = python3

The test ids are ``path/to/notebook.ipynb::verify`` and ``path/to/notebook.ipynb::lint``
(markers ``nbkit_verify`` / ``nbkit_lint``).  Everything else comes from ``[tool.nbkit]`` in
the notebook's nearest pyproject.toml and from cell tags, exactly as for ``nbkit verify`` and
``nbkit lint``.

pytest loads this module in every run (entry point ``pytest11``); unless ``--nbkit``,
``--nbkit-lint`` or the ini options ask for it, it collects nothing and imports nothing
beyond this file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class _Settings:
    verify: bool = False
    lint: bool = False
    timeout: float | None = None
    kernel: str | None = None
    runs: int | str | None = None  # "auto" or N
    strict_env: bool | None = None
    fail_on: str | None = None
    update: bool = False

    @property
    def enabled(self) -> bool:
        return self.verify or self.lint


_KEY = pytest.StashKey[_Settings]()
_LINT_PATHS = pytest.StashKey[tuple]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbkit", "nbkit: verify and lint Jupyter notebooks")
    group.addoption("--nbkit", action="store_true", default=None,
                    help="Collect *.ipynb files; one test per notebook re-executes it in a fresh kernel and "
                         "compares its stored outputs (like `nbkit verify`).")
    group.addoption("--nbkit-lint", action="store_true", default=None,
                    help="Collect *.ipynb files; one test per notebook checks nbkit's lint rules (like `nbkit lint`).")
    group.addoption("--nbkit-timeout", type=float, metavar="SECONDS", default=None,
                    help="Per-cell timeout for verify (default: [tool.nbkit.verify] timeout, else 600; 0 = none).")
    group.addoption("--nbkit-kernel", metavar="NAME", default=None,
                    help="Kernel for verify instead of each notebook's kernelspec.")
    group.addoption("--nbkit-runs", metavar="auto|N", default=None,
                    help="Fresh runs per notebook: auto (default; a confirming run when a cell mismatches) or N; "
                         "2+ also fails nondeterministic cells.")
    group.addoption("--nbkit-strict-env", action="store_true", default=None,
                    help="Environment drift from the pinned versions fails verification.")
    group.addoption("--nbkit-update", action="store_true", default=False,
                    help="Rewrite the stored outputs with the fresh ones when the run completes (like "
                         "`nbkit verify --update`); mismatching notebooks then pass.")
    group.addoption("--nbkit-fail-on", choices=SEVERITIES, default=None,
                    help="Lint tests fail on findings at or above this severity (default: [tool.nbkit] fail-on, "
                         "else error).")
    parser.addini("nbkit", type="bool", default=False, help="Verify notebooks (as --nbkit).")
    parser.addini("nbkit_lint", type="bool", default=False, help="Lint notebooks (as --nbkit-lint).")
    parser.addini("nbkit_timeout", default="", help="Per-cell verify timeout in seconds (as --nbkit-timeout).")
    parser.addini("nbkit_kernel", default="", help="Kernel for verify (as --nbkit-kernel).")


def _settings(config: pytest.Config) -> _Settings:
    opt = config.getoption
    verify = bool(opt("--nbkit") or config.getini("nbkit"))
    lint = bool(opt("--nbkit-lint") or config.getini("nbkit_lint"))
    if not (verify or lint):
        return _Settings()
    timeout = opt("--nbkit-timeout")
    if timeout is None and str(config.getini("nbkit_timeout")).strip():
        raw = str(config.getini("nbkit_timeout")).strip()
        try:
            timeout = float(raw)
        except ValueError:
            raise pytest.UsageError(f"nbkit_timeout must be a number of seconds, not {raw!r}") from None
    runs = opt("--nbkit-runs")
    _check_verify_options(timeout, runs)
    kernel = opt("--nbkit-kernel") or str(config.getini("nbkit_kernel")).strip() or None
    return _Settings(verify=verify, lint=lint, timeout=timeout, kernel=kernel, runs=runs,
                     strict_env=opt("--nbkit-strict-env"), fail_on=opt("--nbkit-fail-on"),
                     update=bool(opt("--nbkit-update")))


def _check_verify_options(timeout, runs) -> None:
    """The verify request's own checks, named as this plugin's options."""
    from .errors import RequestError
    from .verify import VerifyOptions, VerifyRequest

    try:
        VerifyRequest.build([], VerifyOptions(timeout=timeout, runs=runs), discover=False)
    except RequestError as e:
        raise pytest.UsageError(e.message_for(f"--nbkit-{e.field}")) from None


def pytest_configure(config: pytest.Config) -> None:
    settings = _settings(config)
    config.stash[_KEY] = settings
    from .config import clear_cache

    clear_cache()
    _lint_reuse.clear()
    if settings.enabled:
        config.addinivalue_line("markers", "nbkit_verify: a notebook verified by nbkit (pytest --nbkit)")
        config.addinivalue_line("markers", "nbkit_lint: a notebook linted by nbkit (pytest --nbkit-lint)")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Remember every notebook collected for lint: project-wide rules (NBH014 duplicate names)
    see the same set of notebooks as ``nbkit lint`` on the same paths would."""
    settings = config.stash.get(_KEY, None)
    if settings is None or not settings.lint:
        return
    config.stash[_LINT_PATHS] = tuple(str(i.path) for i in items if isinstance(i, LintItem))


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".ipynb":
        return None
    settings = parent.config.stash.get(_KEY, None)
    if settings is None or not settings.enabled:
        return None
    if file_path.name.startswith(".") or ".ipynb_checkpoints" in file_path.parts:
        return None
    if _excluded(str(file_path)):
        return None
    return NotebookFile.from_parent(parent, path=file_path)


# ---------------------------------------------------------------------------------------------

def _config_for(path: str):
    """The [tool.nbkit] configuration that applies to ``path`` (the core's cache)."""
    from .config import load_cached

    return load_cached(path)


def _excluded(path: str) -> bool:
    """``[tool.nbkit.lint] exclude`` globs, as the CLI applies them when it walks folders."""
    from .errors import NbkitError
    from .nbio import is_excluded

    try:
        config = _config_for(path)
    except NbkitError:
        return False  # collected anyway: the test reports the bad configuration
    roots = [base for base in (os.getcwd(), config.root) if base]
    return is_excluded(path, config.exclude, roots)


class NotebookFile(pytest.File):
    def collect(self):
        settings = self.config.stash[_KEY]
        if settings.verify:
            yield VerifyItem.from_parent(self, name="verify")
        if settings.lint:
            yield LintItem.from_parent(self, name="lint")


class NbkitFailure(Exception):
    """A notebook that did not pass; ``str()`` is the whole, readable report."""


class _NotebookItem(pytest.Item):
    marker = ""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.add_marker(self.marker)

    @property
    def nb_path(self) -> str:
        try:
            return os.path.relpath(self.path)
        except ValueError:  # another drive (Windows)
            return str(self.path)

    def reportinfo(self):
        # the failure header: the check and the notebook ("verify examples/a.ipynb"), not just "verify"
        return self.path, None, f"{self.name} {self.nb_path}"

    def repr_failure(self, excinfo, style=None):
        from .errors import NbkitError

        if isinstance(excinfo.value, (NbkitFailure, NbkitError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class VerifyItem(_NotebookItem):
    """Re-execute the notebook in a fresh kernel and compare every cell's outputs."""

    marker = "nbkit_verify"

    def runtest(self):
        from .verify import VerifyOptions, verify_notebook

        s: _Settings = self.config.stash[_KEY]
        opts = VerifyOptions(timeout=s.timeout, kernel=s.kernel, runs=s.runs, strict_env=s.strict_env,
                             update=s.update, config=_config_for(str(self.path)))
        res = verify_notebook(self.nb_path, opts)
        self.user_properties.append(("nbkit_status", res.status))
        if res.code:
            self.user_properties.append(("nbkit_code", res.code))
        if res.updated:
            self.user_properties.append(("nbkit_updated", True))
            self.add_report_section("call", "nbkit", f"stored outputs updated: {res.message}")
        if res.drift:
            self.add_report_section("call", "nbkit environment drift", "\n".join(d.line() for d in res.drift))
        if res.exit_code() != 0:
            raise NbkitFailure(format_verify_failure(res))


class LintItem(_NotebookItem):
    """Check the notebook against nbkit's lint rules ([tool.nbkit] selects and configures them)."""

    marker = "nbkit_lint"

    def runtest(self):
        from .requests import LintRequest, lint_one

        s: _Settings = self.config.stash[_KEY]
        config = _config_for(str(self.path))
        request = LintRequest.from_raw([self.nb_path], config=config, fail_on=s.fail_on,
                                       project_paths=self.config.stash.get(_LINT_PATHS, ()))
        result = lint_one(request, reuse=_lint_reuse).result
        if result.errors:
            raise result.errors[0]  # NbkitError: one line, through repr_failure
        findings = result.findings
        threshold = request.threshold()
        failing = [f for f in findings if f.severity.rank >= threshold.rank]
        self.user_properties.append(("nbkit_findings", len(findings)))
        others = [f for f in findings if f.severity.rank < threshold.rank]
        if others:
            self.add_report_section("call", "nbkit findings below the fail-on severity",
                                    "\n".join(_finding_line(f) for f in others))
        if failing:
            head = (f"{self.nb_path}: {len(failing)} finding{'s' if len(failing) != 1 else ''} at or above "
                    f"{threshold.value}")
            raise NbkitFailure("\n".join([head, *(_finding_line(f) for f in failing)]))


#: the rule selection and project of each configuration, shared by the lint tests of a session
_lint_reuse: dict = {}


def _finding_line(f) -> str:
    from .report.common import cell_label

    where = cell_label(f.cell_index, f.cell_id) + (f", line {f.line}" if f.line is not None else "")
    return f"  {where}: {f.code} {f.name} ({f.severity.value}): {f.message}"


def format_verify_failure(res) -> str:
    """The failure message of a verify test: the verdict, then each failing cell with its diff
    (the text report's cell blocks and drift lines)."""
    from .report.verify_reports import cell_blocks, text_drift_lines

    lines = [f"{res.path}: {res.status}" + (f" ({res.code})" if res.code else "") + f": {res.message}"]
    for block in cell_blocks(res):
        c = block.cell
        if not block.named_above:  # else the first line said it
            mime = f" [{c.mime}]" if c.mime else ""
            lines.append(f"  {block.label}: {c.status}{mime}: {c.message or c.status}")
        lines.extend(block.body)
    lines.extend("  " + ln for ln in text_drift_lines(res))
    return "\n".join(lines)
