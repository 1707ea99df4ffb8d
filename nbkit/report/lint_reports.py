"""Renderings of a lint result: text, json, sarif, junit, github.

Each renderer is a function ``render(result) -> str``; all are views of the same findings
(the json shape is ``nbkit.lint/1``, see DESIGN.md).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import defaultdict
from json.encoder import encode_basestring as _encode_str

from .._version import __version__
from ..errors import NoNotebooksError
from ..findings import Finding, Severity
from .common import cell_label

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


MSGSPEC_IMPORT_PAYS = 5000  # findings: below this, importing msgspec (~20 ms) costs more than it saves


def render_json(result) -> str:
    """``json.dumps(result.to_dict(), indent=2, ensure_ascii=False)``, byte for byte: written by
    msgspec (:func:`render_json_bytes`) when it can, else with the findings (flat objects of
    strings, numbers, booleans and nulls) written by hand: the standard library's indenting
    encoder is pure Python and took longer than a warm lint run of a large folder."""
    data = render_json_bytes(result)
    return data.decode("utf-8") if data is not None else render_json_by_hand(result)


def render_json_bytes(result) -> bytes | None:
    """:func:`render_json`'s text as UTF-8, written by msgspec's C encoder and indenter (some
    five times faster than by hand: a folder's report is megabytes), or None when msgspec is
    missing or refuses the document (a lone surrogate: a file name that is not UTF-8).  The
    findings go in as they are: msgspec writes a dataclass's fields in their order, the keys
    and order of :meth:`~nbkit.findings.Finding.to_dict`, and a :class:`Severity` as its value;
    its escapes are json's with ``ensure_ascii=False`` (tests/test_lint_reports.py compares the
    two on every character).  Floats are the one difference (msgspec writes ``1e16`` and ``nan``
    as ``1e16`` and ``null``, json as ``1e+16`` and ``NaN``): no finding holds one, its line and
    cell index are integers.
    A small report from the lint cache is written by hand when msgspec is not imported yet."""
    if "msgspec" not in sys.modules and len(result.findings) < MSGSPEC_IMPORT_PAYS:
        return None  # (a lint in this process imported it: nbkit.model reads notebooks with it)
    try:
        from msgspec import json as msgspec_json
    except ImportError:  # pragma: no cover - a dependency
        return None
    doc = result.to_dict(findings=False)
    doc["findings"] = result.findings
    try:
        return msgspec_json.format(msgspec_json.encode(doc), indent=2) + b"\n"
    except (UnicodeEncodeError, TypeError, ValueError, OverflowError):
        return None


def render_json_by_hand(result) -> str:
    """:func:`render_json`'s text, the findings written by hand (when msgspec does not write it)."""
    findings = result.findings
    doc = result.to_dict(findings=False)
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if findings:  # one join: a large folder's report is megabytes, each copy of it counts
        before, _, after = text.partition('\n  "findings": [],')
        return "".join((before, '\n  "findings": [\n', ",\n".join(_finding_blocks(findings)), '\n  ],',
                        after, "\n"))
    return text + "\n"


def _finding_blocks(findings: list[Finding]) -> list[str]:
    """Each finding as ``json.dumps(f.to_dict(), indent=2)`` writes it at the depth of the
    report's findings list (the keys of :meth:`Finding.to_dict`, in its order).  An f-string per
    finding, and the lines a notebook's findings repeat (path; code, name and severity) encoded
    once: a warm run of a large folder reports tens of thousands."""
    enc = _encode_str
    paths: dict[str, str] = {}
    heads: dict[tuple, str] = {}
    out = []
    for f in findings:
        path = paths.get(f.path)
        if path is None:
            path = paths[f.path] = enc(f.path)
        key = (f.code, f.name, f.severity)
        head = heads.get(key)
        if head is None:
            head = heads[key] = (f'      "code": {enc(f.code)},\n      "name": {enc(f.name)},\n'
                                 f'      "severity": {enc(f.severity.value)},\n')
        ci, cid, line, fixable = f.cell_index, f.cell_id, f.line, f.fixable
        out.append(f'    {{\n      "path": {path},\n{head}      "message": {enc(f.message)},\n'
                   f'      "cell_index": {"null" if ci is None else ci if type(ci) is int else _scalar(ci)},\n'
                   f'      "cell_id": {"null" if cid is None else enc(cid) if type(cid) is str else _scalar(cid)},\n'
                   f'      "line": {"null" if line is None else line if type(line) is int else _scalar(line)},\n'
                   f'      "fixable": {"false" if fixable is False else "true" if fixable is True else _scalar(fixable)}'
                   '\n    }')
    return out


