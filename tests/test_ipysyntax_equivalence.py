"""The fast path of nbkit.ipysyntax (which skips parses it can prove would fail) gives exactly what
the plain algorithm gives: try the source as Python, else the fast transform, else IPython's."""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from nbkit import ipysyntax as ipy


def reference(source: str) -> str:
    if not ipy._CANDIDATE.search(source):
        return source
    if ipy._parses(source):
        return source
    fast = ipy._fast_transform(source)
    if ipy._parses(fast) or ipy._python_body_cell_magic(source):
        return fast
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        slow = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return fast
    return slow if ipy._parses(slow) else fast


LINES = [
    "%matplotlib inline", "!pip install pandas", "x = !ls", "y = %who_ls", "np.mean?", "??np", "%%time",
    "%%bash", "x = (1 +", " % 2)", "y = 10 % 3", "s = '''", "!not a shell line inside a string", "'''",
    "def f():", "    %time g()", "    !echo hi", "    return 1", "if x:", "    pass", "a = [", "  !x,", "]",
    "print('%d' % 3)", "z = x \\", "   % 4", "   ", "# %comment", "%%capture out", "lambda: 0", "x = 1;",
    "\t!tabbed", "f(a,", "  %b)", "%%writefile f.py", "import os", "?", "x?", "x = y?",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=8))
def test_fast_path_matches_reference(lines):
    source = "\n".join(lines)
    text, tree = ipy.transform_and_parse(source)
    assert text == reference(source)
    if tree is not None:
        assert ast.dump(tree) == ast.dump(ast.parse(text))
