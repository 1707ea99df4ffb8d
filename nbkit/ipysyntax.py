"""Turn IPython syntax (``%magic``, ``!cmd``, ``%%cell``, ``obj?``) into plain Python.

The output has the same shape IPython's own ``TransformerManager`` produces
(``get_ipython().run_line_magic('pip', 'install x')``, ``get_ipython().system('ls')``)
so rules can look for magics in the AST, and it keeps line numbers stable.  A fast
hand-written pass handles the common cases without importing IPython; when its result
still does not parse, IPython's transformer is tried (if IPython is installed).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

# Cell magics whose body is Python: keep the body visible to the rules.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "pypy"})

_CANDIDATE = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|^[ \t]*[\w.,\[\] \t]+=[ \t]*[%!]", re.MULTILINE)
_ASSIGN_MAGIC = re.compile(r"^([ \t]*)([\w.,\[\]() \t]+?)[ \t]*=[ \t]*([%!])(%?)(.*)$")
_HELP = re.compile(r"^([ \t]*)(\?{1,2})?([\w.\[\]()'\"]+)(\?{1,2})?[ \t]*$")


def _line_magic(body: str) -> str:
    name, _, args = body.partition(" ")
    return f"get_ipython().run_line_magic({name.strip()!r}, {args.strip()!r})"


def _transform_line(line: str) -> str:
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith("!!"):
        return f"{indent}get_ipython().getoutput({stripped[2:].strip()!r})"
    if stripped.startswith("!"):
        return f"{indent}get_ipython().system({stripped[1:].strip()!r})"
    if stripped.startswith("%") and not stripped.startswith("%%"):
        return indent + _line_magic(stripped[1:])
    m = _ASSIGN_MAGIC.match(line)
    if m:
        ind, target, kind, _double, rest = m.groups()
        if kind == "!":
            return f"{ind}{target} = get_ipython().getoutput({rest.strip()!r})"
        return f"{ind}{target} = {_line_magic(rest)}"
    if stripped.endswith("?") or stripped.startswith("?"):
        h = _HELP.match(line)
        if h and (h.group(2) or h.group(4)):
            magic = "pinfo2" if "??" in ((h.group(2) or "") + (h.group(4) or "")) else "pinfo"
            return f"{h.group(1)}get_ipython().run_line_magic({magic!r}, {h.group(3)!r})"
    return line


def _fast_transform(source: str) -> str:
    lines = source.splitlines()
    # a cell magic owns the whole cell
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        head = lines[first].strip()[2:]
        name, _, args = head.partition(" ")
        if name in PYTHON_BODY_CELL_MAGICS:
            lines[first] = f"get_ipython().run_cell_magic({name!r}, {args.strip()!r}, '')"
            return "\n".join(lines[: first + 1] + [_transform_line(ln) for ln in lines[first + 1 :]])
        body = "\n".join(lines[first + 1 :])
        call = f"get_ipython().run_cell_magic({name!r}, {args.strip()!r}, {body!r})"
        return "\n" * first + call + "\n" * (len(lines) - first - 1)
    return "\n".join(_transform_line(ln) for ln in lines)


def _python_body_cell_magic(source: str) -> bool:
    first = source.lstrip().split("\n", 1)[0]
    return first.startswith("%%") and first[2:].split(" ", 1)[0] in PYTHON_BODY_CELL_MAGICS


def _parse(source: str) -> ast.Module | None:
    """The tree of ``source``, or None when it does not parse."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parses(source: str) -> bool:
    return _parse(source) is not None


def transform_cell(source: str) -> str:
    """Return ``source`` as plain Python (unchanged when it has no IPython syntax)."""
    return transform_and_parse(source)[0]


def transform_and_parse(source: str) -> tuple[str, ast.Module | None]:
    """``transform_cell(source)`` and, when finding it needed a successful parse of the result,
    that tree (None: the result was not parsed here, or does not parse), so callers need not
    parse it again."""
    # every alternative of _CANDIDATE needs a `%`, `!` or `?`: most cells have none, and `in`
    # finds that out several times faster than the pattern's search
    if ("%" not in source and "!" not in source and "?" not in source) or not _CANDIDATE.search(source):
        return source, None
    fast = _fast_transform(source)
    fast_tree: ast.Module | None = None
    fast_parsed = False
    source_fails = False
    if fast != source and not _OTHER_LINE_BREAKS.search(source):
        line = _first_statement_magic(source, fast)
        if line == 0:
            source_fails = True
        elif line is not None:
            fast_tree, fast_parsed = _parse(fast), True
            source_fails = fast_tree is not None and _statement_at(fast_tree, *line)
    if not source_fails:
        tree = _parse(source)
        if tree is not None:
            return source, tree
    if not fast_parsed:
        fast_tree = _parse(fast)
    if fast_tree is not None or _python_body_cell_magic(source):
        return fast, fast_tree  # a %%time cell with a syntax error in its body must stay an error
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except Exception:  # noqa: BLE001 - IPython missing or broken: keep the fast result
        return fast, None
    try:
        slow = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython's transformer can raise on odd input
        return fast, None
    tree = _parse(slow)
    return (slow, tree) if tree is not None else (fast, None)


