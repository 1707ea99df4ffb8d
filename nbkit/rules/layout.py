"""NBL: the standard notebook layout (title, summary, questions, setup, data, analysis,
findings, next steps, appendix).  Section detection lives in :mod:`nbkit.layout`."""

from __future__ import annotations

import ast
import re

from ..analysis.layout import SECTION_LABELS, SECTIONS, bullets, is_placeholder_only, is_setup_only, words
from ..layout import insert_section, title_from_path
from . import Hit, rule

ORDER_TEXT = "title, summary, questions, setup, data, analysis, findings, next steps, appendix"


def layout_for(nb, ctx):
    """The layout with the heading aliases of ``[tool.nbkit.layout]`` (from the notebook's facts)."""
    aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None)
    return ctx.facts.layout(aliases or None)


def number_option(ctx, name: str, default, kind=int):
    """A numeric rule option; a value of the wrong type falls back to the default."""
    value = (ctx.options or {}).get(name, default)
    if isinstance(value, bool):
        return default
    try:
        return kind(value)
    except (TypeError, ValueError):
        return default


def _where(cell_index: int) -> str:
    return f"cell {cell_index}"


def _quote(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _fix_section(kind: str):
    def fix(data: dict, nb, ctx) -> bool:
        aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None) or None
        return insert_section(data, kind, nb, aliases) is not None

    fix.__name__ = f"insert_{kind}_section"
    fix.__doc__ = f"Insert a '{SECTION_LABELS[kind]}' heading with a one-line hint where it belongs."
    return fix


def _fix_title(data: dict, nb, ctx) -> bool:
    """Insert a title cell, only when the notebook has no H1 at all."""
    if any(h.level == 1 for h in nb.headings):
        return False
    aliases = getattr(getattr(ctx, "config", None), "layout_aliases", None) or None
    return insert_section(data, "title", nb, aliases, title=title_from_path(nb.path)) is not None


@rule("NBL001", "missing-title", "error",
      "first non-raw cell is markdown with an H1; exactly one H1 in the notebook", fix=_fix_title)
def missing_title(nb, ctx):
    """
    ## What it does
    Checks that the first cell (after any raw front-matter cells) is a markdown cell whose
    first heading is a level-1 heading, and that the notebook has no other H1.
    `--fix` inserts a title cell (named after the file) when the notebook has no H1 at all.

    ## Why is this bad?
    The title is what readers, file browsers and rendered reports show first. Without one
    nobody knows what the notebook is about; with several, the structure is ambiguous.

    ## Example
    A notebook that starts with `import pandas as pd`.

    ## Use instead
    Start with a markdown cell: `# Churn drivers in Q3 2026`.
    """
    lay = layout_for(nb, ctx)
    h1 = [h for h in nb.headings if h.level == 1]
    if lay.title is None:
        fixable = not h1  # --fix inserts a title only when there is no H1 at all
        first = nb.cells[lay.front_matter] if lay.front_matter < len(nb.cells) else None
        if first is None:
            yield Hit("the notebook has no cells, so no title", fixable=fixable)
        elif not first.is_markdown:
            yield Hit(f"the first cell is {first.cell_type}, not a markdown title (# Title)", first, fixable=fixable)
        else:
            yield Hit("the first markdown cell does not start with a level-1 heading (# Title)", first, 1,
                      fixable=fixable)
    for h in h1[1 if lay.title is not None else len(h1):]:
        yield Hit(f"second level-1 heading {h.text!r}; a notebook has one title", nb.cells[h.cell_index], h.line,
                  fixable=False)


@rule("NBL002", "missing-executive-summary", "error",
      "a summary heading before the first code cell, with >= 15 words or >= 2 bullets under it",
      fix=_fix_section("summary"), options={"min-words": 15, "min-bullets": 2})
