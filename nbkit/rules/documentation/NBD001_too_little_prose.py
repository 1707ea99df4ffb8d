"""NBD001 too-little-prose: markdown/code cell ratio below 0.3."""

from __future__ import annotations

from .. import Hit, rule


@rule("NBD001", "too-little-prose", "warning", "markdown/code cell ratio below 0.3",
      options={"min-ratio": 0.3})
def too_little_prose(nb, ctx):
    """
    ## What it does
    Compares the number of non-empty markdown cells with the number of non-empty code cells
    and reports notebooks where the ratio is below `min-ratio`.

    ## Why is this bad?
    A notebook is read by people, not just run. Code without prose leaves the reader to guess
    what each step does, why, and what its output means.

    ## Example
    Twenty code cells with a title and nothing else.

    ## Use instead
    Before each step, a sentence or two on what it does and why; after a result, what it
    shows.

    ## Options
    - `min-ratio` (default 0.3): the lowest acceptable markdown/code cell ratio.
    """
    min_ratio = ctx.option("min-ratio", float)
    n_code = sum(1 for c in nb.cells if c.is_code and not c.is_empty)
    if not n_code:
        return
    n_md = sum(1 for c in nb.cells if c.is_markdown and not c.is_empty)
    ratio = n_md / n_code
    if ratio < min_ratio:
        need = max(1, int(-(-min_ratio * n_code // 1)) - n_md)
        yield Hit(f"{n_md} markdown cell{'s' if n_md != 1 else ''} for {n_code} code cells (ratio {ratio:.2f}, "
                  f"minimum {min_ratio:.2f}); add at least {need} explaining what the steps do and why")
