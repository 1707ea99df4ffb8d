"""The guard's checks: each looks at the cell about to run (parsed once) and the session's real
execution history, and returns warnings.  Pure functions of their inputs, apart from reading
installed versions (NBR025); the session (:mod:`nbkit.guard.session`) keeps the state."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..analysis import Facts, ParseCache
from ..ipysyntax import ParsedCell
from ..model import Cell, Notebook
from .saved import CellNames, SavedNotebook


@dataclass(frozen=True)
class GuardWarning:
    code: str
    message: str  # the problem, one sentence
    fix: str  # what to do
    key: tuple  # the same key is shown once per session

    def text(self) -> str:
        return f"{self.code}: {self.message}; fix: {self.fix}"


@dataclass
class History:
    """What the session has run: the context that makes one cell's checks meaningful."""

    seeded: set[str] = field(default_factory=set)  # libraries seeded in this session (NBR004 names)
    imports: dict[str, str] = field(default_factory=dict)  # import statement source -> itself
    defs: dict[str, str] = field(default_factory=dict)  # function name -> its def's source
    generators: dict[str, str] = field(default_factory=dict)  # name -> `name = <generator>(...)` source
    ran: dict[str, CellNames] = field(default_factory=dict)  # cell id -> names it read/bound (last run)
    definer: dict[str, str | None] = field(default_factory=dict)  # name -> id of the cell that bound it last
    last_id: str | None = None  # id of the last executed cell that had one
    parse_cache: ParseCache = field(default_factory=ParseCache)  # this cell's and the preamble's parses

    def preamble(self) -> str:
        """The imports, function definitions and generators the session has run, as one cell:
        what resolves ``np.random.rand`` and a notebook's own ``set_seed()`` in the next cell."""
        return "\n".join([*self.imports, *self.generators.values(), *self.defs.values()])

    def remember(self, parsed: ParsedCell, cell_id: str | None, names: CellNames) -> None:
        """After a cell ran: keep what later cells need from it."""
        tree = parsed.tree
        if tree is not None:
            src = parsed.python_source
            for stmt in tree.body:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    seg = ast.get_source_segment(src, stmt)
                    if seg:
                        self.imports.setdefault(seg, seg)
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    seg = ast.get_source_segment(src, stmt)
                    # only functions that may seed or draw (or call one that does): NBR004
                    # follows calls into them; the others would only make every check slower
                    if seg and (_RANDOMISH.search(seg) or any(f"{name}(" in seg for name in self.defs)):
                        self.defs[stmt.name] = seg
                    else:
                        self.defs.pop(stmt.name, None)
                elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                    seg = ast.get_source_segment(src, stmt)
                    if seg and _GENERATOR.search(seg) and "\n" not in seg:
                        for t in stmt.targets:
                            if isinstance(t, ast.Name):
                                self.generators[t.id] = seg
        for name in names.binds:
            self.definer[name] = cell_id
        if cell_id is not None:
            self.ran[cell_id] = names


_GENERATOR = re.compile(r"default_rng|RandomState|Generator|Random\(|random_state|seed|stats\.")
# words in the body of a function that may seed or draw random numbers: they cover the seeding
# functions and nearly all of NBR004's random calls (a function calling, say, sklearn's NMF by
# its bare name is left out of the preamble, and its calls go unseen by the guard)
_RANDOMISH = re.compile(r"rand|seed|shuffle|sample|normal|uniform|choice|gauss|rvs|split|torch|tf\.|keras|"
                        r"sklearn|Generator|random_state|permutation|bernoulli|multinomial|poisson|Forest|"
                        r"KMeans|Boost|Tree|Mixture|TSNE|UMAP|MLP|SGD|DataLoader|make_|pylab|%run|init\.",
                        re.IGNORECASE)


# --- NBR004: randomness before any seed, in execution order ---------------------------------------

def random_check(hist: History, cell: Cell) -> tuple[list[GuardWarning], set[str], bool]:
    """(warnings, libraries this cell seeds, uses an unseeded global generator) for the cell about
    to run, given what the session seeded before.  The events are NBR004's, computed on the
    session's preamble followed by this cell."""
    from ..rules.reproducibility.NBR004_unseeded_random import LIB_FIX, random_events

    pre = Cell(index=0, cell_type="code", source=hist.preamble())
    here = Cell(index=1, cell_type="code", source=cell.source)
    nb = Notebook(path="<session>", data={"cells": [], "metadata": {}}, cells=[pre, here])
    facts = Facts(nb, hist.parse_cache)  # this cell was parsed into the cache already
    seeded = set(hist.seeded)
    newly: set[str] = set()
    out: list[GuardWarning] = []
    unseeded_use = False
    for ev in random_events(facts):
        if ev.cell is not here:
            continue
        if ev.kind == "seed":
            seeded |= ev.libs
            newly |= ev.libs
            continue
        lib = next(iter(ev.libs))
        if ev.kind == "always":
            msg, _, fix = ev.message.partition("; ")
            out.append(GuardWarning("NBR004", msg, fix or "pass a seed", ("NBR004", "always", ev.message)))
            continue
        if lib in seeded:
            continue
        unseeded_use = True
        if ev.kind == "global":
            out.append(GuardWarning("NBR004", f"{ev.message} in this session",
                                    f"{LIB_FIX[lib]}, or run %nbkit seed", ("NBR004", "global", lib)))
        else:
            msg, _, fix = ev.message.partition("; ")
            out.append(GuardWarning("NBR004", msg, fix or "pass random_state=SEED or run %nbkit seed first",
                                    ("NBR004", "call", ev.message)))
    return out, newly, unseeded_use


