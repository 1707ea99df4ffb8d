"""Team policy: what a notebook must have before it counts as done (``[tool.nbkit.policy]``).

    [tool.nbkit.policy]
    required-sections = ["summary", "findings"]   # section keys or labels ("Findings", "next-steps")
    require-pinned-environment = true              # metadata.nbkit.environment, or a PEP 723 block
    require-seed = true                            # metadata.nbkit.seed, or a `%nbkit seed` call
    max-severity-on-save = "error"                 # no finding at or above this severity

A policy is off by default: with no key set nothing is checked and nothing is reported.  It comes
from a project's ``pyproject.toml`` and, in the Jupyter server, from ``c.NbkitService.policy``
(a dict with the same keys): the server's policy is the team-wide default and a project's
``[tool.nbkit.policy]`` overrides the keys it sets.  Every result says where its policy came from.

    >>> policy = resolve_policy(config, server={"require-seed": True})
    >>> result = check(notebook, lint_result, config, policy=policy)
    >>> result.ok, [v.message for v in result.violations]

Pure core: reads the notebook model, the lint result and the configuration; writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .findings import Severity

if TYPE_CHECKING:
    from .analysis import Facts
    from .config import Config
    from .lint import LintResult
    from .model import Notebook

SCHEMA = "nbkit.policy/1"
KEYS = ("required-sections", "require-pinned-environment", "require-seed", "max-severity-on-save")
SERVER_SETTING = "NbkitService.policy"
# the layout rule whose --fix inserts a missing section's heading
_SECTION_FIXERS = {"title": "NBL001", "summary": "NBL002", "questions": "NBL003", "findings": "NBL004"}


@dataclass(frozen=True)
class PolicySource:
    """Where some of a policy's keys came from: a project's pyproject.toml or the server's
    configuration (``c.NbkitService.policy``)."""

    kind: str  # "pyproject" | "server"
    path: str | None  # the pyproject.toml (None for the server)
    keys: tuple[str, ...]

    @property
    def label(self) -> str:
        return os.path.basename(self.path or "pyproject.toml") if self.kind == "pyproject" else "server configuration"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path, "label": self.label, "keys": list(self.keys)}


@dataclass(frozen=True)
class Policy:
    required_sections: tuple[str, ...] = ()
    require_pinned_environment: bool = False
    require_seed: bool = False
    max_severity_on_save: Severity | None = None
    sources: tuple[PolicySource, ...] = ()

    @property
    def configured(self) -> bool:
        """Whether the policy asks for anything at all (off by default)."""
        return bool(self.required_sections or self.require_pinned_environment or self.require_seed
                    or self.max_severity_on_save is not None)

    @property
    def source_label(self) -> str:
        """"pyproject.toml", "server configuration", or both joined with " + "."""
        return " + ".join(s.label for s in self.sources) if self.sources else "nowhere"

    def to_dict(self) -> dict:
        return {
            "required-sections": list(self.required_sections),
            "require-pinned-environment": self.require_pinned_environment,
            "require-seed": self.require_seed,
            "max-severity-on-save": self.max_severity_on_save.value if self.max_severity_on_save else None,
        }


NO_POLICY = Policy()


@dataclass(frozen=True)
class Fix:
    """How to meet one requirement: a panel action id (``insert-section:<name>``, ``pin``,
    ``seed``, ``findings``), a button label, and a command for the terminal (None: none exists)."""

    action: str
    label: str
    command: str | None = None

    def to_dict(self) -> dict:
        return {"action": self.action, "label": self.label, "command": self.command}


@dataclass(frozen=True)
class Violation:
    kind: str  # "missing-section" | "environment-not-pinned" | "seed-not-recorded" | "findings-over-limit"
    message: str  # short, for the banner: "missing Findings"
    fix: Fix
    section: str | None = None  # missing-section: the section key
    codes: tuple[str, ...] = ()  # findings-over-limit: the rule codes

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "section": self.section, "codes": list(self.codes),
                "fix": self.fix.to_dict()}


@dataclass
class PolicyResult:
    """The verdict for one notebook.  ``error``: the policy could not be checked (an unreadable
    notebook, an invalid policy); then ``ok`` is False and ``violations`` is empty."""

    path: str
    policy: Policy
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None

    @property
    def configured(self) -> bool:
        return self.policy.configured

    @property
    def ok(self) -> bool:
        return self.error is None and not self.violations

    def summary(self) -> str:
        """One line: "meets the team policy" or "does not meet the team policy: missing Findings, ..."."""
        if not self.configured and self.error is None:
            return "no team policy configured"
        if self.error is not None:
            return f"the team policy could not be checked: {self.error}"
        if self.ok:
            return "meets the team policy"
        return "does not meet the team policy: " + ", ".join(v.message for v in self.violations)

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "path": self.path,
            "configured": self.configured,
            "ok": self.ok,
            "summary": self.summary(),
            "policy": self.policy.to_dict(),
            "sources": [s.to_dict() for s in self.policy.sources],
            "violations": [v.to_dict() for v in self.violations],
            "error": self.error,
        }


@dataclass
class PolicyReport:
    """The verdicts of a run over many notebooks (``nbkit lint --policy``): only notebooks
    under a policy (or whose policy could not be read) are listed."""

    results: list[PolicyResult] = field(default_factory=list)

    @property
    def configured(self) -> bool:
        return any(r.configured or r.error is not None for r in self.results)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def exit_code(self) -> int:
        """0 every notebook meets its policy; 1 a violation; 2 a policy could not be checked."""
        if any(r.error is not None for r in self.results):
            return 2
        return 0 if self.ok else 1

    def to_dict(self) -> dict:
        return {"configured": self.configured, "ok": self.ok, "notebooks": [r.to_dict() for r in self.results]}


# -- reading a policy -------------------------------------------------------------------------------

def _section_key(value: str) -> str | None:
    from .layout import SECTION_LABELS, SECTIONS

    norm = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    for key in SECTIONS:
        if norm in (key.replace("_", " "), SECTION_LABELS[key].lower()):
            return key
    return None


def policy_from_table(table: Any, where: str | None, *, kind: str = "pyproject") -> Policy:
    """The policy of a ``[tool.nbkit.policy]`` table (``kind="pyproject"``, ``where`` its file) or
    of ``c.NbkitService.policy`` (``kind="server"``); a bad value is a one-line ConfigError."""
    from .layout import SECTIONS

    name = "tool.nbkit.policy" if kind == "pyproject" else SERVER_SETTING
    place = where if kind == "pyproject" else None
    prefix = "" if kind == "pyproject" else f"{SERVER_SETTING}: "

    def bad(message: str) -> ConfigError:
        return ConfigError(prefix + message, place)

    if not isinstance(table, dict):
        raise bad(f"{name} must be a table of {', '.join(KEYS)}")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise bad(f"unknown key {name}.{unknown[0]} (known: {', '.join(KEYS)})")
    values: dict[str, Any] = {}
    if "required-sections" in table:
        raw = table["required-sections"]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise bad(f"{name}.required-sections must be a list of section names ({', '.join(SECTIONS)})")
        keys: list[str] = []
        for v in raw:
            key = _section_key(v)
            if key is None:
                raise bad(f"{name}.required-sections: unknown section {v!r} (sections: {', '.join(SECTIONS)})")
            if key not in keys:
                keys.append(key)
        values["required_sections"] = tuple(k for k in SECTIONS if k in keys)  # layout order
    for key, attr in (("require-pinned-environment", "require_pinned_environment"), ("require-seed", "require_seed")):
        if key in table:
            if not isinstance(table[key], bool):
                raise bad(f"{name}.{key} must be true or false, not {table[key]!r}")
            values[attr] = table[key]
    if "max-severity-on-save" in table:
        raw = table["max-severity-on-save"]
        if raw is None or (isinstance(raw, str) and raw.lower() in ("", "off", "none")):
            values["max_severity_on_save"] = None
        else:
            try:
                if not isinstance(raw, str):
                    raise ValueError(raw)
                values["max_severity_on_save"] = Severity.parse(raw)
            except ValueError:
                raise bad(f"{name}.max-severity-on-save must be error, warning, info or off, not {raw!r}") from None
    sources = (PolicySource(kind, where if kind == "pyproject" else None, tuple(k for k in KEYS if k in table)),) \
        if table else ()
    return Policy(**values, sources=sources)


def policy_from_config(config: Config) -> Policy:
    """The policy of a project's ``[tool.nbkit.policy]`` (``Config.policy``, the raw table)."""
    return policy_from_table(config.policy or {}, config.path or "pyproject.toml")


