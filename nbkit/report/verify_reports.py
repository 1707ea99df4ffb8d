"""Renderings of a verify report: text, json (``nbkit.verify/2``), junit, html and github.

Each renderer is ``render(report) -> str``.  The text report explains each notebook in one
line and shows a readable diff for every cell that does not reproduce; the HTML page is
self-contained (inline CSS and images) with side-by-side diffs and, for changed figures,
the expected and actual images and a pixel-difference image.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from .._version import __version__
from .common import cell_label, failing_cells

if TYPE_CHECKING:
    from ..verify.results import CellResult

STATUS_STYLE = {"reproducible": "bold green", "mismatch": "bold red", "failed": "bold red",
                "nondeterministic": "bold yellow", "timeout": "bold magenta", "invalid": "bold red"}


def render_json(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _indent(text: str, prefix: str = "    ") -> list[str]:
    return [prefix + ln for ln in text.rstrip("\n").splitlines()]


def summary_line(report) -> str:
    s = report.summary()
    n = s["notebooks"]
    parts = [f"{s[k]} {k}" for k in ("reproducible", "mismatch", "failed", "nondeterministic", "timeout", "invalid")
             if s[k] or k == "reproducible"]
    return f"{n} notebook{'s' if n != 1 else ''} verified: " + ", ".join(parts)


@dataclass
class CellBlock:
    """A failing cell as the text reports show it."""

    cell: CellResult
    label: str          # cell 5 (id c1f3)
    named_above: bool   # the notebook's message already starts with this cell (a failure)
    body: list[str]     # the indented diff, or the end of the error output


def cell_blocks(nb) -> list[CellBlock]:
    """The cells of one notebook result that did not reproduce, ready to print."""
    out = []
    for c in failing_cells(nb.cells):
        label = cell_label(c.index, c.id)
        if c.diff:
            body = _indent(c.diff)
        elif c.actual and c.status == "error":
            body = _indent(c.actual[-4000:])
        else:
            body = []
        out.append(CellBlock(c, label, c.status == "error" and nb.message.startswith(label), body))
    return out


def text_drift_lines(nb) -> list[str]:
    """``drift: numpy pinned 1.0, installed 2.0`` per drifted package (text reports).

    The text wording of a missing package is still ``none`` (tests pin it); the other
    renderings use :func:`nbkit.report.common.drift_line`'s ``not installed``."""
    return [f"drift: {d.package} pinned {d.pinned}, installed {d.installed or 'none'}" for d in nb.drift]


def _cells_text(cells: list[int]) -> str:
    if not cells:
        return "the notebook"
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(i) for i in cells[:12]) + \
        (", ..." if len(cells) > 12 else "")


def cause_lines(nb) -> list[str]:
    """One line per cause group: ``cause: randomness: <summary> (cells 2, 3); fix: <fix>``."""
    return [f"cause: {g['kind']}: {g['summary']} ({_cells_text(g.get('cells') or [])}); fix: {g['fix']}"
            for g in nb.causes]


def note_kinds(note: str) -> list[str]:
    """The kinds a cell's note names, without their details: ``numpy 2 scalar repr``, ``same chart,
    rendered at a different size/dpi`` (notes are joined by "; ")."""
    return [part.split(" (")[0] for part in note.split("; ")
            if not part.startswith("the figure's shape changed")]  # the image note's second half


def note_lines(nb) -> list[str]:
    """Matches that were not exact, one line per kind of note: ``note: 24 cells differ only by numpy 2
    scalar repr (cells 1, 2, ...)``, ``note: 3 cells show the same chart, rendered at a different size/dpi``."""
    groups: dict[str, list[int]] = {}
    for c in nb.cells:
        if c.status == "match" and c.note:
            for key in note_kinds(c.note):
                groups.setdefault(key, []).append(c.index)
    out = []
    for key, cells in groups.items():
        n = f"{len(cells)} cell{'s' if len(cells) != 1 else ''}"
        if key.startswith("same chart"):
            what = f"show{'s' if len(cells) == 1 else ''} the {key}"
        elif key.startswith("raises the error"):  # a deliberate error, stored and raised again
            what = (f"raise{'s' if len(cells) == 1 else ''} the error {'its' if len(cells) == 1 else 'their'} "
                    "stored output shows; tag " + ("it" if len(cells) == 1 else "them")
                    + " `raises-exception` to make that explicit")
        else:
            what = f"differ{'s' if len(cells) == 1 else ''} only by {key}"
        out.append(f"note: {n} {what} ({_cells_text(cells)})")
    return out


