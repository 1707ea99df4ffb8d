"""NBR002 unpinned-dependencies (the rule's docstring is its documentation)."""

from __future__ import annotations

import os

from .. import Hit, rule
from ...pep723 import dependency_name, is_exact_pin
from .helpers import rel, script_dependencies


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

    A notebook written with juv (a PEP 723 `# /// script` block with `dependencies` in its
    first code cell) runs in the environment that block declares, so the block's dependencies
    are checked instead of the project's manifests: each must be `name==version`
    (`nbkit pin --export pep723` prints a pinned block).
    """
    declared = script_dependencies(ctx.facts)
    if declared is not None:
        loose = [d for d in declared if not is_exact_pin(d)]
        if loose:
            first = next(c for c in nb.cells if c.is_code)
            names = ", ".join(loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
            yield Hit(f"the notebook's PEP 723 script block: {len(loose)} of {len(declared)} dependencies are not "
                      f"pinned to an exact version ({names}); pin them with == (`nbkit pin --export pep723` "
                      "prints a pinned block)", first, _dependency_line(first.source, loose[0]))
        return
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


def _dependency_line(source: str, requirement: str) -> int | None:
    """The line of the script block that declares ``requirement``."""
    name = dependency_name(requirement)
    for i, line in enumerate(source.splitlines(), start=1):
        if line.startswith("#") and (requirement in line or (name and f'"{name}' in line)):
            return i
    return None
