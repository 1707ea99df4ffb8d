"""Property-based tests: malformed and random notebooks never crash the linter.

Whatever the bytes, `lint_paths` either lints the notebook or reports one NbkitError for it;
no exception escapes and no rule reports an internal error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit.config import Config
from nbkit.errors import NbkitError
from nbkit.lint import Selection, lint_notebook
from nbkit.model import parse_notebook

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)

python_ish = st.lists(st.sampled_from([
    "import numpy as np", "np.random.rand(3)", "x = 1", "print(x)", "%matplotlib inline", "!pip install pandas",
    "def f(a):\n    return a + y", "for i in range(3):\n    pass", "df = pd.read_csv('/home/u/x.csv')", "    ",
    "x = (", "random.shuffle(items)", "%%bash\necho hi", "import os; os.chdir('/tmp')", "y = x", "breakpoint()",
    "# comment\n# another", "password = 'hunter22'", "\x00", "λ = 3", "from . import x", "class A: pass",
]), max_size=5).map("\n".join)

markdown_ish = st.lists(st.sampled_from([
    "# Title", "## Executive summary", "## Questions", "1. Why?", "## Findings", "- bullet", "Text with words.",
    "```\n# not heading\n```", "<h2>HTML</h2>", "Setext\n---", "## Appendix", "TODO", "### Deep", "",
]), max_size=5).map("\n".join)

cell = st.one_of(
    st.fixed_dictionaries({"cell_type": st.just("code"), "source": python_ish, "metadata": st.just({}),
                           "execution_count": st.none() | st.integers(0, 50),
                           "outputs": st.lists(st.fixed_dictionaries({
                               "output_type": st.sampled_from(["stream", "error", "execute_result"]),
                               "name": st.just("stdout"), "text": st.text(max_size=30),
                               "ename": st.just("ValueError"), "evalue": st.text(max_size=10),
                               "traceback": st.just([]), "data": st.just({"text/plain": "1"}),
                               "metadata": st.just({})}), max_size=2)}),
    st.fixed_dictionaries({"cell_type": st.just("markdown"), "source": markdown_ish, "metadata": st.just({})}),
    st.fixed_dictionaries({"cell_type": st.just("raw"), "source": st.text(max_size=20), "metadata": st.just({})}),
)

SELECTION = None


def _selection():
    global SELECTION
    if SELECTION is None:
        SELECTION = Selection(Config())
    return SELECTION


def _lint_bytes(raw: bytes) -> None:
    try:
        nb = parse_notebook(raw, "fuzz.ipynb")
    except NbkitError as e:
        assert str(e).startswith("fuzz.ipynb: ") and "\n" not in str(e)
        return
    findings = lint_notebook(nb, _selection())
    crashed = [f for f in findings if "internal error" in f.message]
    assert not crashed, crashed


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(raw):
    _lint_bytes(raw)


@SETTINGS
@given(json_values)
def test_random_json_documents(value):
    _lint_bytes(json.dumps(value).encode())


@SETTINGS
@given(st.dictionaries(st.sampled_from(["nbformat", "nbformat_minor", "metadata", "cells", "worksheets"]),
                       json_values, max_size=5))
def test_notebook_shaped_json(value):
    _lint_bytes(json.dumps(value).encode())


@SETTINGS
@given(st.lists(cell, max_size=12), st.sampled_from([{}, {"nbkit": "oops"}, {"nbkit": {"environment": 3}}]))
def test_random_valid_notebooks(cells, metadata):
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata,
           "cells": [dict(c, id=f"c{i}") for i, c in enumerate(cells)]}
    _lint_bytes(json.dumps(doc).encode())
