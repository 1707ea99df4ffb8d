"""Rules: repro."""

from __future__ import annotations

from . import Hit, rule  # noqa: F401
