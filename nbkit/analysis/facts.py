"""The facts about one notebook that rules share, each computed on first use.

A lint builds one :class:`Facts` per notebook, hands it to every rule as ``ctx.facts`` and drops
it with the notebook; nothing is cached on the model.  Facts no selected rule asks for are
never computed.
"""

from __future__ import annotations

from ..lazy import cached_property
from typing import Callable, TypeVar

from ..imports import ImportRef, iter_imports
from ..cooperate import checkpoint
from ..ipysyntax import NOT_CODE, ParsedCell, parse_cell
from ..model import Cell, Notebook
from .layout import Layout, analyse
from .parse import ParseCache
from .semantic import Analysis, CallInfo, build

PYTHON_LANGUAGES = ("python", "python3", "ipython", "python2")
T = TypeVar("T")


def language(nb: Notebook) -> str | None:
    """The kernel's language as the notebook records it (kernelspec, then language_info)."""
    md = nb.metadata
    lang = None
    ks = md.get("kernelspec")
    if isinstance(ks, dict):
        lang = ks.get("language")
    li = md.get("language_info")
    if not lang and isinstance(li, dict):
        lang = li.get("name")
    return lang if isinstance(lang, str) and lang else None


def is_python(nb: Notebook) -> bool:
    """Is this a Python notebook?  (True unless it says its kernel speaks another language:
    R, Julia, ... notebooks may parse as Python by accident.)"""
    lang = language(nb)
    return lang is None or lang.lower() in PYTHON_LANGUAGES


class Facts:
    """What the rules know about one notebook (see the module docstring)."""

    def __init__(self, nb: Notebook, parse_cache: ParseCache | None = None) -> None:
        self.nb = nb
        self.parse_cache = parse_cache
        self._parsed: dict[int, ParsedCell] = {}
        self._by_source: dict[str, ParsedCell] = {}  # without a parse cache: cells with the same source share a parse
        self._layouts: dict[tuple, Layout] = {}
        self._memo: dict[str, object] = {}

    # -- parsing --
    def parsed(self, cell: Cell) -> ParsedCell:
        """The cell's source as plain Python, its AST and syntax error (parsed once)."""
        found = self._parsed.get(cell.index)
        if found is None:
            if not cell.is_code:
                found = NOT_CODE
            else:
                checkpoint()  # a large notebook's lint gives way here (nbkit/cooperate.py)
                if self.parse_cache is not None:
                    found = self.parse_cache.parse(cell.source)
                else:
                    # (as the parse cache does: rules never mutate a tree, and copied cells are common)
                    found = self._by_source.get(cell.source)
                    if found is None:
                        found = self._by_source[cell.source] = parse_cell(cell.source)
            self._parsed[cell.index] = found
        return found

    # (the three below look the parse up themselves: rules ask them ~200 times per notebook)
    def tree(self, cell: Cell):
        """The cell's AST: None for non-code cells and cells that do not parse."""
        return (self._parsed.get(cell.index) or self.parsed(cell)).tree

    def python_source(self, cell: Cell) -> str:
        """The code cell's source with IPython syntax turned into plain Python ("" for others)."""
        return (self._parsed.get(cell.index) or self.parsed(cell)).python_source

    def syntax_error(self, cell: Cell) -> SyntaxError | None:
        return (self._parsed.get(cell.index) or self.parsed(cell)).syntax_error

    @cached_property
    def code(self) -> list[tuple[Cell, ParsedCell]]:
        """Every code cell with its parse, in document order."""
        return [(c, self.parsed(c)) for c in self.nb.cells if c.is_code]

    # -- the notebook's language --
    @cached_property
    def language(self) -> str | None:
        return language(self.nb)

    @cached_property
    def is_python(self) -> bool:
        return is_python(self.nb)

    # -- semantic facts --
    @cached_property
    def semantic(self) -> Analysis:
        """Calls (callees resolved through the import aliases), imported modules, string literals
        and a few statement types, from one walk over the code."""
        return build(self.code, self.parse_cache)

    @property
    def calls(self) -> list[CallInfo]:
        return self.semantic.calls

    @cached_property
    def magics(self) -> list[tuple[CallInfo, tuple[str, str, str]]]:
        """IPython magics and shell escapes: (call, ("line" | "cell" | "system", name, args))."""
        return [(ci, ci.magic) for ci in self.semantic.calls if ci.magic is not None]

    @cached_property
    def imports(self) -> list[ImportRef]:
        """Absolute imports in code cells, in document order."""
        return iter_imports(self.nb, self.parsed)

    # -- layout --
    def layout(self, aliases: dict[str, list[str]] | None = None) -> Layout:
        """The notebook's standard-layout sections (with extra heading aliases)."""
        key = tuple(sorted((k, tuple(v)) for k, v in aliases.items())) if aliases else ()
        found = self._layouts.get(key)
        if found is None:
            found = self._layouts[key] = analyse(self.nb, aliases or None, self.parsed)
        return found

    # -- facts derived by rule helpers --
    def memo(self, key: str, compute: Callable[[Facts], T]) -> T:
        """A fact that rule helpers derive and several rules share (e.g. the random-state events
        NBR004 and NBR005 both read), computed once per notebook."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]  # type: ignore[return-value]
