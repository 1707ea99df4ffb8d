"""NBH: notebook hygiene (execution order, errors, clutter, debug leftovers, file names).

Every rule here reads only the notebook model (and, for NBH014, the list of notebooks in the
run); none of them imports IPython or touches the file system.  Two rules have fixers:
NBH006 deletes empty cells and NBH015 strips trailing whitespace in markdown.
"""

from __future__ import annotations

import ast
import json
import os
import re
from functools import lru_cache

from ..analysis.semantic import ipython_method
from ..ipysyntax import PYTHON_BODY_CELL_MAGICS
from ..suppression import Suppressions
from . import Hit, rule

# -- small helpers -----------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _text(value) -> str:
    """An nbformat multiline string (a string or a list of strings) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _number(ctx, key: str, default: float) -> float:
    value = ctx.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"option {key!r} must be a number, not {value!r}") from None
    return value


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _foreign_cell_magic(cell) -> bool:
    """A cell run by a non-Python cell magic (``%%bash``, ``%%sql``, ``%%html``...)."""
    for line in cell.lines:
        s = line.strip()
        if s:
            if not s.startswith("%%"):
                return False
            name = s[2:].split(None, 1)[0] if len(s) > 2 else ""
            return name not in PYTHON_BODY_CELL_MAGICS
    return False


def _executed(nb):
    return [c for c in nb.cells if c.is_code and c.execution_count is not None]


def _suppressed_filter(code: str):
    """A predicate telling whether a hit is suppressed in the cell (tag or comment), for fixers
    so that they never touch what the user exempted."""
    return Suppressions().for_code(code)


def _set_source(raw_cell: dict, text: str) -> None:
    """Write ``text`` into a cell's JSON ``source`` keeping its form (string or list of lines)."""
    if isinstance(raw_cell.get("source"), list):
        raw_cell["source"] = re.findall(r"[^\n]*\n|[^\n]+$", text)
    else:
        raw_cell["source"] = text


# -- execution order ---------------------------------------------------------------------------

@rule("NBH001", "out-of-order-execution", "error",
      "execution counts of code cells decrease somewhere in document order")
def out_of_order_execution(nb, ctx):
    """
    ## What it does
    Reports each code cell whose execution count is lower than that of the executed code
    cell above it: the cells were not run top to bottom.

    ## Why is this bad?
    The stored outputs were produced by a different order than the one a reader (or
    `Restart & Run All`) follows, so they may depend on state the notebook never creates in
    that order. This is the most common reason a notebook does not reproduce.

    ## Example
    Cells with counts `[1]`, `[2]`, `[7]`, `[3]`: the third cell was re-run after the fourth.

    ## Use instead
    Restart the kernel and run all cells (`Kernel > Restart Kernel and Run All Cells`), then
    save.
    """
    prev = None
    for cell in _executed(nb):
        if prev is not None and cell.execution_count < prev.execution_count:
            yield Hit(f"execution count drops from {prev.execution_count} (cell {prev.index}) to "
                      f"{cell.execution_count}: cells were run out of order; restart the kernel and run all",
                      cell)
        prev = cell


@rule("NBH002", "execution-count-gap", "warning",
      "executed counts are not 1,2,3,... (re-run or deleted cells)")
def execution_count_gap(nb, ctx):
    """
    ## What it does
    Checks that the execution counts of the executed code cells, in document order, start
    at 1 and go up by one. It reports once per notebook, at the first gap, and says how many
    gaps there are. Decreasing counts are NBH001's business.

    ## Why is this bad?
    A gap means cells were re-run, or run and then deleted, in the session that produced the
    outputs: the notebook as saved is not the program that made them.

    ## Example
    Counts `[1]`, `[2]`, `[5]`, `[6]`: two executions happened that are not in the notebook.

    ## Use instead
    Restart the kernel and run all cells before saving.
    """
    gaps = []
    prev = None
    for cell in _executed(nb):
        n = cell.execution_count
        if prev is None:
            if n != 1:
                gaps.append((cell, None, n))
        elif n > prev + 1:
            gaps.append((cell, prev, n))
        prev = n
    if not gaps:
        return
    cell, before, after = gaps[0]
    more = f" ({_plural(len(gaps) - 1, 'more gap')})" if len(gaps) > 1 else ""
    if before is None:
        what = f"execution counts start at {after}, not 1{more}: the kernel ran cells that are not in the notebook"
    else:
        what = f"execution count jumps from {before} to {after}{more}: cells were re-run or deleted"
    yield Hit(f"{what}; restart the kernel and run all", cell)


@rule("NBH003", "repeated-execution-count", "error",
      "the same count appears twice (mixed sessions)")
