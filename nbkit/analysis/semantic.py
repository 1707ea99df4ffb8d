"""The shared semantic pass over a notebook's code: calls (callee resolved through the import
aliases), imported modules, string literals, IPython magics and a few statement types, in
source order.  Built once per notebook by :class:`nbkit.analysis.Facts` when a rule asks."""

from __future__ import annotations

import ast
import builtins
import enum
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence, TypeVar

from ..cooperate import checkpoint
from ..lazy import lazy_re  # noqa: F401 - re-exported (rules import it from here)
from ..imports import statements
from ..ipysyntax import ParsedCell
from ..model import Cell

# import aliases: alias -> dotted module or object (the analysis marks a rebound alias with None)
_Bindings = TypeVar("_Bindings", dict[str, str], dict[str, str | None])


class _Unset(enum.Enum):
    UNSET = enum.auto()


_UNSET = _Unset.UNSET


class CallInfo:
    """One call in document order, with its callee resolved through the import aliases."""

    __slots__ = ("cell", "node", "qual", "method", "in_function", "parents", "magic", "_text")

    def __init__(self, cell: Cell, node: ast.Call, qual: str | None, method: str | None, in_function: str | None,
                 parents: tuple, magic: tuple[str, str, str] | None | Literal[_Unset.UNSET] = _UNSET):
        self.cell = cell
        self.node = node
        self.qual = qual  # "numpy.random.normal" (None when the callee is not an imported name)
        self.method = method  # the last attribute / name: "normal", "sample"
        self.in_function = in_function  # name of the enclosing def, if any
        self.parents = parents
        # ``magic_call(node)``: most NBR rules ask it of every call (the walk passes None for a
        # call that cannot be a magic, so that most calls need not work it out)
        self.magic: tuple[str, str, str] | None = magic_call(node) if magic is _UNSET else magic
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The callee as written: ``np.random.normal`` (computed only for messages)."""
        if self._text is None:
            self._text = source_text(self.node.func)
        return self._text


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


# fields that never hold a node the walk visits (identifiers, ints, operators, contexts)
_NOT_NODE_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "names", "asname", "arg", "module",
                              "level", "simple", "conversion", "is_async", "kind", "type_comment", "tag",
                              "lineno", "rest", "kwd_attrs",
                              "type_ignores",  # (TypeIgnore nodes hold nothing; parse_cell never makes any)
                              "str"})  # (Python 3.14's Interpolation: the expression's text, a str)

# what the walk does on entering a node, by its type
_PLAIN, _CALL, _EXPR, _IMPORT, _INDEX, _DEF, _ASSIGN = range(7)


# how the walk reads a node's children, by its type: no field that can hold a node; one field
# holding one node; several such fields or one list of nodes (one attrgetter call gives the
# children); anything else (fields holding a node and fields holding lists: flattened)
_NO_CHILDREN, _ONE, _SEQUENCE, _MIXED = range(4)


def _list_fields(cls: type[ast.AST]) -> frozenset[str] | None:
    """The fields of ``cls`` that hold lists, from the signature the ast module gives as a node
    class's docstring (``Call(expr func, expr* args, keyword* keywords)``); None when unknown."""
    m = re.fullmatch(r"\w+\((.*)\)", (cls.__doc__ or "").strip())
    if m is None:
        return None
    out = set()
    for item in m.group(1).split(","):
        parts = item.split()
        if len(parts) != 2:
            return None
        if parts[0].endswith("*"):
            out.add(parts[1])
    return frozenset(out) if set(cls._fields) >= out else None


def flat_values(values: Sequence[Any]) -> list[Any]:
    """The children of a node of shape _MIXED: its fields' values in order, lists' items in their place."""
    flat: list[Any] = []
    for value in values:
        if type(value) is list:
            flat += value
        else:
            flat.append(value)
    return flat