def resolve_policy(config: Config | None, server: dict | None = None) -> Policy:
    """The policy that applies: the server's (``c.NbkitService.policy``) as the default, with
    the keys a project's ``[tool.nbkit.policy]`` sets overriding it."""
    base = policy_from_table(server, None, kind="server") if server else NO_POLICY
    if config is None or not config.policy:
        return base
    project = policy_from_config(config)
    if not base.sources:
        return project
    attrs = {"required-sections": "required_sections", "require-pinned-environment": "require_pinned_environment",
             "require-seed": "require_seed", "max-severity-on-save": "max_severity_on_save"}
    project_keys = set(project.sources[0].keys)
    merged = replace(base, **{attrs[key]: getattr(project, attrs[key]) for key in project_keys})
    server_keys = tuple(k for k in base.sources[0].keys if k not in project_keys)
    sources = ((PolicySource("server", None, server_keys),) if server_keys else ()) + project.sources
    return replace(merged, sources=sources)


# -- checking a notebook --------------------------------------------------------------------------

def environment_pinned(nb: Notebook) -> bool:
    """``metadata.nbkit.environment`` is recorded, or the first code cell holds a PEP 723
    ``# /// script`` block (what ``nbkit verify --env pinned`` also reads)."""
    env = nb.nbkit_metadata.get("environment")
    if isinstance(env, dict) and env:
        return True
    from .pep723 import notebook_block

    return notebook_block(nb) is not None


