"""Each code cell's calls (from the shared semantic walk), and whether they are those of the last
lint of the notebook: what lets a per-notebook analysis re-use its work on the unchanged cells
from the server's :class:`nbkit.analysis.ParseCache` (the panel re-lints after each edit of one
cell), as NBR004 does for its random-state events."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
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
    indices = [ci.cell.index for ci in calls]
    cache: Any = facts.parse_cache
    if cache is None:
        return [(cell, parsed, calls[i:j], None) for cell, parsed, i, j in _ranges(facts, indices)]
    out: list[CellCalls] = []
    n = len(calls)
    nodes = [ci.node for ci in calls]
    quals = [ci.qual for ci in calls]
    # The calls of the last lint (all of them) and its tokens by the range of calls they had: after
    # an edit of one cell, the calls before it and after it are the same, and the cells there get
    # their tokens back without a comparison of their own (comparing two lists is done in C).
    last = cache.notebook_records.get("calls")
    head = tail = shift = 0
    ranges: dict[int, tuple[int, CallsToken]] = {}
    last_ranges: dict[int, tuple[int, CallsToken]] = {}
    if last is not None:
        last_nodes, last_quals, last_ranges = last
        head = _same_head(nodes, quals, last_nodes, last_quals)
        tail = _same_tail(nodes, quals, last_nodes, last_quals)
        shift = len(last_nodes) - n
    for cell, parsed, i, j in _ranges(facts, indices):
        token = None
        # (calls with the same nodes are of the same parse: a tree belongs to one ParsedCell)
        if j <= head:
            kept = last_ranges.get(i)
            if kept is not None and kept[0] == j:
                token = kept[1]
        elif i >= n - tail:
            kept = last_ranges.get(i + shift)
            if kept is not None and kept[0] == j + shift:
                token = kept[1]
        if token is None:
            cell_nodes, cell_quals = nodes[i:j], quals[i:j]
            token = cache.derived("calls", cell.source)
            # (lists compare their items by identity first: AST nodes by identity alone)
            if token is None or token.parsed is not parsed or token.nodes != cell_nodes or token.quals != cell_quals:
                token = CallsToken(parsed, cell_nodes, cell_quals)
        cache.keep("calls", cell.source, token)
        ranges[i] = (j, token)
        out.append((cell, parsed, calls[i:j], token))
    cache.notebook_records["calls"] = (nodes, quals, ranges)
    return out


def _ranges(facts: Facts, indices: list[int]) -> Iterator[tuple[Cell, ParsedCell, int, int]]:
    """Each code cell with calls and the range ``[i, j)`` of its calls: the walk appends each
    cell's calls together, in document order, so a cell's are found by bisection in the
    (non-decreasing) cell ``indices`` of the calls."""
    n = len(indices)
    i = 0
    for cell, parsed in facts.code:
        if i >= n:
            break
        if indices[i] != cell.index:
            continue  # no call in this cell
        j = bisect_right(indices, cell.index, i)
        yield cell, parsed, i, j
        i = j


def _same_head(a: list, b: list, last_a: list, last_b: list) -> int:
    """How many first items ``a`` and ``last_a``, and ``b`` and ``last_b``, have in common."""
    lo, hi = 0, min(len(a), len(last_a))
    if a[:hi] == last_a[:hi] and b[:hi] == last_b[:hi]:
        return hi
    hi -= 1
    while lo < hi:  # the longest common head, by bisection (each comparison is one in C)
        mid = (lo + hi + 1) // 2
        if a[:mid] == last_a[:mid] and b[:mid] == last_b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _same_tail(a: list, b: list, last_a: list, last_b: list) -> int:
    """How many last items ``a`` and ``last_a``, and ``b`` and ``last_b``, have in common."""
    n, m = len(a), len(last_a)
    lo, hi = 0, min(n, m)
    if a[n - hi:] == last_a[m - hi:] and b[n - hi:] == last_b[m - hi:]:
        return hi
    hi -= 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[n - mid:] == last_a[m - mid:] and b[n - mid:] == last_b[m - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def shares_parses(facts: Facts) -> bool:
    """Do two code cells share one parse (the same source, parsed once by the parse cache)?  Then
    their calls have the same nodes, and an analysis that looks a node up among all the calls may
    find the other cell's: per-cell records are neither kept nor re-used."""
    code = facts.code
    return len({id(parsed) for _, parsed in code}) < len(code)
