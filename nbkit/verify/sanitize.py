"""User sanitisers: regex replacements applied to output text before comparison.

Given in ``[tool.nbkit.verify] sanitizers = [{regex = ..., replace = ...}]`` or in a file in
nbval's sanitize format (``--nbval-sanitize-with``), so a migrating project keeps its file:

    [timestamps]
    regex: \\d{2}:\\d{2}:\\d{2}
    replace: HH:MM:SS
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError


@dataclass
class Sanitizer:
    pattern: re.Pattern
    replace: str


def compile_sanitizer(regex, replace, where: str) -> Sanitizer:
    if not isinstance(regex, str) or not isinstance(replace, str):
        raise ConfigError("each sanitizer needs a string 'regex' and a string 'replace'", where)
    try:
        return Sanitizer(re.compile(regex), replace)
    except re.error as e:
        raise ConfigError(f"sanitizer regex {regex!r} is invalid ({e})", where) from None


def read_sanitize_file(path: str) -> list[Sanitizer]:
    """nbval's sanitize file: INI sections, each with ``regex:`` and ``replace:``."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as fh:
            parser.read_file(fh)
    except FileNotFoundError:
        raise ConfigError("sanitize file not found", path) from None
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise ConfigError(f"cannot read sanitize file ({e.__class__.__name__}: {e})".splitlines()[0], path) from None
    out = []
    for section in parser.sections():
        sec = parser[section]
        if "regex" not in sec or "replace" not in sec:
            raise ConfigError(f"section [{section}] needs 'regex' and 'replace'", path)
        out.append(compile_sanitizer(sec["regex"], sec["replace"], path))
    return out


def apply_sanitizers(text: str, sanitizers: list[Sanitizer]) -> str:
    for s in sanitizers:
        text = s.pattern.sub(s.replace, text)
    return text
