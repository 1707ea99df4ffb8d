"""Environment drift (NBR025): compare a pinned environment with what is installed now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..imports import installed_version, normalise_dist
from ..report.common import drift_line


@dataclass(frozen=True)
class Drift:
    """A pinned package whose installed version differs (``installed`` None: not installed)."""

    package: str
    pinned: str
    installed: str | None

    def to_dict(self) -> dict:
        return {"package": self.package, "pinned": self.pinned, "installed": self.installed}

    def line(self) -> str:
        return drift_line(self.package, self.pinned, self.installed)


def environment_drift(pinned_env: dict, installed: Callable[[str], str | None] | dict | None = None) -> list[Drift]:
    """One entry per pinned package whose installed version differs or is missing.

    ``pinned_env`` is ``metadata.nbkit.environment`` (its ``packages`` maps distribution to
    version).  ``installed`` maps a distribution name to its installed version (a dict or a
    function; default: this interpreter's ``importlib.metadata``).  Malformed entries are
    ignored rather than raising: drift is advice, not a crash.
    """
    packages = pinned_env.get("packages") if isinstance(pinned_env, dict) else None
    if not isinstance(packages, dict):
        return []
    lookup: Callable[[str], str | None]
    if installed is None:
        lookup = installed_version
    elif isinstance(installed, dict):
        norm = {normalise_dist(k): v for k, v in installed.items()}
        lookup = lambda name: norm.get(normalise_dist(name))  # noqa: E731
    else:
        lookup = installed
    out: list[Drift] = []
    for name in sorted(packages, key=str.lower):
        pinned = packages[name]
        if not isinstance(name, str) or not isinstance(pinned, str):
            continue
        now = lookup(name)
        if now != pinned:
            out.append(Drift(name, pinned, now))
    return out
