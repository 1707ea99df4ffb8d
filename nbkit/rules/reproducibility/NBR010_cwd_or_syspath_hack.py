"""NBR010 cwd-or-syspath-hack: `os.chdir`, `%cd`, `sys.path.append/insert`."""

from __future__ import annotations

import ast

from ...analysis.semantic import dotted
from .helpers import MAGIC_METHODS as _MAGIC_METHODS
from .. import Hit, rule


_REPORTED = frozenset({"os.chdir", "os.fchdir", "sys.path.append", "sys.path.insert", "sys.path.extend",
                       "site.addsitedir"})


@rule("NBR010", "cwd-or-syspath-hack", "warning", "`os.chdir`, `%cd`, `sys.path.append/insert`", requires=("python",))
def cwd_or_syspath_hack(nb, ctx):
    """
    ## What it does
    Reports changes of the working directory (`os.chdir`, `%cd`, `%pushd`) and of the import
    path (`sys.path.append`, `sys.path.insert`, `sys.path.extend`, `sys.path += [...]`,
    `site.addsitedir`).

    ## Why is this bad?
    The notebook then depends on where it was started from and on the layout of the
    author's disk; relative paths and imports resolve differently for everyone else, and
    re-running a cell changes the state again.

    ## Example
    ```python
    import sys
    sys.path.append("../src")
    os.chdir("..")
    ```

    ## Use instead
    Install the project's code as a package (`pip install -e .`), and write paths relative
    to the notebook's folder (where `nbkit verify` and papermill run it).
    """
    # the calls that can be reported (one comprehension: most notebooks have none)
    for ci in [ci for ci in ctx.facts.semantic.calls if ci.qual in _REPORTED or ci.method in _MAGIC_METHODS]:
        node = ci.node
        # magics are written as get_ipython().run_line_magic(...) & co: no other call has one
        magic = ci.magic if ci.method in _MAGIC_METHODS else None
        if magic is not None:
            kind, name, _ = magic
            if kind == "line" and name in ("cd", "pushd", "popd"):
                yield Hit(f"%{name} changes the working directory; write paths relative to the notebook's folder "
                          "instead", ci.cell, node.lineno)
            continue
        q = ci.qual
        if q is None:
            continue
        if q in ("os.chdir", "os.fchdir"):
            yield Hit(f"{ci.text}() changes the working directory; write paths relative to the notebook's folder "
                      "instead", ci.cell, node.lineno)
        elif q in ("sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"):
            yield Hit(f"{ci.text}() changes the import path; install the code as a package (pip install -e .) "
                      "instead", ci.cell, node.lineno)
    for cell, node in ctx.facts.semantic.nodes(ast.Assign, ast.AugAssign):
        target = node.target if isinstance(node, ast.AugAssign) else (
            node.targets[0] if len(node.targets) == 1 else None)
        if type(target) is ast.Attribute and target.attr == "path" and dotted(target) == ["sys", "path"]:
            yield Hit("sys.path is modified; install the code as a package (pip install -e .) instead",
                      cell, node.lineno)
