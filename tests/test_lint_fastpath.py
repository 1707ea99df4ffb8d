"""`nbkit lint NOTEBOOK` of an unchanged notebook is answered from the lint cache before click,
rich, the configuration loader or the rules are imported (nbkit/cli/fastlint.py,
nbkit/lintrecord.py, nbkit/report/lint_text.py); the answer is the normal path's, byte for byte,
with the same exit status, and anything that could change it sends the run down the normal path."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbbuild import code, md, nb, result, write
from nbkit.findings import Finding, Severity
from nbkit.lintresult import LintResult
from nbkit.report.lint_reports import render_text
from nbkit.report.lint_text import render_cached

REPO = Path(__file__).resolve().parent.parent


def _finding(**kw) -> Finding:
    base = dict(path="nb.ipynb", code="NBR004", name="unseeded-random", severity=Severity.ERROR,
                message="np.random.rand is used before numpy is seeded")
    return Finding(**{**base, **kw})


CASES = [
    [],
    [_finding()],
    [_finding(cell_index=3, cell_id="a1b2", line=2, fixable=True),
     _finding(code="NBH001", name="x-y", severity=Severity.WARNING, message="m [bold]x[/] :smile: é 漢字 🙂",
              cell_index=0),
     _finding(code="NBD001", name="no-title", severity=Severity.INFO, message="[*] 100% `code`", line=4),
     _finding(severity=Severity.INFO, cell_index=7, cell_id="", line=0, fixable=True)],
]


@pytest.mark.parametrize("findings", CASES)
@pytest.mark.parametrize("color", [False, True])
def test_plain_renderer_is_byte_identical_to_the_rich_report(findings, color):
    res = LintResult(findings=findings, paths=["dir/my notebook.ipynb"], notebooks=1)
    for f in findings:
        f.path = "dir/my notebook.ipynb"
    entries = [{k: v for k, v in f.to_dict().items() if k != "path"} for f in findings]
    assert render_cached("dir/my notebook.ipynb", entries, color) == render_text(res, color=color)


@pytest.mark.parametrize("message", ["tab\there", "line\nbreak", "bell\a", "cr\rx", "esc\x1b[31m", "nel\x85"])
def test_text_the_plain_renderer_cannot_copy_goes_to_the_full_renderer(message):
    entries = [{k: v for k, v in _finding(message=message).to_dict().items() if k != "path"}]
    assert render_cached("nb.ipynb", entries, False) is None


# -- end to end: the real console script in a fresh interpreter ------------------------------------

def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NBKIT_CACHE_DIR", "NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _lint(cwd: Path, *args: str, env: dict | None = None) -> tuple[int, str, bool]:
    """(exit status, stdout, whether the normal command line ran: click was imported)."""
    code_, out, imported = _lint_imports(cwd, *args, env=env)
    return code_, out, bool(imported & {"click", "rich.console"})


def _lint_imports(cwd: Path, *args: str, env: dict | None = None) -> tuple[int, str, set[str]]:
    """(exit status, stdout, the modules the run imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "from nbkit.cli import run; run()", "lint",
                           *args], cwd=cwd, capture_output=True, text=True, env=env or _env(), timeout=120)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    return proc.returncode, proc.stdout, imported


def _project(tmp_path: Path, table: str = "") -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n{table}", encoding="utf-8")
    (tmp_path / "nbs").mkdir()
    write(tmp_path / "nbs" / "analysis.ipynb",
          nb(md("# Analysis"), code("import numpy as np\nx = np.random.rand(3)\nprint(x)\t", count=1,
                                    outputs=[result("1")]),
             code("import os\nos.chdir('/tmp')", count=3)))
    return tmp_path


