"""NBH011 commented-out-code: 4+ consecutive comment lines, or comment lines that parse as code."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from ...ipysyntax import PYTHON_BODY_CELL_MAGICS
from .. import Hit, rule
from .helpers import short


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


_EXEMPT_COMMENT = re.compile(
    r"^(?:nbkit\s*:|noqa\b|type\s*:|pylint\s*:|mypy\s*:|pyright\s*:|ruff\s*:|fmt\s*:|isort\s*:|"
    r"pragma\b|flake8\b|nbval_|%%|in\s*\[[\s\d]*\]\s*:|out\s*\[|-\*-|vim?\s*:|[+-]$|"
    r"@(?:title|param|markdown)(?:\s|$))",  # (the last: Colab's form fields, `#@title Setup`)
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


_ABBREVIATION = re.compile(r"(?<![\w.])(?:e\.\s?g|i\.\s?e|cf|viz|etc)\.(?:\s|$|,)", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _looks_like_code(body: str) -> bool:
    """Does a comment's text read as Python code (and not as prose that happens to parse)?"""
    if not body or _URLISH.search(body) or _ABBREVIATION.search(body):
        return False  # a URL, or prose abbreviations that parse: `(e.g. Kernel > Restart)`
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
      "4+ consecutive comment lines, or comment lines that parse as code", options={"min-block-lines": 4},
      requires=("python",))
def commented_out_code(nb, ctx):
    """
    ## What it does
    Reports, in code cells, blocks of `min-block-lines` (4) or more consecutive whole-line
    comments, and comment lines whose text is Python code (`# df = df.dropna()`,
    `# plt.show()`, `# %matplotlib inline`). Comments that merely parse (`# not used`,
    `# train/test`, `# Note: ...`) count as prose, and so do suppression comments
    (`# nbkit: ignore[...]`, `# noqa`, `# type: ...`), nbval markers, shebang and encoding
    lines, jupytext `# %%` markers and Colab's form fields (`#@title Setup`). Cells run by a non-Python cell magic (`%%bash`) are
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
    block = max(2, ctx.option("min-block-lines", int))
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
                           f"(`{short(code[0][1], 40)}`): delete disabled code (version control keeps it) "
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
                    yield Hit(f"{n} (`{short(first[1], 50)}`): delete {it} (version control keeps {it}) or make "
                              f"{it} a real option", cell, first[0])
                    group = []
                group.append(item)
