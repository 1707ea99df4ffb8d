"""NBR009 absolute-path (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast

from ...analysis.semantic import lazy_re
from .. import Hit, rule


def _line_in_string(node: ast.Constant, value: str, offset: int) -> int:
    """Line of character ``offset`` of a string constant (exact for plain multi-line strings)."""
    end = getattr(node, "end_lineno", None)
    if end and end > node.lineno:
        return node.lineno + value.count("\n", 0, offset)
    return node.lineno


_ABS_PATH = lazy_re(
    r"(?<![\w/:.@-])(?:/home/(?:[^/\s'\"]|$)|/Users/(?:[^/\s'\"]|$)|/mnt/[^/\s'\"]|~/|file:///"
    r"|(?:^|(?<=[\s'\"=(,]))[A-Za-z]:[\\/](?=[\w.$ -])|(?:^|(?<=[\s'\"=(,]))\\\\[A-Za-z0-9_.$-]+\\)")


def _path_snippet(value: str, start: int) -> str:
    end = start
    while end < len(value) and value[end] not in " \t\n'\",;)":
        end += 1
    s = value[start:end]
    return s if len(s) <= 60 else s[:59] + "…"


@rule("NBR009", "absolute-path", "error",
      "string literals that are user- or machine-specific paths: `/home/`, `/Users/`, `/mnt/`, `C:\\`, "
      "`~/`, `file:///`, UNC", options={"allow": []}, requires=("python",))
def absolute_path(nb, ctx):
    """
    ## What it does
    Reports string literals in code that contain user- or machine-specific paths:
    `/home/...`, `/Users/...`, `/mnt/...`, `~/...`, `C:\\...`, `file:///...` and UNC paths
    (`\\\\server\\share`), including in shell commands (`!ls /home/me`) and magics.
    Comments, docstrings and URLs (`https://host/home/...`) are not reported.

    ## Why is this bad?
    The path exists only on the author's machine: anyone else (and CI) fails with
    `FileNotFoundError`, and the path may leak a user name.

    ## Example
    ```python
    df = pd.read_csv("/Users/alice/projects/churn/data/customers.csv")
    ```

    ## Use instead
    ```python
    DATA_DIR = Path("data")  # relative to the notebook, or a parameter
    df = pd.read_csv(DATA_DIR / "customers.csv")
    ```

    ## Options
    - `allow` (default `[]`): path prefixes that exist on every machine that runs the
      notebooks, such as a shared mount (`["/mnt/datalake/"]`)
    """
    allow = tuple(ctx.option("allow", list))
    # every path _ABS_PATH finds holds a slash or a backslash (one comprehension picks those strings)
    for cell, node in ctx.facts.semantic.strings:
        value = node.value
        if "/" not in value and "\\" not in value:
            continue
        m = _ABS_PATH.search(value)
        if m is None:
            continue
        snippet = _path_snippet(value, m.start())
        if allow and snippet.startswith(allow):
            continue
        yield Hit(f"absolute, machine-specific path {snippet!r} will not exist on another machine; "
                  "use a path relative to the notebook or a parameter", cell,
                  _line_in_string(node, value, m.start()))
