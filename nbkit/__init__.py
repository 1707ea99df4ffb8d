"""nbkit: notebook quality and reproducibility for Jupyter.

The public, pure-Python API (importing it starts no kernel and imports no Jupyter server):

    >>> import nbkit
    >>> result = nbkit.lint_paths(["analysis.ipynb"], nbkit.load_config())
    >>> [f.code for f in result.findings]

``%load_ext nbkit`` registers the ``%nbkit`` magics; the jupyter_server extension and the
JupyterLab panel are loaded by Jupyter itself.
"""

from __future__ import annotations


def _quiet_interrupt_while_starting() -> None:
    """Run as the ``nbkit`` command: a Ctrl-C before the command line is ready (while Python
    imports nbkit) exits 130 with one line, not an import traceback.  The CLI restores Python's
    own handler as soon as it can turn KeyboardInterrupt into a message (:func:`nbkit.cli.run`)."""
    # os and sys are loaded with the interpreter, and _signal is built in: signal.py (with enum)
    # would take milliseconds to import, a window in which a Ctrl-C still printed a traceback
    import _signal  # type: ignore[import-not-found]  # (no stub: the C half of signal)
    import os
    import sys

    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 != "-m" and os.path.basename(argv0) != "nbkit":  # python -m nbkit, or the console script
        return
    if _signal.getsignal(_signal.SIGINT) is not _signal.default_int_handler:
        return

    def interrupted(signum, frame):  # pragma: no cover - exercised through a subprocess
        os.write(2, b"nbkit: interrupted\n")
        os._exit(130)

    _signal.signal(_signal.SIGINT, interrupted)


_quiet_interrupt_while_starting()

TYPE_CHECKING = False  # (not typing's: `import nbkit` should not have to import typing)

from ._version import __version__  # noqa: E402

if TYPE_CHECKING:
    from .config import Config, load_config
    from .errors import ConfigError, NbkitError, NotebookError
    from .findings import Finding, Severity
    from .lint import lint_notebook, lint_paths, lint_source
    from .lintresult import LintResult
    from .model import Cell, Notebook, load, parse_notebook

# imported on first use (PEP 562): `nbkit lint` answered from the lint cache loads neither the
# linter nor the configuration loader
_LAZY = {"Config": "config", "load_config": "config", "ConfigError": "errors", "NbkitError": "errors",
         "NotebookError": "errors", "Finding": "findings", "Severity": "findings", "LintResult": "lintresult",
         "lint_notebook": "lint", "lint_paths": "lint", "lint_source": "lint", "Cell": "model", "Notebook": "model",
         "load": "model", "parse_notebook": "model"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "__version__", "Config", "load_config", "NbkitError", "NotebookError", "ConfigError", "Finding",
    "Severity", "LintResult", "lint_notebook", "lint_paths", "lint_source", "Cell", "Notebook", "load",
    "parse_notebook", "load_ipython_extension", "unload_ipython_extension",
]


def load_ipython_extension(ipython) -> None:
    """``%load_ext nbkit``: register the ``%nbkit`` magics."""
    from .magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython) -> None:
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)


def _jupyter_server_extension_points():
    return [{"module": "nbkit.server"}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "nbkit-jupyterlab"}]
