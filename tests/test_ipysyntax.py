"""IPython syntax (magics, shell escapes, help) transformed to Python with line numbers kept."""

from __future__ import annotations

import pytest

from nbkit.ipysyntax import transform_cell


@pytest.mark.parametrize("src,expect", [
    ("%matplotlib inline\nimport os", "get_ipython().run_line_magic('matplotlib', 'inline')\nimport os"),
    ("!pip install numpy==2.0", "get_ipython().system('pip install numpy==2.0')"),
    ("files = !ls -la", "files = get_ipython().getoutput('ls -la')"),
    ("x = %who_ls", "x = get_ipython().run_line_magic('who_ls', '')"),
    ("np.mean?", "get_ipython().run_line_magic('pinfo', 'np.mean')"),
    ("for i in range(3):\n    %time f(i)", "for i in range(3):\n    get_ipython().run_line_magic('time', 'f(i)')"),
    ("x = (1 +\n 2)", "x = (1 +\n 2)"),
    ("y = 10 % 3", "y = 10 % 3"),
])
def test_ipython_syntax_transforms_to_python(src, expect):
    assert transform_cell(src) == expect


def test_time_cell_magic_keeps_syntax_errors_visible():
    import ast

    out = transform_cell("%%time\nx = (")
    with pytest.raises(SyntaxError):
        ast.parse(out)


def test_cell_magics():
    out = transform_cell("%%bash\necho hi\nls")
    assert out.splitlines()[0].startswith("get_ipython().run_cell_magic('bash', '', ")
    assert out.count("\n") == 2  # line numbers kept
    out = transform_cell("%%time\nx = 1\ny = x + 1")
    assert out.splitlines()[1:] == ["x = 1", "y = x + 1"]
