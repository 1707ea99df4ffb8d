"""Bad input: one clear line naming the file and the problem, exit 2, no traceback, and the
other notebooks in the same run are still linted."""

from __future__ import annotations

import json

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, stream, write

GOOD = nb(md("# Title"), code("x = 1", count=1))


def _bad_files(tmp_path):
    files = {
        "not_json.ipynb": b"this is not json {",
        "empty_file.ipynb": b"",
        "whitespace_only.ipynb": b"   \n\t",
        "json_list.ipynb": b"[1, 2, 3]",
        "json_object_not_nb.ipynb": b'{"hello": "world"}',
        "no_cells_key.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(),
        "cell_without_type.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                               "cells": [{"source": "x"}]}).encode(),
        "cell_bad_source.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                             "cells": [{"cell_type": "code", "source": 5}]}).encode(),
        "latin1_bytes.ipynb": '{"nbformat": 4, "cells": [], "metadata": {"a": "café"}}'.encode("latin-1"),
        "nbformat2.ipynb": json.dumps({"nbformat": 2, "worksheets": []}).encode(),
        "nbformat9.ipynb": json.dumps({"nbformat": 9, "cells": []}).encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return files


EXPECTED_WORDS = {
    "not_json.ipynb": "not valid JSON",
    "empty_file.ipynb": "empty file",
    "whitespace_only.ipynb": "empty file",
    "json_list.ipynb": "not a notebook",
    "json_object_not_nb.ipynb": "no 'nbformat'",
    "no_cells_key.ipynb": "no 'cells'",
    "cell_without_type.ipynb": "cell 0 has no 'cell_type'",
    "cell_bad_source.ipynb": "cell 0",
    "latin1_bytes.ipynb": "not UTF-8",
    "nbformat2.ipynb": "too old",
    "nbformat9.ipynb": "newer than",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_WORDS))
def test_each_bad_file_gets_one_clear_line_and_exit_2(tmp_path, capsys, name):
    _bad_files(tmp_path)
    good = write(tmp_path / "good_notebook_here.ipynb", GOOD)
    code_, out, err = nbkit_cli(capsys, "lint", "--format", "json", str(tmp_path / name), str(good))
    assert code_ == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert name in lines[0] and EXPECTED_WORDS[name].lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["summary"]["notebooks"] == 2  # the good one was still linted
    assert [e["path"] for e in report["errors"]] == [str(tmp_path / name)]


def test_whole_folder_of_bad_files_lints_the_good_one(tmp_path, capsys):
    _bad_files(tmp_path)
    write(tmp_path / "sub" / "good_notebook_here.ipynb", nb(code("print(undefined_name)", count=1)))
    code_, out, err = nbkit_cli(capsys, "lint", "--format", "json", str(tmp_path))
    assert code_ == 2
    assert len(err.strip().splitlines()) == len(EXPECTED_WORDS)
    report = json.loads(out)
    assert any(f["path"].endswith("good_notebook_here.ipynb") for f in report["findings"])


def test_nbformat3_is_upgraded_and_linted(tmp_path, capsys):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "source": "Old title", "metadata": {}},
        {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "prompt_number": 1,
         "metadata": {}}], "metadata": {}}]}
    p = tmp_path / "old_format_notebook.ipynb"
    p.write_text(json.dumps(v3))
    code_, out, err = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBL001", str(p))
    assert err == ""
    assert code_ == 0, out
    assert json.loads(out)["summary"]["notebooks"] == 1


def test_missing_path_and_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code_, out, err = nbkit_cli(capsys, "lint", str(tmp_path / "nope.ipynb"), str(tmp_path / "empty"))
    assert code_ == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "nope.ipynb: no such file or directory" in lines[0]
    assert "empty: no notebooks" in lines[1]