def test_second_run_is_answered_without_click_or_rich_and_equals_the_normal_report(tmp_path):
    root = _project(tmp_path)
    path = "nbs/analysis.ipynb"
    first = _lint(root, path)
    second = _lint(root, path)
    third = _lint(root, path)
    assert first[2] and first[0] == 1 and "NBR004" in first[1]
    assert not third[2], "the unchanged notebook went down the normal path"
    assert first[:2] == second[:2] == third[:2]
    assert (root / ".nbkit_cache" / "lint" / "runs").is_dir()


def test_the_answer_judges_the_records_copy_of_the_entry_without_opening_the_database(tmp_path):
    """The record keeps a copy of the notebook's cache entry: the answer does not import sqlite3
    (a seventh of its time) and still sees every change; once the notebook has settled (two
    seconds), the copy is kept trusted and later answers read no notebook; a record without a
    copy (an older nbkit's) asks the database."""
    import json as json_
    import time

    root = _project(tmp_path)
    path = "nbs/analysis.ipynb"
    first = _lint(root, path)
    assert first[2]
    [record_file] = (root / ".nbkit_cache" / "lint" / "runs").iterdir()
    assert json_.loads(json_.loads(record_file.read_text())["entry"])["trusted"] is False  # just written
    time.sleep(2.2)  # the notebook has settled (git's "racily clean" rule)
    code_, out, imported = _lint_imports(root, path)
    assert (code_, out) == first[:2] and "sqlite3" not in imported and "click" not in imported
    assert json_.loads(json_.loads(record_file.read_text())["entry"])["trusted"] is True  # kept trusted
    code_, out, imported = _lint_imports(root, path)
    assert (code_, out) == first[:2] and not imported & {"sqlite3", "hashlib", "click"}  # the notebook not read
    # the notebook changes: the copy does not vouch for it, the normal path lints
    nb_path = root / path
    nb_path.write_text(nb_path.read_text().replace("np.random.rand(3)", "np.random.rand(4)"))
    changed = _lint(root, path)
    assert changed[2] and changed[0] == 1
    # an older record without a copy: the answer asks the database
    record = json_.loads(record_file.read_text())
    del record["entry"]
    record_file.write_text(json_.dumps(record))
    code_, out, imported = _lint_imports(root, path)
    assert (code_, out) == changed[:2] and "sqlite3" in imported and "click" not in imported


@pytest.mark.parametrize("change", ["notebook", "config", "new-pyproject", "threshold", "other-spelling",
                                    "other-folder", "no-color", "ascii-output"])
def test_anything_that_could_change_the_answer_takes_the_normal_path(tmp_path, change):
    root = _project(tmp_path, "[tool.nbkit]\nignore = ['NBH']\n")
    path = "nbs/analysis.ipynb"
    cwd = root
    env = None
    _lint(root, path)
    assert not _lint(root, path)[2]
    if change == "notebook":
        nbp = root / path
        data = json.loads(nbp.read_text(encoding="utf-8"))
        data["cells"][1]["source"] = "import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)\n"
        nbp.write_text(json.dumps(data), encoding="utf-8")
    elif change == "config":
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.nbkit]\nignore = ['NBR004']\n",
                                             encoding="utf-8")
    elif change == "new-pyproject":  # a nearer pyproject.toml configures the notebook now
        (root / "nbs" / "pyproject.toml").write_text("[tool.nbkit]\nignore = ['NBR']\n", encoding="utf-8")
    elif change == "threshold":
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.nbkit]\nignore = ['NBH']\n"
                                             "fail-on = 'info'\n", encoding="utf-8")
    elif change == "other-spelling":
        path = "./nbs/analysis.ipynb"
    elif change == "other-folder":
        cwd, path = root / "nbs", "analysis.ipynb"
    elif change == "no-color":
        env = _env(NO_COLOR="1")
    elif change == "ascii-output":  # click's output for an ASCII stream is the normal path's business
        env = _env(PYTHONIOENCODING="ascii:backslashreplace")
    code_, out, normal = _lint(cwd, path, env=env)
    if change != "no-color":
        assert normal, "a run whose answer may differ was answered from the record"
    # whatever path it took, the answer is the one a run without any cache gives
    expect = subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", "--no-cache", path],
                            cwd=cwd, capture_output=True, text=True, env=env or _env(), timeout=120)
    assert (code_, out) == (expect.returncode, expect.stdout)
    again = _lint(cwd, path, env=env)
    assert again[:2] == (code_, out)
    assert again[2] is (change == "ascii-output")  # the next run is fast again (not for an ASCII stdout)


