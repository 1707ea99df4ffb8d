"""``nbkit verify``."""

from __future__ import annotations

import os
import signal
import sys

import click

from ..verify.events import VerifyEvents
from .common import check_output, echo_machinery_failures, use_color, write_output

FORMATS = ("text", "json", "junit", "html", "github")
_FLAGS = {"timeout": "--timeout", "parameters": "-p", "runs": "--runs", "jobs": "-j/--jobs"}


class _Progress(VerifyEvents):
    """A rich progress display on a terminal; plain lines (for CI logs) otherwise."""

    def __init__(self, live: bool):
        self.total, self.done, self.live = 0, 0, live
        self.progress = None
        self.current: dict[str, str] = {}
        if live:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(TextColumn("[bold]verify[/]"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("{task.fields[current]}"),
                                     console=Console(stderr=True), transient=True)
            self.task = self.progress.add_task("verify", total=0, current="")

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def _show_current(self) -> None:
        shown = "; ".join(f"{os.path.basename(p)}: {c}" for p, c in list(self.current.items())[:3])
        self.progress.update(self.task, current=shown)

    def on_input_error(self, result) -> None:
        """One line on stderr as lint prints it, before any kernel starts (on a terminal too)."""
        from .common import err

        err(f"{result.path}: {result.message}")

    def on_plan(self, total: int) -> None:
        self.total = total
        if self.progress:
            self.progress.update(self.task, total=total)

    def on_notebook_start(self, path: str, cells: int) -> None:
        if self.progress:
            self.current[path] = "starting"
            self._show_current()

    def on_cell(self, path: str, index: int, state: str, run: int) -> None:
        if self.progress and state == "running":
            self.current[path] = f"cell {index}"
            self._show_current()

    def on_notebook_end(self, result) -> None:
        if self.progress:
            self.current.pop(result.path, None)
            self.progress.advance(self.task)
            self._show_current()
        else:
            self.done += 1
            if getattr(result, "cancelled", False):  # stopped by Ctrl-C (or never started): not a failure
                click.echo(f"nbkit verify: [{self.done}/{self.total}] {result.path}: cancelled", err=True)
            elif result.status == "invalid" and result.message:  # the problem, on the one line
                click.echo(f"nbkit verify: [{self.done}/{self.total}] {result.path}: invalid: {result.message}",
                           err=True)
            else:
                click.echo(f"nbkit verify: [{self.done}/{self.total}] {result.path}: {result.status} "
                           f"({result.duration_s:.1f} s)", err=True)


def _sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise KeyboardInterrupt


@click.command("verify")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Notebooks verified in parallel, one kernel each.")
@click.option("--runs", metavar="auto|N",
              help="Fresh runs per notebook: auto (default: one run, and a confirming run when a cell mismatches, "
                   "to tell randomness from stable changes) or N (2+ reports nondeterministic cells).")
@click.option("--timeout", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Per-cell timeout (default 600; 0 = none). A cell past it is interrupted and its kernel killed.")
@click.option("--kernel", metavar="NAME", help="Kernel to use instead of the notebook's kernelspec.")
@click.option("-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="NAME VALUE",
              help="Set a parameter (papermill-style; the `parameters` cell must assign NAME).")
@click.option("--shard", metavar="I/N", help="Verify only slice I of N (deterministic, for CI matrices).")
@click.option("--strict-env", is_flag=True, default=None, help="Environment drift (NBR025) fails verification.")
@click.option("--env", "env", type=click.Choice(["current", "pinned"]), default=None,
              help="Run in this environment (default), or in an isolated one built with uv from the "
                   "notebook's pins (metadata.nbkit.environment or a PEP 723 block; cached, see `nbkit env`).")
@click.option("--explain-drift", "explain", is_flag=True,
              help="For a notebook that does not reproduce here and whose pins drifted: run it in its pinned "
                   "environment, then with each drifted package alone upgraded (at most --explain-max), and "
                   "name the upgrade that changes the output.")
@click.option("--explain-max", type=click.IntRange(min=1), default=4, show_default=True, metavar="N",
              help="With --explain-drift: at most N upgraded environments (extra runs) per notebook.")
@click.option("--allow-build", is_flag=True, default=None,
              help="With --env pinned: allow building source distributions (wheels only by default).")
@click.option("--update", is_flag=True,
              help="Store the fresh outputs of the cells that differ (atomically); an updated notebook passes.")
@click.option("--stamp", is_flag=True, help="Record the result in metadata.nbkit.verified (atomically).")
@click.option("--stop-on-error", is_flag=True,
              help="Stop a run at its first failed cell (default: run the remaining cells and report each "
                   "independent failure with its cause).")
@click.option("--cache/--no-cache", "cache", default=None,
              help="Do not re-run a notebook whose verdict was reproducible while nothing that decides it changed "
                   "(its bytes, the kernel's environment, its pinned data files, nbkit's version, these options); "
                   "kept in .nbkit_cache/verify (default: [tool.nbkit.verify] cache, else off).")
@click.option("--changed", "changed", is_flag=False, flag_value="", default=None, metavar="[REF]",
              help="Verify only the notebooks (under PATHS, default here) changed since the merge base of HEAD and "
                   "REF (default: the default branch), untracked ones, and those whose pinned data files changed.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Read [tool.nbkit] from this pyproject.toml.")
@click.pass_context
def verify(ctx, paths, fmt, output, jobs, runs, timeout, kernel, parameters, shard, strict_env, env, explain,
           explain_max, allow_build, update, stamp, stop_on_error, cache, changed, config_path):
    """Re-execute notebooks (files or folders) in fresh kernels and check their stored outputs.

    Exit codes: 0 every notebook reproduces; 1 a notebook does not (mismatch, failed,
    nondeterministic, timeout, or drift with --strict-env); 2 invalid input; 3 no kernel
    could start.  The input files are never written, except with --update or --stamp.
    """
    from ..config import load_config
    from ..errors import RequestError, UsageError
    from ..report.verify_reports import RENDERERS, render_text
    from ..verify import VerifyOptions, VerifyRequest, run
    from ..verify.controls import parse_value

    if changed is not None:
        from ..verify.changed import split_ref_and_paths

        ref, listed = split_ref_and_paths(changed or None, paths)
        paths = tuple(listed)
    elif not paths:
        raise UsageError("give at least one notebook or folder (or --changed)")
    names = [n for n, _v in parameters]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UsageError(f"-p {sorted(dup)[0]} given more than once")
    config = load_config(paths[0] if paths else None, config_path)
    opts = VerifyOptions(timeout=timeout, kernel=kernel, parameters={n: parse_value(v) for n, v in parameters},
                         runs=runs, jobs=jobs, shard=shard, strict_env=strict_env, update=update, stamp=stamp,
                         stop_on_error=stop_on_error, config=config, env=env, allow_build=allow_build,
                         explain_drift=explain_max if explain else 0, cache=cache)
    targets = list(paths)
    if changed is not None:
        from ..verify.changed import select_changed

        selection = select_changed(targets, ref, config.exclude)
        click.echo(f"nbkit verify: {selection.summary()}", err=True)
        targets = [*selection.notebooks, *selection.problems]
    try:
        request = VerifyRequest.build(targets, opts)  # usage errors before any kernel starts
    except RequestError as e:
        raise UsageError(e.message_for(_FLAGS.get(e.field, e.field))) from None
    check_output(output, [*(paths or ["."]), *([config_path] if config_path else [])], config.exclude)
    if hasattr(signal, "SIGTERM") and threading_main():
        signal.signal(signal.SIGTERM, _sigterm)
    with _Progress(sys.stderr.isatty() and not os.environ.get("CI")) as progress:
        report = run(request, events=progress)
    if fmt == "text":
        text = render_text(report, color=use_color(output))
    else:
        text = RENDERERS[fmt](report)
    write_output(text, output)
    echo_machinery_failures(report, output)
    ctx.exit(report.exit_code())


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()

