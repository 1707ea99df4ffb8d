"""NBD003 undocumented-data: data is read but no data section mentions the source."""

from __future__ import annotations

import ast
import os
import re

from ...analysis import Facts
from ...lazy import lazy_re
from ...analysis.walk import calls_breadth_first
from .. import Hit, rule
from ..layout.helpers import layout_for


_READERS = frozenset({
    "read_csv", "read_table", "read_parquet", "read_excel", "read_json", "read_feather", "read_orc",
    "read_sas", "read_spss", "read_stata", "read_pickle", "read_hdf", "read_sql", "read_sql_query",
    "read_sql_table", "read_html", "read_xml", "read_fwf", "read_ndjson", "read_ipc",
    "read_avro", "read_delta", "read_database", "read_file", "scan_csv", "scan_parquet", "scan_ndjson",
    "loadtxt", "genfromtxt", "fromfile", "open_dataset", "open_mfdataset", "open_zarr", "load_dataset",
    "read_dataframe", "imread", "read_image",
})

_LOAD_NAMES = frozenset({"load"})  # np.load("x.npy"), torch.load("m.pt"), joblib.load(...): only with a path

_SKLEARN = re.compile(r"^(?:load|fetch)_(\w+)$")
_SKLEARN_HEADS = ("load_", "fetch_")  # how every name _SKLEARN matches starts

_WRITE_MODE = re.compile(r"[wax+]")

_CONFIG_EXT = (".yaml", ".yml", ".toml", ".ini", ".cfg", ".env", ".md", ".py", ".ipynb")  # settings, not data

def _maybe_read(src: str) -> bool:
    """A cheap pre-filter: can the cell read data?  (``in`` tests joined by ``or``: cheaper than any()
    over a tuple of them, and this runs on every code cell)"""
    return ("read" in src or "scan_" in src or "load" in src or "open" in src or "fromfile" in src
            or "genfromtxt" in src or "fetch_" in src)


def _string_values(tree_by_cell) -> dict[str, str]:
    """Top-level ``NAME = "literal"`` assignments anywhere in the notebook (e.g. parameters)."""
    out: dict[str, str] = {}
    for tree in tree_by_cell:
        for stmt in tree.body:
            if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, stmt.value.value)
    return out


class _LazyStrings:
    """The notebook's ``NAME = "literal"`` table, built on the first lookup."""

    def __init__(self, trees):
        self._trees = trees
        self._table: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        if self._table is None:
            self._table = _string_values(self._trees)
        return self._table.get(name)


def _literal_path(node, strings) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    if isinstance(node, ast.JoinedStr):  # f"{DATA_DIR}/sales.csv": the literal tail names the file
        tail = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return tail.strip("/\\") or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path(DATA) / "sales.csv"
        return _literal_path(node.right, strings)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args:
        fname = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        if fname in ("Path", "PurePath", "join"):
            return _literal_path(node.args[-1], strings)
    return None


def _data_reads(facts: Facts):
    """(cell, line, source-or-None, call text) for every data read found in code cells."""
    code = facts.code
    strings = _LazyStrings(p.tree for _, p in code if p.tree is not None)
    for cell, parsed in code:
        tree = parsed.tree
        if tree is None or not _maybe_read(parsed.python_source):
            continue
        for node in calls_breadth_first(tree):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name is None or not (name in _READERS or name in _SPARK_FORMATS or name in _LOAD_NAMES
                                    or name == "open" or name.startswith(_SKLEARN_HEADS)):
                continue  # each branch below needs one of these names (most calls have none)
            arg = node.args[0] if node.args else None
            if arg is None:
                for kw in node.keywords:
                    if kw.arg in ("filepath_or_buffer", "path", "io", "fname", "path_or_buf", "source", "uri",
                                  "filename", "file", "name", "path_or_paths"):
                        arg = kw.value
                        break
            if name in _READERS:
                src = _literal_path(arg, strings) if arg is not None else None
                if name == "load_dataset" and src is None and arg is None:
                    continue
                if name in ("read_sql", "read_sql_query", "read_database") and src is not None:
                    m = _SQL_TABLE.search(src)  # the table a query reads, not the query text
                    src = m.group(1) if m else None
                yield cell, node.lineno, src, name
            elif (name in _SPARK_FORMATS and isinstance(f, ast.Attribute) and _reads_via_spark(f.value)
                  and arg is not None):
                yield cell, node.lineno, _literal_path(arg, strings), f"read.{name}"
            elif name in _LOAD_NAMES and isinstance(f, ast.Attribute):
                src = _literal_path(arg, strings) if arg is not None else None
                if src and ("." in os.path.basename(src) or "/" in src) and not src.lower().endswith(_CONFIG_EXT):
                    yield cell, node.lineno, src, name
            elif name == "open" and isinstance(f, ast.Name) and arg is not None:
                mode = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "mode"), None)
                if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and _WRITE_MODE.search(mode.value):
                    continue
                src = _literal_path(arg, strings)
                if src and not src.lower().endswith(_CONFIG_EXT):
                    yield cell, node.lineno, src, name
            else:
                m = _SKLEARN.match(name)
                if m and _from_sklearn(f, facts.nb):
                    src = _literal_path(arg, strings) if arg is not None else m.group(1).replace("_", " ")
                    yield cell, node.lineno, src, name


