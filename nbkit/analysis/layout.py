"""The standard notebook layout (part of the notebook analysis): which sections a notebook has, where, and where a missing
one belongs.  Shared by the NBL/NBD rules, ``--fix``, ``nbkit new`` and the panel's checklist.

Order: title -> summary -> questions -> setup -> data -> analysis -> findings ->
next steps (optional) -> appendix (optional, last).

Detection, in short:

* the title is an H1 in the first non-raw cell;
* every other heading (ATX, setext, ``<h1>``-``<h3>``; see :mod:`nbkit.model`) is normalised
  (numbering, emoji, markup and a trailing ``:`` removed, lower case) and matched against the
  section aliases.  An exact alias match always counts; "alias + a few more words"
  ("Data sources and cleaning") counts too, except that summary/questions prefixes must come
  before the first code cell and findings/next-steps prefixes after it;
* an alias claimed by two sections ("key takeaways") is the summary before the first code
  cell and the findings after it; a plain summary alias ("Summary") after the last analysis
  code cell is read as the findings (that is what a closing "Summary" is);
* a heading nested under a recognised section (a deeper level) is a sub-section of it, not a
  section of its own; under an unrecognised wrapper heading (an H1, or one before the first
  code cell, such as "Introduction") exact aliases count, under others nothing does; the
  appendix is only ever a top-level section (or directly under an H1): an "### References"
  inside an H2 section belongs to that section;
* analysis sections are the unrecognised H2 (or non-title H1) sections between
  questions/setup/data and findings that contain code other than imports and magics.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Callable

from ..ipysyntax import NOT_CODE, ParsedCell, parse_cell
from ..model import FENCE, Cell, Notebook, normalise_heading
from .semantic import ipython_method

SECTIONS = ("title", "summary", "questions", "setup", "data", "analysis", "findings", "next_steps", "appendix")
REQUIRED = ("title", "summary", "questions", "setup", "data", "analysis", "findings")

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": ("executive summary", "summary", "tl;dr", "tldr", "key takeaways", "bottom line", "abstract",
                "overview"),
    "questions": ("questions", "key questions", "business questions", "research questions", "objectives", "goals",
                  "hypotheses", "motivation", "problem statement", "purpose", "scope", "question",
                  "key question", "business question", "research question", "objective", "goal", "hypothesis"),
    "setup": ("setup", "set up", "imports", "environment", "configuration", "parameters",
              "libraries", "import libraries", "importing libraries", "packages", "dependencies"),
    "data": ("data", "data sources", "datasets", "inputs", "data loading", "load data",
             "dataset", "data set", "the data", "load the data", "loading the data", "loading data",
             "read the data", "reading the data", "data source"),
    "findings": ("findings", "key findings", "results", "conclusion", "conclusions", "answers", "insights",
                 "key takeaways"),
    "next_steps": ("next steps", "recommendations", "future work", "follow-ups", "follow ups", "open questions"),
    "appendix": ("appendix", "supplementary", "references"),
}

# Headings nbkit inserts (--fix, the panel, `nbkit new`).
DEFAULT_HEADINGS = {
    "title": "# Title",
    "summary": "## Executive summary",
    "questions": "## Questions",
    "setup": "## Setup",
    "data": "## Data",
    "analysis": "## Analysis",
    "findings": "## Findings",
    "next_steps": "## Next steps",
    "appendix": "## Appendix",
}
SECTION_LABELS = {
    "title": "Title", "summary": "Executive summary", "questions": "Questions", "setup": "Setup",
    "data": "Data", "analysis": "Analysis", "findings": "Findings", "next_steps": "Next steps",
    "appendix": "Appendix",
}
# The one-line italic hint nbkit puts under a heading it inserts.  The rules treat a section
# that holds nothing but its hint as still empty.
SECTION_HINTS = {
    "title": "_One sentence on what this notebook answers and for whom._",
    "summary": "_The answer first: what you found, how sure you are and what to do about it "
               "(at least 15 words or 2 bullets)._",
    "questions": "_The questions this notebook answers, one list item each._",
    "setup": "_Imports, parameters and seeds, in one place._",
    "data": "_Where the data comes from (source, version or date, licence) and how it is loaded._",
    "analysis": "_What this section looks at and why._",
    "findings": "_The answer to each question, with the number, figure or table that supports it._",
    "next_steps": "_What should happen next, and who decides._",
    "appendix": "_Supporting material: details, extra figures, references._",
}
_HINT_LINES = frozenset(SECTION_HINTS.values())

# Summary/questions prefixes must come before the first code cell, findings-like after it.
_PREFIX_BEFORE_CODE = {"summary", "questions"}
_PREFIX_AFTER_CODE = {"findings", "next_steps"}
_CONNECTORS = frozenset({"and", "&", "/", "-", "+", ":", "or", "with", "tl;dr"})
_MAX_PREFIX_REST = 4
# after a one-word alias, these keep it the heading's head ("Results of the pilot", "Data for 2024")
_PREPOSITIONS = frozenset({"of", "for", "from", "on", "about", "at", "by", "in", "we", "used", "to"})
# generic summary headings that, after the last analysis code, close the notebook (= findings)
_CLOSING_SUMMARY = frozenset({"summary", "bottom line"})  # "Data" + at most this many more words


@dataclass
class Section:
    kind: str  # one of SECTIONS, or "other"
    cell_index: int  # cell holding the heading
    level: int
    text: str
    end: int  # index of the first cell after the section (exclusive)
    line: int = 1  # line of the heading in its cell (1-based)
    stop: tuple[int, int] | None = None  # (cell, line) of the heading that ends it; None: notebook end
    parent: int | None = None  # index in Layout.sections of the enclosing heading, if any
    nested: bool = False  # a sub-section of a recognised section

    @property
    def label(self) -> str:
        return SECTION_LABELS.get(self.kind, self.text)


@dataclass
class BodyLine:
    """One markdown line of a section's body (headings, fences and nbkit hints left out)."""

    cell_index: int
    line: int  # 1-based within the cell
    text: str


