"""Pinned environments: isolated virtual environments built with uv from a notebook's pins.

``nbkit verify --env pinned`` runs a notebook's kernel in the environment it was made in. The
pins come from ``metadata.nbkit.environment`` (written by ``nbkit pin``) or, for notebooks written
with juv, from a PEP 723 ``# /// script`` block in the first code cell. Pins are untrusted input
(the notebook may come from anyone): only ``name==version`` pins of names that look like
distribution names are accepted, never a URL or a path, and wheels only unless the caller allows
source builds.

Environments live under the user cache folder (``NBKIT_ENV_CACHE``, else
``$XDG_CACHE_HOME/nbkit/envs`` or ``~/.cache/nbkit/envs``), one folder per key: a hash of the
Python minor version, the platform and the sorted pins. A build happens once: concurrent builds
of the same key wait on a file lock, a finished environment is renamed into place atomically and
marked by ``nbkit-env.json``. Package indexes are whatever uv is configured with; nbkit names none.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NbkitError
from .pep723 import EXACT_PIN as _PEP723_PIN
from .pep723 import ScriptBlockError, script_block
from .pep723 import pep723_block as pep723_block  # re-exported: `nbkit pin --export pep723`

MARKER = "nbkit-env.json"
KERNEL_REQUIREMENT = "ipykernel>=6.29"  # added unless pinned; part of every key (a change rebuilds)
BUILD_TIMEOUT = 900  # seconds for one uv command; a hung index is an error, not a hang
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,100}[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!_-]{0,60}$")


class PinnedEnvError(NbkitError):
    """A pinned environment could not be had (bad pins, uv missing, a pin that does not install);
    ``package`` names the pin at fault when one is."""

    def __init__(self, message: str, path: str | None = None, package: str | None = None):
        super().__init__(message, path)
        self.package = package

    def __reduce__(self):
        return (self.__class__, (self.message, self.path, self.package))




def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class EnvSpec:
    """What an environment is built from: a Python minor version, a platform and exact pins."""

    python: str                                  # "3.11" (minor version), from the pins or the current one
    packages: tuple[tuple[str, str], ...]        # sorted (distribution, version)
    platform: str = field(default_factory=lambda: sysconfig.get_platform())
    source: str = "metadata.nbkit.environment"   # or "pep723"
    # (distribution, lowest, highest): free between two versions, the lowest that fits chosen
    # (--explain-drift moves one package and lets the others move only as far as it needs)
    ranges: tuple[tuple[str, str, str], ...] = ()

    @property
    def key(self) -> str:
        parts: list = [self.python, self.platform, [list(p) for p in self.packages]]
        if KERNEL_REQUIREMENT != "ipykernel>=6.29" or self.ranges:  # keys of earlier builds stay valid
            parts.append(KERNEL_REQUIREMENT)
        if self.ranges:
            parts.append([list(r) for r in self.ranges])
        blob = json.dumps(parts, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def requirements(self) -> list[str]:
        return [f"{n}=={v}" for n, v in self.packages] + [f"{n}>={lo},<={hi}" for n, lo, hi in self.ranges]


def _checked_pins(packages: dict, where: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, tuple[str, str]] = {}
    for name, version in packages.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise PinnedEnvError(f"{where}: {name!r} is not a distribution name; refusing to install it")
        if not isinstance(version, str) or not _VERSION.match(version):
            raise PinnedEnvError(f"{where}: the pin of {name} ({version!r}) is not an exact version "
                                    "(only name==version pins are installed, never URLs or paths)", package=name)
        out[normalise(name)] = (name, version)
    return tuple(sorted(out.values(), key=lambda p: normalise(p[0])))


def _minor(version: str | None) -> str | None:
    m = re.match(r"^(\d+)\.(\d+)", version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def parse_pep723(source: str) -> dict | None:
    """The ``# /// script`` block (PEP 723) of a cell's source as a dict, or None."""
    try:
        return script_block(source)
    except ScriptBlockError as e:
        raise PinnedEnvError(str(e)) from None


def pep723_pins(block: dict) -> tuple[dict[str, str], str | None]:
    """``dependencies`` as {name: version} (exact pins only) and the minimum Python, if any."""
    pins: dict[str, str] = {}
    for dep in block.get("dependencies") or []:
        m = _PEP723_PIN.match(dep) if isinstance(dep, str) else None
        if not m:
            raise PinnedEnvError(f"the PEP 723 dependency {dep!r} is not an exact pin (name==version)")
        pins[m.group("name")] = m.group("version")
    rp = block.get("requires-python")
    return pins, _minor(re.sub(r"^[^0-9]*", "", rp)) if isinstance(rp, str) else None


