"""Plan: a request -> the notebooks to verify, each prepared as a :class:`WorkItem`.

Discovery and sharding happen here, once.  Preparing a notebook reads and parses it, finds
its cell controls, checks ``-p`` parameters (NBR023) and the kernel, and lays out the copy
that will run (with papermill's injected-parameters cell).  Nothing here starts a kernel;
problems found now become the item's ``early`` result.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NbkitError
from .controls import CellControl, check_parameters, control_for
from .diagnosis import kernel_causes
from .execute import KernelKey, check_kernel_name
from .results import NotebookResult
from .verdict import rule_code

if TYPE_CHECKING:
    from ..model import Notebook
    from .request import VerifyRequest
    from .settings import VerifySettings


@dataclass
class WorkItem:
    """One notebook to verify, prepared."""

    index: int
    path: str
    raw: bytes | None = None
    nb: Notebook | None = None
    controls: dict[int, CellControl] = field(default_factory=dict)  # cell index -> control
    key: KernelKey | None = None
    exec_cells: list[tuple[int | None, dict]] = field(default_factory=list)  # (cell index | None if injected, cell)
    early: NotebookResult | None = None  # decided before running (invalid, NBR023, no kernel)
    prefetched: bool = False
    pinned_env: Any = None            # --env pinned: the nbkit.environments.PinnedEnv it runs in

    # -- the position <-> cell index mapping, computed once ------------------------------------
    @cached_property
    def position_of(self) -> dict[int, int]:
        """The notebook's cell index -> its position in the executed copy."""
        return {orig: pos for pos, (orig, _c) in enumerate(self.exec_cells) if orig is not None}

    def cell_index_at(self, position: int) -> int | None:
        """The notebook's cell index at ``position`` of the executed copy (None: injected)."""
        return self.exec_cells[position][0]

    @cached_property
    def run_positions(self) -> list[int]:
        """Positions of the code cells that run: not empty, not skipped."""
        return [pos for pos, (orig, c) in enumerate(self.exec_cells)
                if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()
                and (orig is None or not self.controls[orig].skip)]

    @cached_property
    def may_raise(self) -> frozenset[int]:
        """Positions of the cells allowed to raise (``raises-exception``)."""
        return frozenset(pos for orig, pos in self.position_of.items()
                         if orig in self.controls and self.controls[orig].raises)

    def reproduces_stored_error(self, position: int, outputs: list, settings: VerifySettings) -> bool:
        """Is the error in the fresh ``outputs`` of the cell at ``position`` the one its stored
        output shows (same exception name, same message after normalisation)?  Such a cell
        reproduces its stored output: it is compared, not failed, and the run goes on."""
        from .normalize import error_signatures

        index = self.cell_index_at(position) if position < len(self.exec_cells) else None
        if index is None or self.nb is None:
            return False
        stored = error_signatures(self.nb.cells[index].outputs, settings)
        return bool(stored) and stored == error_signatures(outputs, settings)

    @property
    def notebook(self) -> Notebook:
        """The parsed notebook: every item that runs has one (only an ``early`` result lacks it)."""
        assert self.nb is not None, f"{self.path}: not parsed"
        return self.nb

    @property
    def code_cells(self) -> int:
        return sum(1 for c in (self.nb.cells if self.nb else []) if c.is_code)

    @property
    def kernel_name(self) -> str | None:
        return self.key.name if self.key else None

    def executable_copy(self):
        """A fresh in-memory nbformat copy to execute (the input is never touched)."""
        import nbformat

        cells = []
        for _orig, c in self.exec_cells:
            c = copy.deepcopy(c)
            src = c.get("source", "")
            c["source"] = "".join(src) if isinstance(src, list) else src
            c.setdefault("metadata", {})
            if c.get("cell_type") == "code":
                c["outputs"] = []
                c["execution_count"] = None
            cells.append(c)
        md = copy.deepcopy(self.notebook.metadata)
        return nbformat.from_dict({"cells": cells, "metadata": md, "nbformat": 4, "nbformat_minor": 5})


@dataclass
class Plan:
    """What one request verifies: the work items, and the paths discovery refused."""

    items: list[WorkItem]
    invalid: list[NotebookResult] = field(default_factory=list)


def plan(request: VerifyRequest) -> Plan:
    if not request.discover:
        return Plan([prepare(k, p, request) for k, p in enumerate(request.paths)])
    from ..nbio import discover

    exclude = list(getattr(request.config, "exclude", None) or [])
    found, errors = discover(list(request.paths), exclude)
    found = select_shard(found, request.shard)
    invalid = [NotebookResult(e.path or "", "invalid", e.message) for e in errors]
    return Plan([prepare(k, path, request) for k, path in enumerate(found)], invalid)