@dataclass
class Layout:
    title: int | None  # cell index of the title (H1 in the first cell that is neither raw nor empty)
    sections: list[Section]
    first_code: int | None
    last_code: int | None
    first: dict[str, Section] = field(default_factory=dict)  # first occurrence of each kind
    n_cells: int = 0
    front_matter: int = 0  # leading raw and empty cells
    cells: list[Cell] | None = field(default=None, repr=False, compare=False)  # the analysed notebook's cells
    _content: dict[int, list[tuple[int, str]]] = field(default_factory=dict, init=False, repr=False,
                                                       compare=False)

    def _nb_cells(self) -> list[Cell] | None:
        return self.cells

    def content_lines(self, cell: Cell) -> list[tuple[int, str]]:
        """(line number, text) of a markdown cell's prose: no headings, fences, comments or hints."""
        found = self._content.get(cell.index)
        if found is None:
            found = self._content[cell.index] = _content_lines(cell)
        return found

    def present(self, kind: str) -> bool:
        if kind == "title":
            return self.title is not None
        return kind in self.first

    def missing(self) -> list[str]:
        return [k for k in REQUIRED if not self.present(k)]

    def of_kind(self, kind: str) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]

    def checklist(self) -> list[dict]:
        """Each section: present or not, where, and where to insert it when missing."""
        out = []
        for kind in SECTIONS:
            present = self.present(kind)
            cell = self.title if kind == "title" else (self.first[kind].cell_index if present else None)
            out.append({
                "section": kind,
                "label": SECTION_LABELS[kind],
                "required": kind in REQUIRED,
                "present": present,
                "cell_index": cell,
                "insert_at": None if present else self.insert_position(kind),
                "heading": DEFAULT_HEADINGS[kind],
            })
        return out

    def insert_position(self, kind: str) -> int:
        """Cell index before which a missing section's heading belongs."""
        if kind == "title":
            return self.front_matter
        order = SECTIONS.index(kind)
        top = [s for s in self.sections if not s.nested]
        # after the end of the latest present section that comes before it in the order
        best = None
        for k in SECTIONS[:order]:
            if k == "title":
                if self.title is not None:
                    best = max(best or 0, self.title + 1)
                continue
            for s in top:
                if s.kind == k:
                    best = max(best or 0, s.end)
        if kind in ("summary", "questions") and self.first_code is not None:
            limit = min([s.cell_index for s in top if s.kind in ("setup", "data", "analysis")]
                        + [self.first_code])
            if best is None or best > limit:
                best = limit
        if kind == "setup" and self.first_code is not None:
            best = self.first_code if best is None or best > self.first_code else best
            later = [s.cell_index for s in top if s.kind in ("data", "analysis", "findings")]
            if later and best > min(later):
                best = min(later)
        if kind in ("findings", "next_steps", "appendix"):
            # after the last analysis code: code in the appendix or next steps does not count
            lc = self.last_analysis_code()
            if lc is not None and (best is None or best <= lc):
                best = lc + 1
        if best is None:
            best = self.front_matter if self.title is None else self.title + 1
        # never after a later section's heading
        later = [s.cell_index for s in top if s.kind in SECTIONS and SECTIONS.index(s.kind) > order]
        if later and best > min(later):
            best = min(later)
        best = min(best, self.n_cells)
        # prose without a heading belongs to the section before it: do not split it off
        cells = self._nb_cells()
        if cells is not None:
            while best < len(cells) and (cells[best].is_empty or (cells[best].cell_type in ("markdown", "raw")
                                                                 and (not cells[best].headings
                                                                      or self._leads_with_prose(best, order)
                                                                      or self._deeper_only(best, order)))):
                best += 1
            last = cells[-1] if cells else None
            if best == len(cells) and last is not None and last.is_code and last.source == "" \
                    and last.execution_count is None and not last.outputs:
                best -= 1  # Jupyter's never-run empty cell stays last (NBH006 reports it only elsewhere)
        return best

    def _leads_with_prose(self, index: int, order: int) -> bool:
        """Whether markdown cell ``index`` starts with prose before its first heading, and none of
        its headings starts a section that belongs after section number ``order``: its prose ends
        the section before it, so a heading inserted above it would take that prose in (a finding
        the insertion added, e.g. NBD006 on text that is no finding); the heading goes after it."""
        cells = self._nb_cells()
        if cells is None or not cells[index].headings:
            return False
        first = min(h.line for h in cells[index].headings)
        if not any(line < first for line, _text in self.content_lines(cells[index])):
            return False
        return not any(s.cell_index == index and s.kind in SECTIONS and SECTIONS.index(s.kind) > order
                       for s in self.sections)

    def section_level(self) -> int:
        """The heading level of a section nbkit inserts: 2, or deeper when all the notebook's section
        headings (every heading but the title) are deeper, so the new one is their sibling."""
        cells = self._nb_cells() or []
        levels = [h.level for c in cells for h in c.headings if not (h.level == 1 and c.index == self.title)]
        return max(2, min(levels)) if levels else 2

    def _deeper_only(self, index: int, order: int) -> bool:
        """Whether markdown cell ``index`` holds only headings more than one level deeper than a
        section nbkit would insert (``####`` under a new ``##``), none of them a section that belongs
        after section number ``order``: such sub-sub-sections belong to the section before them, and
        a section inserted above them would make them skip a level (an NBL010 finding)."""
        cells = self._nb_cells()
        if cells is None or not cells[index].headings:
            return False
        if min(h.level for h in cells[index].headings) <= self.section_level() + 1:
            return False
        return not any(s.cell_index == index and s.kind in SECTIONS and SECTIONS.index(s.kind) > order
                       for s in self.sections)

    # -- helpers for rules (need the notebook) ------------------------------------------------

    def owner(self, cell_index: int) -> Section | None:
        """The top-level recognised section (not "other") whose range holds the cell."""
        found = None
        for s in self.sections:
            if s.nested or s.kind == "other":
                continue
            if s.cell_index <= cell_index < s.end:
                found = s
        return found

    def last_analysis_code(self) -> int | None:
        """The last non-empty code cell that is not in the next-steps or appendix sections."""
        cells = self._nb_cells()
        if cells is None:
            return self.last_code
        for c in reversed(cells):
            if c.is_code and not c.is_empty:
                own = self.owner(c.index)
                if own is None or own.kind not in ("appendix", "next_steps"):
                    return c.index
        return None

    def body(self, section: Section, stop_at_code: bool = False) -> list[BodyLine]:
        """The markdown text under a heading, up to the heading that ends the section (or, with
        ``stop_at_code``, up to the first non-empty code cell: the prose right under the heading)."""
        cells = self._nb_cells()
        if cells is None:
            return []
        stop_cell, stop_line = section.stop if section.stop else (len(cells), 0)
        out: list[BodyLine] = []
        for ci in range(section.cell_index, min(stop_cell + 1, len(cells))):
            cell = cells[ci]
            if not cell.is_markdown:
                if stop_at_code and cell.is_code and not cell.is_empty:
                    break
                continue
            first = section.line + 1 if ci == section.cell_index else 1
            last = stop_line - 1 if ci == stop_cell else None
            for ln, text in self.content_lines(cell):
                if ln < first or (last is not None and ln > last):
                    continue
                out.append(BodyLine(ci, ln, text))
        return out


