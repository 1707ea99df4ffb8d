"""Def-use: top-down name resolution over the code cells, the way a fresh kernel runs the
notebook (Restart & Run All).  NBR011 reports what it finds."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cooperate import checkpoint
from ..ipysyntax import ParsedCell
from ..model import Cell
from .funcsummary import FuncSummary, arg_names, child_fields, function_summary, pattern_names
from .semantic import BUILTINS, lazy_re, magic_call

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
_VERSION_NAMES = frozenset({"version_info", "PY2", "PY3"})  # sys.version_info, six.PY2
# Python 2's builtins that Python 3 does not have
_PY2_BUILTINS = frozenset({"unicode", "long", "xrange", "raw_input", "basestring", "unichr", "file", "execfile",
                           "reduce", "cmp", "reload", "buffer", "apply", "coerce", "intern"})


# node types as module globals: the hot loops below look them up faster than ast.X
_Assign = ast.Assign
_Attribute = ast.Attribute
_Expr = ast.Expr
_BinOp = ast.BinOp
_Call = ast.Call
_Constant = ast.Constant
_DictComp = ast.DictComp
_Lambda = ast.Lambda
_List = ast.List
_Load = ast.Load
_Name = ast.Name
_NamedExpr = ast.NamedExpr
_Set = ast.Set
_Subscript = ast.Subscript
_Tuple = ast.Tuple
_keyword = ast.keyword

_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp})
# methods that write a namespace when called on globals(), get_ipython() or .user_ns
_NAMESPACE_WRITERS = frozenset({"update", "setdefault", "__setitem__", "push"})


class DefUse:
    """Top-down name resolution over the cells (what a fresh Restart & Run All would do)."""

    def __init__(self, cells: list[tuple[Cell, ParsedCell]], known: frozenset = frozenset(), cache: Any = None):
        self.cells = cells
        self.cache = cache  # the notebook's nbkit.analysis.ParseCache (the server's): see run()
        self.known_names = known
        self.defined: dict[str, tuple[int, int]] = {}  # module-level names bound so far
        self.first_def: dict[str, tuple[int, int]] = {}
        self.deleted: dict[str, tuple[int, int]] = {}
        self.functions: dict[str, FuncSummary] = {}
        self.scopes: list[set[str]] = []  # class bodies, comprehensions, lambdas
        self.quiet = False  # after a star import, %run, exec(...): names may come from anywhere
        self.quiet_at: tuple[int, int] | None = None
        self.suppress = 0  # reads guarded by try/except NameError or `if 'x' in globals()`
        self.py2 = 0  # reads under a test of the Python version: Python 2's builtins may be read
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

    def bind(self, name: str, node, is_function: FuncSummary | None = None):
        if self.scopes:
            self.scopes[-1].add(name)
            return
        p = (self.cell.index, getattr(node, "lineno", 1))  # self.pos(node), without the call
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
        # (an IPython history name, _12 or _i12, and a dunder start with "_": most names do not)
        return (name in BUILTINS or name in self.known_names or name in IPYTHON_NAMES
                or name[:1] == "_" and (_IPY_NUMBERED.match(name) is not None
                                        or (name.startswith("__") and name.endswith("__"))))

    def read(self, name: str, node, called: bool = False):
        if self.known(name):
            if called and name in self.functions and not any(name in s for s in self.scopes):
                self.check_function(name, node, (name,))
            return
        if self.special(name) or self.quiet or self.suppress or (self.py2 and name in _PY2_BUILTINS):
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
            if self.special(name) or self.quiet or self.suppress or (self.py2 and name in _PY2_BUILTINS):
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
        """Resolve every cell's names, top-down; the reports (also in ``self.reports``).

        With a ``cache``, the walk starts where the last lint of the notebook stopped agreeing with
        this one, from the state kept there: the state after the first k cells depends only on those
        cells (their parses and positions) and ``known_names``, so when they are the same objects at
        the same positions as at the last lint, the walk of them would end in the same state.  The
        panel re-lints after each edit of one cell: the state is kept just before the first cell
        that differed from the lint before (the one being edited), where the next lint resumes."""
        start, previous = 0, None
        if self.cache is not None:
            previous = self.cache.notebook_records.get("defuse")
            if previous is not None and previous.known == self.known_names:
                start = self._resume(previous)
        keep_at = None
        if self.cache is not None:
            keep_at = _first_difference(previous.parses if previous is not None else (), self.cells)
        for k in range(start, len(self.cells)):
            if k == keep_at:
                self._keep(k)
            cell, parsed = self.cells[k]
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
            handlers = _STMT_HANDLERS
            stmt: Any  # (the handlers take their statement types)
            for stmt in tree.body:
                ts = type(stmt)
                # the two commonest statements (half the top-level ones each) without a handler's call:
                # what _expr_stmt and _assign (but for `f = lambda ...`) do
                if ts is _Expr:
                    v = stmt.value
                    if type(v) is not _Name or v.id not in _AUTOMAGIC:
                        self.expr(v)
                    continue
                if ts is _Assign and type(stmt.value) is not _Lambda:
                    self.expr(stmt.value)
                    for t in stmt.targets:
                        if type(t) is _Name:
                            self.bind(t.id, t)
                        else:
                            self.target(t)
                    continue
                handler = handlers.get(ts)
                if handler is not None:
                    handler(self, stmt, True)
        if keep_at is not None and keep_at >= len(self.cells):
            self._keep(len(self.cells))
        return self.reports

    def _keep(self, k: int) -> None:
        """Keep the state after the first ``k`` cells for the next lint of the notebook."""
        pos = {id(c): i for i, (c, _) in enumerate(self.cells[:k])}
        self.cache.notebook_records["defuse"] = _State(
            k, tuple(p for _, p in self.cells), tuple((c.index, c.source) for c, _ in self.cells[:k]),
            self.known_names, dict(self.defined), dict(self.first_def), dict(self.deleted), dict(self.functions),
            self.quiet, self.quiet_at,
            [(kind, name, pos[id(c)], line, extra) for kind, name, c, line, extra in self.reports],
            set(self.reported), set(self.checked))

    def _resume(self, st: _State) -> int:
        """Take the kept state when this lint's first cells are those it was kept after (else 0)."""
        k = st.k
        if k > len(self.cells) or k == 0:
            return 0
        for i in range(k):
            cell, parsed = self.cells[i]
            if parsed is not st.parses[i] or (cell.index, cell.source) != st.where[i]:
                return 0
        self.defined, self.first_def, self.deleted = dict(st.defined), dict(st.first_def), dict(st.deleted)
        self.functions = dict(st.functions)
        self.quiet, self.quiet_at = st.quiet, st.quiet_at
        self.reports = [(kind, name, self.cells[i][0], line, extra) for kind, name, i, line, extra in st.reports]
        self.reported, self.checked = set(st.reported), set(st.checked)
        return k

    def body(self, stmts):
        handlers = _STMT_HANDLERS
        for s in stmts:
            handler = handlers.get(type(s))
            if handler is not None:
                handler(self, s, False)

    def stmt(self, s, top: bool = False):
        """One statement (Global, Nonlocal, Pass, Break, Continue: nothing to resolve)."""
        handler = _STMT_HANDLERS.get(type(s))  # one handler per statement type: no isinstance chain
        if handler is not None:
            handler(self, s, top)

    def _expr_stmt(self, s: ast.Expr, top: bool):
        v = s.value
        if type(v) is ast.Name and v.id in _AUTOMAGIC:
            return  # `ls`, `pwd`, `who` on their own line: IPython's automagic runs %ls
        self.expr(v)

    def _assign(self, s: ast.Assign, top: bool):
        v, targets = s.value, s.targets
        if type(v) is ast.Lambda and len(targets) == 1 and type(targets[0]) is ast.Name and not self.scopes:
            for d in v.args.defaults + [d for d in v.args.kw_defaults if d]:
                self.expr(d)
            # the summary of `f = lambda: body` is that of a function whose body is the expression
            self.bind(targets[0].id, s, function_summary([v.body], arg_names(v.args)))
            return
        self.expr(v)
        for t in targets:
            if type(t) is ast.Name:
                self.bind(t.id, t)
            else:
                self.target(t)

    def _aug_assign(self, s: ast.AugAssign, top: bool):
        if isinstance(s.target, ast.Name):
            self.expr(s.value)
            self.read(s.target.id, s.target)
            self.bind(s.target.id, s)
        else:
            self.expr(s.value)
            self.target(s.target)

    def _ann_assign(self, s: ast.AnnAssign, top: bool):
        if s.value is not None:
            self.expr(s.value)
            self.target(s.target)
        elif not isinstance(s.target, ast.Name):
            self.target(s.target)

    def _for(self, s: ast.For | ast.AsyncFor, top: bool):
        self.expr(s.iter)
        self.target(s.target)
        self.body(s.body)
        self.body(s.orelse)

    def _while(self, s: ast.While, top: bool):
        self.expr(s.test)
        self.body(s.body)
        self.body(s.orelse)

    def _if(self, s: ast.If, top: bool):
        guarded = self.guard_test(s.test)
        by_version = self.version_test(s.test)
        self.expr(s.test)
        self.suppress += guarded
        self.py2 += by_version
        self.body(s.body)
        self.body(s.orelse)
        self.suppress -= guarded
        self.py2 -= by_version

    def _with(self, s: ast.With | ast.AsyncWith, top: bool):
        for item in s.items:
            self.expr(item.context_expr)
            if item.optional_vars is not None:
                self.target(item.optional_vars)
        self.body(s.body)

    def _try(self, s: ast.Try | ast.TryStar, top: bool):
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

    def _function_def(self, s: ast.FunctionDef | ast.AsyncFunctionDef, top: bool):
        for d in s.decorator_list:
            self.expr(d)
        for d in s.args.defaults + [d for d in s.args.kw_defaults if d]:
            self.expr(d)
        summary = function_summary(s.body, arg_names(s.args)) if not self.scopes else None
        self.bind(s.name, s, summary)

    def _class_def(self, s: ast.ClassDef, top: bool):
        for e in (*s.decorator_list, *s.bases, *(k.value for k in s.keywords)):
            self.expr(e)
        self.scopes.append(set())
        self.body(s.body)
        self.scopes.pop()
        self.bind(s.name, s)

    def _return(self, s: ast.Return, top: bool):
        if s.value is not None:
            self.expr(s.value)

    def _delete(self, s: ast.Delete, top: bool):
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

    def _import(self, s: ast.Import, top: bool):
        for a in s.names:
            self.bind(a.asname or a.name.split(".")[0], s)

    def _import_from(self, s: ast.ImportFrom, top: bool):
        for a in s.names:
            if a.name == "*":
                self.go_quiet(s)
            else:
                self.bind(a.asname or a.name, s)

    def _assert(self, s: ast.Assert, top: bool):
        self.expr(s.test)
        if s.msg is not None:
            self.expr(s.msg)

    def _raise(self, s: ast.Raise, top: bool):
        for raised in (s.exc, s.cause):
            if raised is not None:
                self.expr(raised)

    def _match(self, s: ast.Match, top: bool):
        self.expr(s.subject)
        for case in s.cases:
            for n in ast.walk(case.pattern):
                if isinstance(n, ast.MatchValue):
                    self.expr(n.value)
                elif isinstance(n, ast.MatchClass):
                    self.expr(n.cls)
            for name in pattern_names(case.pattern):
                self.bind(name, case.pattern)
            if case.guard is not None:
                self.expr(case.guard)
            self.body(case.body)

    @staticmethod
    def catches_name_error(h: ast.ExceptHandler) -> bool:
        if h.type is None:
            return True
        names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
        return any(isinstance(n, ast.Name) and n.id in ("NameError", "Exception", "BaseException") for n in names)

    @staticmethod
    def guard_test(test: ast.AST) -> int:
        """1 when the branches of an ``if`` with this test may read names that are not there:
        the test looks the names up (``'x' in globals()``, ``hasattr``)."""
        for n in ast.walk(test):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _NAME_GUARDS | {"hasattr"}:
                return 1
        return 0

    @staticmethod
    def version_test(test: ast.AST) -> int:
        """1 when an ``if`` with this test picks code for a Python version (``sys.version_info <
        (3, 0)``, six's ``PY2``): a branch may use Python 2's builtins (``unicode``)."""
        for n in ast.walk(test):
            if (isinstance(n, ast.Attribute) and n.attr in _VERSION_NAMES) or \
                    (isinstance(n, ast.Name) and n.id in _VERSION_NAMES):
                return 1
        return 0

    # -- targets and expressions --
    def target(self, t):
        tt = type(t)
        if tt is ast.Name:
            self.bind(t.id, t)
        elif tt is ast.Tuple or tt is ast.List:
            for e in t.elts:
                self.target(e)
        elif tt is ast.Starred:
            self.target(t.value)
        elif tt is ast.Subscript:
            v = t.value
            tv = type(v)
            if tv is ast.Name:  # x[k] = ...: the commonest target after a name
                if v.id not in self.defined and type(v.ctx) is ast.Load:
                    self.read(v.id, v)
            else:
                if tv is ast.Call and type(v.func) is ast.Name and v.func.id in ("globals", "locals", "vars"):
                    self.go_quiet(t)
                self.expr(v)
            if type(t.slice) is not ast.Constant:
                self.expr(t.slice)
        elif tt is ast.Attribute:
            self.expr(t.value)

    def exprs(self, nodes):
        """expr() over a list of expressions (None items skipped), with the commonest items
        (constants, names already bound) done here rather than by a call."""
        defined = self.defined
        for e in nodes:
            t = type(e)
            if t is ast.Name:
                if e.id not in defined and type(e.ctx) is ast.Load:
                    self.read(e.id, e)
            elif t is not ast.Constant and e is not None:
                self.expr(e)

    def expr(self, e):
        """Resolve what an expression reads, in evaluation order.  The last child of the
        commonest node types is visited by the loop rather than by a recursive call
        (``a.b.c``, ``x + y``, ``d[k]``), and a name that is already bound (the commonest
        case) costs no call of read(): read() returns at once for it."""
        defined = self.defined
        while True:
            t = type(e)
            if t is _Name:
                if e.id not in defined and type(e.ctx) is _Load:
                    self.read(e.id, e)
                return
            if t is _Attribute:
                e = e.value
                continue
            if t is _Call:
                f = e.func
                tf = type(f)
                if tf is _Name:
                    fid = f.id
                    if fid == "exec" or fid == "execfile":
                        self.go_quiet(e)
                    if fid in defined:
                        if fid in self.functions:  # f(...): a notebook function's body runs now
                            self.read(fid, f, called=True)
                    elif fid not in BUILTINS:  # print(...): read() would return at once
                        self.read(fid, f, called=True)
                else:
                    # only a method of globals(), get_ipython() or .user_ns writes the namespace or is a
                    # magic (see call())
                    if tf is _Attribute:
                        v = f.value
                        if f.attr in _NAMESPACE_WRITERS or (type(v) is _Call and type(v.func) is _Name
                                                            and v.func.id == "get_ipython"):
                            self.call(e)
                    while tf is _Attribute:  # obj.method(...): only `obj` is read
                        f = f.value
                        tf = type(f)
                    if tf is _Name:
                        if f.id not in defined and type(f.ctx) is _Load:
                            self.read(f.id, f)
                    elif tf is not _Constant:
                        self.expr(f)
                # the arguments, then the keywords' values (exprs() of them, without the call; as
                # in expr(), `a.b` and `d["key"]` read only a and d)
                for a in (e.args + [k.value for k in e.keywords] if e.keywords else e.args):
                    ta = type(a)
                    while ta is _Attribute or (ta is _Subscript and type(a.slice) is _Constant):
                        a = a.value
                        ta = type(a)
                    if ta is _Name:
                        if a.id not in defined and type(a.ctx) is _Load:
                            self.read(a.id, a)
                    elif ta is not _Constant:
                        self.expr(a)
                return
            if t is _Constant or e is None:
                return  # no sub-expressions
            if t is _BinOp or t is _Subscript:
                if t is _BinOp:
                    first, e = e.left, e.right
                else:
                    first, e = e.value, e.slice
                    if type(e) is _Constant:  # d["key"]: only d is read
                        e = first
                        continue
                tf = type(first)
                # a.b and d["key"] read only a and d: no call of expr() for them
                while tf is _Attribute or (tf is _Subscript and type(first.slice) is _Constant):
                    first = first.value
                    tf = type(first)
                if tf is _Name:
                    if first.id not in defined and type(first.ctx) is _Load:
                        self.read(first.id, first)
                elif tf is not _Constant:
                    self.expr(first)
                continue
            if t is _List or t is _Tuple or t is _Set:
                self.exprs(e.elts)
                return
            if t is _NamedExpr:
                self.expr(e.value)
                self.bind_walrus(e.target.id, e)
                return
            if t is _Lambda:  # the body runs later, maybe after more cells: not checked
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
                if t is _DictComp:
                    self.expr(e.key)
                    self.expr(e.value)
                else:
                    self.expr(e.elt)
                self.scopes.pop()
                return
            for name in child_fields(t):  # ast.iter_child_nodes, without its generators' overhead
                value: Any = getattr(e, name, None)
                for child in (value if type(value) is list else (value,)):
                    tc = type(child)
                    if tc is _Constant:
                        continue
                    if tc is _Name:
                        if isinstance(child.ctx, _Load):
                            self.read(child.id, child)
                    elif isinstance(child, ast.expr):
                        self.expr(child)
                    elif tc is _keyword:
                        self.expr(child.value)
            return

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
        if isinstance(f, ast.Attribute) and f.attr in _NAMESPACE_WRITERS:
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


