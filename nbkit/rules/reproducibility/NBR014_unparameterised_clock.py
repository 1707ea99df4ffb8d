"""NBR014 unparameterised-clock (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast

from ...analysis.semantic import CallInfo, dotted, str_const
from .. import Hit, rule


CLOCKS = {
    "datetime.datetime.now": "the current time", "datetime.datetime.utcnow": "the current time",
    "datetime.datetime.today": "today's date", "datetime.date.today": "today's date",
    "time.time": "the current time", "time.time_ns": "the current time",
    "pandas.Timestamp.now": "the current time", "pandas.Timestamp.today": "today's date",
    "pandas.Timestamp.utcnow": "the current time", "arrow.now": "the current time", "arrow.utcnow": "the current time",
    "pendulum.now": "the current time", "pendulum.today": "today's date",
}

UUIDS = ("uuid.uuid1", "uuid.uuid4")

LISTINGS = ("os.listdir", "os.scandir", "glob.glob", "glob.iglob")

_ORDER_FREE = frozenset({"sorted", "len", "set", "frozenset", "any", "all", "sum", "max", "min", "Counter",
                         "natsorted", "sort", "sort_values"})


def _listing_sorted(ci: CallInfo, sorted_names: set[str]) -> bool:
    """Is the listing's order irrelevant (sorted(...), len(...), `in`, or later `.sort()`)?"""
    parents = ci.parents
    for p in reversed(parents):
        if isinstance(p, ast.Call):
            parts = dotted(p.func) or ([p.func.attr] if isinstance(p.func, ast.Attribute) else None)
            if parts and parts[-1] in _ORDER_FREE:
                return True
            if p is not ci.node:
                break
        elif isinstance(p, ast.Compare):
            return any(isinstance(op, (ast.In, ast.NotIn)) for op in p.ops)
        elif isinstance(p, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id in sorted_names for t in p.targets)
        elif isinstance(p, (ast.comprehension, ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            if isinstance(p, ast.SetComp):
                return True
            continue
        elif isinstance(p, (ast.stmt,)):
            break
    return False


@rule("NBR014", "unparameterised-clock", "warning",
      "`datetime.now()`, `date.today()`, `time.time()`, `uuid4()`, unsorted `os.listdir`/`glob`",
      requires=("python",))
def unparameterised_clock(nb, ctx):
    """
    ## What it does
    Reports values that change on every run or machine: the clock (`datetime.now()`,
    `date.today()`, `pd.Timestamp.now()`, `time.time()` outside of timing code),
    random ids (`uuid4()`, `uuid1()`), and directory listings in file-system order
    (`os.listdir`, `os.scandir`, `glob.glob`, `Path.glob`/`rglob`/`iterdir`) that are not
    sorted.

    ## Why is this bad?
    "The last 30 days" means a different window tomorrow; a directory listing comes back in
    a different order on another file system. Results drift without any code change, and
    re-execution reports mismatches.

    ## Example
    ```python
    end = datetime.now()
    files = glob.glob("data/*.csv")
    ```

    ## Use instead
    ```python
    END_DATE = "2026-11-30"  # parameters cell
    end = datetime.fromisoformat(END_DATE)
    files = sorted(glob.glob("data/*.csv"))
    ```
    """
    an = ctx.facts.semantic
    timing: bool | None = None  # worked out when a time.* clock is found (most notebooks have none)
    subtracted: set[str] | None = None  # names subtracted somewhere (likewise)
    sorted_names: set[str] | None = None  # worked out when a listing is found
    for ci in an.calls:
        q = ci.qual or ""
        if q not in _REPORTED and (q or ci.method not in _LISTING_METHODS):
            continue  # none of the branches below reports it
        if q in CLOCKS:
            if q.startswith("time."):
                if ci.parents and isinstance(ci.parents[-1], (ast.BinOp, ast.Compare)):
                    continue  # `time.time() - t0`, `time.time() < deadline`: timing and timeouts, not results
                if timing is None:
                    timing = _timing(an)
                if timing:
                    continue  # the notebook times things (`time.time() - t0`): its clock readings are timing
                if subtracted is None:
                    subtracted = _subtracted_names(an)
                if _bound_to_one_of(ci, subtracted):
                    continue  # `t0 = time.time()` ... `t1 - t0`: timing too
            yield Hit(f"{ci.text}() makes results depend on when the notebook runs ({CLOCKS[q]}); pass the date in "
                      "as a parameter (parameters cell)", ci.cell, ci.node.lineno)
        elif q in _DATE_PARSERS and ci.node.args and \
                (str_const(ci.node.args[0]) or "").lower() in ("now", "today"):
            yield Hit(f"{ci.text}({str_const(ci.node.args[0])!r}) makes results depend on when the notebook runs; "
                      "pass the date in as a parameter (parameters cell)", ci.cell, ci.node.lineno)
        elif q in UUIDS:
            yield Hit(f"{ci.text}() gives a new value on every run; derive ids from the data (or uuid5 of a key)",
                      ci.cell, ci.node.lineno)
        elif q in LISTINGS or (not q and ci.method in _LISTING_METHODS):
            if sorted_names is None:
                sorted_names = _sorted_names(an)
            if _listing_sorted(ci, sorted_names):
                continue
            yield Hit(f"{ci.text}() returns entries in file-system order, which differs between machines; wrap it "
                      "in sorted()", ci.cell, ci.node.lineno)


_DATE_PARSERS = ("pandas.to_datetime", "pandas.Timestamp", "numpy.datetime64")
_LISTING_METHODS = ("glob", "rglob", "iterdir")
# every qualified name a branch of the rule's loop reports (besides a listing method with none)
_REPORTED = frozenset({*CLOCKS, *_DATE_PARSERS, *UUIDS, *LISTINGS})


def _timing(an) -> bool:
    """Does the notebook subtract a clock reading straight from the clock (`time.time() - t0`)?"""
    for _, node in an.nodes(ast.BinOp):
        if isinstance(node.op, ast.Sub):
            for side in (node.left, node.right):
                if isinstance(side, ast.Call) and (dotted(side.func) or [""])[-1] in ("time", "time_ns", "now"):
                    return True
    return False


def _subtracted_names(an) -> set[str]:
    """The names that are an operand of a subtraction (``t1 - t0``) somewhere in the notebook."""
    names: set[str] = set()
    for _, node in an.nodes(ast.BinOp):
        if isinstance(node.op, ast.Sub):
            names.update(side.id for side in (node.left, node.right) if isinstance(side, ast.Name))
    return names


def _bound_to_one_of(ci, names: set[str]) -> bool:
    """Is the call's value assigned to one of ``names`` (``t0 = time.time()``)?"""
    parents = ci.parents
    if not names or not parents or not isinstance(parents[-1], ast.Assign) or parents[-1].value is not ci.node:
        return False
    return any(isinstance(t, ast.Name) and t.id in names for t in parents[-1].targets)


def _sorted_names(an) -> set[str]:
    """Names the notebook sorts (`x.sort()`, `sorted(x)`)."""
    sorted_names: set[str] = set()
    for ci in an.calls:
        if ci.method == "sort" and isinstance(ci.node.func, ast.Attribute) and isinstance(ci.node.func.value,
                                                                                           ast.Name):
            sorted_names.add(ci.node.func.value.id)
        elif ci.method in ("sorted", "natsorted"):
            sorted_names.update(a.id for a in ci.node.args if isinstance(a, ast.Name))
    return sorted_names