# -- markdown helpers --------------------------------------------------------------------------

_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_HEADING = re.compile(r"\s*<h[1-6]\b.*</h[1-6]>\s*", re.IGNORECASE)
BULLET = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(\S.*)$")


def _content_lines(cell) -> list[tuple[int, str]]:
    """(line number, text) of a markdown cell's prose: no headings, fences, comments or hints."""
    heading_lines = set()
    for h in cell.headings:
        heading_lines.add(h.line)
    lines = cell.lines
    # setext underlines sit right after their text line
    for h in cell.headings:
        if h.line < len(lines) and _SETEXT_UNDERLINE.match(lines[h.line]):
            heading_lines.add(h.line + 1)
    src_wo_comments = cell.source
    if "<!--" in src_wo_comments:
        src_wo_comments = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), src_wo_comments)
        lines = src_wo_comments.splitlines()
    out: list[tuple[int, str]] = []
    fence = None
    for i, line in enumerate(lines, start=1):
        m = FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if m:
            fence = m.group(1)
            continue
        if i in heading_lines:
            continue
        stripped = line.strip()
        if not stripped or stripped in _HINT_LINES:
            continue
        if "<" in stripped and _HTML_HEADING.fullmatch(line):  # (the pattern starts with a tag)
            continue
        out.append((i, line))
    return out


