"""The verify result cache (``nbkit verify --cache``): a notebook that reproduced is not run again
while nothing that decides its verdict changed.

One entry per key, ``<cache>/verify/<xx>/<key>.json`` (``<cache>``: see :mod:`nbkit.cachestore`).
The key is the sha256 of a canonical JSON object holding:

- ``notebook``: the sha256 of the notebook's bytes, and its path relative to the cache's project
  (a moved notebook reads other files);
- ``environment``: the kernel's interpreter (version, implementation, platform) and ``name==version``
  of every distribution installed where the kernel imports from, asked of the kernel's own
  interpreter (:func:`kernel_environment`) once, then kept in the cache folder and reused while a
  ``stat`` of what it was read from shows no change (:func:`remembered_environment`); with ``--env pinned`` the pinned
  environment's key and what is installed in it;
- ``data``: the sha256 of the current bytes of every file ``metadata.nbkit.data`` pins, relative to
  the notebook (``"missing"`` when the file is not there; files over 1 GB by size and
  modification time, as the pins record them);
- ``nbkit``: nbkit's version;
- ``options``: every field of the :class:`~nbkit.verify.request.VerifyRequest` and of its settings
  except those listed in :data:`NOT_IN_KEY` (which notebooks, how many at once, where the report
  goes), so an option added later is part of the key without anyone listing it here.

Only ``reproducible`` verdicts are stored.  Entries are written atomically; an entry that cannot
be read, is another cache's, or does not hold a reproducible verdict is ignored (and rewritten
when the notebook reproduces again).  When the environment cannot be asked (a kernel whose
interpreter is not Python, an interpreter that does not answer) the notebook is run and nothing is
stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .. import statsig
from ..cachestore import cache_dir, read_entry, write_entry

if TYPE_CHECKING:
    from .plan import WorkItem
    from .request import VerifyRequest
    from .results import NotebookResult

SCHEMA = "nbkit.verifycache/1"
#: request/settings fields that do not change a verdict: which notebooks, how many at once, the
#: cache itself, and the configuration object (its ``[tool.nbkit.verify]`` table is ``settings``)
NOT_IN_KEY = frozenset({"paths", "discover", "jobs", "shard", "update", "stamp", "config", "cache"})
DATA_HASH_LIMIT = 1 << 30  # bytes: larger pinned files count by size and modification time

# Run by the kernel's interpreter (with the kernel's environment variables): what it is and every
# distribution it can import, read from the metadata files' headers (no e-mail parsing: fast).
# Folders given as arguments (the notebooks' folders, on a kernel's sys.path as its working
# directory) are listed on their own.  ``watch`` names what the answer was read from (the sys.path
# folders and each distribution's metadata folder), so a later run can tell with ``stat`` alone
# that it still holds (:func:`remembered_environment`).
_PROBE = r"""
import json, platform, sys, sysconfig
from importlib.metadata import distributions
def dists(path):
    out = set()
    for d in distributions(path=path):
        text = d.read_text("METADATA") or d.read_text("PKG-INFO") or ""
        name = version = None
        for line in text.splitlines():
            if not line:
                break
            if line.startswith("Name:") and name is None:
                name = line[5:].strip()
            elif line.startswith("Version:") and version is None:
                version = line[8:].strip()
        out.add(f"{name}=={version}")
    return sorted(out)
folders = json.loads(sys.argv[1])
path = [p for p in sys.path if p and p not in folders]
seen = []
for d in distributions(path=path + folders):
    where = getattr(d, "_path", None)
    seen.append(str(where) if where is not None else None)
print(json.dumps({"python": platform.python_version(), "implementation": platform.python_implementation(),
                  "platform": sysconfig.get_platform(),
                  "distributions": dists(path),
                  "folders": {f: dists([f]) for f in folders},
                  "watch": {"path": path, "metadata": seen}}))
