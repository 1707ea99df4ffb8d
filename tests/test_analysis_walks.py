"""The shared per-notebook walks: the semantic walk (nbkit.analysis.semantic.build), the calls in
ast.walk order (nbkit.analysis.walk.calls_breadth_first) and the parses Facts shares."""

from __future__ import annotations

import ast
import sys
import threading
from pathlib import Path

import pytest

import nbkit.analysis.facts as facts_module
from nbkit.analysis import Facts
from nbkit.analysis.semantic import _MIXED, _NO_CHILDREN, _ONE, _SEQUENCE, _SPECS, _list_fields, build
from nbkit.analysis.walk import calls_breadth_first
from nbkit.ipysyntax import parse_cell
from nbkit.model import Cell, notebook_from_dict

STDLIB = Path(ast.__file__).parent
# varied syntax: match statements, async code, decorators, comprehensions, f-strings, lambdas
SOURCES = [STDLIB / name for name in ("ast.py", "dataclasses.py", "inspect.py", "typing.py", "argparse.py",
                                      "asyncio/base_events.py", "email/_header_value_parser.py",
                                      "json/encoder.py", "re/_parser.py", "functools.py")]
MATCH = """
match command.split():
    case [action, obj] if obj in rooms(x):
        go(f(action), obj)
    case Point(x=0, y=g()) | {"k": h(), **rest}:
        pass
    case [*_, None, True]:
        print(len(rest))
"""


def _trees():
    for path in SOURCES:
        yield path.name, ast.parse(path.read_text(encoding="utf-8"))
    yield "match", ast.parse(MATCH)


@pytest.mark.parametrize("name,tree", list(_trees()), ids=lambda v: v if isinstance(v, str) else "")
def test_calls_breadth_first_is_ast_walk_order(name, tree):
    expected = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert len(expected) > 5
    got = calls_breadth_first(tree)
    assert len(got) == len(expected)
    assert all(a is b for a, b in zip(got, expected))


def test_field_kinds_read_from_the_ast_signatures_match_real_trees():
    """The semantic walk reads a node's children by the kind of its fields (one node, a list),
    taken from the ast classes' docstrings: each field of every node of varied code is a list
    exactly when the signature says so."""
    seen: set[type] = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            t = type(node)
            if not t._fields:  # Load, Add, ...: nothing to read
                continue
            lists = _list_fields(t)
            assert lists is not None, t
            for f in t._fields:
                assert isinstance(getattr(node, f), list) == (f in lists), (t.__name__, f)
            seen.add(t)
    assert {ast.Call, ast.Match, ast.MatchClass, ast.AsyncFunctionDef, ast.JoinedStr, ast.Lambda} <= seen
    shapes = {_SPECS[t][2] for t in seen}
    assert shapes == {_NO_CHILDREN, _ONE, _SEQUENCE, _MIXED}


def _semantic_in_thread(source: str, extra_frames: int) -> tuple[int, int, dict[str, int]]:
    """What the semantic walk of a one-cell notebook finds when it starts ``extra_frames`` frames
    deep in a fresh thread (a thread's recursion depth starts at 0, so the depth is known)."""
    out: list = []

    def inner(k):
        if k:
            return inner(k - 1)
        p = parse_cell(source)
        a = build([(Cell(index=0, cell_type="code", source=source), p)])
        out.append((len(a.calls), len(a.strings), {t.__name__: len(v) for t, v in a.by_type.items()}))

    t = threading.Thread(target=inner, args=(extra_frames,))
    t.start()
    t.join()
    return out[0]


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="recursion accounting of CPython 3.11 (the supported Python)")
@pytest.mark.parametrize("source,frames,found", [
    # (numbers found by the recursive walk before the faster one: a deep cell must lose exactly
    # the same calls, strings and statements, as deep in the tree as before)
    ("import numpy as np\nx = np" + ".f(1)" * 966, 0, (496, 0, {"Assign": 1})),
    ("import numpy as np\nx = np" + ".f(1)" * 966, 13, (489, 0, {"Assign": 1})),
    ("x = " + " + ".join(["a[b] + c['k'] + d.e + g(h.i, j[1])"] * 250), 0, (0, 0, {"Assign": 1, "BinOp": 992})),
    ("x = " + " + ".join(["a[b] + c['k'] + d.e + g(h.i, j[1])"] * 250), 5, (0, 0, {"Assign": 1, "BinOp": 987})),
    ("x = " + " + ".join(["'s'"] * 1003), 3, (0, 0, {"Assign": 1, "BinOp": 989})),
    ("x = " + " + ".join(["f('s')"] * 929), 40, (929, 929, {"Assign": 1, "BinOp": 928})),
    ("x = " + " + ".join(["f('s')"] * 929), 100, (0, 0, {"Assign": 1, "BinOp": 892})),
    ("import pandas as pd\ndf = pd" + ".read_csv('a').b[0]['c']" * 250 + ".x()", 2, (198, 0, {"Assign": 1})),
])
def test_deep_cells_lose_what_the_recursive_walk_lost(source, frames, found):
    assert _semantic_in_thread(source, frames) == found


def _notebook(*sources: str):
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
             for s in sources]
    return notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}, "a.ipynb")


def test_cells_with_the_same_source_are_parsed_once(monkeypatch):
    parsed: list[str] = []

    def counting(source):
        parsed.append(source)
        return parse_cell(source)

    monkeypatch.setattr(facts_module, "parse_cell", counting)
    nb = _notebook("df.describe()", "x = 1", "df.describe()", "%ls", "%ls")
    facts = Facts(nb)
    code = facts.code
    assert parsed == ["df.describe()", "x = 1", "%ls"]
    assert code[0][1] is code[2][1] and code[3][1] is code[4][1]
    assert code[0][1] is not code[1][1]
    # each cell still has its own calls in the shared walk
    assert [ci.cell.index for ci in facts.semantic.calls] == [0, 2, 3, 3, 4, 4]  # %ls: get_ipython().run_line_magic
    assert [(ci.cell.index, magic) for ci, magic in facts.magics] == [(3, ("line", "ls", "")), (4, ("line", "ls", ""))]


def test_a_field_holding_text_is_no_child():
    # Python 3.14's t-strings: Interpolation(expr value, constant str, int conversion, expr? format_spec),
    # its ``str`` the expression's text (a str, not a node); made here as 3.14 makes it
    class Interpolation(ast.expr):
        """Interpolation(expr value, constant str, int conversion, expr? format_spec)"""
        _fields = ("value", "str", "conversion", "format_spec")

    tree = ast.parse("f(g(1))")
    stmt = tree.body[0]
    assert isinstance(stmt, ast.Expr)
    call = stmt.value
    stmt.value = Interpolation(value=call, str="g(1)", conversion=-1, format_spec=None)  # type: ignore[call-arg]
    assert [ast.unparse(c) for c in calls_breadth_first(tree)] == ["f(g(1))", "g(1)"]
    cell = _notebook("f(g(1))").cells[0]
    parsed = parse_cell("f(g(1))")
    parsed.tree.body[0].value = Interpolation(value=parsed.tree.body[0].value, str="x", conversion=-1,  # type: ignore[union-attr, call-arg]
                                              format_spec=None)
    assert [ci.method for ci in build([(cell, parsed)]).calls] == ["f", "g"]
