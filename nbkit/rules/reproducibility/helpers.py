"""Helpers shared by several reproducibility rules."""

from __future__ import annotations

import ast
import os
import re

from ...analysis import Facts
# the path analysis lives in nbkit.analysis.inputs (pin's data pins share it); re-exported for the rules
from ...analysis.inputs import MAGIC_METHODS, READ_FUNCS, REMOTE, call_paths, kw, open_mode_writes  # noqa: F401
from ...analysis.inputs import written_files
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


# a shell command that runs a Python script: `python train.py`, `python3 -u ./jobs/train.py --epochs 3`
_RUNS_SCRIPT = re.compile(r"(?:^|[\s;&|(])(?:python[\d.]*|ipython)\s+(?:-\S+\s+)*['\"]?([\w./-]+\.py)\b")


# calls that write the file they name: `df.to_csv`, `np.save`, `joblib.dump`, `plt.savefig`,
# `model.save_weights`, `cv2.imwrite`, `shutil.copy`, `urlretrieve(url, filename)`, Keras' `ModelCheckpoint`
_WRITER = re.compile(r"^(?:to_\w+|save\w*|dump\w*|write\w*|export\w*|imwrite|imsave|copy\w*|move|urlretrieve|"
                     r"download\w*|ModelCheckpoint|CSVLogger)$")


def script_outputs(facts: Facts) -> set[str]:
    """Normalised constant paths that a Python script which the notebook writes (``%%writefile
    train.py``) and runs (``!python train.py``, ``%run train.py``, ``subprocess.run(["python",
    "train.py"])``) passes to a call that writes a file (``joblib.dump(m, "model.pkl")``,
    ``keras.callbacks.ModelCheckpoint("best.h5")``, ``open(path, "w")``): files the script may
    make."""
    written: dict[str, list[str]] = {}  # file -> the bodies written to it (`%%writefile -a` appends)
    for target, append, body in written_files(facts):
        if target.endswith(".py"):
            bodies = written.setdefault(target, [])
            if not append:
                bodies.clear()
            bodies.append(body)
    if not written:
        return set()
    ran: set[str] = set()
    for ci in facts.semantic.calls:  # %run train.py
        magic = ci.magic if ci.method == "run_line_magic" else None
        if magic is not None and magic[1] == "run":
            script = next((w for w in magic[2].split() if not w.startswith("-")), None)
            if script:
                ran.add(os.path.normpath(script))
    commands = [cmd for _, _, cmd in shell_commands(facts)]
    for ci in facts.semantic.calls:  # subprocess.run(["python", "train.py"]), os.system("python train.py")
        q = ci.qual or ""
        if ci.node.args and (q.startswith("subprocess.") or q in ("os.system", "os.popen")):
            first = ci.node.args[0]
            parts = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
            commands.append(" ".join(p.value for p in parts
                                     if isinstance(p, ast.Constant) and isinstance(p.value, str)))
    for cmd in commands:
        ran.update(os.path.normpath(m.group(1)) for m in _RUNS_SCRIPT.finditer(cmd))
    out: set[str] = set()
    for target, bodies in written.items():
        if target not in ran:
            continue
        try:
            tree = ast.parse("\n".join(bodies))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if callee is None or not (_WRITER.match(callee) or (callee == "open" and open_mode_writes(node))):
                continue  # (a read, a check, a path built: not a file made)
            for arg in (*node.args, *(k.value for k in node.keywords)):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                    out.add(os.path.normpath(arg.value))
    return out


def hide_query(url: str) -> str:
    url = re.sub(r"//[^/@\s]*@", "//", url)  # credentials
    url = url.split("?", 1)[0].split("#", 1)[0]
    return url if len(url) <= 80 else url[:79] + "…"