# Line magics IPython runs without their `%` while automagic is on (the default): IPython's and
# ipykernel's built-in magics and the default shell aliases (`ls`, `cat`, ...).
AUTOMAGIC_NAMES = frozenset(
    "alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear colors conda config "
    "connect_info cp debug dhist dirs doctest_mode ed edit env gui hist history killbgscripts ldir less "
    "lf lk ll load load_ext loadpy logoff logon logstart logstate logstop ls lsmagic lx macro magic "
    "mamba man matplotlib micromamba mkdir more mv notebook page pastebin pdb pdef pdoc pfile pinfo "
    "pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat pylab qtconsole quickref "
    "recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run save sc set_env sx system "
    "tb time timeit unalias unload_ext who who_ls whos xdel xmode".split())

_AUTOMAGIC_LINE = re.compile(r"^([ \t]*)([A-Za-z_]\w*)(?:[ \t]+(.*))?$")
# the name _AUTOMAGIC_LINE would find on a cell's first line (the leading blank lines skipped)
_AUTOMAGIC_HEAD = re.compile(r"\n*[ \t]*([A-Za-z_]\w*)")


def _automagic(python_source: str) -> str | None:
    """A one-line cell that is an automagic call (``ls data``, ``timeit f(x)``, ``ls -l``: a
    magic's name, then arguments that are not Python or start with an option) as the magic call
    IPython makes; None otherwise.  IPython applies automagic to one-line cells only, and not
    when the name is followed by ``=`` or ``,`` (an assignment)."""
    # most cells start with no magic's name: found without splitting the cell into lines
    head = _AUTOMAGIC_HEAD.match(python_source)
    if head is None or head.group(1) not in AUTOMAGIC_NAMES:
        return None
    lines = python_source.lstrip("\n").splitlines()
    if len(lines) != 1:
        return None
    m = _AUTOMAGIC_LINE.match(lines[0])
    if not m or m.group(2) not in AUTOMAGIC_NAMES or not m.group(3):
        return None
    rest = m.group(3).strip()
    if rest[:1] in ("=", ",") or (_parses(lines[0].strip()) and not rest.startswith("-")):
        return None
    lead = python_source[: len(python_source) - len(python_source.lstrip("\n"))]
    return f"{lead}{m.group(1)}get_ipython().run_line_magic({m.group(2)!r}, {rest!r})"


@dataclass(frozen=True)
class ParsedCell:
    """A code cell's source as plain Python, its AST (None when it does not parse) and the error."""

    python_source: str
    tree: ast.Module | None
    syntax_error: SyntaxError | None


NOT_CODE = ParsedCell("", None, None)


def parse_cell(source: str) -> ParsedCell:
    """Transform a code cell's IPython syntax and parse the result."""
    python_source, tree = transform_and_parse(source)
    if tree is not None:
        return ParsedCell(python_source, tree, None)  # the transform parsed it already
    # a one-line automagic call (`ls data`, `ls -l`): IPython runs it as %ls
    python_source = _automagic(python_source) or python_source
    try:
        return ParsedCell(python_source, ast.parse(python_source), None)
    except SyntaxError as e:
        # without its traceback: the frames would refer back to whatever asked for the tree,
        # a cycle that keeps it alive until the cycle collector runs
        return ParsedCell(python_source, None, e.with_traceback(None))
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
        err = SyntaxError(str(e))
        err.lineno = 1
        return ParsedCell(python_source, None, err)


# -- knowing that a cell will not parse, without parsing it -------------------------------------
#
# Most candidate cells hold real IPython syntax, and a failed ast.parse costs about twice a
# successful one (CPython re-parses to word the error).  The cases below are those where the
# source provably does not parse, so transform_and_parse goes straight to the transformed text.

# line breaks of str.splitlines() that Python's tokenizer does not treat as line ends
_OTHER_LINE_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _first_statement_magic(source: str, fast: str) -> tuple[int, int] | Literal[0] | None:
    """Where the first line ``_fast_transform`` changed would start a statement: 0 when the cell
    starts with a cell magic (``%%`` can never begin Python code), (line, column) for a line
    that begins with ``!`` / ``%`` or is ``x = !cmd`` / ``x = %magic`` (no Python statement
    can begin that way: if a statement of the transformed text begins there, the source does
    not parse), None otherwise (help syntax, odd indentation: parse the source first)."""
    lines = source.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        return 0
    for i, (a, b) in enumerate(zip(lines, fast.split("\n"), strict=False)):
        if a == b:
            continue
        stripped = a.lstrip()
        indent = a[: len(a) - len(stripped)]
        if indent.strip(" \t"):
            return None
        if stripped[:1] in ("!", "%") or _ASSIGN_MAGIC.match(a):
            return i + 1, len(indent)
        return None
    return None


def _statement_at(tree: ast.Module, lineno: int, col: int) -> bool:
    """Does a statement of ``tree`` begin at (lineno, col)?"""
    todo = [tree.body]
    while todo:
        for st in todo.pop():
            if st.lineno == lineno and st.col_offset == col:
                return True
            for name in ("body", "orelse", "finalbody"):
                sub = getattr(st, name, None)
                if isinstance(sub, list) and sub:
                    todo.append(sub)
            for part in (*getattr(st, "handlers", ()), *getattr(st, "cases", ())):
                todo.append(part.body)
    return False


def cell_magic_file(args_and_body: str) -> str | None:
    """The file of ``%%writefile [-a|--append] FILE``: its arguments line (optionally followed by
    the body), quotes and options taken off as IPython does."""
    import shlex

    line = args_and_body.split("\n", 1)[0]
    try:
        words = shlex.split(line)
    except ValueError:  # an unclosed quote
        words = line.split()
    return next((w for w in words if not w.startswith("-")), None)
