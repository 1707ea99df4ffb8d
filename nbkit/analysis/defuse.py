"""Def-use: top-down name resolution over the code cells, the way a fresh kernel runs the
notebook (Restart & Run All).  NBR011 reports what it finds."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Sequence

from ..cooperate import checkpoint
from ..ipysyntax import ParsedCell
from ..model import Cell
from .semantic import BUILTINS, LEAVES, lazy_re, magic_call

IPYTHON_NAMES = frozenset({
    "get_ipython", "display", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh",
    "exit", "quit", "_exit_code",
    # names injected by common hosted notebook environments
    "spark", "sc", "sqlContext", "dbutils", "displayHTML",
})
_AUTOMAGIC = frozenset({
    "ls", "pwd", "cd", "who", "whos", "who_ls", "env", "history", "clear", "reset", "lsmagic", "magic", "pdb",
    "debug", "alias", "bookmark", "dhist", "dirs", "popd", "pushd", "rehashx", "autosave", "config", "xmode",
    "colors", "quickref", "precision", "pprint", "tb", "recall", "rerun", "mkdir", "rmdir", "cat", "cp", "mv", "rm",
    "less", "more", "man", "ldir", "lf", "lk", "ll", "lx", "load_ext", "matplotlib", "pylab", "doctest_mode"})
_IPY_NUMBERED = lazy_re(r"^_i?\d+$")
# cell magics known not to bind names in the kernel (they run their body elsewhere, or show it)
_NON_BINDING_CELL_MAGICS = frozenset({
    "bash", "sh", "script", "system", "python", "python2", "python3", "pypy", "perl", "ruby", "html", "HTML",
    "javascript", "js", "latex", "markdown", "svg", "writefile", "file", "time", "timeit", "prun", "debug",
    "capture"})
_DYNAMIC_NAMES = lazy_re(r"import\s+\*|%run\b|%store\s+-r|\bexec\(|\bglobals\(\)|%pylab")
_NAME_GUARDS = frozenset({"globals", "locals", "dir", "vars"})


def _pattern_names(p: ast.AST) -> list[str]:
    out = []
    for n in ast.walk(p):
        if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.append(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            out.append(n.rest)
    return out


def _arg_names(args: ast.arguments) -> list[str]:
    out = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    out += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return out


_SKIP_FIELDS = frozenset({"annotation", "returns", "type_comment"})


def _walk_body(node: ast.AST):
    """Walk what runs when a function body runs: skips annotations (forward references) and
    the bodies of nested functions and lambdas (they run later, if at all), but yields the
    nested definitions themselves.  Leaf nodes (contexts, operators, import aliases) are not
    yielded: _function_summary has nothing to do with them."""
    stack = [node]
    leaves = LEAVES
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(n.decorator_list)
            stack.extend(n.args.defaults)
            stack.extend(d for d in n.args.kw_defaults if d is not None)
            continue
        if isinstance(n, ast.Lambda):
            stack.extend(n.args.defaults)
            stack.extend(d for d in n.args.kw_defaults if d is not None)
            continue
        for name in n._fields:  # ast.iter_fields, without its generator's overhead
            if name in _SKIP_FIELDS:
                continue
            value = getattr(n, name, None)
            if type(value) is list:
                for v in value:
                    if isinstance(v, ast.AST) and type(v) not in leaves:
                        stack.append(v)
            elif isinstance(value, ast.AST) and type(value) not in leaves:
                stack.append(value)


# node types _function_summary has nothing to do with (none of them is a subclass of the types it handles)
_SUMMARY_SKIP = frozenset({ast.Constant, ast.Attribute, ast.Subscript, ast.Expr, ast.Assign, ast.BinOp,
                           ast.Compare, ast.Return, ast.Load, ast.Store, ast.keyword, ast.comprehension,
                           ast.ListComp, ast.GeneratorExp, ast.Tuple, ast.List, ast.Dict, ast.JoinedStr,
                           ast.FormattedValue, ast.Slice, ast.BoolOp, ast.UnaryOp, ast.If, ast.For})


@dataclass
class _Func:
    free: frozenset  # global names the body reads
    assigns_global: frozenset  # names it binds through `global`
    called: frozenset = frozenset()  # names it calls: f() -> g() is followed, a mere reference is not


def _function_summary(body: Sequence[ast.AST], params: list[str]) -> _Func:
    """Global names a function body reads when it runs (lenient: anything bound anywhere in
    it is local, names it assigns through `global` are not reported)."""
    local = set(params)
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    loads: set[str] = set()
    stores: set[str] = set()
    called: set[str] = set()
    for stmt in body:
        for n in _walk_body(stmt):
            t = type(n)
            if t is ast.Name:  # the commonest node first
                (loads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
                continue
            if t is ast.Call:
                if isinstance(n.func, ast.Name):
                    called.add(n.func.id)
                continue
            if t in _SUMMARY_SKIP:
                continue
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for a in n.names:
                    stores.add(a.asname or a.name.split(".")[0])
            elif isinstance(n, ast.ExceptHandler) and n.name:
                stores.add(n.name)
            elif isinstance(n, ast.Global):
                declared_global.update(n.names)
            elif isinstance(n, ast.Nonlocal):
                declared_nonlocal.update(n.names)
            elif isinstance(n, ast.match_case):
                stores.update(_pattern_names(n.pattern))
    assigns_global = stores & declared_global
    local |= (stores - declared_global) | declared_nonlocal | assigns_global
    free = frozenset(loads - local)
    return _Func(free, frozenset(assigns_global), frozenset(called) & free)


_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp})


class DefUse:
    """Top-down name resolution over the cells (what a fresh Restart & Run All would do)."""

    def __init__(self, cells: list[tuple[Cell, ParsedCell]], known: frozenset = frozenset()):
        self.cells = cells
        self.known_names = known
        self.defined: dict[str, tuple[int, int]] = {}  # module-level names bound so far
        self.first_def: dict[str, tuple[int, int]] = {}
        self.deleted: dict[str, tuple[int, int]] = {}
        self.functions: dict[str, _Func] = {}
        self.scopes: list[set[str]] = []  # class bodies, comprehensions, lambdas
        self.quiet = False  # after a star import, %run, exec(...): names may come from anywhere
        self.quiet_at: tuple[int, int] | None = None
        self.suppress = 0  # reads guarded by try/except NameError or `if 'x' in globals()`
        self.cell: Cell  # the cell being walked: set by run() before anything reads it
        self.reports: list[tuple] = []  # (kind, name, cell, line, extra)
        self.reported: set = set()
        self.checked: set = set()

    # -- bookkeeping --
    def pos(self, node) -> tuple[int, int]:
        return (self.cell.index, getattr(node, "lineno", 1))

    def go_quiet(self, node):
        if not self.quiet:
            self.quiet = True
            self.quiet_at = self.pos(node)

    def bind(self, name: str, node, is_function: _Func | None = None):
        if self.scopes:
            self.scopes[-1].add(name)
            return
        p = self.pos(node)
        self.defined[name] = p
        self.first_def.setdefault(name, p)
        self.deleted.pop(name, None)
        if is_function is not None:
            self.functions[name] = is_function
        else:
            self.functions.pop(name, None)

    def known(self, name: str) -> bool:
        if name in self.defined:
            return True
        for s in self.scopes:
            if name in s:
                return True
        return False

    def special(self, name: str) -> bool:
        return (name in BUILTINS or name in self.known_names or name in IPYTHON_NAMES
                or _IPY_NUMBERED.match(name) is not None or (name.startswith("__") and name.endswith("__")))

    def read(self, name: str, node, called: bool = False):
        if self.known(name):
            if called and name in self.functions and not any(name in s for s in self.scopes):
                self.check_function(name, node, (name,))
            return
        if self.special(name) or self.quiet or self.suppress:
            return
        if name in self.reported:
            return
        self.reported.add(name)
        kind = "deleted" if name in self.deleted else "undefined"
        self.reports.append((kind, name, self.cell, getattr(node, "lineno", None), self.deleted.get(name)))

    def check_function(self, fname: str, node, chain: tuple):
        """A function is used: the names its body reads must exist now."""
        func = self.functions[fname]
        for name in sorted(func.free):
            if name in self.defined:
                if name in func.called and name in self.functions and name not in chain and len(chain) < 6:
                    self.check_function(name, node, chain + (name,))
                continue
            if self.special(name) or self.quiet or self.suppress:
                continue
            key = (chain[0], name)
            if key in self.checked:
                continue
            self.checked.add(key)
            self.reports.append(("body", name, self.cell, getattr(node, "lineno", None), chain))
        for g in func.assigns_global:  # `global g; g = ...` in the body binds g when it runs
            if g not in self.defined:
                self.defined[g] = self.pos(node)
                self.first_def.setdefault(g, self.pos(node))
                self.deleted.pop(g, None)

    # -- statements --
    def run(self):
        for cell, parsed in self.cells:
            checkpoint()  # a large notebook's lint gives way here (nbkit/cooperate.py)
            self.cell = cell
            tree = parsed.tree
            if tree is None:
                if parsed.syntax_error is not None:  # unknown bindings: assume every word is bound
                    if _DYNAMIC_NAMES.search(cell.source) and not self.quiet:
                        self.quiet, self.quiet_at = True, (cell.index, 1)
                    for w in set(re.findall(r"[A-Za-z_]\w*", cell.source)):
                        self.defined.setdefault(w, (cell.index, 1))
                        self.first_def.setdefault(w, (cell.index, 1))
                continue
            for stmt in tree.body:
                self.stmt(stmt, top=True)
        return self.reports

    def body(self, stmts):
        for s in stmts:
            self.stmt(s)

    def stmt(self, s, top: bool = False):  # noqa: C901 - one branch per statement type
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Name) and s.value.id in _AUTOMAGIC:
                return  # `ls`, `pwd`, `who` on their own line: IPython's automagic runs %ls
            self.expr(s.value)
        elif isinstance(s, ast.Assign):
            if (isinstance(s.value, ast.Lambda) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                    and not self.scopes):
                for d in s.value.args.defaults + [d for d in s.value.args.kw_defaults if d]:
                    self.expr(d)
                self.bind(s.targets[0].id, s,
                          _function_summary([ast.Expr(s.value.body)], _arg_names(s.value.args)))
                return
            self.expr(s.value)
            for t in s.targets:
                self.target(t)
        elif isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Name):
                self.expr(s.value)
                self.read(s.target.id, s.target)
                self.bind(s.target.id, s)
            else:
                self.expr(s.value)
                self.target(s.target)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.expr(s.value)
                self.target(s.target)
            elif not isinstance(s.target, ast.Name):
                self.target(s.target)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.expr(s.iter)
            self.target(s.target)
            self.body(s.body)
            self.body(s.orelse)
        elif isinstance(s, ast.While):
            self.expr(s.test)
            self.body(s.body)
            self.body(s.orelse)
        elif isinstance(s, ast.If):
            guarded = self.guard_test(s.test)
            self.expr(s.test)
            self.suppress += guarded
            self.body(s.body)
            self.body(s.orelse)
            self.suppress -= guarded
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.body(s.body)
        elif isinstance(s, (ast.Try, ast.TryStar)):
            guarded = any(self.catches_name_error(h) for h in s.handlers)
            self.suppress += guarded
            self.body(s.body)
            self.suppress -= guarded
            for h in s.handlers:
                if h.type is not None:
                    self.expr(h.type)
                if h.name:
                    self.bind(h.name, h)
                self.body(h.body)
            self.body(s.orelse)
            self.body(s.finalbody)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in s.decorator_list:
                self.expr(d)
            for d in s.args.defaults + [d for d in s.args.kw_defaults if d]:
                self.expr(d)
            summary = _function_summary(s.body, _arg_names(s.args)) if not self.scopes else None
            self.bind(s.name, s, summary)
        elif isinstance(s, ast.ClassDef):
            for e in (*s.decorator_list, *s.bases, *(k.value for k in s.keywords)):
                self.expr(e)
            self.scopes.append(set())
            self.body(s.body)
            self.scopes.pop()
            self.bind(s.name, s)
        elif isinstance(s, (ast.Return,)):
            if s.value is not None:
                self.expr(s.value)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Name):
                    if top and not self.scopes and t.id in self.defined:
                        self.read(t.id, t)
                        del self.defined[t.id]
                        self.functions.pop(t.id, None)
                        self.deleted[t.id] = self.pos(s)
                    else:
                        self.read(t.id, t)
                else:
                    self.target(t)
        elif isinstance(s, ast.Import):
            for a in s.names:
                self.bind(a.asname or a.name.split(".")[0], s)
        elif isinstance(s, ast.ImportFrom):
            for a in s.names:
                if a.name == "*":
                    self.go_quiet(s)
                else:
                    self.bind(a.asname or a.name, s)
        elif isinstance(s, ast.Assert):
            self.expr(s.test)
            if s.msg is not None:
                self.expr(s.msg)
        elif isinstance(s, ast.Raise):
            for raised in (s.exc, s.cause):
                if raised is not None:
                    self.expr(raised)
        elif isinstance(s, ast.Match):
            self.expr(s.subject)
            for case in s.cases:
                for n in ast.walk(case.pattern):
                    if isinstance(n, ast.MatchValue):
                        self.expr(n.value)
                    elif isinstance(n, ast.MatchClass):
                        self.expr(n.cls)
                for name in _pattern_names(case.pattern):
                    self.bind(name, case.pattern)
                if case.guard is not None:
                    self.expr(case.guard)
                self.body(case.body)
        # Global, Nonlocal, Pass, Break, Continue: nothing to resolve

    @staticmethod
    def catches_name_error(h: ast.ExceptHandler) -> bool:
        if h.type is None:
            return True
        names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
        return any(isinstance(n, ast.Name) and n.id in ("NameError", "Exception", "BaseException") for n in names)

    @staticmethod
    def guard_test(test: ast.AST) -> int:
        for n in ast.walk(test):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _NAME_GUARDS | {"hasattr"}:
                return 1
        return 0

    # -- targets and expressions --
    def target(self, t):
        if isinstance(t, ast.Name):
            self.bind(t.id, t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self.target(e)
        elif isinstance(t, ast.Starred):
            self.target(t.value)
        elif isinstance(t, ast.Subscript):
            if isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Name) \
                    and t.value.func.id in ("globals", "locals", "vars"):
                self.go_quiet(t)
            self.expr(t.value)
            self.expr(t.slice)
        elif isinstance(t, ast.Attribute):
            self.expr(t.value)

    def expr(self, e):  # noqa: C901
        if e is None:
            return
        t = type(e)
        if t is ast.Name:
            if isinstance(e.ctx, ast.Load):
                self.read(e.id, e)
            return
        if t is ast.Constant:
            return  # no sub-expressions
        if t is ast.NamedExpr:
            self.expr(e.value)
            self.bind_walrus(e.target.id, e)
            return
        if t is ast.Lambda:  # the body runs later, maybe after more cells: not checked
            for d in e.args.defaults + [d for d in e.args.kw_defaults if d]:
                self.expr(d)
            return
        if t in _COMPREHENSIONS:
            gens = e.generators
            self.expr(gens[0].iter)
            self.scopes.append(set())
            for i, g in enumerate(gens):
                if i:
                    self.expr(g.iter)
                self.target(g.target)
                for cond in g.ifs:
                    self.expr(cond)
            if isinstance(e, ast.DictComp):
                self.expr(e.key)
                self.expr(e.value)
            else:
                self.expr(e.elt)
            self.scopes.pop()
            return
        if t is ast.Call:
            self.call(e)
            if type(e.func) is ast.Name:  # f(...): the body of a notebook function runs now
                self.read(e.func.id, e.func, called=True)
                for a in e.args:
                    self.expr(a)
                for k in e.keywords:
                    self.expr(k.value)
                return
        expr = self.expr
        for name in e._fields:  # ast.iter_child_nodes, without its generators' overhead
            value = getattr(e, name, None)
            for child in (value if type(value) is list else (value,)):
                tc = type(child)
                if tc is ast.Constant:
                    continue
                if type(child) is ast.Name:
                    if isinstance(child.ctx, ast.Load):
                        self.read(child.id, child)
                elif isinstance(child, ast.expr):
                    expr(child)
                elif type(child) is ast.keyword:
                    expr(child.value)

    def bind_walrus(self, name: str, node):
        # a walrus in a comprehension binds in the enclosing (module) scope
        saved = self.scopes
        self.scopes = []
        self.bind(name, node)
        self.scopes = saved

    def call(self, e: ast.Call):
        f = e.func
        if isinstance(f, ast.Name) and f.id in ("exec", "execfile"):
            self.go_quiet(e)
            return
        if isinstance(f, ast.Attribute) and f.attr in ("update", "setdefault", "__setitem__", "push"):
            v = f.value
            if (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("globals", "locals",
                                                                                            "vars", "get_ipython")) \
                    or (isinstance(v, ast.Attribute) and v.attr == "user_ns"):
                self.go_quiet(e)
                return
        magic = magic_call(e)
        if magic is None:
            return
        kind, name, args = magic
        words = args.split("\n", 1)[0].split()
        if kind == "line":
            if name in ("run", "pylab", "load"):
                self.go_quiet(e)
            elif name == "store" and words[:1] == ["-r"]:
                if len(words) == 1:
                    self.go_quiet(e)
                for w in words[1:]:
                    self.bind(w, e)
            elif name in ("R", "Rpull", "octave") and "-o" in words:
                for w in words[words.index("-o") + 1:][:1]:
                    for bound in w.split(","):
                        self.bind(bound, e)
            elif name == "sql" and "<<" in words:
                self.bind(words[0], e)
        elif kind == "cell":
            if name == "capture":
                names = [w for w in words if not w.startswith("-")]
                if names:
                    self.bind(names[-1], e)
            elif name in ("bash", "sh", "script", "system", "python", "python3"):
                for opt in ("--out", "--err", "--proc"):
                    if opt in words and words.index(opt) + 1 < len(words):
                        self.bind(words[words.index(opt) + 1], e)
            elif name == "R" and "-o" in words:
                for w in words[words.index("-o") + 1:][:1]:
                    for bound in w.split(","):
                        self.bind(bound, e)
            elif name == "sql" and "<<" in words:
                self.bind(words[0], e)
            elif name not in _NON_BINDING_CELL_MAGICS:
                # %%cython, %%fortran, an extension's magic: it may define any name its body
                # spells, so take every word as bound rather than report a name it made
                for w in set(re.findall(r"[A-Za-z_]\w*", args)):
                    self.bind(w, e)
