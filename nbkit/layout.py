"""The standard notebook layout: which sections a notebook has, where, and where a missing
one belongs.  Shared by the NBL rules, ``--fix``, ``nbkit new`` and the panel's checklist.

Order: title -> summary -> questions -> setup -> data -> analysis -> findings ->
next steps (optional) -> appendix (optional, last).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECTIONS = ("title", "summary", "questions", "setup", "data", "analysis", "findings", "next_steps", "appendix")
REQUIRED = ("title", "summary", "questions", "setup", "data", "analysis", "findings")
# Sections found by heading aliases (title and analysis are found by position).
ALIASED = ("summary", "questions", "setup", "data", "findings", "next_steps", "appendix")

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": ("executive summary", "summary", "tl;dr", "tldr", "key takeaways", "bottom line", "abstract", "overview"),
    "questions": ("questions", "key questions", "business questions", "research questions", "objectives", "goals",
                  "hypotheses", "motivation", "problem statement", "purpose", "scope", "question"),
    "setup": ("setup", "set up", "imports", "environment", "configuration", "parameters"),
    "data": ("data", "data sources", "datasets", "inputs", "data loading", "load data"),
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


@dataclass
class Section:
    kind: str  # one of SECTIONS, or "other"
    cell_index: int  # cell holding the heading
    level: int
    text: str
    end: int  # index of the first cell after the section (exclusive)
    line: int = 1


@dataclass
class Layout:
    title: int | None  # cell index of the title (H1 in the first non-raw cell)
    sections: list[Section]
    first_code: int | None
    last_code: int | None
    first: dict[str, Section] = field(default_factory=dict)  # first occurrence of each kind
    n_cells: int = 0
    front_matter: int = 0  # leading raw cells

    def present(self, kind: str) -> bool:
        if kind == "title":
            return self.title is not None
        return kind in self.first

    def missing(self) -> list[str]:
        return [k for k in REQUIRED if not self.present(k)]

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
        # after the end of the latest present section that comes before it in the order
        best = None
        for k in SECTIONS[:order]:
            if k == "title":
                if self.title is not None:
                    best = max(best or 0, self.title + 1)
                continue
            for s in self.sections:
                if s.kind == k:
                    best = max(best or 0, s.end if k != "analysis" else s.end)
        if kind in ("summary", "questions") and self.first_code is not None:
            limit = min([s.cell_index for s in self.sections if s.kind in ("setup", "data", "analysis")]
                        + [self.first_code])
            if best is None or best > limit:
                best = limit
        if kind == "setup" and self.first_code is not None:
            best = self.first_code if best is None or best > self.first_code else best
            later = [s.cell_index for s in self.sections if s.kind in ("data", "analysis", "findings")]
            if later and best > min(later):
                best = min(later)
        if best is None:
            best = self.front_matter if self.title is None else self.title + 1
        # never after a later section's heading
        later = [s.cell_index for s in self.sections if s.kind in SECTIONS and SECTIONS.index(s.kind) > order]
        if later and best > min(later):
            best = min(later)
        return min(best, self.n_cells)


def _aliases(extra: dict[str, list[str]] | None) -> dict[str, tuple[str, ...]]:
    out = {k: tuple(v) for k, v in DEFAULT_ALIASES.items()}
    for k, v in (extra or {}).items():
        out[k] = out.get(k, ()) + tuple(v)
    return out


def classify(key: str, before_first_code: bool, aliases: dict[str, tuple[str, ...]]) -> str | None:
    """Which standard section a normalised heading names (None: an ordinary heading)."""
    matches = [k for k, names in aliases.items() if key in names]
    if not matches:
        # "Data sources and cleaning", "Setup & imports": a leading alias followed by more words
        for k, names in aliases.items():
            for n in names:
                if key.startswith(n + " ") and len(n) >= 4:
                    matches.append(k)
                    break
    if not matches:
        return None
    if "summary" in matches and "findings" in matches:
        return "summary" if before_first_code else "findings"
    return matches[0]


def analyse(nb, aliases: dict[str, list[str]] | None = None) -> Layout:
    """Map the notebook's headings to the standard layout."""
    table = _aliases(aliases)
    cells = nb.cells
    code_idx = [c.index for c in cells if c.is_code and not c.is_empty]
    first_code = code_idx[0] if code_idx else None
    last_code = code_idx[-1] if code_idx else None
    front = 0
    while front < len(cells) and cells[front].cell_type == "raw":
        front += 1
    title = None
    if front < len(cells) and cells[front].is_markdown:
        hs = cells[front].headings
        if hs and hs[0].level == 1:
            title = front
    heads = [h for h in nb.headings if not (title is not None and h.cell_index == title and h.level == 1)]
    sections: list[Section] = []
    for i, h in enumerate(heads):
        end = len(cells)
        for h2 in heads[i + 1:]:
            if h2.level <= h.level and h2.cell_index > h.cell_index:
                end = h2.cell_index
                break
        before = first_code is None or h.cell_index < first_code
        kind = classify(h.key, before, table) or "other"
        sections.append(Section(kind, h.cell_index, h.level, h.text, end, h.line))
    # analysis: ordinary H2 sections after setup/data (or after the first code) with code in them
    has = {s.kind for s in sections}
    start_after = max([s.cell_index for s in sections if s.kind in ("setup", "data", "questions")], default=-1)
    findings_at = min([s.cell_index for s in sections if s.kind in ("findings", "next_steps", "appendix")],
                      default=len(cells))
    for s in sections:
        if s.kind == "other" and s.level == 2 and start_after < s.cell_index < findings_at:
            if any(start_after < ci < s.end and cells[ci].is_code and not cells[ci].is_empty
                   for ci in range(s.cell_index, s.end)):
                s.kind = "analysis"
    del has
    first: dict[str, Section] = {}
    for s in sections:
        if s.kind != "other" and s.kind not in first:
            first[s.kind] = s
    return Layout(title=title, sections=sections, first_code=first_code, last_code=last_code,
                  first=first, n_cells=len(cells), front_matter=front)
