"""Installing nbkit from source: a machine with only python3 (no Node.js) builds the panel too,
the documented skip variable really skips the JavaScript build, and the test suite leaves the
tracked files alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack", "yarn", "jlpm"}


def _source_copy(dest: Path) -> Path:
    """The files a clean clone has (tracked, plus new files not ignored), without node_modules."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _path_without_node(tmp: Path) -> str:
    """A PATH with every usual tool but no Node.js (symlinks to everything else)."""
    bindir = tmp / "bin-without-node"
    bindir.mkdir()
    for folder in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if name not in NODE_TOOLS and not (bindir / name).exists():
                (bindir / name).symlink_to(os.path.join(folder, name))
    return str(bindir)


def _build_wheel(src: Path, out: Path, path: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                          env={**os.environ, "PATH": path, **env}, capture_output=True, text=True, timeout=1500)


@pytest.mark.slow
def test_install_from_source_without_node_ships_the_panel(tmp_path):
    path = _path_without_node(tmp_path)
    assert shutil.which("node", path=path) is None and shutil.which("npm", path=path) is None
    src = _source_copy(tmp_path / "src")
    res = _build_wheel(src, tmp_path / "dist", path)
    assert res.returncode == 0, res.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("nbkit-*.whl"))
    # lay the wheel's shared data out as pip would under a prefix (not `pip install --prefix`: that
    # uninstalls the nbkit of the running environment) and ask JupyterLab what it finds there
    prefix = tmp_path / "prefix"
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            head, sep, rest = name.partition(".data/data/")
            if sep and "/" not in head:
                target = prefix / rest
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    listed = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                            env={**os.environ, "JUPYTER_PATH": str(prefix / "share" / "jupyter")},
                            capture_output=True, text=True, timeout=120)
    assert "nbkit-jupyterlab" in listed.stdout + listed.stderr, listed.stdout + listed.stderr
    assert str(prefix) in listed.stdout + listed.stderr


@pytest.mark.slow
def test_skip_variable_builds_a_wheel_without_the_panel(tmp_path):
    path = _path_without_node(tmp_path)
    src = _source_copy(tmp_path / "src")
    shutil.rmtree(src / "nbkit" / "labextension", ignore_errors=True)
    res = _build_wheel(src, tmp_path / "dist", path, HATCH_JUPYTER_BUILDER_SKIP_NPM="1")
    assert res.returncode == 0, res.stderr[-3000:]
    names = zipfile.ZipFile(next((tmp_path / "dist").glob("nbkit-*.whl"))).namelist()
    assert "nbkit/cli/__init__.py" in names
    assert not [n for n in names if "labextensions/nbkit-jupyterlab/static" in n]
    assert not (src / "labextension" / "node_modules").exists()  # npm never ran


def test_browser_tests_write_screenshots_to_an_ignored_folder():
    conftest = (REPO / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    assert 'REPO / "build" / "screenshots"' in conftest
    ignored = subprocess.run(["git", "check-ignore", "-q", "build/screenshots/panel-light.png"], cwd=REPO)
    assert ignored.returncode == 0
