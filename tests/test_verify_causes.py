"""Verify diagnosis wired in (issue 12): evidence per cell, causes in the report (no kernel needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from nbbuild import code, error, nb, stream  # noqa: E402

from nbkit.model import notebook_from_dict  # noqa: E402
from nbkit.pin.drift import Drift  # noqa: E402
from nbkit.verify.diagnosis import diagnose, kernel_causes  # noqa: E402
from nbkit.verify.evidence import cell_evidence, gather  # noqa: E402


def _nb(*cells):
    return notebook_from_dict(nb(*cells), "t.ipynb")


def test_rules_follow_def_use_to_the_cells_a_cell_depends_on():
    book = _nb(code("import numpy as np", 1), code("x = np.random.normal(size=3)", 2),
               code("y = x.sum()\nprint(y)", 3, [stream("1.0\n")]), code("print(2)", 4, [stream("2\n")]))
    ev = gather(book)
    assert "NBR004" in ev.rules.get(1, set())
    assert ev.closure(2) == {0, 1, 2}
    assert ev.closure(3) == {3}
    cev = cell_evidence(2, "mismatch", ev, [], expected="1.0\n", actual="2.0\n")
    assert "NBR004" in cev.rules and "numpy" in {p.lower() for p in cev.packages_used}
    assert "which this cell depends on" in cev.rule_notes["NBR004"]
    assert diagnose(cev).kind == "randomness"
    assert "NBR004" not in cell_evidence(3, "mismatch", ev, []).rules


def test_out_of_order_counts_and_defined_names():
    ev = gather(_nb(code("a = 1", 3), code("b = a", 1)))
    assert ev.out_of_order and {"a", "b"} <= ev.defined_names
    cev = cell_evidence(1, "mismatch", ev, [], expected="1", actual="2", runs_agree=True)
    assert diagnose(cev).kind == "stale-output"


def test_error_evidence_names_the_exception_and_the_drifted_package():
    ev = gather(_nb(code("import pandas as pd", 1), code("pd.DataFrame().append({})", 2)))
    err = {"ename": "AttributeError", "evalue": "'DataFrame' object has no attribute 'append'",
           "traceback": ["\x1b[0;31mFile /x/site-packages/pandas/core/generic.py:1\x1b[0m", "AttributeError: ..."]}
    cev = cell_evidence(1, "error", ev, [Drift("pandas", "1.5.3", "2.2.0")], error=err)
    assert cev.ename == "AttributeError" and "\x1b" not in cev.traceback
    cause = diagnose(cev)
    assert cause.kind == "library-drift" and "pandas 1.5.3 -> 2.2.0" in cause.summary


def test_hidden_state_when_no_cell_defines_the_name():
    ev = gather(_nb(code("print(secret)", 1, [error("NameError", "name 'secret' is not defined")])))
    cev = cell_evidence(0, "error", ev, [], error={"ename": "NameError", "evalue": "name 'secret' is not defined"})
    assert diagnose(cev).kind == "hidden-state"


def test_a_missing_kernel_is_a_missing_resource():
    (c,) = kernel_causes("nope", "no kernel named 'nope' is installed", missing=True)
    assert c["kind"] == "missing-resource" and c["cells"] == []
    assert kernel_causes("py", "kernel 'py' could not start (exit 1)")[0]["kind"] == "unknown"


def test_report_carries_cause_and_causes_and_matches_the_schema():

    from nbkit.schemas import validate
    from nbkit.verify.results import CellResult, NotebookResult, VerifyReport

    cause = diagnose(cell_evidence(0, "mismatch", gather(_nb(code("print(1)", 1))), [], expected="{1, 2}",
                                   actual="{2, 1}")).to_dict()
    res = NotebookResult("t.ipynb", "mismatch", cells=[CellResult(0, None, "mismatch", cause=cause)],
                         causes=[{**cause, "cells": [0]}])
    d = VerifyReport([res]).to_dict()
    assert d["schema"] == "nbkit.verify/2" and d["notebooks"][0]["cells"][0]["cause"]["kind"] == "hash-order"
    validate(d, "verify")
    old = json.loads(json.dumps(d))  # a /1 report (no cause keys) still validates
    old["schema"] = "nbkit.verify/1"
    del old["notebooks"][0]["causes"], old["notebooks"][0]["cells"][0]["cause"]
    validate(old, "verify")


def test_runs_accepts_auto_everywhere():

    from nbkit.errors import RequestError
    from nbkit.verify import VerifyOptions, VerifyRequest
    from nbkit.verify.request import check_runs
    from nbkit.verify.settings import settings_from_config

    assert VerifyRequest.build([]).runs == "auto" and VerifyRequest.build([]).planned_runs == 1
    assert check_runs("auto") == "auto" and check_runs("3") == 3 and check_runs(2) == 2
    assert VerifyRequest.build([], VerifyOptions(runs="1")).planned_runs == 1
    for bad in ("0", "often", 0, True):
        with pytest.raises(RequestError):
            check_runs(bad)

    class Cfg:
        verify = {"runs": "auto"}
    assert settings_from_config(Cfg()).runs == "auto"
    Cfg.verify = {"runs": 2}
    assert settings_from_config(Cfg()).runs == 2


def _verify(path, **kw):
    from nbkit.verify import VerifyOptions, verify_notebook

    return verify_notebook(path, VerifyOptions(timeout=60, **kw))


@pytest.mark.kernel
def test_keeps_going_after_an_error_and_marks_consequences(tmp_path):
    from nbbuild import write

    p = write(tmp_path / "k.ipynb", nb(code("x = 1 / 0", 1), code("print(x)", 2), code("print('ok')", 3, [stream("ok\n")]),
                                       code("import nosuchmodule_zz", 4), code("print(4)", 5, [stream("5\n")])))
    res = _verify(p)
    cells = {c.index: c for c in res.cells}
    assert res.status == "failed" and "(2 more cells failed)" in res.message, res.message
    assert cells[1].status == "error" and cells[1].consequence_of == 0
    assert cells[2].status == "match"
    assert cells[3].cause["kind"] == "missing-resource" and "nosuchmodule_zz" in cells[3].cause["summary"]
    assert cells[4].status == "mismatch" and res.runs == 2  # a mismatch: confirmed by a second run
    assert cells[4].cause["kind"] == "stale-output" and "two fresh runs agree" in cells[4].cause["evidence"]
    old = _verify(p, stop_on_error=True, runs=1)
    assert [c.status for c in old.cells] == ["error", "not-run", "not-run", "not-run", "not-run"]


def test_cell_names_and_temp_paths_normalised():
    from nbkit.verify.normalize import mask_cell_names, mask_temp_paths

    stored, fresh = "invalid syntax (3311942670.py, line 1)", "invalid syntax (<cell>, line 1)"
    assert mask_cell_names(stored) == mask_cell_names(fresh) == "invalid syntax (<cell>, line 1)"
    assert mask_cell_names("File /tmp/ipykernel_12/99887766.py:5, in f()\nCell In[7], line 2") == \
        "File <cell>:5, in f()\nCell In[N], line 2"
    assert mask_cell_names('File "<ipython-input-3-8f0ab12c>", line 1') == 'File "<cell>", line 1'
    lib = "File /tmp/venv/lib/python3.12/site-packages/pandas/core/indexes/base.py:5670, in Index.__setitem__"
    assert mask_temp_paths(lib) == lib  # a library that lives under /tmp is not the run's temp dir
    assert mask_temp_paths("/tmp/tmpab12cd/x.csv") == "<tmp>"
    assert mask_temp_paths("/tmp/pytest-of-me/pytest-3/a") == "<tmp>"


@pytest.mark.kernel
def test_each_cell_has_its_own_file_name_and_a_stored_syntax_error_matches(tmp_path):
    from nbbuild import write

    err = {"output_type": "error", "ename": "SyntaxError", "evalue": "invalid syntax (3311942670.py, line 1)",
           "traceback": []}
    p = write(tmp_path / "s.ipynb", nb(code("def f():\n    return 1 / 0", 1),
                                       code("f()", 2, tags=["raises-exception"],
                                            outputs=[error("ZeroDivisionError", "division by zero")]),
                                       code("x = = 1", 3, tags=["raises-exception"], outputs=[err])))
    res = _verify(p, runs=1)
    assert res.status == "reproducible", res.to_dict()
    # with tracebacks compared, the fresh traceback shows the source of the cell that defines f
    from nbkit.config import config_from_table
    from nbkit.verify.settings import settings_from_config

    cfg = config_from_table({"verify": {"normalizers": {"error-traceback": False}}}, "pyproject.toml")
    assert settings_from_config(cfg).normalizers["error-traceback"] is False
    res = _verify(p, runs=1, config=cfg)
    cell = {c.index: c for c in res.cells}[1]
    assert "return 1 / 0" in (cell.actual or "") and "Error retrieving source code" not in (cell.actual or "")


def test_every_rendering_shows_the_cause():
    from nbkit.report.verify_reports import render_github, render_html, render_junit, render_text
    from nbkit.verify.results import CellResult, NotebookResult, VerifyReport

    cause = {"kind": "randomness", "summary": "an unseeded random generator feeds this cell",
             "evidence": ["two fresh runs disagree"], "fix": "seed it"}
    cells = [CellResult(2, "ab", "mismatch", diff="-1\n+2", message="differs", cause=cause, nondeterministic=True)]
    rep = VerifyReport([NotebookResult("r.ipynb", "nondeterministic", "1 cell differs", cells=cells,
                                       causes=[{**cause, "cells": [2]}])])
    assert "cause: randomness: an unseeded random generator feeds this cell (cell 2); fix: seed it" in render_text(rep)
    assert 'message="1 cell differs; cause: randomness (cell 2)"' in render_junit(rep)
    html = render_html(rep)
    assert '<span class="cause" title="two fresh runs disagree">randomness</span>' in html
    gh = render_github(rep)
    assert gh.startswith("::error file=r.ipynb,title=nbkit verify%3A nondeterministic (randomness)::cell 2")
    assert "fix: seed it" in gh


def test_an_unpinned_notebook_from_another_python_points_at_library_drift():
    book = notebook_from_dict(nb(code("import pandas as pd", 1), code("pd.Index([1])", 2),
                                 metadata={"language_info": {"name": "python", "version": "2.7.6"}}), "t.ipynb")
    ev = gather(book)
    assert ev.environment_changed and ev.environment_changed.startswith("2.7.6 -> ")
    cev = cell_evidence(1, "mismatch", ev, [], expected="Int64Index([1], dtype='int64')",
                        actual="Index([1], dtype='int64')", runs_agree=True)
    assert diagnose(cev).kind == "library-drift"
    err = {"ename": "ValueError", "evalue": "Invalid frequency: M",
           "traceback": ["File /venv/lib/python3.11/site-packages/pandas/core/generic.py:9759, in resample"]}
    cause = diagnose(cell_evidence(1, "error", ev, [], error=err))
    assert cause.kind == "library-drift" and "pandas" in cause.summary


def test_a_cell_the_stored_run_never_executed_is_stale_output():
    ev = gather(_nb(code("pd.read_csv(")))
    cev = cell_evidence(0, "error", ev, [], error={"ename": "SyntaxError", "evalue": "incomplete input"},
                        never_executed=True)
    assert diagnose(cev).kind == "stale-output"


def test_a_star_import_links_the_cells_that_use_it_and_counts_mark_stale_cells():
    book = _nb(code("from sympy import *", 1), code("x = Symbol('x')", 5), code("Sum(x, (x, 1, 3))", 3),
               code("print(len('ab'))", 9, [stream("2\n")]), code("2 + 2", None, [stream("4\n")]))
    ev = gather(book)
    assert 0 in ev.closure(2) and 0 in ev.closure(1)  # Symbol and Sum come from the star import
    assert ev.closure(3) == {3}  # len is a builtin: no link
    assert "sympy" in {p.lower() for p in cell_evidence(2, "mismatch", ev, []).packages_used}
    assert "sympy" in {p.lower() for p in ev.notebook_packages}
    # cell 2 uses x, which cell 1 bound in a later run; cell 3 ran late but depends on nothing
    assert set(ev.stale_cells) == {2, 4}, ev.stale_cells
    assert "no execution count" in ev.stale_cells[4] and "cell 1" in ev.stale_cells[2]
    assert cell_evidence(2, "mismatch", ev, []).stale == ev.stale_cells[2]
    assert gather(_nb(code("a = 1", 1), code("b = a", 2))).stale_cells == {}


def test_a_cell_that_changes_an_object_in_place_is_a_dependency():
    ev = gather(_nb(code("df = {}", 1), code("df['a'] = 1\ndf.x = 2", 5), code("print(df)", 2, [stream("{}\n")])))
    assert 1 in ev.closure(2) and ev.binds[1] == set()  # a mutation is not a binding (no consequence)
    assert "cell 1" in ev.stale_cells[2]


def test_the_kernels_python_version_decides_whether_the_environment_changed():
    import platform

    book = notebook_from_dict(nb(code("1", 1), metadata={"language_info": {"name": "python", "version": "3.5.1"}}),
                              "t.ipynb")
    assert gather(book, "3.5.4").environment_changed is None
    assert gather(book, "3.11.7").environment_changed == "3.5.1 -> 3.11.7"
    assert gather(book).environment_changed == f"3.5.1 -> {platform.python_version()}"


def _stored_errors_notebook(metadata=None):
    return nb(code("print('before')\n1 / 0", 1, [stream("before\n"), error("ZeroDivisionError", "division by zero")]),
              code("def f(n):\n    if n < 0:\n        raise ValueError('n must be >= 0')\n    return n", 2),
              code("f(-1)", 3, [error("ValueError", "n must be >= 0")]),
              code("f(-2)", 4, [error("ValueError", "n must be non-negative")]),
              code("[][1]", 5, [stream("x\n")]),
              code("print(f(3))", 6, [stream("3\n")]),
              code("{}['k']", 7, [error("KeyError", "'k'")], tags=["raises-exception"]),
              metadata=metadata)


@pytest.mark.kernel
def test_a_cell_that_raises_the_error_its_stored_output_shows_reproduces(tmp_path):
    from nbbuild import write

    from nbkit.report.verify_reports import render_text
    from nbkit.verify.results import VerifyReport
    from nbkit.verify.verdict import STORED_ERROR_NOTE

    p = write(tmp_path / "e.ipynb", _stored_errors_notebook())
    for stop in (False, True):
        res = _verify(p, runs=1, stop_on_error=stop)
        cells = {c.index: c for c in res.cells}
        assert cells[0].status == "match" and cells[0].note == STORED_ERROR_NOTE
        assert cells[2].status == "match" and cells[2].note == STORED_ERROR_NOTE
        assert cells[3].status == "error" and "non-negative" not in (cells[3].actual or "")  # another message
        assert res.status == "failed" and "cell 3" in res.message
        if stop:  # the first real failure stops the run; the stored errors before it did not
            assert [cells[i].status for i in (4, 5, 6)] == ["not-run"] * 3
            continue
        assert cells[4].status == "error"  # a fresh error where the stored output shows none
        assert cells[5].status == "match"  # the run went on past the reproduced errors
        assert cells[6].status == "match" and cells[6].note is None  # tagged: expected, no note
    text = render_text(VerifyReport([_verify(p, runs=1)]))
    assert ("note: 2 cells raise the error their stored output shows; tag them `raises-exception` to make that "
            "explicit (cells 0, 2)") in text


@pytest.mark.kernel
def test_a_stable_difference_under_another_stored_python_names_python(tmp_path):
    from nbbuild import write

    p = write(tmp_path / "py.ipynb", nb(code("import sys\nprint(sys.version_info[:2])", 1, [stream("(3, 5)\n")]),
                                        metadata={"language_info": {"name": "python", "version": "3.5.1"}}))
    res = _verify(p)
    (cell,) = res.cells
    assert res.status == "mismatch" and res.runs == 2
    assert cell.cause["kind"] == "library-drift", cell.cause
    assert cell.cause["summary"].startswith("Python 3.5.1 -> 3.")
    assert "two fresh runs agree" in cell.cause["evidence"]


def test_a_name_a_star_import_no_longer_provides_is_library_drift():
    book = _nb(code("from scipy import *", 1), code("x = linspace(0, 1, 3)", 2))
    ev = gather(book)
    assert ev.star_imports == [(0, "scipy")]
    err = {"ename": "NameError", "evalue": "name 'linspace' is not defined"}
    cause = diagnose(cell_evidence(1, "error", ev, [], error=err))
    assert cause.kind == "library-drift" and "`from scipy import *`" in cause.summary
    # without a star import above, a name no cell defines is hidden state
    plain = gather(_nb(code("x = linspace(0, 1, 3)", 1), code("from scipy import *", 2)))
    assert diagnose(cell_evidence(0, "error", plain, [], error=err)).kind == "hidden-state"


def test_a_name_the_cell_binds_before_reading_it_is_not_a_dependency():
    ev = gather(_nb(code("import matplotlib\nx = 1", 3), code("import matplotlib\nmatplotlib.use('agg')\nprint(x)", 1)))
    assert ev.depends_on[1] == {0}  # x comes from cell 0; matplotlib is the cell's own
    ev = gather(_nb(code("import matplotlib", 3), code("import matplotlib\nmatplotlib.use('agg')", 1)))
    assert ev.depends_on[1] == set() and 1 not in ev.stale_cells


@pytest.mark.kernel
def test_a_failing_cells_stderr_reaches_the_diagnosis(tmp_path):
    from nbbuild import write

    src = "import sys\nprint('tool frobnicate unavailable; using the fallback', file=sys.stderr)\nraise ValueError('bad')"
    p = write(tmp_path / "w.ipynb", nb(code(src, 1, [stream("done\n")])))
    res = _verify(p, runs=1)
    (cell,) = res.cells
    assert cell.status == "error" and cell.cause["kind"] == "missing-resource", cell.cause
    assert "'frobnicate'" in cell.cause["summary"]


def test_the_notebooks_own_modules_are_not_libraries(tmp_path):
    from nbbuild import write

    from nbkit.model import parse_notebook

    (tmp_path / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    p = write(tmp_path / "m.ipynb", nb(code("%%writefile mymodule.py\nY = 2", 1), code("import mymodule, helpers, numpy", 2)))
    ev = gather(parse_notebook(p.read_bytes(), str(p)))
    used = {x.lower() for x in ev.packages.get(1, set())}
    assert "numpy" in used and not used & {"mymodule", "helpers"}
