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
    from ..requests import rule_entry, rules_catalogue

    if explain:
        r = registry.get(explain)
        if fmt == "json":
            click.echo(json.dumps(rule_entry(r), indent=2))
        else:
            click.echo(f"{r.code} {r.name} ({r.severity.value}, {r.category}"
                       f"{', fixable' if r.fixable else ''}{'' if r.static else ', reported by verify'})\n")
            click.echo(r.summary + "\n")
            click.echo(r.doc)
        return
    if fmt == "json":
        click.echo(json.dumps(rules_catalogue(), indent=2))
        return
    items = registry.all_rules()
    width = max(len(r.name) for r in items)
    for r in items:
        flags = ("fix" if r.fixable else "   ") + (" verify" if not r.static else "")
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  {flags:<10} {r.summary}")
