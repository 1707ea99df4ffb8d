"""``%nbkit guard``: live checks in real kernels (execute_request with the cell id JupyterLab sends)
and, for the history-only checks, in an in-process IPython shell."""

from __future__ import annotations

import ast
import json
import os
import random
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest

import kernelrun
from nbbuild import code, md, nb, write

NUMPY = version("numpy")


class Run(kernelrun.Run):
    @property
    def guard_text(self) -> str:
        """What the guard showed under the cell (its text/plain), one string."""
        return "\n".join(d["text/plain"] for d in self.displays
                         if "nbkit-guard" in d.get("text/html", ""))

    @property
    def guard_html(self) -> str:
        return "".join(d.get("text/html", "") for d in self.displays if "nbkit-guard" in d.get("text/html", ""))


def execute(kc, source: str, cell_id: str | None = None, ok: bool = True) -> Run:
    """One execute_request, with ``metadata.cellId`` as JupyterLab and Notebook 7 send it."""
    content = {"code": source, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    msg = kc.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    outputs: list[dict] = []
    while True:
        m = kc.get_iopub_msg(timeout=120)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        out = kernelrun.output_of(m)
        if out is not None:
            outputs.append(out)
        elif m["header"]["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    r = Run(reply, outputs)
    if ok:
        assert reply["content"]["status"] == "ok" and not r.errors, (source, r.errors, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def start_kernel(folder: Path, notebook: Path | None):
    from jupyter_client import KernelManager

    env = {k: v for k, v in os.environ.items() if k not in ("NBKIT_SEED", "JPY_SESSION_NAME", "NBKIT_DEBUG")}
    if notebook is not None:
        env["JPY_SESSION_NAME"] = str(notebook)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


@pytest.fixture
def kernel_for(tmp_path):
    started = []

    def start(notebook: Path | None = None, folder: Path | None = None):
        km, kc = start_kernel(folder or tmp_path, notebook)
        started.append((km, kc))
        return kc

    yield start
    for km, kc in started:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


ORDER_CELLS = [
    md("# Guarded analysis", id="title"),
    code("import random", id="c-import"),
    code("a = 1", id="c-a"),
    code("hidden = 5", id="c-hidden"),
    code("b = a + 1", id="c-b"),
    code("c = b * 2", id="c-c"),
    code("print(hidden)", id="c-read-hidden"),
    code("print(late)", id="c-read-late"),
    code("late = 3", id="c-late"),
]


@pytest.mark.kernel
def test_out_of_order_and_hidden_state_from_the_saved_notebook(tmp_path, kernel_for):
    path = write(tmp_path / "guarded_analysis.ipynb", nb(*ORDER_CELLS, ids=False))
    kc = kernel_for(path)
    execute(kc, "%load_ext nbkit", "c-load")
    assert "nbkit: guard on" in execute(kc, "%nbkit guard on", "c-guard").stdout

    # top-down: nothing to say
    for cid, src in [("c-import", "import random"), ("c-a", "a = 1"), ("c-hidden", "hidden = 5"),
                     ("c-b", "b = a + 1"), ("c-c", "c = b * 2")]:
        r = execute(kc, src, cid)
        assert r.guard_text == "", (src, r.guard_text)

    # c-a runs again above the last executed cell and changes `a`, which c-b (cell 5) already used
    r = execute(kc, "a = 10", "c-a")
    assert "NBH001" in r.guard_text and "`a`" in r.guard_text and "cell 5" in r.guard_text, r.guard_text
    assert "stale" in r.guard_text and "Run All" in r.guard_text
    assert "<b>NBH001</b>" in r.guard_html
    # the display is tagged as the guard's, so that output comparisons can leave it out
    assert [o["metadata"] for o in r.outputs if o["type"] == "display_data"] == [{"nbkit": {"guard": ["NBH001"]}}]
    # shown once: the same problem again says nothing
    assert execute(kc, "a = 11", "c-a").guard_text == ""
    # c-import changes nothing cells below read: no warning
    assert execute(kc, "import random", "c-import").guard_text == ""

    # delete the cell that defined `hidden` from the saved file; a cell that reads it is hidden state
    saved = json.loads(path.read_text())
    saved["cells"] = [c for c in saved["cells"] if c.get("id") != "c-hidden"]
    path.write_text(json.dumps(saved))
    r = execute(kc, "print(hidden)", "c-read-hidden")
    assert r.stdout.strip() == "5"  # the cell ran as usual
    assert "NBR011" in r.guard_text and "`hidden`" in r.guard_text and "a deleted cell" in r.guard_text
    assert "Restart & Run All will fail" in r.guard_text

    # a name only a cell below defined
    execute(kc, "late = 3", "c-late")
    r = execute(kc, "print(late)", "c-read-late")
    assert "NBR011" in r.guard_text and "`late`" in r.guard_text and "cell 8, below this one" in r.guard_text
    # a name a cell above defines is not hidden state, even when a cell below ran it last
    # (re-running c-b above the last executed cell changes `b`, which c-c used: out of order again)
    assert "`b`, which cell 5 below" in execute(kc, "b = 7", "c-b").guard_text
    assert "NBR011" not in execute(kc, "c = b * 2", "c-c").guard_text

    status = execute(kc, "%nbkit guard status")
    text = "\n".join(d["text/plain"] for d in status.displays)
    assert "nbkit guard is on" in text and "4 warning(s)" in text
    assert text.count("] NBH001:") == 2 and text.count("] NBR011:") == 2

    # off: the same kinds of problem say nothing
    assert "guard off" in execute(kc, "%nbkit guard off").stdout
    assert execute(kc, "a = 12", "c-a").guard_text == ""
    assert execute(kc, "import random\nrandom.random()", "c-new").guard_text == ""
    assert "nbkit guard is off" in "".join(d["text/plain"] for d in execute(kc, "%nbkit guard status").displays)


@pytest.mark.kernel
def test_randomness_paths_installs_and_drift_in_a_kernel(tmp_path, kernel_for):
    pinned = {"nbkit": {"environment": {"python": "3.11", "packages": {"numpy": "1.0.0"}}}}
    path = write(tmp_path / "drifting_analysis.ipynb",
                 nb(md("# Drift"), code("import numpy as np"), metadata={**nb()["metadata"], **pinned}))
    kc = kernel_for(path)
    execute(kc, "%load_ext nbkit")
    execute(kc, "%nbkit guard on")

    # drift: numpy is imported in this cell and installed at another version than the pin
    r = execute(kc, "import random\nimport numpy as np", "cell1")
    assert "NBR025" in r.guard_text and f"numpy is pinned at 1.0.0 but {NUMPY} is installed" in r.guard_text
    assert "%nbkit pin" in r.guard_text

    # first unseeded use of a global generator, through the alias an earlier cell imported
    r = execute(kc, "x = np.random.rand(3)")
    assert "NBR004" in r.guard_text and "np.random.rand" in r.guard_text and "numpy" in r.guard_text
    assert "%nbkit seed" in r.guard_text
    assert execute(kc, "y = np.random.rand(3)").guard_text == ""  # once
    # random is a different library: its first use is its own warning
    assert "random.random is used before random is seeded" in execute(kc, "random.random()").guard_text
    # after a seed, nothing (torch would still be unseeded, but nothing uses it)
    execute(kc, "random.seed(1)")
    assert execute(kc, "random.choice([1, 2])").guard_text == ""

    # absolute path and an in-notebook install (pip really runs: --no-index fails fast, offline)
    r = execute(kc, "p = '/home/alice/data/customers.csv'")
    assert "NBR009" in r.guard_text and "/home/alice/data/customers.csv" in r.guard_text
    assert "relative to the notebook" in r.guard_text
    r = execute(kc, "%pip install --no-index --quiet nbkit-guard-no-such-package", ok=False)
    assert "NBR008" in r.guard_text and "nbkit-guard-no-such-package" in r.guard_text
    assert execute(kc, "q = '/home/alice/data/customers.csv'").guard_text == ""  # once

    status = "".join(d["text/plain"] for d in execute(kc, "%nbkit guard status").displays)
    for c in ("NBR025", "NBR004", "NBR009", "NBR008"):
        assert c in status
    assert "5 warning(s)" in status

    # selection: only NBR009 now
    assert "guard on (NBR009)" in execute(kc, "%nbkit guard --rules NBR009").stdout
    assert execute(kc, "random.Random()").guard_text == ""
    assert "NBR009" in execute(kc, "r = 'C:\\\\Users\\\\bob\\\\x.csv'").guard_text
    bad = execute(kc, "%nbkit guard --rules NBR999")
    assert "'NBR999' is not a guard check" in bad.stderr


def _auto_seed_numbers(tmp_path: Path, kernel_for) -> tuple[str, str]:
    kc = kernel_for(tmp_path / "seeded_by_guard.ipynb")
    loaded = execute(kc, "%load_ext nbkit")
    assert "guard on" in loaded.stdout and "from [tool.nbkit.guard]" in loaded.stdout
    r = execute(kc, "import random\nimport numpy as np\nprint(random.random(), np.random.rand())", "cell1")
    return r.stdout.strip(), r.guard_text


@pytest.mark.kernel
def test_auto_seed_gives_identical_numbers_in_two_fresh_sessions(tmp_path, kernel_for, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'guarded'\n\n[tool.nbkit.guard]\nenabled = true\nauto-seed = true\n")
    write(tmp_path / "seeded_by_guard.ipynb",
          nb(md("# Seeded"), code("import random"), metadata={**nb()["metadata"], "nbkit": {"seed": 7}}))
    first, note = _auto_seed_numbers(tmp_path, kernel_for)
    second, _ = _auto_seed_numbers(tmp_path, kernel_for)
    # NBKIT_GUARD=0 (for runners such as nbkit verify) keeps it off despite the table
    monkeypatch.setenv("NBKIT_GUARD", "0")
    kc = kernel_for(tmp_path / "seeded_by_guard.ipynb")
    assert "guard" not in execute(kc, "%load_ext nbkit").stdout
    assert execute(kc, "import random\nrandom.random()", "cell1").guard_text == ""
    random.seed(7)
    np.random.seed(7)
    assert first == second == f"{random.random()} {np.random.rand()}"
    assert "auto-seed" in note and "with 7" in note and "NBR004" in note


@pytest.mark.kernel
def test_a_bad_guard_table_is_one_line_and_the_magics_still_load(tmp_path, kernel_for):
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.guard]\nenabled = 'yes'\n")
    kc = kernel_for(None)
    r = execute(kc, "%load_ext nbkit")
    assert "guard not started" in r.stderr and "tool.nbkit.guard.enabled must be true or false" in r.stderr
    assert "pyproject.toml" in r.stderr
    assert "%nbkit seed" in execute(kc, "%nbkit help").stdout


# --- in-process: the history-only checks (plain IPython, no notebook) -------------------------------

@pytest.fixture
def shell(monkeypatch, tmp_path):
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    import builtins
    import sys

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    # an InteractiveShell takes over parts of the interpreter: give them back afterwards
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    for name in ("ps1", "ps2", "ps3"):
        monkeypatch.setattr(sys, name, getattr(sys, name, None), raising=False)
    had_builtins = set(vars(builtins))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # leave the user's ~/.ipython alone
    sh = InteractiveShell.instance(config=config)
    shown: list[str] = []
    import nbkit.guard.session as session

    def fake_show(warnings):
        shown.append("\n".join(w.text() for w in warnings))

    monkeypatch.setattr(session, "show", fake_show)
    sh.run_cell("%load_ext nbkit", store_history=True)
    sh.run_cell("%nbkit guard on", store_history=True)

    def run(src: str) -> str:
        before = len(shown)
        result = sh.run_cell(src, store_history=True)
        assert result.error_in_exec is None and result.error_before_exec is None, src
        return "\n".join(shown[before:])

    yield run
    from nbkit.guard import drop_guard

    drop_guard(sh)
    sh.run_cell("%unload_ext nbkit")
    InteractiveShell.clear_instance()
    for name in set(vars(builtins)) - had_builtins:
        delattr(builtins, name)


def test_history_checks_follow_execution_order_not_a_file(shell):
    assert shell("import numpy as np\nimport random") == ""
    assert shell("def set_seed(n):\n    random.seed(n)\n    np.random.seed(n)") == ""
    assert shell("set_seed(3)") == ""  # a notebook's own seeding function counts
    assert shell("x = np.random.rand()\ny = random.random()") == ""
    out = shell("rng = np.random.default_rng()")
    assert "NBR004" in out and "default_rng() without a seed" in out
    out = shell("from random import shuffle\nshuffle([1, 2])")
    assert out == ""  # random was seeded by set_seed


def test_without_a_notebook_only_history_checks_run(shell):
    out = shell("data = open('/Users/bob/sales.csv') if False else None")
    assert "NBR009" in out and "/Users/bob/sales.csv" in out
    out = shell("if False:\n    %pip install pandas==2.2.3")
    assert "NBR008" in out and "pandas==2.2.3" in out
    # no notebook file: positions are unknown, so re-running "above" is not judged
    assert shell("a = 1") == "" and shell("b = a + 1") == "" and shell("a = 2") == ""
    assert shell("del b\nb = 3") == ""


def test_a_broken_check_never_breaks_the_cell(shell, monkeypatch):
    import nbkit.guard.session as session

    def boom(*a, **k):
        raise RuntimeError("guard bug")

    monkeypatch.setattr(session, "random_check", boom)
    assert shell("import random\nvalue = random.random() + 1") == ""
    assert shell("print(value > 1)") == ""


def test_guard_settings_are_validated():
    from nbkit.errors import ConfigError
    from nbkit.guard import GUARD_RULES, settings_from_table

    s = settings_from_table({"enabled": True, "auto-seed": 11, "rules": ["nbr004", "NBR011"]})
    assert s.enabled and s.auto_seed and s.seed == 11 and s.rules == {"NBR004", "NBR011"}
    assert settings_from_table({}).rules == frozenset(GUARD_RULES) and not settings_from_table({}).enabled
    for table, words in [({"enabled": 1}, "enabled must be true or false"),
                         ({"auto-seed": -1}, "auto-seed must be true, false or a seed"),
                         ({"rules": "NBL001"}, "'NBL001' is not a guard check"),
                         ({"rules": [1]}, "must be a list of rule codes"),
                         ({"rules": []}, "needs at least one rule code")]:
        with pytest.raises(ConfigError, match=words):
            settings_from_table(table, "pyproject.toml")


def test_plain_ipython_terminal_shows_text_warnings(tmp_path):
    """A terminal IPython (no notebook, no HTML): each warning is one line of text under its input."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", "NBKIT_SEED", "NBKIT_DEBUG")}
    env["IPYTHONDIR"] = str(tmp_path / "ipython")
    loaded = "print('loaded:', sorted(m.split('.')[0] for m in sys.modules if not m.startswith(('nbkit', '_'))))\n"
    typed = ("%load_ext nbkit\nimport sys\n" + loaded + "%nbkit guard on\nimport random\nx = random.random()\n"
             "y = random.random()\np = '/home/alice/x.csv'\n%nbkit guard status\n" + loaded + "exit\n")
    proc = subprocess.run([sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--colors=NoColor"],
                          input=typed, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in out, out
    assert "In [6]: nbkit guard NBR004: random.random is used before random is seeded in this session" in out
    assert out.count("NBR004: random.random is used") == 2  # once under In [6], once in the status
    assert "In [8]: nbkit guard NBR009: absolute, machine-specific path '/home/alice/x.csv'" in out
    assert "2 warning(s) in this session" in out and "[8] NBR009" in out
    assert "<div" not in out
    # the guard imported nothing but nbkit's own modules (and `random`, which the cells imported)
    before, after = (set(ast.literal_eval(line.split("loaded: ", 1)[1])) for line in out.splitlines() if "loaded: [" in line)
    assert after - before <= {"random"}, after - before
