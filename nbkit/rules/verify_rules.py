"""NBR020-NBR025: reproducibility rules reported by ``nbkit verify`` (re-execution).

They are registered here so the catalogue, ``nbkit rules`` and docs/rules/ list them with
the static rules.  They have no static check: :mod:`nbkit.verify.verdict` reports them, and
reads their codes, severities and options from this catalogue.
"""

from __future__ import annotations

from typing import cast

from . import CheckFn, rule


class _ReportedByVerify:
    """What the registry keeps of a verify-reported rule: its documentation (no check)."""

    def __init__(self, doc: str):
        self.__doc__ = doc


def verify_rule(code: str, name: str, severity: str, summary: str, *, doc: str, options: dict | None = None) -> None:
    """Register a rule that ``nbkit verify`` reports (``static=False``, no check function)."""
    rule(code, name, severity, summary, static=False, options=options)(cast(CheckFn, _ReportedByVerify(doc)))


verify_rule("NBR020", "fails-in-fresh-kernel", "error",
            "Restart & Run All in a fresh kernel raises outside `raises-exception` cells", doc="""
    ## What it does
    Re-executes the notebook top to bottom in a fresh kernel (`nbkit verify`) and reports the
    first cell that raises an exception, unless the cell is tagged `raises-exception` (or
    carries nbval's `NBVAL_RAISES_EXCEPTION` marker).

    ## Why is this bad?
    A notebook that only works in the author's long-lived kernel cannot be re-run by anyone
    else: hidden state, deleted cells or files that no longer exist make it fail.

    ## Example
    A cell reads `df_clean`, which was defined in a cell that has since been deleted.

    ## Use instead
    Restart the kernel and run all cells before committing; define everything a cell needs
    in an earlier cell.
    """)


verify_rule("NBR021", "output-mismatch", "error",
            "stored outputs differ from re-executed ones after normalisation", doc="""
    ## What it does
    Compares each cell's stored outputs with the outputs of a fresh re-execution, after
    normalising noise away (execution counts, memory addresses, timestamps, progress bars,
    float last digits, anti-aliasing in images).

    ## Why is this bad?
    The results shown in the notebook are not the results its code produces: the reader is
    looking at numbers and charts that cannot be reproduced.

    ## Example
    The stored output says `accuracy = 0.91`; re-running gives `accuracy = 0.87` because the
    data file changed.

    ## Use instead
    Re-run the notebook and commit the new outputs (`nbkit verify --update`), or fix what
    changed. Tag cells whose output is legitimately volatile with `nbkit:ignore-output`.
    """)


verify_rule("NBR022", "nondeterministic-output", "warning",
            "two fresh runs differ from each other (works even when outputs are stripped)", doc="""
    ## What it does
    With `nbkit verify --runs N`, runs the notebook N times in fresh kernels and reports cells
    whose outputs disagree between runs. It is an error in the report profile.

    ## Why is this bad?
    Output that changes from run to run cannot be checked and usually means unseeded
    randomness, dict/set ordering, or the clock leaking into results.

    ## Example
    `np.random.rand(3)` printed without seeding numpy.

    ## Use instead
    Seed every random generator from one parameter (`%nbkit seed`), sort before printing,
    and keep clocks out of results.
    """)


verify_rule("NBR023", "unknown-parameter", "error",
            "`-p NAME` not assigned in the `parameters` cell", doc="""
    ## What it does
    Reports `nbkit verify -p NAME VALUE` parameters that the notebook's `parameters` cell
    does not assign.

    ## Why is this bad?
    papermill would inject the value anyway and the notebook would silently ignore it: a
    misspelt parameter gives a run that looks parameterised but is not.

    ## Example
    `nbkit verify -p sed 3 analysis.ipynb` when the parameters cell assigns `SEED`.

    ## Use instead
    Pass only names the parameters cell assigns, or add the parameter to that cell.
    """)


verify_rule("NBR024", "slow-notebook", "warning",
            "total run over the budget (600 s), single cells over 60 s",
            options={"notebook-budget": 600, "cell-budget": 60}, doc="""
    ## What it does
    Reports notebooks whose verification run takes longer than the budget (600 s by default)
    and cells that take longer than 60 s.

    ## Why is this bad?
    Slow notebooks are not re-run, and what is not re-run stops reproducing.

    ## Example
    A cell that trains a model for ten minutes on every run.

    ## Use instead
    Cache expensive intermediate results in versioned files, sample the data for the
    notebook, or move heavy work into a pipeline step.

    ## Options
    - `notebook-budget` (seconds, default 600)
    - `cell-budget` (seconds, default 60)
    """)


verify_rule("NBR025", "environment-drift", "warning",
            "the running environment differs from `metadata.nbkit.environment`", doc="""
    ## What it does
    When the notebook has a pinned environment (`nbkit pin`), reports each package whose
    installed version differs from the pinned one, or that is missing. `--strict-env` makes
    drift fail verification.

    ## Why is this bad?
    A different version of a library can change results silently (defaults, numerics,
    bug fixes).

    ## Example
    Pinned `pandas 2.2.3`, installed `pandas 3.1.1`.

    ## Use instead
    Install the pinned versions (`nbkit pin --export requirements`), or re-pin after
    checking the notebook still reproduces.
    """)
