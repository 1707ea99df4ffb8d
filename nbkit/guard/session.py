"""The guard in a kernel: IPython ``pre_run_cell`` / ``post_run_cell`` callbacks.

Before a cell runs, the guard parses it (once), runs the selected checks against the
session's history and, with auto-seed, seeds at the first unseeded use of randomness; after
it ran, the guard shows the new warnings under the cell and records what the cell bound.
Nothing here may break the user's cell: every callback swallows its own errors
(``NBKIT_DEBUG=1`` prints them).
"""

from __future__ import annotations

import html
import os
import sys
from dataclasses import dataclass, field
from typing import Callable

from ..ipysyntax import ParsedCell
from ..model import Cell
from .checks import GuardWarning, History, drift_check, order_checks, random_check, static_checks
from .saved import CellNames, SavedNotebookCache, cell_names
from .settings import GUARD_RULES, GuardSettings

STYLE = ("margin:2px 0;padding:3px 8px;border-left:4px solid #e0a800;background:rgba(255,193,7,.12);"
         "font-family:var(--jp-ui-font-family,sans-serif);font-size:12.5px;line-height:1.45")


@dataclass
class Fired:
    execution_count: int | None
    warning: GuardWarning


@dataclass
class _Pending:
    cell: Cell
    parsed: ParsedCell
    cell_id: str | None
    names: CellNames
    pos: int | None
    warnings: list[GuardWarning] = field(default_factory=list)


DEFAULT_SEED = 42

Locate = Callable[[object], "str | None"]  # shell -> the notebook file it runs, or None
Seeder = Callable[[int], "list[str]"]  # seed -> what it seeded (the face's %nbkit seed)


class Guard:
    """The live checks of one IPython shell (one per kernel: :func:`guard_for`).

    The face that starts it (nbkit.magics) hands it how to find the notebook file of the
    session (``locate``) and how ``%nbkit seed`` seeds (``seeder``)."""

    def __init__(self, shell, settings: GuardSettings | None = None, locate: Locate | None = None,
                 seeder: Seeder | None = None) -> None:
        self.shell = shell
        self.locate: Locate = locate or (lambda shell: None)
        self.seeder = seeder
        self.settings = settings or GuardSettings()
        self.rules: frozenset[str] = self.settings.rules
        self.auto_seed = self.settings.auto_seed
        self.active = False
        self.history = History()
        self.saved = SavedNotebookCache()
        self.fired: list[Fired] = []
        self.shown: set[tuple] = set()
        self.drift_checked: set[str] = set()
        self._pending: _Pending | None = None
        self._config: tuple[str, object] | None = None  # (folder, its nbkit Config)
        self._path: str | None = None  # the notebook file, once found

    # -- switching --
    def on(self) -> None:
        self._config = None
        self._path = None
        _preload()
        if not self.active:
            self.shell.events.register("pre_run_cell", self.pre_run_cell)
            self.shell.events.register("post_run_cell", self.post_run_cell)
            self.active = True

    def off(self) -> None:
        if self.active:
            for event, fn in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
                try:
                    self.shell.events.unregister(event, fn)
                except ValueError:
                    pass
            self.active = False
        self._pending = None

    # -- the callbacks --
    def pre_run_cell(self, info=None) -> None:
        try:
            self._pending = None
            source = getattr(info, "raw_cell", None)
            if not isinstance(source, str) or not source.strip():
                return
            self._pending = self._before(source, getattr(info, "cell_id", None))
        except Exception:  # noqa: BLE001 - a guard bug must never break the user's cell
            self._pending = None
            _debug_trace()

    def post_run_cell(self, result=None) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            self._after(pending, result)
        except Exception:  # noqa: BLE001
            _debug_trace()

    # -- the work --
    def _notebook_path(self) -> str | None:
        """The session's notebook file: looked up once, again only when it is gone (renamed)."""
        if self._path is None:
            self._path = self.locate(self.shell)
        return self._path

    def _before(self, source: str, cell_id) -> _Pending:
        hist = self.history
        hist.parse_cache.begin()
        parsed = hist.parse_cache.parse(source)
        cell = Cell(index=0, cell_type="code", source=source, id=cell_id if isinstance(cell_id, str) else None)
        names = cell_names(parsed.tree)
        rules = self.rules
        path = self._notebook_path() if rules & {"NBH001", "NBR011", "NBR025"} or self.auto_seed else None
        saved = self.saved.get(path)
        if saved is None:
            self._path = None  # gone or unreadable: look it up again next time
        pos = saved.positions.get(cell.id) if saved is not None and cell.id else None
        p = _Pending(cell, parsed, cell.id, names, pos)
        if parsed.tree is None:
            return p
        if "NBR004" in rules or self.auto_seed:
            warnings, newly, unseeded = random_check(hist, cell)
            hist.seeded |= newly
            if unseeded and self.auto_seed and self.seeder is not None:
                seed = self._seed(saved)
                seeded = self.seeder(seed)
                hist.seeded |= {"random", "numpy", "torch", "tensorflow"}
                warnings = [w for w in warnings if w.key[1] == "always"]
                warnings.insert(0, GuardWarning(
                    "NBR004", f"auto-seed: this cell uses randomness before any seed, so the guard seeded "
                              f"{', '.join(seeded)} with {seed} before it ran (as %nbkit seed {seed} does)",
                    f"seed in the notebook itself (%nbkit seed {seed} in the setup cell), so that Restart & Run All "
                    "without the guard draws the same numbers", ("NBR004", "auto-seed")))
            if "NBR004" in rules:
                p.warnings += warnings
        static = rules & {"NBR008", "NBR009"}
        if static:
            p.warnings += static_checks(set(static), cell, hist.parse_cache, self._project_config(path))
        if saved is not None and pos is not None:
            p.warnings += order_checks(set(rules), hist, saved, pos, names, self.shell.user_ns)
        if "NBR025" in rules and saved is not None:
            env = saved.nb.nbkit_metadata.get("environment")
            pinned = env.get("packages") if isinstance(env, dict) else None
            if isinstance(pinned, dict) and pinned:
                p.warnings += drift_check(parsed.tree, pinned, self.drift_checked)
        return p

    def _after(self, p: _Pending, result) -> None:
        hist = self.history
        hist.remember(p.parsed, p.cell_id, p.names)
        if p.cell_id is not None:
            hist.last_id = p.cell_id
        count = getattr(result, "execution_count", None)
        new = [w for w in p.warnings if w.key not in self.shown]
        for w in new:
            self.shown.add(w.key)
            self.fired.append(Fired(count, w))
        if new:
            show(new)

    def _seed(self, saved) -> int:
        env = os.environ.get("NBKIT_SEED", "").strip()
        if env.isdigit() and int(env) < 2**32:
            return int(env)
        if saved is not None:
            from ..pin.pinning import pinned_seed

            pinned = pinned_seed(saved.nb)
            if pinned is not None:
                return pinned
        return self.settings.seed if self.settings.seed is not None else DEFAULT_SEED

    def _project_config(self, path: str | None):
        """The project's configuration (rule options such as NBR009's ``allow``), read once per
        folder while the guard is on (``%nbkit guard on`` reads it again)."""
        start = os.path.dirname(path) if path else os.getcwd()
        if self._config is None or self._config[0] != start:
            try:
                from ..config import load_cached

                cfg = load_cached(start)
            except Exception:  # noqa: BLE001 - a broken pyproject: the rules' defaults
                cfg = None
            self._config = (start, cfg)
        return self._config[1]

    # -- reporting --
    def status(self) -> tuple[str, str]:
        state = "on" if self.active else "off"
        rules = ", ".join(c for c in GUARD_RULES if c in self.rules)
        head = f"nbkit guard is {state} (checks: {rules}; auto-seed {'on' if self.auto_seed else 'off'})"
        if not self.fired:
            lines = [head, "  nothing fired in this session"]
        else:
            lines = [head, f"  {len(self.fired)} warning(s) in this session:"]
            for f in self.fired:
                where = f"[{f.execution_count}]" if f.execution_count is not None else "[ ]"
                lines.append(f"  {where:>6} {f.warning.text()}")
        text = "\n".join(lines)
        rows = "".join(
            f"<tr><td>{'' if f.execution_count is None else f.execution_count}</td>"
            f"<td><b>{f.warning.code}</b></td><td>{html.escape(f.warning.message)}</td>"
            f"<td>{html.escape(f.warning.fix)}</td></tr>" for f in self.fired)
        body = (f"<table><tr><th>In</th><th>rule</th><th>problem</th><th>fix</th></tr>{rows}</table>" if rows
                else "<div>nothing fired in this session</div>")
        return text, f"<div class='nbkit-guard-status'><b>{html.escape(head)}</b>{body}</div>"


