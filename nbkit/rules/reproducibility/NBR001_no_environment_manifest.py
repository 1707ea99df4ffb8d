"""NBR001 no-environment-manifest (the rule's docstring is its documentation)."""

from __future__ import annotations

import os

from .. import Hit, rule
from .helpers import script_dependencies


MANIFEST_LIST = "requirements*.txt, pyproject.toml, environment.yml, Pipfile, setup.cfg/setup.py"


@rule("NBR001", "no-environment-manifest", "error",
      "none of requirements*.txt, pyproject.toml, environment.yml, Pipfile, setup.cfg/py up the tree "
      "to the project root", requires=("python", "project", "code"))
def no_environment_manifest(nb, ctx):
    """
    ## What it does
    Looks for an environment manifest (`requirements*.txt`, a `pyproject.toml` that declares
    dependencies, `environment.yml`, `Pipfile`, `setup.cfg` or `setup.py`) in the notebook's
    folder and every folder above it up to the project root (the repository root).

    ## Why is this bad?
    Without a manifest nobody knows which packages (and versions) the notebook needs: the
    next person has to guess from the imports, and gets different results or import errors.

    ## Example
    `analysis/churn.ipynb` imports pandas and scikit-learn; the repository has no
    requirements file.

    ## Use instead
    Add a `requirements.txt` (or `environment.yml`, or dependencies in `pyproject.toml`)
    at the project root listing what the notebooks import, ideally with exact versions
    (`nbkit pin --export requirements` writes one). A notebook written with juv, whose first
    code cell holds a PEP 723 `# /// script` block with `dependencies`, declares its own
    environment and needs no other manifest (`nbkit pin --export pep723` prints such a block).
    """
    if script_dependencies(ctx.facts) is not None or ctx.project.manifests_for(nb.path):
        return
    root = ctx.project.root_for(nb.path)
    at_root = os.path.abspath(root) == os.path.dirname(os.path.abspath(nb.path))
    where = "the notebook's folder (the project root)" if at_root \
        else f"the notebook's folder or above it up to the project root ({_as_named(root, nb)})"
    bare = [d / "pyproject.toml" for d in ctx.project.folders_up_to_root(nb.path) if (d / "pyproject.toml").is_file()]
    if bare:
        others = MANIFEST_LIST.replace("pyproject.toml, ", "")
        yield Hit(f"no environment manifest: {_as_named(str(bare[0]), nb)} declares no dependencies, and there is "
                  f"no other manifest ({others}) in {where}; add the dependencies the notebook needs, with "
                  "versions")
        return
    yield Hit(f"no environment manifest ({MANIFEST_LIST}) in {where}; add one listing the packages "
              "this notebook needs, with versions")


def _as_named(path: str, nb) -> str:
    """``path`` named the way the notebook's path is: relative to the current folder when the
    user gave a relative path ("." is "the current folder"), else absolute."""
    if os.path.isabs(nb.path):
        return os.path.abspath(path)
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(os.getcwd()))
    return "the current folder" if rel == "." else rel
