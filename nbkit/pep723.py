"""PEP 723 inline script metadata (the ``# /// script`` block juv writes into a notebook's first
code cell): read it, and write one.  Light on purpose: NBR001-NBR003 read it during lint, and
:mod:`nbkit.environments` builds ``--env pinned`` environments from it.

    # /// script
    # requires-python = ">=3.11"
    # dependencies = [
    #     "pandas==2.1.4",
    # ]
    # ///
"""

from __future__ import annotations

import re

from .lazy import lazy_re

SCRIPT_BLOCK = lazy_re(r"(?m)^# /// script\s*$\n(?P<body>(?:^#(?:| .*)$\n)+?)^# ///\s*$")
EXACT_PIN = lazy_re(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(?P<version>[^\s;,\[\]]+)\s*$")
_NAME = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")


class ScriptBlockError(ValueError):
    """The ``# /// script`` block is there but is not valid TOML."""


def script_block(source: str) -> dict | None:
    """The ``# /// script`` block (PEP 723) of a cell's source as a dict, or None when there is
    none.  Raises :class:`ScriptBlockError` when the block is not valid TOML."""
    if "# /// script" not in source:
        return None
    m = SCRIPT_BLOCK.search(source if source.endswith("\n") else source + "\n")
    if not m:
        return None
    import tomllib

    body = "".join(ln[2:] if ln.startswith("# ") else ln[1:] for ln in m.group("body").splitlines(keepends=True))
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError as e:
        raise ScriptBlockError(f"the PEP 723 script block is not valid TOML ({e})") from None


def dependencies(block: dict) -> list[str]:
    """The block's ``dependencies`` (requirement strings; anything else is left out)."""
    deps = block.get("dependencies")
    return [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []


def dependency_name(requirement: str) -> str | None:
    """The distribution a requirement string names (``"pandas>=2"`` -> ``"pandas"``)."""
    m = _NAME.match(requirement)
    return m.group("name") if m else None


def is_exact_pin(requirement: str) -> bool:
    return bool(EXACT_PIN.match(requirement))


def notebook_block(nb) -> dict | None:
    """The PEP 723 block of the notebook's first code cell (None: none, or not valid TOML)."""
    first = next((c for c in nb.cells if c.is_code), None)
    if first is None:
        return None
    try:
        return script_block(first.source)
    except ScriptBlockError:
        return None


def pep723_block(requirements: list[str], python: str | None = None) -> str:
    """A PEP 723 ``# /// script`` block pinning ``requirements`` (``name==version`` lines)."""
    lines = ["# /// script"]
    if python:
        lines.append(f'# requires-python = ">={python}"')
    lines.append("# dependencies = [")
    lines += [f'#     "{r}",' for r in requirements]
    lines += ["# ]", "# ///"]
    return "\n".join(lines) + "\n"