def test_bad_config_key_exit_2_names_the_file(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.nbkit]\nprofil = "report"\n')
    write(tmp_path / "good_notebook_here.ipynb", GOOD)
    code_, out, err = nbkit_cli(capsys, "lint", str(tmp_path / "good_notebook_here.ipynb"))
    assert code_ == 2
    assert "pyproject.toml" in err and "profil" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("toml,words", [
    ('[tool.nbkit]\nprofile = "strict"\n', "profile"),
    ('[tool.nbkit.lint]\nselect = ["NBZ999"]\n', "NBZ999"),
    ('[tool.nbkit.lint]\nselect = "NBL"\nignore = 5\n', "ignore"),
    ('[tool.nbkit.rules.NBL001]\nnonsense = 1\n', "nonsense"),
    ('[tool.nbkit\nbroken', "invalid TOML"),
    ('[tool.nbkit.layout]\nsummery = ["x"]\n', "summery"),
    ('[tool.nbkit.pin]\nanything = 1\n', "unknown key tool.nbkit.pin.anything"),
    ('[tool.nbkit.guard]\nnope = 1\n', "unknown key tool.nbkit.guard.nope"),
    ('[tool.nbkit.policy]\nnope = 1\n', "unknown key tool.nbkit.policy.nope"),
    ('[tool.nbkit.server]\nport = 1\n', "unknown key tool.nbkit.server.port"),
])
def test_bad_config_values(tmp_path, capsys, toml, words):
    (tmp_path / "pyproject.toml").write_text(toml)
    write(tmp_path / "good_notebook_here.ipynb", GOOD)
    code_, _, err = nbkit_cli(capsys, "lint", str(tmp_path / "good_notebook_here.ipynb"))
    assert code_ == 2
    assert words in err and "pyproject.toml" in err and "Traceback" not in err


def test_unknown_cli_selector_is_a_usage_error(tmp_path, capsys):
    write(tmp_path / "good_notebook_here.ipynb", GOOD)
    code_, _, err = nbkit_cli(capsys, "lint", "--select", "XYZ", str(tmp_path))
    assert code_ == 2 and "XYZ" in err and "Traceback" not in err


def test_crashing_rule_becomes_a_finding(tmp_path, monkeypatch):
    import dataclasses

    from nbkit import rules as registry
    from nbkit.config import Config
    from nbkit.lint import lint_paths

    def boom(nb, ctx):
        raise KeyError("surprise")

    registry.all_rules()
    monkeypatch.setitem(registry._REGISTRY, "NBL001", dataclasses.replace(registry.get("NBL001"), check=boom))
    p = write(tmp_path / "good_notebook_here.ipynb", GOOD)
    q = write(tmp_path / "other_notebook_here.ipynb", GOOD)
    res = lint_paths([str(p), str(q)], Config(), select=["NBL001"])
    assert res.notebooks == 2 and not res.errors
    assert len(res.findings) == 2
    f = res.findings[0]
    assert f.code == "NBL001" and "crashed" in f.message and "KeyError" in f.message


def test_bad_rule_option_type_is_a_config_error(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.nbkit.rules.missing-title]\n')
    write(tmp_path / "good_notebook_here.ipynb", GOOD)
    from nbkit import rules as registry
    from nbkit.config import ConfigError, _check_option_type

    with pytest.raises(ConfigError, match="must be int"):
        _check_option_type("tool.nbkit.rules.x.max-lines", 30, "abc", "pyproject.toml")
    _check_option_type("tool.nbkit.rules.x.max-lines", 30, 40, "pyproject.toml")
    rule = next(r for r in registry.all_rules() if any(isinstance(v, int) for v in r.options.values()))
    opt = next(k for k, v in rule.options.items() if isinstance(v, int))
    (tmp_path / "pyproject.toml").write_text(f'[tool.nbkit.rules.{rule.name}]\n{opt} = "lots"\n')
    code_, _, err = nbkit_cli(capsys, "lint", str(tmp_path))
    assert code_ == 2 and opt in err and "pyproject.toml" in err


def test_empty_reserved_tables_are_accepted(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.pin]\n[tool.nbkit.server]\n")
    write(tmp_path / "good_notebook_here.ipynb", GOOD)
    code_, _, err = nbkit_cli(capsys, "lint", str(tmp_path / "good_notebook_here.ipynb"))
    assert code_ in (0, 1) and "pyproject.toml" not in err


# -- issue 11 item 8: inputs that used to abort the whole run with exit 3 -------------------------

def _hostile(tmp_path, kind: str):
    """A notebook nbkit cannot process (its path, and the words its one line must hold)."""
    if kind == "symlink_loop":
        a, b = tmp_path / "loop_a.ipynb", tmp_path / "loop_b.ipynb"
        a.symlink_to(b.name)
        b.symlink_to(a.name)
        return a, "symbolic link loop"
    p = tmp_path / f"{kind}.ipynb"
    if kind == "huge_integer":
        text = json.dumps(nb(md("# T"), metadata={"big": 1}), indent=1).replace('"big": 1', '"big": ' + "9" * 5000)
        p.write_text(text)
        return p, "integer longer than 4300 digits"
    if kind == "lone_surrogate":
        p.write_text(json.dumps(nb(md("# T"), code("s = '\ud800'"))))  # json.dumps escapes it: \ud800
        return p, "cell 1 (id cell1) contains a lone surrogate (\\ud800 in its source)"
    deep: dict = {}
    cur = deep
    for _ in range(900):
        cur["a"] = {}
        cur = cur["a"]
    p.write_text(json.dumps(nb(md("# T"), code("x = 1"), metadata={"deep": deep})))
    return p, "nested too deeply"


