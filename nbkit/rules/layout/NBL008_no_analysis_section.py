"""NBL008 no-analysis-section: at least one H2 between setup/data and findings containing code."""

from __future__ import annotations

from .. import Hit, rule
from .helpers import layout_for


@rule("NBL008", "no-analysis-section", "warning",
      "at least one H2 between setup/data and findings containing code")
def no_analysis_section(nb, ctx):
    """
    ## What it does
    Checks that the analysis has sections of its own: at least one H2 heading between the
    setup/data sections and the findings that contains code.

    ## Why is this bad?
    An analysis that is one long run of cells under "Data" has no structure a reader can
    follow or skip through; each question deserves its own section.

    ## Example
    `## Data` followed by thirty code cells and then `## Findings`.

    ## Use instead
    One H2 per question or step: `## Churn by plan type`, `## Effect of the price change`.
    """
    lay = layout_for(nb, ctx)
    if lay.present("analysis"):
        return
    if lay.first_code is None:
        yield Hit("no analysis section: the notebook has no code; add an H2 section with the analysis "
                  "between Data and Findings")
        return
    yield Hit("no analysis section: add at least one H2 section with code for the analysis (one per question, "
              "e.g. '## Churn by plan') after Setup/Data and before the Findings")
