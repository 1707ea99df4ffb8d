"""The lint report formats: json (nbkit.lint/1, against its JSON Schema), SARIF 2.1.0 (against the
official schema), JUnit XML, GitHub annotations and text."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from clihelp import nbkit_cli
from nbbuild import code, error, md, nb, write

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "nbkit" / "schemas"
CACHE = Path(__file__).resolve().parent / ".cache"


def flawed(tmp_path):
    p = write(tmp_path / "flawed_notebook.ipynb", nb(
        code("import os", count=2),
        md("Some text"),
        md("# Late title"),
        code("raise ValueError('x')", count=1, outputs=[error("ValueError", "x")]),
    ))
    q = write(tmp_path / "second_notebook.ipynb", nb(md("# Fine title"), code("x = 1", count=1)))
    return p, q


def test_json_report_matches_schema_and_design_shape(tmp_path, capsys):
    p, q = flawed(tmp_path)
    rc, out, err = nbkit_cli(capsys, "lint", "--format", "json", str(tmp_path))
    report = json.loads(out)
    jsonschema.validate(report, json.loads((SCHEMA_DIR / "lint.schema.json").read_text()))
    assert report["schema"] == "nbkit.lint/1"
    assert report["summary"]["notebooks"] == 2
    assert report["summary"]["error"] == sum(f["severity"] == "error" for f in report["findings"])
    titles = [f for f in report["findings"] if f["code"] == "NBL001"]
    assert titles and titles[0]["path"] == str(p) and titles[0]["cell_index"] == 0
    assert titles[0]["cell_id"] == "cell0"
    assert rc == 1


@pytest.fixture(scope="session")
def sarif_schema():
    """The official SARIF 2.1.0 schema, from the npm registry (cached under tests/.cache)."""
    target = CACHE / "sarif-2.1.0.json"
    if not target.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(["npm", "pack", "@microsoft/sarif-matcher-utils@1.0.0-beta.0", "--silent",
                        "--pack-destination", str(CACHE)], check=True, capture_output=True, timeout=120)
        tgz = next(CACHE.glob("microsoft-sarif-matcher-utils-*.tgz"))
        with tarfile.open(tgz) as tf:
            member = tf.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json")
            target.write_bytes(member.read())
    return json.loads(target.read_text())


def test_sarif_validates_against_the_official_schema(tmp_path, capsys, sarif_schema):
    flawed(tmp_path)
    (tmp_path / "broken_notebook.ipynb").write_text("{nope")
    rc, out, err = nbkit_cli(capsys, "lint", "--format", "sarif", str(tmp_path))
    doc = json.loads(out)
    jsonschema.validate(doc, sarif_schema)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".ipynb")
    assert run["invocations"][0]["executionSuccessful"] is False
    assert rc == 2


def test_junit_one_testcase_per_notebook(tmp_path, capsys):
    p, q = flawed(tmp_path)
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "junit", "--select", "NBL001", str(tmp_path))
    root = ET.fromstring(out)
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert {c.get("name") for c in cases} == {str(p), str(q)}
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [str(p)]
    assert "NBL001" in failed[0].find("failure").text
    assert suite.get("failures") == "1" and suite.get("tests") == "2"


def test_github_annotations(tmp_path, capsys):
    flawed(tmp_path)
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "github", "--select", "NBL001", str(tmp_path))
    lines = out.strip().splitlines()
    assert lines and all(ln.startswith("::error file=") for ln in lines)
    assert "title=NBL001 missing-title::" in lines[0]
    assert "flawed_notebook.ipynb" in lines[0]


def test_text_report_groups_by_notebook_and_summarises(tmp_path, capsys):
    p, q = flawed(tmp_path)
    rc, out, _ = nbkit_cli(capsys, "lint", "--select", "NBL001", str(tmp_path))
    assert out.splitlines()[0] == str(p)
    assert "cell 0 [cell0] error NBL001" in out
    assert "2 notebooks checked: 1 error, 0 warnings, 0 info" in out.splitlines()
    assert "\x1b[" not in out  # no colour codes when not a TTY


def test_output_file_written_and_fail_on(tmp_path, capsys):
    p, q = flawed(tmp_path)
    target = tmp_path / "report.json"
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "-o", str(target), "--select", "NBL001", str(q))
    assert out == "" and rc == 0
    assert json.loads(target.read_text())["summary"]["notebooks"] == 1
    rc, _, _ = nbkit_cli(capsys, "lint", "--select", "NBL001", "--fail-on", "error", str(p))
    assert rc == 1


def test_select_ignore_and_per_file_ignores(tmp_path, capsys):
    p, q = flawed(tmp_path)
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", "--ignore", "missing-title",
                           str(tmp_path))
    assert json.loads(out)["findings"] == [] and rc == 0
    (tmp_path / "pyproject.toml").write_text('[tool.nbkit.lint]\nselect = ["NBL001"]\n'
                                             'per-file-ignores = {"flawed_*.ipynb" = ["NBL"]}\n')
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", str(tmp_path))
    assert json.loads(out)["findings"] == [] and rc == 0


def test_suppression_by_tag_and_comment(tmp_path, capsys):
    p = write(tmp_path / "suppressed_notebook.ipynb", nb(
        code("x = 1", count=1, tags=["nbkit:ignore[NBL001]"]),
        md("# Title"),
    ))
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", str(p))
    assert json.loads(out)["findings"] == []
    p2 = write(tmp_path / "suppressed_by_comment.ipynb", nb(code("# nbkit: ignore[missing-title]\nx = 1", count=1)))
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", str(p2))
    assert json.loads(out)["findings"] == []
    p3 = write(tmp_path / "not_suppressed_notebook.ipynb", nb(code("x = 1  # nbkit: ignore[NBH007]", count=1)))
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", str(p3))
    assert [f["code"] for f in json.loads(out)["findings"]] == ["NBL001"]


def test_exploratory_profile_downgrades_layout_errors(tmp_path, capsys):
    p, _ = flawed(tmp_path)
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", "--profile", "exploratory", str(p))
    sev = {f["severity"] for f in json.loads(out)["findings"]}
    assert sev == {"warning"} and rc == 0


def test_rules_command_lists_and_explains(capsys):
    rc, out, _ = nbkit_cli(capsys, "rules", "--format", "json")
    data = json.loads(out)
    codes = [r["code"] for r in data["rules"]]
    assert "NBL001" in codes and codes == sorted(codes)
    rc, out, _ = nbkit_cli(capsys, "rules", "--explain", "missing-title")
    assert out.startswith("NBL001 missing-title") and "## Why is this bad?" in out
    rc, _, err = nbkit_cli(capsys, "rules", "--explain", "NBQ123")
    assert rc == 2 and "unknown rule" in err


def _rich_rendering(result, fixed_note=True):
    """The text report as rich writes it (the plain writer turned off)."""
    from nbkit.report import lint_reports

    plain = lint_reports._plain_text
    lint_reports._plain_text = lambda *a: None
    try:
        return lint_reports.render_text(result, fixed_note=fixed_note)
    finally:
        lint_reports._plain_text = plain


@pytest.mark.parametrize("fixed_note", [True, False])
def test_plain_text_report_is_what_rich_writes(fixed_note):
    """Without colour the text report is written without rich (its import is a tenth of a second
    of a one-notebook run); the bytes are the same as rich's, also for messages that look like
    rich markup or emoji codes, wide characters, trailing spaces and line breaks.  A control
    character (a tab) leaves the rendering to rich."""
    from nbkit.errors import NbkitError, NoNotebooksError
    from nbkit.findings import Finding, Severity
    from nbkit.lintresult import LintResult
    from nbkit.report import lint_reports

    messages = ["trailing space  ", "emoji \U0001F600 wide \u4e2d\u6587 ", "[bold]markup[/bold] :smile:",
                "multi\nline", "  lead", "back\\slash [*] [link=x]", "", "ends with a newline\n",
                "\u200b zero width \u00a0nbsp", "combining e\u0301"]
    result = LintResult()
    result.notebooks = 3
    result.findings = [Finding(path=f"p[{i % 3}] :x:.ipynb", code="NBH001", name="n",
                               severity=list(Severity)[i % 3], message=m, cell_index=i or None,
                               cell_id=None if i % 2 else "ab", line=i or None, fixable=bool(i % 2))
                       for i, m in enumerate(messages)]
    result.fixed = {"a b.ipynb": 1, "c.ipynb": 3}
    result.errors = [NoNotebooksError("no notebooks", "empty"), NbkitError("bad", "f.ipynb")]
    assert lint_reports._plain_text(result, fixed_note) is not None
    assert lint_reports.render_text(result, fixed_note=fixed_note) == _rich_rendering(result, fixed_note)
    result.findings[0].message = "a\ttab"
    assert lint_reports._plain_text(result, fixed_note) is None
    assert lint_reports.render_text(result, fixed_note=fixed_note) == _rich_rendering(result, fixed_note)


def test_plain_text_report_of_real_notebooks_is_what_rich_writes(tmp_path, capsys):
    """The examples' findings, rendered both ways; and ``nbkit lint`` does not import rich for a
    text report that is not coloured."""
    from nbkit.config import load_config
    from nbkit.lint import lint_paths
    from nbkit.report.lint_reports import render_text

    examples = str(Path(__file__).resolve().parent.parent / "examples")
    result = lint_paths([examples], load_config(examples, None))
    assert result.findings
    assert render_text(result) == _rich_rendering(result)
    p, _ = flawed(tmp_path)
    probe = ("import sys\nfrom nbkit.cli import main\nsys.argv = ['nbkit', 'lint', '--no-cache', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\nprint('RICH' if 'rich' in sys.modules else 'NO-RICH')\n")
    out = subprocess.run([__import__("sys").executable, "-c", probe, str(p)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert "flawed_notebook.ipynb" in out.stdout
    assert out.stdout.strip().endswith("NO-RICH"), out.stdout[-300:] + out.stderr[-500:]


@pytest.mark.parametrize("writer", ["msgspec", "by hand"])
def test_json_report_is_byte_for_byte_json_dumps_of_the_document(writer, monkeypatch):
    """render_json writes the report with msgspec (C) when it is imported or the report is
    large, else the findings by hand (an f-string each, repeated parts encoded once); either
    way its bytes are ``json.dumps(result.to_dict(), indent=2, ensure_ascii=False)``'s for any
    text (quotes, backslashes, control characters, non-ASCII, surrogates) and field values, and
    render_json_bytes (a report to a file) gives the same text as UTF-8, or None (a lone
    surrogate msgspec refuses: then the text is written by hand)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    import nbkit.report.lint_reports as reports
    from nbkit.errors import NbkitError
    from nbkit.findings import Finding, Severity
    from nbkit.lintresult import LintResult
    from nbkit.report.lint_reports import render_json, render_json_bytes

    if writer == "msgspec":
        import msgspec  # noqa: F401 - imported: the report is written by it whatever its size
    else:
        monkeypatch.setattr(reports, "render_json_bytes", lambda result: None)

    text = st.text(st.characters(), max_size=12)
    finding = st.builds(Finding, path=st.sampled_from(["a.ipynb", 'q"uote\\.ipynb', "ü/b.ipynb"]),
                        code=st.sampled_from(["NBR001", "NBD001"]), name=st.sampled_from(["x-y", "n\u00e9"]),
                        severity=st.sampled_from(list(Severity)), message=text,
                        cell_index=st.none() | st.integers(0, 10**6), cell_id=st.none() | text,
                        line=st.none() | st.integers(-1, 10**6), fixable=st.booleans())

    @settings(max_examples=200, deadline=None)
    @given(findings=st.lists(finding, max_size=8), errors=st.lists(text, max_size=2))
    def check(findings, errors):
        result = LintResult(findings=findings, errors=[NbkitError(m, "p.ipynb") for m in errors],
                            notebooks=2, paths=["a.ipynb", "b.ipynb"])
        expected = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        assert render_json(result) == expected
        data = render_json_bytes(result)
        if writer == "msgspec":
            try:
                assert data == expected.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate
                assert data is None

    check()


