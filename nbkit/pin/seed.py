"""The one check of a seed (CLI, server, magics, pin and verify all use it)."""

from __future__ import annotations

from typing import Any

from ..errors import RequestError

SEED_MAX = 2**32 - 1


def validate_seed(seed: Any, what: str = "seed") -> int:
    """``seed`` when it is an integer from 0 to :data:`SEED_MAX`, else a :class:`RequestError`.

    ``what`` names the input as the face shows it (the server quotes its JSON keys: ``'seed'``).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise RequestError(f"{what} must be an integer from 0 to {SEED_MAX}, got {seed!r}")
    return seed
