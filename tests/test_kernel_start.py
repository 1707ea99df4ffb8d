"""Kernel start-up never fails a run by chance (issue 16): IPC transport in a private runtime
folder (no TCP port race), a kernel that dies before answering is started again, and many
kernel starts under a port-grabbing neighbour all succeed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from nbbuild import code, nb, stream, write

from nbkit.verify.execute import KernelKey, KernelStartError, kernel_transport, start_kernel

pytestmark = pytest.mark.kernel


def _start(key: KernelKey, **kw):
    async def go():
        k = await start_kernel(key, **kw)
        info = {"transport": k.km.transport, "runtime_dir": k.runtime_dir, "attempts": k.attempts,
                "connection": json.loads(Path(k.km.connection_file).read_text()),
                "mode": os.stat(k.runtime_dir).st_mode & 0o777}
        reply = await k.kc.execute_interactive("print(40 + 2)", timeout=30, output_hook=lambda m: None)
        info["ok"] = reply["content"]["status"] == "ok"
        await k.kill()
        return info
    return asyncio.run(go())


def test_kernels_use_ipc_in_a_private_folder_removed_afterwards(tmp_path):
    assert kernel_transport() == "ipc"
    info = _start(KernelKey("python3", str(tmp_path)))
    assert info["ok"] and info["attempts"] == 1
    assert info["transport"] == "ipc" and info["connection"]["transport"] == "ipc"
    assert info["connection"]["ip"].startswith(info["runtime_dir"])  # the sockets live in the folder
    assert info["mode"] == 0o700  # only this user can read the connection file's HMAC key
    assert not os.path.exists(info["runtime_dir"])  # connection file (HMAC key) and sockets removed


def test_a_temporary_folder_too_long_for_socket_paths_moves_the_runtime_folder(tmp_path, monkeypatch):
    """A Unix socket's path holds at most 107 bytes (Linux): under a long TMPDIR (a deep pytest
    folder, a CI workspace) every ipc kernel failed to start.  The private runtime folder goes to
    /tmp then, and the sockets fit."""
    import tempfile

    from nbkit.verify import execute

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(tempfile, "tempdir", None)  # (gettempdir reads TMPDIR again)
    assert tempfile.gettempdir() == str(deep)
    assert execute._runtime_base("ipc") == ("/tmp", "ipc")
    info = _start(KernelKey("python3", str(tmp_path)))
    assert info["ok"] and info["transport"] == "ipc"
    assert os.path.dirname(info["runtime_dir"]) == "/tmp"
    sockets = [f"{info['connection']['ip']}-{info['connection'][k]}" for k in
               ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
    assert all(len(os.fsencode(p)) <= 107 for p in sockets), sockets
    assert not os.path.exists(info["runtime_dir"])


def test_no_short_temporary_folder_means_tcp(monkeypatch):
    from nbkit.verify import kernelprocs

    monkeypatch.setattr(kernelprocs, "_SUN_PATH_MAX", 10)
    assert kernelprocs._runtime_base("ipc") == (None, "tcp")
    assert kernelprocs._runtime_base("tcp") == (None, "tcp")


def test_tcp_stays_available_by_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_KERNEL_TRANSPORT", "tcp")
    info = _start(KernelKey("python3", str(tmp_path)))
    assert info["ok"] and info["transport"] == "tcp" and info["connection"]["transport"] == "tcp"
    assert not os.path.exists(info["runtime_dir"])


@pytest.fixture
def flaky_kernel(tmp_path, monkeypatch):
    """A kernelspec whose first launch dies at once; later launches are a real ipykernel."""
    marker = tmp_path / "first-launch-happened"
    script = tmp_path / "flaky_kernel.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys
        marker = {str(marker)!r}
        if not os.path.exists(marker):
            open(marker, "w").close()
            sys.exit(1)
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
    """))
    spec_dir = tmp_path / "jupyter" / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(script), "-f", "{connection_file}"],
        "display_name": "flaky", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return marker


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, flaky_kernel):
    info = _start(KernelKey("flaky", str(tmp_path)))
    assert flaky_kernel.exists()
    assert info["ok"] and info["attempts"] == 2


def test_one_attempt_only_reports_the_death(tmp_path, flaky_kernel):
    with pytest.raises(KernelStartError) as err:
        _start(KernelKey("flaky", str(tmp_path)), attempts=1)
    assert "could not start" in str(err.value) and err.value.attempts == 1


