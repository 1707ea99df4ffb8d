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
    sorted_names: set[str] | None = None  # worked out when a listing is found
    for ci in an.calls:
        q = ci.qual or ""
        if q not in _REPORTED and (q or ci.method not in _LISTING_METHODS):
            continue  # none of the branches below reports it
        if q in CLOCKS:
            if q.startswith("time."):
                if timing is None:
                    timing = _timing(an)
                if timing or (ci.parents and isinstance(ci.parents[-1], (ast.BinOp, ast.Compare))):
                    continue  # timing and timeouts, not results
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
    """Does the notebook subtract clock readings (`time.time() - t0`, or `t1 - t0` of names a
    clock reading was assigned to: it times something)?"""
    readings: set[str] | None = None  # names bound to a clock reading (`t0 = time.time()`)
    for _, node in an.nodes(ast.BinOp):
        if not isinstance(node.op, ast.Sub):
            continue
        for side in (node.left, node.right):
            if _clock_reading(side):
                return True
            if isinstance(side, ast.Name):
                if readings is None:
                    readings = {t.id for _, a in an.nodes(ast.Assign) if _clock_reading(a.value)
                                for t in a.targets if isinstance(t, ast.Name)}
                if side.id in readings:
                    return True
    return False


def _clock_reading(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and (dotted(node.func) or [""])[-1] in ("time", "time_ns", "now", "perf_counter",
                                                                             "monotonic", "process_time")


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
