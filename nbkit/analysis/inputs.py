"""The files a notebook reads and writes, found statically (constant path arguments).

Shared by NBR013 (missing-local-data), NBR012 / NBR016 (remote reads and writes) and the data
pins of ``nbkit pin`` (:mod:`nbkit.pin.data`), so that the rule and the pins agree on what the
notebook's inputs are:

- :func:`call_paths`: the constant path arguments of one call (``"a.csv"``, ``DATA / "x.npy"``
  when ``DATA`` is a literal path, ``os.path.join("a", "b")``, ``f"{DIR}/x"``);
- :func:`path_uses`: every call with a constant path, and whether the call reads it;
- :func:`local_reads`: the reads of relative local files, in order.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..ipysyntax import cell_magic_file
from .semantic import CallInfo, bind_import, dotted, lazy_re, str_const

if TYPE_CHECKING:
    from .facts import Facts


def kw(node: ast.Call, *names: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg in names:
            return k.value
    return None


def open_mode_writes(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else kw(node, "mode")
    s = str_const(mode)
    return bool(s and any(ch in s for ch in "wax+"))


REMOTE = lazy_re(r"^(?:https?|ftp|sftp|s3|s3a|gs|gcs|az|abfs|abfss|adl|hdfs|hf|wasbs?)://", re.IGNORECASE)

READ_FUNCS = frozenset({
    "read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "read_pickle",
    "read_hdf", "read_orc", "read_fwf", "read_xml", "read_stata", "read_sas", "read_spss", "read_file",
    "scan_csv", "scan_parquet", "scan_ndjson", "scan_ipc", "read_ndjson", "read_ipc", "read_avro",
    "read_delta", "read_csv_auto", "load", "loadtxt", "genfromtxt", "fromfile", "imread", "open_dataset",
    "open_mfdataset", "open_zarr", "load_workbook", "ExcelFile", "open", "read_image", "load_model",
    "load_img", "read_shapefile", "read_dataframe", "load_npz", "mmread", "loadmat",
})

_PATH_KWARGS = ("filepath_or_buffer", "path", "fname", "file", "filename", "io", "source", "path_or_buf",
                "filepath", "url", "origin", "uri", "fp", "path_or_paths", "urlpath")

_PATH_CTORS = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath", "pathlib.Path", "pathlib.PurePath",
                         "pathlib.PosixPath", "os.path.join", "posixpath.join", "os.path.expanduser"})
_CTOR_LASTS = frozenset({q.rsplit(".", 1)[-1] for q in _PATH_CTORS})


@dataclass
class _PathConstants:
    values: dict[str, list[tuple[tuple[int, int], str | None]]]  # NAME -> [((cell, line), path or None)]
    lookup: Callable[[str, tuple[int, int]], str | None]  # (NAME, (cell, line)) -> its path there
    bindings: dict[str, str]  # import aliases


def _consts(facts: Facts) -> _PathConstants:
    """Top-level ``NAME = <constant path>`` assignments, in order, for resolving ``read_csv(PATH)``."""
    return facts.memo("path_constants", _find_consts)


# the expression types _eval_path can fold (anything else is None at once)
_FOLDABLE = frozenset({ast.Constant, ast.Name, ast.JoinedStr, ast.BinOp, ast.Call})


def _find_consts(facts: Facts) -> _PathConstants:
    # Done cell by cell: a lint with the server's parse cache (the panel's, after an edit of one
    # cell) re-uses what a cell gave at the last lint when its inputs are the same (_CellConsts).
    out: dict[str, list] = {}
    bindings: dict[str, str] = {}  # never changed once made: a cell with imports makes a new one
    cache: Any = facts.parse_cache

    def lookup(name, order):
        vals = out.get(name)
        if not vals:
            return None
        best = None
        for o, v in vals:  # in document order: the last one before `order` wins
            if o >= order:
                break
            best = v
        return best

    valued: set[str] = set()  # the names bound to a path somewhere
    for cell, parsed in facts.code:
        tree = parsed.tree
        if tree is None:
            continue
        index = cell.index
        if cache is not None:
            rec = cache.derived("path_constants", cell.source)
            if rec is not None and rec.parsed is parsed and rec.index == index \
                    and (rec.bindings is bindings or rec.bindings == bindings) \
                    and all(lookup(name, (index, 0)) == prior for name, prior in rec.reads):
                for name, order, value in rec.entries:
                    out.setdefault(name, []).append((order, value))
                valued.update(rec.valued)
                bindings = rec.bindings_out
                continue
        bindings_in = bindings
        reads: dict[str, str | None] = {}  # the names looked up, with what they held before the cell
        entries: list[tuple[str, tuple[int, int], str | None]] | None = None
        cell_lookup: Callable[[str, tuple[int, int]], str | None] = lookup
        if cache is not None:
            entries = []

            def cell_lookup(name, order, index=index, reads=reads):
                if name not in reads:
                    reads[name] = lookup(name, (index, 0))
                return lookup(name, order)

        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                order = (index, stmt.lineno)
                v: Any = stmt.value  # (type tests below, cheaper than isinstance)
                tv = type(v)
                if tv is ast.Constant:  # the commonest cases first, as _eval_path folds them
                    value = v.value if isinstance(v.value, str) else None
                elif tv is ast.Call and (v.keywords or (type(v.func) is ast.Attribute
                                                        and v.func.attr not in _CTOR_LASTS)):
                    value = None
                else:
                    value = _eval_path(v, cell_lookup, order, bindings) if tv in _FOLDABLE else None
                for tgt in stmt.targets:
                    if type(tgt) is ast.Name:
                        name = tgt.id
                        # lookup gives None before a name's first path: a None before it need not
                        # be kept (most names never hold a path: lookup finds no list for them)
                        if value is not None or name in valued:
                            out.setdefault(name, []).append((order, value))
                        if entries is not None:
                            entries.append((name, order, value))
                        if value is not None:
                            valued.add(name)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                if bindings is bindings_in:
                    bindings = dict(bindings)
                bind_import(stmt, bindings)
        if entries is not None:
            cache.keep("path_constants", cell.source, _CellConsts(
                parsed, index, bindings_in, tuple(reads.items()), tuple(entries),
                frozenset(name for name, _, value in entries if value is not None), bindings))
    # a name never bound to a path looks up as None anyway: drop it, so that most names of a
    # call's arguments are ruled out by one dict lookup (lookup reads the new dict)
    out = {name: vals for name, vals in out.items() if name in valued}
    return _PathConstants(out, lookup, bindings)


class _CellConsts:
    """What one cell gave _find_consts at a lint: its ``entries`` (NAME, (cell, line), path or
    None) and the import aliases after it (``bindings_out``).  They are a function of the cell's
    tree, its index, the aliases above it (``bindings``) and what the names the cell looked up
    held before it (``reads``): a later lint re-uses them when all of those are the same."""

    __slots__ = ("parsed", "index", "bindings", "reads", "entries", "valued", "bindings_out")

    def __init__(self, parsed, index, bindings, reads, entries, valued, bindings_out) -> None:
        self.parsed, self.index, self.bindings, self.reads = parsed, index, bindings, reads
        self.entries, self.valued, self.bindings_out = entries, valued, bindings_out


def _eval_path(node, lookup, order, bindings) -> str | None:
    """Fold a path expression made of literals: "a", PATH, Path("a") / "b", os.path.join("a", "b"), f"a/{X}".
    ``lookup(NAME, order)``: the path NAME holds before ``order`` (cell, line)."""
    t = type(node)
    if t is ast.Constant:
        return node.value if isinstance(node.value, str) else None
    if t is ast.Name:
        return lookup(node.id, order)
    if t is ast.JoinedStr:
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and v.format_spec is None:
                inner = _eval_path(v.value, lookup, order, bindings)
                if inner is None:
                    return None
                parts.append(inner)
            else:
                return None
        return "".join(parts)
    if t is ast.BinOp:
        op = type(node.op)
        if op is not ast.Div and op is not ast.Add:
            return None
        left = _eval_path(node.left, lookup, order, bindings)
        if left is None:
            return None
        right = _eval_path(node.right, lookup, order, bindings)
        if right is None:
            return None
        return (left.rstrip("/") + "/" + right) if op is ast.Div else left + right
    if t is ast.Call and not node.keywords:
        f = node.func
        if type(f) is ast.Attribute and f.attr not in _CTOR_LASTS:
            return None  # (then the last part of q is f.attr)
        names = dotted(f)
        if not names:
            return None
        q = ".".join([bindings.get(names[0], names[0]), *names[1:]])
        if q in _PATH_CTORS or names[-1] in ("Path", "PurePath"):
            folded = [_eval_path(a, lookup, order, bindings) for a in node.args]
            vals = [v for v in folded if v is not None]
            if not folded or len(vals) < len(folded):
                return None
            return "/".join(v.rstrip("/") for v in vals[:-1]) + ("/" if len(vals) > 1 else "") + vals[-1] \
                if len(vals) > 1 else vals[0]
    return None


def _arg_paths(consts: _PathConstants, order: tuple[int, int], args, out: list[tuple[str, ast.AST]]) -> None:
    """Append the constant paths among ``args`` to ``out`` (a cheap type test first: most
    arguments are names that never held a path, numbers, attributes, subscripts)."""
    values = consts.values
    for a in args:
        t = type(a)
        if t is ast.Name:
            if a.id not in values:
                continue
        elif t is ast.Constant:
            if isinstance(a.value, str):
                out.append((a.value, a))
            continue
        elif t not in _FOLDABLE:
            continue
        v = _eval_path(a, consts.lookup, order, consts.bindings)
        if v is not None:
            out.append((v, a))


def call_paths(facts: Facts, ci: CallInfo, positions: tuple[int, ...] | None = (0,)) -> list[tuple[str, ast.AST]]:
    """Constant path arguments of a call (first positional and the usual path keywords)."""
    return _call_paths(_consts(facts), ci, positions)


def _call_paths(consts: _PathConstants, ci: CallInfo, positions: tuple[int, ...] | None) -> list[tuple[str, ast.AST]]:
    node = ci.node
    order = (ci.cell.index, node.lineno)
    out: list[tuple[str, ast.AST]] = []
    if positions is None:
        if node.args:
            _arg_paths(consts, order, node.args, out)
        if node.keywords:
            _arg_paths(consts, order, [k.value for k in node.keywords], out)
    else:
        n = len(node.args)
        _arg_paths(consts, order, [node.args[i] for i in positions if i < n], out)
        if node.keywords:
            _arg_paths(consts, order, [k.value for k in node.keywords if k.arg in _PATH_KWARGS], out)
    # Path("x").read_text() / .open()
    if ci.method in ("read_text", "read_bytes", "open") and isinstance(node.func, ast.Attribute):
        v = _eval_path(node.func.value, consts.lookup, order, consts.bindings)
        if v is not None:
            out.append((v, node.func.value))
    return out


# connect/open-style callees whose path argument is an input (beyond READ_FUNCS)
_OPENERS = frozenset({"connect", "File", "open_rasterio", "open_database", "open_workbook", "open_file",
                      "open_array", "open_store", "Dataset", "open_table"})
_SQL_WRITE = lazy_re(r"^\s*(?:create|insert|drop|replace|alter)\b", re.IGNORECASE)


def _fills_connection(facts: Facts, ci: CallInfo) -> bool:
    """Does the cell of ``con = sqlite3.connect(path)`` write into ``con`` (to_sql, CREATE/INSERT)?"""
    parent = ci.parents[-1] if ci.parents else None
    names = {t.id for t in getattr(parent, "targets", ()) if isinstance(t, ast.Name)}
    if not names:
        return False
    for other in facts.semantic.calls:
        if other.cell is not ci.cell:
            continue
        args = [*other.node.args, *(k.value for k in other.node.keywords)]
        if other.method == "to_sql" and any(isinstance(a, ast.Name) and a.id in names for a in args):
            return True
        f = other.node.func
        if other.method in ("execute", "executescript") and isinstance(f, ast.Attribute) \
                and isinstance(f.value, ast.Name) and f.value.id in names and other.node.args:
            first = other.node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and _SQL_WRITE.match(first.value):
                return True
    return False


def path_uses(facts: Facts) -> Iterator[tuple[CallInfo, str, bool]]:
    """(call, path, is_read) for calls with constant path arguments: a read's path argument, or
    (is_read False) any constant path argument of another call (a write, a download, a check)."""
    return iter(facts.memo("path_uses", lambda f: _find_path_uses(f, None)))


# the methods by which the IPython-syntax transform writes magics and shell escapes
# (``get_ipython().run_line_magic(...)``): CallInfo.magic is None for a call of any other method
MAGIC_METHODS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})


def _find_path_uses(facts: Facts, reads: bool | None) -> list[tuple[CallInfo, str, bool]]:
    """path_uses: all of them (``reads`` None), or only the reads (True) or only the others (False)."""
    consts = _consts(facts)
    out: list[tuple[CallInfo, str, bool]] = []
    calls = facts.semantic.calls
    if reads:  # a read calls one of these (one comprehension picks them)
        calls = [ci for ci in calls if ci.method in READ_FUNCS or ci.method in _OPENERS]
    for ci in calls:
        method = ci.method
        if method is None or (method in MAGIC_METHODS and ci.magic is not None):
            continue
        q = ci.qual or ""
        is_read = method in READ_FUNCS and not q.startswith(("torch.hub", "webbrowser.", "spacy.", "os.", "io.")) \
            and not (method == "open" and open_mode_writes(ci.node))
        if method in _OPENERS and not q.startswith(("os.", "io.")):
            # sqlite3.connect("../data/x.sqlite"), h5py.File(...), xr.open_rasterio(...): reads,
            # unless the cell fills what it opens (`df.to_sql(..., con)`, CREATE/INSERT)
            is_read = not _fills_connection(facts, ci)
        if is_read:
            if reads is False:
                continue
            for value, _ in _call_paths(consts, ci, (0,)):
                out.append((ci, value, True))
        elif reads:
            continue
        else:
            node = ci.node
            if not node.args and not node.keywords and method not in ("read_text", "read_bytes", "open"):
                continue  # `df.head()`: no argument to look at
            for value, _ in _call_paths(consts, ci, None):
                out.append((ci, value, False))
    return out


def looks_like_local_file(p: str, surely_a_path: bool = False) -> bool:
    """Is ``p`` a relative file path? ``surely_a_path`` for callees that only take paths
    (builtin ``open``, ``read_*``/``scan_*`` readers); others (``load``, ``imread``, ...) need a
    suffix or a folder, since ``load("mnist")`` may name a data set or a model."""
    if not p or REMOTE.match(p) or "://" in p or p.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:", p):
        return False
    if re.match(r"^[A-Za-z][\w+.-]*:", p):
        return False  # runs:/..., models:/..., hf:..., a URI scheme rather than a file
    if any(ch in p for ch in "*?[{<>|\n\x00") or p in (".", "..", "-") or len(p) > 1024:
        return False
    base = p.rstrip("/").rsplit("/", 1)[-1]
    return surely_a_path or "/" in p or bool(re.search(r"\.[A-Za-z0-9]{1,8}$", base))


@dataclass(frozen=True)
class LocalRead:
    """A relative local file the notebook reads: the call, and the path as written (relative to
    the notebook's folder, where nbkit verify and papermill run it)."""

    call: CallInfo
    path: str

    @property
    def cell_index(self) -> int:
        return self.call.cell.index

    @property
    def line(self) -> int:
        return self.call.node.lineno


def local_reads(facts: Facts) -> list[LocalRead]:
    """Every read of a relative local file, in document order (a file read twice is there twice)."""
    return facts.memo("local_reads", _find_local_reads)


def _find_local_reads(facts: Facts) -> list[LocalRead]:
    out: list[LocalRead] = []
    for ci, value, is_read in facts.memo("path_reads", lambda f: _find_path_uses(f, True)):
        surely = ci.qual == "open" or (ci.method or "").startswith(("read_", "scan_"))
        if is_read and looks_like_local_file(value, surely):
            out.append(LocalRead(ci, value))
    return out


# writers that add their suffix to a name without it: np.save("arr", a) writes arr.npy
_ADDED_SUFFIX = {"numpy.save": ".npy", "numpy.savez": ".npz", "numpy.savez_compressed": ".npz",
                 "scipy.io.savemat": ".mat"}


def produced_paths(facts: Facts) -> set[str]:
    """Normalised constant paths that calls other than reads mention (writes, downloads, checks),
    with the suffix a writer adds (``np.save("arr", a)``: ``arr.npy``), and the files that
    ``%%writefile`` / ``%%file`` cells write: a file named here may be made by the notebook itself."""
    uses = facts.memo("path_others", lambda f: _find_path_uses(f, False))
    out = set()
    for ci, value, is_read in uses:
        if is_read:
            continue
        out.add(os.path.normpath(value))
        suffix = _ADDED_SUFFIX.get(ci.qual or "")
        if suffix and not value.endswith(suffix):
            out.add(os.path.normpath(value + suffix))
    out.update(path for path, _, _ in written_files(facts))
    return out


_APPEND = lazy_re(r"(?:^|\s)(?:-a|--append)(?:\s|$)")


def written_files(facts: Facts) -> list[tuple[str, bool, str]]:
    """The ``%%writefile`` / ``%%file`` cells, in order: (normalised file, whether ``-a`` appends
    to it, the body written)."""
    out = []
    for ci in facts.semantic.calls:
        magic = ci.magic if ci.method == "run_cell_magic" else None
        if magic is not None and magic[1] in ("writefile", "file"):
            head, _, body = magic[2].partition("\n")
            target = cell_magic_file(head)
            if target:
                out.append((os.path.normpath(target), _APPEND.search(head) is not None, body))
    return out
