"""Evidence for the diagnosis: what the notebook itself says about each cell (DESIGN.md, "Diagnosis").

Gathered once per notebook, before any cell is diagnosed:

- the static rules that point at a cause (NBR004 unseeded random, NBR009 absolute path, NBR011
  use before definition, NBR012 / NBR013 missing package or data, NBR014 clock), on each cell
  and on the cells it depends on through def-use (a cell reading ``x`` depends on the last cell
  above it that binds ``x``, and on what that cell depends on);
- the distributions each cell (and its dependencies) imports, to match against the drift list;
- the data pins: the pinned input files whose content changed, or that are gone, on the cells
  that read them (:mod:`nbkit.pin.data`);
- whether the stored execution counts are out of order;
- the names some cell defines (a NameError on any other name is hidden state).

:func:`cell_evidence` then combines that with one cell's runs into a
:class:`~nbkit.verify.diagnosis.CellEvidence`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .diagnosis import CellEvidence

if TYPE_CHECKING:
    from ..model import Notebook
    from ..pin.drift import Drift

DIAGNOSTIC_RULES = ("NBR004", "NBR009", "NBR011", "NBR012", "NBR013", "NBR014")
_QUOTED = re.compile(r"['`\"]([^'`\"]+)['`\"]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class NotebookEvidence:
    """The static evidence of one notebook, per cell index."""

    rules: dict[int, set[str]] = field(default_factory=dict)        # rule codes on the cell itself
    notes: dict[int, dict[str, str]] = field(default_factory=dict)  # cell -> code -> finding message
    depends_on: dict[int, set[int]] = field(default_factory=dict)   # cell -> cells it reads names from
    binds: dict[int, set[str]] = field(default_factory=dict)        # cell -> names it binds
    packages: dict[int, set[str]] = field(default_factory=dict)     # cell -> distributions it imports
    missing_data: dict[int, list[str]] = field(default_factory=dict)
    changed_data: dict[int, list[str]] = field(default_factory=dict)  # cell -> pinned inputs it reads that changed
    defined_names: frozenset[str] = frozenset()
    out_of_order: bool = False
    environment_changed: str | None = None  # unpinned notebook whose stored Python (major.minor) differs
    stale_cells: dict[int, str] = field(default_factory=dict)  # cell -> why its stored output may be stale
    star_imports: list[tuple[int, str]] = field(default_factory=list)  # (cell, module) of `from module import *`
    notebook_packages: frozenset[str] = frozenset()  # distributions any cell of the notebook imports

    def closure(self, index: int) -> set[int]:
        """The cell and every cell it depends on, transitively."""
        seen, todo = {index}, [index]
        while todo:
            for d in self.depends_on.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen


def _star_imports(tree: ast.AST) -> list[str]:
    return [n.module or "" for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 0 and any(a.name == "*" for a in n.names)]


def _mutated(tree: ast.AST) -> set[str]:
    """Names whose object a cell changes in place: ``x.attr = ...``, ``x[k] = ...``, ``x.a[k] += ...``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            while isinstance(t, (ast.Attribute, ast.Subscript)):
                t = t.value
                if isinstance(t, ast.Name):
                    out.add(t.id)
    return out


def _read_from_outside(tree: ast.AST) -> set[str]:
    """The names a cell reads before binding them itself: a top-level statement's reads, less the
    names that earlier statements of the cell bound (``import matplotlib`` then ``matplotlib.use()``
    reads nothing from other cells)."""
    body = tree.body if isinstance(tree, ast.Module) else [tree]
    local: set[str] = set()
    outside: set[str] = set()
    for stmt in body:
        bound, read = _bound_and_read(stmt)
        outside |= read - local
        local |= bound
    return outside


def _bound_and_read(tree: ast.AST) -> tuple[set[str], set[str]]:
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                if a.name != "*":
                    bound.add(a.asname or a.name.split(".")[0])
    return bound, read


def _out_of_order(nb: Notebook) -> bool:
    counts = [c.execution_count for c in nb.cells if c.is_code and c.execution_count is not None]
    return any(b <= a for a, b in zip(counts, counts[1:]))


