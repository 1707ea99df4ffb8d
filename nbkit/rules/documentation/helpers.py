"""Helpers shared by several documentation rules."""

from __future__ import annotations

import re


def quote_short(text: str, limit: int = 50) -> str:
    text = " ".join(text.replace("**", "").split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


PLACEHOLDER = re.compile(r"\b(?:TODO|FIXME|TBD)\b|\b(?i:todo|fixme|tbd)\s*:")


def may_hold_placeholder(text: str) -> bool:
    """A cheap pre-filter for PLACEHOLDER.search (a scan of the text by the regex costs ~4x more):
    every match spells todo, tbd or fixme in some case; "xme", not "fixme", because the regex's
    case-insensitive i also matches the Turkish İ and ı (which lower() does not turn into i)."""
    low = text.lower()
    return "todo" in low or "tbd" in low or "xme" in low
