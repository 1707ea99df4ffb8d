"""Each code cell's calls (from the shared semantic walk), and whether they are those of the last
lint of the notebook: what lets a per-notebook analysis re-use its work on the unchanged cells
from the server's :class:`nbkit.analysis.ParseCache` (the panel re-lints after each edit of one
cell), as NBR004 does for its random-state events."""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from ..ipysyntax import ParsedCell
from ..model import Cell
from .semantic import CallInfo

if TYPE_CHECKING:
    from .facts import Facts


class CallsToken:
    """What a cell's calls were at a lint: its parse, each call's node and resolved callee.  The
    walk finds the same calls with the same nodes, in the same order, in the same tree at every
    lint, and a call's method, enclosing function, parents and magic depend on its node alone; so
    a cell whose calls have the same nodes and callees (``qual``) has the same calls.  A cell gets
    the token of the last lint again (the same object) exactly when that holds: an analysis keeps
    what it derived from a cell's calls with the token and re-uses it when the token is the same."""

    __slots__ = ("parsed", "nodes", "quals")

    def __init__(self, parsed: ParsedCell, nodes: list, quals: list) -> None:
        self.parsed, self.nodes, self.quals = parsed, nodes, quals


# One code cell with calls: (cell, its parse, its calls in walk order, its CallsToken or None when
# the lint has no parse cache: nothing is kept then).  A plain tuple: cheaper to make than a class.
CellCalls = tuple[Cell, ParsedCell, list[CallInfo], "CallsToken | None"]


def cell_calls(facts: Facts) -> list[CellCalls]:
    """Every code cell with calls, in document order, with its calls (computed once per lint)."""
    return facts.memo("cell_calls", _cell_calls)


def _cell_calls(facts: Facts) -> list[CellCalls]:
    calls = facts.semantic.calls
    if not calls:
        return []
    # the walk appends each cell's calls together, in document order: a cell's are found by
    # bisection in the (non-decreasing) cell indices of the calls
    indices = [ci.cell.index for ci in calls]
    cache: Any = facts.parse_cache
    if cache is not None:
        all_nodes = [ci.node for ci in calls]
        all_quals = [ci.qual for ci in calls]
    out: list[CellCalls] = []
    n = len(calls)
    i = 0
    for cell, parsed in facts.code:
        if i >= n:
            break
        if indices[i] != cell.index:
            continue  # no call in this cell
        j = bisect_right(indices, cell.index, i)
        token = None
        if cache is not None:
            nodes, quals = all_nodes[i:j], all_quals[i:j]
            token = cache.derived("calls", cell.source)
            # (lists compare their items by identity first: AST nodes by identity alone)
            if token is None or token.parsed is not parsed or token.nodes != nodes or token.quals != quals:
                token = CallsToken(parsed, nodes, quals)
                cache.keep("calls", cell.source, token)
        out.append((cell, parsed, calls[i:j], token))
        i = j
    return out


def shares_parses(facts: Facts) -> bool:
    """Do two code cells share one parse (the same source, parsed once by the parse cache)?  Then
    their calls have the same nodes, and an analysis that looks a node up among all the calls may
    find the other cell's: per-cell records are neither kept nor re-used."""
    code = facts.code
    return len({id(parsed) for _, parsed in code}) < len(code)
