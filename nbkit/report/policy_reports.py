"""Renderings of team-policy verdicts (``nbkit lint --policy``): text lines after the lint
report, and GitHub workflow annotations.  The JSON shape is the ``policy`` object of the lint
report (``nbkit.policy.PolicyReport.to_dict``; lint.schema.json)."""

from __future__ import annotations

from ..policy import PolicyReport
from .lint_reports import _gh_escape, _uri


def render_policy_text(report: PolicyReport) -> str:
    """One line per notebook under a policy, then one line per violation with its fix.
    Verdicts that could not be made (their ``error``) are left to the caller's error lines."""
    shown = [r for r in report.results if r.error is None]
    if not report.configured:
        return "\nTeam policy: none configured ([tool.nbkit.policy] in pyproject.toml); nothing checked.\n"
    lines = [""]
    for r in shown:
        lines.append(f"{r.path}: {r.summary()} (policy from {r.policy.source_label})")
        for v in r.violations:
            fix = v.fix.command or v.fix.label
            codes = f" ({', '.join(v.codes)})" if v.codes else ""
            lines.append(f"  policy: {v.message}{codes}; fix: {fix}")
    bad = sum(1 for r in shown if not r.ok)
    lines.append(f"Team policy: {len(shown) - bad} of {len(shown)} notebook{'s' if len(shown) != 1 else ''} "
                 f"meet{'s' if len(shown) == 1 else ''} it.")
    return "\n".join(lines) + "\n"


def render_policy_github(report: PolicyReport) -> str:
    """One ``::error`` annotation per violation (title ``nbkit policy``)."""
    lines = []
    for r in report.results:
        for v in r.violations:
            fix = v.fix.command or v.fix.label
            lines.append(f"::error file={_gh_escape(_uri(r.path), True)},title={_gh_escape('nbkit policy', True)}::"
                         f"{_gh_escape(f'{v.message} (policy from {r.policy.source_label}); fix: {fix}')}")
    return "\n".join(lines) + ("\n" if lines else "")