def missing_executive_summary(nb, ctx):
    """
    ## What it does
    Checks for an executive-summary section (a heading such as "Executive summary", "Summary",
    "TL;DR", "Key takeaways", "Abstract") before the first code cell, and that it says
    something: at least 15 words or at least 2 bullet points. `--fix` inserts a
    `## Executive summary` heading with a one-line hint under the title when there is none.

    ## Why is this bad?
    Most readers of an analysis read only the top. Without a summary they have to scroll
    through code to find out what the notebook concluded, or they never find out.

    ## Example
    ```markdown
    # Churn drivers
    ## Summary
    See below.
    ```

    ## Use instead
    ```markdown
    ## Executive summary
    - Churn is 2.3x higher for customers on monthly plans (Figure 2).
    - Moving them to annual plans could cut churn by about 8 points; worth a pilot.
    ```

    ## Options
    - `min-words` (default 15): the fewest words a prose summary may have.
    - `min-bullets` (default 2): the fewest bullet points a list summary may have.
    """
    lay = layout_for(nb, ctx)
    min_words = number_option(ctx, "min-words", 15)
    min_bullets = number_option(ctx, "min-bullets", 2)
    found = lay.of_kind("summary")
    if not found:
        where = f" (before cell {lay.first_code}, the first code cell)" if lay.first_code is not None else ""
        yield Hit(f"no executive summary: add a '## Executive summary' section under the title{where} "
                  f"stating what the notebook found")
        return
    early = [s for s in found if lay.first_code is None or s.cell_index < lay.first_code]
    if not early:
        s = found[0]
        yield Hit(f"the summary {s.text!r} comes after the first code cell (cell {lay.first_code}); "
                  f"move it up under the title so readers see the answer first",
                  nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = early[0]
    body = lay.body(s, stop_at_code=True)
    if is_placeholder_only(body):
        yield Hit(f"the summary {s.text!r} is empty; write at least {min_words} words or {min_bullets} bullets "
                  f"saying what the notebook found", nb.cells[s.cell_index], s.line, fixable=False)
        return
    n_words = sum(len(words(bl.text)) for bl in body)
    n_bullets = len(bullets(body))
    if n_words < min_words and n_bullets < min_bullets:
        what = f"{n_words} word{'s' if n_words != 1 else ''}"
        if n_bullets:
            what += f" and {n_bullets} bullet"
        yield Hit(f"summary has {what}; write at least {min_words} words or {min_bullets} bullets",
                  nb.cells[s.cell_index], s.line, fixable=False)


def _analysis_start(lay) -> int:
    analysis = [s.cell_index for s in lay.of_kind("analysis")]
    if analysis:
        return min(analysis)
    findings = [s.cell_index for s in lay.sections if s.kind == "findings"]
    return min(findings) if findings else lay.n_cells


_QUESTION_END = re.compile(r"\?[\s*_)\]]*$")


def _question_lines(body) -> list:
    return [bl for bl in body if _QUESTION_END.search(bl.text.strip())]


@rule("NBL003", "missing-questions", "error",
      "a questions heading before the analysis, with a list item or a line ending in `?`",
      fix=_fix_section("questions"))
def missing_questions(nb, ctx):
    """
    ## What it does
    Checks for a questions section (a heading such as "Questions", "Objectives", "Goals",
    "Hypotheses", "Problem statement") before the first analysis section, holding at least one
    list item or one line ending in `?`. `--fix` inserts a `## Questions` heading with a hint
    when there is none.

    ## Why is this bad?
    An analysis without stated questions cannot be judged: the reader does not know what it
    set out to answer, and the author drifts into exploring whatever looks interesting.

    ## Example
    A notebook that goes from the title straight to loading data.

    ## Use instead
    ```markdown
    ## Questions
    1. Which customer segments churn most?
    2. Did the March price change affect churn?
    ```
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("questions")
    limit = _analysis_start(lay)
    if not found:
        yield Hit("no questions section: add '## Questions' before the analysis, listing what the "
                  "notebook sets out to answer")
        return
    early = [s for s in found if s.cell_index < limit]
    if not early:
        s = found[0]
        yield Hit(f"the questions {s.text!r} come after the analysis starts (cell {limit}); "
                  f"state them before the analysis", nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = early[0]
    body = lay.body(s, stop_at_code=True)
    if is_placeholder_only(body):
        yield Hit(f"the questions section {s.text!r} is empty; list the questions, one item each",
                  nb.cells[s.cell_index], s.line, fixable=False)
        return
    if not bullets(body) and not _question_lines(body):
        yield Hit(f"the questions section {s.text!r} has no list item and no line ending in '?'; "
                  f"write each question as a list item", nb.cells[s.cell_index], s.line, fixable=False)


@rule("NBL004", "missing-findings", "error",
      "a findings heading after the last analysis code cell, with non-empty text",
      fix=_fix_section("findings"))
def missing_findings(nb, ctx):
    """
    ## What it does
    Checks for a findings section (a heading such as "Findings", "Results", "Conclusions",
    "Insights", "Key takeaways" after the code) after the last analysis code cell (code in the
    next-steps section or the appendix does not count), with some text in it. `--fix` inserts
    a `## Findings` heading with a hint after the analysis when there is none.

    ## Why is this bad?
    The findings are what the notebook was written for. Without them the reader has to
    interpret the raw outputs, and may draw a different conclusion than the author did.

    ## Example
    A notebook that ends with a chart and no text.

    ## Use instead
    ```markdown
    ## Findings
    1. Monthly-plan customers churn 2.3x more than annual ones (Figure 2).
    2. The March price change shows no measurable effect (p = 0.41, Table 3).
    ```
    """
    lay = layout_for(nb, ctx)
    found = lay.of_kind("findings")
    last = lay.last_analysis_code()
    if not found:
        where = f" after the last analysis cell (cell {last})" if last is not None else ""
        yield Hit(f"no findings section: add '## Findings'{where} stating the answer to each question")
        return
    late = [s for s in found if last is None or s.cell_index > last]
    if not late:
        s = found[-1]
        yield Hit(f"the findings {s.text!r} are followed by analysis code (cell {last}); "
                  f"put the findings after the last analysis cell", nb.cells[s.cell_index], s.line, fixable=False)
        return
    s = late[0]
    if all(is_placeholder_only(lay.body(x)) for x in late):
        yield Hit(f"the findings section {s.text!r} is empty; state what the analysis found",
                  nb.cells[s.cell_index], s.line, fixable=False)


@rule("NBL005", "sections-out-of-order", "warning",
      "first occurrences of known sections follow the standard order")
def sections_out_of_order(nb, ctx):
    """
    ## What it does
    Takes the first occurrence of each known section and checks that they come in the
    standard order: title, summary, questions, setup, data, analysis, findings, next steps
    (the appendix, which goes last, is checked by NBL009).

    ## Why is this bad?
    Readers of many notebooks learn where to look. A summary at the bottom or questions
    after the results breaks that, and usually means the story is told backwards.

    ## Example
    `## Findings` before `## Data`.

    ## Use instead
    Move the sections into the standard order.
    """
    lay = layout_for(nb, ctx)
    firsts = sorted((s for k, s in lay.first.items() if k != "appendix"), key=lambda s: (s.cell_index, s.line))
    latest = None  # the section with the highest order seen so far
    for s in firsts:
        order = SECTIONS.index(s.kind)
        if latest is not None and order < SECTIONS.index(latest.kind):
            yield Hit(f"{SECTION_LABELS[s.kind]} section {s.text!r} comes after "
                      f"{SECTION_LABELS[latest.kind]} ({_where(latest.cell_index)}); expected order: {ORDER_TEXT}",
                      nb.cells[s.cell_index], s.line)
        else:
            latest = s


def _questions_end(lay, q) -> int:
    """Where the questions section ends: its own end, or the next recognised section."""
    end = q.end
    for s in lay.sections:
        if s.cell_index > q.cell_index and s.kind not in ("other", "questions"):
            end = min(end, s.cell_index)
            break
    return end


@rule("NBL006", "code-before-questions", "warning",
      "no code cell (other than `parameters`) before the questions section ends")
def code_before_questions(nb, ctx):
    """
    ## What it does
    Reports code cells (other than a `parameters`-tagged cell) that come before the end of
    the questions section, i.e. analysis started before the questions were stated.

    ## Why is this bad?
    The top of a notebook is for readers: title, summary, questions. Code there pushes the
    story down and hints that the questions were written after the fact.

    ## Example
    `import pandas as pd` directly under the title, before `## Questions`.

    ## Use instead
    Put imports and set-up code in a `## Setup` section after the questions.
    """
    lay = layout_for(nb, ctx)
    qs = lay.of_kind("questions")
    if not qs:
        return
    q = qs[0]
    end = _questions_end(lay, q)
    early = [c for c in nb.cells[:end] if c.is_code and not c.is_empty and "parameters" not in c.tags]
    if early:
        more = f" (and {len(early) - 1} more code cell{'s' if len(early) > 2 else ''})" if len(early) > 1 else ""
        if early[0].index < q.cell_index:
            yield Hit(f"code before the questions{more}; state the questions ({_where(q.cell_index)}) first and "
                      f"move the code to a Setup section after them", early[0])
        else:
            yield Hit(f"code inside the questions section{more}; end the questions with a '## Setup' or "
                      f"'## Data' heading before this cell", early[0])


def _question_count(body) -> int:
    items = bullets(body)
    if items:
        return len(items)
    return sum(len(re.findall(r"\?(?=[\s*_)\]]|$)", bl.text)) for bl in body)


def _finding_count(lay, sections) -> int:
    items = []
    subsections = 0
    paragraphs = 0
    for s in sections:
        body = lay.body(s)
        items += bullets(body)
        idx = lay.sections.index(s)
        subsections += sum(1 for x in lay.sections if x.parent == idx)
        prev = None
        for bl in body:
            if prev is None or bl.cell_index != prev.cell_index or bl.line != prev.line + 1:
                paragraphs += 1
            prev = bl
    return len(items) or subsections or paragraphs


@rule("NBL007", "unanswered-questions", "info", "fewer findings items than questions")
def unanswered_questions(nb, ctx):
    """
    ## What it does
    Counts the questions (list items, or sentences ending in `?`) and the findings (list
    items, sub-sections, or paragraphs) and reports when there are fewer findings.

    ## Why is this bad?
    A question without an answer is either forgotten or quietly dropped; readers will ask.

    ## Example
    Three questions, two findings.

    ## Use instead
    Answer every question in the findings, one item per question ("Q3: not answered, the
    data has no region field" is an answer too).
    """
    lay = layout_for(nb, ctx)
    qs = lay.of_kind("questions")
    fs = lay.of_kind("findings")
    if not qs or not fs:
        return
    n_q = _question_count(lay.body(qs[0], stop_at_code=True))
    if n_q < 2:
        return
    n_f = _finding_count(lay, fs)
    if n_f < n_q:
        yield Hit(f"{n_q} questions but {n_f} finding{'s' if n_f != 1 else ''}; answer each question in "
                  f"the findings, one item per question", nb.cells[fs[0].cell_index], fs[0].line)


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


@rule("NBL009", "appendix-not-last", "warning", "nothing but appendix after the appendix heading")
def appendix_not_last(nb, ctx):
    """
    ## What it does
    Checks that nothing but appendix material (including other appendix-like headings such
    as "References") follows the appendix heading.

    ## Why is this bad?
    Readers stop at the appendix. A findings or analysis section after it is easily missed.

    ## Example
    `## Appendix` followed by `## Findings`.

    ## Use instead
    Move the appendix to the end.
    """
    lay = layout_for(nb, ctx)
    apps = lay.of_kind("appendix")
    if not apps:
        return
    a = apps[0]
    for s in lay.sections:
        if (s.cell_index, s.line) <= (a.cell_index, a.line) or s.nested or s.kind == "appendix":
            continue
        if s.level <= a.level or s.kind != "other":
            what = SECTION_LABELS.get(s.kind, "section") if s.kind != "other" else "section"
            yield Hit(f"{what} {s.text!r} comes after the appendix ({_where(a.cell_index)}); "
                      f"the appendix goes last", nb.cells[s.cell_index], s.line)
            return


@rule("NBL010", "heading-level-jump", "warning",
      "no jump of more than one heading level; no second H1")
def heading_level_jump(nb, ctx):
    """
    ## What it does
    Checks the heading outline: a heading may go at most one level deeper than the heading
    before it (H2 then H4 is a jump), and only the title is an H1.

    ## Why is this bad?
    Table-of-contents extensions, rendered reports and screen readers build the outline from
    heading levels; jumps and extra H1s produce a broken outline.

    ## Example
    ```markdown
    ## Data
    #### Cleaning
    ```

    ## Use instead
    ```markdown
    ## Data
    ### Cleaning
    ```
    """
    prev = None
    seen_h1 = False
    for h in nb.headings:
        cell = nb.cells[h.cell_index]
        if h.level == 1:
            if seen_h1:
                yield Hit(f"second H1 {h.text!r}; only the title is an H1, use ## for sections", cell, h.line)
            seen_h1 = True
        elif prev is not None and h.level > prev.level + 1:
            yield Hit(f"heading {h.text!r} jumps from H{prev.level} to H{h.level}; use "
                      f"{'#' * (prev.level + 1)} (H{prev.level + 1})", cell, h.line)
        prev = h


@rule("NBL011", "notebook-too-long", "warning", "more than 50 cells (configurable)",
      options={"max-cells": 50})
def notebook_too_long(nb, ctx):
    """
    ## What it does
    Reports notebooks with more cells than `max-cells`.

    ## Why is this bad?
    Long notebooks are hard to review, slow to re-run and usually mix several analyses.
    Hidden state and out-of-order execution become more likely with every cell.

    ## Example
    A 140-cell notebook that cleans data, trains three models and writes a report.

    ## Use instead
    Split it: one notebook per question or stage, and move reusable functions into a
    Python module that the notebooks import.

    ## Options
    - `max-cells` (default 50): the most cells a notebook may have.
    """
    limit = number_option(ctx, "max-cells", 50)
    n = len(nb.cells)
    if n > limit:
        yield Hit(f"the notebook has {n} cells (limit {limit}); split it into smaller notebooks or move "
                  f"helper code into a module")


def _top_level_imports(tree: ast.Module):
    """Import statements not inside a function (or lambda)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        else:
            stack.extend(ast.iter_child_nodes(node))


def _import_names(node) -> str:
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    return ", ".join(a.name for a in node.names)


@rule("NBL012", "late-import", "warning",
      "`import` outside the first code cell (imports inside functions are fine)")
def late_import(nb, ctx):
    """
    ## What it does
    Reports `import` statements outside the first code cell. Cells at the top that only
    prepare (magics such as `%load_ext`, the `parameters` cell, other import-only cells) do
    not use up the "first code cell"; imports inside functions are fine.

    ## Why is this bad?
    Imports scattered through a notebook hide its dependencies: a reader cannot see up front
    what must be installed, and re-running from the middle fails with a `NameError`.

    ## Example
    ```python
    # cell 12
    import seaborn as sns
    sns.histplot(df.age)
    ```

    ## Use instead
    Move `import seaborn as sns` to the imports cell at the top.
    """
    allowed = True
    imports_cell = None
    for cell in nb.cells:
        if not cell.is_code or cell.is_empty:
            continue
        tree = ctx.facts.tree(cell)
        if tree is None:
            continue
        if allowed:
            if imports_cell is None and any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body):
                imports_cell = cell.index
            if "parameters" in cell.tags or is_setup_only(tree):
                continue
            allowed = False  # the first cell that does real work may still import
            continue
        if "import" not in cell.source:
            continue
        for node in sorted(_top_level_imports(tree), key=lambda n: n.lineno):
            target = f"the imports cell (cell {imports_cell})" if imports_cell is not None else "the first code cell"
            yield Hit(f"late import of {_import_names(node)!r}; move it to {target} so the dependencies "
                      f"are visible up front", cell, node.lineno)


def _is_literal(node) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _assign_targets_ok(targets) -> bool:
    for t in targets:
        if isinstance(t, ast.Name):
            continue
        if isinstance(t, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in t.elts):
            continue
        return False
    return True


@rule("NBL013", "bad-parameters-cell", "warning",
      "at most one `parameters` cell, code, literal assignments only; error when verify is given "
      "`-p` and there is none")
def bad_parameters_cell(nb, ctx):
    """
    ## What it does
    Checks the papermill `parameters` cell: there is at most one cell tagged `parameters`, it
    is a code cell, and it holds only assignments of literal values (numbers, strings, lists,
    dicts, `None`, ...); comments are fine. `nbkit verify -p NAME VALUE` additionally fails
    when there is no parameters cell at all.

    ## Why is this bad?
    papermill injects the overriding values in a new cell right after the first `parameters`
    cell. Anything computed in the parameters cell (`OUT = DATA_DIR / "out"`) is computed from
    the defaults and silently ignores the override; a second tagged cell is ignored.

    ## Example
    ```python
    # parameters
    DATA_DIR = Path("data")
    OUT = DATA_DIR / "out"
    ```

    ## Use instead
    ```python
    # parameters
    DATA_DIR = "data"
    ```
    and, in the next cell, `OUT = Path(DATA_DIR) / "out"`.
    """
    tagged = [c for c in nb.cells if "parameters" in c.tags]
    if not tagged:
        return
    first_code = None
    for c in tagged:
        if not c.is_code:
            yield Hit(f"the 'parameters' tag is on a {c.cell_type} cell; papermill only uses a code cell", c)
            continue
        if first_code is not None:
            yield Hit(f"second 'parameters' cell (the first is cell {first_code.index}); papermill uses only the "
                      f"first, merge them", c)
            continue
        first_code = c
        tree = ctx.facts.tree(c)
        if tree is None:
            continue  # NBH012 reports the syntax error
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                if _assign_targets_ok(stmt.targets) and _is_literal(stmt.value):
                    continue
            elif isinstance(stmt, ast.AnnAssign):
                if isinstance(stmt.target, ast.Name) and (stmt.value is None or _is_literal(stmt.value)):
                    continue
            src = c.lines[stmt.lineno - 1].strip() if stmt.lineno <= len(c.lines) else ""
            yield Hit(f"parameters cell line {stmt.lineno}: {_quote(src)} is not a literal assignment; papermill "
                      f"overrides only literals, so compute derived values in the next cell", c, stmt.lineno)
