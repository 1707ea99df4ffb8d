"""The text report of one notebook's cached findings without the report library (rich).

:func:`render_cached` gives, byte for byte, what :func:`nbkit.report.lint_reports.render_text`
prints for a run of that one notebook (tests/test_lint_fastpath.py compares the two); the
one-notebook fast path (:mod:`nbkit.cli.fastlint`) uses it so that it need not import rich.
"""

from __future__ import annotations

_SEVERITIES = ("info", "warning", "error")
# rich's SGR codes for the styles of lint_reports (SEVERITY_STYLE and the fixed ones)
_STYLE = {"path": "1;4", "dim": "2", "error": "1;31", "warning": "33", "info": "36", "code": "1", "fixable": "32"}


def _plain_text(s: object) -> bool:
    """Text the report prints as it is (no control characters: the full renderer expands tabs
    and drops or splits on others)."""
    return isinstance(s, str) and s.isprintable()


def render_cached(path: str, entries: list[dict], color: bool) -> str | None:
    """The text report of a run of one notebook from its cached findings (``entries``, in the
    lint cache's order), byte for byte as ``render_text`` prints it, with or without ANSI
    colours; None when a finding holds text only the full renderer prints faithfully."""
    def styled(text: str, style: str) -> str:
        return f"\x1b[{_STYLE[style]}m{text}\x1b[0m" if color and text else text

    if not _plain_text(path):
        return None
    lines: list[str] = []
    counts = dict.fromkeys(_SEVERITIES, 0)
    fixable = 0
    if entries:
        lines.append(styled(path, "path"))
    for e in entries:
        sev, code, message, name = e["severity"], e["code"], e["message"], e["name"]
        if sev not in counts or not all(_plain_text(v) for v in (code, message, name)):
            return None
        counts[sev] += 1
        line = "  "
        if e.get("cell_index") is not None:
            where = f"cell {e['cell_index']}"
            if e.get("cell_id"):
                if not _plain_text(e["cell_id"]):
                    return None
                where += f" [{e['cell_id']}]"
            if e.get("line"):
                where += f":{e['line']}"
            line += styled(where, "dim") + " "
        line += styled(sev, sev) + " " + styled(code, "code") + f" {message}" + styled(f" ({name})", "dim")
        if e.get("fixable"):
            fixable += 1
            line += styled(" [*]", "fixable")
        lines.append(line)
    if entries:
        lines.append("")
    tail = (f"1 notebook checked: {counts['error']} error{'s' if counts['error'] != 1 else ''}, "
            f"{counts['warning']} warning{'s' if counts['warning'] != 1 else ''}, {counts['info']} info")
    if fixable:
        tail += f"\n{fixable} fixable with --fix ([*])"
    lines.append(tail)
    return "\n".join(lines) + "\n"