def _spec(cls: type[ast.AST]) -> tuple[int, Any, int]:
    """(what to do, a getter of the values of the fields that can hold nodes, how to read them:
    see _MIXED) for an AST class: the walk reads only those fields, with one call."""
    kind = _PLAIN
    if cls is ast.Call:
        kind = _CALL
    elif cls is ast.Expr:
        kind = _EXPR
    elif cls is ast.Assign:
        kind = _ASSIGN  # an indexed type, with its own branch (its targets can shadow an import)
    elif cls is ast.Import or cls is ast.ImportFrom:
        return _IMPORT, None, _NO_CHILDREN
    elif cls in _INDEXED:
        kind = _INDEX
    elif cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
        kind = _DEF
    fields = () if cls is ast.MatchSingleton else tuple(f for f in cls._fields if f not in _NOT_NODE_FIELDS)
    if not fields:
        return kind, None, _NO_CHILDREN
    lists = _list_fields(cls)
    if lists is None:
        shape = _MIXED
    elif len(fields) == 1:
        shape = _SEQUENCE if fields[0] in lists else _ONE
    else:
        shape = _MIXED if lists.intersection(fields) else _SEQUENCE
    # attrgetter of one name returns the value itself, of several a tuple
    return kind, operator.attrgetter(*fields), shape


def _node_classes() -> list[type[ast.AST]]:
    found: list[type[ast.AST]] = []
    todo: list[type[ast.AST]] = [ast.AST]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


_SPECS: dict[type, tuple[int, Any, int]] = {cls: _spec(cls) for cls in _node_classes()}
_DEEP = 100  # above this depth a walk cannot meet the recursion limit (see build)


def _enter() -> None:
    """Does nothing: deep in a tree, build calls it where the recursive walk it replaces used one
    more level of the recursion limit than it does, so that it stops where that walk stopped."""


def _enter_node() -> None:
    """The same, for a node build does not enter (that walk entered it and compared its type)."""
    _enter()


class _CellWalk:
    """What the walk of one cell found, without the cell, and what it depended on: the cell's
    parse (its tree's nodes are in the record), the import aliases bound above it (``bindings``,
    which the cell's imports and assignments then change to ``bindings_out``) and every import of
    the notebook (``fallback``).  Nothing else outside the cell is read by the walk, so a cell with
    the same parse and the same two dicts is walked to the same record (kept by the server's
    parse cache, :meth:`nbkit.analysis.ParseCache.derived`)."""

    __slots__ = ("parsed", "bindings", "fallback", "bindings_out", "calls", "strings", "indexed", "imported",
                 "stars")

    def __init__(self, parsed, bindings, fallback, bindings_out, calls, strings, indexed, imported, stars):
        self.parsed, self.bindings, self.fallback, self.bindings_out = parsed, bindings, fallback, bindings_out
        self.calls = calls  # (node, qual, method, in_function, parents, magic) per call
        self.strings, self.indexed, self.imported, self.stars = strings, indexed, imported, stars