@dataclass
class _State:
    """The walk's state after the first ``k`` cells of a lint (reports name cells by position)."""

    k: int
    parses: tuple  # every cell's parse at that lint (the next lint keeps its state where they differ)
    where: tuple  # (index, source) of each of the first k cells
    known: frozenset
    defined: dict
    first_def: dict
    deleted: dict
    functions: dict
    quiet: bool
    quiet_at: tuple[int, int] | None
    reports: list
    reported: set
    checked: set


def _first_difference(parses: tuple, cells: list) -> int:
    """The position of the first cell whose parse differs from the last lint's (its length when
    none does and it had no fewer cells)."""
    for i, (_, parsed) in enumerate(cells):
        if i >= len(parses) or parses[i] is not parsed:
            return i
    return len(cells)


_STMT_HANDLERS: dict[type[ast.stmt], Callable[[DefUse, Any, bool], None]] = {
    ast.Expr: DefUse._expr_stmt, ast.Assign: DefUse._assign, ast.AugAssign: DefUse._aug_assign,
    ast.AnnAssign: DefUse._ann_assign, ast.For: DefUse._for, ast.AsyncFor: DefUse._for, ast.While: DefUse._while,
    ast.If: DefUse._if, ast.With: DefUse._with, ast.AsyncWith: DefUse._with, ast.Try: DefUse._try,
    ast.TryStar: DefUse._try, ast.FunctionDef: DefUse._function_def, ast.AsyncFunctionDef: DefUse._function_def,
    ast.ClassDef: DefUse._class_def, ast.Return: DefUse._return, ast.Delete: DefUse._delete,
    ast.Import: DefUse._import, ast.ImportFrom: DefUse._import_from, ast.Assert: DefUse._assert,
    ast.Raise: DefUse._raise, ast.Match: DefUse._match,
}
