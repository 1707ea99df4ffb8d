"""Check ``nbkit ...`` command lines found in CI templates and hook files against the real
click command definitions in nbkit/cli/ (unknown sub-commands or options, bad values fail)."""

from __future__ import annotations

import re
import shlex

import click

OPERATORS = re.compile(r"\|\||&&|;|\|")


def expand(text: str, variables: dict[str, str]) -> str:
    """Substitute ``${{ matrix.x }}`` / ``${{ env.X }}`` expressions and ``$X`` / ``${X}`` variables."""

    def gh(m: re.Match) -> str:
        name = m.group(1).split(".")[-1]
        if name not in variables:
            raise KeyError(f"no value for expression {m.group(0)!r}")
        return str(variables[name])

    text = re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", gh, text)

    def sh(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        return str(variables[name]) if name in variables else m.group(0)

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sh, text)


def nbkit_commands(script: str, variables: dict[str, str]) -> list[list[str]]:
    """Every ``nbkit`` invocation of a shell script, as argument lists without the ``nbkit``."""
    out = []
    script = expand(script, variables)
    for line in script.replace("\\\n", " ").splitlines():
        for part in OPERATORS.split(line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue
            if words[:1] == ["nbkit"]:
                out.append(words[1:])
            elif words[:3] == ["python", "-m", "nbkit"]:
                out.append(words[3:])
    return out


def check_nbkit_args(args: list[str]) -> tuple[str, dict]:
    """Parse ``nbkit ARGS`` with the real click commands; (sub-command, parsed params) or raise."""
    from nbkit.cli import COMMANDS, main

    args = [a for a in args if a != "--debug"]
    assert args, "nbkit called without a sub-command"
    name, rest = args[0], args[1:]
    assert name in COMMANDS, f"nbkit has no sub-command {name!r} (it has {', '.join(COMMANDS)})"
    cmd = main.get_command(click.Context(main), name)
    try:
        ctx = cmd.make_context(name, list(rest))
    except click.exceptions.ClickException as e:
        raise AssertionError(f"`nbkit {shlex.join(args)}`: {e.format_message()}") from None
    return name, ctx.params
