"""NBR007 environment-not-recorded: no `metadata.nbkit.environment` (see DESIGN.md)."""

from __future__ import annotations

import re
import shlex

from .. import Hit, rule


# magics that print the Python and package versions into the notebook
_RECORDING_MAGIC = re.compile(r"^[ \t]*%(?:watermark|version_information)\b", re.MULTILINE)


@rule("NBR007", "environment-not-recorded", "warning", "no `metadata.nbkit.environment` (see DESIGN.md)",
      requires=("python", "code"))
def environment_not_recorded(nb, ctx):
    """
    ## What it does
    Checks that the notebook records the environment it was run in, under
    `metadata.nbkit.environment` (Python version, platform, and the versions of the
    distributions the notebook imports), as written by `nbkit pin` or `%nbkit pin`. A notebook
    that prints its versions with `%watermark` or `%version_information` records them in its
    outputs, and is not reported.

    ## Why is this bad?
    Without a record, nobody can tell which versions produced the stored outputs, and
    `nbkit verify` cannot report environment drift.

    ## Example
    A notebook whose metadata holds only `kernelspec` and `language_info`.

    ## Use instead
    Run `nbkit pin analysis.ipynb` (or `%nbkit pin` in the notebook) after a clean run.
    """
    env = nb.nbkit_metadata.get("environment")
    if isinstance(env, dict) and isinstance(env.get("packages"), dict) and env.get("python"):
        return
    if any(c.is_code and ("%watermark" in c.source or "%version_information" in c.source)
           and _RECORDING_MAGIC.search(c.source) for c in nb.cells):
        return  # recorded in the notebook's outputs by %watermark / %version_information
    detail = "is incomplete" if isinstance(env, dict) else "is not recorded"
    yield Hit(f"the environment (Python and package versions) {detail} in metadata.nbkit.environment; "
              f"run `nbkit pin {shlex.quote(nb.path)}` or `%nbkit pin` after a clean run")