def seed_recorded(nb: Notebook, facts: Facts | None = None) -> bool:
    """``metadata.nbkit.seed`` is recorded, or a code cell calls ``%nbkit seed``."""
    seed = nb.nbkit_metadata.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        return True
    if not any(c.cell_type == "code" and "nbkit" in c.source for c in nb.cells):
        return False
    if facts is None:
        from .analysis import Facts

        facts = Facts(nb)
    return any(kind == "line" and name == "nbkit" and args.split()[:1] == ["seed"]
               for _ci, (kind, name, args) in facts.magics)


def check(nb: Notebook, result: LintResult | None, config: Config | None = None, *,
          policy: Policy | None = None, facts: Facts | None = None, path: str | None = None) -> PolicyResult:
    """The notebook's verdict under ``policy`` (default: the configuration's
    ``[tool.nbkit.policy]``).  ``result``: the notebook's lint (for ``max-severity-on-save``);
    ``config``: its ``[tool.nbkit]`` (layout aliases, the policy); ``path``: the name shown
    (default the notebook's)."""
    from .layout import SECTION_LABELS, layout_of

    if policy is None:
        policy = policy_from_config(config) if config is not None else NO_POLICY
    shown = path or nb.path or ""
    out = PolicyResult(path=shown, policy=policy)
    if not policy.configured:
        return out
    quoted = _quote(shown)
    if policy.required_sections:
        aliases = config.layout_aliases if config is not None else None
        lay = facts.layout(aliases or None) if facts is not None else layout_of(nb, aliases)
        for key in policy.required_sections:
            if not lay.present(key):
                label = SECTION_LABELS[key]
                code = _SECTION_FIXERS.get(key)
                out.violations.append(Violation(
                    "missing-section", f"missing {label}",
                    Fix(f"insert-section:{key}", f"Insert {label}",
                        f"nbkit lint --fix --select {code} {quoted}" if code else None),
                    section=key))
    if policy.require_pinned_environment and not environment_pinned(nb):
        out.violations.append(Violation("environment-not-pinned", "environment not pinned",
                                        Fix("pin", "Pin environment", f"nbkit pin {quoted}")))
    if policy.require_seed and not seed_recorded(nb, facts):
        out.violations.append(Violation("seed-not-recorded", "seed not recorded",
                                        Fix("seed", "Insert %nbkit seed", f"nbkit pin --seed 42 {quoted}")))
    limit = policy.max_severity_on_save
    if limit is not None and result is not None:
        names = {p for p in (nb.path, path) if p}
        mine = names | {os.path.realpath(p) for p in names}
        over = [f for f in result.findings if f.severity.rank >= limit.rank
                and (not names or f.path in mine or os.path.realpath(f.path) in mine)]
        if over:
            codes = tuple(dict.fromkeys(f.code for f in over))
            n = len(over)
            out.violations.append(Violation(
                "findings-over-limit", f"{n} finding{'s' if n != 1 else ''} at or above {limit.value}",
                Fix("findings", "Show findings", f"nbkit lint --fail-on {limit.value} {quoted}"), codes=codes))
    return out


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path) if path else "NOTEBOOK"