def repeated_execution_count(nb, ctx):
    """
    ## What it does
    Reports a code cell whose execution count already appears on another code cell.

    ## Why is this bad?
    One kernel session never gives two cells the same count, so the outputs come from
    different sessions (a restart in the middle, or cells pasted from another notebook).
    Nobody can tell which state produced which output.

    ## Example
    Two cells both marked `[3]`.

    ## Use instead
    Restart the kernel and run all cells before saving.
    """
    seen: dict[int, object] = {}
    for cell in _executed(nb):
        first = seen.get(cell.execution_count)
        if first is not None:
            yield Hit(f"execution count {cell.execution_count} also appears on cell {first.index}: the outputs "
                      "come from different kernel sessions; restart the kernel and run all", cell)
        else:
            seen[cell.execution_count] = cell


_SKIP_TAGS = frozenset({"skip-execution", "nbkit:skip", "nbval-skip"})


@rule("NBH004", "unexecuted-cell", "error",
      "non-empty code cell never executed while others were (skipped when the repo strips outputs)")
def unexecuted_cell(nb, ctx):
    """
    ## What it does
    Reports non-empty code cells that have no execution count (and no outputs) in a notebook
    where other cells were executed. Cells tagged `skip-execution`, `nbkit:skip` or
    `nbval-skip` (or marked `# NBVAL_SKIP`) are exempt. The rule stays quiet when the
    repository strips outputs (`strip-outputs = true` in `[tool.nbkit.lint]`) and when no
    cell was executed at all.

    ## Why is this bad?
    The saved outputs were produced without this cell, so either the cell is dead code or the
    outputs below it do not show what the notebook really does.

    ## Example
    A notebook run top to bottom, after which a new cell was added and never run.

    ## Use instead
    Restart the kernel and run all cells before saving, or delete the cell if it is not needed.
    """
    project = getattr(ctx, "project", None)
    if project is not None and getattr(project, "strip_outputs", False):
        return
    executed = _executed(nb)
    if not executed:
        return
    for cell in nb.cells:
        if (cell.is_code and cell.execution_count is None and not cell.outputs and not cell.is_empty
                and not (cell.tags & _SKIP_TAGS) and "NBVAL_SKIP" not in cell.source):
            yield Hit(f"this code cell was never run, but {_plural(len(executed), 'other cell')} "
                      f"{'was' if len(executed) == 1 else 'were'}: the outputs do not reflect it; "
                      "restart the kernel and run all", cell)


# -- errors ------------------------------------------------------------------------------------

_RAISES_TAGS = frozenset({"raises-exception", "nbval-raises-exception"})
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_PAPERMILL_MARKER = re.compile(r"An Exception was encountered at\s*'?(?:<a[^>]*>)?\s*In \[(\w*)\]")
_PAPERMILL_ANCHOR = "Execution using papermill encountered an exception"
_TRACEBACK = "Traceback (most recent call last)"
_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)\b.*)$")


def _traceback_summary(text: str) -> str:
    """The ``ValueError: ...`` line of a traceback printed on stderr (or a stand-in)."""
    after = _ANSI.sub("", text).split(_TRACEBACK, 1)[-1]
    for line in reversed(after.splitlines()):
        m = _EXC_LINE.match(line)
        if m:
            return _short(m.group(1))
    return "a Python exception"


def _papermill_marker(cell) -> bool:
    if not cell.is_markdown:
        return False
    if PAPERMILL_ERROR_TAG in cell.tags:
        return True
    return "An Exception was encountered at" in cell.source and "<span" in cell.source


@rule("NBH005", "error-output", "error",
      "an `error` output, or a traceback on stderr, in a cell not tagged `raises-exception`; "
      "papermill error-marker cells")