def build(cells: list[tuple[Cell, ParsedCell]], cache: Any = None) -> Analysis:
    """One walk over every code cell's AST, in source order, collecting calls (callee resolved
    through the import aliases), string literals and a few statement types the rules look at.
    ``cells``: each code cell with its parse, in document order.  ``cache``: the notebook's
    :class:`nbkit.analysis.ParseCache` (the server's): a cell whose parse and whose input from the
    cells above are those of the last lint is not walked again, its record is re-used."""
    out = Analysis()
    bindings: dict[str, str | None] = {}
    fallback: dict[str, str | None] = {}  # every import anywhere: resolves calls in out-of-order notebooks too
    for cell, parsed in cells:
        if parsed.tree is not None and "import" in parsed.python_source:
            # the imports in ast.walk's (breadth-first) order, the first binding of a name
            # winning; an import is a statement, so only statement lists need reading
            for node in statements(parsed.tree):
                t = type(node)
                if t is ast.Import or t is ast.ImportFrom:
                    found: dict[str, str | None] = {}
                    bind_import(node, found)
                    for k, v in found.items():
                        fallback.setdefault(k, v)
    by_type = out.by_type
    calls = out.calls
    strings = out.strings
    specs = _SPECS
    Name, Attribute, Subscript, Call, Constant = ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant
    maybe_magic: list[CallInfo] = []  # calls of a method of a call: get_ipython().system(...)?
    # per-cell state of the walk (rebound for each cell; visit reads it through its closure):
    # the statements of the indexed types as (type, node) and the modules imported, in walk order
    ancestors: list[ast.AST] = []
    indexed: list[tuple[type, ast.AST]] = []
    imported: list[str] = []

    # The walk is recursive, one frame per node entered: a tree deeper than the recursion limit
    # allows raises RecursionError there, and the rules skip the rest of that cell.  For speed it
    # does not enter a name, nor an `a.b` or `a[b]` of a name and a name or constant (nothing in
    # them is collected).  The walk it replaces (main before this change) entered them and, for
    # most node types, also compared the node's type with a tuple's items (a C-level recursion
    # level); deep in a tree this one calls _enter / _enter_node in their place, so that a deep
    # cell still loses the same calls and strings.
    def visit(node, func):
        spec = specs.get(type(node))
        if spec is None:  # a node type this Python's ast module did not list at import
            spec = specs[type(node)] = _spec(type(node))
        kind, get, shape = spec
        if kind == _CALL:
            f = node.func
            tf = type(f)
            qual = method = None
            if tf is Name:
                method = head = f.id
                target = bindings[head] if head in bindings else fallback.get(head)
                if target:
                    qual = target
                elif head in BUILTINS:
                    qual = head
                calls.append(CallInfo(cell, node, qual, method, func, tuple(ancestors), None))
            elif tf is Attribute:  # dotted(f), inline
                method = f.attr
                attrs = [method]
                base = f.value
                while type(base) is Attribute:
                    attrs.append(base.attr)
                    base = base.value
                if type(base) is Name:
                    head = base.id
                    target = bindings[head] if head in bindings else fallback.get(head)
                    if target:
                        attrs.append(target)
                        qual = ".".join(reversed(attrs))
                    calls.append(CallInfo(cell, node, qual, method, func, tuple(ancestors), None))
                else:
                    ci = CallInfo(cell, node, None, method, func, tuple(ancestors), None)
                    calls.append(ci)
                    if type(base) is Call and len(attrs) == 1:
                        maybe_magic.append(ci)
            else:
                calls.append(CallInfo(cell, node, None, None, func, tuple(ancestors), None))
            children: Sequence[Any] = (f, *node.args, *node.keywords)  # its fields, flattened (the commonest _MIXED)
        elif kind == _ASSIGN:
            indexed.append((ast.Assign, node))
            targets = node.targets
            for tgt in targets:  # `random = np.random.default_rng(0)` shadows the module
                if type(tgt) is Name and (tgt.id in bindings or tgt.id in fallback):
                    bindings[tgt.id] = None
            children = (*targets, node.value)
        elif kind == _EXPR:
            value = node.value
            if type(value) is Constant and type(value.value) is str:
                return  # a docstring or a bare string: not among the string literals
            children = (value,)
        else:
            if not kind:
                if len(ancestors) > _DEEP:
                    _enter()
            elif kind == _INDEX:
                if len(ancestors) > _DEEP:
                    _enter()
                indexed.append((type(node), node))
            elif kind == _DEF:
                if len(ancestors) > _DEEP:
                    _enter()
                func = node.name
            else:  # _IMPORT
                bind_import(node, bindings)
                if type(node) is ast.Import:
                    imported.extend(a.name.split(".")[0] for a in node.names)
                else:
                    if node.module and node.level == 0:
                        imported.append(node.module.split(".")[0])
                    if any(a.name == "*" for a in node.names):
                        out.star_imports.append((cell, node))
                return
            if shape == _ONE:
                children = (get(node),)
            elif shape == _SEQUENCE:
                children = get(node)
            elif shape:
                children = flat_values(get(node))
            else:
                return
        ancestors.append(node)
        for child in children:
            tc = type(child)
            if tc is Constant:
                if type(child.value) is str:
                    strings.append((cell, child))
            elif tc is Name or child is None:
                pass
            elif tc is Attribute:
                if type(child.value) is not Name:
                    visit(child, func)
                elif len(ancestors) > _DEEP:
                    _enter_node()
            elif tc is Subscript and type(child.value) is Name:
                s = child.slice
                ts = type(s)
                if ts is Constant:
                    if len(ancestors) > _DEEP:
                        _enter_node()
                    if type(s.value) is str:
                        strings.append((cell, s))
                elif ts is Name:
                    if len(ancestors) > _DEEP:
                        _enter_node()
                else:
                    visit(child, func)
            else:
                visit(child, func)
        ancestors.pop()

    walked: list[tuple] = []  # the cells walked, for the cache: their input and where their finds are
    snapshot: dict[str, str | None] = {}  # the last copy of the aliases kept in a record (never changed)
    try:
        for cell, parsed in cells:
            checkpoint()  # a large notebook's lint gives way here (nbkit/cooperate.py)
            tree = parsed.tree
            if tree is None:
                continue
            if cache is not None:
                rec = cache.derived("semantic", cell.source)
                if rec is not None and rec.parsed is parsed and rec.bindings == bindings and rec.fallback == fallback:
                    _replay(rec, cell, out)
                    bindings.clear()
                    bindings.update(rec.bindings_out)
                    continue
                if snapshot != bindings:  # most cells bind no alias: they share one snapshot
                    snapshot = dict(bindings)
                before = snapshot
            ancestors, indexed, imported = [], [], []
            n_calls, n_strings, n_stars = len(calls), len(strings), len(out.star_imports)
            try:
                visit(tree, None)
            except RecursionError:  # absurdly deep expression: the rules skip the rest of this cell
                n_calls = -1  # how much was walked depends on the stack: not kept
            for t, node in indexed:
                by_type.setdefault(t, []).append((cell, node))
            out.imported.update(imported)
            if cache is not None and n_calls >= 0:
                if snapshot != bindings:
                    snapshot = dict(bindings)
                walked.append((cell.source, parsed, before, snapshot, (n_calls, len(calls)),
                               (n_strings, len(strings)), (n_stars, len(out.star_imports)), indexed, imported))
    finally:
        # visit refers to itself through its closure: without this, every analysis (and the
        # cells and syntax trees it holds) would wait for the cycle collector to be freed
        visit = None  # type: ignore[assignment]
    # only now, outside the walk (its own calls would stop a deep walk earlier)
    for ci in maybe_magic:
        ci.magic = magic_call(ci.node)
    for source, parsed, before, after, (c0, c1), (s0, s1), (t0, t1), indexed, imported in walked:
        cache.keep("semantic", source, _CellWalk(
            parsed, before, fallback, after,
            tuple((ci.node, ci.qual, ci.method, ci.in_function, ci.parents, ci.magic) for ci in calls[c0:c1]),
            tuple(node for _, node in strings[s0:s1]), tuple(indexed), tuple(imported),
            tuple(node for _, node in out.star_imports[t0:t1])))
    return out


def _replay(rec: _CellWalk, cell: Cell, out: Analysis) -> None:
    """Add what the walk of ``cell`` found, from the record of an earlier walk of it."""
    out.calls.extend([CallInfo(cell, node, qual, method, func, parents, magic)
                      for node, qual, method, func, parents, magic in rec.calls])
    out.strings.extend([(cell, node) for node in rec.strings])
    by_type = out.by_type
    for t, node in rec.indexed:
        by_type.setdefault(t, []).append((cell, node))
    out.imported.update(rec.imported)
    out.star_imports.extend([(cell, node) for node in rec.stars])


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
