"""NBR013 missing-local-data (the rule's docstring is its documentation)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...analysis.inputs import local_reads, produced_paths
from .. import Hit, rule
from .helpers import script_outputs, shell_commands


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
    produced: set[str] | None = None  # made on first need (most reads name files that exist)
    made: set[str] | None = None  # ... by a script the notebook writes and runs
    shell_words = _shell_words(cmd for _, _, cmd in shell_commands(ctx.facts))
    project = ctx.project
    seen: set[str] = set()
    for read in local_reads(ctx.facts):
        ci, value = read.call, read.path
        norm = os.path.normpath(value)
        if norm in seen:
            continue
        seen.add(norm)
        target = folder / value
        if not _exists(target):
            if produced is None:
                produced = produced_paths(ctx.facts)
            if norm in produced or value in shell_words or norm in shell_words:
                continue
            if made is None:
                made = script_outputs(ctx.facts)
            if norm in made:
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


# commands that only read the files they name
_READERS = frozenset({"head", "tail", "cat", "less", "more", "wc", "ls", "file", "stat", "md5sum", "sha256sum", "du",
                      "grep", "diff"})


def _shell_words(commands) -> set[str]:
    """The words of the notebook's shell commands that may name a file they make (``!wget -O
    data/raw.csv URL``, ``!cp ../data/x.csv .``): each word, an option's value (``--output=f``),
    and each one's last path component (``wget URL/x.csv`` saves ``x.csv``); not the words of a
    command that only reads (``!head train.csv``)."""
    words: set[str] = set()
    for cmd in commands:
        for part in re.split(r"&&|\|\||[;|]", cmd):
            tokens = [t.strip("'\"") for t in part.replace(">", " ").split()]
            while tokens and tokens[0] in ("sudo", "env", "!"):
                tokens = tokens[1:]
            if not tokens or tokens[0] in _READERS:
                continue
            for t in tokens[1:]:
                t = t.split("=", 1)[1] if t.startswith("-") and "=" in t else t
                if t and not t.startswith("-"):
                    words.update((t, os.path.normpath(t), t.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]))
    return words


def _exists(path: Path) -> bool:
    """Path.exists that answers "no" for names the OS refuses (NUL bytes, too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
