"""Helpers shared by the sub-commands: error handling, output, option parsing."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from ..errors import EXIT_INPUT, EXIT_MACHINERY, NbkitError
# (the one colour decision and the --output check; the click-free fast paths use them too)
from .lintflow import check_output as check_output
from .lintflow import use_color as use_color
from .lintflow import internal_error, write_report_file


def debugging() -> bool:
    return os.environ.get("NBKIT_DEBUG", "") not in ("", "0")


def err(message: str) -> None:
    """One line on stderr, prefixed like every nbkit error."""
    click.echo(f"nbkit: error: {message}", err=True)


@contextlib.contextmanager
def handle_errors():
    """Turn exceptions into one-line messages and exit codes (tracebacks only with --debug)."""
    try:
        yield
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("nbkit: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_INPUT if e.exit_code == 2 else e.exit_code)
    except NbkitError as e:
        if debugging():
            raise
        err(str(e))
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("nbkit: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if debugging():
            raise
        err(internal_error(e))
        sys.exit(EXIT_MACHINERY)


def interrupts_raise() -> None:
    """From here on Ctrl-C raises KeyboardInterrupt (which :func:`handle_errors` reports in one
    line), once: a second Ctrl-C while nbkit stops its kernels and removes their files is ignored,
    so the clean-up finishes and no traceback reaches the user."""
    import signal
    import threading

    interrupts_raise.installed = False  # type: ignore[attr-defined]
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGINT)
    if current is not signal.default_int_handler and getattr(current, "__module__", "") != "nbkit":
        return  # someone else's handler (an embedding program): leave it
    interrupts_raise.installed = True  # type: ignore[attr-defined]

    def first_interrupt(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, first_interrupt)


def split_codes(values: tuple[str, ...]) -> list[str]:
    """``--select A,B --select C`` -> ["A", "B", "C"]."""
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def echo_machinery_failures(report, output: str | None) -> None:
    """With ``--output`` the report goes to a file: say on stderr too why a notebook could not
    be run at all (exit 3), so the reason is not only inside the file."""
    if not output or output == "-":
        return
    for nb in report.notebooks:
        if getattr(nb, "machinery", False):
            err(f"{nb.path}: {nb.message}" if nb.message else f"{nb.path}: {nb.status}")


def write_output(text: str | bytes, output: str | None) -> None:
    """Print the report, or write it atomically to ``output`` (bytes: UTF-8, for a file)."""
    if output and output != "-":
        write_report_file(text, output)
    else:
        click.echo(text, nl=False)
