"""The verify event protocol: what a face hears while notebooks are verified.

The engine calls these methods (from its worker thread) in this order: ``on_input_error``
for each path found unusable before any run (missing, a symbolic link loop, a folder without
notebooks), ``on_plan`` once with the number of notebooks to run, then per notebook ``on_notebook_start``, ``on_cell`` for each
cell as it starts (``"running"``) and finishes (``"done"``), and ``on_notebook_end`` with
its result.  Notebooks run in parallel with ``-j``, and a confirming run (``run`` 2 of ``--runs
auto``) may start while run 1 still runs, so the cell events of both runs can interleave.  Subclass :class:`VerifyEvents` and override what you need; every method is a
no-op by default.

    class Dots(VerifyEvents):
        def on_notebook_end(self, result):
            print(".", end="", flush=True)

    verify_paths(["notebooks/"], events=Dots())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .results import NotebookResult

CellState = Literal["running", "done"]


class VerifyEvents:
    """No-op receiver of verify progress; faces override the methods they render."""

    def on_input_error(self, result: NotebookResult) -> None:
        """``result`` (status ``invalid``, its ``message`` the problem) names a path that discovery
        found unusable: it is in the report but never runs, so no other event names it."""

    def on_plan(self, total: int) -> None:
        """``total`` notebooks will be verified (after discovery and sharding)."""

    def on_notebook_start(self, path: str, cells: int) -> None:
        """Verification of ``path`` (with ``cells`` code cells) starts."""

    def on_cell(self, path: str, index: int, state: CellState, run: int) -> None:
        """Cell ``index`` (the notebook's own cell index) of fresh run ``run`` (1-based) is
        ``"running"`` or ``"done"``."""

    def on_notebook_end(self, result: NotebookResult) -> None:
        """``result`` is the verdict of one notebook (its ``duration_s`` set)."""


NO_EVENTS = VerifyEvents()