def spec_from_notebook(metadata: dict, first_code_source: str | None = None) -> EnvSpec | None:
    """The environment a notebook was made in, from its nbkit pins or its PEP 723 block; None
    when it records neither. Raises PinnedEnvError for pins that must not be installed."""
    env = ((metadata or {}).get("nbkit") or {}).get("environment") if isinstance(metadata, dict) else None
    if isinstance(env, dict) and isinstance(env.get("packages"), dict):
        pins = _checked_pins(env["packages"], "metadata.nbkit.environment")
        python = _minor(env.get("python") if isinstance(env.get("python"), str) else None)
        return EnvSpec(python or _minor(platform.python_version()) or "3", pins)
    if first_code_source:
        block = parse_pep723(first_code_source)
        if block is not None:
            declared, python = pep723_pins(block)
            return EnvSpec(python or _minor(platform.python_version()) or "3",
                           _checked_pins(declared, "PEP 723 block"), source="pep723")
    return None


def cache_root() -> Path:
    if os.environ.get("NBKIT_ENV_CACHE"):
        return Path(os.environ["NBKIT_ENV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nbkit" / "envs"


def find_uv() -> str:
    """The uv executable: on PATH, or the one the ``uv`` Python package ships."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise PinnedEnvError("--env pinned needs uv: pip install 'nbkit[pinned]' (or put uv on PATH)")


@dataclass
class PinnedEnv:
    path: Path
    spec: EnvSpec
    python: Path                 # the environment's interpreter
    installed: dict[str, str]    # what uv installed (distribution -> version)
    note: str | None = None      # e.g. the pinned Python was not on this machine
    built: bool = False          # True when this call built it (False: from the cache)

    def report(self) -> dict:
        """What the verify report says of the environment a notebook ran in."""
        return {"env": "pinned", "key": self.spec.key, "python": self.spec.python, "source": self.spec.source,
                "installed": dict(sorted(self.installed.items(), key=lambda kv: kv[0].lower())),
                "note": self.note, "cached": not self.built}

    @property
    def kernel_dir(self) -> Path:
        """A kernelspec folder (for jupyter_client's KernelSpecManager) whose only kernel,
        ``KERNEL_NAME``, runs ipykernel with this environment's interpreter."""
        return self.path / "share" / "nbkit" / "kernels"

    def write_kernelspec(self) -> None:
        spec = self.kernel_dir / KERNEL_NAME / "kernel.json"
        data = {"argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"nbkit pinned ({self.spec.key})", "language": "python"}
        text = json.dumps(data, indent=1)
        if not spec.exists() or spec.read_text(encoding="utf-8") != text:
            spec.parent.mkdir(parents=True, exist_ok=True)
            tmp = spec.with_name(f".kernel.json.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, spec)


KERNEL_NAME = "nbkit-pinned"


def nbkit_path_dir(root: Path | None = None) -> Path:
    """A folder holding only nbkit itself (a link to this package), for a pinned kernel's
    PYTHONPATH: ``%load_ext nbkit`` and ``%nbkit seed`` work there, and nothing else of the outer
    environment leaks in (``import nbkit`` and its magics need only the standard library and IPython)."""
    from ._version import __version__

    root = root or cache_root()
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(str(here).encode()).hexdigest()[:8]
    folder = root / "_nbkit" / f"{__version__}-{digest}"
    link = folder / "nbkit"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".nbkit.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(here, target_is_directory=True)
        os.replace(tmp, link)
    return folder


def _env_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run_uv(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    try:
        return subprocess.run([find_uv(), *args], capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PinnedEnvError(f"uv did not finish in {timeout:.0f} s ({' '.join(args[:2])}); "
                                "is the package index reachable?") from None


def _uv_reason(stderr: str) -> str:
    """One line of uv's error output: the sentence that says why."""
    lines = [re.sub(r"^(?:[\s×╰─▶│|:-]+|caused by:|cause:)+", "", ln, flags=re.I).strip()
             for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln and not ln.lower().startswith(("hint", "help", "using "))]
    for pat in ("because", "no solution", "not found", "failed to", "error"):
        for ln in lines:
            if pat in ln.lower():
                return ln[:300]
    return (lines[-1] if lines else "uv failed")[:300]


def _failing_package(stderr: str, spec: EnvSpec) -> str | None:
    text = stderr.lower()
    names = [n for n, _ in spec.packages] + [n for n, _, _ in spec.ranges]
    hits = [n for n in names if re.search(rf"(?<![a-z0-9_.-]){re.escape(normalise(n))}(?![a-z0-9_-])",
                                                       re.sub(r"[-_.]+", "-", text))]
    return hits[0] if hits else None


def _pick_python(spec: EnvSpec, timeout: float) -> tuple[str, str | None]:
    """An interpreter of the pinned minor version when the machine has one, else this one."""
    current = _minor(platform.python_version())
    if spec.python == current:
        return sys.executable, None
    res = _run_uv(["python", "find", "--no-python-downloads", spec.python], timeout)
    if res.returncode == 0 and res.stdout.strip():
        return res.stdout.strip().splitlines()[-1], None
    return sys.executable, (f"Python {spec.python} is pinned but not on this machine; "
                            f"the environment uses Python {platform.python_version()}")


def _read_marker(path: Path) -> dict | None:
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def ensure_env(spec: EnvSpec, *, allow_build: bool = False, timeout: float = BUILD_TIMEOUT,
               root: Path | None = None) -> PinnedEnv:
    """The environment for ``spec``: from the cache, or built now (once, under a file lock)."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / spec.key
    with open(root / f"{spec.key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = _read_marker(target)
        if marker is None:
            shutil.rmtree(target, ignore_errors=True)  # a half-built leftover of a killed build
            marker = _build(spec, target, allow_build=allow_build, timeout=timeout)
            built = True
        else:
            built = False
            marker["last_used"] = time.time()
            _write_marker(target, marker)
    env = PinnedEnv(path=target, spec=spec, python=_env_python(target), installed=marker.get("installed", {}),
                    note=marker.get("note"), built=built)
    env.write_kernelspec()
    return env


def _write_marker(path: Path, data: dict) -> None:
    tmp = path / f".{MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path / MARKER)


def _build(spec: EnvSpec, target: Path, *, allow_build: bool, timeout: float) -> dict:
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        python, note = _pick_python(spec, timeout)
        res = _run_uv(["venv", "--quiet", "--no-python-downloads", "--python", python, str(partial)], timeout)
        if res.returncode != 0:
            raise PinnedEnvError(f"could not create the environment: {_uv_reason(res.stderr)}")
        pinned_names = {normalise(n) for n, _ in spec.packages}
        reqs = spec.requirements() + ([] if "ipykernel" in pinned_names else [KERNEL_REQUIREMENT])
        args = ["pip", "install", "--quiet", "--python", str(_env_python(partial))]
        if spec.ranges:
            args += ["--resolution", "lowest-direct"]
        if not allow_build:
            args += ["--only-binary", ":all:"]
        res = _run_uv(args + reqs, timeout)
        if res.returncode != 0:
            pkg = _failing_package(res.stderr, spec)
            reason = _uv_reason(res.stderr)
            if not allow_build and re.search(r"no (usable )?wheels|only .*source distribution|sdist|--no-binary|"
                                             r"wheels? (?:are|is) not available|no matching distribution",
                                             res.stderr, re.I):
                reason += " (building from source is refused without --allow-build)"
            if re.search(r"dns error|failed to fetch|connection (refused|reset)|network is unreachable|"
                         r"timed out|tcp connect error", res.stderr, re.I):
                raise PinnedEnvError(f"no network: uv could not reach the package index ({reason})", package=pkg)
            raise PinnedEnvError(f"pin {pkg + ' ' if pkg else ''}could not be installed: {reason}", package=pkg)
        res = _run_uv(["pip", "freeze", "--python", str(_env_python(partial))], timeout)
        installed = {}
        for ln in res.stdout.splitlines():
            if "==" in ln:
                n, v = ln.split("==", 1)
                installed[n.strip()] = v.strip()
        now = time.time()
        marker = {"key": spec.key, "python": spec.python, "platform": spec.platform,
                  "packages": dict(spec.packages), "source": spec.source, "installed": installed,
                  "note": note, "created": now, "last_used": now}
        _write_marker(partial, marker)
        os.replace(partial, target)
        return marker
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def list_envs(root: Path | None = None) -> list[dict]:
    """Every finished environment in the cache, with its key, path, pins, age and size."""
    root = root or cache_root()
    out = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        marker = _read_marker(d) if d.is_dir() and not d.name.startswith("_") else None
        if marker is None:
            continue
        size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file() and not f.is_symlink())
        out.append({"key": d.name, "path": str(d), "python": marker.get("python"),
                    "packages": marker.get("packages", {}), "created": marker.get("created"),
                    "last_used": marker.get("last_used"), "bytes": size})
    return out


def prune(older_than_days: float | None = None, root: Path | None = None) -> list[str]:
    """Remove environments not used for ``older_than_days`` (all when None); the removed keys."""
    root = root or cache_root()
    cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
    removed = []
    for env in list_envs(root):
        if cutoff is not None and (env.get("last_used") or 0) >= cutoff:
            continue
        with open(root / f"{env['key']}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.rmtree(env["path"], ignore_errors=True)
        (root / f"{env['key']}.lock").unlink(missing_ok=True)
        removed.append(env["key"])
    return removed


def spec_for_notebook(path: str) -> EnvSpec:
    """The pinned environment of the notebook at ``path``; an error naming the file when it has none."""
    from .model import load

    nb = load(path)
    first = next((c.source for c in nb.cells if c.cell_type == "code"), None)
    try:
        spec = spec_from_notebook(nb.metadata, first)
    except PinnedEnvError as e:
        raise PinnedEnvError(e.message, path, e.package) from None
    if spec is None:
        raise PinnedEnvError("records no environment (no metadata.nbkit.environment and no PEP 723 block); "
                             "run `nbkit pin` first", path)
    return spec
