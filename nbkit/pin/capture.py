"""Capture the environment a notebook runs in: Python, platform, and the distributions it imports.

``packages`` holds only the distributions the notebook's own import statements (and
``%load_ext`` lines) need, mapped from module to distribution with ``importlib.metadata``;
standard-library and local modules are left out.  Nothing identifying is stored: no paths,
user or host names, or environment variables.

The versions come from this interpreter, or from another one (``python=PATH``), which is
asked in a subprocess by the self-contained script :mod:`nbkit.pin.probe`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
from pathlib import Path
from typing import Sequence

from ..errors import MachineryError, UsageError
from ..analysis import Facts
from ..imports import ALIASES, is_stdlib, local_modules
from ..model import Notebook, load, notebook_from_dict

PROBE_TIMEOUT = 120  # seconds; importlib.metadata over a huge site-packages can be slow


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_notebook(nb_or_path) -> Notebook:
    """A :class:`Notebook` from a Notebook, a path, or a notebook JSON dict."""
    if isinstance(nb_or_path, Notebook):
        return nb_or_path
    if isinstance(nb_or_path, dict):
        return notebook_from_dict(nb_or_path)
    return load(nb_or_path)


def _extension_modules(facts: Facts) -> list[str]:
    """Modules named by ``%load_ext X`` / ``%reload_ext X``, and nbkit itself for ``%nbkit``."""
    out: list[str] = []
    for _, (kind, name, args) in facts.magics:
        if kind != "line":
            continue
        if name in ("load_ext", "reload_ext"):
            out.extend(a.split(".")[0] for a in args.split() if not a.startswith("-"))
        elif name == "nbkit":
            out.append("nbkit")
    return out


def notebook_modules(nb: Notebook) -> list[str]:
    """Third-party modules the notebook imports (top-level names, or a dotted alias such as
    ``google.protobuf``), sorted; standard library and modules next to the notebook excluded."""
    folders: list[Path] = []
    if nb.path and not nb.path.startswith("<"):
        here = Path(nb.path).resolve().parent
        folders.append(here)
        from ..project import find_root

        root = Path(find_root(str(here)))
        if root != here:
            folders.append(root)
    local = local_modules(folders) if folders else set()
    names: set[str] = set()
    facts = Facts(nb)
    candidates = [(r.module, r.full) for r in facts.imports] + [(m, m) for m in _extension_modules(facts)]
    for module, full in candidates:
        if not module or is_stdlib(module) or module in local:
            continue
        dotted = next((a for a in ALIASES if "." in a and (full == a or full.startswith(a + "."))), None)
        names.add(dotted or module)
    return sorted(names)


class Interpreter:
    """The Python whose environment is captured: this one (``python=None``) or another
    (``python=PATH``, asked in a subprocess).  Replies are cached per request, so one
    ``nbkit pin`` over many notebooks runs the other interpreter few times."""

    def __init__(self, python: str | os.PathLike | None = None):
        self.python = os.fspath(python) if python is not None else None
        self._cache: dict[str, dict] = {}
        if self.python is not None:
            exe = self.python
            if os.sep not in exe and not os.path.exists(exe):
                import shutil

                exe = shutil.which(exe) or exe
            if not os.path.exists(exe):
                raise UsageError("--python: no such interpreter", self.python)
            if os.path.isdir(exe) or not os.access(exe, os.X_OK):
                raise UsageError("--python: not an executable file", self.python)
            self.executable = exe

    @classmethod
    def of(cls, python) -> "Interpreter":
        return python if isinstance(python, Interpreter) else cls(python)

    def probe(self, modules: list[str], dists: Sequence[str] = ()) -> dict:
        """The interpreter's facts and what provides ``modules`` / the versions of ``dists``.
        Answered from an earlier, larger reply when it covers the question."""
        modules, dists = sorted(set(modules)), sorted(set(dists))
        for reply in self._cache.values():
            if set(modules) <= set(reply["modules"]) and set(dists) <= set(reply.get("dists", {})):
                return {**reply, "modules": {m: reply["modules"][m] for m in modules},
                        "dists": {d: reply["dists"][d] for d in dists}}
        request = {"modules": modules, "dists": dists, "aliases": {m: ALIASES[m] for m in modules if m in ALIASES}}
        key = json.dumps(request, sort_keys=True)
        self._cache[key] = self._run(request)
        return self._cache[key]

    def prefetch(self, notebooks: list[Notebook]) -> None:
        """Ask once about every module these notebooks import (one subprocess for a whole run)."""
        modules: set[str] = set()
        for nb in notebooks:
            modules.update(notebook_modules(nb))
        if modules:
            self.probe(sorted(modules))

    def _run(self, request: dict) -> dict:
        if self.python is None:
            from . import probe

            return probe.probe(request)
        # -c (not the file) so nothing next to probe.py shadows a module; drop cwd from sys.path
        source = "import sys; del sys.path[0]\n" + Path(__file__).with_name("probe.py").read_text("utf-8")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME",)}
        env["PYTHONIOENCODING"] = "utf-8"
        try:
            proc = subprocess.run([self.executable, "-c", source], input=json.dumps(request), capture_output=True,
                                  text=True, encoding="utf-8", timeout=PROBE_TIMEOUT, env=env)
        except subprocess.TimeoutExpired:
            raise MachineryError(f"--python: the interpreter did not answer within {PROBE_TIMEOUT} s",
                                 self.python) from None
        except OSError as e:
            raise UsageError(f"--python: cannot run it ({e.strerror or e})", self.python) from None
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise MachineryError(f"--python: the interpreter failed to report its packages ({last})", self.python)
        try:
            reply = json.loads(proc.stdout)
            assert isinstance(reply, dict) and isinstance(reply.get("modules"), dict)
        except (ValueError, AssertionError):
            raise MachineryError("--python: the interpreter's reply was not understood", self.python) from None
        return reply


def with_sources(nb: Notebook, sources) -> Notebook:
    """``nb`` plus extra code (e.g. the cells a kernel has run), as one notebook for import scanning."""
    sources = [s for s in (sources or ()) if isinstance(s, str) and s.strip()]
    if not sources:
        return nb
    cells = [c.raw for c in nb.cells] + [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
                                          "execution_count": None} for s in sources]
    return notebook_from_dict({**nb.data, "cells": cells}, nb.path)


def magic_seed(nb: Notebook) -> int | None:
    """The literal N of the first ``%nbkit seed N`` in the notebook's code, if any."""
    for _, (kind, name, args) in Facts(nb).magics:
        if kind == "line" and name == "nbkit":
            words = args.split()
            if len(words) == 2 and words[0] == "seed" and words[1].isdigit() and int(words[1]) < 2**32:
                return int(words[1])
    return None