def test_fail_on_from_the_configuration_sets_the_fast_exit_status(tmp_path):
    root = _project(tmp_path, "[tool.nbkit]\nselect = ['NBR009']\nfail-on = 'info'\n")
    (root / "nbs" / "analysis.ipynb").write_text(json.dumps(nb(md("# T"), code("x = 1", count=1))),
                                                 encoding="utf-8")
    runs = [_lint(root, "nbs/analysis.ipynb") for _ in range(3)]
    assert runs[0][0] == 0 and "0 errors" in runs[0][1]
    assert not runs[2][2] and {r[:2] for r in runs} == {runs[0][:2]}


def _lint_on_a_terminal(cwd: Path, path: str, *options: str) -> bytes:
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", *options, path],
                                cwd=cwd, stdout=follower, stderr=subprocess.DEVNULL, env=_env(TERM="xterm"))
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=120)
    finally:
        os.close(leader)
    return b"".join(chunks)


def test_on_a_terminal_the_colours_are_the_normal_reports(tmp_path):
    root = _project(tmp_path)
    outs = [_lint_on_a_terminal(root, "nbs/analysis.ipynb") for _ in range(3)]
    assert b"\x1b[1;31merror\x1b[0m" in outs[0]
    assert outs[0] == outs[1] == outs[2]
    assert not _lint(root, "nbs/analysis.ipynb")[2]  # (the terminal runs left a record behind)


def test_a_folder_on_a_terminal_has_the_normal_reports_colours(tmp_path):
    root = _folder_project(tmp_path)
    outs = [_lint_on_a_terminal(root, "nbs") for _ in range(2)]  # filling the cache, then from it
    assert not _lint(root, "nbs")[2]  # (answered from the cache: what the second terminal run was)
    normal = subprocess.run(  # the normal path on a terminal (NBKIT_DEBUG: no fast path)
        [sys.executable, "-c", "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
         sys.executable, "-c", "from nbkit.cli import run; run()", "lint", "nbs"],
        cwd=root, capture_output=True, env=_env(TERM="xterm", NBKIT_DEBUG="1"), timeout=120).stdout
    assert b"\x1b[1;31merror\x1b[0m" in outs[0]
    assert outs[0] == outs[1] == normal


def test_a_record_vouches_only_for_the_configuration_the_run_used(tmp_path):
    """remember() judges the pyproject.toml files from the bytes it digests: when the file no
    longer gives the configuration the lint ran with (edited while it ran), no record is kept."""
    from nbkit.config import load_config
    from nbkit.lintrecord import recall, remember

    root = _project(tmp_path, "[tool.nbkit]\nignore = ['NBH']\n")
    nbp = str(root / "nbs" / "analysis.ipynb")
    used = load_config(nbp)
    res = LintResult(findings=[], paths=[nbp], notebooks=1)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.nbkit]\nignore = ['NBR']\n", encoding="utf-8")
    remember(nbp, res, used, used.fail_on, (None, [], None))
    assert not (root / ".nbkit_cache" / "lint" / "runs").exists()
    fresh = load_config(nbp)
    remember(nbp, res, fresh, fresh.fail_on, (None, [], None))
    assert len(list((root / ".nbkit_cache" / "lint" / "runs").iterdir())) == 1
    assert recall(nbp) is None  # a record, but no cache entry for the notebook: the normal path lints


# -- `nbkit lint --no-cache NOTEBOOK`: linted without click -----------------------------------------

