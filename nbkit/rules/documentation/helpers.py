"""Helpers shared by several documentation rules."""

from __future__ import annotations

import re


def quote_short(text: str, limit: int = 50) -> str:
    text = " ".join(text.replace("**", "").split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


PLACEHOLDER = re.compile(r"\b(?:TODO|FIXME|TBD)\b|\b(?i:todo|fixme|tbd)\s*:")
