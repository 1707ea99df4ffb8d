"""Diagnosis from evidence (nbkit.verify.diagnosis): each kind of cause, and what rules it out."""

from __future__ import annotations

import pytest

from nbkit.verify.diagnosis import (
    KINDS,
    CellEvidence,
    diagnose,
    group_causes,
    is_permutation,
    numpy_repr_normalised,
    repr_only_difference,
)

DRIFT_PANDAS = (("pandas", "2.1.4", "3.1.1"),)
TB_PANDAS = ('File /venv/lib/python3.11/site-packages/pandas/core/generic.py:6299, in NDFrame.__getattr__\n'
             "AttributeError: 'DataFrame' object has no attribute 'append'")


@pytest.mark.parametrize("ev,kind,word", [
    (CellEvidence(3, "nondeterministic", "[0.1 0.5]", "[0.7 0.2]", rules=frozenset({"NBR004"})), "randomness", "unseeded"),
    (CellEvidence(3, "mismatch", "0.42", "0.17", runs_agree=False), "randomness", "run to run"),
    (CellEvidence(3, "mismatch", "2026-01-01", "2026-12-01", runs_agree=False, rules=frozenset({"NBR014"})), "clock", "date"),
    (CellEvidence(3, "mismatch", "{'b', 'a', 'c'}", "{'c', 'a', 'b'}", runs_agree=True), "hash-order", "order"),
    (CellEvidence(3, "mismatch", "x\n1\n", "x\n2\n", runs_agree=True, out_of_order=True), "stale-output", "out of order"),
    (CellEvidence(3, "mismatch", "x\n1\n", "x\n2\n", runs_agree=True), "stale-output", "no drift"),
    (CellEvidence(3, "mismatch", "dtype: object", "dtype: str", runs_agree=True, drift=DRIFT_PANDAS,
                  packages_used=frozenset({"pandas"})), "library-drift", "pandas 2.1.4 -> 3.1.1"),
    (CellEvidence(3, "error", ename="AttributeError", evalue="'DataFrame' object has no attribute 'append'",
                  traceback=TB_PANDAS, drift=DRIFT_PANDAS), "library-drift", "pandas"),
    (CellEvidence(3, "error", ename="NameError", evalue="name 'model' is not defined"), "hidden-state", "'model'"),
    (CellEvidence(3, "error", ename="FileNotFoundError", evalue="[Errno 2] No such file or directory: 'data/x.csv'"),
     "missing-resource", "data/x.csv"),
    (CellEvidence(3, "error", ename="ModuleNotFoundError", evalue="No module named 'seaborn'"), "missing-resource", "seaborn"),
    (CellEvidence(3, "mismatch", "41", "42", runs_agree=True, changed_data=("sales.csv",)), "data-changed", "sales.csv"),
    (CellEvidence(3, "mismatch", "41", "42"), "unknown", "no evidence"),
])
def test_each_kind_of_cause_comes_from_its_evidence(ev, kind, word):
    cause = diagnose(ev)
    assert cause.kind == kind and cause.kind in KINDS
    assert word in cause.summary + " ".join(cause.evidence)
    d = cause.to_dict()
    assert set(d) == {"kind", "summary", "evidence", "fix"} and d["fix"]


def test_agreeing_runs_rule_out_randomness_even_with_an_unseeded_generator():
    ev = CellEvidence(3, "mismatch", "1", "2", runs_agree=True, rules=frozenset({"NBR004"}))
    assert diagnose(ev).kind == "stale-output"
    assert "two fresh runs agree" in diagnose(ev).evidence


def test_a_name_some_cell_defines_is_not_hidden_state_unless_used_before_definition():
    ev = CellEvidence(3, "error", ename="NameError", evalue="name 'df' is not defined", defined_names=frozenset({"df"}))
    assert diagnose(ev).kind == "unknown"
    ev.rules = frozenset({"NBR011"})
    assert diagnose(ev).kind == "hidden-state"


def test_consequences_of_an_earlier_failure_point_at_it():
    cause = diagnose(CellEvidence(7, "error", ename="NameError", evalue="name 'df' is not defined", consequence_of=4))
    assert "cell 4" in cause.summary and "cell 4" in cause.fix


@pytest.mark.parametrize("old,new", [
    ("9", "np.int64(9)"), ("5.0", "np.float64(5.0)"), ("'a'", "np.str_('a')"), ("True", "np.True_"),
    ("(1.5, 2)", "(np.float64(1.5), np.int64(2))"), ("[0. 1.]", "[0.0 1.0]"),
])
def test_repr_only_drift_is_recognised(old, new):
    assert repr_only_difference(old, new) == "numpy"