_WORD = re.compile(r"[^\W_][\w'’.%-]*", re.UNICODE)
_LINK = re.compile(r"\]\([^)]*\)|<[^>]+>|https?://\S+")


def words(text: str) -> list[str]:
    """Words of a line of markdown (link targets and HTML tags do not count)."""
    return _WORD.findall(_LINK.sub("]", text))


def bullets(lines: list[BodyLine]) -> list[BodyLine]:
    """Top-level list items (the least indented ones) among body lines."""
    items = [(bl, m) for bl in lines if (m := BULLET.match(bl.text))]
    if not items:
        return []
    base = min(len(m.group(1).expandtabs(4)) for _, m in items)
    return [bl for bl, m in items if len(m.group(1).expandtabs(4)) <= base + 1]


def is_placeholder_only(lines: list[BodyLine]) -> bool:
    return not any(words(bl.text) for bl in lines)


# -- analysis ----------------------------------------------------------------------------------

def _aliases(extra: dict[str, list[str]] | None) -> dict[str, tuple[str, ...]]:
    if not extra:
        return _DEFAULT_TABLE
    return _aliases_with(extra)


def _aliases_with(extra: dict[str, list[str]] | None) -> dict[str, tuple[str, ...]]:
    out = {k: tuple(v) for k, v in DEFAULT_ALIASES.items()}
    for k, v in (extra or {}).items():
        if k == "title":
            continue  # the title is found by position
        out.setdefault(k, ())  # "analysis": headings that always name an analysis section
        added = tuple(n for n in (normalise_heading(a) for a in v) if n)
        out[k] = out[k] + tuple(a for a in added if a not in out[k])
    return out


_DEFAULT_TABLE = _aliases_with(None)  # the table without [tool.nbkit.layout] aliases (read-only)


