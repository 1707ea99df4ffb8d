"""Editing a notebook's layout: the heading cells nbkit inserts for a missing section (``--fix``,
the panel, ``nbkit new``).  The standard layout itself, and how a notebook's headings map to it,
live in :mod:`nbkit.analysis.layout` (re-exported here for the faces and the docs).
"""

from __future__ import annotations

import os
from typing import Any

from .analysis.layout import (  # noqa: F401 - re-exported
    DEFAULT_ALIASES,
    DEFAULT_HEADINGS,
    REQUIRED,
    SECTION_HINTS,
    SECTION_LABELS,
    SECTIONS,
    Layout,
    analyse,
)
from .model import Notebook, notebook_from_dict


def layout_of(nb: Notebook, aliases: dict[str, list[str]] | None = None) -> Layout:
    """The notebook's layout with extra heading aliases (lint's rules read theirs from
    :class:`nbkit.analysis.Facts`)."""
    return analyse(nb, aliases or None)


def title_from_path(path: str) -> str:
    """A readable title from a file name: ``churn_q3-2026.ipynb`` -> ``Churn q3 2026``."""
    stem = os.path.splitext(os.path.basename(path or ""))[0]
    text = " ".join(stem.replace("_", " ").replace("-", " ").split())
    return text.capitalize() if text and not text.startswith("<") else "Title"


def section_cell_source(kind: str, title: str | None = None, level: int | None = None) -> str:
    """Heading plus one-line italic hint for a section nbkit inserts."""
    heading = DEFAULT_HEADINGS[kind]
    if kind == "title" and title:
        heading = f"# {title}"
    elif kind != "title" and level and level != 2:
        heading = "#" * level + " " + heading.lstrip("# ")
    return f"{heading}\n\n{SECTION_HINTS[kind]}"


def section_level(nb: Notebook, lay: Layout) -> int:
    """The heading level for a new section: 2, or deeper when all the notebook's section
    headings are deeper (so that the new one is their sibling, not their parent)."""
    if lay.cells is not None:
        return lay.section_level()
    levels = [h.level for h in nb.headings if not (h.level == 1 and h.cell_index == lay.title)]
    return max(2, min(levels)) if levels else 2


def adds_a_level_skip(nb: Notebook, lay: Layout, kind: str) -> bool:
    """Whether the heading :func:`insert_section` would insert for ``kind`` makes the outline skip a
    level where it did not (NBL010: a heading more than one level deeper than the one before it),
    e.g. a ``## Findings`` right above a ``####`` that followed a ``###``.  The fixers are not
    offered then: a fix must not add a finding."""
    at = lay.insert_position(kind)
    level = 1 if kind == "title" else section_level(nb, lay)
    levels = [h.level for h in nb.headings]
    split = sum(1 for h in nb.headings if h.cell_index < at)
    return _level_skips(levels[:split] + [level] + levels[split:]) > _level_skips(levels)


def _level_skips(levels: list[int]) -> int:
    return sum(1 for prev, cur in zip(levels, levels[1:]) if cur != 1 and cur > prev + 1)


def insert_section(data: dict, kind: str, nb: Notebook | None = None,
                   aliases: dict[str, list[str]] | None = None, title: str | None = None) -> int | None:
    """Insert a markdown cell for the missing section ``kind`` into notebook JSON ``data``.

    Returns the index of the new cell, or None when the section is already there.  The new
    cell gets an ``id`` when the notebook is nbformat >= 4.5; the source is stored as a list of
    lines or a string, like the notebook's other cells.  Nothing else is changed.
    """
    import uuid

    if kind not in SECTIONS:
        raise ValueError(f"unknown section {kind!r} (sections: {', '.join(SECTIONS)})")
    if nb is None:
        nb = notebook_from_dict(data)
    lay = analyse(nb, aliases or None)
    if lay.present(kind):
        return None
    at = lay.insert_position(kind)
    text = section_cell_source(kind, title, section_level(nb, lay))
    cells = data.setdefault("cells", [])
    as_list = any(isinstance(c.get("source"), list) for c in cells if isinstance(c, dict)) or not cells
    cell: dict[str, Any] = {"cell_type": "markdown"}
    if data.get("nbformat", 4) == 4 and (data.get("nbformat_minor") or 0) >= 5:
        taken = {c.get("id") for c in cells if isinstance(c, dict)}
        new_id = uuid.uuid4().hex[:8]
        while new_id in taken:
            new_id = uuid.uuid4().hex[:8]
        cell["id"] = new_id
    cell["metadata"] = {}
    cell["source"] = text.splitlines(keepends=True) if as_list else text
    cells.insert(at, cell)
    return at
