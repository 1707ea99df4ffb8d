"""NBH013 bad-filename (the rule's docstring is its documentation)."""

from __future__ import annotations

import os
import re

from .. import Hit, rule


_GOOD_CHARS = re.compile(r"[A-Za-z0-9_.-]")

_UNTITLED = re.compile(r"^untitled", re.IGNORECASE)

_COPY = re.compile(r"-Copy\d*(?=$|[-_. ])", re.IGNORECASE)


def _describe_char(ch: str) -> str:
    names = {" ": "space", "\t": "tab", "(": "(", ")": ")"}
    return names.get(ch, ch if ch.isprintable() else f"U+{ord(ch):04X}")


@rule("NBH013", "bad-filename", "warning",
      "`Untitled*.ipynb`, `-Copy`, characters outside `[A-Za-z0-9_.-]`, stem shorter than 10 or longer than 100",
      options={"min-stem-length": 10, "max-stem-length": 100})
def bad_filename(nb, ctx):
    """
    ## What it does
    Checks the notebook's file name: not Jupyter's default `Untitled*.ipynb`, not a Jupyter
    copy (`-Copy1`), only the characters `A-Z a-z 0-9 _ . -`, and a stem (the name without
    `.ipynb`) between `min-stem-length` (10) and `max-stem-length` (100) characters.
    All problems with the name are reported in one finding.

    ## Why is this bad?
    The file name is the first documentation a notebook has. `Untitled3` and `-Copy2` say
    nothing and suggest abandoned work; spaces, brackets and accented letters break shell
    commands, URLs and some CI tools.

    ## Example
    `Untitled7.ipynb`, `model (final)-Copy1.ipynb`, `eda.ipynb`.

    ## Use instead
    A descriptive, portable name: `churn_drivers_q3_2026.ipynb`.

    ## Options
    - `min-stem-length` (default 10): shortest allowed name without `.ipynb`.
    - `max-stem-length` (default 100): longest allowed name without `.ipynb`.
    """
    name = os.path.basename(nb.path or "")
    if not name or name.startswith("<"):
        return  # content without a file name (unsaved, piped)
    stem = name[:-6] if name.lower().endswith(".ipynb") else os.path.splitext(name)[0]
    lo = ctx.option("min-stem-length", int)
    hi = ctx.option("max-stem-length", int)
    problems = []
    if _UNTITLED.match(stem):
        problems.append("Jupyter's default name")
    m = _COPY.search(stem)
    if m:
        problems.append(f"a Jupyter copy ({m.group(0)})")
    bad = sorted({ch for ch in name if not _GOOD_CHARS.match(ch)})
    if bad:
        problems.append("characters outside A-Z a-z 0-9 _ . - (" + ", ".join(_describe_char(c) for c in bad) + ")")
    if len(stem) < lo:
        problems.append(f"name shorter than {lo} characters")
    elif len(stem) > hi:
        problems.append(f"name longer than {hi} characters ({len(stem)})")
    if problems:
        yield Hit(f"file name {name!r}: " + "; ".join(problems)
                  + ": rename it to say what it does, e.g. churn_drivers_q3.ipynb")
