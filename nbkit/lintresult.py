"""What a lint run returns: findings, errors and counts.  Plain data (no rules imported), so a
run answered from the lint cache builds one without loading the linter."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import NbkitError
from .findingrow import fails
from .findings import Finding, Severity


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[NbkitError] = field(default_factory=list)
    notebooks: int = 0  # notebooks linted (readable ones)
    paths: list[str] = field(default_factory=list)  # every notebook path of the run
    fixed: dict[str, int] = field(default_factory=dict)  # path -> number of fixes applied

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def exit_code(self, fail_on: Severity) -> int:
        if self.errors:
            return 2
        return 1 if fails((f.severity.value for f in self.findings), fail_on.value) else 0

    def summary(self) -> dict:
        severities = [f.severity for f in self.findings]  # one pass; list.count is C (a warm run of a folder: 10,000s)
        return {"notebooks": len(self.paths), "error": severities.count(Severity.ERROR),
                "warning": severities.count(Severity.WARNING), "info": severities.count(Severity.INFO)}

    def to_dict(self, findings: bool = True) -> dict:
        """The report's JSON document (``findings=False``: with an empty findings list, the
        summary still counting them)."""
        return {
            "schema": "nbkit.lint/1",
            "findings": [f.to_dict() for f in self.findings] if findings else [],
            "errors": [{"path": e.path, "message": e.message} for e in self.errors],
            "summary": self.summary(),
        }