def test_json_report_every_character_escaped_as_json_does():
    """msgspec's escapes are json's (``ensure_ascii=False``) for every code point but the
    surrogates: a report holds any text a notebook or message can hold."""
    import msgspec  # noqa: F401

    from nbkit.findings import Finding, Severity
    from nbkit.lintresult import LintResult
    from nbkit.report.lint_reports import render_json_bytes

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    messages = ["".join(chars[i:i + 4096]) for i in range(0, len(chars), 4096)]
    result = LintResult(findings=[Finding("a.ipynb", "NBR001", "x", Severity.INFO, m, 0, m, 1) for m in messages],
                        paths=["a.ipynb"])
    assert render_json_bytes(result) == (json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n").encode()


def test_a_large_report_is_written_by_msgspec_without_a_lint_in_the_process(tmp_path):
    """A report of many findings from the lint cache (msgspec not imported yet) is written by
    msgspec: it pays for its import; a small one by hand (no import).  Both are json.dumps'."""
    probe = (
        "import sys, json\n"
        "from nbkit.findings import Finding, Severity\n"
        "from nbkit.lintresult import LintResult\n"
        "from nbkit.report.lint_reports import MSGSPEC_IMPORT_PAYS, render_json\n"
        "for n in (3, MSGSPEC_IMPORT_PAYS):\n"
        "    before = 'msgspec' in sys.modules\n"
        "    r = LintResult(findings=[Finding('a.ipynb', 'NBR001', 'x', Severity.INFO, 'm\\u00e9', i) "
        "for i in range(n)], paths=['a.ipynb'])\n"
        "    ok = render_json(r) == json.dumps(r.to_dict(), indent=2, ensure_ascii=False) + '\\n'\n"
        "    print(n, before, 'msgspec' in sys.modules, ok)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    lines = out.stdout.split("\n")
    assert lines[0] == "3 False False True", out.stdout + out.stderr
    assert lines[1].endswith("False True True"), out.stdout + out.stderr
