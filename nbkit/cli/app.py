"""The click application of the ``nbkit`` command line (:mod:`nbkit.cli` runs it).

Sub-commands are loaded lazily (``nbkit lint`` must not import papermill or a kernel
client, and must start fast).  Every error is one line on stderr naming the file and the
problem, with the documented exit code; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__

COMMANDS = {
    "lint": ("nbkit.cli.lint_cmd", "lint"),
    "verify": ("nbkit.cli.verify_cmd", "verify"),
    "pin": ("nbkit.cli.pin_cmd", "pin"),
    "new": ("nbkit.cli.new_cmd", "new"),
    "rules": ("nbkit.cli.rules_cmd", "rules"),
    "env": ("nbkit.cli.env_cmd", "env"),
    "clean": ("nbkit.cli.lint_cmd", "clean"),
}
HELP = {
    "lint": "Check notebooks against the layout, hygiene, reproducibility and documentation rules.",
    "verify": "Re-execute notebooks in fresh kernels and check their stored outputs reproduce.",
    "pin": "Record the environment (and seed) in notebooks, or check them for drift.",
    "new": "Create a notebook with the standard layout.",
    "rules": "List the rules, or explain one.",
    "env": "List, build or prune the pinned environments that `verify --env pinned` uses.",
    "clean": "Remove the lint and verify caches (.nbkit_cache/ at the project root, or $NBKIT_CACHE_DIR).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, HELP[name]) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nbkit")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """nbkit: notebook quality and reproducibility.

    Exit codes: 0 clean / reproducible; 1 findings at or above --fail-on, or a notebook that
    does not reproduce; 2 usage or input error; 3 nbkit's machinery failed.
    """
    if debug:
        os.environ["NBKIT_DEBUG"] = "1"


def run() -> None:
    """Run the command line: map errors to exit codes without tracebacks."""
    import signal

    from .common import handle_errors, interrupts_raise

    previous = signal.getsignal(signal.SIGINT)
    try:
        with handle_errors():
            interrupts_raise()
            rv = main.main(prog_name="nbkit", standalone_mode=False)
    finally:  # run in-process (tests, an embedding program): leave Ctrl-C as it was, unless it was
        # pressed (then SIGINT stays ignored while Python shuts down: no traceback from its threads)
        if interrupts_raise.installed and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # type: ignore[attr-defined]
            signal.signal(signal.SIGINT, previous if getattr(previous, "__module__", "") != "nbkit"
                          else signal.default_int_handler)
    sys.exit(rv if isinstance(rv, int) else 0)