def select_shard(paths: list[str], shard: tuple[int, int] | None) -> list[str]:
    """A deterministic slice: the notebooks sorted by path, dealt round-robin to N shards."""
    if not shard:
        return paths
    i, n = shard
    ordered = sorted(paths, key=lambda s: s.replace(os.sep, "/"))
    return [p for k, p in enumerate(ordered) if k % n == i - 1]


def prepare(index: int, path: str, request: VerifyRequest) -> WorkItem:
    from ..model import parse_notebook

    p = WorkItem(index, path)
    try:
        if os.path.isdir(path):
            raise NbkitError("is a directory, not a notebook", path)
        p.raw = Path(path).read_bytes()
        p.nb = parse_notebook(p.raw, path)
    except FileNotFoundError:
        p.early = NotebookResult(path, "invalid", "no such file or directory")
        return p
    except NbkitError as e:
        p.early = NotebookResult(path, "invalid", e.message)
        return p
    except OSError as e:
        p.early = NotebookResult(path, "invalid", f"cannot read file ({e.strerror or e})")
        return p
    nb = p.notebook
    p.controls = {c.index: control_for(c) for c in nb.cells if c.is_code}
    param_index, problem = check_parameters(nb, request.parameters)
    if problem:
        p.early = NotebookResult(path, "invalid", problem, code=rule_code("unknown-parameter"))
        return p
    ks = nb.metadata.get("kernelspec")
    if not isinstance(ks, dict):
        ks = {}
    if request.kernel:
        kernel, where = request.kernel, "--kernel"
    else:
        named = ks.get("name")
        kernel = named if isinstance(named, str) and named else "python3"
        where = "the notebook's kernelspec" if named else "the default"
    problem = check_kernel_name(kernel)
    if problem:
        hint = "; pass --kernel NAME" if where != "--kernel" else ""
        p.early = NotebookResult(path, "failed", f"{problem} (kernel from {where}{hint})", machinery=True,
                                 kernel=kernel, causes=kernel_causes(kernel, problem, missing=True))
        return p
    seed = nb.nbkit_metadata.get("seed")
    seed_s = str(seed % 2**32) if isinstance(seed, int) and not isinstance(seed, bool) else "0"
    cwd = os.path.dirname(os.path.abspath(path))
    cells: list[tuple[int | None, dict]] = []
    for c in nb.cells:
        cells.append((c.index, c.raw if nb.upgraded_from is None else _cell_dict(c)))
        if c.index == param_index and request.parameters:
            cells.append((None, _injected_cell(kernel, nb, request.parameters)))
    p.exec_cells = cells
    if any(c.is_code and not c.is_empty and not p.controls[c.index].skip for c in nb.cells):
        pinned = str(seed) if isinstance(seed, int) and not isinstance(seed, bool) else ""
        p.key = KernelKey(kernel, cwd, seed_s, pinned)
        if request.env == "pinned":
            _use_pinned_environment(p, request)
    return p


def _use_pinned_environment(p: WorkItem, request: VerifyRequest) -> None:
    """--env pinned: build (or take from the cache) the environment the notebook records and run
    its kernel there; a notebook without pins, or whose pins do not install, fails here."""
    from ..environments import KERNEL_NAME, PinnedEnvError, ensure_env, nbkit_path_dir, spec_from_notebook

    first = next((c.source for c in p.notebook.cells if c.is_code), None)
    try:
        spec = request.env_spec or spec_from_notebook(p.notebook.metadata, first)
        if spec is None:
            raise PinnedEnvError("records no environment to run in (no metadata.nbkit.environment and no "
                                 "PEP 723 block); run `nbkit pin` first, or verify with --env current")
        env = ensure_env(spec, allow_build=request.allow_build)
    except PinnedEnvError as e:
        p.early = NotebookResult(p.path, "failed", f"--env pinned: {e.message}", kernel=KERNEL_NAME)
        return
    assert p.key is not None
    p.pinned_env = env
    p.key = KernelKey(KERNEL_NAME, p.key.cwd, p.key.seed, p.key.pinned_seed, spec_dir=str(env.kernel_dir),
                      pythonpath=str(nbkit_path_dir()), venv=str(env.path))


def _cell_dict(c) -> dict:
    return {"cell_type": c.cell_type, "metadata": c.metadata, "source": c.source, "outputs": c.outputs,
            "execution_count": c.execution_count}


def _injected_cell(kernel: str, nb, parameters: dict) -> dict:
    """papermill's injected-parameters cell, placed after the ``parameters`` cell."""
    from papermill.translators import translate_parameters

    lang = nb.metadata.get("language_info", {}).get("name") if isinstance(nb.metadata.get("language_info"), dict) \
        else None
    lang = lang or (nb.metadata.get("kernelspec") or {}).get("language") or "python"
    source = translate_parameters(kernel, lang, parameters, "Parameters")
    return {"cell_type": "code", "metadata": {"tags": ["injected-parameters"]}, "source": source,
            "outputs": [], "execution_count": None}
