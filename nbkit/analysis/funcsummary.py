"""What a function body reads when it runs: the summaries the def-use pass
(:mod:`nbkit.analysis.defuse`) keeps for each function a notebook defines, so that a call of it
can be checked against the names bound at the call, and the small tree helpers both use."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def pattern_names(p: ast.AST) -> list[str]:
    out = []
    for n in ast.walk(p):
        if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.append(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            out.append(n.rest)
    return out


def arg_names(args: ast.arguments) -> list[str]:
    out = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    out += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return out


# fields that hold no node the walks below descend into (names, operators, contexts, import
# aliases, flags), and the ones function_summary skips (annotations: forward references)
_NO_CHILD_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "name", "names", "arg", "asname", "module", "level",
                              "conversion", "kind", "is_async", "simple", "tag", "rest", "kwd_attrs", "type_ignores",
                              "annotation", "returns", "type_comment"})
_child_fields_cache: dict[type[ast.AST], tuple[str, ...]] = {ast.Constant: ()}


def child_fields(t: type[ast.AST]) -> tuple[str, ...]:
    """The fields of node type ``t`` that may hold child nodes: a node or None, or a list of them."""
    fields = _child_fields_cache.get(t)
    if fields is None:
        fields = _child_fields_cache[t] = tuple(f for f in t._fields if f not in _NO_CHILD_FIELDS)
    return fields


_SUMMARY_HANDLED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Import,
                               ast.ImportFrom, ast.ExceptHandler, ast.Global, ast.Nonlocal, ast.match_case})


def _push_children(n: ast.AST, t: type[ast.AST], push) -> None:
    """Push the child nodes of ``n`` (of type ``t``) that function_summary visits."""
    for f in child_fields(t):  # ast.iter_child_nodes, without its generator's overhead
        v = getattr(n, f, None)
        if type(v) is list:
            for c in v:
                if c is not None:
                    push(c)
        elif v is not None:
            push(v)


@dataclass
class FuncSummary:
    free: frozenset  # global names the body reads
    assigns_global: frozenset  # names it binds through `global`
    called: frozenset = frozenset()  # names it calls: f() -> g() is followed, a mere reference is not


def function_summary(body: Sequence[ast.AST], params: list[str]) -> FuncSummary:
    """Global names a function body reads when it runs (lenient: anything bound anywhere in
    it is local, names it assigns through `global` are not reported).  Walks what runs when the
    body runs: not annotations (forward references) nor the bodies of nested functions and
    lambdas (they run later, if at all), but the nested definitions themselves.  The result is
    sets, so the walk's order does not matter."""
    local = set(params)
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    loads: set[str] = set()
    stores: set[str] = set()
    called: set[str] = set()
    Name, Load, Constant, Attribute, Subscript, BinOp, Call = (ast.Name, ast.Load, ast.Constant, ast.Attribute,
                                                              ast.Subscript, ast.BinOp, ast.Call)
    handled = _SUMMARY_HANDLED
    stack: list[Any] = list(body)
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        n = pop()
        while True:  # n, then one of its children, and so on: `continue` takes the child without the stack
            t = type(n)
            if t is Name:
                (loads if type(n.ctx) is Load else stores).add(n.id)
            elif t is Attribute:
                n = n.value
                continue
            elif t is Subscript:
                push(n.slice)
                n = n.value
                continue
            elif t is BinOp:
                push(n.right)
                n = n.left
                continue
            elif t is Call:
                if type(n.func) is Name:
                    called.add(n.func.id)
                extend(n.args)
                extend([k.value for k in n.keywords])
                n = n.func
                continue
            elif t is Constant:
                pass
            elif t is ast.Assign:
                extend(n.targets)
                n = n.value
                continue
            elif t is ast.Compare:
                extend(n.comparators)
                n = n.left
                continue
            elif t is ast.Expr or t is ast.Return:
                if n.value is not None:
                    n = n.value
                    continue
            elif t in handled:
                if t is ast.FunctionDef or t is ast.AsyncFunctionDef or t is ast.Lambda:
                    if t is not ast.Lambda:
                        stores.add(n.name)
                        extend(n.decorator_list)
                    extend(n.args.defaults)
                    extend([d for d in n.args.kw_defaults if d is not None])
                    break
                elif t is ast.Import or t is ast.ImportFrom:
                    for a in n.names:
                        stores.add(a.asname or a.name.split(".")[0])
                    break
                elif t is ast.Global:
                    declared_global.update(n.names)
                    break
                elif t is ast.Nonlocal:
                    declared_nonlocal.update(n.names)
                    break
                elif t is ast.ClassDef:
                    stores.add(n.name)
                elif t is ast.ExceptHandler:
                    if n.name:
                        stores.add(n.name)
                elif t is ast.match_case:
                    stores.update(pattern_names(n.pattern))
                _push_children(n, t, push)
            else:
                _push_children(n, t, push)
            break
    assigns_global = stores & declared_global
    local |= (stores - declared_global) | declared_nonlocal | assigns_global
    free = frozenset(loads - local)
    return FuncSummary(free, frozenset(assigns_global), frozenset(called) & free)
