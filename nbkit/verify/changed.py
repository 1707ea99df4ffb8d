"""``nbkit verify --changed [REF]``: the notebooks a pull request touches.

A notebook is selected when, since the merge base of ``HEAD`` and ``REF`` (default: the default
branch: ``origin/HEAD``'s target, else ``main``, else ``master``), it

- changed (committed since then, staged, or modified and not yet committed),
- is untracked (and not ignored), or
- pins a data file (``metadata.nbkit.data``, relative to the notebook) that changed in the same
  sense, or whose current bytes no longer match its pin (missing, another size, another sha256:
  data files are often kept out of git).

Only notebooks under the given paths are considered (discovered as ``nbkit verify`` discovers
them).  Problems (no git, not a repository, an unknown ref) raise :class:`~nbkit.errors.UsageError`
with one line naming them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from ..errors import UsageError

DEFAULT_BRANCHES = ("main", "master")
HASH_LIMIT = 256 << 20  # bytes: a pinned file larger than this is compared by size only


@dataclass
class Selection:
    """The notebooks ``--changed`` keeps, why, and out of how many."""

    notebooks: list[str]
    total: int
    ref: str                                           # what the user asked for (or the default branch)
    base: str                                          # the merge-base commit compared against
    reasons: dict[str, str] = field(default_factory=dict)  # notebook -> changed | untracked | data: NAME
    problems: list[str] = field(default_factory=list)  # given paths discovery refused (the run reports them)

    def summary(self) -> str:
        """``3 of 40 notebooks changed since origin/main (1 untracked, 1 for its data)``."""
        kinds = list(self.reasons.values())
        extra = [f"{n} {what}" for n, what in ((kinds.count("untracked"), "untracked"),
                                               (sum(k.startswith("data") for k in kinds), "for their data"))
                 if n]
        noun = "notebook" if self.total == 1 else "notebooks"
        line = f"{len(self.notebooks)} of {self.total} {noun} changed since {self.ref}"
        return line + (f" ({', '.join(extra)})" if extra else "")


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise UsageError("--changed needs git, and git is not on PATH")
    return subprocess.run([git, *args], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def repository_root(folder: str) -> str:
    proc = _git(["rev-parse", "--show-toplevel"], folder)
    if proc.returncode != 0:
        raise UsageError(f"--changed: {os.path.abspath(folder)} is not inside a git repository")
    return _out(proc)


def is_ref(ref: str, root: str) -> bool:
    return _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], root).returncode == 0


def default_ref(root: str) -> str:
    """``origin/HEAD``'s target, else ``main``, else ``master``."""
    proc = _git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], root)
    if proc.returncode == 0:
        target = _out(proc).removeprefix("refs/remotes/")
        if target and is_ref(target, root):
            return target
    for name in DEFAULT_BRANCHES:
        if is_ref(name, root):
            return name
    raise UsageError("--changed: no default branch to compare with (no origin/HEAD, main or master); "
                     "name one: --changed REF")


def merge_base(ref: str, root: str) -> str:
    if not is_ref(ref, root):
        raise UsageError(f"--changed: unknown git ref {ref!r}")
    proc = _git(["merge-base", "HEAD", ref], root)
    if proc.returncode != 0:
        raise UsageError(f"--changed: HEAD and {ref} have no common ancestor")
    return _out(proc)


def changed_files(base: str, root: str) -> tuple[set[str], set[str]]:
    """Files (absolute, real paths) that differ from ``base`` in the work tree, and untracked ones."""
    diff = _git(["diff", "--name-only", "-z", "--no-renames", base, "--"], root)
    if diff.returncode != 0:
        raise UsageError(f"--changed: git diff failed: {diff.stderr.decode(errors='replace').strip()[:200]}")
    others = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)

    def files(proc: subprocess.CompletedProcess) -> set[str]:
        names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        return {os.path.realpath(os.path.join(root, n)) for n in names if n}

    return files(diff), files(others) if others.returncode == 0 else set()


def _pins(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if b'"nbkit"' not in raw:
            return {}
        data = json.loads(raw).get("metadata", {}).get("nbkit", {}).get("data")
    except (OSError, ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _differs_from_pin(path: str, pin: object) -> bool:
    if not isinstance(pin, dict):
        return False
    try:
        size = os.path.getsize(path)
    except OSError:
        return True  # missing
    if isinstance(pin.get("bytes"), int) and pin["bytes"] != size:
        return True
    sha = pin.get("sha256")
    if isinstance(sha, str) and size <= HASH_LIMIT:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return True
        return h.hexdigest() != sha
    return False


def data_change(notebook: str, changed: set[str]) -> str | None:
    """The first pinned data file of ``notebook`` that changed, or None."""
    folder = os.path.dirname(os.path.abspath(notebook))
    for rel, pin in sorted(_pins(notebook).items(), key=lambda kv: str(kv[0])):
        if not isinstance(rel, str):
            continue
        path = os.path.join(folder, rel)
        if os.path.realpath(path) in changed or _differs_from_pin(path, pin):
            return rel
    return None


def split_ref_and_paths(ref: str | None, paths: tuple[str, ...] | list[str]) -> tuple[str | None, list[str]]:
    """``--changed notebooks/``: click hands a path to the option; a value that is no git ref but an
    existing path is taken as a path (git's own rule for ``git diff NAME``)."""
    paths = list(paths)
    if ref and os.path.exists(ref):
        try:
            root = repository_root(ref if os.path.isdir(ref) else os.path.dirname(os.path.abspath(ref)))
        except UsageError:
            root = None
        if root is None or not is_ref(ref, root):
            return None, [ref, *paths]
    return ref, paths


def select_changed(paths: list[str], ref: str | None, exclude: list[str] | None = None) -> Selection:
    """The notebooks under ``paths`` (default: here) changed since the merge base of HEAD and ``ref``."""
    from ..nbio import discover

    paths = paths or ["."]
    first = os.path.abspath(paths[0])
    start = first if os.path.isdir(first) else os.path.dirname(first)
    if not os.path.isdir(start):
        start = os.getcwd()
    root = repository_root(start)
    label = ref or default_ref(root)
    base = merge_base(label, root)
    changed, untracked = changed_files(base, root)
    found, errors = discover(paths, exclude)
    selected: list[str] = []
    reasons: dict[str, str] = {}
    every = changed | untracked
    for nb in found:
        real = os.path.realpath(nb)
        reason = "untracked" if real in untracked else "changed" if real in changed else None
        if reason is None:
            data = data_change(nb, every)
            reason = f"data: {data}" if data else None
        if reason:
            selected.append(nb)
            reasons[nb] = reason
    return Selection(selected, len(found), label, base, reasons, [e.path for e in errors if e.path])
