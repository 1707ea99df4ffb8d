"""NBR006 nondeterministic-gpu (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast

from ...analysis.semantic import lazy_re, str_const
from .. import Hit, rule
from .helpers import kw


_CUDA_STR = lazy_re(r"^cuda(:\d+)?$")


@rule("NBR006", "nondeterministic-gpu", "info",
      "torch on CUDA without `use_deterministic_algorithms(True)` / `cudnn.benchmark = False`", requires=("python",))
def nondeterministic_gpu(nb, ctx):
    """
    ## What it does
    When the notebook imports torch and moves work to a GPU (`.cuda()`, `.to("cuda")`,
    `device="cuda"`, `torch.device("cuda")`), checks that it also asks for deterministic
    kernels: `torch.use_deterministic_algorithms(True)`, or
    `torch.backends.cudnn.deterministic = True` / `torch.backends.cudnn.benchmark = False`.

    ## Why is this bad?
    Many CUDA kernels (and cuDNN's autotuner) are nondeterministic: even with every seed
    set, two runs give slightly different weights and metrics.

    ## Example
    ```python
    torch.manual_seed(SEED)
    model = Net().to("cuda")
    ```

    ## Use instead
    ```python
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    model = Net().to("cuda")
    ```
    """
    an = ctx.facts.semantic
    if "torch" not in an.imported:
        return
    first = None
    for ci in an.calls:
        q = ci.qual or ""
        if q == "torch.use_deterministic_algorithms":
            arg = ci.node.args[0] if ci.node.args else kw(ci.node, "mode")
            if isinstance(arg, ast.Constant) and arg.value is True:
                return
        if first is None:
            node = ci.node
            if ci.method == "cuda" and not q.startswith("torch.cuda"):
                first = ci
            elif ci.method == "to" or q == "torch.device":
                for a in [*node.args, *(k.value for k in node.keywords)]:
                    if (s := str_const(a)) and _CUDA_STR.match(s):
                        first = ci
            elif any((s := str_const(k.value)) and _CUDA_STR.match(s) for k in node.keywords if k.arg == "device"):
                first = ci
    if first is None:
        return
    for _, node in an.nodes(ast.Assign):
        if isinstance(node.value, ast.Constant):
            for t in node.targets:
                if isinstance(t, ast.Attribute) and (
                        (t.attr == "benchmark" and node.value.value is False)
                        or (t.attr == "deterministic" and node.value.value is True)):
                    return
    yield Hit("torch runs on CUDA without deterministic algorithms; call "
              "torch.use_deterministic_algorithms(True) and set torch.backends.cudnn.benchmark = False",
              first.cell, first.node.lineno)