PORT_HOG = textwrap.dedent("""
    import random, socket, sys, time
    deadline = time.monotonic() + float(sys.argv[1])
    held = []
    while time.monotonic() < deadline:      # bounded in time: it stops by itself
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", random.randint(20000, 65000)))
            s.listen(1)
            held.append(s)
        except OSError:
            s.close()
        if len(held) > 200:
            for old in held[:100]:
                old.close()
            del held[:100]
""")


@pytest.mark.slow
def test_many_kernel_starts_beside_a_port_grabbing_process_all_succeed(tmp_path):
    """A reduced form of benchmarks/bench_kernel_start.py: 40 notebooks, one fresh kernel each."""
    folder = tmp_path / "many"
    for i in range(40):
        write(folder / f"nb{i:02d}.ipynb", nb(code(f"print({i})", count=1, outputs=[stream(f"{i}\n")])))
    hog = subprocess.Popen([sys.executable, "-c", PORT_HOG, "300"])
    try:
        started = time.monotonic()
        res = subprocess.run([sys.executable, "-m", "nbkit", "verify", "-j", "4", "--format", "json", str(folder)],
                             capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
    finally:
        hog.kill()
        hog.wait()
    report = json.loads(res.stdout)
    bad = [(n["path"], n["status"], n["message"]) for n in report["notebooks"] if n["status"] != "reproducible"]
    assert res.returncode == 0 and not bad, (res.stderr[-2000:], bad)
    assert report["summary"]["reproducible"] == 40
    assert "without encryption" not in res.stderr
    assert elapsed < 500


@pytest.fixture
def dead_kernel(tmp_path, monkeypatch):
    """A kernelspec whose kernel always dies at start, beside the real python3 one."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "dead"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", "import sys; sys.exit(3)", "-f", "{connection_file}"],
        "display_name": "dead", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "dead"


def _nb_with_kernel(path, kernel):
    book = nb(code("print(1)", count=1, outputs=[stream("1\n")]))
    book["metadata"]["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    return write(path, book)


def _run_cli(*args):
    res = subprocess.run([sys.executable, "-m", "nbkit", "verify", "--format", "json", *args],
                         capture_output=True, text=True, timeout=300)
    return res, json.loads(res.stdout)


def test_one_notebook_whose_kernel_cannot_start_fails_alone(tmp_path, dead_kernel):
    folder = tmp_path / "nbs"
    _nb_with_kernel(folder / "a_good.ipynb", "python3")
    _nb_with_kernel(folder / "b_dead.ipynb", dead_kernel)
    res, report = _run_cli(str(folder))
    by = {n["path"].rsplit("/", 1)[-1]: n for n in report["notebooks"]}
    assert by["a_good.ipynb"]["status"] == "reproducible"
    dead = by["b_dead.ipynb"]
    assert dead["status"] == "failed" and "could not start" in dead["message"] and "after 2 attempts" in dead["message"]
    assert dead["kernel_attempts"] == 2 and "machinery" not in dead
    assert res.returncode == 1, res.stderr  # a notebook failed; nbkit's machinery did not


def test_exit_3_when_no_kernel_could_start_at_all(tmp_path, dead_kernel):
    path = _nb_with_kernel(tmp_path / "dead.ipynb", dead_kernel)
    res, report = _run_cli(str(path))
    assert res.returncode == 3 and report["notebooks"][0]["machinery"] is True


def test_start_attempts_are_configurable(tmp_path, flaky_kernel):
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\nkernel-start-attempts = 1\n")
    path = _nb_with_kernel(tmp_path / "flaky.ipynb", "flaky")
    res, report = _run_cli(str(path))  # one attempt: the first start dies, and that is the verdict
    assert report["notebooks"][0]["status"] == "failed" and "could not start" in report["notebooks"][0]["message"]
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\nkernel-start-attempts = 0\n")
    res = subprocess.run([sys.executable, "-m", "nbkit", "verify", str(path)], capture_output=True, text=True)
    assert res.returncode == 2 and "kernel-start-attempts" in res.stderr


def test_a_killed_kernel_leaves_the_registry_of_live_kernels(tmp_path):
    from nbkit.verify import execute

    async def go():
        k = await start_kernel(KernelKey("python3", str(tmp_path)))
        assert k.pid in execute._LIVE
        await k.kill()
        return k.pid
    pid = asyncio.run(go())
    assert pid not in execute._LIVE  # Ctrl-C cleanup must never signal a recycled pid
