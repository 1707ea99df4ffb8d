"""Verify results: per cell, per notebook, and the whole report (``nbkit.verify/2``: ``/1`` plus
each cell's ``cause`` and each notebook's ``causes``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_MACHINERY, EXIT_OK

if TYPE_CHECKING:
    from ..pin.drift import Drift

SCHEMA = "nbkit.verify/2"
STATUSES = ("reproducible", "mismatch", "failed", "nondeterministic", "timeout", "invalid")
CELL_STATUSES = ("match", "mismatch", "error", "skipped", "ignored", "not-run")


@dataclass
class CellResult:
    index: int
    id: str | None
    status: str
    mime: str | None = None
    expected: str | None = None
    actual: str | None = None
    diff: str | None = None
    message: str | None = None
    images: dict | None = None  # base64 PNGs: expected / actual / diff (html report, --images)
    nondeterministic: bool = False
    cause: dict | None = None           # why it did not reproduce: kind, summary, evidence, fix
    consequence_of: int | None = None   # the earlier failed cell this failure only follows from
    note: str | None = None             # a match that is not exact: why ("numpy 2 scalar repr", "same chart, re-rendered")

    def to_dict(self, images: bool = False) -> dict:
        d: dict = {"index": self.index, "id": self.id, "status": self.status}
        for key in ("mime", "expected", "actual", "diff", "message", "cause", "consequence_of", "note"):
            v = getattr(self, key)
            if v is not None:
                d[key] = v
        if self.nondeterministic:
            d["nondeterministic"] = True
        if images and self.images:
            d["images"] = self.images
        return d


@dataclass
class NotebookResult:
    path: str
    status: str
    message: str = ""
    duration_s: float = 0.0
    drift: list[Drift] = field(default_factory=list)  # NBR025: pinned packages that differ
    cells: list[CellResult] = field(default_factory=list)
    code: str | None = None          # the rule: NBR020 failed, NBR021 mismatch, ...
    machinery: bool = False          # nbkit could not run it (no kernel): exit 3
    updated: bool = False            # --update rewrote the stored outputs
    stamped: bool = False            # --stamp recorded metadata.nbkit.verified
    cancelled: bool = False
    kernel: str | None = None
    runs: int = 1
    kernel_attempts: int = 1         # starts the kernel took (a kernel that died at start is retried)
    kernel_failed: bool = False      # its kernel could not start (a machinery failure only when none could)
    environment: dict | None = None  # --env pinned: the environment it ran in (key, python, installed, note)
    explanation: dict | None = None  # --explain-drift: which upgrade changes which cells
    causes: list[dict] = field(default_factory=list)  # one entry per cause (kind + summary) with its cells
    cached_at: str | None = None     # --cache: the verdict is the one stored then (ISO 8601), not re-run

    def to_dict(self, images: bool = False) -> dict:
        d = {"path": self.path, "status": self.status, "message": self.message,
             "duration_s": round(self.duration_s, 3), "drift": [d.to_dict() for d in self.drift],
             "cells": [c.to_dict(images) for c in self.cells], "causes": self.causes}
        if self.code:
            d["code"] = self.code
        if self.kernel:
            d["kernel"] = self.kernel
        if self.runs > 1:
            d["runs"] = self.runs
        if self.kernel_attempts > 1:
            d["kernel_attempts"] = self.kernel_attempts
        if self.environment is not None:
            d["environment"] = self.environment
        if self.explanation is not None:
            d["explanation"] = self.explanation
        for flag in ("machinery", "updated", "stamped", "cancelled"):
            if getattr(self, flag):
                d[flag] = True
        if self.cached_at:
            d["cached"] = {"at": self.cached_at}
        return d

    def exit_code(self) -> int:
        if self.status == "reproducible" or (self.updated and self.status == "mismatch"):
            return EXIT_OK
        if self.status == "invalid":
            return EXIT_INPUT
        if self.machinery:
            return EXIT_MACHINERY
        return EXIT_FINDINGS


@dataclass
class VerifyReport:
    notebooks: list[NotebookResult] = field(default_factory=list)

    def summary(self) -> dict:
        s = {"notebooks": len(self.notebooks), **dict.fromkeys(STATUSES, 0)}
        for nb in self.notebooks:
            s[nb.status] += 1
        return s

    def to_dict(self, images: bool = False) -> dict:
        return {"schema": SCHEMA, "notebooks": [n.to_dict(images) for n in self.notebooks],
                "summary": self.summary()}

    def exit_code(self) -> int:
        return max((n.exit_code() for n in self.notebooks), default=EXIT_OK)
