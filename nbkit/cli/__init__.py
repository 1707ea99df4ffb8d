"""The ``nbkit`` command line: a thin face over the core.

:func:`run` is the console script.  ``nbkit lint NOTEBOOK`` of an unchanged notebook is answered
from the lint cache by :mod:`nbkit.cli.fastlint` before click, rich or the rules are imported
(and ``nbkit lint --no-cache NOTEBOOK`` is linted there without click; ``nbkit lint PATH...
[--format F] [-o FILE]`` is answered or linted there too);
every other command line runs the click application of :mod:`nbkit.cli.app` (``main``), whose
names this package re-exports on first use.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # (not typing's: the fast path should not have to import typing)
if TYPE_CHECKING:
    from .app import COMMANDS, HELP, LazyGroup, main

__all__ = ["COMMANDS", "HELP", "LazyGroup", "main", "run"]


def run() -> None:
    """Console-script entry point: map errors to exit codes without tracebacks."""
    _tolerant_stdout()
    if len(sys.argv) >= 3 and sys.argv[1] == "lint":
        from . import fastlint

        argv = sys.argv[1:]
        code = None
        if len(argv) == 2 and fastlint.eligible(argv):  # one notebook: its record, else the normal path
            code = fastlint.answer(argv)
        elif len(argv) == 3 and "--no-cache" in argv:
            code = fastlint.cold(argv)
        else:  # notebooks, folders, a report format or file (report_options says which)
            code = fastlint.report(argv)
        if code is not None:
            sys.exit(code)
    from .app import run as run_app

    run_app()


def _tolerant_stdout() -> None:
    """A file name that is not UTF-8 (held as lone surrogates: ``caf\\udce9.ipynb``) is printed
    as its escape (``caf\\udce9``), as Python prints it on standard error and as nbkit writes it
    into a report file: not a failure (a UTF-8 locale's strict encoding), nor its raw bytes (the
    C locale's surrogateescape), which would make a JSON or XML report on standard output
    unreadable."""
    if getattr(sys.stdout, "errors", None) in ("strict", "surrogateescape"):
        try:
            sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):  # (replaced by something that cannot)
            pass


def __getattr__(name: str) -> object:
    if name in ("COMMANDS", "HELP", "LazyGroup", "main"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'nbkit.cli' has no attribute {name!r}")
