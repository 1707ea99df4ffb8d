"""Notebooks are read by msgspec where it reads them as json would, else by json: the two paths
must give the same notebook or the same one-line error for every input (nbkit.model._fast_document)."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbbuild import code, md, nb

from nbkit import model
from nbkit.errors import NotebookError
from nbkit.model import MAX_DEPTH, parse_notebook


def _outcome(data: bytes, fast: bool, monkeypatch) -> tuple:
    """What parse_notebook makes of ``data``: ("ok", document, size) or ("error", message)."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(model, "_msgspec_decode", None)
        try:
            got = parse_notebook(data, "n.ipynb")
        except NotebookError as e:
            return ("error", str(e))
    return ("ok", _canonical(got.data), got.size, [c.source for c in got.cells])


def _canonical(value):
    """``value`` with floats told apart by their bits (so -0.0 != 0.0 and NaN == NaN here)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return ("float", math.copysign(1.0, value), repr(value))
    return (type(value).__name__, value)


def _same(data: bytes, monkeypatch) -> tuple:
    slow = _outcome(data, False, monkeypatch)
    assert _outcome(data, True, monkeypatch) == slow, data[:200]
    return slow


def _notebook_bytes(extra: str) -> bytes:
    return ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": %s}, "cells": [{"cell_type": "code", '
            '"source": "x = 1", "metadata": {}, "outputs": [], "execution_count": 1}]}' % extra).encode()


def test_msgspec_reads_the_corpus_notebooks():
    assert model._msgspec_decode is not None, "msgspec is a dependency: notebooks should be read by it"
    data = json.dumps(nb(md("# T"), code("import numpy as np\nx = np.arange(3)"))).encode()
    assert model._fast_document(data) == json.loads(data)


@pytest.mark.parametrize("extra", [
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1.7976931348623159e308", "1e-400", "5e-324",
    "-0.0", "-0", "0.1", "1.00000000000000011102230246251565404236316680908203125",
    "18446744073709551616", "-9223372036854775809", "19446744073709551617", "19999999999999999999",
    "-19446744073709551617", "1" * 4300, "1" * 4301, "1" + "0" * 400 + ".5",
    '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\/"',
    '{"a": 1, "a": 2}', "[1,]", "01", "1.", ".5", "nul", '"a\tb"', '"\x7f"',
])
def test_edge_values_read_alike(extra, monkeypatch):
    _same(_notebook_bytes(extra), monkeypatch)


@pytest.mark.parametrize("data", [
    b"", b"  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  ", b"\xef\xbb\xbf" + _notebook_bytes("1"),
    b"\xef\xbb\xbf\xef\xbb\xbf" + _notebook_bytes("1"), _notebook_bytes('"\xed\xa0\x80"'),
    _notebook_bytes('"\xc0\x80"'), _notebook_bytes('"\xff"'), _notebook_bytes("1") + b"\x00",
    _notebook_bytes("1") + b" x", b"[]", b"42", b'"text"', b"{}",
])
def test_odd_files_read_alike(data, monkeypatch):
    _same(data, monkeypatch)


@pytest.mark.parametrize("levels", [MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH + 5, 900, 1100, 5000])
def test_deep_documents_read_alike(levels, monkeypatch):
    # the notebook object and its metadata are 2 levels, "x" holds the rest
    kind = _same(_notebook_bytes("[" * levels + "]" * levels), monkeypatch)
    assert (kind[0] == "ok") == (levels + 2 <= MAX_DEPTH)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 80), max_value=2 ** 80),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)
_documents = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_documents, ascii_only=st.booleans(), cut=st.integers(min_value=0, max_value=400),
       byte=st.integers(min_value=0, max_value=255), mutate=st.booleans())
def test_random_documents_and_damaged_bytes_read_alike(value, ascii_only, cut, byte, mutate):
    # (monkeypatch is function-scoped: a fresh one per example)
    mp = pytest.MonkeyPatch()
    try:
        data = _notebook_bytes(json.dumps(value, ensure_ascii=ascii_only))
        if mutate and data:
            i = cut % len(data)
            data = data[:i] + bytes([byte]) + data[i + 1:]
        _same(data, mp)
    finally:
        mp.undo()


def test_random_lone_surrogates_and_escapes_read_alike(monkeypatch):
    rng = random.Random(5)
    pieces = ["a", "\\n", '\\"', "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udfff", "\\ud83d", "é", "😀",
              "\\t", "\\/", "\\u0000", " "]
    for _ in range(400):
        s = '"' + "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8))) + '"'
        _same(_notebook_bytes(s), monkeypatch)