def error_output(nb, ctx):
    """
    ## What it does
    Reports code cells with an `error` output (an exception was raised), or whose stderr
    shows a Python traceback, and the marker cells papermill inserts into a notebook whose
    run failed. Cells tagged `raises-exception` (nbclient/nbmake) or `nbval-raises-exception`,
    or marked `# NBVAL_RAISES_EXCEPTION`, are exempt: there the error is intended.
    `SystemExit` with status 0 is not an error.

    ## Why is this bad?
    A saved exception means the notebook did not run to completion, so every output after it
    is stale or missing, and readers cannot trust the results.

    ## Example
    A cell ending in `ZeroDivisionError: division by zero`, or a papermill output notebook
    starting with "An Exception was encountered at In [7]".

    ## Use instead
    Fix the error and re-run the notebook; when the exception is the point (a teaching
    notebook), tag the cell `raises-exception`.
    """
    marker_reported = False
    for cell in nb.cells:
        if _papermill_marker(cell):
            if not marker_reported:
                marker_reported = True
                m = _PAPERMILL_MARKER.search(cell.source)
                at = f" at In [{m.group(1)}]" if m and m.group(1) else ""
                what = ("papermill marked this notebook as failed" + at if _PAPERMILL_ANCHOR not in cell.source
                        else "papermill marked the cell below as where execution stopped")
                yield Hit(f"{what}: the run that produced it raised an exception; fix it and re-run "
                          "(the marker cells are papermill's, delete them)", cell)
            continue
        if not cell.is_code:
            continue
        if cell.tags & _RAISES_TAGS or "NBVAL_RAISES_EXCEPTION" in cell.source:
            continue
        reported = False
        for out in cell.outputs:
            kind = out.get("output_type")
            if kind == "error":
                ename = str(out.get("ename") or "an exception")
                evalue = _short(str(out.get("evalue") or ""))
                if ename == "SystemExit" and evalue in ("", "0", "None"):
                    continue
                reported = True
                yield Hit(f"the cell raised {ename}" + (f": {evalue}" if evalue else "")
                          + "; fix it, or tag the cell raises-exception if the error is intended", cell)
            elif kind == "stream" and out.get("name") == "stderr":
                text = _text(out.get("text"))
                if _TRACEBACK in text:
                    reported = True
                    yield Hit(f"stderr shows a traceback ({_traceback_summary(text)}); fix the error, or tag "
                              "the cell raises-exception if it is intended", cell)
        pm = cell.metadata.get("papermill")
        if not reported and isinstance(pm, dict) and pm.get("exception") is True:
            yield Hit("papermill recorded an exception in this cell; fix it and re-run", cell)


# -- clutter -----------------------------------------------------------------------------------

def _empty_cells(nb):
    """(cell, fixable) for every blank code or markdown cell that is not a `parameters` cell."""
    for cell in nb.cells:
        if cell.cell_type in ("code", "markdown") and cell.is_empty and "parameters" not in cell.tags:
            yield cell, not cell.outputs


def _fix_empty_cells(data: dict, nb, ctx) -> bool:
    suppressed = _suppressed_filter("NBH006")
    doomed = [cell.index for cell, fixable in _empty_cells(nb) if fixable and not suppressed(cell)]
    cells = data.get("cells")
    if not doomed or not isinstance(cells, list):
        return False
    for i in reversed(doomed):
        del cells[i]
    return True


@rule("NBH006", "empty-cell", "warning", "empty cell in the middle of the notebook",
      fix=_fix_empty_cells)
def empty_cell(nb, ctx):
    """
    ## What it does
    Reports code and markdown cells whose source is blank, wherever they are (including the
    empty cell Jupyter leaves at the end). A blank cell tagged `parameters` is exempt, since
    papermill needs it. `--fix` deletes the empty cells (but not an empty code cell that
    still holds outputs: those belong to code that was deleted, and you should decide).

    ## Why is this bad?
    Empty cells are clutter: they add gaps to the rendered report and to diffs, and hide
    nothing but an extra `Shift+Enter`.

    ## Example
    An empty code cell between the data loading and the analysis.

    ## Use instead
    Delete it (`nbkit lint --fix` does).
    """
    for cell, fixable in _empty_cells(nb):
        if not fixable:
            yield Hit("empty code cell that still shows outputs of deleted code: delete the cell or "
                      "restore its code", cell)
        else:
            yield Hit(f"empty {cell.cell_type} cell: delete it (`nbkit lint --fix` does)", cell)


@rule("NBH007", "long-cell", "warning",
      "code cell with more than 30 non-blank lines (configurable)", options={"max-lines": 30})
def long_cell(nb, ctx):
    """
    ## What it does
    Reports code cells with more non-blank lines than `max-lines` (30).

    ## Why is this bad?
    A long cell does many things at once: its outputs cannot be related to its steps, a
    failure in the middle leaves partial state, and the notebook no longer reads as a
    story of small steps with their results.

    ## Example
    A 120-line cell that loads, cleans, models and plots.

    ## Use instead
    Split it into cells of one step each, with a sentence of markdown between them, and move
    reusable logic into functions in a module that the notebook imports.

    ## Options
    - `max-lines` (default 30): the most non-blank lines a code cell may have.
    """
    limit = int(_number(ctx, "max-lines", 30))
    for cell in nb.cells:
        if not cell.is_code:
            continue
        lines = cell.lines
        if len(lines) <= limit:
            continue
        n = sum(1 for ln in lines if ln.strip())
        if n > limit:
            yield Hit(f"code cell has {n} non-blank lines (limit {limit}): split it into smaller steps, or move "
                      "logic into functions in a module", cell)


def _fmt_size(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} kB"
    return f"{int(n)} bytes"


_TEXT_ADVICE = "show a summary (df.head(), a sample) instead of the whole object"
_IMAGE_ADVICE = "lower the figure's size or dpi, or save it to a file and link it"