def _scalar(value) -> str:
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _where(f: Finding) -> str:
    if f.cell_index is None:
        return ""
    w = f"cell {f.cell_index}"
    if f.cell_id:
        w += f" [{f.cell_id}]"
    if f.line:
        w += f":{f.line}"
    return w


def render_text(result, color: bool = False, fixed_note: bool = True) -> str:
    """Findings grouped by notebook, one line each, like ruff; a summary line at the end."""
    if not color:
        plain = _plain_text(result, fixed_note)
        if plain is not None:
            return plain
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buf = StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=10_000, highlight=False,
                      soft_wrap=True)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_path[f.path].append(f)
    for path in sorted(by_path):
        console.print(Text(path, style="bold underline"))
        for f in by_path[path]:
            line = Text("  ")
            where = _where(f)
            if where:
                line.append(where, style="dim")
                line.append(" ")
            line.append(f"{f.severity.value}", style=SEVERITY_STYLE[f.severity.value])
            line.append(" ")
            line.append(f.code, style="bold")
            line.append(f" {f.message}")
            line.append(f" ({f.name})", style="dim")
            if f.fixable:
                line.append(" [*]", style="green")
            console.print(line)
        console.print("")
    for path, n in sorted(result.fixed.items()):
        console.print(Text.assemble(("fixed: ", "green"), f"{path} ({n} fix{'es' if n != 1 else ''} applied)"))
    console.print(_tail(result, fixed_note))
    return buf.getvalue()


_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _plain_text(result, fixed_note: bool) -> str | None:
    """The text report without colour, as rich writes it, without importing rich (a tenth of a
    second of a one-notebook run).  None when a line holds a control character (a tab, a
    carriage return...): rich's own handling of those applies then."""
    out: list[str] = []
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_path[f.path].append(f)
    severity = {s: s.value for s in Severity}  # (Enum's .value is a Python-level property)
    for path in sorted(by_path):
        out.append(path)
        for f in by_path[path]:
            # _where inlined: a warm run of a large folder prints tens of thousands of lines
            ci = f.cell_index
            where = "" if ci is None else \
                f"cell {ci}{f' [{f.cell_id}]' if f.cell_id else ''}{f':{f.line}' if f.line else ''} "
            out.append(f"  {where}{severity[f.severity]} {f.code} {f.message} ({f.name}){' [*]' if f.fixable else ''}")
        out.append("")
    for path, n in sorted(result.fixed.items()):
        out.append(f"fixed: {path} ({n} fix{'es' if n != 1 else ''} applied)")
    out.append(_tail(result, fixed_note))
    text = "\n".join(out) + "\n"
    return None if _CONTROL_BUT_NEWLINE.search(text) else text


def _tail(result, fixed_note: bool) -> str:
    s = result.summary()
    n = s["notebooks"]
    parts = [f"{s['error']} error{'s' if s['error'] != 1 else ''}",
             f"{s['warning']} warning{'s' if s['warning'] != 1 else ''}",
             f"{s['info']} info"]
    tail = f"{n} notebook{'s' if n != 1 else ''} checked: " + ", ".join(parts)
    empty = sum(1 for e in result.errors if isinstance(e, NoNotebooksError))
    unreadable = len(result.errors) - empty
    if unreadable:
        tail += f"; {unreadable} unreadable input{'s' if unreadable != 1 else ''}"
    if empty:
        tail += f"; {empty} folder{'s' if empty != 1 else ''} without notebooks"
    fixable = sum(1 for f in result.findings if f.fixable)
    if fixable and fixed_note:
        tail += f"\n{fixable} fixable with --fix ([*])"
    return tail


# -- HTML fragment (the %nbkit lint magic) -----------------------------------------------------

def render_html_fragment(result, title: str) -> str:
    """The findings as an HTML table under ``title``, unreadable inputs below it."""
    from .html import BAD, OK, WARN, box, paragraph, table

    rows, styles = [], []
    sev_style = {"error": BAD, "warning": WARN, "info": None}
    for f in sorted(result.findings, key=lambda f: f.sort_key):
        where = "" if f.cell_index is None else cell_label(f.cell_index) + (f":{f.line}" if f.line else "")
        rows.append([f.severity.value, f.code, f.name, where, f.message])
        styles.append(sev_style.get(f.severity.value))
    inner = table(["severity", "code", "rule", "where", "message"], rows, styles) if rows else \
        paragraph("No findings.", OK)
    for e in result.errors:
        inner += paragraph(str(e), BAD)
    return box(title, inner)