def _prefix_match(key: str, names: tuple[str, ...]) -> bool:
    for n in names:
        if len(n) >= 4 and key.startswith(n + " "):
            rest = key[len(n) + 1:].split()
            if not rest:
                continue
            if rest[0] in _CONNECTORS:
                return True
            # a one-word alias followed by a noun is a modifier ("Data Selection in Series",
            # "Setup Costs"): only a longer alias ("data sources ...") may take words after it
            if (" " in n or rest[0] in _PREPOSITIONS) and len(rest) <= _MAX_PREFIX_REST:
                return True
    return False


class _Lookup:
    """An alias table's lookups, worked out once per table: the sections each alias names exactly
    (in the table's order) and every "alias + space" prefix a prefix match needs (the aliases of at
    least 4 characters, see _prefix_match)."""

    __slots__ = ("exact", "prefixes")

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.exact: dict[str, list[str]] = {}
        for k, names in table.items():
            for n in names:
                kinds = self.exact.setdefault(n, [])
                if k not in kinds:
                    kinds.append(k)
        self.prefixes = tuple(n + " " for names in table.values() for n in names if len(n) >= 4)


_DEFAULT_LOOKUP = _Lookup(_DEFAULT_TABLE)


def _lookup(table: dict[str, tuple[str, ...]]) -> _Lookup:
    return _DEFAULT_LOOKUP if table is _DEFAULT_TABLE else _Lookup(table)


def classify(key: str, before_first_code: bool, aliases: dict[str, tuple[str, ...]],
             after_last_code: bool = False, exact_only: bool = False, lookup: _Lookup | None = None) -> str | None:
    """Which standard section a normalised heading names (None: an ordinary heading).  ``lookup``:
    ``_lookup(aliases)``, when the caller classifies several headings."""
    if lookup is None:
        lookup = _lookup(aliases)
    matches = lookup.exact.get(key) or []  # (read-only: a new list is made for prefix matches)
    # no alias followed by a space starts the key (one C-level test): no prefix match either
    if not matches and not exact_only and key.startswith(lookup.prefixes):
        matches = []
        for k, names in aliases.items():
            if k in _PREFIX_BEFORE_CODE and not before_first_code:
                continue
            if k in _PREFIX_AFTER_CODE and before_first_code:
                continue
            if _prefix_match(key, names):
                matches.append(k)
    if not matches:
        return None
    if "summary" in matches and "findings" in matches:
        return "summary" if before_first_code else "findings"
    if matches[0] == "summary" and key in _CLOSING_SUMMARY and after_last_code and not before_first_code:
        return "findings"  # a closing "Summary" is the findings
    return matches[0]