@pytest.mark.parametrize("old,new", [("9", "np.int64(10)"), ("object", "str"), ("5.0", "np.float64(5.5)")])
def test_real_changes_are_not_repr_drift(old, new):
    assert repr_only_difference(old, new) is None


def test_numpy_repr_normalisation_handles_nesting():
    assert numpy_repr_normalised("np.float64(np.float64(1.0))") == "1.0"


def test_permutations():
    assert is_permutation("{1, 2, 3}", "{3, 1, 2}")
    assert is_permutation("b\na\n", "a\nb\n")
    assert not is_permutation("{1, 2, 3}", "{1, 2, 4}")
    assert not is_permutation("{1}", "{1}")


def test_identical_causes_are_grouped_with_their_cells():
    from nbkit.verify.diagnosis import Cause

    same = Cause("library-drift", "the same values, printed differently by a newer numpy")
    groups = group_causes({5: same, 2: same, 9: Cause("randomness", "x")})
    assert [(g["kind"], g["cells"]) for g in groups] == [("library-drift", [2, 5]), ("randomness", [9])]


# -- the Python of the stored run (issue 12: Python/IPython-version drift) ---------------------------

def test_a_stable_difference_under_another_python_is_library_drift_naming_python():
    ev = CellEvidence(39, "mismatch", "{'a': 1, 'b': 2, 'c': 3}\n", "{'c': 3, 'a': 1, 'b': 2, 'd': 4}\n",
                      runs_agree=True, environment_changed="3.5.1 -> 3.11.7")
    cause = diagnose(ev)
    assert cause.kind == "library-drift" and "Python 3.5.1 -> 3.11.7" in cause.summary
    assert "two fresh runs agree" in cause.evidence


@pytest.mark.parametrize("kw,word", [
    ({"stale": "its execution count 9 comes after 12 (cell 4)"}, "count 9"),
    ({"never_executed": True}, "never executed"),
    ({"edited_after_run": True}, "edited"),
])
def test_stale_evidence_on_the_cell_wins_over_python_drift(kw, word):
    ev = CellEvidence(5, "mismatch", "1\n", "2\n", runs_agree=True, environment_changed="3.5.1 -> 3.11.7", **kw)
    cause = diagnose(ev)
    assert cause.kind == "stale-output" and word in cause.summary


def test_counts_out_of_order_elsewhere_in_the_notebook_do_not_hide_python_drift():
    ev = CellEvidence(5, "mismatch", "1\n", "2\n", runs_agree=True, environment_changed="2.7.10 -> 3.11.7",
                      out_of_order=True)
    assert diagnose(ev).kind == "library-drift"
    ev.environment_changed = None  # no other Python: the out-of-order counts are the only evidence
    assert diagnose(ev).kind == "stale-output"


@pytest.mark.parametrize("expected,packages,lib", [
    ("[text/latex]\n$\\displaystyle \\sum_{i=1}^{N} x_i$\n", {"sympy", "numpy"}, "sympy"),
    ("[text/plain]\n0    1\n1    2\ndtype: int64\n", {"pandas", "numpy"}, "pandas"),
    ("[text/plain]\narray([1, 2])\n", {"numpy"}, "numpy"),
])
def test_python_drift_names_the_library_the_output_comes_from(expected, packages, lib):
    ev = CellEvidence(8, "mismatch", expected, expected.replace("1", "7"), runs_agree=True,
                      environment_changed="2.7.10 -> 3.11.7", notebook_packages=frozenset(packages))
    cause = diagnose(ev)
    assert cause.kind == "library-drift" and lib in cause.summary.split(":")[0]
    assert any(f"printed by {lib}" in e for e in cause.evidence)


def test_an_output_library_the_notebook_does_not_import_is_not_named():
    ev = CellEvidence(8, "mismatch", "[text/latex]\n$x$\n", "[text/latex]\n$y$\n", runs_agree=True,
                      environment_changed="2.7.10 -> 3.11.7", notebook_packages=frozenset({"numpy"}))
    cause = diagnose(ev)
    assert cause.kind == "library-drift" and "sympy" not in cause.summary and "IPython" in cause.summary


