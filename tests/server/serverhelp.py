"""Notebooks shared by the server tests."""

from __future__ import annotations

from nbbuild import code, md, nb, result

GOOD = nb(
    md("# Churn in Q3\n\nAuthor: me"),
    md("## Executive summary\n\nChurn rose."),
    md("## Questions\n\n1. Why?"),
    md("## Setup"),
    code("x = 1", count=1),
    md("## Data"),
    code("y = x + 1", count=2),
    md("## Analysis"),
    code("y * 2", count=3, outputs=[result("4", count=3)]),
    md("## Findings\n\n1. It rose."),
)
UNTITLED = nb(code("x = 1"), md("## Setup"))
