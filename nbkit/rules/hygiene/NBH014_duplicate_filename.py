"""NBH014 duplicate-filename: two notebooks with the same basename in one project."""

from __future__ import annotations

import os

from .. import Hit, rule
from .helpers import plural


@rule("NBH014", "duplicate-filename", "warning", "two notebooks with the same basename in one project")
def duplicate_filename(nb, ctx):
    """
    ## What it does
    Reports a notebook when another notebook in the same run (the files and folders given to
    `nbkit lint`) has the same file name.

    ## Why is this bad?
    Two `analysis.ipynb` in different folders get confused in reviews, links, CI reports and
    output folders (papermill outputs, exported HTML), and one is usually a stale copy.

    ## Example
    `q3/analysis.ipynb` and `q4/analysis.ipynb`.

    ## Use instead
    Names that say what each notebook does: `q3/churn_q3.ipynb`, `q4/churn_q4.ipynb`;
    delete stale copies.
    """
    project = getattr(ctx, "project", None)
    if project is None or not nb.path:
        return
    others = project.same_basename(nb.path)
    if not others:
        return
    here = os.path.dirname(os.path.abspath(nb.path))
    shown = [os.path.relpath(p, here) for p in others[:3]]
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    yield Hit(f"{plural(len(others), 'other notebook')} in this run also named {os.path.basename(nb.path)!r} "
              f"({', '.join(shown)}{more}): give each notebook a distinct, descriptive name")
