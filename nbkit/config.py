"""Configuration from ``[tool.nbkit]`` in the nearest ``pyproject.toml``.

    [tool.nbkit]
    profile = "report"            # or "exploratory"
    fail-on = "error"

    [tool.nbkit.lint]
    select = ["ALL"]
    ignore = ["NBD005"]
    per-file-ignores = {"scratch/*.ipynb" = ["NBL", "NBD"]}
    severity = {NBH007 = "info"}
    exclude = ["build/"]
    strip-outputs = false         # the repo strips outputs (NBH004 then stays quiet)

    [tool.nbkit.rules.notebook-too-long]   # options, by rule name or code
    max-cells = 80

    [tool.nbkit.layout]           # extra heading aliases per section
    summary = ["at a glance"]

    [tool.nbkit.verify]           # read by nbkit.verify

    [tool.nbkit.pin]              # reserved: no keys yet
    [tool.nbkit.server]           # reserved: no keys yet (the server is configured with traitlets)

Command-line flags override the file.  Unknown keys are errors (exit 2) naming the file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .findings import Severity

PROFILES = ("report", "exploratory")
_LINT_KEYS = {"select", "ignore", "extend-select", "per-file-ignores", "severity", "exclude", "strip-outputs"}
_RESERVED = ("server",)  # tables documented as reserved: present, but with no keys yet
# tables kept as raw dicts here and validated by the module that owns them
_OWNED = ("verify", "pin", "guard", "policy")
# the keys of the owned tables checked here (values are checked by the owner); verify checks its own
_OWNED_KEYS = {
    "pin": {"data-max-bytes"},
    "guard": {"enabled", "auto-seed", "rules"},
    "policy": {"required-sections", "require-pinned-environment", "require-seed", "max-severity-on-save"},
}
_TOP_KEYS = {"profile", "fail-on", "lint", "rules", "layout", *_OWNED, *_RESERVED} | _LINT_KEYS


@dataclass
class Config:
    path: str | None = None  # the pyproject.toml it came from
    root: str | None = None  # its folder: per-file-ignores are relative to it
    profile: str = "report"
    fail_on: Severity = Severity.ERROR
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    strip_outputs: bool = False
    rule_options: dict[str, dict] = field(default_factory=dict)
    layout_aliases: dict[str, list[str]] = field(default_factory=dict)
    verify: dict = field(default_factory=dict)
    pin: dict = field(default_factory=dict)  # [tool.nbkit.pin], validated by nbkit.pin
    guard: dict = field(default_factory=dict)  # [tool.nbkit.guard], validated by nbkit.guard
    policy: dict = field(default_factory=dict)  # [tool.nbkit.policy], validated by nbkit.policy

    def options_for(self, rule) -> dict:
        """The rule's options: its defaults overlaid with ``[tool.nbkit.rules.<name|code>]``."""
        opts = dict(rule.options)
        for key in (rule.code, rule.name):
            opts.update(self.rule_options.get(key, {}))
        return opts