"""
PROBE_TIMEOUT = 60.0


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data, the same for equal values in any process."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__,
                **{f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, re.Pattern):
        return {"regex": value.pattern, "flags": value.flags}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return {"__type__": type(value).__name__, "repr": repr(value)}


def request_options(request: VerifyRequest) -> dict:
    """Every option of ``request`` that can change a verdict (all but :data:`NOT_IN_KEY`)."""
    out = {}
    for f in dataclasses.fields(request):
        if f.name in NOT_IN_KEY:
            continue
        value = getattr(request, f.name)
        if f.name == "settings":
            value = {g.name: canonical(getattr(value, g.name)) for g in dataclasses.fields(value)
                     if g.name not in NOT_IN_KEY}
        out[f.name] = canonical(value)
    return out


def nbkit_version() -> str:
    from .._version import __version__

    return __version__


def data_hashes(item: WorkItem) -> dict[str, Any]:
    """The pinned data files' current state, relative to the notebook (``metadata.nbkit.data``)."""
    pins = item.notebook.nbkit_metadata.get("data")
    if not isinstance(pins, dict):
        return {}
    folder = os.path.dirname(os.path.abspath(item.path))
    out: dict[str, Any] = {}
    for rel in sorted(k for k in pins if isinstance(k, str)):
        path = os.path.join(folder, rel)
        try:
            st = os.stat(path)
            if st.st_size > DATA_HASH_LIMIT:
                out[rel] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            out[rel] = h.hexdigest()
        except FileNotFoundError:
            out[rel] = "missing"
        except OSError as e:  # a folder, no permission: its own state, never a stale hit
            out[rel] = f"unreadable: {type(e).__name__}"
    return out


# -- the kernel's environment --------------------------------------------------------------------