# --- NBR008 / NBR009: the static rules, on this cell alone ----------------------------------------

def static_checks(codes: set[str], cell: Cell, parse_cache: ParseCache, config) -> list[GuardWarning]:
    """Run the static rules ``codes`` (NBR008, NBR009) on a one-cell notebook of this cell."""
    from .. import rules as registry
    from ..rules import Context

    nb = Notebook(path="<session>", data={"cells": [], "metadata": {}}, cells=[cell])
    facts = Facts(nb, parse_cache)
    out: list[GuardWarning] = []
    for code in sorted(codes):
        r = registry.get(code)
        if r.check is None:
            continue
        ctx = Context(options=config.options_for(r) if config is not None else dict(r.options), config=config,
                      facts=facts, defaults=dict(r.options))
        for hit in r.check(nb, ctx):
            msg, _, fix = hit.message.partition("; ")
            if code == "NBR008":
                fix = fix or ("declare the package in the project's manifest (requirements.txt, pyproject.toml) "
                              "and install it before starting the kernel; then %nbkit pin")
            out.append(GuardWarning(code, msg, fix or "see `nbkit rules " + code + "`", (code, msg)))
    return out


# --- NBH001 / NBR011: the saved notebook's order against the session's ------------------------------

def order_checks(codes: set[str], hist: History, saved: SavedNotebook, pos: int, names: CellNames,
                 user_ns: dict) -> list[GuardWarning]:
    out: list[GuardWarning] = []
    label = saved.label(pos)
    last = saved.positions.get(hist.last_id) if hist.last_id is not None else None  # where it is now
    if "NBH001" in codes and last is not None and pos < last and names.binds:
        users: dict[str, list[int]] = {}
        for cid, ran in hist.ran.items():
            p = saved.positions.get(cid)
            if p is None or p <= pos:
                continue
            for name in ran.reads & names.binds:
                users.setdefault(name, []).append(p)
        if users:
            shown = sorted(users)[:3]
            below = sorted({p for n in shown for p in users[n]})
            cells = ", ".join(saved.label(p) for p in below[:4])
            which = ", ".join(f"`{n}`" for n in shown) + (" and more" if len(users) > 3 else "")
            out.append(GuardWarning(
                "NBH001",
                f"{label} ran above the last executed cell ({saved.label(last)}) and changes {which}, "
                f"which {cells} below already used: their outputs are now stale",
                "run the cells below again, or Kernel > Restart Kernel and Run All Cells",
                ("NBH001", label, tuple(shown))))
    if "NBR011" in codes and not names.dynamic:
        candidates = []
        for name in sorted(names.reads):
            if name not in user_ns or name not in hist.definer:
                continue  # a NameError, or defined outside any tracked cell
            definer = hist.definer[name]
            if definer is None:
                continue
            p = saved.positions.get(definer)
            if p is not None and p <= pos:
                continue
            candidates.append((name, definer, p))
        if candidates:
            above = saved.binds_above(pos)
            if "*" not in above:
                for name, cid, p in candidates:
                    if name in above:
                        continue
                    where = "a deleted cell" if p is None else f"{saved.label(p)}, below this one,"
                    out.append(GuardWarning(
                        "NBR011",
                        f"{label} reads `{name}`, which only {where} defined: Restart & Run All will fail "
                        "with NameError (hidden state)",
                        f"define `{name}` in this cell or a cell above it",
                        ("NBR011", name, cid)))
    return out


# --- NBR025: a package imported here drifted from the pin -------------------------------------------

def drift_check(tree, pinned: dict, checked: set[str]) -> list[GuardWarning]:
    """Imports in this cell whose distribution is pinned at another version than installed."""
    if tree is None or not pinned:
        return []
    from ..imports import distributions_for, installed_version, is_stdlib, normalise_dist

    pins = {normalise_dist(k): (k, v) for k, v in pinned.items() if isinstance(k, str) and isinstance(v, str)}
    out: list[GuardWarning] = []
    for node in tree.body:
        mods: list[str] = []
        if isinstance(node, ast.Import):
            mods = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module.split(".")[0]]
        for mod in mods:
            if mod in checked:
                continue
            checked.add(mod)
            if is_stdlib(mod):
                continue
            for dist in distributions_for(mod):
                pin = pins.get(normalise_dist(dist))
                if pin is None:
                    continue
                now = installed_version(pin[0])
                if now != pin[1]:
                    have = f"{now} is installed" if now else "it is not installed"
                    out.append(GuardWarning(
                        "NBR025", f"{pin[0]} is pinned at {pin[1]} but {have} (environment drift since %nbkit pin)",
                        f"install {pin[0]}=={pin[1]}, or run %nbkit pin to record this environment",
                        ("NBR025", pin[0])))
    return out
