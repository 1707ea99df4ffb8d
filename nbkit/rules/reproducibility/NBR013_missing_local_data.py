"""NBR013 missing-local-data (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from ...analysis import Facts
from .. import Hit, rule
from .helpers import READ_FUNCS, REMOTE, call_paths, open_mode_writes, shell_commands


# connect/open-style callees whose path argument is an input (beyond READ_FUNCS)
_OPENERS = frozenset({"connect", "File", "open_rasterio", "open_database", "open_workbook", "open_file",
                      "open_array", "open_store", "Dataset", "open_table"})
_SQL_WRITE = re.compile(r"^\s*(?:create|insert|drop|replace|alter)\b", re.IGNORECASE)


def _fills_connection(facts: Facts, ci) -> bool:
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


def _read_paths(facts: Facts):
    """(CallInfo, path, is_read) for calls with constant path arguments."""
    for ci in facts.semantic.calls:
        if ci.method is None or ci.magic is not None:
            continue
        q = ci.qual or ""
        is_read = ci.method in READ_FUNCS and not q.startswith(("torch.hub", "webbrowser.", "spacy.", "os.", "io.")) \
            and not (ci.method == "open" and open_mode_writes(ci.node))
        if ci.method in _OPENERS and not q.startswith(("os.", "io.")):
            # sqlite3.connect("../data/x.sqlite"), h5py.File(...), xr.open_rasterio(...): reads,
            # unless the cell fills what it opens (`df.to_sql(..., con)`, CREATE/INSERT)
            is_read = not _fills_connection(facts, ci)
        if is_read:
            for value, _ in call_paths(facts, ci):
                yield ci, value, True
        else:
            for value, _ in call_paths(facts, ci, positions=None):
                yield ci, value, False


def _looks_like_local_file(p: str, surely_a_path: bool = False) -> bool:
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


@rule("NBR013", "missing-local-data", "warning",
      "a relative input path that does not exist, or a file > 10 MB not tracked by DVC/LFS",
      options={"large-file-mb": 10}, requires=("python",))
def missing_local_data(nb, ctx):
    """
    ## What it does
    Resolves the relative input paths the notebook reads (`pd.read_csv("data/x.csv")`,
    `open("params.json")`, `np.load(DATA / "x.npy")` when `DATA` is a literal path,
    `sqlite3.connect("../data/x.sqlite")`, `h5py.File(...)` and other openers, ...)
    against the notebook's folder, where `nbkit verify` and papermill run it. Reports a
    path that does not exist (unless the notebook writes or downloads it first), and an
    input file larger than `large-file-mb` that is tracked neither by DVC (a `.dvc` file
    beside it) nor by Git LFS (a `filter=lfs` pattern in `.gitattributes`).

    ## Why is this bad?
    A missing input makes a fresh run fail; a large file committed to Git bloats the
    repository, and an untracked one is simply not there for the next person.

    ## Example
    ```python
    df = pd.read_csv("data/customers_2026.csv")  # not in the repository
    ```

    ## Use instead
    Commit the file (small) or track it with `dvc add data/customers_2026.csv` / Git LFS
    (large), or download it in the notebook with a checksum.

    ## Options
    - `large-file-mb` (default 10): size above which an input must be tracked by DVC or LFS
    """
    folder = Path(os.path.abspath(nb.path)).parent
    limit = float(ctx.option("large-file-mb", float)) * 1024 * 1024
    produced: set[str] = set()
    shell_text = "\n".join(cmd for _, _, cmd in shell_commands(ctx.facts))
    items = list(_read_paths(ctx.facts))
    for _ci, value, is_read in items:
        if not is_read:
            produced.add(os.path.normpath(value))
    seen: set[str] = set()
    project = ctx.project
    for ci, value, is_read in items:
        surely = ci.qual == "open" or (ci.method or "").startswith(("read_", "scan_"))
        if not is_read or not _looks_like_local_file(value, surely):
            continue
        norm = os.path.normpath(value)
        if norm in seen:
            continue
        seen.add(norm)
        target = folder / value
        if not _exists(target):
            if norm in produced or value in shell_text or norm in shell_text:
                continue
            root = Path(project.root_for(nb.path)) if project is not None else folder
            hint = " (it exists relative to the project root, but the notebook runs in its own folder)" \
                if root != folder and _exists(root / value) else ""
            yield Hit(f"{ci.text}() reads {value!r}, which does not exist relative to the notebook's folder"
                      f"{hint}; commit the file, or document and automate how to get it", ci.cell, ci.node.lineno)
            continue
        try:
            if not target.is_file():
                continue
            size = target.stat().st_size
            if size <= limit or project is None or project.dvc_tracked(str(target)) \
                    or project.lfs_tracked(str(target)):
                continue
        except (OSError, ValueError):
            continue
        yield Hit(f"{ci.text}() reads {value!r} ({size / 1048576:.0f} MB), which is tracked neither by DVC nor by "
                  f"Git LFS; run `dvc add {value}` or track it with Git LFS", ci.cell, ci.node.lineno)


def _exists(path: Path) -> bool:
    """Path.exists that answers "no" for names the OS refuses (NUL bytes, too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
