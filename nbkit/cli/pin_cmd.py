"""``nbkit pin``."""

from __future__ import annotations

import click


def _python_of(request) -> str | None:
    """The minor Python version the (first) pinned notebook records, for requires-python."""
    from ..model import load
    from ..pin.pinning import pinned_environment

    for path in request.paths:
        try:
            env = pinned_environment(load(path))
        except Exception:  # noqa: BLE001 - a folder or an unreadable file: no Python to name
            continue
        version = (env or {}).get("python")
        if isinstance(version, str) and version.count(".") >= 1:
            return ".".join(version.split(".")[:2])
    return None


def _describe(env: dict) -> str:
    pkgs = env.get("packages", {})
    listed = ", ".join(f"{k} {v}" for k, v in pkgs.items())
    return (f"Python {env.get('python')} ({env.get('implementation')}, {env.get('platform')}), "
            f"{len(pkgs)} package{'s' if len(pkgs) != 1 else ''}" + (f": {listed}" if listed else ""))


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


@click.command("pin")
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False))
@click.option("--seed", type=int, metavar="N", help="Also record N as the notebook's seed.")
@click.option("--check", is_flag=True, help="Report drift against the pinned environment (exit 1 on drift); write nothing.")
@click.option("--python", "python", metavar="PATH", help="Capture the environment of this interpreter instead of nbkit's own.")
@click.option("--export", type=click.Choice(["requirements", "pep723"]),
              help="Print the pins as a requirements list, or as a PEP 723 script block (for juv / uv run); "
                   "write nothing.")
@click.option("--force", is_flag=True, help="Replace a malformed existing metadata.nbkit (environment / seed / data) instead of refusing.")
@click.option("--no-data", "no_data", is_flag=True,
              help="Do not pin the local input files (metadata.nbkit.data stays as it is).")
@click.pass_context
def pin(ctx, paths, seed, check, python, export, force, no_data):
    """Record the environment (Python, platform, versions of the imported distributions), the
    local input files the notebook reads (relative path, size, sha256; by size and mtime over
    [tool.nbkit.pin] data-max-bytes) and, with --seed, the seed in each notebook's metadata.nbkit.

    Only metadata.nbkit changes; every other byte of the file stays as it was. Re-pinning an
    unchanged environment and unchanged inputs writes nothing. --check also reports changed,
    missing and new input files. Exit codes: 0 done / no drift; 1 drift, changed inputs or
    nothing pinned (--check); 2 input error (unreadable, invalid or read-only notebook,
    malformed metadata.nbkit without --force, bad --python, bad [tool.nbkit.pin]); 3 the
    --python interpreter failed.
    """
    from ..requests import PinRequest, run_pin
    from .common import err

    # config None: each notebook's nearest [tool.nbkit] (an invalid one stops only the notebooks under it)
    if no_data and (check or export):
        err("--no-data only applies when pinning; it cannot be combined with --check or --export")
        ctx.exit(2)
    request = PinRequest.from_raw(paths, seed=seed, check=check, python=python, export=export, force=force,
                                  seed_name="--seed", data=not no_data)
    code = 0
    requirements: dict[str, set[str]] = {}
    for report in run_pin(request):
        code = max(code, report.exit_code)
        if report.error is not None:
            err(str(report.error))
            continue
        for note in report.notes:
            click.echo(f"nbkit: warning: {report.path}: {note}", err=True)
        if check:
            if report.drift:
                for d in report.drift:
                    click.echo(f"{report.path}: drift: {d.line()}")
            else:
                n = len(report.pinned.get("packages", {}))
                click.echo(f"{report.path}: no drift ({n} package{'s' if n != 1 else ''} pinned)")
            data = report.data
            if data is None:
                click.echo(f"{report.path}: no data pins (run `nbkit pin` to pin the input files)")
            elif data.lines():
                for line in data.lines():
                    click.echo(f"{report.path}: {line}")
            else:
                click.echo(f"{report.path}: data unchanged ({_files(data.pinned)} pinned)")
        elif export:
            for line in report.requirements:
                requirements.setdefault(line.split("==", 1)[0].lower(), set()).add(line)
        else:
            outcome = report.outcome
            env = outcome.nbkit["environment"]
            seed_txt = f"; seed {outcome.nbkit['seed']}" if "seed" in outcome.nbkit else ""
            if isinstance(outcome.nbkit.get("data"), dict):
                seed_txt += f"; data: {_files(len(outcome.nbkit['data']))}"
            if outcome.written:
                click.echo(f"pinned {report.path}: {_describe(env)}{seed_txt}")
            else:
                click.echo(f"{report.path}: already pinned, unchanged ({_describe(env)}{seed_txt})")
    if export:
        out: list[str] = []
        for name in sorted(requirements):
            lines = sorted(requirements[name])
            if len(lines) > 1:
                click.echo(f"nbkit: warning: notebooks pin different versions: {', '.join(lines)}", err=True)
            out += lines
        if export == "pep723":
            from ..environments import pep723_block

            click.echo(pep723_block(out, _python_of(request)), nl=False)
        else:
            for line in out:
                click.echo(line)
    ctx.exit(code)