def _preload() -> None:
    """Import what the checks use now, when the guard is switched on, not at the first cell."""
    from ..rules import all_rules
    from ..rules.reproducibility import NBR004_unseeded_random  # noqa: F401

    all_rules()


def show(warnings: list[GuardWarning]) -> None:
    """Display the warnings under the running cell: HTML in Jupyter, text in a terminal."""
    from IPython.display import display

    lines = [f"nbkit guard {w.text()}" for w in warnings]
    items = [f"<div><b>{w.code}</b> {html.escape(w.message)}. <i>Fix:</i> {html.escape(w.fix)}.</div>"
              for w in warnings]
    bundle = {"text/plain": "\n".join(lines),
              "text/html": f"<div class='nbkit-guard' style='{STYLE}'>{''.join(items)}</div>"}
    # tagged, so that a comparison of outputs (nbkit verify) can tell the guard's notes from the cell's own
    display(bundle, raw=True, metadata={"nbkit": {"guard": [w.code for w in warnings]}})


def _debug_trace() -> None:
    if os.environ.get("NBKIT_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exc(file=sys.stderr)


_GUARDS: dict[int, Guard] = {}


def guard_for(shell, settings: GuardSettings | None = None, locate: Locate | None = None,
              seeder: Seeder | None = None) -> Guard:
    """The guard of ``shell`` (created on first use)."""
    g = _GUARDS.get(id(shell))
    if g is None or g.shell is not shell:
        g = _GUARDS[id(shell)] = Guard(shell, settings, locate, seeder)
    elif settings is not None:
        g.settings, g.rules, g.auto_seed = settings, settings.rules, settings.auto_seed
    return g


def drop_guard(shell) -> None:
    g = _GUARDS.pop(id(shell), None)
    if g is not None:
        g.off()
