"""The ``%nbkit`` magics, run in real kernels (jupyter_client, nbclient) and a real IPython terminal."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from clihelp import nbkit_cli
from kernelrun import Run, output_of
from test_pin import strip_nbkit

NUMPY = version("numpy")
SEED_CELL = ("rng = %nbkit seed 7\nimport random\nimport numpy as np\n"
             "print(random.random(), np.random.rand(), rng.random())")


def expected_numbers(seed: int) -> str:
    random.seed(seed)
    np.random.seed(seed)
    return f"{random.random()} {np.random.rand()} {np.random.default_rng(seed).random()}"


def seeded_notebook(path: Path) -> Path:
    notebook = new_notebook(cells=[
        new_markdown_cell("# Seeded analysis"),
        new_code_cell("%load_ext nbkit"),
        new_code_cell(SEED_CELL),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, str(path))
    return path


def run(kc, source: str) -> Run:
    outputs: list[dict] = []

    def hook(msg):
        out = output_of(msg)
        if out is not None:
            outputs.append(out)

    reply = kc.execute_interactive(source, output_hook=hook, timeout=120)
    r = Run(reply, outputs)
    assert reply["content"]["status"] == "ok" and not r.errors, (source, r.errors, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.fixture
def notebook_kernel(tmp_path):
    """A real kernel started the way jupyter_server starts one for a notebook (JPY_SESSION_NAME)."""
    from jupyter_client import KernelManager

    path = seeded_notebook(tmp_path / "seeded_analysis.ipynb")
    km = KernelManager(kernel_name="python3")
    env = {k: v for k, v in os.environ.items() if k not in ("NBKIT_SEED", "PYTHONHASHSEED")}
    km.start_kernel(cwd=str(tmp_path), env={**env, "JPY_SESSION_NAME": str(path)})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield kc, path
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.kernel
def test_magics_in_a_notebook_kernel(notebook_kernel, capsys):
    kc, path = notebook_kernel
    original = path.read_text(encoding="utf-8")
    run(kc, "%load_ext nbkit")

    # %nbkit seed 7 twice: identical numbers, the same as any other process seeded with 7
    first, second = run(kc, SEED_CELL), run(kc, SEED_CELL)
    assert "nbkit: seeded random, numpy (legacy global state) with 7" in first.stdout
    numbers = first.stdout.strip().splitlines()[-1]
    assert numbers == second.stdout.strip().splitlines()[-1] == expected_numbers(7)
    mods = run(kc, "import sys; print(sorted(m for m in ('torch', 'tensorflow', 'jax') if m in sys.modules))")
    assert mods.stdout.strip() == "[]"  # nothing that is not installed gets imported

    # %nbkit pin writes the kernel's environment and the seed into the saved notebook, and nothing else
    r = run(kc, "%nbkit pin")
    assert f"pinned {path.name}" in r.stdout and f"numpy {NUMPY}" in r.stdout and "seed 7" in r.stdout
    after = path.read_text(encoding="utf-8")
    assert strip_nbkit(after) == original
    meta = json.loads(after)["metadata"]["nbkit"]
    assert meta["seed"] == 7
    assert meta["environment"]["packages"] == {"nbkit": version("nbkit"), "numpy": NUMPY}

    # a version change (faked in the file): %nbkit env and nbkit pin --check name the drift
    path.write_text(after.replace(f'"numpy": "{NUMPY}"', '"numpy": "1.0.0"'), encoding="utf-8")
    r = run(kc, "%nbkit env")
    html, text = r.html(), r.text()
    assert "numpy" in html and "1.0.0" in html and NUMPY in html and "DRIFT" in html
    assert "1 package drifted" in text and "DRIFT" in text
    code, out, _ = nbkit_cli(capsys, "pin", "--check", path)
    assert code == 1 and f"numpy pinned 1.0.0, installed {NUMPY}" in out

    # %nbkit seed without N uses the pinned seed; status shows seed, pin, drift, layout
    assert "with 7" in run(kc, "%nbkit seed").stdout
    status = run(kc, "%nbkit status")
    assert "7 (pinned)" in status.text() and "DRIFT: numpy 1.0.0 -&gt; " + NUMPY in status.html()
    assert "Executive summary" in status.html() and "MISSING" in status.text()

    # lint the saved file, shown as HTML
    lint = run(kc, "%nbkit lint")
    assert "nbkit lint: seeded_analysis.ipynb" in lint.html() and "NBL002" in lint.html()

    # help, ?, and an unknown subcommand: a usage line, no traceback
    assert "%nbkit seed [N]" in run(kc, "%nbkit help").stdout
    helped = run(kc, "%nbkit?")
    pages = json.dumps(helped.reply["content"].get("payload", []))
    assert "%nbkit status [PATH]" in pages
    bogus = run(kc, "%nbkit frobnicate")
    assert "unknown subcommand 'frobnicate'" in bogus.stderr and "usage: %nbkit {seed" in bogus.stderr


@pytest.mark.kernel
@pytest.mark.slow
def test_rerun_in_a_fresh_kernel_reproduces_and_verify_magic_shows_it(tmp_path, capsys):
    """Run the seeded notebook with nbclient (a fresh kernel: same numbers), pin it, fake a version
    change, then %nbkit verify: reproducible, run in another kernel, drift named."""
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    path = seeded_notebook(tmp_path / "seeded_analysis.ipynb")
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in notebook.cells[2].outputs)
    assert text.splitlines()[-1] == expected_numbers(7)
    nbformat.write(notebook, str(path))
    assert nbkit_cli(capsys, "pin", path)[0] == 0
    path.write_text(path.read_text().replace(f'"numpy": "{NUMPY}"', '"numpy": "1.0.0"'))

    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, "JPY_SESSION_NAME": str(path)})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        run(kc, "%load_ext nbkit")
        r = run(kc, "%nbkit verify")
        assert "verifying seeded_analysis.ipynb in a fresh kernel" in r.stdout
        assert "nbkit verify: seeded_analysis.ipynb: reproducible" in r.html()
        assert "reproducible" in r.text()
        assert "numpy" in r.html() and "1.0.0" in r.html() and NUMPY in r.text()  # the drift
        # the user's kernel was not the one that ran the notebook: its namespace has no `rng`
        assert run(kc, "print('rng' in globals())").stdout.strip() == "False"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_plain_ipython_terminal_degrades_gracefully(tmp_path):
    """`nbkit` in IPython's extensions list (--ext), no notebook: clear advice, no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", "NBKIT_SEED")}
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    target = seeded_notebook(tmp_path / "seeded_analysis.ipynb")
    code = ("rng = %nbkit seed 3\nprint(rng.random())\n%nbkit pin\n%nbkit status\n%nbkit lint\n%nbkit env\n%nbkit bad\n"
            "%nbkit pin seeded_analysis.ipynb\n%nbkit status seeded_analysis.ipynb")
    proc = subprocess.run([sys.executable, "-m", "IPython", "--ext=nbkit", "--no-banner", "--colors=NoColor",
                           "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    assert "seeded random, numpy (legacy global state) with 3" in out
    assert str(np.random.default_rng(3).random()) in out
    assert "this kernel does not know its notebook file" in out
    assert "%nbkit pin path/to/notebook.ipynb" in out and "nbkit pin --python" in out
    assert "nbkit env: this session" in out and "Python" in out  # a plain-text table
    assert "unknown subcommand 'bad'" in out
    # with the file named, pin works from a terminal too and records this session's seed
    assert "nbkit: pinned seeded_analysis.ipynb" in out and "Reload Notebook" not in out
    meta = json.loads(target.read_text())["metadata"]["nbkit"]
    assert meta["seed"] == 3 and meta["environment"]["packages"]["numpy"] == NUMPY
    assert "3 (pinned); 3 set in this kernel by %nbkit seed" in out


def test_a_session_naming_a_missing_file_is_explained(tmp_path, monkeypatch):
    from nbkit.magics import _locate

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "renamed_since.ipynb"))
    path, why = _locate(None)
    assert path is None and "renamed_since.ipynb" in why and "does not exist" in why
    real = seeded_notebook(tmp_path / "seeded_analysis.ipynb")

    class Shell:
        user_ns = {"__session__": "seeded_analysis.ipynb"}  # relative, as older servers set it

    assert _locate(Shell())[0] == str(real)


def test_status_report_shows_the_last_verify_and_malformed_metadata(tmp_path):
    from nbbuild import code, md, nb, write
    from nbkit.magics import status_report

    verified = {"at": "2026-11-26T20:00:00Z", "status": "mismatch", "nbkit": "0.1.0"}
    p = write(tmp_path / "stamped_notebook.ipynb", nb(md("# Title"), code("x = 1"),
                                                      metadata={"nbkit": {"verified": verified, "seed": "x"}}))
    text, html = status_report(str(p), None)
    assert "last verify        mismatch at 2026-11-26T20:00:00Z" in text
    assert "metadata.nbkit.seed is 'x'" in text and "seed               not pinned" in text
    assert "environment        not pinned (%nbkit pin)" in text
    assert "<table" in html and "mismatch at 2026-11-26T20:00:00Z" in html
