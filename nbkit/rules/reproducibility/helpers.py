"""Helpers shared by several reproducibility rules."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from typing import Callable

from ...analysis import Facts
from ...analysis.semantic import CallInfo, bind_import, dotted, lazy_re, str_const


def kw(node: ast.Call, *names: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg in names:
            return k.value
    return None


def is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def rel(path: str, nb) -> str:
    try:
        return os.path.relpath(path, os.path.dirname(os.path.abspath(nb.path)))
    except ValueError:
        return path


SEEDERS: dict[str, frozenset[str]] = {
    "random.seed": frozenset({"random"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed_all": frozenset({"torch"}),
    "tensorflow.random.set_seed": frozenset({"tensorflow"}),
    "tensorflow.set_random_seed": frozenset({"tensorflow"}),
    "tensorflow.compat.v1.set_random_seed": frozenset({"tensorflow"}),
    "tensorflow.keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "tf_keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "lightning.pytorch.seed_everything": frozenset({"random", "numpy", "torch"}),
    "pytorch_lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "transformers.set_seed": frozenset({"random", "numpy", "torch", "tensorflow"}),
    "accelerate.utils.set_seed": frozenset({"random", "numpy", "torch"}),
}

NP_GENERATORS = frozenset({"default_rng", "RandomState", "Generator", "PCG64", "PCG64DXSM", "MT19937",
                           "Philox", "SFC64"})

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


@dataclass
class _PathConstants:
    values: dict[str, list[tuple[tuple[int, int], str | None]]]  # NAME -> [((cell, line), path or None)]
    lookup: Callable[[str, tuple[int, int]], str | None]  # (NAME, (cell, line)) -> its path there
    bindings: dict[str, str]  # import aliases


def _consts(facts: Facts) -> _PathConstants:
    """Top-level ``NAME = <constant path>`` assignments, in order, for resolving ``read_csv(PATH)``."""
    return facts.memo("path_constants", _find_consts)


def _find_consts(facts: Facts) -> _PathConstants:
    out: dict[str, list] = {}
    bindings: dict[str, str] = {}

    def lookup(name, order):
        vals = out.get(name)
        if not vals:
            return None
        best = None
        for o, v in vals:
            if o < order:
                best = v
        return best

    for cell in facts.nb.cells:
        tree = facts.tree(cell)
        if tree is None:
            continue
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                bind_import(stmt, bindings)
            if isinstance(stmt, ast.Assign):
                order = (cell.index, stmt.lineno)
                value = _eval_path(stmt.value, lambda n, o=order: lookup(n, o), bindings)
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, []).append((order, value))
    return _PathConstants(out, lookup, bindings)


def _eval_path(node, lookup, bindings) -> str | None:
    """Fold a path expression made of literals: "a", PATH, Path("a") / "b", os.path.join("a", "b"), f"a/{X}"."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and v.format_spec is None:
                inner = _eval_path(v.value, lookup, bindings)
                if inner is None:
                    return None
                parts.append(inner)
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        left = _eval_path(node.left, lookup, bindings)
        right = _eval_path(node.right, lookup, bindings)
        if left is None or right is None:
            return None
        return (left.rstrip("/") + "/" + right) if isinstance(node.op, ast.Div) else left + right
    if isinstance(node, ast.Call) and not node.keywords:
        names = dotted(node.func)
        if not names:
            return None
        q = ".".join([bindings.get(names[0], names[0]), *names[1:]])
        if q in _PATH_CTORS or names[-1] in ("Path", "PurePath"):
            folded = [_eval_path(a, lookup, bindings) for a in node.args]
            vals = [v for v in folded if v is not None]
            if not folded or len(vals) < len(folded):
                return None
            return "/".join(v.rstrip("/") for v in vals[:-1]) + ("/" if len(vals) > 1 else "") + vals[-1] \
                if len(vals) > 1 else vals[0]
    return None


def call_paths(facts: Facts, ci: CallInfo, positions: tuple[int, ...] | None = (0,)) -> list[tuple[str, ast.AST]]:
    """Constant path arguments of a call (first positional and the usual path keywords)."""
    consts = _consts(facts)
    order = (ci.cell.index, ci.node.lineno)
    lookup = lambda n: consts.lookup(n, order)  # noqa: E731
    args = list(ci.node.args) if positions is None else [ci.node.args[i] for i in positions
                                                         if i < len(ci.node.args)]
    args += [k.value for k in ci.node.keywords if k.arg in _PATH_KWARGS or positions is None]
    out: list[tuple[str, ast.AST]] = []
    for a in args:
        v = _eval_path(a, lookup, consts.bindings)
        if v is not None:
            out.append((v, a))
    # Path("x").read_text() / .open()
    if isinstance(ci.node.func, ast.Attribute) and ci.method in ("read_text", "read_bytes", "open"):
        v = _eval_path(ci.node.func.value, lookup, consts.bindings)
        if v is not None:
            out.append((v, ci.node.func.value))
    return out


_SPARK_IO = frozenset({"parquet", "csv", "json", "orc", "text", "load", "save", "saveAsTable", "insertInto",
                       "jdbc", "table", "delta"})


def spark_io(ci: CallInfo, direction: str) -> bool:
    """``spark.read.parquet(...)`` / ``df.write.mode("overwrite").parquet(...)``."""
    if ci.method not in _SPARK_IO or not isinstance(ci.node.func, ast.Attribute):
        return False
    node = ci.node.func.value
    for _ in range(4):
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Attribute):
            if node.attr in (direction, direction + "Stream"):
                return True
            node = node.value
        else:
            return False
    return False


def open_mode_writes(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else kw(node, "mode")
    s = str_const(mode)
    return bool(s and any(ch in s for ch in "wax+"))


def shell_commands(facts: Facts):
    """(cell, line, command) for every shell escape, shell magic and %%bash line."""
    for ci in facts.semantic.calls:
        magic = ci.magic
        if magic is None:
            continue
        kind, name, args = magic
        if kind == "system":
            yield ci, ci.node.lineno, args
        elif kind == "line" and name in ("sx", "system"):
            yield ci, ci.node.lineno, args
        elif kind == "cell" and name in ("bash", "sh", "script", "system"):
            body = args.split("\n", 1)[1] if "\n" in args else ""
            for i, ln in enumerate(body.splitlines(), start=ci.node.lineno + 1):
                yield ci, i, ln


def hide_query(url: str) -> str:
    url = re.sub(r"//[^/@\s]*@", "//", url)  # credentials
    url = url.split("?", 1)[0].split("#", 1)[0]
    return url if len(url) <= 80 else url[:79] + "…"