@pytest.mark.parametrize("order", ["option-first", "option-last"])
def test_no_cache_run_skips_click_and_equals_the_normal_report(tmp_path, order):
    root = _project(tmp_path, "[tool.nbkit]\nignore = ['NBH']\n")
    path = "nbs/analysis.ipynb"
    args = ("--no-cache", path) if order == "option-first" else (path, "--no-cache")
    code_, out, normal = _lint(root, *args)
    assert not normal, "click was imported"
    assert code_ == 1 and "NBR004" in out and "NBH" not in out
    # --format text: the same report through click
    full = _lint(root, "--no-cache", "--format", "text", path)
    assert full[2] and full[:2] == (code_, out)
    assert not (root / ".nbkit_cache").exists()


@pytest.mark.parametrize("problem", ["invalid-json", "bad-config"])
def test_no_cache_run_of_a_bad_input_is_reported_by_the_normal_path(tmp_path, problem):
    root = _project(tmp_path)
    path = "nbs/analysis.ipynb"
    if problem == "invalid-json":
        (root / path).write_text("{not json", encoding="utf-8")
    else:
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.nbkit]\nselect = 3\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "from nbkit.cli import run; run()", "lint",
                           "--no-cache", path], cwd=root, capture_output=True, text=True, env=_env(), timeout=120)
    messages = [line for line in proc.stderr.splitlines() if not line.startswith("import time:")]
    assert proc.returncode == 2
    assert len(messages) == 1 and messages[0].startswith("nbkit: error: ")
    assert ("analysis.ipynb" if problem == "invalid-json" else "pyproject.toml") in messages[0]
    assert any(line.rsplit("|", 1)[-1].strip() == "click" for line in proc.stderr.splitlines())


def test_no_cache_run_on_a_terminal_has_the_normal_reports_colours(tmp_path):
    root = _project(tmp_path)
    fast = _lint_on_a_terminal(root, "nbs/analysis.ipynb", "--no-cache")
    normal = _lint_on_a_terminal(root, "nbs/analysis.ipynb", "--no-cache", "--format", "text")
    assert b"\x1b[1;31merror\x1b[0m" in fast
    assert fast == normal


# -- `nbkit lint PATH... --format F [-o FILE]` of unchanged notebooks: answered without click -------

def _folder_project(tmp_path: Path) -> Path:
    # the reports go outside the project (../): a new file in a folder the lint cache lists (the
    # notebooks' folders up to the root) changes every notebook's key once (a report counts by its
    # name only: tests/test_lint_cache.py), and the second run here has to hit
    (tmp_path / "proj").mkdir()
    root = _project(tmp_path / "proj")
    write(root / "nbs" / "second.ipynb", nb(md("# Second"), code("import pandas as pd\ndf = pd.read_csv('/data/x.csv')",
                                                                 count=1)))
    (root / "nbs" / "sub").mkdir()
    write(root / "nbs" / "sub" / "third.ipynb", nb(md("# Third\n\nNo code.")))
    return root


def _normal(cwd: Path, *args: str) -> tuple[int, str]:
    """The normal command line's answer (NBKIT_DEBUG turns every fast path off)."""
    proc = subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", *args], cwd=cwd,
                          capture_output=True, text=True, env=_env(NBKIT_DEBUG="1"), timeout=120)
    return proc.returncode, proc.stdout


