"""NBR003 undeclared-import (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import re

from ... import imports as imp
from ...analysis import Facts
from .. import Hit, rule
from ...pep723 import dependency_name
from .helpers import rel, script_dependencies, shell_commands


_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")
# protobuf's compiler writing Python modules (`protoc x.proto --python_out=.`, `python -m grpc_tools.protoc ...`)
_PROTOC = re.compile(r"(?:^|[\s/;&|])(?:protoc|grpc_tools\.protoc)\b.*--(?:python|grpc_python)_out")


def _protoc_modules(facts: Facts) -> set[str]:
    """The modules that the notebook's protoc commands generate: ``person_pb2`` (and
    ``person_pb2_grpc``) for each ``person.proto`` they compile."""
    out: set[str] = set()
    for _, _, cmd in shell_commands(facts):
        if _PROTOC.search(cmd):
            for stem in re.findall(r"([A-Za-z_]\w*)\.proto\b", cmd):
                out.update((stem + "_pb2", stem + "_pb2_grpc"))
    return out


def _optional_import_lines(facts: Facts) -> set[tuple[int, int]]:
    """(cell, line) of imports guarded by ``try: ... except ImportError`` (optional dependencies)."""
    out: set[tuple[int, int]] = set()
    for cell, parsed in facts.code:
        if "ImportError" not in cell.source and "ModuleNotFoundError" not in cell.source:
            continue
        tree = parsed.tree
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                    h.type is not None and any(isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS
                                               for n in ast.walk(h.type)) for h in node.handlers):
                for stmt in node.body:
                    for sub in ast.walk(stmt):
                        if isinstance(sub, (ast.Import, ast.ImportFrom)):
                            out.add((cell.index, sub.lineno))
    return out


# modules the kernel itself provides: a notebook always runs where these exist
_KERNEL_PROVIDED = {"IPython", "ipykernel"}


# namespace packages shared by many distributions (google-cloud-storage, azure-storage-blob, ...)
_NAMESPACES = {"google", "azure", "jaraco", "zope", "backports", "sphinxcontrib", "ruamel", "oslo", "opentelemetry",
               "dagster", "apache_beam"}


@rule("NBR003", "undeclared-import", "error",
      "a third-party import (not stdlib, not a local module) whose distribution is not in the manifest; "
      "map modules to distributions with `importlib.metadata.packages_distributions()` plus a small alias table",
      options={"ignore-modules": []}, requires=("python", "project"))
def undeclared_import(nb, ctx):
    """
    ## What it does
    For every third-party import (not the standard library, not a module or package in the
    notebook's folder or above it up to the project root, nor a module that a `%%writefile`
    cell of the notebook writes, nor a `*_pb2` module that a `protoc ... --python_out` shell
    command of the notebook generates), finds the distribution that
    provides it (`sklearn` -> `scikit-learn`, through the installed packages' metadata and a
    small alias table) and reports it when no manifest declares that distribution.

    ## Why is this bad?
    The notebook works on the author's machine because the package happens to be
    installed there; a fresh environment built from the manifest fails with
    `ModuleNotFoundError`. Optional imports (inside `try: ... except ImportError:`) and the
    kernel's own `IPython` are not reported.

    A notebook written with juv (a PEP 723 `# /// script` block with `dependencies` in its
    first code cell) runs in the environment that block declares: its imports are checked
    against the block's dependencies, not the project's manifests.

    ## Example
    The notebook has `import seaborn as sns`; `requirements.txt` lists only pandas.

    ## Use instead
    Add the distribution to the manifest: `seaborn==0.13.2`.

    ## Options
    - `ignore-modules` (default `[]`): top-level modules provided some other way (a
      platform's preinstalled package, a vendored module outside the project root)
    """
    project = ctx.project
    script = script_dependencies(ctx.facts)
    if script is not None:
        declared = {imp.normalise_dist(n) for n in map(dependency_name, script) if n}
        complete, where = True, "the notebook's PEP 723 script block"
    else:
        manifests = project.manifests_for(nb.path)
        if not manifests:
            return  # NBR001 covers it
        declared = project.declared_distributions(nb.path)
        complete = project.manifests_complete(nb.path)
        where = ", ".join(rel(m.path, nb) for m in manifests[:3])
    folders = project.folders_up_to_root(nb.path)
    seen: set[str] = set(ctx.option("ignore-modules", list)) | imp.written_modules(nb)
    generated: set[str] | None = None  # the modules protoc commands generate (worked out for a *_pb2 import)
    optional = _optional_import_lines(ctx.facts)
    for ref in imp.third_party_imports(ctx.facts.imports, folders):
        mod = ref.module
        if mod in seen or mod in _KERNEL_PROVIDED or (ref.cell_index, ref.line) in optional:
            continue
        seen.add(mod)
        if mod.endswith(("_pb2", "_pb2_grpc")):
            if generated is None:
                generated = _protoc_modules(ctx.facts)
            if mod in generated:
                continue  # `!protoc person.proto --python_out=.` writes person_pb2.py
        norm = imp.normalise_dist(mod)
        parts = ref.full.split(".")
        alias = next((imp.ALIASES[".".join(parts[:i])] for i in range(len(parts), 0, -1)
                      if ".".join(parts[:i]) in imp.ALIASES), None)
        if norm in declared or (alias and imp.normalise_dist(alias) in declared):
            continue
        if mod in _NAMESPACES and any(d.startswith(norm + "-") for d in declared):
            continue  # google.cloud.storage <- google-cloud-storage: any google-* distribution may provide it
        dists = [imp.normalise_dist(d) for d in imp.distributions_for(mod)]
        if any(d in declared for d in dists):
            continue
        if not complete:
            continue  # some dependencies could not be read: stay quiet rather than guess
        dist = dists[0] if dists else (imp.normalise_dist(alias) if alias else norm)
        name = f"{mod!r} (distribution {dist!r})" if dist != norm else repr(mod)
        target = "the block's dependencies" if script is not None else "the manifest"
        yield Hit(f"import {name} is not declared in {where}; add {dist} to {target}", ref.cell, ref.line)