def find_pyproject(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.nbkit]`` table."""
    found = _find_pyproject(start)
    return found[0] if found is not None else None


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _find_pyproject(start: str | os.PathLike | None) -> tuple[Path, bytes | None] | None:
    """The nearest pyproject.toml that counts, with the bytes it was judged by (None: unreadable)."""
    here = Path(os.path.realpath(start or os.getcwd()))  # never raises, even on a symlink loop
    if here.is_file():
        here = here.parent
    for d in (here, *here.parents):
        candidate = d / "pyproject.toml"
        try:
            st = os.stat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            data = _read_bytes(candidate)
            if data is None or _has_nbkit_table(candidate, data):
                return candidate, data  # (an unreadable file is reported when it is loaded)
    return None


# The caches below are keyed by the file's bytes, not its stat: a pyproject.toml rewritten within
# the file system's timestamp granularity, or restored with its old modification time (``touch
# -r``, a checkout or copy keeping times), has the stat of the old one, and a long-lived process
# (the server, a pytest session) would go on with the old configuration.  Reading a
# pyproject.toml is one small read (~20 us); parsing the TOML is what is saved.
_BYTES_LIMIT = 256 * 1024  # larger files are parsed again on every call rather than kept

# pyproject.toml files already read by find_pyproject: (path, bytes) -> whether it counts (a
# [tool.nbkit] table, or a broken file to report).  A folder of 500 notebooks under one project
# asks the same question 500 times; TOML parsing was most of a warm lint run.
_HAS_TABLE: dict[tuple[str, bytes], bool] = {}


def _has_nbkit_table(candidate: Path, data: bytes) -> bool:
    key = (str(candidate), data)
    known = _HAS_TABLE.get(key)
    if known is None:
        try:
            parsed = tomllib.loads(data.decode("utf-8"))
            known = isinstance(parsed.get("tool"), dict) and "nbkit" in parsed["tool"]
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            known = True  # report the broken file when it is loaded
        if len(data) <= _BYTES_LIMIT:
            if len(_HAS_TABLE) >= 256:
                _HAS_TABLE.clear()
            _HAS_TABLE[key] = known
    return known


def load_config(start: str | os.PathLike | None = None, path: str | os.PathLike | None = None) -> Config:
    """Load the configuration that applies at ``start`` (or from an explicit ``path``)."""
    pp = Path(path) if path else find_pyproject(start)
    if pp is None:
        return Config()
    try:
        data = pp.read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such file", str(pp)) from None
    except OSError as e:
        raise ConfigError(f"cannot read ({e})", str(pp)) from None
    return _config_from_bytes(data, str(pp))


def _config_from_bytes(data: bytes, where: str) -> Config:
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML ({e})", where) from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"cannot read ({e})", where) from None
    table = parsed.get("tool", {}).get("nbkit", {}) if isinstance(parsed.get("tool"), dict) else {}
    return config_from_table(table, where)


_CACHE: dict[tuple[str, bytes], Config] = {}
_CACHE_SIZE = 64


def load_cached(start: str | os.PathLike) -> Config:
    """:func:`load_config` for ``start``, re-used while its pyproject.toml is unchanged.

    Long-lived faces (the server, a pytest session) ask for the configuration of every
    notebook; the file is read every time (one small read) and parsed again only when its
    path or its bytes change (never by its modification time, which a rewrite in the same
    clock tick or a restored file keeps).  The same bytes give the same object.
    """
    found = _find_pyproject(start)
    pp: Path | None = None
    data: bytes | None = b""
    if found is not None:
        pp, data = found
    if data is None:
        return load_config(path=pp)  # raises the ConfigError naming the file
    key = (str(pp) if pp is not None else "", data)
    cfg = _CACHE.get(key)
    if cfg is None:
        cfg = _config_from_bytes(data, str(pp)) if pp is not None else Config()
        if len(data) <= _BYTES_LIMIT:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[key] = cfg
    return cfg


def clear_cache() -> None:
    """Forget every configuration :func:`load_cached` remembers."""
    _CACHE.clear()
    _HAS_TABLE.clear()


def _strs(value, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[tool.nbkit] {key} must be a list of strings", where)
    return list(value)


def config_from_table(table: dict, where: str = "pyproject.toml") -> Config:
    if not isinstance(table, dict):
        raise ConfigError("[tool.nbkit] must be a table", where)
    unknown = set(table) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"unknown key tool.nbkit.{sorted(unknown)[0]} (known: {', '.join(sorted(_TOP_KEYS))})", where)
    cfg = Config(path=where, root=os.path.dirname(os.path.abspath(where)))
    if "profile" in table:
        if table["profile"] not in PROFILES:
            raise ConfigError(f"tool.nbkit.profile must be one of {', '.join(PROFILES)}, not {table['profile']!r}", where)
        cfg.profile = table["profile"]
    if "fail-on" in table:
        try:
            cfg.fail_on = Severity.parse(table["fail-on"])
        except ValueError as e:
            raise ConfigError(f"tool.nbkit.fail-on: {e}", where) from None
    lint = dict(table.get("lint", {}))
    if not isinstance(table.get("lint", {}), dict):
        raise ConfigError("tool.nbkit.lint must be a table", where)
    for key in _LINT_KEYS & set(table):
        lint.setdefault(key, table[key])
    unknown = set(lint) - _LINT_KEYS
    if unknown:
        raise ConfigError(f"unknown key tool.nbkit.lint.{sorted(unknown)[0]} (known: {', '.join(sorted(_LINT_KEYS))})", where)
    if "select" in lint:
        cfg.select = _strs(lint["select"], "lint.select", where)
    if "extend-select" in lint:
        cfg.extend_select = _strs(lint["extend-select"], "lint.extend-select", where)
    if "ignore" in lint:
        cfg.ignore = _strs(lint["ignore"], "lint.ignore", where)
    if "exclude" in lint:
        cfg.exclude = _strs(lint["exclude"], "lint.exclude", where)
    if "strip-outputs" in lint:
        if not isinstance(lint["strip-outputs"], bool):
            raise ConfigError("tool.nbkit.lint.strip-outputs must be true or false", where)
        cfg.strip_outputs = lint["strip-outputs"]
    pfi = lint.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError("tool.nbkit.lint.per-file-ignores must be a table of glob = [codes]", where)
    cfg.per_file_ignores = {k: _strs(v, f"per-file-ignores.{k}", where) for k, v in pfi.items()}
    sev = lint.get("severity", {})
    if not isinstance(sev, dict):
        raise ConfigError("tool.nbkit.lint.severity must be a table of CODE = severity", where)
    for k, v in sev.items():
        try:
            cfg.severity[k] = Severity.parse(v)
        except ValueError as e:
            raise ConfigError(f"tool.nbkit.lint.severity.{k}: {e}", where) from None
    rules = table.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise ConfigError("tool.nbkit.rules must hold one table per rule ([tool.nbkit.rules.NAME])", where)
    cfg.rule_options = {k: dict(v) for k, v in rules.items()}
    layout = table.get("layout", {})
    if not isinstance(layout, dict):
        raise ConfigError("tool.nbkit.layout must be a table", where)
    for k, v in layout.items():
        from .layout import SECTIONS  # (only for a layout table: a warm `nbkit lint` need not load it)

        if k not in SECTIONS:
            raise ConfigError(f"unknown key tool.nbkit.layout.{k} (sections: {', '.join(SECTIONS)})", where)
        cfg.layout_aliases[k] = [a.lower() for a in _strs(v, f"layout.{k}", where)]
    for sub in _OWNED:
        val = table.get(sub, {})
        if not isinstance(val, dict):
            raise ConfigError(f"tool.nbkit.{sub} must be a table", where)
        known = _OWNED_KEYS.get(sub)
        if known is not None and set(val) - known:
            raise ConfigError(f"unknown key tool.nbkit.{sub}.{sorted(set(val) - known)[0]} "
                              f"(known: {', '.join(sorted(known))})", where)
        setattr(cfg, sub, dict(val))
    for sub in _RESERVED:
        val = table.get(sub, {})
        if not isinstance(val, dict):
            raise ConfigError(f"tool.nbkit.{sub} must be a table", where)
        if val:
            raise ConfigError(f"unknown key tool.nbkit.{sub}.{sorted(val)[0]} ([tool.nbkit.{sub}] is reserved and "
                              "has no keys yet)", where)
    _validate_rule_keys(cfg, where)
    return cfg


def _validate_rule_keys(cfg: Config, where: str) -> None:
    if not (cfg.rule_options or cfg.select or cfg.extend_select or cfg.ignore or cfg.severity
            or cfg.per_file_ignores):
        return  # nothing names a rule (and a warm `nbkit lint` need not load the registry)
    from . import rules as registry
    from .errors import UsageError

    for key, opts in cfg.rule_options.items():
        try:
            r = registry.get(key)
        except UsageError:
            raise ConfigError(f"tool.nbkit.rules.{key}: unknown rule", where) from None
        unknown = set(opts) - set(r.options)
        if unknown:
            known = ", ".join(sorted(r.options)) or "none"
            raise ConfigError(f"tool.nbkit.rules.{key}: unknown option {sorted(unknown)[0]!r} (options: {known})", where)
        for name, value in opts.items():
            _check_option_type(f"tool.nbkit.rules.{key}.{name}", r.options[name], value, where)
    for sel in [*(cfg.select or []), *cfg.extend_select, *cfg.ignore, *cfg.severity,
                *(c for v in cfg.per_file_ignores.values() for c in v)]:
        try:
            registry.expand(sel)
        except UsageError as e:
            raise ConfigError(f"[tool.nbkit] {e}", where) from None


def _check_option_type(key: str, default, value, where: str) -> None:
    """An option takes the type of its default (an int option also accepts no bool)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
            ok = value.is_integer()
    elif isinstance(default, str):
        ok = isinstance(value, str)
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, list)
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{key} must be {type(default).__name__}, not {value!r}", where)