def analyse(nb: Notebook, aliases: dict[str, list[str]] | None = None,
            parse: Callable[[Cell], ParsedCell] | None = None) -> Layout:
    """Map the notebook's headings to the standard layout (``parse``: how to get a code cell's
    parse; :class:`nbkit.analysis.Facts` passes its own, so that cells are parsed once)."""
    parse = parse or _parse
    table = _aliases(aliases)
    cells = nb.cells
    n = len(cells)
    code_idx = [c.index for c in cells if c.cell_type == "code" and c.source.strip()]  # (is_code, not is_empty)
    first_code = code_idx[0] if code_idx else None
    last_code = code_idx[-1] if code_idx else None
    front = 0
    # front matter: raw cells, and empty cells (a stray empty cell above the title does not make
    # the title an ordinary heading)
    while front < n and (cells[front].cell_type == "raw" or cells[front].is_empty):
        front += 1
    title = None
    if front < n and cells[front].is_markdown:
        hs = cells[front].headings
        if hs and hs[0].level == 1:
            title = front
    heads = [h for h in nb.headings if not (title is not None and h.cell_index == title and h.level == 1)]

    # the appendix is needed first: code in it does not make a closing "Summary" the summary
    appendix_at = n
    appendix_names = table.get("appendix", ())
    for j, h in enumerate(heads):
        if h.key not in appendix_names:
            continue
        outer = next((o for o in reversed(heads[:j]) if o.level < h.level), None)
        if outer is None or outer.level == 1:
            appendix_at = h.cell_index
            break
    k = bisect_left(code_idx, appendix_at)  # the code cells before the appendix: code_idx[:k]
    last_analysis = code_idx[k - 1] if k else last_code

    lookup = _lookup(table)
    sections: list[Section] = []
    stack: list[int] = []  # indices into sections of the open headings
    n_heads = len(heads)
    for i, h in enumerate(heads):
        # where the section ends: the next heading at the same or a higher level
        stop = None
        level = h.level
        for j in range(i + 1, n_heads):
            h2 = heads[j]
            if h2.level <= level:
                stop = (h2.cell_index, h2.line)
                break
        if stop is None:
            end = n
        else:
            sc, sl = stop
            first_content = _first_content_line(cells[sc])
            end = sc if (sc != h.cell_index and sl <= first_content) else sc + 1
        while stack and sections[stack[-1]].level >= h.level:
            stack.pop()
        parent = stack[-1] if stack else None
        before = first_code is None or h.cell_index < first_code
        after = last_analysis is not None and h.cell_index > last_analysis
        nested = False
        if parent is None:
            kind = classify(h.key, before, table, after_last_code=after, lookup=lookup) or "other"
        elif sections[parent].kind != "other" or sections[parent].nested:
            kind, nested = "other", True
        elif sections[parent].level == 1 or first_code is None or sections[parent].cell_index < first_code:
            # a wrapper ("# Part 1", "## Introduction"): exact aliases under it are sections
            kind = classify(h.key, before, table, after_last_code=after, exact_only=True, lookup=lookup) or "other"
            if kind == "appendix" and sections[parent].level != 1:
                kind = "other"  # "### References" inside "## The role of computing": that section's own
        else:
            kind = "other"  # "### Results" under "## Churn by plan" is part of that analysis
        sections.append(Section(kind, h.cell_index, h.level, h.text, end, h.line, stop, parent, nested))
        stack.append(len(sections) - 1)

    # analysis: ordinary H1/H2 sections after questions/setup/data and before findings, with code
    top = [s for s in sections if not s.nested]
    # analysis starts after the first setup and data sections (or the questions, without them)
    firsts: dict[str, int] = {}
    for s in top:
        firsts.setdefault(s.kind, s.cell_index)
    start_after = max([firsts[k] for k in ("setup", "data") if k in firsts],
                      default=firsts.get("questions", -1))
    findings_at = min([s.cell_index for s in top if s.kind in ("findings", "next_steps", "appendix")],
                      default=n)
    # the sections holding a recognised section (a child comes after its parent, so the loop below
    # has not changed any child's kind when it looks at the parent)
    holds_recognised = {x.parent for x in sections if x.kind != "other"}
    for me, s in enumerate(sections):
        if s.nested:
            continue  # not in top
        if s.kind != "other" or s.level > 2 or not (start_after < s.cell_index < findings_at):
            continue
        if s.parent is not None and sections[s.parent].kind != "other":
            continue
        if me in holds_recognised:
            continue  # it holds recognised sections: a part of the notebook, not an analysis step
        if any(cells[ci].is_code and not cells[ci].is_empty and not is_setup_only(parse(cells[ci]).tree)
               for ci in range(s.cell_index, min(s.end, findings_at))):
            s.kind = "analysis"
    # sub-headings of analysis sections are parts of them
    for s in sections:
        if s.parent is not None and not s.nested and sections[s.parent].kind == "analysis":
            s.kind, s.nested = "other", True
    first: dict[str, Section] = {}
    for s in sections:
        if s.kind != "other" and s.kind not in first:
            first[s.kind] = s
    return Layout(title=title, sections=sections, first_code=first_code, last_code=last_code,
                  first=first, n_cells=n, front_matter=front, cells=cells)


_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})


def _parse(cell: Cell) -> ParsedCell:
    return parse_cell(cell.source) if cell.is_code else NOT_CODE


def is_setup_only(tree: ast.Module | None) -> bool:
    """A code cell (its AST) of only imports, IPython magics/shell escapes and docstrings (or that
    does not parse): it prepares the analysis, it is not part of it."""
    if tree is None:
        return False
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, ast.Expr):
            v = stmt.value
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                continue
            if isinstance(v, ast.Call) and ipython_method(v) in _MAGIC_CALLS:
                continue
        return False
    return True


def _first_content_line(cell) -> int:
    for i, line in enumerate(cell.lines, start=1):
        if line.strip():
            return i
    return 1
