"""Helpers shared by the sub-commands: error handling, output, option parsing."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from ..errors import EXIT_INPUT, EXIT_MACHINERY, NbkitError


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
        err(f"internal error: {type(e).__name__}: {e} (run `nbkit --debug ...` for the traceback)")
        sys.exit(EXIT_MACHINERY)


def split_codes(values: tuple[str, ...]) -> list[str]:
    """``--select A,B --select C`` -> ["A", "B", "C"]."""
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def write_output(text: str, output: str | None) -> None:
    """Print the report, or write it atomically to ``output``."""
    if output and output != "-":
        from ..nbio import atomic_write_bytes

        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise NbkitError("folder for --output does not exist", output)
        atomic_write_bytes(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)


def use_color(output: str | None) -> bool:
    if output and output != "-":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()
