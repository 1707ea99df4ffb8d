"""The shared semantic pass over a notebook's code: calls (callee resolved through the import
aliases), imported modules, string literals, IPython magics and a few statement types, in
source order.  Built once per notebook by :class:`nbkit.analysis.Facts` when a rule asks."""

from __future__ import annotations

import ast
import builtins
import enum
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from ..cooperate import checkpoint
from ..ipysyntax import ParsedCell
from ..model import Cell

# import aliases: alias -> dotted module or object (the analysis marks a rebound alias with None)
_Bindings = TypeVar("_Bindings", dict[str, str], dict[str, str | None])


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


class CallInfo:
    """One call in document order, with its callee resolved through the import aliases."""

    __slots__ = ("cell", "node", "qual", "method", "in_function", "parents", "_text", "_magic_v")

    def __init__(self, cell: Cell, node: ast.Call, qual: str | None, method: str | None, in_function: str | None,
                 parents: tuple):
        self.cell = cell
        self.node = node
        self.qual = qual  # "numpy.random.normal" (None when the callee is not an imported name)
        self.method = method  # the last attribute / name: "normal", "sample"
        self.in_function = in_function  # name of the enclosing def, if any
        self.parents = parents
        self._text: str | None = None
        self._magic_v: tuple[str, str, str] | None | Literal[_Unset.UNSET] = _UNSET

    @property
    def text(self) -> str:
        """The callee as written: ``np.random.normal`` (computed only for messages)."""
        if self._text is None:
            self._text = source_text(self.node.func)
        return self._text

    @property
    def magic(self) -> tuple[str, str, str] | None:
        """``magic_call(self.node)``, computed once: most NBR rules ask it of every call."""
        m = self._magic_v
        if m is _UNSET:
            m = self._magic_v = magic_call(self.node)
        return m


LEAVES = frozenset({ast.Load, ast.Store, ast.Del, ast.alias, *ast.operator.__subclasses__(),
                     *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()})
# children the shared walk does not descend into: names, leaves and the commonest non-node field values
_NOT_VISITED = LEAVES | {ast.Name, str, int, bool, type(None)}
_INDEXED = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.BinOp, ast.Compare, ast.Dict)


@dataclass
class Analysis:
    calls: list[CallInfo] = field(default_factory=list)
    imported: set[str] = field(default_factory=set)  # top-level modules imported anywhere
    strings: list[tuple] = field(default_factory=list)  # (cell, Constant) string literals, not docstrings
    by_type: dict = field(default_factory=dict)  # ast type -> [(cell, node)] for _INDEXED types
    star_imports: list[tuple] = field(default_factory=list)  # (cell, ImportFrom) of `from m import *`

    def nodes(self, *types):
        for t in types:
            yield from self.by_type.get(t, ())


BUILTINS = frozenset(dir(builtins))


class lazy_re:  # noqa: N801 - used like re.compile
    """A regular expression compiled on first use: most patterns here never run for a given
    notebook (secret and path patterns sit behind cheap substring checks), so importing the
    rules should not pay for compiling them all."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._rx: re.Pattern[str] | None = None

    def __getattr__(self, name):
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return getattr(rx, name)


def source_text(node: ast.AST, limit: int = 60) -> str:
    try:
        s = ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd trees
        return "?"
    return s if len(s) <= limit else s[: limit - 1] + "…"


def dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` -> ["a", "b", "c"]; None for anything that is not a plain attribute chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def bind_import(node: ast.AST, bindings: _Bindings) -> None:
    """Record the names an import binds (alias -> dotted module or object); a None value is
    a name that something rebound since."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                bindings[a.asname] = a.name
            else:
                bindings[a.name.split(".")[0]] = a.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        for a in node.names:
            if a.name != "*":
                bindings[a.asname or a.name] = f"{node.module}.{a.name}"


