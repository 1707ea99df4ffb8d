"""NBR002 unpinned-dependencies (the rule's docstring is its documentation)."""

from __future__ import annotations

import os

from .. import Hit, rule
from .helpers import rel


@rule("NBR002", "unpinned-dependencies", "warning",
      "manifest entries not pinned (`==`) and no lock file (uv.lock, poetry.lock, Pipfile.lock, "
      "conda-lock.yml, pdm.lock, hashed pip-compile output)", requires=("python", "project", "code"))
def unpinned_dependencies(nb, ctx):
    """
    ## What it does
    For the environment manifests nearest to the notebook (in its folder, or the first
    folder above it that has any), reports the dependencies
    that are not pinned to one exact version (`pandas==2.2.3`; in conda `pandas=2.2.3`),
    unless a lock file sits beside a manifest or above it: `uv.lock`, `poetry.lock`,
    `Pipfile.lock`, `conda-lock.yml`, `pdm.lock`, or a requirements file produced by
    `pip-compile` / `uv pip compile` (with hashes, or with every entry pinned).

    ## Why is this bad?
    `pandas>=2` installs whatever is newest on the day: next year the same notebook runs on
    a different pandas and may give different numbers, or fail.

    ## Example
    ```
    # requirements.txt
    pandas>=2
    scikit-learn
    ```

    ## Use instead
    ```
    pandas==2.2.3
    scikit-learn==1.5.2
    ```
    or keep loose ranges in the manifest and commit a lock file (`uv lock`, `poetry lock`,
    `pip-compile --generate-hashes`).
    """
    if ctx.project.lock_files_for(nb.path):
        return
    manifests = ctx.project.manifests_for(nb.path)
    nearest = os.path.dirname(manifests[0].path) if manifests else None
    for m in manifests:
        if os.path.dirname(m.path) != nearest:
            break  # the nearest manifests describe the notebook's environment
        loose = m.unpinned
        if not loose:
            continue
        names = ", ".join(str(r) for r in loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        yield Hit(f"{rel(m.path, nb)}: {len(loose)} of {len(m.requirements)} dependencies are not pinned "
                  f"to an exact version ({names}) and there is no lock file; pin them with == or commit a "
                  "lock file (uv lock, pip-compile --generate-hashes)")
