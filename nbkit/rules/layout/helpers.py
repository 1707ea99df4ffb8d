"""Helpers shared by several layout rules."""

from __future__ import annotations

from ...analysis.layout import SECTION_LABELS
from ...layout import adds_a_level_skip, insert_section


def layout_for(nb, ctx):
    """The layout with the heading aliases of ``[tool.nbkit.layout]`` (from the notebook's facts)."""
    aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None)
    return ctx.facts.layout(aliases or None)


def cell_ref(cell_index: int) -> str:
    return f"cell {cell_index}"


def fix_section(kind: str):
    def fix(data: dict, nb, ctx) -> bool:
        aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None) or None
        lay = layout_for(nb, ctx)
        if kind == "questions" and questions_would_hold_code(nb, lay) is None:
            return False
        if adds_a_level_skip(nb, lay, kind):
            return False
        at = insert_section(data, kind, nb, aliases)
        if at is None:
            return False
        if kind == "questions":
            _end_questions_before_code(data, at, aliases)
        return True

    fix.__name__ = f"insert_{kind}_section"
    fix.__doc__ = f"Insert a '{SECTION_LABELS[kind]}' heading with a one-line hint where it belongs."
    return fix



def offered(nb, lay, kind: str) -> bool:
    """Whether the fix for the missing section ``kind`` is offered: not when the heading it inserts
    would make the outline skip a level (see :func:`nbkit.layout.adds_a_level_skip`)."""
    return not adds_a_level_skip(nb, lay, kind)


def questions_would_hold_code(nb, lay) -> bool | None:
    """For a '## Questions' --fix would insert: False when no code would be under it; True when
    code would be, and a '## Setup' heading between them fixes that; None when it would not (an
    earlier section, such as the summary, comes after that code: a Setup heading there puts the
    sections out of order), so the fix is not offered."""
    at = lay.insert_position("questions")
    ends = [s.cell_index for s in lay.sections if s.cell_index >= at and s.kind not in ("other", "questions")]
    end = min(ends) if ends else len(nb.cells)
    if not any(c.is_code and not c.is_empty and "parameters" not in c.tags for c in nb.cells[at:end]):
        return False
    if any(s.kind in ("title", "summary", "questions", "setup", "data") and s.cell_index >= at for s in lay.sections):
        return None
    return True


def _end_questions_before_code(data: dict, at: int, aliases) -> None:
    """A '## Questions' inserted right above code (no Setup or Data heading in between) would hold
    that code (an NBL006 finding the fix added): a '## Setup' heading goes between them, as
    NBL006 itself advises."""
    from ...analysis.layout import analyse
    from ...model import notebook_from_dict

    model = notebook_from_dict(data)
    lay = analyse(model, aliases)
    ends = [s.cell_index for s in lay.sections if s.cell_index > at and s.kind not in ("other", "questions")]
    end = min(ends) if ends else len(model.cells)
    if any(c.is_code and not c.is_empty and "parameters" not in c.tags for c in model.cells[at:end]):
        insert_section(data, "setup", model, aliases)
