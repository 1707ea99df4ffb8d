"""NBR011 use-before-definition (the rule's docstring is its documentation)."""

from __future__ import annotations

from ...analysis.defuse import DefUse
from .. import Hit, rule


def _where(pos: tuple[int, int] | None) -> str:
    return f"cell {pos[0]}, line {pos[1]}" if pos else "?"


def _shows_name_error(cell, name: str) -> bool:
    """Does the cell's saved output show the NameError for ``name`` (a deliberate demonstration)?"""
    for out in cell.outputs:
        if isinstance(out, dict) and out.get("output_type") == "error" and out.get("ename") == "NameError" \
                and f"'{name}'" in str(out.get("evalue", "")):
            return True
    return False


@rule("NBR011", "use-before-definition", "error",
      "top-down: a name is read before any earlier cell binds it (not a builtin or IPython name); "
      "this is what breaks Restart & Run All", options={"known-names": []}, requires=("python",))
def use_before_definition(nb, ctx):
    """
    ## What it does
    Resolves names top-down, cell by cell, the way a fresh kernel runs the notebook
    (Restart & Run All): reports a name that is read before any earlier code binds it
    (assignment, import, `def`/`class`, `for`/`with`/`except ... as`, walrus, `%%capture`
    and `x = !cmd`), or that is read after `del`. Function bodies are resolved when the
    function is called: a function may use names defined later, as long as it is called
    after them. Builtins, IPython's names (`display`, `In`, `Out`, `_`, ...) and those that
    hosted platforms inject (`spark`, `sc`, `dbutils`) are known;
    after a star import, `%run`, `%store -r` or `exec(...)` the rule stays quiet, since
    names may then come from anywhere. A cell magic nbkit does not know (`%%cython`, an
    extension's) is taken to bind every name its body mentions. A cell whose saved output
    shows the `NameError` for the name demonstrates it on purpose and is not reported, and
    so are names read under a test that looks them up (`'x' in globals()`, `hasattr`), and
    Python 2's builtins under a test of the Python version
    (`if sys.version_info < (3, 0): s = unicode(s)`).

    ## Why is this bad?
    The notebook only works in the author's kernel, where the name still exists from a
    cell that was run earlier, edited, moved or deleted. A fresh run fails with
    `NameError`.

    ## Example
    ```python
    # cell 1
    summary = df_clean.describe()
    # cell 2
    df_clean = df.dropna()
    ```

    ## Use instead
    Move the definition above its first use (or re-create the deleted cell), then check
    with Restart & Run All or `nbkit verify`.

    ## Options
    - `known-names` (default `[]`): names your kernel defines before the first cell (an
      IPython startup file, a platform's injected objects)
    """
    du = DefUse(ctx.facts.code, frozenset(ctx.option("known-names", list)), cache=ctx.facts.parse_cache)
    for kind, name, cell, line, extra in du.run():
        if _shows_name_error(cell, name):
            continue  # the cell demonstrates the NameError on purpose, and its output says so
        if kind == "deleted":
            yield Hit(f"{name!r} is read after `del {name}` ({_where(extra)}); a fresh run fails here with "
                      "NameError", cell, line)
            continue
        if kind == "body":
            chain = extra
            via = f"{chain[0]}()" + (f" (through {' -> '.join(c + '()' for c in chain[1:])})" if len(chain) > 1
                                     else "")
            later = du.first_def.get(name)
            when = f"is only defined later ({_where(later)})" if later else "is never defined in the notebook"
            yield Hit(f"{via} is used here, but its body reads {name!r}, which {when}; a fresh run fails with "
                      "NameError", cell, line)
            continue
        later = du.first_def.get(name)
        if later and later >= (cell.index, line or 0):
            yield Hit(f"{name!r} is used before it is defined ({_where(later)}); Restart & Run All fails here "
                      "with NameError: move the definition up", cell, line)
        elif du.quiet_at is not None and du.quiet_at > (cell.index, line or 0):
            yield Hit(f"{name!r} is read before any cell defines it; a fresh run fails here with NameError",
                      cell, line)
        else:
            yield Hit(f"{name!r} is used but never defined in the notebook (a deleted cell, or a name from "
                      "another session?); a fresh run fails here with NameError", cell, line)