def capture_environment(nb_or_path, python=None, notes: list[str] | None = None,
                        extra_sources: list[str] | None = None) -> dict:
    """``metadata.nbkit.environment`` for a notebook (a Notebook, a path, or a JSON dict).

    ``python``: None for this interpreter, or the path of another one (or an
    :class:`Interpreter`).  Problems that do not stop the capture (an imported module that is
    not installed, a distribution whose metadata has no version) are appended to ``notes`` as
    one-line messages; those packages are left out rather than recorded wrongly.
    ``extra_sources``: more code whose imports count (the cells a kernel has run).
    """
    nb = with_sources(as_notebook(nb_or_path), extra_sources)
    modules = notebook_modules(nb)
    reply = Interpreter.of(python).probe(modules)
    packages: dict[str, str] = {}
    for module in modules:
        info = reply["modules"].get(module) or {}
        dists = info.get("dists") or []
        if not dists:
            if notes is not None:
                if info.get("importable"):
                    notes.append(f"module '{module}' is importable but no installed distribution provides it "
                                 "(no package metadata); not pinned")
                else:
                    notes.append(f"module '{module}' is imported but not installed in this environment; not pinned")
            continue
        for name, version in dists:
            if not version:
                if notes is not None:
                    notes.append(f"distribution '{name}' (imported as '{module}') has no version in its "
                                 "metadata; not pinned")
                continue
            packages[name] = version
    return {
        "python": str(reply.get("python", "")),
        "implementation": str(reply.get("implementation", "")),
        "platform": str(reply.get("platform", "")),
        "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
        "captured_at": utc_now(),
    }


def installed_versions(dists: list[str], python=None) -> dict[str, str | None]:
    """Versions of distributions by name in this (or another) interpreter; None when missing."""
    reply = Interpreter.of(python).probe([], list(dists))
    return {d: reply.get("dists", {}).get(d) for d in dists}


def interpreter_facts(python=None) -> dict:
    reply = Interpreter.of(python).probe([])
    return {k: reply.get(k) for k in ("python", "implementation", "platform")}


def same_environment(a: dict, b: dict) -> bool:
    """Equal apart from the capture time."""
    keys = ("python", "implementation", "platform", "packages")
    return isinstance(a, dict) and isinstance(b, dict) and all(a.get(k) == b.get(k) for k in keys)


__all__ = ["capture_environment", "magic_seed", "with_sources", "installed_versions", "interpreter_facts",
           "notebook_modules", "Interpreter", "same_environment", "utc_now"]
