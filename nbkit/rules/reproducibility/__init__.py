"""NBR001-NBR016: static reproducibility rules (what a fresh Restart & Run All would do).

All rules read the cells top-down, the way a fresh kernel executes them.  Notebooks whose
kernel language is not Python are left alone (except by NBR015: secrets leak in any language).  The per-notebook
analysis that several rules share (import aliases, resolved call names) is computed once per
notebook by :mod:`nbkit.analysis` and handed to them as ``ctx.facts``.
"""