def kernel_interpreter(kernel_name: str, spec_dir: str = "") -> tuple[str, dict] | None:
    """The interpreter a Python kernel runs (its kernelspec's first argument, as jupyter_client
    resolves it) and the kernelspec's own environment variables; None for a kernel that does not
    start a Python interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        if spec_dir:
            spec = KernelSpecManager(kernel_dirs=[spec_dir], ensure_native_kernel=False).get_kernel_spec(kernel_name)
        else:
            spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except Exception:  # noqa: BLE001 - no such kernel: the run reports it; the cache stays out of it
        return None
    argv = list(spec.argv or [])
    if not argv:
        return None
    exe = argv[0]
    if exe in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        exe = sys.executable  # what jupyter_client does with a bare python
    if not re.search(r"python[0-9.]*(\.exe)?$", os.path.basename(exe), re.I) or "-m" not in argv:
        return None
    import shutil

    found = exe if os.path.isabs(exe) else shutil.which(exe)
    if not found:
        return None
    return os.path.abspath(found), dict(spec.env or {})


def kernel_environment(python: str, env: dict, folders: list[str]) -> dict | None:
    """Ask ``python`` (run with the kernel's environment variables ``env``) what it is and what it
    has installed; None when it does not answer."""
    try:
        proc = subprocess.run([python, "-c", _PROBE, json.dumps(folders)], env=env, capture_output=True,
                              timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL, cwd=folders[0] if folders else None)
        if proc.returncode != 0:
            return None
        found = json.loads(proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("distributions"), list) else None


# -- the probe's answer, kept between runs ---------------------------------------------------------

ENV_SCHEMA = "nbkit.verifyenv/1"
_ENV_VARS = ("VIRTUAL_ENV", "CONDA_PREFIX", "PATH")  # with every PYTHON* variable: what the probe's answer depends on


def _stat_sig(path: str) -> list | None:
    sig = statsig.of(path)
    return list(sig) if sig is not None else None  # (a list: what the stored entry's JSON reads back as)


def _watch_list(python: str, probe: dict, folders: list[str]) -> list[str] | None:
    """Every path whose ``stat`` stands for the probe's answer: the interpreter, its sys.path
    folders, the notebooks' folders, and each distribution's metadata folder and files; None when
    a distribution's metadata is not in a folder nbkit can watch (then the answer is not kept)."""
    watch = probe.get("watch")
    if not isinstance(watch, dict):
        return None
    paths = [os.path.realpath(python), *watch.get("path", []), *folders]
    for where in watch.get("metadata", []):
        if not isinstance(where, str):
            return None
        paths.append(where)
        if os.path.isdir(where):
            paths.extend(os.path.join(where, name) for name in ("METADATA", "PKG-INFO"))
    return [p for p in paths if isinstance(p, str)]


def _env_slot(directory: str, digest: str) -> str:
    return os.path.join(directory, "verify", "env", digest[:2], digest + ".json")


def remembered_environment(directory: str, python: str, env: dict, folders: list[str]) -> dict | None:
    """:func:`kernel_environment`, answered from the cache folder when nothing it was read from
    changed since it was asked (checked with ``stat`` only: no interpreter starts); else asked,
    and kept for the next run when every watched path had settled (not changed in the last two
    seconds)."""
    relevant = {k: v for k, v in env.items() if k.startswith("PYTHON") or k in _ENV_VARS}
    digest = hashlib.sha256(json.dumps([ENV_SCHEMA, os.path.realpath(python), python, relevant, sorted(folders)],
                                       sort_keys=True).encode()).hexdigest()
    slot = _env_slot(directory, digest)
    entry = read_entry(slot, ENV_SCHEMA)
    if entry is not None and entry.get("key") == digest and isinstance(entry.get("probe"), dict):
        try:
            if all(_stat_sig(path) == sig for path, sig in entry["watch"]):
                return entry["probe"]
        except (TypeError, ValueError, KeyError):
            pass
    import time

    asked_at = time.time_ns()
    found = kernel_environment(python, env, folders)
    if found is None:
        return None
    paths = _watch_list(python, found, folders)
    if paths is not None:
        watch = [(p, _stat_sig(p)) for p in dict.fromkeys(paths)]
        settled = all(sig is None or statsig.settled(sig[2], sig[3], asked_at) for _, sig in watch)
        if settled:
            payload = json.dumps({"schema": ENV_SCHEMA, "key": digest, "watch": watch, "probe": found},
                                 separators=(",", ":")).encode()
            write_entry(directory, slot, payload)
    return found


class VerifyCache:
    """The cache of one verify run: entries under ``directory``, the kernels' environments asked
    once per run (they may change between runs of a long-lived server)."""

    def __init__(self, directory: str, request: VerifyRequest):
        self.directory = directory
        self.project = os.path.dirname(directory)
        self.options = request_options(request)
        self.hits = 0
        self._lock = threading.Lock()
        self._envs: dict[tuple, dict | None] = {}
        self._specs: dict[tuple, tuple[str, dict] | None] = {}
        self._folders: list[str] = []

    @classmethod
    def open(cls, request: VerifyRequest) -> VerifyCache:
        root = getattr(request.config, "root", None)
        return cls(cache_dir(list(request.paths), root), request)

    def expect_folders(self, items: list[WorkItem]) -> None:
        """The notebooks' folders of this run: asked about in the one probe of each interpreter."""
        self._folders = sorted({os.path.dirname(os.path.abspath(p.path)) for p in items})

    # -- key -------------------------------------------------------------------------------
    def environment(self, item: WorkItem) -> dict | None:
        """The environment fingerprint of the kernel ``item`` runs in (None: unknown, no caching)."""
        if item.pinned_env is not None:
            env = item.pinned_env
            return {"pinned": env.spec.key, "installed": canonical(env.installed), "note": env.note}
        if item.key is None:
            return {"kernel": None}  # nothing runs: no kernel, no environment
        from .execute import kernel_env

        spec_key = (item.key.name, item.key.spec_dir)
        with self._lock:
            if spec_key not in self._specs:
                self._specs[spec_key] = kernel_interpreter(*spec_key)
            found = self._specs[spec_key]
        if found is None:
            return None
        python, spec_env = found
        env = {**kernel_env(item.key), **{k: str(v) for k, v in spec_env.items()}}
        env.pop("PYTHONHASHSEED", None)  # from the notebook's seed: its bytes are in the key
        memo_key = (python, json.dumps(spec_env, sort_keys=True), env.get("PYTHONPATH"), env.get("PYTHONHOME"),
                    env.get("PYTHONNOUSERSITE"), env.get("PYTHONUSERBASE"), env.get("VIRTUAL_ENV"))
        with self._lock:
            if memo_key not in self._envs:
                folders = self._folders or [item.key.cwd]
                self._envs[memo_key] = remembered_environment(self.directory, python, env, folders)
            probe = self._envs[memo_key]
        if probe is None:
            return None
        folder_dists = probe.get("folders", {}).get(item.key.cwd)
        if folder_dists is None:  # a folder the run's probe did not list (should not happen)
            folder_dists = (kernel_environment(python, env, [item.key.cwd]) or {}).get("folders", {}).get(item.key.cwd)
        return {"kernel": item.key.name, "spec_env": canonical(spec_env), "python": probe.get("python"),
                "implementation": probe.get("implementation"), "platform": probe.get("platform"),
                "distributions": probe["distributions"], "local": folder_dists}

    def key_parts(self, item: WorkItem) -> dict | None:
        """What decides ``item``'s verdict (see the module's docstring); None: not cacheable."""
        if item.raw is None or item.nb is None:
            return None
        environment = self.environment(item)
        if environment is None:
            return None
        path = os.path.abspath(item.path)
        try:
            rel = os.path.relpath(path, self.project)
        except ValueError:  # another drive
            rel = path
        return {"schema": SCHEMA, "nbkit": nbkit_version(),
                "notebook": {"sha256": hashlib.sha256(item.raw).hexdigest(), "path": rel.replace(os.sep, "/")},
                "environment": environment, "data": data_hashes(item), "options": self.options}

    @staticmethod
    def digest(parts: dict) -> str:
        blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _slot(self, key: str) -> str:
        return os.path.join(self.directory, "verify", key[:2], key + ".json")

    # -- entries ---------------------------------------------------------------------------
    def lookup(self, item: WorkItem) -> tuple[NotebookResult | None, str | None]:
        """The cached verdict of ``item`` (None: a miss) and the key to store a fresh one under
        (None: not cacheable)."""
        try:
            parts = self.key_parts(item)
        except Exception:  # noqa: BLE001 - a key that cannot be made is no hit: the notebook runs
            return None, None
        if parts is None:
            return None, None
        key = self.digest(parts)
        entry = read_entry(self._slot(key), SCHEMA)
        if entry is None or entry.get("key") != key:
            return None, key
        try:
            res = result_from_dict(entry["result"], item.path)
            at = str(entry["at"])
            datetime.fromisoformat(at.replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError):
            return None, key
        if res.status != "reproducible":
            return None, key
        res.cached_at = at
        with self._lock:
            self.hits += 1
        return res, key

    def store(self, key: str, result: NotebookResult) -> bool:
        """Keep a ``reproducible`` verdict under ``key``; any other verdict is never stored."""
        if result.status != "reproducible" or result.cancelled or result.machinery or result.updated:
            return False
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = json.dumps({"schema": SCHEMA, "key": key, "at": at, "result": result.to_dict()},
                             separators=(",", ":")).encode()
        return write_entry(self.directory, self._slot(key), payload)


def result_from_dict(d: dict, path: str) -> NotebookResult:
    """A :class:`NotebookResult` from its report dict (``NotebookResult.to_dict``)."""
    from ..pin.drift import Drift
    from .results import CellResult, NotebookResult

    cell_fields = {f.name for f in dataclasses.fields(CellResult)}
    cells = [CellResult(**{k: v for k, v in c.items() if k in cell_fields}) for c in d.get("cells", [])]
    drift = [Drift(x["package"], x["pinned"], x.get("installed")) for x in d.get("drift", [])]
    res = NotebookResult(path, d["status"], d.get("message", ""), drift=drift, cells=cells, code=d.get("code"),
                         kernel=d.get("kernel"), runs=int(d.get("runs", 1)),
                         environment=d.get("environment"), explanation=d.get("explanation"),
                         causes=list(d.get("causes", [])))
    return res
