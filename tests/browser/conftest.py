"""Fixtures for the browser tests: a real ``jupyter lab`` on a temporary folder of notebooks, and
Debian's headless Chromium driven by Playwright (Python).

The server is the installed one (``pip install .`` put the nbkit server extension and the prebuilt
labextension in place); its settings, workspaces and runtime files live in a temporary folder,
so the tests neither read nor leave anything in the user's Jupyter folders.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NBKIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
# Screenshots go to an ignored build folder, so running the tests never modifies tracked files;
# scripts/refresh_screenshots.sh points NBKIT_SCREENSHOTS at docs/images to refresh the docs.
SCREENSHOTS = Path(os.environ.get("NBKIT_SCREENSHOTS") or REPO / "build" / "screenshots")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    """User settings: no news or update prompts (no internet here), no kernel auto-start for
    notebooks opened by path is left as default."""
    apputils = settings_dir / "@jupyterlab" / "apputils-extension"
    apputils.mkdir(parents=True, exist_ok=True)
    (apputils / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))


class Lab:
    """A running ``jupyter lab``: its URL, token and notebook folder."""

    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.root = root
        self.port = port
        self.token = token
        self.proc = proc
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def api(self, path: str, body: dict | None = None, method: str | None = None) -> dict:
        """Call the server's REST API with the token (for setting up and checking state)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/{path}", data=data, method=method or ("POST" if data else "GET"),
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        return json.loads(text) if text else {}

    def read(self, name: str) -> dict:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One ``jupyter lab`` for the browser tests (notebooks are written per test)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install it with `apt-get install -y chromium` "
                    "(or point NBKIT_CHROMIUM at a Chromium binary)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    root.mkdir()
    home = base / "jupyter"
    settings = home / "settings"
    _write_settings(settings)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("JUPYTER_TOKEN", None)
    port = _free_port()
    token = secrets.token_hex(16)
    log = base / "jupyter-lab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
        # window.jupyterapp lets the tests read the notebook's state (active cell) reliably
        "--LabApp.expose_app_in_browser=True",
        # a kernel per opened notebook is enough; culling keeps the machine quiet after a test
        "--MappingKernelManager.cull_idle_timeout=120", "--MappingKernelManager.cull_interval=30",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Lab(root, port, token, proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_text()[-3000:]}")
        try:
            server.api("api/status")
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                _stop(proc)
                pytest.fail(f"jupyter lab did not answer within 90 s:\n{server.log_text()[-3000:]}")
            time.sleep(0.3)
    yield server
    _stop(proc)
    leftovers = list((home / "runtime").glob("jpserver-*.json"))
    assert not leftovers, f"jupyter lab did not shut down cleanly: {leftovers}\n{server.log_text()[-2000:]}"


def _stop(proc: subprocess.Popen) -> None:
    """Stop jupyter lab cleanly: SIGTERM makes it shut its kernels down, remove its runtime
    files and exit; escalate only if it hangs."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Module scope, not session: Playwright's sync API keeps an
    asyncio loop marked as running in this thread while it is open, which would break the
    async (pytest-jupyter) tests that run after the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, lab):
    """A fresh browser page logged in to the lab; fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.set_default_timeout(20_000)
    pg.console_errors = errors
    yield pg
    context.close()
    assert not errors, "the browser console reported errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def copy_example(lab: Lab, src: Path, name: str | None = None) -> str:
    dest = lab.root / (name or src.name)
    shutil.copy(src, dest)
    return dest.name
