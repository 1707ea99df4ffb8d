"""The rule registry.

A rule is a pure function of the notebook model (plus a :class:`Context` for its options, the
project files and the notebook's shared facts, ``ctx.facts``) that yields :class:`Hit` objects.
Each rule has its own file, named after its code and name, in the folder of its category
(``reproducibility/NBR004_unseeded_random.py``; :func:`rule_file`); helpers that several rules
of a category use live in that folder's ``helpers.py``.  Rules register themselves with the
:func:`rule` decorator; their docstring is their documentation and must have the sections
listed in :data:`DOC_SECTIONS` (``docs/rules/`` is generated from it).

    @rule("NBR010", "cwd-or-syspath-hack", "warning", "`os.chdir`, `%cd`, `sys.path.append/insert`",
          requires=("python",))
    def cwd_or_syspath_hack(nb, ctx):
        '''...'''
        for ci in ctx.facts.calls: ...
            yield Hit("...", ci.cell, ci.node.lineno)
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from ..errors import UsageError
from ..findings import Severity

if TYPE_CHECKING:  # types only: importing the registry stays cheap (nbkit.config reads it too)
    from ..analysis import Facts
    from ..config import Config
    from ..model import Cell, Notebook
    from ..project import Project

_T = TypeVar("_T")

CATEGORIES = {
    "NBL": "Layout",
    "NBH": "Hygiene",
    "NBR": "Reproducibility",
    "NBD": "Documentation",
}
DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
# One file per rule, named after its code and name (``reproducibility/NBR004_unseeded_random.py``),
# in the folder of its category; the verify-time rules are declared together in verify_rules.py.
CATEGORY_FOLDERS = {"NBL": "layout", "NBH": "hygiene", "NBR": "reproducibility", "NBD": "documentation"}
_RULE_FILE = re.compile(r"^(NB[A-Z]\d{3})_\w+\.py$")
_MODULES = ("verify_rules",)

# What a rule needs to run at all; a notebook that lacks it gets no findings from the rule.
REQUIREMENTS = {
    "python": "a Python notebook (not R, Julia, ...)",
    "code": "at least one non-empty code cell",
    "project": "the project the notebook belongs to (its manifests and files)",
}


@dataclass
class Hit:
    """What a rule yields: a message, where (cell, line) and, rarely, its own severity."""

    message: str
    cell: Cell | None = None
    line: int | None = None
    severity: Severity | str | None = None
    data: Any = None  # private payload for the rule's fixer
    fixable: bool | None = None  # False: the rule has a fixer, but it does not fix this hit


@dataclass
class Context:
    """What a rule may consult besides the notebook: its options, the project, and the facts
    about the notebook that rules share (parsed cells, calls, layout...: :mod:`nbkit.analysis`)."""

    options: dict = field(default_factory=dict)
    project: Project | None = None
    config: Config | None = None
    facts: Facts | None = None

    defaults: dict = field(default_factory=dict)  # the rule's declared options

    def option(self, name: str, kind: type[_T]) -> _T:
        """The rule option ``name`` read as ``kind``: ``int``; ``float`` (any number: an int stays
        an int); ``list`` (of strings: a lone string is a list of one, other items are dropped);
        or any other type.  A value that is not of the kind (a Config built in code is not
        validated) gives the rule's declared default instead."""
        value = self._as(self.options.get(name), kind)
        if value is None:
            value = self._as(self.defaults.get(name), kind)
        return value

    @staticmethod
    def _as(value: Any, kind: type) -> Any:
        if kind is list:
            if isinstance(value, str):
                return [value]
            return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else None
        if kind is int or kind is float:
            if isinstance(value, bool) or value is None:
                return None
            if not isinstance(value, (int, float)):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    return None
            return int(value) if kind is int else value
        return value if isinstance(value, kind) else None


CheckFn = Callable[["Notebook", Context], Iterable[Hit]]
FixFn = Callable[[dict, "Notebook", Context], bool]  # (notebook JSON to edit, its model, context) -> changed?


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    check: CheckFn | None
    fix: FixFn | None = None
    options: dict = field(default_factory=dict)
    lifecycle: str = "stable"
    aliases: tuple[str, ...] = ()
    static: bool = True  # False: reported by `nbkit verify`, not by lint
    doc: str = ""
    requires: tuple[str, ...] = ()  # keys of REQUIREMENTS

    def applies(self, nb: Notebook, ctx: Context) -> bool:
        """Does the notebook (and context) have what the rule requires?"""
        for need in self.requires:
            if need == "python":
                if ctx.facts is not None and not ctx.facts.is_python:
                    return False
            elif need == "code":
                if not any(c.is_code and not c.is_empty for c in nb.cells):
                    return False
            elif need == "project" and ctx.project is None:
                return False
        return True

    @property
    def category(self) -> str:
        return CATEGORIES[self.code[:3]]

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "category": self.category,
            "summary": self.summary,
            "fixable": self.fixable,
            "static": self.static,
            "lifecycle": self.lifecycle,
            "aliases": list(self.aliases),
            "options": dict(self.options),
        }


