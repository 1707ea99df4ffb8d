"""Findings: what lint reports.  Plain data, shared by every report renderer and face."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .findingrow import ROW_FIELDS, SEVERITY_RANK

TYPE_CHECKING = False  # (not typing's: nbkit.lintcache reads findings without importing typing)
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ROW_FIELDS", "Finding", "Severity", "from_rows", "to_rows"]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.value]

    @classmethod
    def parse(cls, value: "str | Severity") -> "Severity":
        if isinstance(value, Severity):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r} (expected error, warning or info)") from None

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass
class Finding:
    """One problem in one notebook, at a cell (and line) where that helps."""

    path: str
    code: str
    name: str
    severity: Severity
    message: str
    cell_index: int | None = None
    cell_id: str | None = None
    line: int | None = None
    fixable: bool = False

    def to_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies every field and was most of a large JSON report
        return {"path": self.path, "code": self.code, "name": self.name, "severity": self.severity.value,
                "message": self.message, "cell_index": self.cell_index, "cell_id": self.cell_id,
                "line": self.line, "fixable": self.fixable}

    def to_row(self) -> list:
        """The finding as a row of :data:`~nbkit.findingrow.ROW_FIELDS` (no path, severity as
        its value): lists, not objects, parse and pickle several times faster.  :meth:`from_row`
        reverses it."""
        return [self.code, self.name, self.severity.value, self.message, self.cell_index, self.cell_id,
                self.line, self.fixable]

    @classmethod
    def from_row(cls, path: str, row: "Sequence") -> "Finding":
        """The finding of ``path`` a row of :meth:`to_row` holds."""
        return from_rows(path, [row])[0]

    @property
    def sort_key(self):
        return (self.path, -1 if self.cell_index is None else self.cell_index, self.line or 0, self.code)


def to_rows(findings: "list[Finding]") -> list[list]:
    """:meth:`Finding.to_row` of each finding (of one notebook)."""
    return [f.to_row() for f in findings]


_SEVERITIES = {s.value: s for s in Severity}


def from_rows(path: str, rows: "Sequence[Sequence]") -> "list[Finding]":
    """The findings of ``path`` from rows of :data:`~nbkit.findingrow.ROW_FIELDS` (as :func:`to_rows` gives them;
    one comprehension, no call per row: a warm run of a folder turns 10,000s back)."""
    sev = _SEVERITIES
    return [Finding(path, code, name, sev[severity], message, cell_index, cell_id, line, fixable)
            for code, name, severity, message, cell_index, cell_id, line, fixable in rows]
