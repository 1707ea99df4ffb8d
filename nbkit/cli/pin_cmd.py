"""``nbkit pin``."""

from __future__ import annotations

import click

SEED_RANGE = click.IntRange(0, 2**32 - 1)


def _describe(env: dict) -> str:
    pkgs = env.get("packages", {})
    listed = ", ".join(f"{k} {v}" for k, v in pkgs.items())
    return (f"Python {env.get('python')} ({env.get('implementation')}, {env.get('platform')}), "
            f"{len(pkgs)} package{'s' if len(pkgs) != 1 else ''}" + (f": {listed}" if listed else ""))


@click.command("pin")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--seed", type=SEED_RANGE, metavar="N", help="Also record N as the notebook's seed.")
@click.option("--check", is_flag=True, help="Report drift against the pinned environment (exit 1 on drift); write nothing.")
@click.option("--python", "python", metavar="PATH", help="Capture the environment of this interpreter instead of nbkit's own.")
@click.option("--export", type=click.Choice(["requirements"]), help="Print a pinned requirements list; write nothing.")
@click.option("--force", is_flag=True, help="Replace a malformed existing metadata.nbkit (environment / seed) instead of refusing.")
@click.pass_context
def pin(ctx, paths, seed, check, python, export, force):
    """Record the environment (Python, platform, versions of the imported distributions) and,
    with --seed, the seed in each notebook's metadata.nbkit.

    Only metadata.nbkit changes; every other byte of the file stays as it was. Re-pinning an
    unchanged environment writes nothing. Exit codes: 0 done / no drift; 1 drift or nothing
    pinned (--check); 2 input error (unreadable, invalid or read-only notebook, malformed
    metadata.nbkit without --force, bad --python); 3 the --python interpreter failed.
    """
    from ..config import load_config
    from ..errors import EXIT_INPUT, NbkitError, UsageError
    from ..nbio import discover
    from ..pin import Interpreter, check_notebook, pin as pin_one, requirements_for
    from ..pin.capture import interpreter_facts
    from ..pin.pinning import pinned_environment
    from .common import err

    if check and (seed is not None or export or force):
        raise UsageError("--check only reads; it cannot be combined with --seed, --export or --force")
    if export and (seed is not None or force):
        raise UsageError("--export only reads; it cannot be combined with --seed or --force")

    config = load_config(paths[0])
    nb_paths, errors = discover(list(paths), config.exclude)
    code = EXIT_INPUT if errors else 0
    for e in errors:
        err(str(e))
    interpreter = Interpreter(python)

    def warn(path, note):
        click.echo(f"nbkit: warning: {path}: {note}", err=True)

    if not check and len(nb_paths) > 1:
        from ..model import load

        readable = []
        for path in nb_paths:
            try:
                readable.append(load(path))
            except NbkitError:
                pass  # reported when its turn comes
        interpreter.prefetch(readable)

    requirements: dict[str, set[str]] = {}
    for path in nb_paths:
        try:
            if check:
                from ..model import load

                nb = load(path)
                drift = check_notebook(nb, interpreter if python else None)
                env = pinned_environment(nb) or {}
                facts = interpreter_facts(interpreter)
                if env.get("python") and facts.get("python") and env["python"] != facts["python"]:
                    warn(path, f"pinned with Python {env['python']}, checking against Python {facts['python']}")
                if drift:
                    code = max(code, 1)
                    for d in drift:
                        now = d["installed"] if d["installed"] is not None else "not installed"
                        click.echo(f"{path}: drift: {d['package']} pinned {d['pinned']}, installed {now}")
                else:
                    n = len(env.get("packages", {}))
                    click.echo(f"{path}: no drift ({n} package{'s' if n != 1 else ''} pinned)")
            elif export:
                notes: list[str] = []
                for line in requirements_for(path, interpreter, notes):
                    name = line.split("==", 1)[0].lower()
                    requirements.setdefault(name, set()).add(line)
                for note in notes:
                    warn(path, note)
            else:
                outcome = pin_one(path, seed, interpreter, force=force)
                for note in outcome.notes:
                    warn(path, note)
                env = outcome.nbkit["environment"]
                seed_txt = f"; seed {outcome.nbkit['seed']}" if "seed" in outcome.nbkit else ""
                if outcome.written:
                    click.echo(f"pinned {path}: {_describe(env)}{seed_txt}")
                else:
                    click.echo(f"{path}: already pinned, unchanged ({_describe(env)}{seed_txt})")
        except NbkitError as e:
            err(str(e))
            code = max(code, e.exit_code)
    if export:
        for name in sorted(requirements):
            lines = sorted(requirements[name])
            if len(lines) > 1:
                click.echo(f"nbkit: warning: notebooks pin different versions: {', '.join(lines)}", err=True)
            for line in lines:
                click.echo(line)
    ctx.exit(code)