HOSTILE = ["huge_integer", "lone_surrogate", "symlink_loop", "nested_900_levels"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
@pytest.mark.parametrize("fix", [False, True], ids=["lint", "lint-fix"])
@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_notebook_first_on_the_line_is_one_line_and_the_rest_is_linted(tmp_path, capsys, kind, fix, fmt):
    bad, words = _hostile(tmp_path, kind)
    good = write(tmp_path / "good_notebook_here.ipynb", nb(md("# Title"), code("x = 1 \t", count=1)))
    before = bad.read_bytes() if kind != "symlink_loop" else None
    args = ["lint", "--format", fmt, *(["--fix"] if fix else []), str(bad), str(good)]
    rc, out, err = nbkit_cli(capsys, *args)
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == [f"nbkit: error: {bad}: " + lines[0].split(f"{bad}: ", 1)[-1]] and words in lines[0], err
    assert "Traceback" not in err and "internal error" not in err
    if fmt == "json":
        report = json.loads(out)
        assert [e["path"] for e in report["errors"]] == [str(bad)]
        assert any(f["path"] == str(good) for f in report["findings"])  # the good one was linted
    elif fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"] is not None and str(bad) in out
    else:
        assert "good_notebook_here.ipynb" in out
    if before is not None:
        assert bad.read_bytes() == before


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_notebook_first_on_the_line_is_invalid_and_the_rest_is_verified(tmp_path, capsys, kind):
    bad, words = _hostile(tmp_path, kind)
    good = write(tmp_path / "good_notebook_here.ipynb", nb(md("# Title")))
    rc, out, err = nbkit_cli(capsys, "verify", "--format", "json", str(bad), str(good))
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err and "could not verify" not in err
    report = json.loads(out)
    by_path = {n["path"]: n for n in report["notebooks"]}
    assert by_path[str(bad)]["status"] == "invalid" and words in by_path[str(bad)]["message"]
    assert by_path[str(good)]["status"] == "reproducible"
    # one stderr line names the file and the problem: a path found unusable before the run (the
    # symlink loop) as lint names it, one found unusable as it runs on its progress line
    lines = [ln for ln in err.splitlines() if str(bad) in ln]
    assert len(lines) == 1 and words in lines[0], err
    if kind == "symlink_loop":
        assert lines[0].startswith(f"nbkit: error: {bad}: "), err
    else:
        assert f"{bad}: invalid: " in lines[0], err


def test_symlink_loop_given_to_verify_is_named_on_stderr_and_the_others_are_verified(tmp_path):
    """Issue 11: `nbkit verify LOOP other.ipynb` (the real command, in a subprocess) prints one
    stderr line naming the loop, exits 2, and still verifies and reports the other notebooks."""
    import os
    import subprocess
    import sys

    loop = tmp_path / "loop.ipynb"
    loop.symlink_to(loop.name)
    good = write(tmp_path / "good_notebook_here.ipynb", nb(md("# Title"), code("print(6 * 7)", count=1,
                                                                               outputs=[stream("42\n")])))
    other = write(tmp_path / "other_notebook_here.ipynb", nb(md("# Title")))
    env = {**os.environ, "CI": "1"}
    p = subprocess.run([sys.executable, "-m", "nbkit", "verify", "loop.ipynb", good.name, other.name],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("nbkit: error:")]
    assert errors == ["nbkit: error: loop.ipynb: symbolic link loop (the link leads back to itself), "
                      "not a notebook"], p.stderr
    assert "Traceback" not in p.stderr
    # the others ran (their progress lines) and are in the report, as is the loop
    assert f"{good.name}: reproducible" in p.stderr and f"{other.name}: reproducible" in p.stderr, p.stderr
    assert "loop.ipynb  invalid" in p.stdout
    assert f"{good.name}  reproducible" in p.stdout and "1 cell reproduces" in p.stdout, p.stdout
    assert "3 notebooks verified: 2 reproducible, 1 invalid" in p.stdout, p.stdout