@pytest.mark.parametrize("args", [
    ["nbs", "--format", "json", "-o", "../report.json"],
    ["--output=../report.json", "--format=sarif", "nbs"],
    ["nbs/analysis.ipynb", "nbs/second.ipynb", "--format", "junit", "--output", "../report.xml"],
    ["nbs", "--format", "json"],
    ["nbs", "--format", "github"],
    ["nbs/sub", "nbs/analysis.ipynb", "--format", "sarif", "-o", "-"],
    ["nbs"],  # the text report
    ["nbs/analysis.ipynb", "nbs/second.ipynb"],  # pre-commit's command line
    ["nbs", "--format", "text", "-o", "../report.txt"],
    ["--format=text", "nbs/sub/third.ipynb", "nbs"],
])
def test_reports_are_linted_or_answered_without_click_and_equal_the_normal_ones(tmp_path, args):
    root = _folder_project(tmp_path)
    first = _lint_imports(root, *args)
    out_file = next((a.split("=", 1)[1] if "=" in a else args[i + 1] for i, a in enumerate(args)
                     if a in ("-o", "--output") or a.startswith("--output=")), None)
    written = (root / out_file).read_bytes() if out_file and out_file != "-" else None
    second = _lint_imports(root, *args)
    assert "nbkit.lint" in first[2] and "click" not in first[2], "the first run (cache empty) lints, without click"
    assert not second[2] & {"click", "nbkit.lint"}, "the unchanged notebooks were linted again"
    assert second[:2] == first[:2] and first[0] == 1
    if written is not None:
        assert (root / out_file).read_bytes() == written
    expect = _normal(root, *args)
    assert expect == first[:2]
    if written is not None:
        assert (root / out_file).read_bytes() == written


@pytest.mark.parametrize("args", [
    ["nbs", "--fix"], ["nbs", "--no-cache"], ["--help"], ["nbs", "--format", "json", "--select", "NBR"],
    ["nbs", "--format", "json", "-j", "1"],
    ["nbs", "--format", "json", "--format", "sarif"], ["nbs", "--format", "json", "-oreport.json"],
    ["nbs", "--format", "json", "-o", "-x"], ["nbs", "--format", "yaml"], ["--format", "json"],
])
def test_other_command_lines_are_not_answered_by_the_report_fast_path(args):
    from nbkit.cli.fastlint import report_options

    assert report_options(["lint", *args]) is None


def test_a_text_run_of_one_notebook_linted_by_the_fast_path_leaves_the_record_the_normal_one_leaves(tmp_path):
    root = _project(tmp_path)
    first = _lint_imports(root, "--format", "text", "nbs/analysis.ipynb")
    assert "nbkit.lint" in first[2] and "click" not in first[2]
    assert (root / ".nbkit_cache" / "lint" / "runs").is_dir()
    plain = _lint_imports(root, "nbs/analysis.ipynb")  # answered from the record (nbkit.lintrecord)
    assert "nbkit.lintrecord" in plain[2] and not plain[2] & {"click", "nbkit.lint", "nbkit.requests"}
    assert plain[:2] == first[:2] and first[0] == 1


def test_a_changed_notebook_is_linted_again_and_an_error_goes_down_the_normal_path(tmp_path):
    root = _folder_project(tmp_path)
    args = ["nbs", "--format", "json", "-o", "../report.json"]
    _lint(root, *args)
    assert not _lint(root, *args)[2]
    nbp = root / "nbs" / "second.ipynb"
    data = json.loads(nbp.read_text(encoding="utf-8"))
    data["cells"][1]["source"] = "import pandas as pd\ndf = pd.read_csv('data/x.csv')"
    nbp.write_text(json.dumps(data), encoding="utf-8")
    changed = _lint_imports(root, *args)
    assert "nbkit.lint" in changed[2], "a changed notebook was answered from the cache"
    assert "click" not in changed[2]  # (linted by the fast path)
    after = (root / "../report.json").read_bytes()
    assert _normal(root, *args)[0] == changed[0]
    assert (root / "../report.json").read_bytes() == after  # the normal path's report, byte for byte
    assert b"/data/x.csv" not in after and b"data/x.csv" in after
    assert not _lint(root, *args)[2]  # filled again: fast next time
    assert (root / "../report.json").read_bytes() == after
    (root / "nbs" / "broken.ipynb").write_text("{not json", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-X", "importtime", "-c", "from nbkit.cli import run; run()", "lint",
                             *args], cwd=root, capture_output=True, text=True, env=_env(), timeout=120)
    assert broken.returncode == 2 and "broken.ipynb" in broken.stderr and "not valid JSON" in broken.stderr
    assert any(line.rsplit("|", 1)[-1].strip() == "click" for line in broken.stderr.splitlines()
               if line.startswith("import time:"))
    # the same with nothing cached: linted by the fast path, then reported by the normal one
    shutil.rmtree(root / ".nbkit_cache")
    text_args = ["nbs"]
    cold = subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", *text_args], cwd=root,
                          capture_output=True, text=True, env=_env(), timeout=120)
    normal = subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", *text_args], cwd=root,
                            capture_output=True, text=True, env=_env(NBKIT_DEBUG="1"), timeout=120)
    assert cold.returncode == normal.returncode == 2
    assert (cold.stdout, cold.stderr) == (normal.stdout, normal.stderr)
    assert "broken.ipynb" in cold.stderr and "NBR004" in cold.stdout