def cell_cause_text(c) -> str:
    """``[randomness] an unseeded random generator feeds this cell`` (empty without a cause)."""
    return f"[{c.cause['kind']}] {c.cause['summary']}" if c.cause else ""


def _diff_style(ln: str) -> str | None:
    if ln.startswith("    +") and not ln.startswith("    +++"):
        return "green"
    if ln.startswith("    -") and not ln.startswith("    ---"):
        return "red"
    if ln.startswith("    @@"):
        return "cyan"
    if ln.startswith(("    ---", "    +++")):
        return "dim"
    return None


def render_text(report, color: bool = False) -> str:
    """One line per notebook, then the cells that do not reproduce with their diffs."""
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buf = StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=10_000, highlight=False,
                      soft_wrap=True)
    for nb in report.notebooks:
        line = Text()
        line.append(nb.path, style="bold")
        line.append("  ")
        line.append(nb.status, style=STATUS_STYLE.get(nb.status, "bold"))
        if nb.cached_at:
            line.append(f" (cached from {nb.cached_at[:10]})", style=STATUS_STYLE.get(nb.status, "bold"))
        if nb.duration_s:
            line.append(f"  ({nb.duration_s:.1f} s)", style="dim")
        if nb.code:
            line.append(f"  {nb.code}", style="dim")
        console.print(line)
        if nb.message:
            console.print(Text("  " + nb.message))
        for ln in cause_lines(nb):
            console.print(Text("  " + ln, style="cyan"))
        for ln in note_lines(nb):
            console.print(Text("  " + ln, style="dim"))
        for block in cell_blocks(nb):
            if not block.named_above:
                head = Text("  ")
                head.append(block.label, style="bold")
                head.append(f": {block.cell.message or block.cell.status}")
                console.print(head)
            dim = not block.cell.diff
            for ln in block.body:
                console.print(Text(ln, style="dim" if dim else (_diff_style(ln) or "")))
        for ln in text_drift_lines(nb):
            console.print(Text("  " + ln, style="yellow"))
        for flag, what in (("updated", "stored outputs updated"), ("stamped", "verification stamped in metadata")):
            if getattr(nb, flag):
                console.print(Text(f"  {what}", style="green"))
        console.print("")
    console.print(summary_line(report))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------

