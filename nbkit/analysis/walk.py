"""A cheaper ``[n for n in ast.walk(tree) if isinstance(n, ast.Call)]`` for rules that look at
a cell's calls in :func:`ast.walk` order (breadth first), which their messages depend on."""

from __future__ import annotations

import ast

from .semantic import LEAVES

# nodes that hold no call: not queued (leaving them out changes nothing in the order of the calls)
_NO_CALLS = LEAVES | {ast.Name, ast.Constant}

# fields that never hold a node that can hold a call (names, numbers, operators, contexts, aliases)
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "attr", "id", "name", "names", "module", "level", "arg",
                           "conversion", "kind", "type_comment", "is_async", "asname", "simple", "tag",
                           "type_ignores"})

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}  # node type -> its other fields, in order


def calls_breadth_first(tree: ast.AST) -> list[ast.Call]:
    """The calls under ``tree`` in the order :func:`ast.walk` yields them."""
    out: list[ast.Call] = []
    queue: list[ast.AST] = [tree]
    i = 0
    # ast.walk's queue as a list and an index, children read from node._fields as
    # ast.iter_child_nodes reads them (without its generators)
    while i < len(queue):
        node = queue[i]
        i += 1
        t = type(node)
        if t is ast.Call:
            out.append(node)  # type: ignore[arg-type]
        fields = _CHILD_FIELDS.get(t)
        if fields is None:
            fields = _CHILD_FIELDS[t] = tuple(f for f in t._fields if f not in _NOT_CHILDREN)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for child in value:
                    if type(child) not in _NO_CALLS and isinstance(child, ast.AST):
                        queue.append(child)
            elif type(value) not in _NO_CALLS and isinstance(value, ast.AST):
                queue.append(value)
    return out
