"""Findings: what lint reports.  Plain data, shared by every report renderer and face."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 1, "warning": 2, "error": 3}[self.value]

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

    @property
    def sort_key(self):
        return (self.path, -1 if self.cell_index is None else self.cell_index, self.line or 0, self.code)
