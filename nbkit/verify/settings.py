"""``[tool.nbkit.verify]``: the verify options read from configuration, validated.

    [tool.nbkit.verify]
    timeout = 600                 # seconds per cell (--timeout overrides)
    kernel = "python3"            # default: the notebook's kernelspec (--kernel overrides)
    jobs = 1                      # notebooks in parallel (-j overrides)
    runs = "auto"                 # fresh runs per notebook: "auto" (a second, confirming run only
                                  # when a cell mismatches) or N (--runs overrides)
    strict-env = false            # environment drift fails verification (--strict-env)
    rtol = 1e-6                   # relative tolerance for numbers inside text (0 = exact)
    image-threshold = 0.1         # a pixel differs when a channel moves more than this (0-1)
    image-tolerance = 0.0005      # a chart changed when more than this share of its pixels differ
                                  # after rescaling to a common size and a small blur (nbkit.verify.images)
    image-resize = "match"        # the same chart at another size/dpi: "match" (with a note) or "mismatch"
    normalizers = {timestamps = false}   # switch single normalisers off (or on)
    sanitizers = [{regex = 'run id \\d+', replace = 'run id N'}]
    sanitize-file = "nbval-sanitize.cfg" # nbval's sanitize file format, relative to pyproject.toml
    cache = false                 # a notebook that reproduced is not re-run while nothing that decides
                                  # its verdict changed (--cache / --no-cache override)

Unknown keys are errors naming the file (exit 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import ConfigError
from .normalize import registered
from .sanitize import Sanitizer, compile_sanitizer, read_sanitize_file

#: the normaliser names, in pipeline order, from the registry in :mod:`nbkit.verify.normalize`
NORMALIZERS = tuple(n.name for n in registered())

ENVS = ("current", "pinned")
_KEYS = {"timeout", "kernel", "jobs", "runs", "strict-env", "env", "allow-build", "kernel-start-attempts", "rtol", "image-threshold", "image-tolerance",
         "image-resize",
         "normalizers", "normalisers", "sanitizers", "sanitize-file", "cache"}


@dataclass
class VerifySettings:
    timeout: float | None = 600.0
    kernel: str | None = None
    jobs: int = 1
    runs: int | str = "auto"  # "auto": one run, and a confirming run when a cell mismatches
    strict_env: bool = False
    env: str = "current"        # "pinned": run in the environment metadata.nbkit.environment records
    allow_build: bool = False   # --env pinned may build source distributions
    kernel_start_attempts: int = 2  # a kernel that dies before answering is started again, up to this
    rtol: float = 1e-6
    image_threshold: float = 0.1
    image_tolerance: float = 0.0005
    image_resize: str = "match"  # RESIZE_MODES in nbkit.verify.images
    normalizers: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(NORMALIZERS, True))
    sanitizers: list[Sanitizer] = field(default_factory=list)
    cache: bool = False         # reuse reproducible verdicts (nbkit.verify.cache)

    def on(self, name: str) -> bool:
        return self.normalizers.get(name, True)


def _num(table: dict, key: str, where: str, lo: float = 0.0, hi: float | None = None) -> float:
    v = table[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" + (f" and <= {hi}" if hi is not None else "")
        raise ConfigError(f"tool.nbkit.verify.{key} must be a number {rng}, not {v!r}", where)
    return float(v)


def _int(table: dict, key: str, where: str) -> int:
    v = table[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ConfigError(f"tool.nbkit.verify.{key} must be a whole number >= 1, not {v!r}", where)
    return v


def settings_from_config(config=None) -> VerifySettings:
    """Validate ``config.verify`` (a :class:`nbkit.config.Config`) into :class:`VerifySettings`."""
    s = VerifySettings()
    table = dict(getattr(config, "verify", None) or {})
    where = getattr(config, "path", None) or "pyproject.toml"
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"unknown key tool.nbkit.verify.{sorted(unknown)[0]} (known: {', '.join(sorted(_KEYS))})",
                          where)
    if "timeout" in table:
        s.timeout = _num(table, "timeout", where) or None
    if "kernel" in table:
        if not isinstance(table["kernel"], str) or not table["kernel"]:
            raise ConfigError("tool.nbkit.verify.kernel must be a kernel name", where)
        s.kernel = table["kernel"]
    if "jobs" in table:
        s.jobs = _int(table, "jobs", where)
    if "runs" in table:
        s.runs = "auto" if table["runs"] == "auto" else _int(table, "runs", where)
    if "kernel-start-attempts" in table:
        s.kernel_start_attempts = _int(table, "kernel-start-attempts", where)
    if "strict-env" in table:
        if not isinstance(table["strict-env"], bool):
            raise ConfigError("tool.nbkit.verify.strict-env must be true or false", where)
        s.strict_env = table["strict-env"]
    if "env" in table:
        if table["env"] not in ENVS:
            raise ConfigError(f"tool.nbkit.verify.env must be one of {', '.join(ENVS)}, not {table['env']!r}", where)
        s.env = table["env"]
    if "allow-build" in table:
        if not isinstance(table["allow-build"], bool):
            raise ConfigError("tool.nbkit.verify.allow-build must be true or false", where)
        s.allow_build = table["allow-build"]
    if "cache" in table:
        if not isinstance(table["cache"], bool):
            raise ConfigError("tool.nbkit.verify.cache must be true or false", where)
        s.cache = table["cache"]
    if "rtol" in table:
        s.rtol = _num(table, "rtol", where)
    if "image-threshold" in table:
        s.image_threshold = _num(table, "image-threshold", where, 0.0, 1.0)
    if "image-tolerance" in table:
        s.image_tolerance = _num(table, "image-tolerance", where, 0.0, 1.0)
    if "image-resize" in table:
        if table["image-resize"] not in ("match", "mismatch"):
            raise ConfigError(f"tool.nbkit.verify.image-resize must be \"match\" or \"mismatch\", "
                              f"not {table['image-resize']!r}", where)
        s.image_resize = table["image-resize"]
    for key in ("normalizers", "normalisers"):
        if key not in table:
            continue
        val = table[key]
        if not isinstance(val, dict):
            raise ConfigError(f"tool.nbkit.verify.{key} must be a table of name = true|false", where)
        for name, on in val.items():
            if name not in NORMALIZERS:
                raise ConfigError(f"unknown normalizer tool.nbkit.verify.{key}.{name} (known: {', '.join(NORMALIZERS)})",
                                  where)
            if not isinstance(on, bool):
                raise ConfigError(f"tool.nbkit.verify.{key}.{name} must be true or false", where)
            s.normalizers[name] = on
    if "sanitizers" in table:
        val = table["sanitizers"]
        if not isinstance(val, list) or not all(isinstance(v, dict) for v in val):
            raise ConfigError("tool.nbkit.verify.sanitizers must be a list of {regex = ..., replace = ...}", where)
        for v in val:
            extra = set(v) - {"regex", "replace"}
            if extra:
                raise ConfigError(f"tool.nbkit.verify.sanitizers: unknown key {sorted(extra)[0]!r} (use regex, replace)",
                                  where)
            s.sanitizers.append(compile_sanitizer(v.get("regex"), v.get("replace", ""), where))
    if "sanitize-file" in table:
        val = table["sanitize-file"]
        if not isinstance(val, str):
            raise ConfigError("tool.nbkit.verify.sanitize-file must be a path", where)
        root = getattr(config, "root", None) or os.getcwd()
        s.sanitizers.extend(read_sanitize_file(os.path.join(root, val)))
    return s