def _stale_cells(nb: Notebook, ev: NotebookEvidence) -> dict[int, str]:
    """The code cells whose stored execution counts say their output was not made from today's
    state: outputs without a count, or a cell it depends on (def-use, transitively) ran after it
    (a higher count: that cell was run again, or edited and run, after this output was made)."""
    out: dict[int, str] = {}
    count = {c.index: c.execution_count for c in nb.cells if c.is_code}
    for c in nb.cells:
        if not c.is_code:
            continue
        n = c.execution_count
        if n is None:
            if c.outputs:
                out[c.index] = "it has stored output but no execution count"
            continue
        later = sorted(j for j in ev.closure(c.index) if j != c.index and (count.get(j) or 0) > n)
        if later:
            j = later[0]
            out[c.index] = (f"cell {j}, which it depends on, ran after it (execution count {count[j]} > {n}): "
                            "its stored output saw an older state")
    return out


def _environment_changed(nb: Notebook, kernel_version: str | None = None) -> str | None:
    """For a notebook without pinned versions: "3.8.5 -> 3.11.9" when the Python of the stored run
    (``metadata.language_info.version``) is another major.minor than the kernel's (``kernel_version``,
    from its kernel_info reply; this interpreter's when not known); None when they agree, when the
    notebook pins its environment, or when it does not say."""
    import sys

    meta = nb.metadata if isinstance(getattr(nb, "metadata", None), dict) else {}
    if isinstance(nb.nbkit_metadata.get("environment"), dict):
        return None  # the drift list says what changed
    info = meta.get("language_info")
    stored = info.get("version") if isinstance(info, dict) and info.get("name", "python") == "python" else None
    if not isinstance(stored, str) or not re.match(r"\d+\.\d+", stored):
        return None
    now = kernel_version if kernel_version and re.match(r"\d+\.\d+", kernel_version) \
        else "{}.{}.{}".format(*sys.version_info[:3])
    if stored.split(".")[:2] == now.split(".")[:2]:
        return None
    return f"{stored} -> {now}"


def gather(nb: Notebook, kernel_version: str | None = None) -> NotebookEvidence:
    """The static evidence of ``nb`` (never raises: a notebook nbkit cannot analyse has none);
    ``kernel_version``: the Python version the fresh kernel reported."""
    try:
        return _gather(nb, kernel_version)
    except Exception:  # noqa: BLE001 - evidence is best effort; the verdict never depends on it
        ev = NotebookEvidence(out_of_order=_out_of_order(nb), environment_changed=_environment_changed(
            nb, kernel_version))
        ev.stale_cells = _stale_cells(nb, ev)
        return ev


def _gather(nb: Notebook, kernel_version: str | None = None) -> NotebookEvidence:
    import builtins

    from ..analysis import Facts
    from ..config import Config
    from ..imports import distributions_for, is_stdlib
    from ..lint import Selection, lint_notebook

    ev = NotebookEvidence(out_of_order=_out_of_order(nb), environment_changed=_environment_changed(nb, kernel_version))
    facts = Facts(nb)
    for f in lint_notebook(nb, Selection(Config(), select=list(DIAGNOSTIC_RULES)), facts=facts):
        if f.cell_index is None:
            continue
        ev.rules.setdefault(f.cell_index, set()).add(f.code)
        ev.notes.setdefault(f.cell_index, {}).setdefault(f.code, f"{f.code}: {f.message}")
        if f.code == "NBR013":
            m = _QUOTED.search(f.message)
            if m:
                ev.missing_data.setdefault(f.cell_index, []).append(m.group(1))
    last_binder: dict[str, int] = {}
    defined: set[str] = set()
    star: list[int] = []  # cells above with `from x import *`: a name no cell binds may come from them
    for cell, parsed in facts.code:
        if parsed.tree is None:
            continue
        bound, read = _bound_and_read(parsed.tree)
        ev.binds[cell.index] = bound
        ev.depends_on[cell.index] = {last_binder[n] for n in _read_from_outside(parsed.tree) if n in last_binder}
        if star and any(n not in last_binder and n not in bound and not hasattr(builtins, n) for n in read):
            ev.depends_on[cell.index].update(star)
        stars = _star_imports(parsed.tree)
        if stars:
            star.append(cell.index)
            ev.star_imports.extend((cell.index, m) for m in stars)
        for n in bound | _mutated(parsed.tree):
            last_binder[n] = cell.index
        defined |= bound
    ev.defined_names = frozenset(defined)
    ev.stale_cells = _stale_cells(nb, ev)
    _data_pins(nb, facts, ev)
    dists: dict[str, list[str]] = {}
    local = _local_modules(nb)
    for ref in facts.imports:
        if is_stdlib(ref.module) or ref.module.split(".")[0] in local:
            continue
        if ref.module not in dists:
            dists[ref.module] = distributions_for(ref.module) or [ref.module]
        ev.packages.setdefault(ref.cell_index, set()).update(dists[ref.module])
    ev.notebook_packages = frozenset(p for ps in ev.packages.values() for p in ps)
    return ev


