"""Cell controls: how a cell asks verify to skip it, ignore its output, or expect an exception.

nbkit's own tags come first (``nbkit:skip``, ``nbkit:ignore-output``); for people migrating,
nbval's comment markers (``# NBVAL_IGNORE_OUTPUT`` ...) and tags (``nbval-skip`` ...),
nbclient/nbmake's ``skip-execution`` and ``raises-exception`` and papermill's ``parameters``
are honoured too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..errors import UsageError

SKIP_TAGS = {"nbkit:skip", "nbval-skip", "skip-execution"}
IGNORE_TAGS = {"nbkit:ignore-output", "nbval-ignore-output"}
RAISES_TAGS = {"raises-exception", "nbval-raises-exception", "nbkit:raises-exception"}
CHECK_TAGS = {"nbval-check-output"}
MARKERS = {
    "NBVAL_SKIP": "skip",
    "NBVAL_IGNORE_OUTPUT": "ignore",
    "NBVAL_RAISES_EXCEPTION": "raises",
    "NBVAL_CHECK_OUTPUT": "check",
}


@dataclass(frozen=True)
class CellControl:
    skip: bool = False
    ignore_output: bool = False
    raises: bool = False
    parameters: bool = False
    why: str = ""  # the tag or marker that set skip / ignore


def _markers(source: str) -> set[str]:
    found = set()
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("#"):
            word = s.lstrip("#").strip().split(" ")[0] if s.lstrip("#").strip() else ""
            if word in MARKERS:
                found.add(word)
    return found


# `%nbkit` sub-commands whose output describes the notebook file or the session, not results:
# in verify's fresh kernel there is no notebook session, so their output is never compared.
REPORT_MAGICS = {"lint", "verify", "env", "status", "pin", "help", "?"}


def _report_magic_cell(source: str) -> bool:
    """True for a cell made only of ``%load_ext nbkit`` and ``%nbkit lint|verify|env|...`` lines."""
    report = False
    for line in source.splitlines():
        s = line.strip()
        if not s or s.startswith("#") or s == "%load_ext nbkit":
            continue
        if not s.startswith("%nbkit"):
            return False
        words = s[len("%nbkit"):].split()
        if s.startswith("%nbkit?"):
            report = True
        elif words and words[0] in REPORT_MAGICS:
            report = True
        else:
            return False
    return report


def control_for(cell) -> CellControl:
    """The control of one :class:`nbkit.model.Cell` (code cells only matter)."""
    tags = set(cell.tags)
    markers = _markers(cell.source) if cell.is_code else set()
    skip_by = sorted(tags & SKIP_TAGS) + sorted(m for m in markers if MARKERS[m] == "skip")
    ignore_by = sorted(tags & IGNORE_TAGS) + sorted(m for m in markers if MARKERS[m] == "ignore")
    if cell.is_code and not ignore_by and _report_magic_cell(cell.source):
        ignore_by = ["%nbkit report"]
    raises = bool(tags & RAISES_TAGS) or any(MARKERS[m] == "raises" for m in markers)
    return CellControl(skip=bool(skip_by), ignore_output=bool(ignore_by), raises=raises,
                       parameters="parameters" in tags, why=(skip_by or ignore_by or [""])[0])


def parameter_names(cell) -> list[str]:
    """Names the ``parameters`` cell assigns (simple and annotated assignments, tuples)."""
    names: list[str] = []
    tree = cell.tree
    if tree is None:
        return names

    def add(t):
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                add(e)

    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            add(node.target)
    return names


def parse_value(value: str):
    """``-p NAME VALUE`` values, typed like papermill's command line does."""
    if value == "True":
        return True
    if value == "False":
        return False
    if value == "None":
        return None
    for conv in (int, float):
        try:
            return conv(value)
        except ValueError:
            pass
    return value


def check_parameters(nb, parameters: dict) -> tuple[int | None, str | None]:
    """(index of the parameters cell, NBR023 message or None) for ``-p`` names."""
    from .verdict import rule_code

    pcells = [c for c in nb.cells if c.is_code and "parameters" in c.tags]
    index = pcells[0].index if pcells else None
    if not parameters:
        return index, None
    code = rule_code("unknown-parameter")
    if index is None:
        names = ", ".join(sorted(parameters))
        return None, (f"{code} unknown parameter{'s' if len(parameters) > 1 else ''} {names}: "
                      "the notebook has no cell tagged `parameters`")
    known = parameter_names(pcells[0])
    unknown = [p for p in parameters if p not in known]
    if unknown:
        return index, (f"{code} unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
                       f"the parameters cell ({pcells[0].label}) assigns {', '.join(known) or 'nothing'}")
    return index, None


def parse_shard(text: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"2/4"`` -> (2, 4); 1-based."""
    if text is None:
        return None
    if isinstance(text, tuple):
        i, n = text
    else:
        try:
            i_s, n_s = str(text).split("/")
            i, n = int(i_s), int(n_s)
        except ValueError:
            raise UsageError(f"--shard must look like I/N (e.g. 1/4), not {text!r}") from None
    if n < 1 or not 1 <= i <= n:
        raise UsageError(f"--shard {i}/{n}: I must be between 1 and N")
    return i, n