_SQL_TABLE = lazy_re(r"\b(?:from|join)\s+([\w.\"`\[\]]+)", re.IGNORECASE)

_SPARK_FORMATS = frozenset({"csv", "parquet", "json", "orc", "text", "table", "load", "jdbc", "avro", "delta"})


def _reads_via_spark(node) -> bool:
    """``spark.read``, ``spark.read.format("x").option(...)``: a DataFrameReader."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in ("read", "readStream"):
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _from_sklearn(func, nb) -> bool:
    """``datasets.load_iris()`` or ``load_iris()`` imported from sklearn.datasets."""
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id == "datasets"
    return isinstance(func, ast.Name) and any("sklearn.datasets" in c.source for c in nb.cells if c.is_code)


def _mention_keys(src: str) -> list[str]:
    """Ways prose may name a source: file name, stem, host (for URLs), dataset name."""
    from urllib.parse import urlparse

    s = src.strip()
    keys: list[str] = []
    if "://" in s:
        u = urlparse(s)
        base = os.path.basename(u.path.rstrip("/"))
        if base:
            keys += [base, os.path.splitext(base)[0]]
        if u.hostname:
            host = u.hostname.removeprefix("www.")
            keys += [host, host.split(".")[0]]
    else:
        base = os.path.basename(s.replace("\\", "/").rstrip("/")) or s
        keys += [base]
        stem = base
        while "." in stem and len(stem.rsplit(".", 1)[1]) <= 8:
            stem = stem.rsplit(".", 1)[0]
        keys.append(stem)
        keys += [stem.replace("_", " "), stem.replace("-", " ")]
    return [k.lower() for k in keys if len(k) >= 3]


@rule("NBD003", "undocumented-data", "warning", "data is read but no data section mentions the source")
def undocumented_data(nb, ctx):
    """
    ## What it does
    Finds where data is read (`pd.read_csv(...)`, `read_parquet`, `np.load`, `open(...)`,
    `xr.open_dataset`, `load_dataset`, scikit-learn loaders, ...) and checks that a Data
    section exists and that its text names each source (by file name, stem, URL host or
    dataset name).

    ## Why is this bad?
    Results are only as good as their data. A reader (or you in six months) needs to know
    where the data came from, which version or date, and under what licence, to trust or
    reproduce the analysis.

    ## Example
    ```python
    df = pd.read_csv("data/sales_2026q3.csv")
    ```
    with no Data section, or one that does not mention the file.

    ## Use instead
    ```markdown
    ## Data
    `sales_2026q3.csv`: the finance team's Q3 export (2026-10-02), internal use only.
    ```
    """
    found = _data_reads(ctx.facts)
    first = next(found, None)
    if first is None:
        return
    lay = layout_for(nb, ctx)
    data_secs = lay.of_kind("data")
    if not data_secs:  # only the first read is reported: the other cells need not be looked at
        cell, line, src, fn = first
        what = f"{fn}({src!r})" if src else fn + "(...)"
        yield Hit(f"data is read ({what}) but there is no Data section; add '## Data' saying where it comes "
                  f"from (source, version or date, licence)", cell, line)
        return
    reads = [first, *found]
    text = " ".join(bl.text for s in data_secs for bl in lay.body(s)).lower()
    seen: set[str] = set()
    for cell, line, src, fn in reads:
        if src is None:
            continue
        key = src.lower()
        if key in seen:
            continue
        seen.add(key)
        if not any(k in text for k in _mention_keys(src)):
            name = os.path.basename(src.split("?")[0].rstrip("/\\"))
            where = f" (read from {src!r} with {fn})" if name and name != src else f" (read with {fn})"
            yield Hit(f"the Data section does not mention {name or src!r}{where}; say where it comes from, "
                      f"its version or date and licence", cell, line)
    if not text.strip() and all(src is None for _, _, src, _ in reads):
        cell, line, _, fn = reads[0]
        yield Hit(f"data is read ({fn}) but the Data section is empty; say where it comes from", cell, line)
