"""Diagnosis: why a cell does not reproduce, from evidence (DESIGN.md, "Diagnosis").

Every mismatching, failing or nondeterministic cell gets one :class:`Cause` whose ``kind`` is one
of :data:`KINDS`. The cause is derived from evidence that verify already has, never guessed:

- a confirming fresh run: two runs that disagree mean randomness / clock / hash order; two that
  agree rule those out;
- the static rules on the cell and on the cells it depends on (NBR004 unseeded random, NBR014
  clock, NBR011 use before definition, NBR009 absolute path, NBR013 missing data);
- the stored execution counts (per cell: no count next to output, or a cell it depends on ran
  after it: the stored output may be stale);
- the Python of the stored run (``metadata.language_info.version``) against the kernel's, for a
  notebook without pins: another major.minor is drift of the interpreter, IPython and the
  libraries of that day (naming the library the output is printed by);
- the shape of the difference (a permutation of the same items: hash order; the same values
  printed differently: repr drift);
- the drift list (pinned vs installed versions) and the data pins;
- for a failure, the exception (a missing file/module/host names the resource; a name no cell
  defines is hidden state; an attribute a library no longer has is library drift).

``unknown`` only when nothing points anywhere; by elimination a deterministic mismatch with no
drift (pinned or of Python) and no data change is ``stale-output``. This module is pure: plain data in, causes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("randomness", "clock", "hash-order", "stale-output", "hidden-state", "library-drift",
         "data-changed", "missing-resource", "unknown")

FIXES = {
    "randomness": "seed every generator before first use (`%nbkit seed`, or `random_state=` on the call), "
                  "or tag the cell `nbkit:ignore-output`",
    "clock": "freeze or parameterise the date/time the cell reads, or tag the cell `nbkit:ignore-output`",
    "hash-order": "sort sets and dict keys before printing them (e.g. `sorted(s)`), or pin PYTHONHASHSEED "
                  "with `nbkit pin --seed N`",
    "stale-output": "re-run the notebook top to bottom and save it, or accept the new outputs with "
                    "`nbkit verify --update`",
    "hidden-state": "define the name in a cell above its first use (a fresh kernel has only what the cells define)",
    "library-drift": "re-run with `nbkit verify --env pinned`, or accept with `nbkit verify --update` and `nbkit pin`",
    "data-changed": "restore the pinned input file, or re-pin it with `nbkit pin` and accept the new outputs "
                    "with `nbkit verify --update`",
    "missing-resource": "make the resource available next to the notebook (relative path, installed "
                        "package, reachable service), or make it a parameter",
    "unknown": "compare the diff by hand; `nbkit verify --runs 2` tells randomness from stable changes",
}

_RESOURCE_ERRORS = {
    "FileNotFoundError": "file", "ModuleNotFoundError": "module", "ImportError": "module",
    "ConnectionError": "service", "ConnectionRefusedError": "service", "URLError": "URL", "HTTPError": "URL",
    "gaierror": "host", "OperationalError": "database", "PermissionError": "file", "IsADirectoryError": "file",
    "NotADirectoryError": "file", "TimeoutError": "service", "SSLError": "service", "MaxRetryError": "URL",
    "NoSuchKernel": "kernel",
}
#: builtins of Python 2 that Python 3 removed (a NameError on one of them, in a notebook stored by
#: Python 2, is the interpreter's drift, not hidden state)
PYTHON2_BUILTINS = frozenset({"reload", "xrange", "raw_input", "unicode", "unichr", "basestring", "long",
                              "execfile", "file", "cmp", "reduce", "apply", "buffer", "coerce", "intern"})
# a library saying that a program it runs is not installed ("... because latex could not be found")
_MISSING_PROGRAM = re.compile(r"\b([\w.+-]+) (?:could not be found|is not installed|command not found|"
                              r"executable (?:was )?not found|unavailable\b)")
_SITE_PACKAGE = re.compile(r"(?:site|dist)-packages[/\\]([A-Za-z0-9_]+)")
_NP_SCALAR = re.compile(r"\bnp\.(?:float|int|uint|complex|bool|str|bytes)(?:\d+|_)?\(((?:[^()]|\([^()]*\))*)\)")
_NP_BOOL = re.compile(r"\bnp\.(True|False)_\b")
_TRAILING_DOT = re.compile(r"(?<![\w.])(\d+)\.(?![\d\w])")


@dataclass(frozen=True)
class Cause:
    kind: str
    summary: str
    evidence: tuple[str, ...] = ()
    fix: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "summary": self.summary, "evidence": list(self.evidence),
                "fix": self.fix or FIXES[self.kind]}


@dataclass
class CellEvidence:
    """What verify knows about one cell that did not reproduce."""

    index: int
    status: str                                  # mismatch | error | nondeterministic
    expected: str = ""                           # normalised stored output (text)
    actual: str = ""                             # normalised fresh output (text)
    ename: str | None = None                     # for an error: the exception's name ...
    evalue: str = ""                             # ... its message ...
    traceback: str = ""                          # ... and its traceback text
    runs_agree: bool | None = None               # a confirming run: True agree, False differ, None not run
    rules: frozenset[str] = frozenset()          # static rule codes on this cell or the cells it depends on
    rule_notes: dict[str, str] = field(default_factory=dict)  # code -> the finding's message
    out_of_order: bool = False                   # stored execution counts show out-of-order runs
    edited_after_run: bool = False               # the source changed after the stored outputs were made
    defined_names: frozenset[str] = frozenset()  # names some cell of the notebook defines
    drift: tuple = ()                            # (package, pinned, installed) of drifted packages
    packages_used: frozenset[str] = frozenset()  # distributions the cell (and its dependencies) import
    changed_data: tuple[str, ...] = ()           # pinned input files the cell reads whose hash changed
    missing_data: tuple[str, ...] = ()           # input files the cell reads that do not exist
    consequence_of: int | None = None            # an earlier failing cell this failure follows from
    environment_changed: str | None = None       # no pins, but the stored run's Python differs: "3.8.5 -> 3.11.9"
    never_executed: bool = False                 # the stored notebook shows no run of this cell (no count, no output)
    stale: str | None = None                     # why this cell's stored count says its output may be stale
    notebook_packages: frozenset[str] = frozenset()  # distributions any cell of the notebook imports
    star_imports: tuple[str, ...] = ()           # modules a cell above star-imports (`from scipy import *`)
    stderr: str = ""                             # for a failure: what the fresh run printed on stderr


def numpy_repr_normalised(text: str) -> str:
    """numpy 2 scalar reprs as numpy 1 printed them: ``np.float64(5.0)`` -> ``5.0``, ``np.True_`` -> ``True``."""
    prev = None
    while prev != text:  # nested reprs, e.g. tuples of scalars
        prev, text = text, _NP_SCALAR.sub(r"\1", text)
    return _NP_BOOL.sub(r"\1", text)


def repr_only_difference(expected: str, actual: str) -> str | None:
    """The library whose printing alone explains the difference (e.g. numpy 2 scalar reprs, ``0.``
    vs ``0.0``), or None when the values themselves differ."""
    if expected == actual:
        return None
    e, a = numpy_repr_normalised(expected), numpy_repr_normalised(actual)
    if e == a and (e != expected or a != actual):
        return "numpy"
    if _TRAILING_DOT.sub(r"\1.0", e) == _TRAILING_DOT.sub(r"\1.0", a):
        return "numpy"
    return None


_LABEL_LINE = re.compile(r"^\[(?:stdout|stderr|text/plain)\]\n", re.M)


def _items(text: str) -> list[str]:
    """The items of a printed collection (top-level commas inside {...}/[...]/(...)) or its lines
    (the ``[stdout]`` / ``[text/plain]`` line a rendered output starts with left out)."""
    body = _LABEL_LINE.sub("", text).strip()
    if len(body) >= 2 and body[0] in "{[(" and body[-1] in "}])":
        body = body[1:-1]
        out: list[str] = []
        cur: list[str] = []
        depth = 0
        for ch in body:
            if ch in "{[(":
                depth += 1
            elif ch in "}])":
                depth -= 1
            if ch == "," and depth == 0:
                out.append("".join(cur).strip())
                cur = []
            else:
                cur.append(ch)
        out.append("".join(cur).strip())
        return out
    return text.splitlines()


def is_permutation(expected: str, actual: str) -> bool:
    """The same items in another order (a set or dict printed under another hash seed)."""
    if expected == actual:
        return False
    a, b = _items(expected), _items(actual)
    return len(a) > 1 and sorted(a) == sorted(b) and a != b


def no_longer_sorted(expected: str, actual: str) -> bool:
    """A permutation whose stored side is sorted and whose fresh side is not: the printer of the
    stored run sorted the items (IPython's pretty printer sorted dict keys), today's keeps their
    insertion order. Not hash order: a sorted order is no accident of hashing."""
    if not is_permutation(expected, actual) or not _LABEL_LINE.sub("", expected).strip().startswith("{"):
        return False
    a = _items(expected)
    return len(a) > 2 and all(":" in i for i in a) and a == sorted(a)  # a dict's keys, sorted


# what an output printed by a library looks like (on the stored or the fresh side), to name the
# library an output comes from when the def-use chain does not reach its import
_OUTPUT_SIGNS: tuple[tuple[str, re.Pattern], ...] = (
    ("sympy", re.compile(r"^\[text/latex\]$", re.M)),
    ("pandas", re.compile(r"\bdtype: \w+|^\[\d+ rows x \d+ columns\]$|\b(?:Int64|Range|Datetime)?Index\(\[|"
                          r"<pandas\.|\bFreq: \w+", re.M)),
    ("numpy", re.compile(r"\barray\(\[|\bnp\.\w+\(|<class 'numpy\.")),
    ("matplotlib", re.compile(r"^\[image/png\]|<matplotlib\.|\bAxes(?:Subplot)?\(|<Figure size", re.M)),
)


def output_libraries(ev: CellEvidence) -> list[str]:
    """The libraries the notebook imports whose printing the cell's output shows (SymPy's LaTeX, a
    pandas Series' ``dtype:``, a numpy ``array([``, a matplotlib chart), in that order."""
    have = {p.lower() for p in ev.notebook_packages}
    text = ev.expected + "\n" + ev.actual
    return [lib for lib, sign in _OUTPUT_SIGNS if lib in have and sign.search(text)]


def _python_drift(ev: CellEvidence, evidence: list[str]) -> Cause:
    """The stored run used another Python (major.minor) and nothing pins the packages: the
    interpreter, IPython and the libraries of that day changed the output; name the library the
    output comes from (or the cell uses) when there is one."""
    assert ev.environment_changed is not None
    libs = output_libraries(ev)
    used = sorted(ev.packages_used)
    named = libs or used
    why = evidence + ["metadata.language_info.version of the stored run differs from the kernel's Python "
                      "(no pinned versions)"]
    if libs:
        why.append(f"the output is printed by {', '.join(libs)}, which the notebook imports")
    elif used:
        why.append(f"the cell uses {', '.join(used[:3])}")
    if named:
        what = ", ".join(named[:3])
        return Cause("library-drift", f"Python {ev.environment_changed} and the {what} of that day: today's "
                     f"{what} {'prints' if len(named) == 1 else 'print'} or {'computes' if len(named) == 1 else 'compute'} "
                     "this differently", tuple(why))
    return Cause("library-drift", f"Python {ev.environment_changed} (and its IPython) changed this output",
                 tuple(why))


def _package_in_traceback(traceback: str) -> str | None:
    found = _SITE_PACKAGE.findall(traceback)
    return found[-1] if found else None


def _resource_name(ename: str, evalue: str) -> str:
    m = re.search(r"No module named '([^']+)'", evalue)
    if m:
        return m.group(1)
    m = re.search(r"'([^']+)'", evalue)
    if m:
        return m.group(1)
    return evalue.strip()[:120] or ename


def _drifted(ev: CellEvidence) -> list[tuple]:
    used = {p.lower().replace("_", "-") for p in ev.packages_used}
    hits = [d for d in ev.drift if d[0].lower().replace("_", "-") in used]
    return hits or []


def _drift_text(d: tuple) -> str:
    return f"{d[0]} {d[1]} -> {d[2] if d[2] is not None else 'not installed'}"


_DATA_EVIDENCE = "the cell reads it (or uses what a cell that reads it made), and it no longer matches its pin " \
                 "in metadata.nbkit.data"


def _data_changed(files: tuple[str, ...]) -> str:
    if len(files) == 1:
        return f"input file '{files[0]}' changed since it was pinned"
    named = ", ".join(f"'{f}'" for f in files[:3]) + (" ..." if len(files) > 3 else "")
    return f"input files {named} changed since they were pinned"


def consequence(index: int, first: Cause | None) -> Cause:
    """The cause of a failure that only follows from the failure of cell ``index``: the kind of
    that cell's cause (what has to be fixed is there)."""
    kind = first.kind if first is not None else "unknown"
    return Cause(kind, f"follows from the failure of cell {index}",
                 (f"cell {index} failed first and this cell uses what it defines",)
                 + ((f"cell {index}: {first.summary}",) if first is not None else ()),
                 f"fix cell {index} first")


_WRITEFILE = re.compile(r"^(?:\[stdout\]\n)?(Writing|Overwriting) (.+)$", re.M)


def file_left_behind(expected: str, actual: str) -> str | None:
    """The file that ``%%writefile`` found on one side and not on the other ("Writing f" vs
    "Overwriting f", the rest equal): a file an earlier run left in the notebook's folder."""
    a, b = _WRITEFILE.findall(expected), _WRITEFILE.findall(actual)
    if not a or len(a) != len(b) or _WRITEFILE.sub(r"\2", expected) != _WRITEFILE.sub(r"\2", actual):
        return None
    return next((x[1] for x, y in zip(a, b) if x[0] != y[0]), None)


def _left_behind(ev: CellEvidence, evidence: list[str]) -> Cause | None:
    name = file_left_behind(ev.expected, ev.actual)
    if name is None:
        return None
    return Cause("hidden-state", f"'{name}' is left on disk by an earlier run: %%writefile says Writing in one run "
                 "and Overwriting in the other", tuple(evidence + ["only the Writing/Overwriting word differs"]),
                 "delete the file before writing it, or tag the cell `nbkit:ignore-output`")


def diagnose(ev: CellEvidence, first: Cause | None = None) -> Cause:
    """The cause of one cell's failure to reproduce (``first``: for a consequence, the cause of
    the cell it follows from)."""
    evidence: list[str] = []
    drifted = _drifted(ev)

    if ev.consequence_of is not None:
        return consequence(ev.consequence_of, first)

    # -- failures: the exception says most ---------------------------------------------------
    if ev.status == "error" and ev.ename:
        if ev.ename in ("NameError", "UnboundLocalError"):
            name = _resource_name(ev.ename, ev.evalue)
            if name in PYTHON2_BUILTINS and (ev.environment_changed or "").startswith("2."):
                return Cause("library-drift", f"Python {ev.environment_changed}: '{name}' was a builtin of Python 2 "
                             "and is gone in Python 3", (f"{ev.ename}: {ev.evalue}",
                                                         "the stored run used Python 2 (metadata.language_info)"))
            if name not in ev.defined_names and ev.star_imports:
                mods = ", ".join(f"`from {m} import *`" for m in ev.star_imports[:3])
                where = mods if len(ev.star_imports) == 1 else f"one of {mods}"
                return Cause("library-drift", f"'{name}' is defined by no cell: in the stored run it came from "
                             f"{where}, which no longer provide{'s' if len(ev.star_imports) == 1 else ''} it", (
                                 f"{ev.ename}: {ev.evalue}", "no cell of the notebook defines it",
                                 f"a cell above runs {mods}")
                             + ((f"the stored run used Python {ev.environment_changed}",)
                                if ev.environment_changed else ()))
            if name not in ev.defined_names:
                return Cause("hidden-state", f"'{name}' is defined by no cell: the stored run had it from an "
                             "earlier session", (f"{ev.ename}: {ev.evalue}", "no cell of the notebook defines it"))
            if "NBR011" in ev.rules:
                return Cause("hidden-state", f"'{name}' is used before the cell that defines it",
                             (f"{ev.ename}: {ev.evalue}", ev.rule_notes.get("NBR011", "NBR011 use before definition")))
        if ev.ename in ("AttributeError", "TypeError", "ImportError") and (drifted or ev.drift):
            pkg = _package_in_traceback(ev.traceback) or (drifted[0][0] if drifted else None)
            match = [d for d in ev.drift if pkg and d[0].lower().replace("-", "_") == pkg.lower()]
            if match or drifted:
                d = (match or drifted)[0]
                return Cause("library-drift", f"{_drift_text(d)}: {ev.ename}: {ev.evalue}"[:300],
                             (f"{ev.ename} raised inside {d[0]}" if match else f"the cell uses {d[0]}",
                              f"pins say {d[0]} {d[1]}, installed {d[2] or 'not installed'}"))
        missing_program = _MISSING_PROGRAM.search(ev.evalue) or _MISSING_PROGRAM.search(ev.stderr)
        if missing_program and ev.ename not in _RESOURCE_ERRORS:
            said = "the message" if _MISSING_PROGRAM.search(ev.evalue) else "a warning the cell printed"
            return Cause("missing-resource", f"program '{missing_program.group(1)}' is not there",
                         (f"{ev.ename}: {ev.evalue}"[:300], f"{said} says it is not there: "
                          f"{missing_program.group(0)!r}"))
        if ev.ename in _RESOURCE_ERRORS or ev.missing_data:
            what = _RESOURCE_ERRORS.get(ev.ename, "file")
            name = ev.missing_data[0] if ev.missing_data and what == "file" else _resource_name(ev.ename, ev.evalue)
            ev_ = [f"{ev.ename}: {ev.evalue}"[:300]]
            for code in ("NBR009", "NBR013", "NBR012"):
                if code in ev.rules:
                    ev_.append(ev.rule_notes.get(code, code))
            return Cause("missing-resource", f"{what} '{name}' is not there", tuple(ev_))
        pkg = _package_in_traceback(ev.traceback)
        # an API that changed (a missing attribute, a refused argument) raised inside a library says
        # drift even when the cell's counts say stale; other errors inside a library only without them
        api = ev.ename == "AttributeError" or (ev.ename == "TypeError" and ev.environment_changed)
        if pkg and (api or ev.drift or (ev.environment_changed and not ev.stale and not ev.never_executed)):
            why = [f"{ev.ename} raised inside {pkg}"]
            if ev.environment_changed:
                why.append(f"the stored run used Python {ev.environment_changed} (no pinned versions)")
            return Cause("library-drift", f"{pkg} no longer behaves as the stored run expected: {ev.ename}: "
                         f"{ev.evalue}"[:300], tuple(why))
        if ev.changed_data:
            return Cause("data-changed", _data_changed(ev.changed_data),
                         (f"{ev.ename}: {ev.evalue}"[:300], _DATA_EVIDENCE))
        if ev.never_executed:
            return Cause("stale-output", "the stored run never executed this cell; it fails when the notebook runs "
                         "top to bottom", (f"{ev.ename}: {ev.evalue}"[:300], "no execution count and no stored output"),
                         "fix the cell or tag it `raises-exception` (or `nbkit:skip`) if it is meant to fail")
        if ev.stale or ev.edited_after_run:
            return Cause("stale-output", "the stored run did not fail here: it ran cells out of order or on older source",
                         (f"{ev.ename}: {ev.evalue}"[:300], ev.stale or "the source was edited after the run"))
        if ev.environment_changed:
            old = ev.environment_changed.split(" -> ")[0]
            syntax = ev.ename in ("SyntaxError", "IndentationError", "TabError")
            return Cause("library-drift", f"Python {ev.environment_changed}: {ev.ename}: {ev.evalue}"[:300],
                         (f"the stored run used Python {old} and did not fail here",
                          "code written for that Python no longer parses" if syntax else
                          "no rule, data change or missing resource points elsewhere"))
        if ev.out_of_order:
            return Cause("stale-output", "the stored run did not fail here: it ran cells out of order or on older source",
                         (f"{ev.ename}: {ev.evalue}"[:300],))
        return Cause("unknown", f"{ev.ename}: {ev.evalue}"[:300], ("no rule, drift or data change points at a cause",))

    # -- differences between runs: randomness, clock, hash order -----------------------------------
    if ev.status == "nondeterministic" or ev.runs_agree is False:
        evidence.append("two fresh runs disagree")
        left = _left_behind(ev, evidence)
        if left:
            return left
        if is_permutation(ev.expected, ev.actual):
            return Cause("hash-order", "the same items in another order (set or dict order under another hash seed)",
                         tuple(evidence + ["the outputs are permutations of each other"]))
        if "NBR014" in ev.rules:
            return Cause("clock", "the cell reads the date/time", tuple(evidence + [ev.rule_notes.get("NBR014", "NBR014")]))
        if "NBR004" in ev.rules:
            return Cause("randomness", "an unseeded random generator feeds this cell",
                         tuple(evidence + [ev.rule_notes.get("NBR004", "NBR004 unseeded random")]))
        return Cause("randomness", "the output changes from run to run (randomness or another source of "
                     "nondeterminism nbkit does not recognise)", tuple(evidence))

    # -- stable mismatches --------------------------------------------------------------------------
    if ev.runs_agree is True:
        evidence.append("two fresh runs agree")
    left = _left_behind(ev, evidence)
    if left:
        return left
    if no_longer_sorted(ev.expected, ev.actual):
        env = f"Python {ev.environment_changed}: " if ev.environment_changed else ""
        return Cause("library-drift", f"{env}the same items, no longer sorted: the stored run's printer sorted them "
                     "(older IPython sorted dict keys)", tuple(evidence + [
                         "the outputs are permutations of each other", "the stored items are in sorted order"]))
    if is_permutation(ev.expected, ev.actual):
        return Cause("hash-order", "the same items in another order (set or dict order under another hash seed)",
                     tuple(evidence + ["the outputs are permutations of each other"]))
    if ev.runs_agree is None:
        if "NBR014" in ev.rules:
            return Cause("clock", "the cell reads the date/time", tuple(evidence + [ev.rule_notes.get("NBR014", "NBR014")]))
        if "NBR004" in ev.rules:
            return Cause("randomness", "an unseeded random generator feeds this cell",
                         tuple(evidence + [ev.rule_notes.get("NBR004", "NBR004 unseeded random")]))
    if ev.changed_data:
        return Cause("data-changed", _data_changed(ev.changed_data), tuple(evidence + [_DATA_EVIDENCE]))
    repr_lib = repr_only_difference(ev.expected, ev.actual)
    if drifted:
        d = drifted[0]
        what = "prints the same values differently" if repr_lib else "changed this output"
        return Cause("library-drift", f"{_drift_text(d)} {what}",
                     tuple(evidence + [f"the cell uses {d[0]}", f"pins say {d[0]} {d[1]}, installed "
                                                                  f"{d[2] or 'not installed'}"]))
    if repr_lib:
        return Cause("library-drift", f"the same values, printed differently by a newer {repr_lib}",
                     tuple(evidence + ["only the printed form differs"]))
    if ev.drift:
        d = ev.drift[0]
        return Cause("library-drift", f"{_drift_text(d)} may have changed this output",
                     tuple(evidence + ["installed packages differ from the pins"]))
    if ev.never_executed or ev.stale or ev.edited_after_run:
        stale = ("the stored run never executed this cell" if ev.never_executed else
                 "the source was edited after the run" if ev.edited_after_run else str(ev.stale))
        return Cause("stale-output", f"the stored output was not produced by today's source ({stale})",
                     tuple(evidence + [stale]))
    if ev.environment_changed:
        return _python_drift(ev, evidence)
    if ev.out_of_order or ev.edited_after_run:
        stale = "cells ran out of order" if ev.out_of_order else "the source was edited after the run"
        return Cause("stale-output", f"the stored output was not produced by today's source ({stale})",
                     tuple(evidence + [stale]))
    if ev.runs_agree is True:
        return Cause("stale-output", "a stable difference with no drift and no data change: the stored output "
                     "is older than the code or data it shows", tuple(evidence + ["no drift, no data change"]))
    return Cause("unknown", "no evidence points at a cause", tuple(evidence or ["no confirming run"]))


def kernel_causes(name: str, message: str, missing: bool = False) -> list[dict]:
    """The notebook-level causes when its kernel could not start: a kernel that is not installed
    (or never answers) is a missing resource; anything else is unknown."""
    text = message.lower()
    if missing or "no kernel named" in text or "no such kernel" in text or "not installed" in text:
        cause = Cause("missing-resource", f"kernel '{name}' is not there or does not answer", (message[:300],),
                      f"install the kernel '{name}' (`jupyter kernelspec list` shows what is there), or pass --kernel")
    else:
        cause = Cause("unknown", f"kernel '{name}' could not start", (message[:300],),
                      f"start the kernel by hand (`jupyter console --kernel {name}`) to see why it stops")
    return [{**cause.to_dict(), "cells": []}]


def group_causes(causes: dict[int, Cause]) -> list[dict]:
    """One entry per (kind, summary) with the cells it covers, in cell order: "24 cells differ only by
    numpy 2 scalar repr" is one line, not 24."""
    groups: dict[tuple[str, str], dict] = {}
    for index in sorted(causes):
        c = causes[index]
        g = groups.setdefault((c.kind, c.summary), {**c.to_dict(), "cells": []})
        g["cells"].append(index)
    return list(groups.values())
