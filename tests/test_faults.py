"""Issue 11: faults found by hostile testing, each closed with a real run of the CLI."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, write

GOOD = nb(md("# Title"), code("x = 1", count=1))
ROOT = Path(__file__).resolve().parents[1]


# -- item 2: --output naming an input ----------------------------------------------------------

def _spellings(tmp_path: Path, target: Path) -> list[str]:
    link = tmp_path / "link_to_it.ipynb"
    link.symlink_to(target)
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    return [str(target), str(sub / ".." / target.name), str(link)]


@pytest.mark.parametrize("command", ["lint", "verify"])
def test_output_that_resolves_to_an_input_is_refused(tmp_path, capsys, command):
    good = write(tmp_path / "good.ipynb", GOOD)
    before = good.read_bytes()
    for spelling in _spellings(tmp_path, good):
        for inputs in ([str(good)], [str(tmp_path)]):
            rc, _out, err = nbkit_cli(capsys, command, *inputs, "--format", "json", "--output", spelling)
            assert rc == 2, (spelling, inputs, err)
            assert "--output is an input" in err, err
            assert good.read_bytes() == before
            assert Path(spelling).read_bytes() == before


def test_output_beside_the_inputs_is_still_written(tmp_path, capsys):
    good = write(tmp_path / "good.ipynb", GOOD)
    rc, _out, err = nbkit_cli(capsys, "lint", str(tmp_path), "--format", "json", "-o", str(tmp_path / "report.json"))
    assert rc in (0, 1), err
    assert (tmp_path / "report.json").read_text().startswith("{")
    assert good.exists()


# -- item 19: --output checked before running; exit-3 reasons on stderr -----------------------

@pytest.mark.parametrize("command", ["lint", "verify"])
def test_output_folder_is_checked_before_anything_runs(tmp_path, capsys, command):
    good = write(tmp_path / "good.ipynb", GOOD)
    rc, _out, err = nbkit_cli(capsys, command, str(good), "-o", str(tmp_path / "nosuch" / "r.json"))
    assert rc == 2
    assert "folder for --output does not exist" in err
    assert "[1/1]" not in err  # nothing ran
    (tmp_path / "a_folder").mkdir()
    rc, _out, err = nbkit_cli(capsys, command, str(good), "-o", str(tmp_path / "a_folder"))
    assert rc == 2 and "a_folder" in err and "directory" in err


def test_exit_3_reason_also_reaches_stderr_with_output(tmp_path, capsys):
    good = write(tmp_path / "good.ipynb", GOOD)
    out_file = tmp_path / "report.json"
    rc, _out, err = nbkit_cli(capsys, "verify", str(good), "--kernel", "nosuch", "-o", str(out_file),
                              "--format", "json")
    assert rc == 3
    assert "no kernel named 'nosuch'" in err, err
    assert "good.ipynb" in err
    assert "no kernel named 'nosuch'" in out_file.read_text()


# -- item 9: an unreadable file named on the command line --------------------------------------

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _drop_file_permission_override() -> None:  # pragma: no cover - runs in the child
    """As root, give up the capabilities that ignore file permissions (then exec): the child is
    root that obeys mode bits, so a mode-000 file is unreadable to it like to any other user."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run_unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "NO_COLOR": "1", "CI": "1"}
    return subprocess.run([sys.executable, "-m", "nbkit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=_drop_file_permission_override)


@pytest.mark.parametrize("command", [["lint"], ["pin", "--check"]])
def test_unreadable_file_on_the_command_line_is_one_line_and_the_rest_runs(tmp_path, command):
    secret = write(tmp_path / "secret.ipynb", GOOD)
    good = write(tmp_path / "good.ipynb", GOOD)
    secret.chmod(0)
    try:
        named = _run_unprivileged([*command, secret.name, good.name], tmp_path)
        found = _run_unprivileged([*command, "."], tmp_path)
    finally:
        secret.chmod(0o644)
    for run in (named, found):
        assert run.returncode == 2, run.stderr
        lines = [ln for ln in run.stderr.splitlines() if "secret.ipynb" in ln]
        assert len(lines) == 1, run.stderr
        assert "Permission denied" in lines[0]
        assert "Usage:" not in run.stderr
        if command == ["lint"]:
            assert "2 notebooks checked" in run.stdout and "1 unreadable input" in run.stdout
        else:
            assert "good.ipynb" in run.stdout + run.stderr.replace(lines[0], "")


# -- item 24: help lists exit codes ------------------------------------------------------------

def test_lint_help_lists_exit_codes(capsys):
    rc, out, _err = nbkit_cli(capsys, "lint", "--help")
    assert rc == 0
    flat = " ".join(out.split())
    assert "Exit codes: 0 " in flat and "; 2 usage or input error" in flat and "; 3 " in flat


# -- item 18: suggested commands name the path as the user gave it, shell-quoted ---------------

def test_suggested_pin_command_can_be_pasted_from_where_lint_ran(tmp_path, capsys, monkeypatch):
    import json
    import shlex

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    write(tmp_path / "my reports" / "quarterly churn review.ipynb", GOOD)
    for given in ("my reports", "./my reports/", str(tmp_path / "my reports")):
        rc, out, err = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBR007", given)
        (finding,) = json.loads(out)["findings"]
        command = finding["message"].split("`")[1]
        words = shlex.split(command)
        assert words[:2] == ["nbkit", "pin"] and len(words) == 3, command
        assert Path(words[2]).is_file(), command
        assert words[2] == finding["path"]


# -- item 24: NBR001 names what exists; an empty folder is not an unreadable input ------------

def test_nbr001_says_the_pyproject_declares_no_dependencies_and_names_the_root(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit]\nprofile = 'report'\n")
    write(tmp_path / "analysis" / "churn_drivers_q3.ipynb", nb(md("# T"), code("import pandas as pd", count=1)))
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBR001", "analysis")
    (finding,) = json.loads(out)["findings"]
    msg = finding["message"]
    assert "pyproject.toml declares no dependencies" in msg, msg
    assert "(requirements*.txt, pyproject.toml" not in msg
    assert "project root (the current folder)" in msg and " ..;" not in msg and "(..)" not in msg
    monkeypatch.chdir(tmp_path / "analysis")
    rc, out, _ = nbkit_cli(capsys, "lint", "--format", "json", "--select", "NBR001", ".")
    (finding,) = json.loads(out)["findings"]
    assert "../pyproject.toml declares no dependencies" in finding["message"]
    assert "project root (..)" in finding["message"]


def test_empty_folder_is_not_counted_as_an_unreadable_input(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    good = write(tmp_path / "good.ipynb", GOOD)
    rc, out, err = nbkit_cli(capsys, "lint", str(tmp_path / "empty"), str(good))
    assert rc == 2 and "empty: no notebooks" in err
    assert "unreadable" not in out
    assert "0 info; 1 folder without notebooks\n" in out, out


@pytest.mark.kernel
def test_verify_junit_failure_text_does_not_repeat_its_message(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    bad = write(tmp_path / "raises_an_error.ipynb", nb(md("# T"), code("1/0", count=1)))
    rc, out, err = nbkit_cli(capsys, "verify", "--format", "junit", str(bad))
    assert rc == 1, err
    (case,) = ET.fromstring(out).findall(".//testcase")
    failure = case.find("failure")
    lines = failure.text.splitlines()
    assert failure.get("message") not in lines
    assert len(lines) == len(set(lines)), lines
    assert "ZeroDivisionError" in failure.text


# -- item 10: each notebook under its nearest [tool.nbkit] --------------------------------------

def _two_projects(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.nbkit.lint]\nignore = ["NBD004"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.nbkit.lint]\nignore = ["NBH013"]\n')
    top = write(tmp_path / "top.ipynb", GOOD)
    below = write(tmp_path / "sub" / "low.ipynb", GOOD)
    return top, below


def _codes_by_path(out: str) -> dict[str, set[str]]:
    import json

    got: dict[str, set[str]] = {}
    for f in json.loads(out)["findings"]:
        got.setdefault(Path(f["path"]).name, set()).add(f["code"])
    return got


def test_each_notebook_uses_the_nearest_config_whatever_the_order(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    top, below = _two_projects(tmp_path)
    rc1, out1, _ = nbkit_cli(capsys, "lint", "--format", "json", "top.ipynb", "sub/low.ipynb")
    rc2, out2, _ = nbkit_cli(capsys, "lint", "--format", "json", "sub/low.ipynb", "top.ipynb")
    rc3, out3, _ = nbkit_cli(capsys, "lint", "--format", "json", ".")
    first, second, whole = _codes_by_path(out1), _codes_by_path(out2), _codes_by_path(out3)
    assert first == second == whole
    assert "NBH013" in first["top.ipynb"] and "NBD004" not in first["top.ipynb"]
    assert "NBD004" in first["low.ipynb"] and "NBH013" not in first["low.ipynb"]


@pytest.mark.parametrize("command", [["lint"], ["pin", "--check"]])
def test_an_invalid_config_is_an_error_for_the_notebooks_under_it_only(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    _two_projects(tmp_path)
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.nbkit]\nprofile = 'nosuch'\n")
    for order in (["top.ipynb", "sub/low.ipynb"], ["sub/low.ipynb", "top.ipynb"], ["."]):
        rc, out, err = nbkit_cli(capsys, *command, *order)
        assert rc == 2, err
        lines = [ln for ln in err.splitlines() if "pyproject.toml" in ln]
        assert len(lines) == 1, err
        assert "sub/pyproject.toml" in lines[0] and "profile" in lines[0] and "1 notebook under it" in lines[0]
        assert "low.ipynb" not in out + err.replace(lines[0], "")
        if command == ["lint"]:
            assert out.startswith("top.ipynb") and "1 notebook checked" in out, out
        else:
            assert "top.ipynb" in out + err


# -- item 12: a cell that cannot be sent is not "the kernel died" ---------------------------------

@pytest.mark.kernel
def test_a_cell_that_cannot_be_sent_is_reported_as_such_and_the_kernel_lives_on(tmp_path):
    import asyncio

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from nbkit.verify.execute import KernelKey, run_cells, start_kernel
    from nbkit.verify.settings import VerifySettings
    from nbkit.verify.verdict import failure_result

    # a lone surrogate cannot come from a file (the model refuses it, see test_bad_input.py); it
    # can from a notebook built in memory, e.g. by a caller of the library
    node = nbformat.from_dict(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("s = 'a\ud800'\nprint(s)"),
                                                  new_code_cell("print(x)")]))

    async def go():
        k = await start_kernel(KernelKey("python3", str(tmp_path)))
        try:
            res = await run_cells(k, node, [0, 1, 2], timeout=60)
            alive = await k.kc.execute_interactive("print(x + 1)", timeout=30, output_hook=lambda m: None)
            return res, alive["content"]["status"]
        finally:
            await k.kill()

    res, after = asyncio.run(go())
    assert res.status == "unsendable" and res.stopped_at == 1 and after == "ok"
    run = res.cells[1]
    assert "lone surrogate (\\ud800 on line 1)" in run.reason
    cell = type("C", (), {"index": 1, "id": "c1"})()
    msg = failure_result(cell, run, 60, VerifySettings()).message
    assert msg.startswith("cannot be sent to the kernel: it contains a lone surrogate") and "died" not in msg


# -- item 24: Ctrl-C, with a real process and a real SIGINT -------------------------------------

def _nbkit_process(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "nbkit", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
@pytest.mark.parametrize("cache", ["", "--no-cache"])
def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(tmp_path, delay, cache):
    """A Ctrl-C from the moment nbkit's first lines have run (before them, Python itself is
    starting: a traceback from `site` or `io` is the interpreter's, whatever the program), through
    its imports and the lint: one line or a normal exit, never a traceback.  The child runs with
    `-X importtime`, whose line for `nbkit._version` says that nbkit/__init__.py has got that far;
    both fast paths of `nbkit lint NOTEBOOK` (warm, and `--no-cache`) start differently from the
    click command."""
    import signal
    import time

    write(tmp_path / "good.ipynb", GOOD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "nbkit", "lint", *([cache] if cache else []),
                             "good.ipynb"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    before = []
    for line in proc.stderr:  # (blocks until the child writes, or exits)
        before.append(line)
        if line.rstrip().endswith("nbkit._version"):
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    err = "".join(before) + err
    assert any(ln.rstrip().endswith("nbkit._version") for ln in before), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode in (130, -2, 0, 1), (proc.returncode, err)  # 0/1: it had finished already


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("presses", [1, 4])
def test_ctrl_c_while_verifying_cancels_without_a_traceback_and_names_unstarted_notebooks_cancelled(tmp_path,
                                                                                                    presses):
    import signal
    import time

    started = tmp_path / "started"
    for i in range(3):
        write(tmp_path / f"slow_{i}.ipynb", nb(md("# T"), code(
            f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(60)")))
    proc = _nbkit_process("verify", "slow_0.ipynb", "slow_1.ipynb", "slow_2.ipynb", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert started.exists(), proc.communicate(timeout=30)
    for _ in range(presses):  # a second (third, fourth) Ctrl-C while nbkit stops its kernel
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "failed (0.0 s)" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("nbkit verify: [")]
    assert all(ln.endswith(": cancelled") for ln in lines), err
