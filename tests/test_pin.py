"""``nbkit pin``: capture, byte-exact writing, --check, --export, --python, and bad input."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import stat
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from clihelp import nbkit_cli
from nbbuild import code, nb, write
from nbkit.pin import capture_environment, check_notebook, pin_notebook, requirements_for
from nbkit.pin.write import splice_nbkit

NUMPY = version("numpy")
PANDAS = version("pandas")


def strip_nbkit(text: str) -> str:
    """``text`` with the ``"nbkit": {...}`` member of the metadata (and one separator) cut out."""
    m = re.search(r'"nbkit"\s*:\s*', text)
    assert m, "no nbkit key"
    _, end = json.JSONDecoder().raw_decode(text, m.end())
    after = re.match(r"\s*,\s*", text[end:])
    if after:
        return text[:m.start()] + text[end + after.end():]
    before = re.search(r",\s*$", text[:m.start()])
    return text[:before.start()] + text[end:]


def nbformat_notebook(path: Path) -> Path:
    """A notebook as Jupyter writes it (nbformat), with outputs, floats and non-ASCII text."""
    notebook = new_notebook(cells=[
        new_markdown_cell("# Churn drivers — Q3 ☃"),
        new_code_cell("import os\nimport numpy as np\nfrom pandas import DataFrame\nimport helper\nx = 1e-05",
                      execution_count=1, outputs=[new_output("execute_result", {"text/plain": "1e-05"},
                                                             execution_count=1)]),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                 "language_info": {"name": "python", "version": "3.11.7"}})
    nbformat.write(notebook, str(path))
    (path.parent / "helper.py").write_text("X = 1\n")
    return path


# --- capture ---------------------------------------------------------------------------------------

def test_capture_records_only_imported_third_party_distributions_and_nothing_identifying(tmp_path):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    env = capture_environment(str(p))
    assert set(env) == {"python", "implementation", "platform", "packages", "captured_at"}
    assert env["packages"] == {"numpy": NUMPY, "pandas": PANDAS}  # not os (stdlib), not helper (local)
    assert env["python"] == platform.python_version()
    assert env["implementation"] == platform.python_implementation()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", env["captured_at"])
    dumped = json.dumps(env)
    for secret in (str(tmp_path), sys.prefix, sys.executable, os.path.expanduser("~"), socket.gethostname()):
        assert secret not in dumped


def test_capture_counts_load_ext_and_nbkit_magic_as_imports(tmp_path):
    p = write(tmp_path / "magic_user.ipynb", nb(code("%load_ext nbkit\nrng = %nbkit seed 3")))
    env = capture_environment(str(p))
    assert env["packages"] == {"nbkit": version("nbkit")}


def test_module_not_installed_and_distribution_without_version_are_reported_not_pinned(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "fakepkg").mkdir(parents=True)
    (site / "fakepkg" / "__init__.py").write_text("")
    info = site / "fakepkg-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\n")  # no Version
    (info / "top_level.txt").write_text("fakepkg\n")
    monkeypatch.syspath_prepend(str(site))
    p = write(tmp_path / "nb" / "uses_fake.ipynb", nb(code("import fakepkg\nimport numpy\nimport no_such_module_xyz")))
    notes: list[str] = []
    env = capture_environment(str(p), notes=notes)
    assert env["packages"] == {"numpy": NUMPY}
    assert any("'fakepkg'" in n and "no version" in n for n in notes), notes
    assert any("'no_such_module_xyz'" in n and "not installed" in n for n in notes), notes
    code_, out, err = nbkit_cli_capsys(p)
    assert code_ == 0
    assert "fakepkg" in err and "no version" in err and "Traceback" not in err
    assert json.loads(p.read_text())["metadata"]["nbkit"]["environment"]["packages"] == {"numpy": NUMPY}


def nbkit_cli_capsys(p):
    """Run ``nbkit pin p`` in-process without pytest's capsys fixture (for tests that already use
    monkeypatch on sys.path): capture by redirecting the click output streams."""
    import contextlib
    import io

    from nbkit.cli import run

    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    sys.argv = ["nbkit", "pin", str(p)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                run()
                code_ = 0
            except SystemExit as e:
                code_ = e.code
    finally:
        sys.argv = old
    return code_, out.getvalue(), err.getvalue()


# --- writing: only metadata.nbkit changes -------------------------------------------------------------

def test_pin_changes_no_byte_outside_metadata_nbkit_of_an_nbformat_notebook(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    before = p.read_text(encoding="utf-8")
    code_, out, err = nbkit_cli(capsys, "pin", "--seed", "3", p)
    assert code_ == 0, err
    assert f"pinned {p}" in out and f"numpy {NUMPY}" in out and "seed 3" in out
    after = p.read_text(encoding="utf-8")
    assert strip_nbkit(after) == before
    meta = json.loads(after)["metadata"]["nbkit"]
    assert meta["seed"] == 3 and meta["environment"]["packages"] == {"numpy": NUMPY, "pandas": PANDAS}
    nbformat.validate(nbformat.reads(after, as_version=4))
    # the file still reads back as nbformat would write it
    assert nbformat.writes(nbformat.reads(after, as_version=4)) + "\n" == after


ODD = (
    '{\r\n'
    '    "nbformat_minor": 5,\r\n'
    '    "cells": [\r\n'
    '        {"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {},\r\n'
    '         "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},\r\n'
    '                      "data": {"text/plain": "1.0E5 \\u00e9 {not json}"}}],\r\n'
    '         "source": ["import numpy\\n", "x = 1.0E5  # \\"}\\" in a string"]}\r\n'
    '    ],\r\n'
    '    "metadata": {\r\n'
    '        "zzz": [1.50, 2e-5],\r\n'
    '        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}\r\n'
    '    },\r\n'
    '    "nbformat": 4\r\n'
    '}'
)


def test_pin_keeps_every_other_byte_of_an_unusual_file(tmp_path, capsys):
    """4-space indent, CRLF, unsorted keys, ASCII escapes, float spellings, no final newline."""
    p = tmp_path / "odd_layout_nb.ipynb"
    p.write_bytes(ODD.encode("utf-8"))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0, err
    after = p.read_bytes().decode("utf-8")
    assert strip_nbkit(after) == ODD
    assert '\r\n        "nbkit": {\r\n            "environment": {\r\n' in after  # laid out like its neighbours
    assert json.loads(after)["metadata"]["nbkit"]["environment"]["packages"] == {"numpy": NUMPY}
    # re-pinning with a new seed replaces the value in place, still touching nothing else
    code_, out, err = nbkit_cli(capsys, "pin", "--seed", "9", p)
    assert code_ == 0 and strip_nbkit(p.read_bytes().decode()) == ODD


@pytest.mark.parametrize("text", [
    '{"cells":[],"metadata":{"a":1},"nbformat":4,"nbformat_minor":5}',  # compact
    '{\n\t"cells": [],\n\t"metadata": {\n\t\t"a": "}{\\""\n\t},\n\t"nbformat": 4,\n\t"nbformat_minor": 5\n}\n',  # tabs
    '{\n "cells": [],\n "metadata": {\n  "zeta": 1,\n  "alpha": 2\n },\n "nbformat": 4,\n "nbformat_minor": 5\n}\n',
    '{\n "cells": [],\n "metadata": {\n  "nbkit": "junk",\n  "z": 1\n },\n "nbformat": 4,\n "nbformat_minor": 5\n}\n',
    '{\n "cells": [],\n "metadata": {\n  "a": 1,\n  "nbkit": {"seed": 1},\n  "z": 1\n },\n "nbformat": 4,\n'
    ' "nbformat_minor": 5\n}\n',
])
def test_splice_sets_only_metadata_nbkit(text):
    value = {"environment": {"packages": {"é": "1"}, "python": "3"}, "seed": 5}
    new = splice_nbkit(text, value)
    data = json.loads(new)
    expected = json.loads(text)
    expected["metadata"]["nbkit"] = value
    assert data == expected
    original_without = strip_nbkit(text) if '"nbkit"' in text else text
    assert strip_nbkit(new) == original_without


def test_repinning_an_unchanged_environment_writes_nothing(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    assert nbkit_cli(capsys, "pin", p)[0] == 0
    before, mtime = p.read_bytes(), p.stat().st_mtime_ns
    code_, out, _ = nbkit_cli(capsys, "pin", p)
    assert code_ == 0 and "already pinned, unchanged" in out
    assert p.read_bytes() == before and p.stat().st_mtime_ns == mtime


def test_pin_keeps_other_nbkit_keys_and_the_seed(tmp_path):
    verified = {"at": "2026-01-01T00:00:00Z", "status": "reproducible", "nbkit": "0.1.0"}
    p = write(tmp_path / "keeps_keys.ipynb", nb(code("import numpy"),
                                                metadata={"nbkit": {"verified": verified, "seed": 5, "future": [1]}}))
    written = pin_notebook(str(p))
    data = json.loads(p.read_text())["metadata"]["nbkit"]
    assert data == written
    assert data["verified"] == verified and data["seed"] == 5 and data["future"] == [1]
    assert pin_notebook(str(p), seed=6)["seed"] == 6


def test_a_literal_nbkit_seed_in_the_notebook_is_recorded(tmp_path):
    p = write(tmp_path / "seeded_notebook.ipynb", nb(code("%load_ext nbkit\nrng = %nbkit seed 11\nimport numpy")))
    assert pin_notebook(str(p))["seed"] == 11
    assert pin_notebook(str(p), seed=12)["seed"] == 12  # --seed wins


# --- --check and --export ---------------------------------------------------------------------------

def test_check_names_drift_exits_1_and_writes_nothing(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    assert nbkit_cli(capsys, "pin", p)[0] == 0
    code_, out, _ = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 0 and "no drift (2 packages pinned)" in out
    text = p.read_text().replace(f'"numpy": "{NUMPY}"', '"numpy": "1.0.0"')
    p.write_text(text)
    assert [d.to_dict() for d in check_notebook(str(p))] == [{"package": "numpy", "pinned": "1.0.0", "installed": NUMPY}]
    code_, out, _ = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 1
    assert f"drift: numpy pinned 1.0.0, installed {NUMPY}" in out
    assert p.read_text() == text


def test_check_of_an_unpinned_notebook_exits_1(tmp_path, capsys):
    p = write(tmp_path / "never_pinned.ipynb", nb(code("import numpy")))
    before = p.read_bytes()
    code_, _, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 1 and "no pinned environment" in err and p.read_bytes() == before


def test_export_requirements(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    before = p.read_bytes()
    code_, out, err = nbkit_cli(capsys, "pin", "--export", "requirements", p)
    assert code_ == 0 and out.splitlines() == [f"numpy=={NUMPY}", f"pandas=={PANDAS}"]
    assert "not pinned" in err and p.read_bytes() == before
    nbkit_cli(capsys, "pin", p)
    p.write_text(p.read_text().replace(f'"pandas": "{PANDAS}"', '"pandas": "0.1"'))
    assert requirements_for(str(p)) == [f"numpy=={NUMPY}", "pandas==0.1"]  # the pinned versions


# --- --python: another interpreter, in a subprocess ---------------------------------------------------

def test_python_option_captures_through_a_subprocess(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    code_, out, err = nbkit_cli(capsys, "pin", "--python", sys.executable, p)
    assert code_ == 0, err
    env = json.loads(p.read_text())["metadata"]["nbkit"]["environment"]
    assert env["packages"] == {"numpy": NUMPY, "pandas": PANDAS}
    assert env["python"] == platform.python_version()
    assert nbkit_cli(capsys, "pin", "--check", "--python", sys.executable, p)[0] == 0


def test_python_option_errors(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    before = p.read_bytes()
    code_, _, err = nbkit_cli(capsys, "pin", "--python", tmp_path / "nope" / "python", p)
    assert code_ == 2 and "no such interpreter" in err
    broken = tmp_path / "broken_python"
    broken.write_text("#!/bin/sh\necho boom >&2\nexit 1\n")
    broken.chmod(0o755)
    code_, _, err = nbkit_cli(capsys, "pin", "--python", broken, p)
    assert code_ == 3 and "failed to report its packages (boom)" in err and "Traceback" not in err
    assert p.read_bytes() == before


# --- bad input ---------------------------------------------------------------------------------------

def test_read_only_notebook_is_refused_and_untouched(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    before = p.read_bytes()
    p.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        code_, _, err = nbkit_cli(capsys, "pin", p)
    finally:
        p.chmod(0o644)
    assert code_ == 2 and f"{p}: file is read-only; nothing was written" in err
    assert p.read_bytes() == before


def test_invalid_and_missing_notebooks_exit_2_and_the_rest_are_still_pinned(tmp_path, capsys):
    good = nbformat_notebook(tmp_path / "analysis.ipynb")
    bad = tmp_path / "broken_notebook.ipynb"
    bad.write_text('{"cells": [')
    code_, out, err = nbkit_cli(capsys, "pin", bad, good, tmp_path / "missing.ipynb")
    assert code_ == 2
    assert f"{bad}: not valid JSON" in err and "missing.ipynb: no such file or directory" in err
    assert f"pinned {good}" in out and "Traceback" not in err
    assert bad.read_text() == '{"cells": ['


def test_malformed_nbkit_metadata_is_refused_unless_forced(tmp_path, capsys):
    p = write(tmp_path / "malformed_meta.ipynb", nb(code("import numpy"), metadata={"nbkit": "pinned by hand", "a": 1}))
    before = p.read_bytes()
    code_, _, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2
    assert "metadata.nbkit is a string, not an object; nothing was written" in err and "--force" in err
    assert p.read_bytes() == before
    assert nbkit_cli(capsys, "pin", "--check", p)[0] == 2
    code_, out, err = nbkit_cli(capsys, "pin", "--force", p)
    assert code_ == 0, err
    data = json.loads(p.read_text())["metadata"]
    assert data["a"] == 1 and data["nbkit"]["environment"]["packages"] == {"numpy": NUMPY}


def test_malformed_seed_is_refused_and_force_replaces_only_it(tmp_path, capsys):
    verified = {"status": "reproducible"}
    p = write(tmp_path / "bad_seed_meta.ipynb", nb(code("import numpy"),
                                                   metadata={"nbkit": {"seed": "42", "verified": verified}}))
    code_, _, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2 and "metadata.nbkit.seed is '42'" in err
    assert nbkit_cli(capsys, "pin", "--force", p)[0] == 0
    meta = json.loads(p.read_text())["metadata"]["nbkit"]
    assert "seed" not in meta and meta["verified"] == verified and "environment" in meta


def test_usage_errors(tmp_path, capsys):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    assert nbkit_cli(capsys, "pin", "--check", "--seed", "1", p)[0] == 2
    code_, _, err = nbkit_cli(capsys, "pin", "--seed", "-1", p)
    assert code_ == 2 and "seed" in err.lower()
    assert "nbkit" not in json.loads(p.read_text())["metadata"]  # nothing written


def test_refuses_while_jupyter_is_saving_and_when_the_file_changes_meanwhile(tmp_path, capsys, monkeypatch):
    p = nbformat_notebook(tmp_path / "analysis.ipynb")
    before = p.read_bytes()
    backup = tmp_path / ".~analysis.ipynb"
    backup.write_bytes(before)
    code_, _, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2 and "Jupyter is saving this file" in err and p.read_bytes() == before
    backup.unlink()

    import nbkit.pin.pinning as pinning

    real = pinning.capture_environment

    def capture_while_someone_saves(*a, **kw):
        p.write_bytes(before.replace(b"Churn", b"Chum"))  # another program saves meanwhile
        return real(*a, **kw)

    monkeypatch.setattr(pinning, "capture_environment", capture_while_someone_saves)
    code_, _, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2 and "changed on disk while nbkit worked; nothing written" in err
    assert p.read_bytes() == before.replace(b"Churn", b"Chum")  # the other program's save survives


def test_pin_a_folder_pins_every_notebook_with_one_probe(tmp_path, capsys, monkeypatch):
    import nbkit.pin.capture as capture

    calls = []
    real = capture.Interpreter._run
    monkeypatch.setattr(capture.Interpreter, "_run", lambda self, req: calls.append(req) or real(self, req))
    write(tmp_path / "proj" / "first_analysis.ipynb", nb(code("import numpy")))
    write(tmp_path / "proj" / "sub" / "second_analysis.ipynb", nb(code("import pandas")))
    write(tmp_path / "proj" / ".ipynb_checkpoints" / "first_analysis-checkpoint.ipynb", nb(code("import numpy")))
    code_, out, err = nbkit_cli(capsys, "pin", "--python", sys.executable, tmp_path / "proj")
    assert code_ == 0, err
    assert len(calls) == 1 and calls[0]["modules"] == ["numpy", "pandas"]
    assert out.count("pinned ") == 2
    first = json.loads((tmp_path / "proj" / "first_analysis.ipynb").read_text())["metadata"]["nbkit"]
    second = json.loads((tmp_path / "proj" / "sub" / "second_analysis.ipynb").read_text())["metadata"]["nbkit"]
    assert first["environment"]["packages"] == {"numpy": NUMPY}
    assert second["environment"]["packages"] == {"pandas": PANDAS}
    assert "nbkit" not in json.loads((tmp_path / "proj" / ".ipynb_checkpoints" /
                                      "first_analysis-checkpoint.ipynb").read_text())["metadata"]


# --- property: whatever the file's JSON style, only metadata.nbkit changes ------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# no "k": the word nbkit cannot occur by chance
_text = st.text(alphabet=st.characters(blacklist_characters="k", blacklist_categories=("Cs",)), max_size=6)
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                       st.floats(allow_nan=False, allow_infinity=False), _text)
_json = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(_text, inner, max_size=3)),
                     max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meta=st.dictionaries(_text, _json, max_size=4),
       cells=st.lists(st.dictionaries(_text, _json, max_size=3), max_size=3),
       indent=st.sampled_from([None, 0, 1, 2, 4, "\t"]), sort_keys=st.booleans(), ensure_ascii=st.booleans(),
       crlf=st.booleans(), value=st.dictionaries(_text, _json, max_size=3))
def test_splice_property(meta, cells, indent, sort_keys, ensure_ascii, crlf, value):
    doc = {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(doc, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    if crlf:
        text = text.replace("\n", "\r\n")
    new = splice_nbkit(text, value)
    expected = json.loads(text)
    expected["metadata"]["nbkit"] = value
    assert json.loads(new) == expected
    if meta:  # (an empty "metadata": {} is necessarily rewritten as a whole)
        assert strip_nbkit(new) == text


def test_nbformat3_notebook_is_refused_not_rewritten(tmp_path, capsys):
    p = tmp_path / "old_format_nb.ipynb"
    p.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "import numpy", "language": "python", "outputs": []}]}]}))
    before = p.read_bytes()
    code_, _, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2 and "nbformat 3 notebook" in err and p.read_bytes() == before