def _mime_sizes(out: dict):
    """(mime, bytes) for each representation of an output (streams count as text/plain)."""
    if out.get("output_type") == "stream":
        text = _text(out.get("text"))
        yield "text/plain", len(text)
        return
    data = out.get("data")
    if not isinstance(data, dict):
        return
    for mime, value in data.items():
        if isinstance(value, (str, list)):
            text = _text(value)
            if mime.startswith("image/") and mime != "image/svg+xml":
                b64 = text.strip().rstrip("=")
                yield mime, (len(b64) - b64.count("\n")) * 3 // 4  # decoded size of base64
            else:
                yield mime, len(text)
        else:
            yield mime, len(json.dumps(value, separators=(",", ":")))


@rule("NBH008", "huge-output", "warning",
      "one output > 100 kB (text/html/json), an image > 1 MB, or a notebook file > 10 MB",
      options={"max-output-kb": 100, "max-image-kb": 1000, "max-notebook-mb": 10})
def huge_output(nb, ctx):
    """
    ## What it does
    Reports outputs with a text representation (text, HTML, JSON, widget or plot data,
    stream text) larger than `max-output-kb`, images larger than `max-image-kb` (decoded),
    and a notebook file larger than `max-notebook-mb`.

    ## Why is this bad?
    Huge outputs make notebooks slow to open, review and diff, bloat the repository for
    ever, and usually come from printing a whole data frame or a high-resolution figure by
    accident.

    ## Example
    `df` as the last line of a cell, rendering 50 000 rows of HTML.

    ## Use instead
    Show `df.head()` or a summary; save large figures and tables to files; lower a figure's
    dpi.

    ## Options
    - `max-output-kb` (default 100): largest text, HTML or JSON output, in kB.
    - `max-image-kb` (default 1000): largest image output, in kB.
    - `max-notebook-mb` (default 10): largest notebook file, in MB.
    """
    text_limit = _number(ctx, "max-output-kb", 100) * 1000
    image_limit = _number(ctx, "max-image-kb", 1000) * 1000
    nb_limit = _number(ctx, "max-notebook-mb", 10) * 1_000_000
    if nb.size and nb.size > nb_limit:
        yield Hit(f"the notebook file is {_fmt_size(nb.size)} (limit {_fmt_size(nb_limit)}): clear large "
                  "outputs, and save data and figures to files instead of embedding them")
    for cell in nb.cells:
        if not cell.outputs:
            continue
        for i, out in enumerate(cell.outputs, start=1):
            worst = None  # (excess ratio, mime, size, limit, is_image)
            for mime, size in _mime_sizes(out):
                is_image = mime.startswith("image/")
                limit = image_limit if is_image else text_limit
                if size > limit and (worst is None or size / max(limit, 1) > worst[0]):
                    worst = (size / max(limit, 1), mime, size, limit, is_image)
            if worst is None:
                continue
            _, mime, size, limit, is_image = worst
            where = f"output {i} of {len(cell.outputs)}" if len(cell.outputs) > 1 else "the output"
            yield Hit(f"{where} is {_fmt_size(size)} of {mime} (limit {_fmt_size(limit)}): "
                      f"{_IMAGE_ADVICE if is_image else _TEXT_ADVICE}", cell)


@rule("NBH009", "long-stream", "warning", "a stream output of more than 200 lines",
      options={"max-lines": 200})
def long_stream(nb, ctx):
    """
    ## What it does
    Reports code cells whose printed output (stdout or stderr, all stream outputs of the cell
    together) has more than `max-lines` lines.

    ## Why is this bad?
    Pages of log lines (training epochs, warnings, a printed loop) bury the results, make
    the notebook hard to read and review, and change on every run.

    ## Example
    `model.fit(X, y, verbose=1)` printing one line per batch.

    ## Use instead
    Print a summary, lower the verbosity (`verbose=0`, `logging.WARNING`), or write the log
    to a file.

    ## Options
    - `max-lines` (default 200): the most lines of stdout or stderr a cell may show.
    """
    limit = int(_number(ctx, "max-lines", 200))
    for cell in nb.cells:
        if not cell.outputs:
            continue
        counts: dict[str, int] = {}
        for out in cell.outputs:
            if out.get("output_type") != "stream":
                continue
            text = _text(out.get("text"))
            n = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
            name = str(out.get("name") or "stdout")
            counts[name] = counts.get(name, 0) + n
        for name, n in counts.items():
            if n > limit:
                yield Hit(f"{name} output has {n:,} lines (limit {limit}): print a summary, or lower the "
                          "verbosity (verbose=0, logging level) or write the log to a file", cell)


# -- debug leftovers ---------------------------------------------------------------------------

_DEBUG_WORDS = ("breakpoint", "set_trace", "debug", "pdb", "embed", "post_mortem")
_DEBUGGER_MODULES = frozenset({"pdb", "ipdb", "pudb"})


