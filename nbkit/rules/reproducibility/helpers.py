"""Helpers shared by several reproducibility rules."""

from __future__ import annotations

import ast
import os
import re

from ...analysis import Facts
# the path analysis lives in nbkit.analysis.inputs (pin's data pins share it); re-exported for the rules
from ...analysis.inputs import MAGIC_METHODS, READ_FUNCS, REMOTE, call_paths, kw, open_mode_writes  # noqa: F401
from ...analysis.semantic import CallInfo


def script_dependencies(facts: Facts) -> list[str] | None:
    """The ``dependencies`` of the PEP 723 ``# /// script`` block in the notebook's first code cell
    (juv's inline metadata), or None when it has no such block or the block declares no
    ``dependencies`` key.  Such a notebook declares its own environment: NBR001-NBR003 judge the
    block, not the project's manifests."""
    return facts.memo("pep723_dependencies", _script_dependencies)


def _script_dependencies(facts: Facts) -> list[str] | None:
    from ...pep723 import dependencies, notebook_block

    block = notebook_block(facts.nb)
    if block is None or "dependencies" not in block:
        return None
    return dependencies(block)


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


SPARK_IO = frozenset({"parquet", "csv", "json", "orc", "text", "load", "save", "saveAsTable", "insertInto",
                       "jdbc", "table", "delta"})


def spark_io(ci: CallInfo, direction: str) -> bool:
    """``spark.read.parquet(...)`` / ``df.write.mode("overwrite").parquet(...)``."""
    if ci.method not in SPARK_IO or not isinstance(ci.node.func, ast.Attribute):
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




def shell_commands(facts: Facts):
    """(cell, line, command) for every shell escape, shell magic and %%bash line."""
    for ci in facts.semantic.calls:
        if ci.method not in MAGIC_METHODS:
            continue
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


def written_files_text(facts: Facts) -> str:
    """What the notebook's ``%%writefile`` / ``%%file`` cells write (their arguments and bodies):
    often a script that a shell command then runs, naming the files it makes."""
    return "\n".join(ci.magic[2] for ci in facts.semantic.calls
                     if ci.method == "run_cell_magic" and ci.magic is not None and ci.magic[1] in ("writefile", "file"))


def hide_query(url: str) -> str:
    url = re.sub(r"//[^/@\s]*@", "//", url)  # credentials
    url = url.split("?", 1)[0].split("#", 1)[0]
    return url if len(url) <= 80 else url[:79] + "…"
