"""Helpers shared by several layout rules."""

from __future__ import annotations

from ...analysis.layout import SECTION_LABELS
from ...layout import insert_section


def layout_for(nb, ctx):
    """The layout with the heading aliases of ``[tool.nbkit.layout]`` (from the notebook's facts)."""
    aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None)
    return ctx.facts.layout(aliases or None)


def cell_ref(cell_index: int) -> str:
    return f"cell {cell_index}"


def fix_section(kind: str):
    def fix(data: dict, nb, ctx) -> bool:
        aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None) or None
        return insert_section(data, kind, nb, aliases) is not None

    fix.__name__ = f"insert_{kind}_section"
    fix.__doc__ = f"Insert a '{SECTION_LABELS[kind]}' heading with a one-line hint where it belongs."
    return fix