def _debug_call(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Name):
        if f.id == "breakpoint":
            return "breakpoint()"
        if f.id == "set_trace":
            return "set_trace()"
        return None
    if not isinstance(f, ast.Attribute):
        return None
    owner = f.value.id if isinstance(f.value, ast.Name) else None
    if f.attr == "set_trace":
        return f"{owner}.set_trace()" if owner else ".set_trace()"
    if owner in _DEBUGGER_MODULES and f.attr in ("post_mortem", "pm", "run", "runcall"):
        return f"{owner}.{f.attr}()"
    if owner == "IPython" and f.attr == "embed":
        return "IPython.embed()"
    if (ipython_method(node) in ("run_line_magic", "run_cell_magic") and node.args
            and isinstance(node.args[0], ast.Constant)):
        name = node.args[0].value
        args = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else ""
        args = args.strip() if isinstance(args, str) else ""
        if name == "debug":
            return "%%debug" if f.attr == "run_cell_magic" else "%debug"
        if name == "pdb" and f.attr == "run_line_magic" and args.lower() not in ("off", "0", "false"):
            return f"%pdb {args}".strip()
    return None


@rule("NBH010", "debug-leftover", "warning", "`breakpoint()`, `pdb.set_trace()`, `%debug`, `%pdb`")
def debug_leftover(nb, ctx):
    """
    ## What it does
    Reports debugger calls left in code cells: `breakpoint()`, `pdb.set_trace()`,
    `ipdb.set_trace()` (and `set_trace()` imported from a debugger), `pdb.post_mortem()`,
    `IPython.embed()`, and the `%debug`, `%%debug` and `%pdb` magics (`%pdb off` is fine).

    ## Why is this bad?
    A debugger call stops `Run All`, papermill and CI runs waiting for input that never
    comes; `%pdb` changes how every later error behaves.

    ## Example
    `import pdb; pdb.set_trace()` in the middle of a cleaning step.

    ## Use instead
    Remove the call once the bug is found; to inspect a failure, run `%debug` interactively
    and do not save it in the notebook.
    """
    if not ctx.facts.is_python:
        return
    for cell in nb.cells:
        if not cell.is_code or not any(w in cell.source for w in _DEBUG_WORDS):
            continue
        tree = ctx.facts.tree(cell)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                what = _debug_call(node)
                if what:
                    yield Hit(f"`{what}` left in the code: it stops Run All, papermill and CI runs waiting "
                              "for input; remove it", cell, getattr(node, "lineno", None))


# -- commented-out code ------------------------------------------------------------------------

_EXEMPT_COMMENT = re.compile(
    r"^(?:nbkit\s*:|noqa\b|type\s*:|pylint\s*:|mypy\s*:|pyright\s*:|ruff\s*:|fmt\s*:|isort\s*:|"
    r"pragma\b|flake8\b|nbval_|%%|in\s*\[[\s\d]*\]\s*:|out\s*\[|-\*-|vim?\s*:|[+-]$)",
    re.IGNORECASE,
)
_CODING = re.compile(r"coding[:=]\s*[-\w.]+")
_MAGIC_COMMENT = re.compile(r"^(?:%[a-zA-Z_]\w*|!(?:pip|conda|mamba|uv|python|ls|cd|cat|wget|curl|git|mkdir|rm|cp|mv)\b)")
_URLISH = re.compile(r"\b(?:https?:|www\.|ftp:)|@\w+\.\w+")
_CODE_NODES = (ast.Call, ast.Attribute, ast.Subscript, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
               ast.GeneratorExp, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr, ast.JoinedStr,
               ast.Starred)
_CODE_STMTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AugAssign, ast.For, ast.AsyncFor, ast.While,
               ast.If, ast.With, ast.AsyncWith, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
               ast.Try, ast.Delete, ast.Assert)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_PROSE = re.compile(r"\w\s+[A-Za-z_]")
_KEYWORDS = frozenset({"import", "from", "for", "while", "if", "with", "def", "class", "return", "raise", "del",
                       "assert", "try", "async", "await", "lambda", "yield"})


@lru_cache(maxsize=4096)
def _looks_like_code(body: str) -> bool:
    """Does a comment's text read as Python code (and not as prose that happens to parse)?"""
    if not body or _URLISH.search(body):
        return False
    if _MAGIC_COMMENT.match(body):
        return True
    if body.startswith("@"):
        return re.fullmatch(r"@[A-Za-z_][\w.]*(?:\(.*\))?", body) is not None
    if "=" not in body and _PROSE.search(_QUOTED.sub("''", body)) and body.split(None, 1)[0] not in _KEYWORDS:
        return False  # words separated by spaces: a sentence, not code (and no need to parse)
    candidate = body + " pass" if body.endswith(":") else body
    try:
        tree = ast.parse(candidate)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for stmt in tree.body:
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:  # `x: int = 3` (but `Note: see above` is prose)
                return True
        elif isinstance(stmt, _CODE_STMTS):
            return True
        elif isinstance(stmt, (ast.Return, ast.Raise)):
            if (stmt.value if isinstance(stmt, ast.Return) else stmt.exc) is not None:
                return True
        elif isinstance(stmt, ast.Expr):
            for node in ast.walk(stmt.value):
                if isinstance(node, ast.Call):
                    # `shape (n, m)` is prose; code writes `f(x)` with no space before the paren
                    end = node.func.end_col_offset
                    if node.func.end_lineno == 1 and end is not None and candidate[end:end + 1] == "(":
                        return True
                elif isinstance(node, _CODE_NODES):
                    return True
    return False


