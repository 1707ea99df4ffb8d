"""A cheaper ``[n for n in ast.walk(tree) if isinstance(n, ast.Call)]`` for rules that look at
a cell's calls in :func:`ast.walk` order (breadth first), which their messages depend on."""

from __future__ import annotations

import ast
from typing import Any, Sequence

from .semantic import _MIXED, _ONE, _SEQUENCE, _SPECS, _spec, flat_values

_Name, _Attribute, _Subscript, _Constant, _Call = ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Call


def calls_breadth_first(tree: ast.AST) -> list[ast.Call]:
    """The calls under ``tree`` in the order :func:`ast.walk` yields them."""
    out: list[ast.Call] = []
    queue: list[ast.AST] = [tree]
    append = queue.append
    specs = _SPECS
    # ast.walk's queue as a list that the loop reads while it grows (first in, first out), each
    # node's children read as the shared semantic walk reads them (only the fields that can hold
    # a node, with one call).  A node that holds no call (a name, a constant, `a.b` or `a[b]` of
    # names and constants) is not queued: leaving it out changes nothing in the order of the calls.
    for node in queue:
        t = type(node)
        if t is _Call:
            out.append(node)  # type: ignore[arg-type]
        spec = specs.get(t)
        if spec is None:  # a node type this Python's ast module did not list at import
            spec = specs[t] = _spec(t)
        _, get, shape = spec
        children: Sequence[Any]
        if shape == _ONE:
            children = (get(node),)
        elif shape == _SEQUENCE:
            children = get(node)
        elif shape == _MIXED:
            children = flat_values(get(node))
        else:
            continue
        for child in children:
            tc = type(child)
            if tc is _Name or tc is _Constant or child is None:
                continue
            if tc is _Attribute:
                if type(child.value) is _Name:
                    continue
            elif tc is _Subscript and type(child.value) is _Name:
                ts = type(child.slice)
                if ts is _Name or ts is _Constant:
                    continue
            append(child)
    return out
