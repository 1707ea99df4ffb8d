"""``[tool.nbkit.guard]``: the guard's settings, validated here (nbkit.config keeps the raw table).

    [tool.nbkit.guard]
    enabled = true          # on after %load_ext nbkit
    auto-seed = true        # seed at the first unseeded use of randomness (or a seed: auto-seed = 7)
    rules = ["NBR004", "NBR011"]   # the checks to run (default: all of GUARD_RULES)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

# the checks the guard runs, by the rule code whose problem they catch live
GUARD_RULES: dict[str, str] = {
    "NBR004": "randomness used before any seed in this session",
    "NBH001": "out-of-order execution: a cell above the last one changes a name cells below already used",
    "NBR011": "hidden state: the cell reads a name only a deleted cell or a cell below defined",
    "NBR009": "absolute, machine-specific path",
    "NBR008": "package installed from inside the notebook",
    "NBR025": "an imported package's installed version differs from the pin",
}

SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class GuardSettings:
    enabled: bool = False
    auto_seed: bool = False
    seed: int | None = None  # auto-seed = N: the seed when the notebook pins none
    rules: frozenset[str] = frozenset(GUARD_RULES)


def parse_rules(value: object, what: str, where: str | None = None) -> frozenset[str]:
    """A rule selection (a list of codes, or one comma-separated string) as a set of guard codes."""
    if isinstance(value, str):
        items = [v for v in value.replace(" ", ",").split(",") if v]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise ConfigError(f"{what} must be a list of rule codes, got {value!r}", where)
    if not items:
        raise ConfigError(f"{what} needs at least one rule code (choose from {', '.join(GUARD_RULES)}, or all)", where)
    if [i for i in items if i.lower() == "all"]:
        return frozenset(GUARD_RULES)
    codes = {i.strip().upper() for i in items}
    unknown = sorted(codes - set(GUARD_RULES))
    if unknown:
        raise ConfigError(f"{what}: {unknown[0]!r} is not a guard check (choose from {', '.join(GUARD_RULES)})",
                          where)
    return frozenset(codes)


def settings_from_table(table: dict, where: str | None = None) -> GuardSettings:
    """Validate ``[tool.nbkit.guard]`` (its keys were checked by nbkit.config)."""
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"tool.nbkit.guard.enabled must be true or false, got {enabled!r}", where)
    auto = table.get("auto-seed", False)
    seed = None
    if isinstance(auto, bool):
        pass
    elif isinstance(auto, int) and 0 <= auto <= SEED_MAX:
        auto, seed = True, auto
    else:
        raise ConfigError(f"tool.nbkit.guard.auto-seed must be true, false or a seed from 0 to {SEED_MAX}, "
                          f"got {auto!r}", where)
    rules = parse_rules(table["rules"], "tool.nbkit.guard.rules", where) if "rules" in table \
        else frozenset(GUARD_RULES)
    return GuardSettings(enabled=enabled, auto_seed=auto, seed=seed, rules=rules)


def load_settings(start: str | None) -> GuardSettings:
    """The guard settings of the project at ``start`` (a notebook or a folder); defaults without one."""
    from ..config import load_cached

    cfg = load_cached(start or ".")
    return settings_from_table(cfg.guard if isinstance(cfg.guard, dict) else {}, cfg.path)
