"""nbkit.analysis: facts computed once per notebook, on demand, and a parse cache that outlives a lint."""

from __future__ import annotations

from nbbuild import code, md, nb
from nbkit.analysis import Facts, ParseCache, is_python
from nbkit.config import Config
from nbkit.lint import lint_source
from nbkit.model import notebook_from_dict


def test_facts_parse_each_cell_once_and_only_when_asked():
    model = notebook_from_dict(nb(md("# T"), code("%pip install x\nimport numpy as np"), code("x = (")))
    cache = ParseCache()
    facts = Facts(model, cache)
    assert cache.misses == 0  # nothing computed yet
    a = facts.parsed(model.cells[1])
    assert facts.parsed(model.cells[1]) is a and cache.misses == 1
    assert a.tree is not None and "run_line_magic" in a.python_source
    assert facts.syntax_error(model.cells[2]) is not None and facts.tree(model.cells[0]) is None
    assert [ref.module for ref in facts.imports] == ["numpy"]
    assert [m for _, m in facts.magics] == [("line", "pip", "install x")]
    assert facts.layout() is facts.layout()
    assert not model.__dict__.keys() - {"path", "data", "cells", "size", "upgraded_from", "headings"}


def test_lint_computes_no_facts_for_rules_that_do_not_need_them():
    data = nb(md("# T"), code("import numpy as np", count=2), code("np.random.rand()", count=1))
    cache = ParseCache()
    res = lint_source(data, "a_notebook.ipynb", Config(), select=["NBH001"], parse_cache=cache)
    assert [f.code for f in res.findings] == ["NBH001"]
    assert cache.misses == 0 and cache.hits == 0  # execution order needs no parsing
    lint_source(data, "a_notebook.ipynb", Config(), select=["NBR004"], parse_cache=cache)
    assert cache.misses == 2
    data["cells"][2]["source"] = "np.random.seed(0)"
    res = lint_source(data, "a_notebook.ipynb", Config(), select=["NBR004"], parse_cache=cache)
    assert res.findings == [] and (cache.hits, cache.misses) == (1, 3)  # only the edited cell is parsed again