def _local_modules(nb: Notebook) -> set[str]:
    """Modules that are the notebook's own, not a library: written by a ``%%writefile x.py`` cell,
    or a ``x.py`` / ``x/`` package next to the notebook."""
    import os

    from ..imports import written_modules

    names = written_modules(nb)
    folder = os.path.dirname(os.path.abspath(nb.path)) if nb.path and not nb.path.startswith("<") else None
    if folder and os.path.isdir(folder):
        try:
            for entry in os.scandir(folder):
                if entry.name.endswith(".py"):
                    names.add(entry.name[:-3])
                elif entry.is_dir() and os.path.exists(os.path.join(entry.path, "__init__.py")):
                    names.add(entry.name)
        except OSError:
            pass
    return names


def _data_pins(nb: Notebook, facts, ev: NotebookEvidence) -> None:
    """The pinned inputs that changed or are gone, on the cells that read them."""
    if "data" not in nb.nbkit_metadata:
        return
    from ..pin.data import check_data, pinned_data

    if pinned_data(nb) is None:
        return
    check = check_data(nb, new=False, facts=facts)
    for key in check.changed:
        for i in check.cells.get(key, ()):
            ev.changed_data.setdefault(i, []).append(key)
    for key in check.missing:
        for i in check.cells.get(key, ()):
            ev.missing_data.setdefault(i, []).insert(0, key)


def error_output(outputs: list) -> dict:
    return next((o for o in outputs if o.get("output_type") == "error"), {})


def cell_evidence(index: int, status: str, nbev: NotebookEvidence, drift: list[Drift], *,
                  expected: str = "", actual: str = "", error: dict | None = None,
                  runs_agree: bool | None = None, consequence_of: int | None = None,
                  never_executed: bool = False, stderr: str = "") -> CellEvidence:
    """One cell's :class:`CellEvidence`: the notebook's evidence on it and its dependencies, and
    what its runs showed."""
    cells = nbev.closure(index)
    rules: set[str] = set()
    notes: dict[str, str] = {}
    packages: set[str] = set()
    missing: list[str] = []
    changed: list[str] = []
    for i in sorted(cells, key=lambda i: (i != index, i)):  # the cell's own notes first
        rules |= nbev.rules.get(i, set())
        for code, note in nbev.notes.get(i, {}).items():
            notes.setdefault(code, note if i == index else f"{note} (in cell {i}, which this cell depends on)")
        packages |= nbev.packages.get(i, set())
        missing += nbev.missing_data.get(i, [])
        changed += nbev.changed_data.get(i, [])
    error = error or {}
    return CellEvidence(
        index=index, status=status, expected=expected or "", actual=actual or "",
        ename=error.get("ename"), evalue=str(error.get("evalue") or ""),
        traceback=_ANSI.sub("", "\n".join(error.get("traceback") or [])),
        runs_agree=runs_agree, rules=frozenset(rules), rule_notes=notes, out_of_order=nbev.out_of_order,
        defined_names=nbev.defined_names, drift=tuple((d.package, d.pinned, d.installed) for d in drift),
        packages_used=frozenset(packages), missing_data=tuple(dict.fromkeys(missing)),
        changed_data=tuple(dict.fromkeys(changed)),
        consequence_of=consequence_of, environment_changed=nbev.environment_changed, never_executed=never_executed,
        stale=nbev.stale_cells.get(index), notebook_packages=nbev.notebook_packages,
        star_imports=tuple(dict.fromkeys(m for i, m in nbev.star_imports if i < index)), stderr=stderr[-5000:])