def test_a_failure_under_another_python_is_library_drift_unless_the_cell_is_stale():
    ev = CellEvidence(4, "error", ename="SyntaxError", evalue="Missing parentheses in call to 'print'",
                      environment_changed="2.7.10 -> 3.11.7")
    cause = diagnose(ev)
    assert cause.kind == "library-drift" and "Python 2.7.10 -> 3.11.7" in cause.summary
    assert "no longer parses" in " ".join(cause.evidence)
    ev.stale = "it has stored output but no execution count"
    assert diagnose(ev).kind == "stale-output"
    assert diagnose(CellEvidence(4, "error", ename="SyntaxError", evalue="x")).kind == "unknown"


def test_a_consequence_carries_the_kind_of_the_failure_it_follows_from():
    first = diagnose(CellEvidence(2, "error", ename="FileNotFoundError",
                                  evalue="[Errno 2] No such file or directory: 'data/x.csv'"))
    assert first.kind == "missing-resource"
    later = diagnose(CellEvidence(6, "error", ename="NameError", evalue="name 'df' is not defined",
                                  consequence_of=2), first)
    assert later.kind == "missing-resource" and "cell 2" in later.summary and "fix cell 2" in later.fix
    assert any("data/x.csv" in e for e in later.evidence)


def test_a_rendered_output_label_does_not_hide_a_permutation():
    stored = "[stdout]\n{'three': 3, 'ninety': 90, 'two': 2, 'one': 1}\n"
    fresh = "[stdout]\n{'one': 1, 'two': 2, 'three': 3, 'ninety': 90}\n"
    assert is_permutation(stored, fresh)
    cause = diagnose(CellEvidence(59, "mismatch", stored, fresh, runs_agree=True, environment_changed="3.5.1 -> 3.11.7"))
    assert cause.kind == "hash-order"


def test_a_sorted_stored_dict_that_is_no_longer_sorted_is_the_printer_not_hash_order():
    stored = "[text/plain]\n{'domain': 'python', 'suffix': 'org', 'user': 'guido'}\n"
    fresh = "[text/plain]\n{'user': 'guido', 'domain': 'python', 'suffix': 'org'}\n"
    cause = diagnose(CellEvidence(130, "mismatch", stored, fresh, runs_agree=True, environment_changed="3.5.1 -> 3.11.7"))
    assert cause.kind == "library-drift" and "no longer sorted" in cause.summary and "3.5.1" in cause.summary
    # the other way round (sorted now, not before) is hash order of the stored run
    assert diagnose(CellEvidence(130, "mismatch", fresh, stored, runs_agree=True)).kind == "hash-order"


def test_a_python_2_builtin_is_drift_not_hidden_state():
    ev = CellEvidence(233, "error", ename="NameError", evalue="name 'reload' is not defined",
                      environment_changed="2.7.10 -> 3.11.7")
    cause = diagnose(ev)
    assert cause.kind == "library-drift" and "'reload'" in cause.summary
    ev.environment_changed = "3.5.1 -> 3.11.7"  # stored by Python 3: reload was never a builtin there
    assert diagnose(ev).kind == "hidden-state"


def test_a_file_an_earlier_run_left_behind_is_hidden_state():
    ev = CellEvidence(224, "nondeterministic", "[stdout]\nWriting mymodule.py\n", "[stdout]\nOverwriting mymodule.py\n")
    cause = diagnose(ev)
    assert cause.kind == "hidden-state" and "'mymodule.py'" in cause.summary
    ev = CellEvidence(224, "nondeterministic", "[stdout]\nWriting a.py\n", "[stdout]\nWriting b.py\n")
    assert diagnose(ev).kind == "randomness"


def test_a_program_a_library_cannot_find_is_a_missing_resource():
    ev = CellEvidence(67, "error", ename="RuntimeError",
                      evalue="Failed to process string with tex because latex could not be found",
                      traceback="File /x/site-packages/matplotlib/texmanager.py:274", environment_changed="3.8.10 -> 3.11.7")
    cause = diagnose(ev)
    assert cause.kind == "missing-resource" and "'latex'" in cause.summary
    ev = CellEvidence(19, "error", ename="KeyError", evalue="\"['Year'] not found in axis\"")
    assert diagnose(ev).kind != "missing-resource"


def test_a_warning_that_a_program_is_unavailable_explains_the_failure_after_it():
    ev = CellEvidence(158, "error", ename="ValueError", evalue="unknown file extension: .mp4",
                      traceback="File /x/site-packages/PIL/Image.py:2670, in Image.save",
                      environment_changed="3.8.10 -> 3.11.7",
                      stderr="MovieWriter ffmpeg unavailable; using Pillow instead.\n")
    cause = diagnose(ev)
    assert cause.kind == "missing-resource" and "'ffmpeg'" in cause.summary
    ev.stderr = ""
    assert diagnose(ev).kind == "library-drift"
