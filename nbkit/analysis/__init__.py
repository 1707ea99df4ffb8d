"""The notebook analysis: facts computed once per notebook and handed to rules as ``ctx.facts``.

- :mod:`.parse`: parsed code cells and the :class:`ParseCache` a long-lived caller keeps;
- :mod:`.semantic`: the shared pass over the code (resolved calls, imports, strings, magics);
- :mod:`.defuse`: top-down name resolution (what Restart & Run All would find undefined);
- :mod:`.layout`: the standard notebook layout and how a notebook's headings map to it;
- :mod:`.facts`: :class:`Facts`, which computes each of them on first use.
"""

from __future__ import annotations

from ..ipysyntax import ParsedCell
from .facts import Facts, is_python, language
from .parse import ParseCache

__all__ = ["Facts", "ParseCache", "ParsedCell", "is_python", "language"]