_STR_OR_COMMENT = re.compile(r'''[rRbBuUfF]{0,2}(?:"""|\'\'\'|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)|#''')


def _comment_line_numbers(cell) -> set[int]:
    """1-based numbers of the cell's lines that are whole-line comments (not lines inside a
    triple-quoted string that happen to start with ``#``)."""
    lines = cell.lines
    src = cell.source
    if '"""' not in src and "'''" not in src:
        return {i for i, ln in enumerate(lines, start=1) if ln.lstrip().startswith("#")}
    out: set[int] = set()
    closing: str | None = None  # the delimiter of the triple-quoted string we are in
    for i, line in enumerate(lines, start=1):
        pos = 0
        if closing is not None:
            end = _find_close(line, closing, 0)
            if end < 0:
                continue
            closing, pos = None, end
        elif line.lstrip().startswith("#"):
            out.add(i)
            continue
        while True:
            m = _STR_OR_COMMENT.search(line, pos)
            if m is None or m.group(0) == "#":
                break
            tok = m.group(0).lstrip("rRbBuUfF")
            if tok in ('"""', "'''"):
                end = _find_close(line, tok, m.end())
                if end < 0:
                    closing = tok
                    break
                pos = end
            else:
                pos = m.end()
    return out


def _find_close(line: str, delim: str, start: int) -> int:
    """Index just after the unescaped ``delim`` closing a triple-quoted string, or -1."""
    i = line.find(delim, start)
    while i >= 0:
        backslashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if backslashes % 2 == 0:
            return i + 3
        i = line.find(delim, i + 1)
    return -1


def _exempt_comment(lineno: int, stripped: str, body: str) -> bool:
    if lineno == 1 and stripped.startswith("#!"):
        return True
    if lineno <= 2 and _CODING.search(stripped):
        return True
    return bool(_EXEMPT_COMMENT.match(body))


@rule("NBH011", "commented-out-code", "info",
      "4+ consecutive comment lines, or comment lines that parse as code", options={"min-block-lines": 4})
def commented_out_code(nb, ctx):
    """
    ## What it does
    Reports, in code cells, blocks of `min-block-lines` (4) or more consecutive whole-line
    comments, and comment lines whose text is Python code (`# df = df.dropna()`,
    `# plt.show()`, `# %matplotlib inline`). Comments that merely parse (`# not used`,
    `# train/test`, `# Note: ...`) count as prose, and so do suppression comments
    (`# nbkit: ignore[...]`, `# noqa`, `# type: ...`), nbval markers, shebang and encoding
    lines, and jupytext `# %%` markers. Cells run by a non-Python cell magic (`%%bash`) are
    skipped.

    ## Why is this bad?
    Disabled code is noise that readers must decode ("is this needed? was it run?"); version
    control already keeps old code. Long explanations belong in markdown cells, where they
    render as text.

    ## Example
    ```python
    # df = df[df.age > 18]
    # df.to_csv("filtered.csv")
    model.fit(X, y)
    ```

    ## Use instead
    Delete disabled code, or make it a real option (a parameter and an `if`); move long
    explanations into a markdown cell.

    ## Options
    - `min-block-lines` (default 4): how many consecutive comment lines make a block.
    """
    if not ctx.facts.is_python:
        return
    block = max(2, int(_number(ctx, "min-block-lines", 4)))
    for cell in nb.cells:
        if not cell.is_code or "#" not in cell.source or _foreign_cell_magic(cell):
            continue
        comment_lines = _comment_line_numbers(cell)
        if not comment_lines:
            continue
        lines = cell.lines
        runs: list[list[tuple[int, str]]] = []
        current: list[tuple[int, str]] = []
        for i in range(1, len(lines) + 1):
            if i in comment_lines:
                stripped = lines[i - 1].strip()
                body = stripped.lstrip("#").strip()
                if not _exempt_comment(i, stripped, body):
                    current.append((i, body))
                    continue
            if current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        for run in runs:
            code = [(i, body) for i, body in run if _looks_like_code(body)]
            if len(run) >= block:
                if code:
                    msg = (f"{len(run)} consecutive comment lines, {len(code)} of them code "
                           f"(`{_short(code[0][1], 40)}`): delete disabled code (version control keeps it) "
                           "and move explanations to a markdown cell")
                else:
                    msg = (f"block of {len(run)} comment lines: move the explanation to a markdown cell, "
                           "or delete it if it is disabled code")
                yield Hit(msg, cell, run[0][0])
                continue
            group: list[tuple[int, str]] = []
            for item in code + [(-1, "")]:
                if group and item[0] != group[-1][0] + 1:
                    first = group[0]
                    n = f"{len(group)} commented-out lines of code" if len(group) > 1 else "commented-out code"
                    it = "them" if len(group) > 1 else "it"
                    yield Hit(f"{n} (`{_short(first[1], 50)}`): delete {it} (version control keeps {it}) or make "
                              f"{it} a real option", cell, first[0])
                    group = []
                group.append(item)