def test_one_language_test():
    model = notebook_from_dict(nb(code("x <- 1")))
    assert is_python(model)
    model.data["metadata"]["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    assert not is_python(model) and not Facts(model).is_python


def test_nothing_caches_by_writing_into_another_objects_dict():
    import re
    from pathlib import Path

    pkg = Path(__file__).resolve().parent.parent / "nbkit"
    offenders = [f"{p.relative_to(pkg)}:{i}" for p in sorted(pkg.rglob("*.py"))
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if re.search(r"__dict__\s*(\[|\.(setdefault|update|pop|clear)\b)", line)]
    assert not offenders, offenders


def test_lint_facts_do_not_use_functools_cached_property():
    """Python 3.11's functools.cached_property holds one lock per property shared by every
    instance: a lint in one server thread would wait for another thread's lint (nbkit/lazy.py)."""
    from pathlib import Path

    pkg = Path(__file__).resolve().parent.parent / "nbkit"
    lint_side = [pkg / "model.py", *sorted((pkg / "analysis").glob("*.py")), *sorted((pkg / "rules").rglob("*.py"))]
    offenders = [str(p.relative_to(pkg)) for p in lint_side
                 if "functools import cached_property" in p.read_text(encoding="utf-8")
                 or "functools.cached_property" in p.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_lazy_cached_property_computes_once_per_instance_and_in_parallel():
    import threading

    from nbkit.lazy import cached_property

    entered, release = threading.Event(), threading.Event()

    class Slow:
        calls = 0

        @cached_property
        def value(self) -> int:
            Slow.calls += 1
            n = Slow.calls
            if self is first:
                entered.set()
                release.wait(30)
            return n

    first, second = Slow(), Slow()
    t = threading.Thread(target=lambda: first.value)
    t.start()
    assert entered.wait(30)
    assert second.value == 2  # not blocked by the first instance's computation (functools' 3.11 lock)
    release.set()
    t.join(30)
    assert first.value == 1 and first.value == 1 and Slow.calls == 2


def test_semantic_walk_resolves_calls_through_the_first_import_breadth_first_and_collects_in_source_order():
    # imports nested at several depths: the alias a call resolves through (when no import precedes
    # it) is the first binding in ast.walk's breadth-first order over the notebook's cells
    model = notebook_from_dict(nb(
        code("np.x(); pd.y(); tf.z(); q.w(); r.s()"),
        code("def f():\n    import jax.numpy as np\n    try:\n        import modin as pd\n"
             "    except ImportError:\n        import polars as pd\n    finally:\n        import q1 as q\n"
             "import numpy as np\n"),
        code("if a:\n    import pandas as pd\nelse:\n    import tensorflow as tf\nwith x:\n    import q2 as q\n"
             "class K:\n    import r1 as r\nimport r2 as r\nmatch v:\n    case 1:\n        import tf2 as tf\n"),
        code("try:\n    import r3 as r\nexcept* E:\n    import r4 as r\nimport q6 as q\n"
             "np.x(); pd.y(); tf.z(); q.w(); r.s()\nd['k'] + g(s.t, u[0], 'v')[f'{w}'].h()")))
    an = Facts(model).semantic
    assert [c.qual for c in an.calls] == ["numpy.x", "modin.y", "tensorflow.z", "q1.w", "r2.s",
                                          "numpy.x", "pandas.y", "tf2.z", "q6.w", "r4.s", None, None]
    assert [c.method for c in an.calls[-2:]] == ["h", "g"]
    assert [type(p).__name__ for p in an.calls[-1].parents] == ["Module", "Expr", "BinOp", "Call", "Attribute",
                                                                 "Subscript"]
    assert [s.value for _, s in an.strings] == ["k", "v"]
    assert an.imported >= {"numpy", "pandas", "jax", "modin", "polars", "tf2", "q6", "r4"}


def _edited_lints():
    """A notebook linted again and again as the panel does (one cell edited each time; imports,
    rebinding of an alias, a deleted name, a function called before what it reads, a star import,
    a cell that does not parse, a moved cell), each lint with and without the kept parse cache."""
    import copy

    from nbkit.requests import LintRequest, lint_one

    base = nb(md("# T"), code("import numpy as np\nimport random"), code("x = np.random.rand(3)\nrandom.random()"),
              code("def f():\n    return later + x"), code("f()"), code("later = 1\nprint(later)"),
              code("y = x.sum()"), code("%pip install foo\n!ls"), code("del y"), code("print(y)"))
    edits = [(6, "\nz = 1"), (6, "\nz = 2"), (1, "\nimport pandas as pd"), (2, "\nnp = 3"),
             (6, "\nnp.random.seed(0)"), (3, "\nfrom os import *"), (3, ""), (4, "\n((("), (4, ""),
             (9, "\nundefined_thing"), (2, "\nrandom = None")]
    cache = ParseCache()
    data = copy.deepcopy(base)
    for step, (index, extra) in enumerate(edits + [("move", "")]):
        if index == "move":
            data["cells"].append(data["cells"].pop(2))
        else:
            data["cells"][index]["source"] = base["cells"][index]["source"] + extra
        kept = lint_one(LintRequest.from_raw(content=copy.deepcopy(data)).at("a.ipynb", Config()), parse_cache=cache)
        fresh = lint_one(LintRequest.from_raw(content=copy.deepcopy(data)).at("a.ipynb", Config()))
        yield step, kept, fresh, cache


def test_lints_that_reuse_the_last_lints_analyses_find_what_fresh_lints_find():
    """The server's lints re-use, from the notebook's parse cache, the semantic walk of unchanged
    cells (same parse, same import aliases above) and the def-use state up to the first changed
    cell: the findings must be exactly those of a lint without any cache."""
    for step, kept, fresh, cache in _edited_lints():
        assert [f.to_dict() for f in kept.result.findings] == [f.to_dict() for f in fresh.result.findings], step
        a, b = kept.facts.semantic, fresh.facts.semantic
        assert [(c.cell.index, c.qual, c.method, c.in_function, c.magic) for c in a.calls] == \
            [(c.cell.index, c.qual, c.method, c.in_function, c.magic) for c in b.calls], step
        assert [(c.index, n.value) for c, n in a.strings] == [(c.index, n.value) for c, n in b.strings], step
        assert a.imported == b.imported and [(c.index, n.lineno) for c, n in a.star_imports] == \
            [(c.index, n.lineno) for c, n in b.star_imports], step
        assert {t: [(c.index, n.lineno) for c, n in v] for t, v in a.by_type.items()} == \
            {t: [(c.index, n.lineno) for c, n in v] for t, v in b.by_type.items()}, step
        assert all(c.cell is kept.notebook.cells[c.cell.index] for c in a.calls)  # this lint's cells


def test_the_reused_records_are_those_of_unchanged_cells():
    from nbkit.analysis import semantic

    walked = []
    real = semantic._replay

    def replay(rec, cell, out):
        walked.append(cell.index)
        return real(rec, cell, out)

    semantic._replay = replay
    try:
        steps = list(_edited_lints())
    finally:
        semantic._replay = real
    # after the first lint, most of the 9 code cells' walks are re-used (fewer after an edit of
    # the imports: the aliases above the cells below changed)
    assert len(walked) >= 5 * (len(steps) - 1)
    record = steps[-1][3].notebook_records["defuse"]
    assert 0 < record.k <= len(steps[-1][1].facts.code)  # the def-use state kept before the edited cell


def test_cells_sharing_one_parse_keep_their_own_calls_in_nbr004():
    # cells 2 and 4 have the same source, so one parse (and one node for `GM(4)`) between them;
    # cell 2's `GM(4)` is sklearn's, cell 4's is not: the outer `.fit` of each cell must find its own
    # inner call (a lookup by node alone found cell 4's for both, and `gmm` lost its "seeded where
    # built" standing: a false `gmm.sample(...)` finding in cell 5)
    data = nb(md("# T"), code("from sklearn.mixture import GaussianMixture as GM", count=1),
              code("gmm = GM(4).fit(X)", count=2), code("from mylib import GM", count=3),
              code("gmm = GM(4).fit(X)", count=4), code("s = gmm.sample(400)", count=5))
    for cache in (None, ParseCache()):
        res = lint_source(data, "a_notebook.ipynb", Config(), select=["NBR004"], parse_cache=cache)
        assert [(f.cell_index, f.line) for f in res.findings] == [(2, 1)], res.findings  # GM(...) takes random_state
