"""Pin a notebook (record its environment, seed and input files), check it for drift, export requirements.

Everything nbkit records lives under ``metadata.nbkit``; other keys there (``verified``, or
keys a newer nbkit wrote) are kept as they are.  An existing ``metadata.nbkit`` that is not
an object, or a malformed ``environment`` / ``seed`` inside it, is never silently replaced:
pinning refuses with a message (exit 2) unless ``force=True`` (``nbkit pin --force``), which
replaces only the malformed part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EXIT_FINDINGS, NbkitError, NotebookError
from ..model import Notebook, parse_notebook
from ..nbio import ReadSnapshot, read_snapshot
from .seed import SEED_MAX, validate_seed
from .capture import (Interpreter, as_notebook, capture_environment, installed_versions, magic_seed,
                      same_environment)
from .data import DEFAULT_MAX_BYTES, DataCheck, check_data, data_problem, record_data
from .drift import Drift, environment_drift
from .write import read_only, write_nbkit


class NotPinnedError(NbkitError):
    """``--check`` on a notebook that has no pinned environment: a finding, so exit 1."""

    exit_code = EXIT_FINDINGS


def _kind(value) -> str:
    return {str: "a string", list: "a list", int: "a number", float: "a number", bool: "a boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def nbkit_problems(nb: Notebook) -> list[str]:
    """What is malformed in the notebook's existing ``metadata.nbkit`` (empty when fine)."""
    md = nb.metadata
    if "nbkit" not in md:
        return []
    value = md["nbkit"]
    if not isinstance(value, dict):
        return [f"metadata.nbkit is {_kind(value)}, not an object"]
    out = []
    env = value.get("environment")
    if "environment" in value and not (isinstance(env, dict) and isinstance(env.get("packages", {}), dict)):
        out.append("metadata.nbkit.environment is malformed" if isinstance(env, dict)
                   else f"metadata.nbkit.environment is {_kind(env)}, not an object")
    if "seed" in value:
        s = value["seed"]
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= SEED_MAX:
            out.append(f"metadata.nbkit.seed is {s!r}, not an integer from 0 to {SEED_MAX}")
    if "data" in value:
        problem = data_problem(value["data"])
        if problem:
            out.append(problem)
    return out


def pinned_environment(nb: Notebook) -> dict | None:
    env = nb.nbkit_metadata.get("environment")
    return env if isinstance(env, dict) and isinstance(env.get("packages", {}), dict) else None


def pinned_seed(nb: Notebook) -> int | None:
    s = nb.nbkit_metadata.get("seed")
    return s if isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= SEED_MAX else None


@dataclass
class PinOutcome:
    path: str
    nbkit: dict  # metadata.nbkit as it now is in the file
    written: bool  # False when nothing changed (same environment and seed)
    notes: list[str] = field(default_factory=list)  # non-fatal problems (unversioned distributions...)


def _read(path: str) -> tuple[ReadSnapshot, Notebook]:
    p = str(path)
    raw = read_snapshot(p)  # the bytes and the stat the writer compares with before replacing
    nb = parse_notebook(raw.data, p)
    if nb.upgraded_from is not None:
        raise NotebookError(f"nbformat {nb.upgraded_from} notebook: open and save it in Jupyter (or "
                            "`jupyter nbconvert --to notebook --inplace`) to upgrade it before pinning; "
                            "nothing was written", p)
    return raw, nb