def build(cells: list[tuple[Cell, ParsedCell]]) -> Analysis:
    """One walk over every code cell's AST, in source order, collecting calls (callee resolved
    through the import aliases), string literals and a few statement types the rules look at.
    ``cells``: each code cell with its parse, in document order."""
    out = Analysis()
    bindings: dict[str, str | None] = {}
    fallback: dict[str, str | None] = {}  # every import anywhere: resolves calls in out-of-order notebooks too
    for cell, parsed in cells:
        if parsed.tree is not None and "import" in parsed.python_source:
            for node in ast.walk(parsed.tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found: dict[str, str | None] = {}
                    bind_import(node, found)
                    for k, v in found.items():
                        fallback.setdefault(k, v)
    by_type = out.by_type
    # per-cell state of the walk (rebound for each cell; visit reads it through its closure)
    stack: list[ast.AST] = []
    docstrings: set[int] = set()

    def visit(node, func):
        t = type(node)
        if t is ast.Call:
            parts = dotted(node.func)
            qual = method = None
            if parts:
                method = parts[-1]
                head = parts[0]
                target = bindings[head] if head in bindings else fallback.get(head)
                if target:
                    qual = ".".join([target, *parts[1:]])
                elif len(parts) == 1 and head in BUILTINS:
                    qual = head
            elif type(node.func) is ast.Attribute:
                method = node.func.attr
            out.calls.append(CallInfo(cell, node, qual, method, func, tuple(stack)))
        elif t is ast.Expr:
            if type(node.value) is ast.Constant and type(node.value.value) is str:
                docstrings.add(id(node.value))
        elif t is ast.Import or t is ast.ImportFrom:
            bind_import(node, bindings)
            if t is ast.Import:
                out.imported.update(a.name.split(".")[0] for a in node.names)
            else:
                if node.module and node.level == 0:
                    out.imported.add(node.module.split(".")[0])
                if any(a.name == "*" for a in node.names):
                    out.star_imports.append((cell, node))
            return
        elif t in _INDEXED:
            by_type.setdefault(t, []).append((cell, node))
            if t is ast.Assign:  # `random = np.random.default_rng(0)` shadows the module
                for tgt in node.targets:
                    if type(tgt) is ast.Name and (tgt.id in bindings or tgt.id in fallback):
                        bindings[tgt.id] = None
        inner = node.name if (t is ast.FunctionDef or t is ast.AsyncFunctionDef) else func
        stack.append(node)
        for name in node._fields:
            value: Any = getattr(node, name, None)  # an AST field: a node, a list, a constant
            tv = type(value)
            if tv is list:
                for child in value:
                    tc = type(child)
                    if tc is ast.Constant:
                        if type(child.value) is str and id(child) not in docstrings:
                            out.strings.append((cell, child))
                    elif tc not in _NOT_VISITED and isinstance(child, ast.AST):
                        visit(child, inner)
            elif tv is ast.Constant:  # the same, for a single child (no tuple to build)
                if type(value.value) is str and id(value) not in docstrings:
                    out.strings.append((cell, value))
            elif tv not in _NOT_VISITED and isinstance(value, ast.AST):
                visit(value, inner)
        stack.pop()

    try:
        for cell, parsed in cells:
            checkpoint()  # a large notebook's lint gives way here (nbkit/cooperate.py)
            tree = parsed.tree
            if tree is None:
                continue
            stack = []
            docstrings = set()
            try:
                visit(tree, None)
            except RecursionError:  # absurdly deep expression: the rules skip the rest of this cell
                pass
    finally:
        # visit refers to itself through its closure: without this, every analysis (and the
        # cells and syntax trees it holds) would wait for the cycle collector to be freed
        visit = None  # type: ignore[assignment]
    return out


def ipython_method(call: ast.Call) -> str | None:
    """``get_ipython().run_line_magic(...)`` -> "run_line_magic" (None: not a call of a method of
    ``get_ipython()``; the IPython-syntax transform writes magics and shell escapes this way)."""
    f = call.func
    if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "get_ipython"):
        return f.attr
    return None


def str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def magic_call(call: ast.Call) -> tuple[str, str, str] | None:
    """``get_ipython().run_line_magic('pip', 'install x')`` -> ("line", "pip", "install x");
    ``.system('cmd')`` / ``.getoutput('cmd')`` -> ("system", "", "cmd");
    ``.run_cell_magic('bash', '', body)`` -> ("cell", "bash", args + "\\n" + body)."""
    method = ipython_method(call)
    if method is None:
        return None
    args = [str_const(a) for a in call.args]
    if method == "run_line_magic" and len(args) >= 2 and args[0] is not None:
        return "line", args[0], args[1] or ""
    if method in ("system", "getoutput") and args and args[0] is not None:
        return "system", "", args[0]
    if method == "run_cell_magic" and len(args) >= 3 and args[0] is not None:
        return "cell", args[0], (args[1] or "") + "\n" + (args[2] or "")
    return None
