"""``nbkit lint``."""

from __future__ import annotations

import click

from .common import check_output, split_codes, use_color, write_output

FORMATS = ("text", "json", "sarif", "junit", "github")


@click.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(readable=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (codes, prefixes or names; comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--profile", type=click.Choice(["report", "exploratory"]), help="Rule profile (default: report).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), help="Exit 1 on findings at or above this severity (default: error).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (atomically).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker processes; 0 = one per core for runs of many notebooks, 1 = no workers.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the lint cache (.nbkit_cache/ or $NBKIT_CACHE_DIR).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Read [tool.nbkit] from this pyproject.toml.")
@click.option("--policy", "policy", is_flag=True,
              help="Also check each notebook against its team policy ([tool.nbkit.policy]); exit 1 on a violation.")
@click.pass_context
def lint(ctx, paths, fmt, output, select, ignore, profile, fail_on, fix, jobs, no_cache, config_path, policy):
    """Check notebooks (files or folders, searched recursively) against nbkit's rules.

    Exit codes: 0 no finding at or above --fail-on (and, with --policy, every notebook meets
    its team policy); 1 findings at or above it, or a policy violation; 2 usage or input error
    (an unreadable or invalid notebook, bad [tool.nbkit] or [tool.nbkit.policy]; the other
    notebooks are still checked and reported); 3 nbkit's machinery failed.
    """
    from ..config import load_config
    from ..requests import run_lint
    from .common import err
    from .lintflow import lint_report, lint_request, remember_run

    # --config: one configuration for every notebook; else each notebook's nearest [tool.nbkit]
    config = load_config(None, config_path) if config_path else None
    check_output(output, [*paths, *([config_path] if config_path else [])], config.exclude if config else None)
    request = lint_request(paths, config=config, select=split_codes(select), ignore=split_codes(ignore),
                           profile=profile, fix=fix, jobs=jobs, fail_on=fail_on, no_cache=no_cache, policy=policy)
    result = run_lint(request)
    if len(paths) == 1 and fmt == "text" and output is None and request.cache and not (
            select or ignore or profile or fail_on or jobs or config_path or policy):
        remember_run(request, result)  # `nbkit lint PATH.ipynb` again: answered by nbkit.cli.fastlint
    text, code = lint_report(request, result, fmt, use_color(output), err, to_file=bool(output and output != "-"))
    write_output(text, output)
    ctx.exit(code)


@click.command("clean")
@click.argument("path", required=False, type=click.Path())
def clean(path):
    """Remove the lint and verify caches of the project at PATH (default: here): .nbkit_cache/ at
    the project root, or $NBKIT_CACHE_DIR."""
    from ..config import load_config
    from ..errors import UsageError
    from ..cachestore import cache_dir
    from ..cachestore import clean as remove

    config = load_config(path)
    folder = cache_dir([path or "."], config.root)
    try:
        removed = remove(folder)
    except OSError as e:
        raise UsageError(str(e), folder) from None
    click.echo(f"removed {folder}" if removed else f"no cache at {folder}")