def pin(path, seed: int | None = None, python=None, *, force: bool = False,
        extra_sources: list[str] | None = None, data: bool = True,
        data_max_bytes: int = DEFAULT_MAX_BYTES) -> PinOutcome:
    """Capture the environment for the notebook at ``path`` and record it (and the seed, and
    with ``data`` the local input files it reads: :mod:`nbkit.pin.data`).

    The seed recorded is ``seed`` when given, else the literal N of a ``%nbkit seed N`` line
    in the notebook, else whatever seed is already pinned.  The capture time is kept when the
    environment did not change, and then nothing is written at all: re-pinning an unchanged
    notebook leaves the file byte for byte as it was.  ``extra_sources``: more code whose
    imports count (``%nbkit pin`` passes the cells the kernel has run).
    """
    p = str(path)
    if seed is not None:
        validate_seed(seed)
    raw, nb = _read(p)
    if read_only(p):
        raise NbkitError("file is read-only; nothing was written", p)
    problems = nbkit_problems(nb)
    if problems and not force:
        raise NbkitError(f"{problems[0]}; nothing was written (fix it, or run `nbkit pin --force` to replace "
                         "the malformed part)", p)
    old = nb.metadata.get("nbkit")
    new: dict = dict(old) if isinstance(old, dict) else {}
    if force:
        if "environment" in new and pinned_environment(nb) is None:
            del new["environment"]
        if "seed" in new and pinned_seed(nb) is None:
            del new["seed"]
        if "data" in new and data_problem(new["data"]) is not None:
            del new["data"]
    notes: list[str] = []
    env = capture_environment(nb, python, notes, extra_sources)
    if seed is None:
        seed = magic_seed(nb)
    previous = new.get("environment")
    if isinstance(previous, dict) and same_environment(previous, env) and "captured_at" in previous:
        env = previous
    new["environment"] = env
    if seed is not None:
        new["seed"] = seed
    if data:
        new["data"] = record_data(nb, data_max_bytes, notes)
    if new == old:
        return PinOutcome(p, new, False, notes)
    write_nbkit(p, raw, nb.data, new)
    return PinOutcome(p, new, True, notes)


def pin_notebook(path, seed: int | None = None, python=None, *, force: bool = False) -> dict:
    """Record ``metadata.nbkit.environment`` (and ``seed``) in the notebook at ``path``,
    atomically, and return ``metadata.nbkit`` as written."""
    return pin(path, seed, python, force=force).nbkit


def check_notebook(path, python=None) -> list[Drift]:
    """Drift between the notebook's pinned packages and this (or another) interpreter: one
    :class:`~nbkit.pin.drift.Drift` per difference.  Writes nothing.  Raises
    :class:`NotPinnedError` (exit 1) when nothing is pinned, NbkitError (exit 2) when the
    pinned metadata is malformed."""
    nb = as_notebook(path)
    problems = nbkit_problems(nb)
    if problems:
        raise NbkitError(problems[0], nb.path)
    env = pinned_environment(nb)
    if env is None:
        raise NotPinnedError("no pinned environment (run `nbkit pin` to record one)", nb.path)
    if python is None:
        return environment_drift(env)
    packages = [k for k, v in env.get("packages", {}).items() if isinstance(k, str) and isinstance(v, str)]
    return environment_drift(env, installed_versions(packages, python))


def check_notebook_data(nb_or_path) -> DataCheck | None:
    """The notebook's data pins compared with its input files now (changed, missing, new);
    None when it has no data pins (pinned with ``--no-data``, or before nbkit pinned data)."""
    nb = as_notebook(nb_or_path)
    if "data" not in nb.nbkit_metadata:
        return None
    return check_data(nb)


def requirements_for(nb_or_path, python=None, notes: list[str] | None = None) -> list[str]:
    """``name==version`` lines for the notebook: its pinned packages when it is pinned, else
    the versions captured now from this (or another) interpreter."""
    nb = as_notebook(nb_or_path)
    env = pinned_environment(nb)
    if env is None:
        if notes is not None:
            notes.append("not pinned; versions are from the current environment")
        env = capture_environment(nb, python, notes)
    pkgs = env.get("packages", {})
    return [f"{k}=={v}" for k, v in sorted(pkgs.items(), key=lambda kv: str(kv[0]).lower())
            if isinstance(k, str) and isinstance(v, str) and v]


__all__ = ["pin", "pin_notebook", "check_notebook", "check_notebook_data", "requirements_for", "PinOutcome", "NotPinnedError",
           "pinned_environment", "pinned_seed", "nbkit_problems", "validate_seed", "Interpreter"]