def render_junit(report) -> str:
    """One testcase per notebook; failures carry the message and the cell diffs."""
    s = report.summary()
    failures = s["mismatch"] + s["failed"] + s["nondeterministic"] + s["timeout"]
    total = sum(n.duration_s for n in report.notebooks)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="nbkit verify" tests="{s["notebooks"]}" failures="{failures}" errors="{s["invalid"]}" '
           f'time="{total:.3f}">',
           f'  <testsuite name="nbkit.verify" tests="{s["notebooks"]}" failures="{failures}" errors="{s["invalid"]}" '
           f'time="{total:.3f}">']
    for nb in report.notebooks:
        out.append(f'    <testcase classname="nbkit.verify" name={quoteattr(nb.path)} time="{nb.duration_s:.3f}">')
        if nb.status != "reproducible":
            body = [*cause_lines(nb)]  # the message is the failure's message attribute; the text adds what it does not say
            for c in failing_cells(nb.cells):
                body.append(f"{cell_label(c.index, c.id)}: {c.message or c.status}"
                            + (f" {cell_cause_text(c)}" if c.cause else ""))
                if c.diff:
                    body.append(c.diff.rstrip("\n"))
            if not body:
                body.append(nb.message)
            body.extend(f"drift: {d.line()}" for d in nb.drift)
            tag = "error" if nb.status == "invalid" or nb.machinery else "failure"
            message = nb.message + "".join(f"; cause: {g['kind']} ({_cells_text(g.get('cells') or [])})"
                                           for g in nb.causes)
            out.append(f'      <{tag} type={quoteattr(nb.status)} message={quoteattr(message)}>'
                       f'{escape(chr(10).join(body))}</{tag}>')
        # what a passing test case should still tell: drift, and matches that were not exact
        extra = ([] if nb.status != "reproducible" else [f"drift: {d.line()}" for d in nb.drift]) + note_lines(nb)
        if extra:
            out.append("      <system-out>" + escape("\n".join(extra)) + "</system-out>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.8}main{padding:20px 28px;max-width:1400px}
.nb{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:0 0 18px;padding:14px 18px}
.nb h2{font-size:16px;margin:0 0 4px;font-family:ui-monospace,Menlo,monospace}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;
margin-left:8px;vertical-align:middle}
.reproducible{background:#1a7f37}.mismatch,.failed,.invalid{background:#cf222e}.nondeterministic{background:#bf8700}
.timeout{background:#8250df}.msg{margin:2px 0 8px;color:#444}.drift{color:#9a6700}
.cell{border-top:1px solid #eef0f3;padding:10px 0}.cell h3{font-size:14px;margin:0 0 6px}
table.diff{border-collapse:collapse;width:100%;font:12px/1.4 ui-monospace,Menlo,monospace;table-layout:fixed}
table.diff td{vertical-align:top;padding:0 6px;white-space:pre-wrap;word-break:break-all;width:47%}
table.diff th{background:#f0f2f5;text-align:left;padding:3px 6px;font-weight:600}
table.diff td.ln,table.diff th:nth-child(odd){width:3%;color:#888;text-align:right;user-select:none}
tr.fold td{color:#888;font-style:italic;background:#fafbfc}
.diff_add{background:#d7f5dd}.diff_sub{background:#ffd7d5}
.images{display:flex;gap:14px;flex-wrap:wrap}.images figure{margin:0}.images img{max-width:420px;
border:1px solid #dde1e7;background:#fff}.images figcaption{font-size:12px;color:#555}
.cause{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
background:#ddf4ff;color:#0550ae;margin-right:6px}.cause-why{margin:0 0 6px;font-size:13px;color:#333}
.causes{margin:0 0 8px;padding-left:18px;font-size:13px}.notes{margin:0 0 8px;padding-left:18px;font-size:12px;color:#555}
pre{background:#f6f8fa;padding:8px;border-radius:6px;overflow:auto;font-size:12px}
table.summary td{padding:2px 12px 2px 0}
"""


def _side_by_side(expected: str, actual: str, labels=("stored", "fresh run")) -> str:
    """A two-column diff table: unchanged lines plain, changed ones highlighted, long equal
    stretches folded."""
    a, b = (expected or "").splitlines(), (actual or "").splitlines()
    a, b = a[:3000], b[:3000]
    esc = html.escape
    rows = [f"<tr><th></th><th>{esc(labels[0])}</th><th></th><th>{esc(labels[1])}</th></tr>"]

    def row(i, left, j, right, cls_l="", cls_r=""):
        rows.append(f"<tr><td class=\"ln\">{'' if i is None else i + 1}</td>"
                    f"<td class=\"{cls_l}\">{esc(left)}</td>"
                    f"<td class=\"ln\">{'' if j is None else j + 1}</td>"
                    f"<td class=\"{cls_r}\">{esc(right)}</td></tr>")

    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            n = i2 - i1
            keep = range(n) if n <= 7 else [*range(3), None, *range(n - 3, n)]
            for k in keep:
                if k is None:
                    rows.append(f"<tr class=\"fold\"><td></td><td colspan=\"3\">... {n - 6} unchanged lines ...</td></tr>")
                else:
                    row(i1 + k, a[i1 + k], j1 + k, b[j1 + k])
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            row(i if i < i2 else None, a[i] if i < i2 else "", j if j < j2 else None, b[j] if j < j2 else "",
                "diff_sub" if i < i2 else "", "diff_add" if j < j2 else "")
    return "<table class=\"diff\">" + "".join(rows) + "</table>"


def render_html(report) -> str:
    s = report.summary()
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>nbkit verify: {html.escape(summary_line(report))}</title><style>{_CSS}</style></head><body>",
             f"<header><h1>nbkit verify</h1><p>{html.escape(summary_line(report))} &middot; nbkit {__version__}</p>"
             "</header><main>",
             "<table class=\"summary\"><tr>" + "".join(f"<td><span class=\"badge {k}\">{k}</span> {s[k]}</td>"
                                                      for k in ("reproducible", "mismatch", "failed", "nondeterministic",
                                                                "timeout", "invalid")) + "</tr></table><br>"]
    parts.extend(notebook_html(nb) for nb in report.notebooks)
    parts.append("</main></body></html>\n")
    return "".join(parts)


def notebook_html(nb, heading: str | None = None) -> str:
    """One notebook's result as an HTML section: status, message, drift, and each failing cell
    with its images and side-by-side diff.  The report page is made of these; ``%nbkit verify``
    shows one (``heading`` replaces the path as its title)."""
    title = html.escape(nb.path if heading is None else heading)
    parts = [f"<section class=\"nb\"><h2>{title}<span class=\"badge {nb.status}\">{nb.status}</span></h2>"]
    parts.append(f"<p class=\"msg\">{html.escape(nb.message)}" +
                 (f" <small>({nb.duration_s:.1f} s{', ' + nb.code if nb.code else ''})</small>" if nb.duration_s
                  else "") + "</p>")
    for d in nb.drift:
        parts.append(f"<p class=\"drift\">drift: {html.escape(d.line())}</p>")
    if nb.causes:
        parts.append("<ul class=\"causes\">" + "".join(
            f"<li>{_cause_chip(g)} {html.escape(g['summary'])} ({html.escape(_cells_text(g.get('cells') or []))}); "
            f"fix: {html.escape(g['fix'])}</li>" for g in nb.causes) + "</ul>")
    notes = note_lines(nb)
    if notes:  # matches that were not exact (re-rendered charts, a newer library's repr)
        parts.append("<ul class=\"notes\">" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    for c in failing_cells(nb.cells):
        title = cell_label(c.index, c.id)
        parts.append(f"<div class=\"cell\"><h3>{html.escape(title)}: {html.escape(c.message or c.status)}</h3>")
        if c.cause:
            parts.append(f"<p class=\"cause-why\">{_cause_chip(c.cause)} {html.escape(c.cause['summary'])}"
                         f" &middot; fix: {html.escape(c.cause['fix'])}</p>")
        if c.images:
            figs = []
            for key, cap in (("expected", "stored"), ("actual", "fresh run"), ("diff", "differing pixels")):
                if c.images.get(key):
                    figs.append(f"<figure><img alt=\"{cap} image\" src=\"data:image/png;base64,{c.images[key]}\">"
                                f"<figcaption>{cap}</figcaption></figure>")
            parts.append("<div class=\"images\">" + "".join(figs) + "</div>")
        if c.status == "error" and not c.expected:
            parts.append(f"<pre>{html.escape((c.actual or '')[-5000:])}</pre>")
        elif c.expected is not None or c.actual is not None:
            labels = ("run 1", "other run") if c.nondeterministic else ("stored", "fresh run")
            parts.append(_side_by_side(c.expected or "", c.actual or "", labels))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _cause_chip(cause: dict) -> str:
    """The cause's kind as a chip; its evidence as the chip's tooltip."""
    why = "; ".join(cause.get("evidence") or [])
    return f"<span class=\"cause\" title=\"{html.escape(why)}\">{html.escape(cause['kind'])}</span>"


def scoped_css(scope: str) -> str:
    """The report's CSS for one notebook section, every rule limited to ``scope`` (a selector),
    so a fragment shown inside another page (a notebook) styles nothing else."""
    rules = []
    for rule in _CSS.replace("\n", "").split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        if selectors.strip().startswith(("body", "header", "main")):
            continue  # the page's frame, not a section
        rules.append(",".join(f"{scope} {sel.strip()}" for sel in selectors.split(",")) + "{" + body + "}")
    return "".join(rules)


def render_github(report) -> str:
    """GitHub workflow annotations: one per cell that does not reproduce (with its cause), or
    one per notebook when no cell is named (a kernel that could not start, an invalid file)."""
    from .lint_reports import _gh_escape

    lines = []
    for nb in report.notebooks:
        if nb.status == "reproducible":
            continue
        cells = failing_cells(nb.cells)
        if not cells:
            why = "".join(f" (cause: {g['kind']}: {g['summary']}; fix: {g['fix']})" for g in nb.causes)
            lines.append(f"::error file={_gh_escape(nb.path, True)},title={_gh_escape('nbkit verify: ' + nb.status, True)}"
                         f"::{_gh_escape(nb.message + why)}")
            continue
        for c in cells:
            kind = c.cause["kind"] if c.cause else c.status
            msg = f"{cell_label(c.index, c.id)}: {c.message or c.status}"
            if c.cause:
                msg += f"\ncause: {c.cause['summary']}\nfix: {c.cause['fix']}"
            lines.append(f"::error file={_gh_escape(nb.path, True)},"
                         f"title={_gh_escape(f'nbkit verify: {nb.status} ({kind})', True)}::{_gh_escape(msg)}")
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {"json": render_json, "junit": render_junit, "html": render_html, "github": render_github}