_REGISTRY: dict[str, Rule] = {}
_loaded = False


def rule(
    code: str,
    name: str,
    severity: str,
    summary: str,
    *,
    fix: FixFn | None = None,
    options: dict | None = None,
    aliases: tuple[str, ...] = (),
    static: bool = True,
    lifecycle: str = "stable",
    requires: tuple[str, ...] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as rule ``code``; codes and names must be unique.  ``requires``: what the
    rule needs to run (keys of :data:`REQUIREMENTS`); lint skips it for notebooks without it."""
    unknown = [r for r in requires if r not in REQUIREMENTS]
    if unknown:
        raise RuntimeError(f"rule {code}: unknown requirement {unknown[0]!r} (known: {', '.join(REQUIREMENTS)})")

    def deco(fn: CheckFn) -> CheckFn:
        if code in _REGISTRY:
            raise RuntimeError(f"rule code {code} registered twice")
        if any(r.name == name for r in _REGISTRY.values()):
            raise RuntimeError(f"rule name {name} registered twice")
        _REGISTRY[code] = Rule(
            code=code,
            name=name,
            severity=Severity.parse(severity),
            summary=summary,
            check=fn if static else None,
            fix=fix,
            options=dict(options or {}),
            lifecycle=lifecycle,
            aliases=aliases,
            static=static,
            doc=_dedent(fn.__doc__ or ""),
            requires=tuple(requires),
        )
        return fn

    return deco


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


_LOAD_LOCK = threading.RLock()
_loading = False


def _load() -> None:
    """Import every rule file once. Thread-safe (verify judges notebooks in worker threads): a
    second thread waits until the registry is complete; a lookup made while the rule files are
    being imported, in the importing thread itself, sees the registry as it is so far."""
    global _loaded, _loading
    if _loaded:
        return
    with _LOAD_LOCK:
        if _loaded or _loading:
            return
        _loading = True
        try:
            here = Path(__file__).parent
            for folder in CATEGORY_FOLDERS.values():
                for name in sorted(os.listdir(here / folder)):
                    if _RULE_FILE.match(name):
                        importlib.import_module(f"{__name__}.{folder}.{name[:-3]}")
            for mod in _MODULES:
                importlib.import_module(f"{__name__}.{mod}")
            _loaded = True
        finally:
            _loading = False


def rule_file(code: str) -> Path:
    """Where rule ``code`` is defined (``nbkit/rules/reproducibility/NBR004_unseeded_random.py``)."""
    r = get(code)
    if not r.static:
        return Path(__file__).parent / "verify_rules.py"
    name = r.name.replace("-", "_")
    return Path(__file__).parent / CATEGORY_FOLDERS[r.code[:3]] / f"{r.code}_{name}.py"


def all_rules(static_only: bool = False) -> list[Rule]:
    _load()
    rules = sorted(_REGISTRY.values(), key=lambda r: r.code)
    return [r for r in rules if r.static] if static_only else rules


def get(key: str) -> Rule:
    """Look a rule up by code, name or alias; raise UsageError naming the choices."""
    _load()
    k = key.strip()
    if k.upper() in _REGISTRY:
        return _REGISTRY[k.upper()]
    for r in _REGISTRY.values():
        if r.name == k.lower() or k in r.aliases:
            return r
    raise UsageError(f"unknown rule {key!r}; run `nbkit rules` to list them")


def expand(selector: str) -> set[str]:
    """Codes matched by a selector: ``ALL``, a code, a code prefix (``NBL``, ``NBR00``) or a name."""
    _load()
    s = selector.strip()
    if not s:
        return set()
    if s.upper() == "ALL":
        return set(_REGISTRY)
    up = s.upper()
    matched = {c for c in _REGISTRY if c.startswith(up)}
    if matched:
        return matched
    for r in _REGISTRY.values():
        if r.name == s.lower() or s in r.aliases:
            return {r.code}
    raise UsageError(f"unknown rule selector {selector!r}; use a code (NBR004), a prefix (NBR) or a name")