# -- syntax ------------------------------------------------------------------------------------

@rule("NBH012", "syntax-error", "error", "the cell does not parse")
def syntax_error(nb, ctx):
    """
    ## What it does
    Reports code cells that are not valid Python once IPython syntax (`%magic`, `!cmd`,
    `%%cell` magics, `obj?`) has been turned into the calls IPython would make. Notebooks
    whose kernel is not Python (R, Julia, ...) are skipped. The other code rules skip cells
    that do not parse.

    ## Why is this bad?
    The cell cannot run, so the notebook cannot be re-executed, and nothing nbkit says about
    the cell's code can be checked.

    ## Example
    `print "done"` (Python 2), or a cell with a missing closing bracket.

    ## Use instead
    Fix the syntax: `print("done")`.
    """
    if not ctx.facts.is_python:
        return
    for cell in nb.cells:
        if not cell.is_code:
            continue
        err = ctx.facts.syntax_error(cell)
        if err is None:
            continue
        lines = cell.lines
        lineno = err.lineno if isinstance(err.lineno, int) and err.lineno > 0 else 1
        lineno = min(lineno, max(len(lines), 1))
        text = _short(lines[lineno - 1], 50) if lines else ""
        msg = (err.msg or "invalid syntax").rstrip(".")
        yield Hit(f"syntax error on line {lineno}" + (f" (`{text}`)" if text else "") + f": {msg}", cell, lineno)


# -- files -------------------------------------------------------------------------------------

_GOOD_CHARS = re.compile(r"[A-Za-z0-9_.-]")
_UNTITLED = re.compile(r"^untitled", re.IGNORECASE)
_COPY = re.compile(r"-Copy\d*(?=$|[-_. ])", re.IGNORECASE)


def _describe_char(ch: str) -> str:
    names = {" ": "space", "\t": "tab", "(": "(", ")": ")"}
    return names.get(ch, ch if ch.isprintable() else f"U+{ord(ch):04X}")


@rule("NBH013", "bad-filename", "warning",
      "`Untitled*.ipynb`, `-Copy`, characters outside `[A-Za-z0-9_.-]`, stem shorter than 10 or longer than 100",
      options={"min-stem-length": 10, "max-stem-length": 100})
def bad_filename(nb, ctx):
    """
    ## What it does
    Checks the notebook's file name: not Jupyter's default `Untitled*.ipynb`, not a Jupyter
    copy (`-Copy1`), only the characters `A-Z a-z 0-9 _ . -`, and a stem (the name without
    `.ipynb`) between `min-stem-length` (10) and `max-stem-length` (100) characters.
    All problems with the name are reported in one finding.

    ## Why is this bad?
    The file name is the first documentation a notebook has. `Untitled3` and `-Copy2` say
    nothing and suggest abandoned work; spaces, brackets and accented letters break shell
    commands, URLs and some CI tools.

    ## Example
    `Untitled7.ipynb`, `model (final)-Copy1.ipynb`, `eda.ipynb`.

    ## Use instead
    A descriptive, portable name: `churn_drivers_q3_2026.ipynb`.

    ## Options
    - `min-stem-length` (default 10): shortest allowed name without `.ipynb`.
    - `max-stem-length` (default 100): longest allowed name without `.ipynb`.
    """
    name = os.path.basename(nb.path or "")
    if not name or name.startswith("<"):
        return  # content without a file name (unsaved, piped)
    stem = name[:-6] if name.lower().endswith(".ipynb") else os.path.splitext(name)[0]
    lo = int(_number(ctx, "min-stem-length", 10))
    hi = int(_number(ctx, "max-stem-length", 100))
    problems = []
    if _UNTITLED.match(stem):
        problems.append("Jupyter's default name")
    m = _COPY.search(stem)
    if m:
        problems.append(f"a Jupyter copy ({m.group(0)})")
    bad = sorted({ch for ch in name if not _GOOD_CHARS.match(ch)})
    if bad:
        problems.append("characters outside A-Z a-z 0-9 _ . - (" + ", ".join(_describe_char(c) for c in bad) + ")")
    if len(stem) < lo:
        problems.append(f"name shorter than {lo} characters")
    elif len(stem) > hi:
        problems.append(f"name longer than {hi} characters ({len(stem)})")
    if problems:
        yield Hit(f"file name {name!r}: " + "; ".join(problems)
                  + ": rename it to say what it does, e.g. churn_drivers_q3.ipynb")


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
    yield Hit(f"{_plural(len(others), 'other notebook')} in this run also named {os.path.basename(nb.path)!r} "
              f"({', '.join(shown)}{more}): give each notebook a distinct, descriptive name")