def test_an_output_that_is_an_input_is_refused_as_the_normal_path_refuses_it(tmp_path):
    root = _folder_project(tmp_path)
    _lint(root, "nbs", "--format", "json", "-o", "../report.json")
    before = (root / "nbs" / "second.ipynb").read_bytes()
    proc = subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", "nbs", "--format", "json",
                           "-o", "nbs/second.ipynb"], cwd=root, capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 2 and "--output is an input" in proc.stderr
    assert (root / "nbs" / "second.ipynb").read_bytes() == before


# -- what the fast paths say when printing fails or Ctrl-C comes: what the click command says --------

def _lint_to(cwd: Path, stdout, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", "lint", *args], cwd=cwd,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, env=_env(), timeout=120)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_standard_output_is_the_normal_paths_internal_error(tmp_path):
    root = _folder_project(tmp_path)
    with open("/dev/full", "w") as full:
        fast = [_lint_to(root, full, "nbs") for _ in range(2)]  # linted, then from the cache
        normal = _lint_to(root, full, "nbs", "--jobs", "0")  # (an option: the click command)
    for proc in (*fast, normal):
        assert proc.returncode == 3
        assert proc.stderr == ("nbkit: error: internal error: OSError: [Errno 28] No space left on device "
                               "(run `nbkit --debug ...` for the traceback)\n")


def test_a_closed_pipe_exits_as_the_normal_path(tmp_path):
    root = _folder_project(tmp_path)
    codes = []
    for args in (["nbs"], ["nbs"], ["nbs", "--jobs", "0"], ["nbs", "--format", "json"]):
        reader, writer = os.pipe()
        os.close(reader)  # nobody reads: the first write fails with EPIPE
        try:
            proc = _lint_to(root, writer, *args)
        finally:
            os.close(writer)
        assert "Traceback" not in proc.stderr and proc.stderr == ""
        codes.append(proc.returncode)
    assert codes == [1, 1, 1, 1]  # (click exits 1 there)


def test_ctrl_c_in_a_fast_path_is_said_as_the_click_command_says_it(capfd):
    from nbkit.cli.fastlint import _guarded

    def interrupted():
        raise KeyboardInterrupt

    assert _guarded(interrupted) == 130
    assert capfd.readouterr().err == "\nnbkit: aborted\n"  # click's Abort, then handle_errors' words
    # a lint worker forked inside the attempt that unwinds that far leaves quietly: the parent
    # speaks for the run
    parent = os.getpid()

    def forks_a_worker_that_is_interrupted():
        child = os.fork()
        if child == 0:
            raise KeyboardInterrupt
        _, status = os.waitpid(child, 0)
        return "", os.waitstatus_to_exitcode(status)

    got = _guarded(forks_a_worker_that_is_interrupted)
    if os.getpid() != parent:  # pragma: no cover - the child came back: fail without running on
        os._exit(99)
    assert got == ("", 130)
    assert capfd.readouterr().err == ""