def lint_title(result, name: str) -> str:
    """``nbkit lint: NAME: 1 error(s), 0 warning(s), 2 info (saved file)``."""
    s = result.summary()
    return (f"nbkit lint: {name}: {s['error']} error(s), {s['warning']} warning(s), "
            f"{s['info']} info (saved file)")


# -- SARIF 2.1.0 -------------------------------------------------------------------------------

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path)) if not path.startswith("<") else path
    return rel.replace(os.sep, "/")


def render_sarif(result) -> str:
    from ..rules import all_rules

    rules = all_rules(static_only=True)
    index = {r.code: i for i, r in enumerate(rules)}
    sarif_rules = [{
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.summary},
        "helpUri": f"https://nbkit.readthedocs.io/en/latest/rules/{r.code}.html",
        "help": {"text": r.doc.split("\n\n")[0] if r.doc else r.summary, "markdown": r.doc or r.summary},
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity.value]},
        "properties": {"tags": [r.category.lower()]},
    } for r in rules]
    results = []
    for f in result.findings:
        loc: dict = {"physicalLocation": {"artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"}}}
        if f.cell_index is not None:
            # SARIF has no notebook cells: point at the file and name the cell in a logical location
            loc["logicalLocations"] = [{"name": cell_label(f.cell_index), "kind": "member",
                                        "fullyQualifiedName": f"{_uri(f.path)}#cell={f.cell_index}"
                                                              + (f"&id={f.cell_id}" if f.cell_id else "")}]
        entry = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity.value],
            "message": {"text": f"{_where(f) + ': ' if _where(f) else ''}{f.message}"},
            "locations": [loc],
            "properties": {"cell_index": f.cell_index, "cell_id": f.cell_id, "line_in_cell": f.line,
                           "name": f.name},
        }
        if f.code in index:
            entry["ruleIndex"] = index[f.code]
        results.append(entry)
    notifications = [{"level": "error", "message": {"text": str(e)},
                      "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path or "")}}}]}
                     for e in result.errors]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nbkit", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/nbkit/nbkit", "rules": sarif_rules}},
            "invocations": [{"executionSuccessful": not result.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- JUnit XML ---------------------------------------------------------------------------------

def render_junit(result) -> str:
    """One testcase per notebook; findings at or above ``warning`` become its failure text."""
    from xml.sax.saxutils import escape, quoteattr  # imported here: it pulls in urllib and email

    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_path[f.path].append(f)
    errors = {e.path: e for e in result.errors}
    paths = list(dict.fromkeys([*result.paths, *errors]))
    cases = []
    n_fail = n_err = 0
    for path in paths:
        name = quoteattr(path)
        if path in errors:
            n_err += 1
            cases.append(f'    <testcase classname="nbkit.lint" name={name}>\n'
                         f'      <error message={quoteattr(errors[path].message)}/>\n    </testcase>')
            continue
        fs = by_path.get(path, [])
        bad = [f for f in fs if f.severity == Severity.ERROR]
        if bad:
            n_fail += 1
            body = "\n".join(f"{_where(f) or 'notebook'}: {f.severity.value} {f.code} {f.message}" for f in fs)
            msg = f"{len(bad)} error{'s' if len(bad) != 1 else ''}"
            cases.append(f'    <testcase classname="nbkit.lint" name={name}>\n'
                         f'      <failure message={quoteattr(msg)} type="lint">{escape(body)}</failure>\n'
                         f'    </testcase>')
        else:
            out = "\n".join(f"{_where(f) or 'notebook'}: {f.severity.value} {f.code} {f.message}" for f in fs)
            inner = f"\n      <system-out>{escape(out)}</system-out>\n    " if out else ""
            cases.append(f'    <testcase classname="nbkit.lint" name={name}>{inner}</testcase>')
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
            f'  <testsuite name="nbkit lint" tests="{len(paths)}" failures="{n_fail}" errors="{n_err}">')
    return "\n".join([head, *cases, "  </testsuite>", "</testsuites>"]) + "\n"


# -- GitHub workflow annotations ---------------------------------------------------------------

_GH_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def render_github(result) -> str:
    lines = []
    for f in result.findings:
        title = f"{f.code} {f.name}"
        where = _where(f)
        msg = f"{where + ': ' if where else ''}{f.message}"
        lines.append(f"::{_GH_LEVEL[f.severity.value]} file={_gh_escape(_uri(f.path), True)},"
                     f"title={_gh_escape(title, True)}::{_gh_escape(msg)}")
    for e in result.errors:
        lines.append(f"::error file={_gh_escape(_uri(e.path or ''), True)},title=nbkit::{_gh_escape(e.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif, "junit": render_junit,
             "github": render_github}
