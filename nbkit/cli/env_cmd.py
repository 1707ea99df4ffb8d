"""``nbkit env``: the cache of pinned environments that ``nbkit verify --env pinned`` runs in."""

from __future__ import annotations

import time

import click


@click.group("env")
def env() -> None:
    """Manage pinned environments (isolated virtual environments built with uv from a notebook's
    pins, cached under the user cache folder; NBKIT_ENV_CACHE moves it).

    Exit codes: 0 done; 2 a notebook without pins, invalid pins, or a pin that cannot be installed.
    """


@env.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_cmd(fmt: str) -> None:
    """List the cached environments: key, Python, pins, last use, size."""
    import json

    from ..environments import cache_root, list_envs

    envs = list_envs()
    if fmt == "json":
        click.echo(json.dumps({"cache": str(cache_root()), "environments": envs}, indent=2))
        return
    if not envs:
        click.echo(f"no pinned environments in {cache_root()}")
        return
    for e in envs:
        pins = ", ".join(f"{k} {v}" for k, v in e["packages"].items()) or "no packages"
        used = time.strftime("%Y-%m-%d", time.gmtime(e.get("last_used") or 0))
        click.echo(f"{e['key']}  Python {e['python']}  {e['bytes'] / 1e6:.0f} MB  last used {used}  {pins}")


@env.command("path")
@click.argument("notebook", type=click.Path())
def path_cmd(notebook: str) -> None:
    """Print the folder of NOTEBOOK's pinned environment (built or not yet)."""
    from ..environments import cache_root, spec_for_notebook

    click.echo(str(cache_root() / spec_for_notebook(notebook).key))


@env.command("build")
@click.argument("notebook", type=click.Path())
@click.option("--allow-build", is_flag=True, help="Allow source distributions (sdists) to be built; wheels only by default.")
def build_cmd(notebook: str, allow_build: bool) -> None:
    """Build (or find in the cache) the environment NOTEBOOK's pins describe."""
    from ..environments import ensure_env, spec_for_notebook

    spec = spec_for_notebook(notebook)
    started = time.monotonic()
    built = ensure_env(spec, allow_build=allow_build)
    how = f"built in {time.monotonic() - started:.1f} s" if built.built else "from the cache"
    click.echo(f"{notebook}: environment {spec.key} ({how}) at {built.path}")
    if built.note:
        click.echo(f"note: {built.note}")
    click.echo("installed: " + ", ".join(f"{k} {v}" for k, v in sorted(built.installed.items(), key=lambda kv: kv[0].lower())))


@env.command("prune")
@click.option("--older-than", "days", type=click.FloatRange(min=0), metavar="DAYS",
              help="Only environments not used for DAYS days (default: all).")
def prune_cmd(days: float | None) -> None:
    """Remove cached environments."""
    from ..environments import prune

    removed = prune(days)
    click.echo(f"removed {len(removed)} environment{'s' if len(removed) != 1 else ''}"
               + (": " + ", ".join(removed) if removed else ""))
