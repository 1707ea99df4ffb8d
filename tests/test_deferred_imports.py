"""Start-up (issue 14): a verify run does not build rfc3987_syntax's IRI grammar, which
``import nbformat`` (through jsonschema) used to build on every run, and nothing of notebook
validation or of jsonschema's format checking changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("rfc3987_syntax")  # the grammar exists only where the package is installed


def run_python(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_nbformat_validates_as_before_without_building_the_grammar():
    out = run_python("""
        import json, sys
        from nbkit.deferred_imports import defer_iri_grammar
        installed = defer_iri_grammar()
        import nbformat, nbclient, papermill
        good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        nbformat.validate(good)
        bad = dict(good, cells=[{"cell_type": "code", "source": "1"}])
        try:
            nbformat.validate(nbformat.from_dict(bad))
            invalid = False
        except nbformat.ValidationError:
            invalid = True
        print(json.dumps({"installed": installed, "invalid": invalid,
                          "grammar": "rfc3987_syntax.syntax_helpers" in sys.modules,
                          "lark": "lark" in sys.modules}))
    """)
    assert out == {"installed": True, "invalid": True, "grammar": False, "lark": False}


def test_jsonschema_iri_checks_still_work_and_load_the_real_module():
    out = run_python("""
        import json, sys
        from nbkit.deferred_imports import defer_iri_grammar
        defer_iri_grammar()
        import jsonschema
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        before = "rfc3987_syntax.syntax_helpers" in sys.modules
        ok = checker.conforms("https://example.org/a?b#c", "iri")
        bad = checker.conforms("http://exa mple.org/<>", "iri")
        import rfc3987_syntax
        print(json.dumps({"before": before, "ok": ok, "bad": bad, "checks": "iri" in checker.checkers,
                          "real": hasattr(rfc3987_syntax, "syntax_parser"),
                          "after": "rfc3987_syntax.syntax_helpers" in sys.modules}))
    """)
    assert out == {"before": False, "ok": True, "bad": False, "checks": True, "real": True, "after": True}


def test_nothing_changes_when_jsonschema_is_already_imported():
    out = run_python("""
        import json, sys
        import jsonschema._format
        from nbkit.deferred_imports import defer_iri_grammar
        print(json.dumps({"installed": defer_iri_grammar(), "module": type(sys.modules["rfc3987_syntax"]).__name__}))
    """)
    assert out == {"installed": False, "module": "module"}


def test_a_verify_run_does_not_build_the_grammar(tmp_path):
    from nbbuild import nb, write

    path = write(tmp_path / "empty.ipynb", nb())  # no code: nothing runs, but the run imports everything it needs
    out = run_python(f"""
        import json, sys
        from nbkit.verify import verify_notebook
        res = verify_notebook({str(path)!r})
        import nbformat
        print(json.dumps({{"status": res.status, "grammar": "rfc3987_syntax.syntax_helpers" in sys.modules}}))
    """)
    assert out == {"status": "reproducible", "grammar": False}
