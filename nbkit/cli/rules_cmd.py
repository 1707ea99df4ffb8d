"""``nbkit rules``."""

from __future__ import annotations

import json

import click


@click.command("rules")
@click.option("--explain", metavar="CODE", help="Show one rule's documentation (code or name).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(explain, fmt):
    """List the rule catalogue, or explain one rule."""
    from .. import rules as registry

    if explain:
        r = registry.get(explain)
        if fmt == "json":
            click.echo(json.dumps({**r.to_dict(), "doc": r.doc}, indent=2))
        else:
            click.echo(f"{r.code} {r.name} ({r.severity.value}, {r.category}"
                       f"{', fixable' if r.fixable else ''}{'' if r.static else ', reported by verify'})\n")
            click.echo(r.summary + "\n")
            click.echo(r.doc)
        return
    items = registry.all_rules()
    if fmt == "json":
        click.echo(json.dumps({"schema": "nbkit.rules/1", "rules": [r.to_dict() for r in items]}, indent=2))
        return
    width = max(len(r.name) for r in items)
    for r in items:
        flags = ("fix" if r.fixable else "   ") + (" verify" if not r.static else "")
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {flags:<10} {r.summary}")