# -- trailing whitespace -----------------------------------------------------------------------

_TRAIL_CANDIDATE = re.compile(r"[ \t]\r?$|\n[ \t\r]*\n[ \t\r\n]*\Z", re.MULTILINE)


def _trailing_ws(source: str):
    """Where a markdown source has trailing whitespace.

    Returns (flagged line numbers, 1-based; number of the first blank trailing line or None).
    A markdown hard line break (two or more trailing spaces before a non-blank line) is kept.
    """
    parts = source.split("\n")
    last = max((i for i, p in enumerate(parts) if p.strip()), default=-1)
    flagged = []
    for i in range(last + 1):
        part = parts[i]
        line = part[:-1] if part.endswith("\r") else part
        if not line or line[-1] not in " \t":
            continue
        stripped = line.rstrip(" \t")
        trail = line[len(stripped):]
        if (stripped.strip() and len(trail) >= 2 and trail.strip(" ") == "" and i + 1 <= last
                and parts[i + 1].strip()):
            continue  # a hard line break
        flagged.append(i + 1)
    tail = parts[last + 1:]
    bad_tail = last >= 0 and tail not in ([], [""], ["\r"])
    return flagged, (last + 2 if bad_tail else None)


def _strip_trailing(source: str) -> str:
    flagged, tail_line = _trailing_ws(source)
    parts = source.split("\n")
    for n in flagged:
        part = parts[n - 1]
        cr = "\r" if part.endswith("\r") else ""
        parts[n - 1] = part[: len(part) - len(cr)].rstrip(" \t") + cr
    if tail_line is None:
        return "\n".join(parts)
    content = parts[: tail_line - 1]
    if content and content[-1].endswith("\r"):
        content[-1] = content[-1][:-1]
    ending = "\r\n" if source.endswith("\r\n") else "\n" if source.endswith("\n") else ""
    return "\n".join(content) + ending


def _fix_trailing_whitespace(data: dict, nb, ctx) -> bool:
    suppressed = _suppressed_filter("NBH015")
    cells = data.get("cells")
    if not isinstance(cells, list):
        return False
    changed = False
    for cell in nb.cells:
        if not cell.is_markdown or cell.is_empty or suppressed(cell):
            continue
        new = _strip_trailing(cell.source)
        if new != cell.source:
            _set_source(cells[cell.index], new)
            changed = True
    return changed


@rule("NBH015", "trailing-whitespace", "info",
      "markdown lines ending in spaces or tabs (not hard line breaks), blank lines at the end of a cell",
      fix=_fix_trailing_whitespace)
def trailing_whitespace(nb, ctx):
    """
    ## What it does
    Reports markdown cells with lines that end in spaces or tabs, and cells that end in
    blank or whitespace-only lines. A markdown hard line break (two or more trailing spaces
    followed by a non-blank line) is left alone. `--fix` strips the reported whitespace and
    nothing else.

    ## Why is this bad?
    Trailing whitespace is invisible, renders as nothing (or as an accidental line break),
    and shows up as noise in diffs and reviews.

    ## Example
    `The churn rate rose in Q3.   ` (three spaces at the end of the paragraph).

    ## Use instead
    `The churn rate rose in Q3.` (`nbkit lint --fix` strips it).
    """
    for cell in nb.cells:
        if not cell.is_markdown or cell.is_empty:
            continue
        if not _TRAIL_CANDIDATE.search(cell.source):
            continue
        flagged, tail_line = _trailing_ws(cell.source)
        if not flagged and tail_line is None:
            continue
        what = []
        if flagged:
            shown = ", ".join(str(n) for n in flagged[:5]) + (", ..." if len(flagged) > 5 else "")
            what.append(f"{'line' if len(flagged) == 1 else 'lines'} {shown} "
                        f"{'ends' if len(flagged) == 1 else 'end'} in spaces or tabs")
        if tail_line is not None:
            what.append("the cell ends with blank lines")
        yield Hit("; ".join(what) + ": invisible whitespace that makes diffs noisy (`nbkit lint --fix` strips it)",
                  cell, flagged[0] if flagged else tail_line)
