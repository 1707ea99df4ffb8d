"""NBR001-NBR016: static reproducibility rules (what a fresh Restart & Run All would do).

All rules read the cells top-down, the way a fresh kernel executes them.  Notebooks whose
kernel language is not Python are left alone (except by NBR015: secrets leak in any language).  The per-notebook
analysis that several rules share (import aliases, resolved call names) is computed once and
cached on the notebook object.
"""

from __future__ import annotations

import ast
import builtins
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from . import Hit, rule

# -- shared analysis ----------------------------------------------------------------------------


_UNSET = object()


class CallInfo:
    """One call in document order, with its callee resolved through the import aliases."""

    __slots__ = ("cell", "node", "qual", "method", "in_function", "parents", "_text", "_magic_v")

    def __init__(self, cell, node: ast.Call, qual: str | None, method: str | None, in_function: str | None,
                 parents: tuple):
        self.cell = cell
        self.node = node
        self.qual = qual  # "numpy.random.normal" (None when the callee is not an imported name)
        self.method = method  # the last attribute / name: "normal", "sample"
        self.in_function = in_function  # name of the enclosing def, if any
        self.parents = parents
        self._text: str | None = None
        self._magic_v = _UNSET

    @property
    def text(self) -> str:
        """The callee as written: ``np.random.normal`` (computed only for messages)."""
        if self._text is None:
            self._text = _text(self.node.func)
        return self._text

    @property
    def magic(self) -> tuple[str, str, str] | None:
        """``_magic(self.node)``, computed once: most NBR rules ask it of every call."""
        m = self._magic_v
        if m is _UNSET:
            m = self._magic_v = _magic(self.node)
        return m


_LEAVES = frozenset({ast.Load, ast.Store, ast.Del, ast.alias, *ast.operator.__subclasses__(),
                     *ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()})
# children the shared walk does not descend into: names, leaves and the commonest non-node field values
_NOT_VISITED = _LEAVES | {ast.Name, str, int, bool, type(None)}
_INDEXED = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.BinOp, ast.Compare, ast.Dict)


@dataclass
class Analysis:
    calls: list[CallInfo] = field(default_factory=list)
    imported: set[str] = field(default_factory=set)  # top-level modules imported anywhere
    strings: list[tuple] = field(default_factory=list)  # (cell, Constant) string literals, not docstrings
    by_type: dict = field(default_factory=dict)  # ast type -> [(cell, node)] for _INDEXED types

    def nodes(self, *types):
        for t in types:
            yield from self.by_type.get(t, ())


_BUILTINS = frozenset(dir(builtins))


class _lazy_re:  # noqa: N801 - used like re.compile
    """A regular expression compiled on first use: most patterns here never run for a given
    notebook (secret and path patterns sit behind cheap substring checks), so importing the
    rules should not pay for compiling them all."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int = 0):
        self._args = (pattern, flags)
        self._rx = None

    def __getattr__(self, name):
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(*self._args)
        return getattr(rx, name)


def _text(node: ast.AST, limit: int = 60) -> str:
    try:
        s = ast.unparse(node)
    except Exception:  # noqa: BLE001 - unparse of odd trees
        return "?"
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` -> ["a", "b", "c"]; None for anything that is not a plain attribute chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _bind_import(node: ast.AST, bindings: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                bindings[a.asname] = a.name
            else:
                bindings[a.name.split(".")[0]] = a.name.split(".")[0]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        for a in node.names:
            if a.name != "*":
                bindings[a.asname or a.name] = f"{node.module}.{a.name}"


def analysis(nb) -> Analysis:
    """The shared per-notebook analysis (computed once, cached on the notebook): one walk
    over every cell's AST, in source order, collecting calls (callee resolved through the
    import aliases), string literals and a few statement types the rules look at."""
    cache = nb.__dict__.setdefault("_nbkit_repro", {})
    if "analysis" in cache:
        return cache["analysis"]
    out = Analysis()
    bindings: dict[str, str] = {}
    fallback: dict[str, str] = {}  # every import anywhere: resolves calls in out-of-order notebooks too
    for cell in nb.cells:
        if cell.tree is not None and "import" in cell.python_source:
            for node in ast.walk(cell.tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found: dict[str, str] = {}
                    _bind_import(node, found)
                    for k, v in found.items():
                        fallback.setdefault(k, v)
    by_type = out.by_type
    # per-cell state of the walk (rebound for each cell; visit reads it through its closure)
    cell = None
    stack: list[ast.AST] = []
    docstrings: set[int] = set()

    def visit(node, func):
        t = type(node)
        if t is ast.Call:
            parts = _dotted(node.func)
            qual = method = None
            if parts:
                method = parts[-1]
                head = parts[0]
                target = bindings[head] if head in bindings else fallback.get(head)
                if target:
                    qual = ".".join([target, *parts[1:]])
                elif len(parts) == 1 and head in _BUILTINS:
                    qual = head
            elif type(node.func) is ast.Attribute:
                method = node.func.attr
            out.calls.append(CallInfo(cell, node, qual, method, func, tuple(stack)))
        elif t is ast.Expr:
            if type(node.value) is ast.Constant and type(node.value.value) is str:
                docstrings.add(id(node.value))
        elif t is ast.Import or t is ast.ImportFrom:
            _bind_import(node, bindings)
            if t is ast.Import:
                out.imported.update(a.name.split(".")[0] for a in node.names)
            elif node.module and node.level == 0:
                out.imported.add(node.module.split(".")[0])
            return
        elif t in _INDEXED:
            by_type.setdefault(t, []).append((cell, node))
            if t is ast.Assign:  # `random = np.random.default_rng(0)` shadows the module
                for tgt in node.targets:
                    if type(tgt) is ast.Name and (tgt.id in bindings or tgt.id in fallback):
                        bindings[tgt.id] = None
        inner = node.name if (t is ast.FunctionDef or t is ast.AsyncFunctionDef) else func
        stack.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            tv = type(value)
            if tv is list:
                for child in value:
                    tc = type(child)
                    if tc is ast.Constant:
                        if type(child.value) is str and id(child) not in docstrings:
                            out.strings.append((cell, child))
                    elif tc not in _NOT_VISITED and isinstance(child, ast.AST):
                        visit(child, inner)
            elif tv is ast.Constant:  # the same, for a single child (no tuple to build)
                if type(value.value) is str and id(value) not in docstrings:
                    out.strings.append((cell, value))
            elif tv not in _NOT_VISITED and isinstance(value, ast.AST):
                visit(value, inner)
        stack.pop()

    try:
        for cell in nb.cells:
            tree = cell.tree
            if tree is None:
                continue
            stack = []
            docstrings = set()
            try:
                visit(tree, None)
            except RecursionError:  # absurdly deep expression: the rules skip the rest of this cell
                pass
    finally:
        # visit refers to itself through its closure: without this, every analysis (and the
        # cells and syntax trees it holds) would wait for the cycle collector to be freed
        visit = None
    cache["analysis"] = out
    return out


def _is_python(nb) -> bool:
    """Is this a Python notebook? (R, Julia, ... notebooks may parse as Python by accident.)"""
    md = nb.metadata
    lang = None
    ks = md.get("kernelspec")
    if isinstance(ks, dict):
        lang = ks.get("language")
    li = md.get("language_info")
    if not lang and isinstance(li, dict):
        lang = li.get("name")
    return not isinstance(lang, str) or not lang or lang.lower() in ("python", "python3", "ipython", "python2")


def _str_list(value) -> list[str]:
    """An option that should be a list of strings (a lone string is a list of one)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def _has_code(nb) -> bool:
    return any(c.is_code and not c.is_empty for c in nb.cells)


def _kw(node: ast.Call, *names: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg in names:
            return k.value
    return None


def _is_none(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _magic(call: ast.Call) -> tuple[str, str, str] | None:
    """``get_ipython().run_line_magic('pip', 'install x')`` -> ("line", "pip", "install x");
    ``.system('cmd')`` / ``.getoutput('cmd')`` -> ("system", "", "cmd");
    ``.run_cell_magic('bash', '', body)`` -> ("cell", "bash", args + "\\n" + body)."""
    f = call.func
    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Name) and f.value.func.id == "get_ipython"):
        return None
    args = [_str_const(a) for a in call.args]
    if f.attr == "run_line_magic" and len(args) >= 2 and args[0] is not None:
        return "line", args[0], args[1] or ""
    if f.attr in ("system", "getoutput") and args and args[0] is not None:
        return "system", "", args[0]
    if f.attr == "run_cell_magic" and len(args) >= 3 and args[0] is not None:
        return "cell", args[0], (args[1] or "") + "\n" + (args[2] or "")
    return None


def _line_in_string(node: ast.Constant, value: str, offset: int) -> int:
    """Line of character ``offset`` of a string constant (exact for plain multi-line strings)."""
    if getattr(node, "end_lineno", None) and node.end_lineno > node.lineno:
        return node.lineno + value.count("\n", 0, offset)
    return node.lineno


def _mask(secret: str) -> str:
    return (secret[:4] + "****") if len(secret) > 8 else "****"


# -- NBR001-NBR003: the environment manifest ------------------------------------------------------

MANIFEST_LIST = "requirements*.txt, pyproject.toml, environment.yml, Pipfile, setup.cfg/setup.py"


def _rel(path: str, nb) -> str:
    try:
        return os.path.relpath(path, os.path.dirname(os.path.abspath(nb.path)))
    except ValueError:
        return path


@rule("NBR001", "no-environment-manifest", "error",
      "none of requirements*.txt, pyproject.toml, environment.yml, Pipfile, setup.cfg/py up the tree "
      "to the project root")
def no_environment_manifest(nb, ctx):
    """
    ## What it does
    Looks for an environment manifest (`requirements*.txt`, a `pyproject.toml` that declares
    dependencies, `environment.yml`, `Pipfile`, `setup.cfg` or `setup.py`) in the notebook's
    folder and every folder above it up to the project root (the repository root).

    ## Why is this bad?
    Without a manifest nobody knows which packages (and versions) the notebook needs: the
    next person has to guess from the imports, and gets different results or import errors.

    ## Example
    `analysis/churn.ipynb` imports pandas and scikit-learn; the repository has no
    requirements file.

    ## Use instead
    Add a `requirements.txt` (or `environment.yml`, or dependencies in `pyproject.toml`)
    at the project root listing what the notebooks import, ideally with exact versions
    (`nbkit pin --export requirements` writes one).
    """
    if not _is_python(nb):
        return
    if ctx.project is None or not _has_code(nb):
        return
    if ctx.project.manifests_for(nb.path):
        return
    root = ctx.project.root_for(nb.path)
    at_root = os.path.abspath(root) == os.path.dirname(os.path.abspath(nb.path))
    where = "the notebook's folder (the project root)" if at_root \
        else f"the notebook's folder or above it up to the project root ({_as_named(root, nb)})"
    bare = [d / "pyproject.toml" for d in ctx.project.folders_up_to_root(nb.path) if (d / "pyproject.toml").is_file()]
    if bare:
        others = MANIFEST_LIST.replace("pyproject.toml, ", "")
        yield Hit(f"no environment manifest: {_as_named(str(bare[0]), nb)} declares no dependencies, and there is "
                  f"no other manifest ({others}) in {where}; add the dependencies the notebook needs, with "
                  "versions")
        return
    yield Hit(f"no environment manifest ({MANIFEST_LIST}) in {where}; add one listing the packages "
              "this notebook needs, with versions")


def _as_named(path: str, nb) -> str:
    """``path`` named the way the notebook's path is: relative to the current folder when the
    user gave a relative path ("." is "the current folder"), else absolute."""
    if os.path.isabs(nb.path):
        return os.path.abspath(path)
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(os.getcwd()))
    return "the current folder" if rel == "." else rel


@rule("NBR002", "unpinned-dependencies", "warning",
      "manifest entries not pinned (`==`) and no lock file (uv.lock, poetry.lock, Pipfile.lock, "
      "conda-lock.yml, pdm.lock, hashed pip-compile output)")
def unpinned_dependencies(nb, ctx):
    """
    ## What it does
    For the environment manifests nearest to the notebook (in its folder, or the first
    folder above it that has any), reports the dependencies
    that are not pinned to one exact version (`pandas==2.2.3`; in conda `pandas=2.2.3`),
    unless a lock file sits beside a manifest or above it: `uv.lock`, `poetry.lock`,
    `Pipfile.lock`, `conda-lock.yml`, `pdm.lock`, or a requirements file produced by
    `pip-compile` / `uv pip compile` (with hashes, or with every entry pinned).

    ## Why is this bad?
    `pandas>=2` installs whatever is newest on the day: next year the same notebook runs on
    a different pandas and may give different numbers, or fail.

    ## Example
    ```
    # requirements.txt
    pandas>=2
    scikit-learn
    ```

    ## Use instead
    ```
    pandas==2.2.3
    scikit-learn==1.5.2
    ```
    or keep loose ranges in the manifest and commit a lock file (`uv lock`, `poetry lock`,
    `pip-compile --generate-hashes`).
    """
    if not _is_python(nb):
        return
    if ctx.project is None or not _has_code(nb):
        return
    if ctx.project.lock_files_for(nb.path):
        return
    manifests = ctx.project.manifests_for(nb.path)
    nearest = os.path.dirname(manifests[0].path) if manifests else None
    for m in manifests:
        if os.path.dirname(m.path) != nearest:
            break  # the nearest manifests describe the notebook's environment
        loose = m.unpinned
        if not loose:
            continue
        names = ", ".join(str(r) for r in loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        yield Hit(f"{_rel(m.path, nb)}: {len(loose)} of {len(m.requirements)} dependencies are not pinned "
                  f"to an exact version ({names}) and there is no lock file; pin them with == or commit a "
                  "lock file (uv lock, pip-compile --generate-hashes)")


_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError")


def _optional_import_lines(nb) -> set[tuple[int, int]]:
    """(cell, line) of imports guarded by ``try: ... except ImportError`` (optional dependencies)."""
    out: set[tuple[int, int]] = set()
    for cell in nb.cells:
        tree = cell.tree
        if tree is None or "ImportError" not in cell.source and "ModuleNotFoundError" not in cell.source:
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
      options={"ignore-modules": []})
def undeclared_import(nb, ctx):
    """
    ## What it does
    For every third-party import (not the standard library, not a module or package in the
    notebook's folder or above it up to the project root), finds the distribution that
    provides it (`sklearn` -> `scikit-learn`, through the installed packages' metadata and a
    small alias table) and reports it when no manifest declares that distribution.

    ## Why is this bad?
    The notebook works on the author's machine because the package happens to be
    installed there; a fresh environment built from the manifest fails with
    `ModuleNotFoundError`. Optional imports (inside `try: ... except ImportError:`) and the
    kernel's own `IPython` are not reported.

    ## Example
    The notebook has `import seaborn as sns`; `requirements.txt` lists only pandas.

    ## Use instead
    Add the distribution to the manifest: `seaborn==0.13.2`.

    ## Options
    - `ignore-modules` (default `[]`): top-level modules provided some other way (a
      platform's preinstalled package, a vendored module outside the project root)
    """
    if not _is_python(nb):
        return
    project = ctx.project
    if project is None:
        return
    manifests = project.manifests_for(nb.path)
    if not manifests:
        return  # NBR001 covers it
    from .. import imports as imp

    declared = project.declared_distributions(nb.path)
    complete = project.manifests_complete(nb.path)
    folders = project.folders_up_to_root(nb.path)
    seen: set[str] = set(_str_list(ctx.options.get("ignore-modules")))
    optional = _optional_import_lines(nb)
    for ref in imp.third_party_imports(nb, folders):
        mod = ref.module
        if mod in seen or mod in _KERNEL_PROVIDED or (ref.cell_index, ref.line) in optional:
            continue
        seen.add(mod)
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
        where = ", ".join(_rel(m.path, nb) for m in manifests[:3])
        name = f"{mod!r} (distribution {dist!r})" if dist != norm else repr(mod)
        yield Hit(f"import {name} is not declared in {where}; add {dist} to the manifest", ref.cell, ref.line)


# -- NBR004-NBR006: randomness ---------------------------------------------------------------------

LIB_LABEL = {"random": "random", "numpy": "numpy", "torch": "torch", "tensorflow": "tensorflow"}
LIB_FIX = {
    "random": "call random.seed(SEED) first",
    "numpy": "call np.random.seed(SEED) or use rng = np.random.default_rng(SEED) first",
    "torch": "call torch.manual_seed(SEED) first",
    "tensorflow": "call tf.random.set_seed(SEED) first",
}
ALL_LIBS = frozenset(LIB_LABEL)

SEEDERS: dict[str, frozenset[str]] = {
    "random.seed": frozenset({"random"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed_all": frozenset({"torch"}),
    "tensorflow.random.set_seed": frozenset({"tensorflow"}),
    "tensorflow.set_random_seed": frozenset({"tensorflow"}),
    "tensorflow.compat.v1.set_random_seed": frozenset({"tensorflow"}),
    "tensorflow.keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "tf_keras.utils.set_random_seed": frozenset({"random", "numpy", "tensorflow"}),
    "lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "lightning.pytorch.seed_everything": frozenset({"random", "numpy", "torch"}),
    "pytorch_lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "transformers.set_seed": frozenset({"random", "numpy", "torch", "tensorflow"}),
    "accelerate.utils.set_seed": frozenset({"random", "numpy", "torch"}),
}
PY_RANDOM = frozenset({
    "random", "randint", "choice", "choices", "shuffle", "sample", "uniform", "gauss", "randrange",
    "normalvariate", "betavariate", "expovariate", "triangular", "getrandbits", "randbytes",
    "lognormvariate", "vonmisesvariate", "gammavariate", "paretovariate", "weibullvariate",
    "binomialvariate"})
NP_NOT_GLOBAL = frozenset({
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "PCG64", "PCG64DXSM", "MT19937",
    "Philox", "SFC64", "BitGenerator", "get_state", "set_state", "get_bit_generator", "set_bit_generator"})
NP_GENERATORS = frozenset({"default_rng", "RandomState", "Generator", "PCG64", "PCG64DXSM", "MT19937",
                           "Philox", "SFC64"})
TORCH_RANDOM = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "bernoulli", "multinomial", "poisson"})
TF_RANDOM = frozenset({"uniform", "normal", "shuffle", "truncated_normal", "categorical", "gamma", "poisson",
                       "random_uniform", "random_normal", "random_shuffle"})
SKLEARN_RANDOM = frozenset({
    "train_test_split", "ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit", "RepeatedKFold",
    "RepeatedStratifiedKFold", "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
    "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor", "DecisionTreeClassifier",
    "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor", "KMeans", "MiniBatchKMeans",
    "BisectingKMeans", "TruncatedSVD", "TSNE", "MLPClassifier", "MLPRegressor", "SGDClassifier",
    "SGDRegressor", "IsolationForest", "BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier",
    "AdaBoostRegressor", "GaussianMixture", "BayesianGaussianMixture", "NMF", "LatentDirichletAllocation",
    "make_classification", "make_regression", "make_blobs", "make_moons", "make_circles",
    "make_multilabel_classification", "shuffle", "resample", "permutation_importance",
    "RandomizedSearchCV", "SpectralClustering", "RandomTreesEmbedding", "SpectralEmbedding",
    "permutation_test_score", "learning_curve", "Perceptron", "PassiveAggressiveClassifier",
    "RANSACRegressor", "IterativeImputer", "MDS", "FastICA", "MiniBatchDictionaryLearning",
    "DictionaryLearning", "SparseRandomProjection", "GaussianRandomProjection", "RBFSampler", "Nystroem",
})
SKLEARN_SHUFFLE_ONLY = frozenset({"KFold", "StratifiedKFold", "StratifiedGroupKFold"})
_RNG_CTORS = ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
              "random.Random", "torch.Generator", "tensorflow.random.Generator")
_RNG_NAME = _lazy_re(r"(^|_)(rng|rs|random_state|generator|gen|prng)(\d*)$", re.IGNORECASE)


@dataclass
class _Event:
    kind: str  # "seed" | "global" | "call" | "always"
    libs: frozenset
    cell: object
    line: int
    message: str = ""
    order: tuple = ()


def _random_events(nb) -> list[_Event]:
    """Seeding and random-use events in execution order (calls of notebook functions inlined)."""
    cache = nb.__dict__.setdefault("_nbkit_repro", {})
    if "random_events" in cache:
        return cache["random_events"]
    an = analysis(nb)
    tf_imported = "tensorflow" in an.imported or "keras" in an.imported
    rng_vars: set[str] = set()
    for ci in an.calls:
        if ci.qual in _RNG_CTORS or (ci.qual or "").startswith("numpy.random.") and ci.method in NP_GENERATORS:
            parent = ci.parents[-1] if ci.parents else None
            if isinstance(parent, (ast.Assign, ast.AnnAssign)):
                for t in (parent.targets if isinstance(parent, ast.Assign) else [parent.target]):
                    if isinstance(t, ast.Name):
                        rng_vars.add(t.id)
                    elif isinstance(t, ast.Attribute):
                        rng_vars.add(t.attr)
    by_func: dict[str, list[tuple[CallInfo, list[tuple[str, frozenset, str]]]]] = {}
    top: list[tuple[CallInfo, list[tuple[str, frozenset, str]]]] = []
    for ci in an.calls:
        evs = _classify(ci, rng_vars, tf_imported)
        if ci.in_function is not None:
            by_func.setdefault(ci.in_function, []).append((ci, evs))
        else:
            top.append((ci, evs))
    events: list[_Event] = []

    def emit(ci: CallInfo, evs, site: CallInfo, depth: int, via: str | None):
        line = site.node.lineno
        for kind, libs, msg in evs:
            if via:
                msg = f"{msg} (inside {via}())" if kind != "seed" else msg
            events.append(_Event(kind, libs, site.cell, line, msg, (site.cell.index, line)))
        if depth < 4 and isinstance(ci.node.func, ast.Name) and ci.node.func.id in by_func \
                and ci.node.func.id != ci.in_function:
            for inner, inner_evs in by_func[ci.node.func.id]:
                emit(inner, inner_evs, site, depth + 1, ci.node.func.id)

    try:
        for ci, evs in top:
            emit(ci, evs, ci, 0, None)
    finally:
        emit = None  # it refers to itself through its closure: break that cycle (see analysis)
    cache["random_events"] = events
    return events


def _classify(ci: CallInfo, rng_vars: set[str], tf_imported: bool) -> list[tuple[str, frozenset, str]]:
    """What one call does to random state: [("seed"|"global"|"call"|"always", libs, message)]."""
    node, q = ci.node, ci.qual
    magic = ci.magic
    if magic is not None:
        kind, name, args = magic
        if kind == "line" and name == "nbkit" and args.split()[:1] == ["seed"]:
            return [("seed", ALL_LIBS, "")]
        if kind == "line" and name == "run":
            return [("seed", ALL_LIBS, "")]  # %run setup.py may seed anything: stay quiet
        return []
    if q:
        if q in SEEDERS:
            return [("seed", SEEDERS[q], "")]
        if q.startswith("numpy.random."):
            fn = q[len("numpy.random."):]
            if fn in NP_GENERATORS:
                seed = node.args[0] if node.args else _kw(node, "seed", "bit_generator")
                if fn != "Generator" and (seed is None or _is_none(seed)):
                    return [("always", frozenset({"numpy"}),
                             f"{ci.text}() without a seed gives different numbers on every run; "
                             f"pass one: {ci.text}(SEED)")]
                return []
            if fn not in NP_NOT_GLOBAL and "." not in fn:
                return [("global", frozenset({"numpy"}), f"{ci.text} is used before numpy is seeded")]
            return []
        if q.startswith("random."):
            fn = q[len("random."):]
            if fn in PY_RANDOM:
                return [("global", frozenset({"random"}), f"{ci.text} is used before random is seeded")]
            if fn == "Random" and not node.args and _kw(node, "x") is None:
                return [("always", frozenset({"random"}),
                         f"{ci.text}() without a seed gives different numbers on every run; pass one: {ci.text}(SEED)")]
            return []
        if q.startswith("scipy.stats.") and ci.method == "rvs":
            rs = _kw(node, "random_state")
            if rs is not None and not _is_none(rs):
                return []
            return [("call", frozenset({"numpy"}),
                     f"{ci.text}(...) draws without random_state before numpy is seeded; pass random_state=SEED")]
        if q in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"):
            shuffle = _kw(node, "shuffle")
            if isinstance(shuffle, ast.Constant) and shuffle.value is True and _kw(node, "generator") is None:
                return [("call", frozenset({"torch"}),
                         f"{ci.text}(shuffle=True) shuffles before torch is seeded; call torch.manual_seed(SEED) "
                         "first or pass generator=torch.Generator().manual_seed(SEED)")]
            return []
        if q.startswith("torch."):
            fn = q[len("torch."):]
            if _kw(node, "generator") is not None:
                return []
            if fn in TORCH_RANDOM or fn.startswith("nn.init.") or fn == "utils.data.random_split":
                return [("global", frozenset({"torch"}), f"{ci.text} is used before torch is seeded")]
            return []
        if q.startswith(("tensorflow.", "keras.")):
            fn = q.split(".", 1)[1]
            if fn.startswith("random.") and fn[7:] in TF_RANDOM or fn in TF_RANDOM and fn.startswith("random_"):
                if _kw(node, "seed") is not None and not _is_none(_kw(node, "seed")):
                    return []
                return [("global", frozenset({"tensorflow"}), f"{ci.text} is used before tensorflow is seeded")]
            return []
        last = q.rsplit(".", 1)[-1]
        if q.startswith(("sklearn.", "umap.", "imblearn.")) and (
                last in SKLEARN_RANDOM or last in SKLEARN_SHUFFLE_ONLY or last == "UMAP"):
            if last in SKLEARN_SHUFFLE_ONLY:
                shuffle = _kw(node, "shuffle")
                if not (isinstance(shuffle, ast.Constant) and shuffle.value is True):
                    return []
            rs = _kw(node, "random_state")
            if rs is not None and not _is_none(rs):
                return []
            shuffle = _kw(node, "shuffle")
            if isinstance(shuffle, ast.Constant) and shuffle.value is False:
                return []  # train_test_split(..., shuffle=False) draws nothing
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                return []  # **params may carry random_state
            return [("call", frozenset({"numpy"}),
                     f"{ci.text}(...) takes random_state but none is given and numpy is not seeded before it; "
                     "pass random_state=SEED")]
        return []
    # a method on some object: DataFrame.sample / .shuffle without random_state
    if ci.method in ("sample", "shuffle") and isinstance(node.func, ast.Attribute):
        base_node = node.func.value
        base_name = base_node.attr if isinstance(base_node, ast.Attribute) else (
            base_node.id if isinstance(base_node, ast.Name) else None)
        if base_name and (base_name in rng_vars or _RNG_NAME.search(base_name)):
            return []
        if isinstance(base_node, ast.Call):
            inner = _dotted(base_node.func)
            if inner and inner[-1] in NP_GENERATORS | {"Random", "Generator"}:
                return []
        if _kw(node, "random_state", "seed", "rng", "generator") is not None:
            return []
        if any(k.arg is None for k in node.keywords):
            return []
        if ci.method == "sample" and not node.args and not node.keywords:
            return []  # dist.sample(): not a DataFrame sample
        lib = "tensorflow" if (ci.method == "shuffle" and tf_imported) else "numpy"
        arg = "seed" if lib == "tensorflow" else "random_state"
        return [("call", frozenset({lib}),
                 f"{ci.text}(...) is called without {arg} before {lib} is seeded; pass {arg}=SEED")]
    return []


@rule("NBR004", "unseeded-random", "error",
      "random generators used (random, numpy.random, default_rng(), torch, tensorflow, sklearn "
      "`random_state`-taking calls, `.sample(`/`.shuffle(`) before any seeding call for that library; "
      "`default_rng()` with no seed is itself unseeded")
def unseeded_random(nb, ctx):
    """
    ## What it does
    Follows the cells top-down and reports random numbers drawn before the library that
    produces them is seeded: `random.*` before `random.seed`, numpy's legacy global
    functions (`np.random.rand`, `np.random.normal`, ...) before `np.random.seed`, torch
    before `torch.manual_seed`, tensorflow before `tf.random.set_seed`. `%nbkit seed`
    seeds them all, and so do `keras.utils.set_random_seed`, `lightning.seed_everything`,
    `transformers.set_seed` and your own function that calls the seeding functions.

    Per-call problems are warnings: `np.random.default_rng()` (or `random.Random()`)
    without a seed, scikit-learn calls that take `random_state` but get none
    (`train_test_split`, `RandomForestClassifier`, `KMeans`, `KFold(shuffle=True)`, ...),
    scipy's `dist.rvs(...)`, and `df.sample(...)` / `.shuffle(...)` without `random_state`,
    before numpy is seeded (they fall back on numpy's global state); a shuffling torch
    `DataLoader` before torch is seeded. Use of the global state itself is an error.

    ## Why is this bad?
    Unseeded randomness gives different numbers, splits and models on every run: the
    results in the notebook cannot be reproduced, and re-execution (`nbkit verify`)
    reports mismatches.

    ## Example
    ```python
    import numpy as np
    noise = np.random.normal(size=100)
    X_train, X_test = train_test_split(X)
    ```

    ## Use instead
    ```python
    SEED = 42  # in the parameters cell
    rng = np.random.default_rng(SEED)
    noise = rng.normal(size=100)
    X_train, X_test = train_test_split(X, random_state=SEED)
    ```
    """
    if not _is_python(nb):
        return
    events = _random_events(nb)
    seeded: set[str] = set()
    reported_global: set[str] = set()
    seed_pos: dict[str, tuple] = {}
    for ev in events:
        if ev.kind == "seed":
            for lib in ev.libs:
                seed_pos.setdefault(lib, ev.order)
    for ev in events:
        if ev.kind == "seed":
            seeded |= ev.libs
            continue
        lib = next(iter(ev.libs))
        if ev.kind == "always":
            yield Hit(ev.message, ev.cell, ev.line, severity="warning")
            continue
        if lib in seeded:
            continue
        later = ""
        if lib in seed_pos and seed_pos[lib] > ev.order:
            later = f" (it is seeded only later, in cell {seed_pos[lib][0]})"
        if ev.kind == "global":
            if lib in reported_global:
                continue
            reported_global.add(lib)
            yield Hit(f"{ev.message}; {LIB_FIX[lib]}{later}", ev.cell, ev.line, severity="error")
        else:
            yield Hit(ev.message + later, ev.cell, ev.line, severity="warning")


_SEED_KWARGS = ("random_state", "seed", "random_seed", "rng")


@rule("NBR005", "literal-seed", "info",
      "seeds given as repeated literals instead of one named parameter")
def literal_seed(nb, ctx):
    """
    ## What it does
    Counts seeds written as integer literals (`np.random.seed(42)`, `random_state=42`,
    `default_rng(42)`, `%nbkit seed 42`) and reports them when there is more than one.

    ## Why is this bad?
    A seed repeated as a literal cannot be changed in one place: re-running the analysis
    with another seed (to check results are not a lucky draw) means editing every cell,
    and papermill cannot inject it as a parameter.

    ## Example
    ```python
    np.random.seed(42)
    model = RandomForestClassifier(random_state=42)
    ```

    ## Use instead
    ```python
    SEED = 42  # parameters cell
    np.random.seed(SEED)
    model = RandomForestClassifier(random_state=SEED)
    ```
    """
    if not _is_python(nb):
        return
    found: list[tuple[object, int, int]] = []
    for ci in analysis(nb).calls:
        node = ci.node
        lits: list[ast.AST] = []
        magic = ci.magic
        if magic is not None:
            kind, name, args = magic
            if kind == "line" and name == "nbkit" and re.fullmatch(r"seed\s+\d+", args.strip()):
                found.append((ci.cell, node.lineno, int(args.split()[1])))
            continue
        q = ci.qual or ""
        if q in SEEDERS or (q.startswith("numpy.random.") and ci.method in NP_GENERATORS) or q == "random.Random":
            if node.args:
                lits.append(node.args[0])
        for k in node.keywords:
            if k.arg in _SEED_KWARGS:
                lits.append(k.value)
        for lit in lits:
            if isinstance(lit, ast.Constant) and isinstance(lit.value, int) and not isinstance(lit.value, bool):
                found.append((ci.cell, lit.lineno, lit.value))
    if len(found) < 2:
        return
    cell, line, value = found[1]
    cells = sorted({c.index for c, _, _ in found})
    values = sorted({v for _, _, v in found})
    what = f"seed {values[0]}" if len(values) == 1 else "seeds " + ", ".join(map(str, values[:5])) + (
        ", ..." if len(values) > 5 else "")
    where = (f"cell {cells[0]}" if len(cells) == 1 else "cells " + ", ".join(map(str, cells[:8]))
             + (", ..." if len(cells) > 8 else ""))
    yield Hit(f"{what} written as a literal in {len(found)} places ({where}); "
              "define SEED once in the parameters cell and pass SEED everywhere", cell, line)


_CUDA_STR = _lazy_re(r"^cuda(:\d+)?$")


@rule("NBR006", "nondeterministic-gpu", "info",
      "torch on CUDA without `use_deterministic_algorithms(True)` / `cudnn.benchmark = False`")
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
    if not _is_python(nb):
        return
    an = analysis(nb)
    if "torch" not in an.imported:
        return
    first = None
    for ci in an.calls:
        q = ci.qual or ""
        if q == "torch.use_deterministic_algorithms":
            arg = ci.node.args[0] if ci.node.args else _kw(ci.node, "mode")
            if isinstance(arg, ast.Constant) and arg.value is True:
                return
        if first is None:
            node = ci.node
            if ci.method == "cuda" and not q.startswith("torch.cuda"):
                first = ci
            elif ci.method == "to" or q == "torch.device":
                for a in [*node.args, *(k.value for k in node.keywords)]:
                    if (s := _str_const(a)) and _CUDA_STR.match(s):
                        first = ci
            elif any((s := _str_const(k.value)) and _CUDA_STR.match(s) for k in node.keywords if k.arg == "device"):
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


# -- NBR007, NBR008: the environment ---------------------------------------------------------------

@rule("NBR007", "environment-not-recorded", "warning", "no `metadata.nbkit.environment` (see DESIGN.md)")
def environment_not_recorded(nb, ctx):
    """
    ## What it does
    Checks that the notebook records the environment it was run in, under
    `metadata.nbkit.environment` (Python version, platform, and the versions of the
    distributions the notebook imports), as written by `nbkit pin` or `%nbkit pin`.

    ## Why is this bad?
    Without a record, nobody can tell which versions produced the stored outputs, and
    `nbkit verify` cannot report environment drift.

    ## Example
    A notebook whose metadata holds only `kernelspec` and `language_info`.

    ## Use instead
    Run `nbkit pin analysis.ipynb` (or `%nbkit pin` in the notebook) after a clean run.
    """
    if not _is_python(nb):
        return
    if not _has_code(nb):
        return
    env = nb.nbkit_metadata.get("environment")
    if isinstance(env, dict) and isinstance(env.get("packages"), dict) and env.get("python"):
        return
    detail = "is incomplete" if isinstance(env, dict) else "is not recorded"
    yield Hit(f"the environment (Python and package versions) {detail} in metadata.nbkit.environment; "
              f"run `nbkit pin {shlex.quote(nb.path)}` or `%nbkit pin` after a clean run")


_INSTALLERS = ("pip", "pip3", "conda", "mamba", "micromamba", "uv")
_PIP_ARG_OPTS = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                 "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--python", "-p", "-n",
                 "--name", "--channel", "--platform", "--python-version", "--trusted-host", "--cache-dir",
                 "--src", "--upgrade-strategy", "--progress-bar", "--log", "--proxy", "--timeout",
                 "--retries", "--exists-action", "--config-settings", "--only-binary", "--no-binary"}


def _install_packages(cmd: str) -> tuple[str, list[str], bool] | None:
    """Parse an install command: (tool, package specs, installs from a file) or None."""
    try:
        import shlex

        words = shlex.split(cmd, comments=True)
    except ValueError:
        words = cmd.split()
    for sep in ("&&", ";", "||", "|"):
        if sep in words:
            words = words[: words.index(sep)]
    # strip "python -m", "sys.executable -m", "uv pip"
    while words and (words[0] in ("python", "python3", "sudo", "{sys.executable}", "$PYTHON")
                     or words[0].endswith(("/python", "/python3")) or words[0] == "-m"):
        words = words[1:]
    if not words or os.path.basename(words[0]) not in _INSTALLERS:
        return None
    tool = os.path.basename(words[0])
    rest = words[1:]
    if tool == "uv" and rest[:1] == ["pip"]:
        rest = rest[1:]
    elif tool == "uv" and rest[:1] == ["add"]:
        rest = ["install", *rest[1:]]
    if tool in ("conda", "mamba", "micromamba") and rest[:1] in (["env"],):
        rest = rest[1:]
        if rest[:1] == ["update"]:
            return tool, [], True
    if rest[:1] != ["install"]:
        return None
    pkgs: list[str] = []
    from_file = False
    skip = False
    for w in rest[1:]:
        if skip:
            skip = False
            continue
        if w in ("-r", "--requirement", "--file", "-e", "--editable"):
            from_file = True
            skip = True
            continue
        if w.startswith(("-r", "--requirement=", "--file=")):
            from_file = True
            continue
        if w in _PIP_ARG_OPTS:
            skip = True
            continue
        if w.startswith("-"):
            continue
        pkgs.append(w)
    return tool, pkgs, from_file


def _spec_pinned(tool: str, spec: str) -> bool:
    if spec.startswith((".", "/", "~")) or spec.endswith((".whl", ".tar.gz", ".zip")):
        return True
    if "://" in spec:
        return "@" in spec.split("://", 1)[1]
    if "===" in spec or ("==" in spec and "*" not in spec.split("==", 1)[1]):
        return True
    if tool in ("conda", "mamba", "micromamba"):
        m = re.match(r"^[\w.-]+=([0-9][\w.+!-]*)", spec)
        return bool(m)
    return False


@rule("NBR008", "in-notebook-install", "warning",
      "`!pip install`, `%pip install`, conda/mamba/uv installs; error when unpinned")
def in_notebook_install(nb, ctx):
    """
    ## What it does
    Reports package installs run from inside the notebook: `!pip install`, `%pip install`,
    `!conda install`, `%mamba install`, `!uv pip install`, `%%bash` cells that install,
    and `subprocess` calls running pip. A warning when every package is pinned to an exact
    version, an error when any is not.

    ## Why is this bad?
    The notebook changes its own environment while it runs: the environment is no longer
    described by the manifest, the install may fail offline, and an unpinned install gets a
    different version every time.

    ## Example
    ```python
    %pip install pandas scikit-learn
    ```

    ## Use instead
    Declare the packages in the project's manifest (`requirements.txt`:
    `pandas==2.2.3`) and install the environment before starting Jupyter.
    """
    if not _is_python(nb):
        return
    for ci in analysis(nb).calls:
        node = ci.node
        commands: list[tuple[str, int]] = []
        magic = ci.magic
        if magic is not None:
            kind, name, args = magic
            if kind == "line" and name in _INSTALLERS:
                commands.append((f"{name} {args}", node.lineno))
            elif kind == "system":
                commands.append((args, node.lineno))
            elif kind == "cell" and name in ("bash", "sh", "script", "system"):
                body = args.split("\n", 1)[1] if "\n" in args else ""
                for i, ln in enumerate(body.splitlines(), start=node.lineno + 1):
                    commands.append((ln, i))
        elif ci.qual in ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                         "subprocess.Popen", "os.system"):
            arg = node.args[0] if node.args else None
            if isinstance(arg, (ast.List, ast.Tuple)):
                words = []
                for e in arg.elts:
                    s = _str_const(e)
                    words.append(s if s is not None else "{sys.executable}" if _text(e) == "sys.executable" else "?")
                commands.append((" ".join(words), node.lineno))
            elif (s := _str_const(arg)) is not None:
                commands.append((s, node.lineno))
        for cmd, line in commands:
            parsed = _install_packages(cmd.strip())
            if parsed is None:
                continue
            tool, pkgs, from_file = parsed
            shown = cmd.strip() if len(cmd.strip()) <= 60 else cmd.strip()[:59] + "…"
            loose = [p for p in pkgs if not _spec_pinned(tool, p)]
            if loose:
                yield Hit(f"`{shown}` installs unpinned packages ({', '.join(loose[:5])}) from inside the notebook; "
                          "declare them with exact versions in the project's manifest instead",
                          ci.cell, line, severity="error")
            elif pkgs or from_file:
                yield Hit(f"`{shown}` installs packages from inside the notebook; declare them in the "
                          "project's manifest and install the environment before running", ci.cell, line,
                          severity="warning")


# -- NBR009, NBR010: paths and the working directory ------------------------------------------------

_ABS_PATH = _lazy_re(
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
      "`~/`, `file:///`, UNC", options={"allow": []})
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
    if not _is_python(nb):
        return
    allow = tuple(_str_list(ctx.options.get("allow")))
    for cell, node in analysis(nb).strings:
        value = node.value
        m = _ABS_PATH.search(value)
        if m is None:
            continue
        snippet = _path_snippet(value, m.start())
        if allow and snippet.startswith(allow):
            continue
        yield Hit(f"absolute, machine-specific path {snippet!r} will not exist on another machine; "
                  "use a path relative to the notebook or a parameter", cell,
                  _line_in_string(node, value, m.start()))


@rule("NBR010", "cwd-or-syspath-hack", "warning", "`os.chdir`, `%cd`, `sys.path.append/insert`")
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
    if not _is_python(nb):
        return
    for ci in analysis(nb).calls:
        node = ci.node
        magic = ci.magic
        if magic is not None:
            kind, name, _ = magic
            if kind == "line" and name in ("cd", "pushd", "popd"):
                yield Hit(f"%{name} changes the working directory; write paths relative to the notebook's folder "
                          "instead", ci.cell, node.lineno)
            continue
        q = ci.qual or ""
        if q in ("os.chdir", "os.fchdir"):
            yield Hit(f"{ci.text}() changes the working directory; write paths relative to the notebook's folder "
                      "instead", ci.cell, node.lineno)
        elif q in ("sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"):
            yield Hit(f"{ci.text}() changes the import path; install the code as a package (pip install -e .) "
                      "instead", ci.cell, node.lineno)
    for cell, node in analysis(nb).nodes(ast.Assign, ast.AugAssign):
        target = node.target if isinstance(node, ast.AugAssign) else (
            node.targets[0] if len(node.targets) == 1 else None)
        if target is not None and _dotted(target) == ["sys", "path"]:
            yield Hit("sys.path is modified; install the code as a package (pip install -e .) instead",
                      cell, node.lineno)


# -- NBR011: use before definition ---------------------------------------------------------------

IPYTHON_NAMES = frozenset({
    "get_ipython", "display", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh",
    "exit", "quit", "_exit_code",
    # names injected by common hosted notebook environments
    "spark", "sc", "sqlContext", "dbutils", "displayHTML",
})
_AUTOMAGIC = frozenset({
    "ls", "pwd", "cd", "who", "whos", "who_ls", "env", "history", "clear", "reset", "lsmagic", "magic", "pdb",
    "debug", "alias", "bookmark", "dhist", "dirs", "popd", "pushd", "rehashx", "autosave", "config", "xmode",
    "colors", "quickref", "precision", "pprint", "tb", "recall", "rerun", "mkdir", "rmdir", "cat", "cp", "mv", "rm",
    "less", "more", "man", "ldir", "lf", "lk", "ll", "lx", "load_ext", "matplotlib", "pylab", "doctest_mode"})
_IPY_NUMBERED = _lazy_re(r"^_i?\d+$")
_DYNAMIC_NAMES = _lazy_re(r"import\s+\*|%run\b|%store\s+-r|\bexec\(|\bglobals\(\)|%pylab")
_NAME_GUARDS = frozenset({"globals", "locals", "dir", "vars"})


def _pattern_names(p: ast.AST) -> list[str]:
    out = []
    for n in ast.walk(p):
        if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            out.append(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            out.append(n.rest)
    return out


def _arg_names(args: ast.arguments) -> list[str]:
    out = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    out += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return out


_SKIP_FIELDS = frozenset({"annotation", "returns", "type_comment"})


def _walk_body(node: ast.AST):
    """Walk what runs when a function body runs: skips annotations (forward references) and
    the bodies of nested functions and lambdas (they run later, if at all), but yields the
    nested definitions themselves.  Leaf nodes (contexts, operators, import aliases) are not
    yielded: _function_summary has nothing to do with them."""
    stack = [node]
    leaves = _LEAVES
    while stack:
        n = stack.pop()
        yield n
        t = type(n)
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            stack.extend(n.decorator_list)
            stack.extend(n.args.defaults)
            stack.extend(d for d in n.args.kw_defaults if d is not None)
            continue
        if t is ast.Lambda:
            stack.extend(n.args.defaults)
            stack.extend(d for d in n.args.kw_defaults if d is not None)
            continue
        for name in n._fields:  # ast.iter_fields, without its generator's overhead
            if name in _SKIP_FIELDS:
                continue
            value = getattr(n, name, None)
            if type(value) is list:
                for v in value:
                    if isinstance(v, ast.AST) and type(v) not in leaves:
                        stack.append(v)
            elif isinstance(value, ast.AST) and type(value) not in leaves:
                stack.append(value)


# node types _function_summary has nothing to do with (none of them is a subclass of the types it handles)
_SUMMARY_SKIP = frozenset({ast.Constant, ast.Attribute, ast.Subscript, ast.Expr, ast.Assign, ast.BinOp,
                           ast.Compare, ast.Return, ast.Load, ast.Store, ast.keyword, ast.comprehension,
                           ast.ListComp, ast.GeneratorExp, ast.Tuple, ast.List, ast.Dict, ast.JoinedStr,
                           ast.FormattedValue, ast.Slice, ast.BoolOp, ast.UnaryOp, ast.If, ast.For})


@dataclass
class _Func:
    free: frozenset  # global names the body reads
    assigns_global: frozenset  # names it binds through `global`
    called: frozenset = frozenset()  # names it calls: f() -> g() is followed, a mere reference is not


def _function_summary(body: list[ast.AST], params: list[str]) -> _Func:
    """Global names a function body reads when it runs (lenient: anything bound anywhere in
    it is local, names it assigns through `global` are not reported)."""
    local = set(params)
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    loads: set[str] = set()
    stores: set[str] = set()
    called: set[str] = set()
    for stmt in body:
        for n in _walk_body(stmt):
            t = type(n)
            if t is ast.Name:  # the commonest node first
                (loads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
                continue
            if t is ast.Call:
                if isinstance(n.func, ast.Name):
                    called.add(n.func.id)
                continue
            if t in _SUMMARY_SKIP:
                continue
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for a in n.names:
                    stores.add(a.asname or a.name.split(".")[0])
            elif isinstance(n, ast.ExceptHandler) and n.name:
                stores.add(n.name)
            elif isinstance(n, ast.Global):
                declared_global.update(n.names)
            elif isinstance(n, ast.Nonlocal):
                declared_nonlocal.update(n.names)
            elif isinstance(n, ast.match_case):
                stores.update(_pattern_names(n.pattern))
    assigns_global = stores & declared_global
    local |= (stores - declared_global) | declared_nonlocal | assigns_global
    free = frozenset(loads - local)
    return _Func(free, frozenset(assigns_global), frozenset(called) & free)


_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp})


class _DefUse:
    """Top-down name resolution over the cells (what a fresh Restart & Run All would do)."""

    def __init__(self, nb, known: frozenset = frozenset()):
        self.nb = nb
        self.known_names = known
        self.defined: dict[str, tuple[int, int]] = {}  # module-level names bound so far
        self.first_def: dict[str, tuple[int, int]] = {}
        self.deleted: dict[str, tuple[int, int]] = {}
        self.functions: dict[str, _Func] = {}
        self.scopes: list[set[str]] = []  # class bodies, comprehensions, lambdas
        self.quiet = False  # after a star import, %run, exec(...): names may come from anywhere
        self.quiet_at: tuple[int, int] | None = None
        self.suppress = 0  # reads guarded by try/except NameError or `if 'x' in globals()`
        self.cell = None
        self.reports: list[tuple] = []  # (kind, name, cell, line, extra)
        self.reported: set = set()
        self.checked: set = set()

    # -- bookkeeping --
    def pos(self, node) -> tuple[int, int]:
        return (self.cell.index, getattr(node, "lineno", 1))

    def go_quiet(self, node):
        if not self.quiet:
            self.quiet = True
            self.quiet_at = self.pos(node)

    def bind(self, name: str, node, is_function: _Func | None = None):
        if self.scopes:
            self.scopes[-1].add(name)
            return
        p = self.pos(node)
        self.defined[name] = p
        self.first_def.setdefault(name, p)
        self.deleted.pop(name, None)
        if is_function is not None:
            self.functions[name] = is_function
        else:
            self.functions.pop(name, None)

    def known(self, name: str) -> bool:
        if name in self.defined:
            return True
        for s in self.scopes:
            if name in s:
                return True
        return False

    def special(self, name: str) -> bool:
        return (name in _BUILTINS or name in self.known_names or name in IPYTHON_NAMES
                or _IPY_NUMBERED.match(name) is not None or (name.startswith("__") and name.endswith("__")))

    def read(self, name: str, node, called: bool = False):
        if self.known(name):
            if called and name in self.functions and not any(name in s for s in self.scopes):
                self.check_function(name, node, (name,))
            return
        if self.special(name) or self.quiet or self.suppress:
            return
        if name in self.reported:
            return
        self.reported.add(name)
        kind = "deleted" if name in self.deleted else "undefined"
        self.reports.append((kind, name, self.cell, getattr(node, "lineno", None), self.deleted.get(name)))

    def check_function(self, fname: str, node, chain: tuple):
        """A function is used: the names its body reads must exist now."""
        func = self.functions[fname]
        for name in sorted(func.free):
            if name in self.defined:
                if name in func.called and name in self.functions and name not in chain and len(chain) < 6:
                    self.check_function(name, node, chain + (name,))
                continue
            if self.special(name) or self.quiet or self.suppress:
                continue
            key = (chain[0], name)
            if key in self.checked:
                continue
            self.checked.add(key)
            self.reports.append(("body", name, self.cell, getattr(node, "lineno", None), chain))
        for g in func.assigns_global:  # `global g; g = ...` in the body binds g when it runs
            if g not in self.defined:
                self.defined[g] = self.pos(node)
                self.first_def.setdefault(g, self.pos(node))
                self.deleted.pop(g, None)

    # -- statements --
    def run(self):
        for cell in self.nb.cells:
            if not cell.is_code:
                continue
            self.cell = cell
            tree = cell.tree
            if tree is None:
                if cell.syntax_error is not None:  # unknown bindings: assume every word is bound
                    if _DYNAMIC_NAMES.search(cell.source) and not self.quiet:
                        self.quiet, self.quiet_at = True, (cell.index, 1)
                    for w in set(re.findall(r"[A-Za-z_]\w*", cell.source)):
                        self.defined.setdefault(w, (cell.index, 1))
                        self.first_def.setdefault(w, (cell.index, 1))
                continue
            for stmt in tree.body:
                self.stmt(stmt, top=True)
        return self.reports

    def body(self, stmts):
        for s in stmts:
            self.stmt(s)

    def stmt(self, s, top: bool = False):  # noqa: C901 - one branch per statement type
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Name) and s.value.id in _AUTOMAGIC:
                return  # `ls`, `pwd`, `who` on their own line: IPython's automagic runs %ls
            self.expr(s.value)
        elif isinstance(s, ast.Assign):
            if (isinstance(s.value, ast.Lambda) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                    and not self.scopes):
                for d in s.value.args.defaults + [d for d in s.value.args.kw_defaults if d]:
                    self.expr(d)
                self.bind(s.targets[0].id, s,
                          _function_summary([ast.Expr(s.value.body)], _arg_names(s.value.args)))
                return
            self.expr(s.value)
            for t in s.targets:
                self.target(t)
        elif isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Name):
                self.expr(s.value)
                self.read(s.target.id, s.target)
                self.bind(s.target.id, s)
            else:
                self.expr(s.value)
                self.target(s.target)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.expr(s.value)
                self.target(s.target)
            elif not isinstance(s.target, ast.Name):
                self.target(s.target)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.expr(s.iter)
            self.target(s.target)
            self.body(s.body)
            self.body(s.orelse)
        elif isinstance(s, ast.While):
            self.expr(s.test)
            self.body(s.body)
            self.body(s.orelse)
        elif isinstance(s, ast.If):
            guarded = self.guard_test(s.test)
            self.expr(s.test)
            self.suppress += guarded
            self.body(s.body)
            self.body(s.orelse)
            self.suppress -= guarded
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.body(s.body)
        elif isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            guarded = any(self.catches_name_error(h) for h in s.handlers)
            self.suppress += guarded
            self.body(s.body)
            self.suppress -= guarded
            for h in s.handlers:
                if h.type is not None:
                    self.expr(h.type)
                if h.name:
                    self.bind(h.name, h)
                self.body(h.body)
            self.body(s.orelse)
            self.body(s.finalbody)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in s.decorator_list:
                self.expr(d)
            for d in s.args.defaults + [d for d in s.args.kw_defaults if d]:
                self.expr(d)
            summary = _function_summary(s.body, _arg_names(s.args)) if not self.scopes else None
            self.bind(s.name, s, summary)
        elif isinstance(s, ast.ClassDef):
            for e in (*s.decorator_list, *s.bases, *(k.value for k in s.keywords)):
                self.expr(e)
            self.scopes.append(set())
            self.body(s.body)
            self.scopes.pop()
            self.bind(s.name, s)
        elif isinstance(s, (ast.Return,)):
            if s.value is not None:
                self.expr(s.value)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Name):
                    if top and not self.scopes and t.id in self.defined:
                        self.read(t.id, t)
                        del self.defined[t.id]
                        self.functions.pop(t.id, None)
                        self.deleted[t.id] = self.pos(s)
                    else:
                        self.read(t.id, t)
                else:
                    self.target(t)
        elif isinstance(s, ast.Import):
            for a in s.names:
                self.bind(a.asname or a.name.split(".")[0], s)
        elif isinstance(s, ast.ImportFrom):
            for a in s.names:
                if a.name == "*":
                    self.go_quiet(s)
                else:
                    self.bind(a.asname or a.name, s)
        elif isinstance(s, ast.Assert):
            self.expr(s.test)
            if s.msg is not None:
                self.expr(s.msg)
        elif isinstance(s, ast.Raise):
            for e in (s.exc, s.cause):
                if e is not None:
                    self.expr(e)
        elif isinstance(s, ast.Match):
            self.expr(s.subject)
            for case in s.cases:
                for n in ast.walk(case.pattern):
                    if isinstance(n, ast.MatchValue):
                        self.expr(n.value)
                    elif isinstance(n, ast.MatchClass):
                        self.expr(n.cls)
                for name in _pattern_names(case.pattern):
                    self.bind(name, case.pattern)
                if case.guard is not None:
                    self.expr(case.guard)
                self.body(case.body)
        # Global, Nonlocal, Pass, Break, Continue: nothing to resolve

    @staticmethod
    def catches_name_error(h: ast.ExceptHandler) -> bool:
        if h.type is None:
            return True
        names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
        return any(isinstance(n, ast.Name) and n.id in ("NameError", "Exception", "BaseException") for n in names)

    @staticmethod
    def guard_test(test: ast.AST) -> int:
        for n in ast.walk(test):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _NAME_GUARDS | {"hasattr"}:
                return 1
        return 0

    # -- targets and expressions --
    def target(self, t):
        if isinstance(t, ast.Name):
            self.bind(t.id, t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self.target(e)
        elif isinstance(t, ast.Starred):
            self.target(t.value)
        elif isinstance(t, ast.Subscript):
            if isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Name) \
                    and t.value.func.id in ("globals", "locals", "vars"):
                self.go_quiet(t)
            self.expr(t.value)
            self.expr(t.slice)
        elif isinstance(t, ast.Attribute):
            self.expr(t.value)

    def expr(self, e):  # noqa: C901
        if e is None:
            return
        t = type(e)
        if t is ast.Name:
            if isinstance(e.ctx, ast.Load):
                self.read(e.id, e)
            return
        if t is ast.Constant:
            return  # no sub-expressions
        if t is ast.NamedExpr:
            self.expr(e.value)
            self.bind_walrus(e.target.id, e)
            return
        if t is ast.Lambda:  # the body runs later, maybe after more cells: not checked
            for d in e.args.defaults + [d for d in e.args.kw_defaults if d]:
                self.expr(d)
            return
        if t in _COMPREHENSIONS:
            gens = e.generators
            self.expr(gens[0].iter)
            self.scopes.append(set())
            for i, g in enumerate(gens):
                if i:
                    self.expr(g.iter)
                self.target(g.target)
                for cond in g.ifs:
                    self.expr(cond)
            if isinstance(e, ast.DictComp):
                self.expr(e.key)
                self.expr(e.value)
            else:
                self.expr(e.elt)
            self.scopes.pop()
            return
        if t is ast.Call:
            self.call(e)
            if type(e.func) is ast.Name:  # f(...): the body of a notebook function runs now
                self.read(e.func.id, e.func, called=True)
                for a in e.args:
                    self.expr(a)
                for k in e.keywords:
                    self.expr(k.value)
                return
        expr = self.expr
        for name in e._fields:  # ast.iter_child_nodes, without its generators' overhead
            value = getattr(e, name, None)
            for child in (value if type(value) is list else (value,)):
                tc = type(child)
                if tc is ast.Constant:
                    continue
                if tc is ast.Name:
                    if isinstance(child.ctx, ast.Load):
                        self.read(child.id, child)
                elif isinstance(child, ast.expr):
                    expr(child)
                elif tc is ast.keyword:
                    expr(child.value)

    def bind_walrus(self, name: str, node):
        # a walrus in a comprehension binds in the enclosing (module) scope
        saved = self.scopes
        self.scopes = []
        self.bind(name, node)
        self.scopes = saved

    def call(self, e: ast.Call):
        f = e.func
        if isinstance(f, ast.Name) and f.id in ("exec", "execfile"):
            self.go_quiet(e)
            return
        if isinstance(f, ast.Attribute) and f.attr in ("update", "setdefault", "__setitem__", "push"):
            v = f.value
            if (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("globals", "locals",
                                                                                            "vars", "get_ipython")) \
                    or (isinstance(v, ast.Attribute) and v.attr == "user_ns"):
                self.go_quiet(e)
                return
        magic = _magic(e)
        if magic is None:
            return
        kind, name, args = magic
        words = args.split("\n", 1)[0].split()
        if kind == "line":
            if name in ("run", "pylab", "load"):
                self.go_quiet(e)
            elif name == "store" and words[:1] == ["-r"]:
                if len(words) == 1:
                    self.go_quiet(e)
                for w in words[1:]:
                    self.bind(w, e)
            elif name in ("R", "Rpull", "octave") and "-o" in words:
                for w in words[words.index("-o") + 1:][:1]:
                    for v in w.split(","):
                        self.bind(v, e)
            elif name == "sql" and "<<" in words:
                self.bind(words[0], e)
        elif kind == "cell":
            if name == "capture":
                names = [w for w in words if not w.startswith("-")]
                if names:
                    self.bind(names[-1], e)
            elif name in ("bash", "sh", "script", "system", "python", "python3"):
                for opt in ("--out", "--err", "--proc"):
                    if opt in words and words.index(opt) + 1 < len(words):
                        self.bind(words[words.index(opt) + 1], e)
            elif name == "R" and "-o" in words:
                for w in words[words.index("-o") + 1:][:1]:
                    for v in w.split(","):
                        self.bind(v, e)
            elif name == "sql" and "<<" in words:
                self.bind(words[0], e)


def _where(pos: tuple[int, int] | None) -> str:
    return f"cell {pos[0]}, line {pos[1]}" if pos else "?"


@rule("NBR011", "use-before-definition", "error",
      "top-down: a name is read before any earlier cell binds it (not a builtin or IPython name); "
      "this is what breaks Restart & Run All", options={"known-names": []})
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
    names may then come from anywhere.

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
    if not _is_python(nb):
        return
    du = _DefUse(nb, frozenset(_str_list(ctx.options.get("known-names"))))
    for kind, name, cell, line, extra in du.run():
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


# -- data: NBR012, NBR013, NBR016 -----------------------------------------------------------------

REMOTE = _lazy_re(r"^(?:https?|ftp|sftp|s3|s3a|gs|gcs|az|abfs|abfss|adl|hdfs|hf|wasbs?)://", re.IGNORECASE)
READ_FUNCS = frozenset({
    "read_csv", "read_table", "read_parquet", "read_json", "read_excel", "read_feather", "read_pickle",
    "read_hdf", "read_orc", "read_fwf", "read_xml", "read_stata", "read_sas", "read_spss", "read_file",
    "scan_csv", "scan_parquet", "scan_ndjson", "scan_ipc", "read_ndjson", "read_ipc", "read_avro",
    "read_delta", "read_csv_auto", "load", "loadtxt", "genfromtxt", "fromfile", "imread", "open_dataset",
    "open_mfdataset", "open_zarr", "load_workbook", "ExcelFile", "open", "read_image", "load_model",
    "load_img", "read_shapefile", "read_dataframe", "load_npz", "mmread", "loadmat",
})
REMOTE_READ_FUNCS = READ_FUNCS | frozenset({
    "get", "urlopen", "urlretrieve", "retrieve", "fetch", "download", "get_file", "Request",
    "load_state_dict_from_url", "download_url", "cached_download", "hf_hub_download", "read_html"})
_PATH_KWARGS = ("filepath_or_buffer", "path", "fname", "file", "filename", "io", "source", "path_or_buf",
                "filepath", "url", "origin", "uri", "fp", "path_or_paths", "urlpath")
_HASH_KWARGS = ("known_hash", "file_hash", "md5", "sha256", "hash", "checksum", "expected_hash", "hash_prefix",
                "md5_hash", "sha256_hash")
WRITE_METHODS = frozenset({
    "to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_pickle", "to_hdf", "to_netcdf",
    "to_zarr", "to_orc", "to_xml", "to_stata", "to_html", "to_latex", "to_markdown", "savefig", "save",
    "savez", "savez_compressed", "savetxt", "dump", "write_text", "write_bytes", "write_csv", "write_parquet",
    "write_json", "write_ipc", "write_delta", "write_excel", "urlretrieve", "download", "retrieve",
    "makedirs", "mkdir", "copy", "copyfile", "copy2", "copytree", "move", "rename", "replace", "extractall",
    "unpack_archive", "to_file", "imwrite", "imsave", "write", "save_model", "save_weights", "fetch",
    "hf_hub_download", "download_url", "get_file", "exists", "isfile", "isdir", "is_file", "is_dir", "touch",
    "symlink_to", "write_image", "write_html",
})
DB_WRITE_METHODS = frozenset({"to_sql", "to_gbq", "insert_rows", "insert_rows_json", "load_table_from_dataframe",
                              "write_pandas", "insert_many", "insert_one", "update_one", "update_many",
                              "delete_one", "delete_many", "bulk_write", "replace_one"})
STORE_WRITE_METHODS = frozenset({"upload_file", "upload_fileobj", "put_object", "copy_object", "delete_object",
                                 "delete_objects", "put_item", "batch_write_item", "upload_blob",
                                 "upload_from_filename", "upload_from_string", "upload_from_file",
                                 "upload_folder", "upload_large_folder", "push_to_hub", "create_repo"})
_SQL_WRITE = _lazy_re(r"^\s*(insert|update|delete|create|drop|alter|truncate|merge|replace|grant|upsert)\b",
                        re.IGNORECASE)
_PATH_CTORS = frozenset({"Path", "PurePath", "PosixPath", "WindowsPath", "pathlib.Path", "pathlib.PurePath",
                         "pathlib.PosixPath", "os.path.join", "posixpath.join", "os.path.expanduser"})


def _consts(nb) -> dict[str, list[tuple[tuple[int, int], str | None]]]:
    """Top-level ``NAME = <constant path>`` assignments, in order, for resolving ``read_csv(PATH)``."""
    cache = nb.__dict__.setdefault("_nbkit_repro", {})
    if "consts" in cache:
        return cache["consts"]
    out: dict[str, list] = {}
    bindings: dict[str, str] = {}

    def lookup(name, order):
        vals = out.get(name)
        if not vals:
            return None
        best = None
        for o, v in vals:
            if o < order:
                best = v
        return best

    for cell in nb.cells:
        tree = cell.tree
        if tree is None:
            continue
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                _bind_import(stmt, bindings)
            if isinstance(stmt, ast.Assign):
                order = (cell.index, stmt.lineno)
                value = _eval_path(stmt.value, lambda n, o=order: lookup(n, o), bindings)
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, []).append((order, value))
    cache["consts"] = out
    cache["consts_lookup"] = lookup
    cache["bindings"] = bindings
    return out


def _eval_path(node, lookup, bindings) -> str | None:
    """Fold a path expression made of literals: "a", PATH, Path("a") / "b", os.path.join("a", "b"), f"a/{X}"."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and v.format_spec is None:
                inner = _eval_path(v.value, lookup, bindings)
                if inner is None:
                    return None
                parts.append(inner)
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        left = _eval_path(node.left, lookup, bindings)
        right = _eval_path(node.right, lookup, bindings)
        if left is None or right is None:
            return None
        return (left.rstrip("/") + "/" + right) if isinstance(node.op, ast.Div) else left + right
    if isinstance(node, ast.Call) and not node.keywords:
        parts = _dotted(node.func)
        if not parts:
            return None
        q = ".".join([bindings.get(parts[0], parts[0]), *parts[1:]])
        if q in _PATH_CTORS or parts[-1] in ("Path", "PurePath"):
            vals = [_eval_path(a, lookup, bindings) for a in node.args]
            if not vals or any(v is None for v in vals):
                return None
            return "/".join(v.rstrip("/") for v in vals[:-1]) + ("/" if len(vals) > 1 else "") + vals[-1] \
                if len(vals) > 1 else vals[0]
    return None


def _call_paths(nb, ci: CallInfo, positions: tuple[int, ...] | None = (0,)) -> list[tuple[str, ast.AST]]:
    """Constant path arguments of a call (first positional and the usual path keywords)."""
    _consts(nb)
    cache = nb.__dict__["_nbkit_repro"]
    order = (ci.cell.index, ci.node.lineno)
    lookup = lambda n: cache["consts_lookup"](n, order)  # noqa: E731
    args = list(ci.node.args) if positions is None else [ci.node.args[i] for i in positions
                                                         if i < len(ci.node.args)]
    args += [k.value for k in ci.node.keywords if k.arg in _PATH_KWARGS or positions is None]
    out = []
    for a in args:
        v = _eval_path(a, lookup, cache["bindings"])
        if v is not None:
            out.append((v, a))
    # Path("x").read_text() / .open()
    if isinstance(ci.node.func, ast.Attribute) and ci.method in ("read_text", "read_bytes", "open"):
        v = _eval_path(ci.node.func.value, lookup, cache["bindings"])
        if v is not None:
            out.append((v, ci.node.func.value))
    return out


_SPARK_IO = frozenset({"parquet", "csv", "json", "orc", "text", "load", "save", "saveAsTable", "insertInto",
                       "jdbc", "table", "delta"})


def _spark_io(ci: CallInfo, direction: str) -> bool:
    """``spark.read.parquet(...)`` / ``df.write.mode("overwrite").parquet(...)``."""
    if ci.method not in _SPARK_IO or not isinstance(ci.node.func, ast.Attribute):
        return False
    node = ci.node.func.value
    for _ in range(4):
        if isinstance(node, ast.Call):
            node = node.func
        if isinstance(node, ast.Attribute):
            if node.attr in (direction, direction + "Stream"):
                return True
            node = node.value
        else:
            return False
    return False


def _open_mode_writes(node: ast.Call) -> bool:
    mode = node.args[1] if len(node.args) > 1 else _kw(node, "mode")
    s = _str_const(mode)
    return bool(s) and any(ch in s for ch in "wax+")


def _shell_commands(nb):
    """(cell, line, command) for every shell escape, shell magic and %%bash line."""
    for ci in analysis(nb).calls:
        magic = ci.magic
        if magic is None:
            continue
        kind, name, args = magic
        if kind == "system":
            yield ci, ci.node.lineno, args
        elif kind == "line" and name in ("sx", "system"):
            yield ci, ci.node.lineno, args
        elif kind == "cell" and name in ("bash", "sh", "script", "system"):
            body = args.split("\n", 1)[1] if "\n" in args else ""
            for i, ln in enumerate(body.splitlines(), start=ci.node.lineno + 1):
                yield ci, i, ln


def _hide_query(url: str) -> str:
    url = re.sub(r"//[^/@\s]*@", "//", url)  # credentials
    url = url.split("?", 1)[0].split("#", 1)[0]
    return url if len(url) <= 80 else url[:79] + "…"


def _hash_checked_notebook(nb) -> bool:
    """A hashlib comparison somewhere (``hashlib.sha256(...).hexdigest() == EXPECTED``)."""
    if not any("digest" in c.source for c in nb.cells):
        return False
    for _, node in analysis(nb).nodes(ast.Compare):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in (
                    "hexdigest", "digest"):
                return True
    return False


@rule("NBR012", "unpinned-remote-data", "warning",
      "data read from a URL or remote store without a checksum (pooch known_hash, a hashlib comparison, "
      "or an entry in a data manifest)")
def unpinned_remote_data(nb, ctx):
    """
    ## What it does
    Reports data read straight from a URL or a remote store (`https://`, `s3://`, `gs://`,
    `az://`, ...) by pandas/polars readers, `requests.get`, `urlretrieve`, `pooch.retrieve`
    without `known_hash`, `!wget`/`!curl`, and the like, when nothing checks what arrived:
    no `known_hash`/`file_hash` argument, no hashlib comparison in the notebook, and no
    entry for the URL in a data manifest (`*.dvc`, `dvc.lock`, a `data-manifest.*` or
    checksum file in the notebook's folder or above it). Data sets fetched from a hub by
    name (`datasets.load_dataset`, `hf_hub_download`, `fetch_openml`) without a pinned
    revision or version are reported too.

    ## Why is this bad?
    Remote data changes without notice (new rows, corrected values, a moved file): the
    same notebook silently produces different results, and nobody can tell why.

    ## Example
    ```python
    df = pd.read_csv("https://example.org/exports/sales.csv")
    ```

    ## Use instead
    ```python
    path = pooch.retrieve("https://example.org/exports/sales.csv",
                          known_hash="sha256:9f2c...")
    df = pd.read_csv(path)
    ```
    or `dvc import-url` the file, or compare `hashlib.sha256(data).hexdigest()` with the
    expected value. Hub data sets are pinned by revision:
    `load_dataset("org/name", revision="<commit sha>")`, `fetch_openml(data_id=...)`.
    """
    if not _is_python(nb):
        return
    if _hash_checked_notebook(nb):
        return
    manifest = ctx.project.data_manifest_text(nb.path) if ctx.project is not None else ""
    an = analysis(nb)
    registry = any(ci.qual == "pooch.create" and _kw(ci.node, "registry") is not None for ci in an.calls)
    seen: set[tuple] = set()

    def in_manifest(url: str) -> bool:
        base = url.split("?", 1)[0]
        return bool(manifest) and (base in manifest or (len(base.rsplit("/", 1)[-1]) > 3
                                                        and base.rsplit("/", 1)[-1] in manifest))

    for ci in an.calls:
        hub = _unpinned_hub_dataset(nb, ci)
        if hub:
            yield Hit(hub, ci.cell, ci.node.lineno)
            continue
        if (ci.method not in REMOTE_READ_FUNCS and not _spark_io(ci, "read")) or ci.magic is not None:
            continue
        q = ci.qual or ""
        if q.startswith(("webbrowser.", "torch.hub.")) or (ci.method == "fetch" and registry):
            continue
        if any(_kw(ci.node, k) is not None and not _is_none(_kw(ci.node, k)) for k in _HASH_KWARGS):
            continue
        chk = _kw(ci.node, "check_hash")
        if isinstance(chk, ast.Constant) and chk.value is True:
            continue
        for value, _node in _call_paths(nb, ci, positions=(0, 1)):
            if not REMOTE.match(value) or in_manifest(value):
                continue
            key = (ci.cell.index, ci.node.lineno, value)
            if key in seen:
                continue
            seen.add(key)
            yield Hit(f"{ci.text}() reads remote data ({_hide_query(value)}) without a checksum; fetch it with "
                      "pooch.retrieve(url, known_hash=...) or record it in a data manifest (dvc import-url)",
                      ci.cell, ci.node.lineno)
    for ci, line, cmd in _shell_commands(nb):
        words = cmd.split()
        if not words or words[0] not in ("wget", "curl", "aws", "gsutil", "azcopy", "gcloud"):
            continue
        urls = [w.strip("'\"") for w in words[1:] if REMOTE.match(w.strip("'\""))]
        if not urls:
            continue
        if words[0] in ("aws", "gsutil", "azcopy", "gcloud"):
            non_opts = [w for w in words[1:] if not w.startswith("-")]
            if non_opts and REMOTE.match(non_opts[-1].strip("'\"")):
                continue  # uploads are NBR016's business
        if any(in_manifest(u) for u in urls):
            continue
        yield Hit(f"`{words[0]}` downloads remote data ({_hide_query(urls[0])}) without a checksum; check a "
                  "sha256 after downloading or use pooch.retrieve(url, known_hash=...)", ci.cell, line)


_HF_BUILDERS = frozenset({"csv", "json", "parquet", "text", "imagefolder", "audiofolder", "videofolder", "arrow",
                          "pandas", "webdataset", "sql", "xml"})


def _unpinned_hub_dataset(nb, ci: CallInfo) -> str | None:
    """A data set pulled from a hub by name, with no revision/version: its content can change."""
    q = ci.qual or ""
    if q in ("datasets.load_dataset", "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download"):
        if _kw(ci.node, "revision") is not None:
            return None
        name = _str_const(ci.node.args[0]) if ci.node.args else _str_const(_kw(ci.node, "path", "repo_id"))
        if not name or name in _HF_BUILDERS or name.startswith((".", "/")) or os.path.exists(
                os.path.join(os.path.dirname(os.path.abspath(nb.path)), name)):
            return None
        return (f"{ci.text}({name!r}) downloads whatever the hub holds today; pin it with revision=<commit sha> "
                "so the data cannot change under the notebook")
    if q == "sklearn.datasets.fetch_openml":
        if _kw(ci.node, "version") is not None or _kw(ci.node, "data_id") is not None:
            return None
        return (f"{ci.text}() without version= or data_id= gets the 'active' version, which can change; pass "
                "data_id= (or version=)")
    return None


def _read_paths(nb):
    """(CallInfo, path, is_read) for calls with constant path arguments."""
    for ci in analysis(nb).calls:
        if ci.method is None or ci.magic is not None:
            continue
        q = ci.qual or ""
        is_read = ci.method in READ_FUNCS and not q.startswith(("torch.hub", "webbrowser.", "spacy.", "os.", "io.")) \
            and not (ci.method == "open" and _open_mode_writes(ci.node))
        if is_read:
            for value, _ in _call_paths(nb, ci):
                yield ci, value, True
        else:
            for value, _ in _call_paths(nb, ci, positions=None):
                yield ci, value, False


def _looks_like_local_file(p: str, surely_a_path: bool = False) -> bool:
    """Is ``p`` a relative file path? ``surely_a_path`` for callees that only take paths
    (builtin ``open``, ``read_*``/``scan_*`` readers); others (``load``, ``imread``, ...) need a
    suffix or a folder, since ``load("mnist")`` may name a data set or a model."""
    if not p or REMOTE.match(p) or "://" in p or p.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:", p):
        return False
    if re.match(r"^[A-Za-z][\w+.-]*:", p):
        return False  # runs:/..., models:/..., hf:..., a URI scheme rather than a file
    if any(ch in p for ch in "*?[{<>|\n\x00") or p in (".", "..", "-") or len(p) > 1024:
        return False
    base = p.rstrip("/").rsplit("/", 1)[-1]
    return surely_a_path or "/" in p or bool(re.search(r"\.[A-Za-z0-9]{1,8}$", base))


@rule("NBR013", "missing-local-data", "warning",
      "a relative input path that does not exist, or a file > 10 MB not tracked by DVC/LFS",
      options={"large-file-mb": 10})
def missing_local_data(nb, ctx):
    """
    ## What it does
    Resolves the relative input paths the notebook reads (`pd.read_csv("data/x.csv")`,
    `open("params.json")`, `np.load(DATA / "x.npy")` when `DATA` is a literal path, ...)
    against the notebook's folder, where `nbkit verify` and papermill run it. Reports a
    path that does not exist (unless the notebook writes or downloads it first), and an
    input file larger than `large-file-mb` that is tracked neither by DVC (a `.dvc` file
    beside it) nor by Git LFS (a `filter=lfs` pattern in `.gitattributes`).

    ## Why is this bad?
    A missing input makes a fresh run fail; a large file committed to Git bloats the
    repository, and an untracked one is simply not there for the next person.

    ## Example
    ```python
    df = pd.read_csv("data/customers_2026.csv")  # not in the repository
    ```

    ## Use instead
    Commit the file (small) or track it with `dvc add data/customers_2026.csv` / Git LFS
    (large), or download it in the notebook with a checksum.

    ## Options
    - `large-file-mb` (default 10): size above which an input must be tracked by DVC or LFS
    """
    if not _is_python(nb):
        return
    folder = Path(os.path.abspath(nb.path)).parent
    limit = float(ctx.options.get("large-file-mb", 10)) * 1024 * 1024
    produced: set[str] = set()
    shell_text = "\n".join(cmd for _, _, cmd in _shell_commands(nb))
    items = list(_read_paths(nb))
    for _ci, value, is_read in items:
        if not is_read:
            produced.add(os.path.normpath(value))
    seen: set[str] = set()
    project = ctx.project
    for ci, value, is_read in items:
        surely = ci.qual == "open" or (ci.method or "").startswith(("read_", "scan_"))
        if not is_read or not _looks_like_local_file(value, surely):
            continue
        norm = os.path.normpath(value)
        if norm in seen:
            continue
        seen.add(norm)
        target = folder / value
        if not _exists(target):
            if norm in produced or value in shell_text or norm in shell_text:
                continue
            root = Path(project.root_for(nb.path)) if project is not None else folder
            hint = " (it exists relative to the project root, but the notebook runs in its own folder)" \
                if root != folder and _exists(root / value) else ""
            yield Hit(f"{ci.text}() reads {value!r}, which does not exist relative to the notebook's folder"
                      f"{hint}; commit the file, or document and automate how to get it", ci.cell, ci.node.lineno)
            continue
        try:
            if not target.is_file():
                continue
            size = target.stat().st_size
            if size <= limit or project is None or project.dvc_tracked(str(target)) \
                    or project.lfs_tracked(str(target)):
                continue
        except (OSError, ValueError):
            continue
        yield Hit(f"{ci.text}() reads {value!r} ({size / 1048576:.0f} MB), which is tracked neither by DVC nor by "
                  f"Git LFS; run `dvc add {value}` or track it with Git LFS", ci.cell, ci.node.lineno)


def _exists(path: Path) -> bool:
    """Path.exists that answers "no" for names the OS refuses (NUL bytes, too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


@rule("NBR016", "external-write", "info",
      "writes to databases or remote stores (`to_sql`, `s3://`) not tagged `side-effect`")
def external_write(nb, ctx):
    """
    ## What it does
    Reports cells that change the world outside the notebook: `df.to_sql(...)`,
    `to_gbq`, SQL `INSERT`/`UPDATE`/`DELETE`/`CREATE`/`DROP` executed through a cursor or
    engine, writes to `s3://`, `gs://`, `az://` and other remote stores, uploads
    (`upload_file`, `put_object`, `push_to_hub`), `requests.post/put/patch/delete`, and
    `aws s3 cp`/`gsutil cp` to a remote destination, unless the cell is tagged
    `side-effect`.

    ## Why is this bad?
    Re-running the notebook (by a colleague, by CI, by `nbkit verify`) repeats the write:
    duplicate rows, overwritten tables or files. Readers should see at a glance which cells
    do this.

    ## Example
    ```python
    scores.to_sql("churn_scores", engine, if_exists="replace")
    ```

    ## Use instead
    Tag the cell `side-effect` (and guard it with a parameter such as `WRITE_RESULTS`), or
    move the write into a pipeline step.
    """
    if not _is_python(nb):
        return
    def tagged(cell) -> bool:
        return bool({"side-effect", "nbkit:side-effect"} & set(cell.tags))

    for ci in analysis(nb).calls:
        if tagged(ci.cell) or ci.method is None or ci.magic is not None:
            continue
        q = ci.qual or ""
        what = None
        if ci.method in DB_WRITE_METHODS and not q:
            what = "writes to a database"
        elif ci.method in STORE_WRITE_METHODS:
            what = "writes to a remote store"
        elif ci.method in ("execute", "executemany", "executescript", "sql", "exec_driver_sql"):
            arg = ci.node.args[0] if ci.node.args else None
            if isinstance(arg, ast.Call) and ci.node.args and _dotted(arg.func) and _dotted(arg.func)[-1] == "text":
                arg = arg.args[0] if arg.args else None
            s = _str_const(arg)
            if s and (m := _SQL_WRITE.match(s)):
                what = f"runs SQL {m.group(1).upper()} against a database"
        elif q.split(".")[0] in ("requests", "httpx") and ci.method in ("post", "put", "patch", "delete"):
            what = f"sends an HTTP {ci.method.upper()} to a remote service"
        elif _spark_io(ci, "write") and ci.method in ("saveAsTable", "insertInto", "jdbc"):
            what = "writes to a database table"
        elif ci.method in WRITE_METHODS or _spark_io(ci, "write") or (
                ci.method == "open" and _open_mode_writes(ci.node)):
            remote = [v for v, _ in _call_paths(nb, ci, positions=None) if REMOTE.match(v)
                      and not v.lower().startswith(("http://", "https://"))]
            if remote:
                what = f"writes to a remote store ({_hide_query(remote[0])})"
        if what:
            yield Hit(f"{ci.text}() {what}; tag the cell `side-effect` so readers (and re-runs) know it changes "
                      "things outside the notebook", ci.cell, ci.node.lineno)
    for ci, line, cmd in _shell_commands(nb):
        if tagged(ci.cell):
            continue
        words = cmd.split()
        if len(words) < 3 or words[0] not in ("aws", "gsutil", "azcopy", "gcloud", "hdfs", "dvc"):
            continue
        if words[0] == "dvc":
            if words[1] == "push":
                yield Hit("`dvc push` writes to a remote store; tag the cell `side-effect`", ci.cell, line)
            continue
        non_opts = [w.strip("'\"") for w in words[1:] if not w.startswith("-")]
        if any(v in ("cp", "sync", "mv", "rm", "rsync", "copy", "put", "-put") for v in words[1:4]) and non_opts \
                and REMOTE.match(non_opts[-1]):
            yield Hit(f"`{words[0]}` writes to a remote store ({_hide_query(non_opts[-1])}); tag the cell "
                      "`side-effect` so readers (and re-runs) know it changes things outside the notebook",
                      ci.cell, line)


# -- NBR014: clocks and file-system order -------------------------------------------------------------

CLOCKS = {
    "datetime.datetime.now": "the current time", "datetime.datetime.utcnow": "the current time",
    "datetime.datetime.today": "today's date", "datetime.date.today": "today's date",
    "time.time": "the current time", "time.time_ns": "the current time",
    "pandas.Timestamp.now": "the current time", "pandas.Timestamp.today": "today's date",
    "pandas.Timestamp.utcnow": "the current time", "arrow.now": "the current time", "arrow.utcnow": "the current time",
    "pendulum.now": "the current time", "pendulum.today": "today's date",
}
UUIDS = ("uuid.uuid1", "uuid.uuid4")
LISTINGS = ("os.listdir", "os.scandir", "glob.glob", "glob.iglob")
_ORDER_FREE = frozenset({"sorted", "len", "set", "frozenset", "any", "all", "sum", "max", "min", "Counter",
                         "natsorted", "sort", "sort_values"})


def _listing_sorted(ci: CallInfo, sorted_names: set[str]) -> bool:
    """Is the listing's order irrelevant (sorted(...), len(...), `in`, or later `.sort()`)?"""
    parents = ci.parents
    for p in reversed(parents):
        if isinstance(p, ast.Call):
            parts = _dotted(p.func) or ([p.func.attr] if isinstance(p.func, ast.Attribute) else None)
            if parts and parts[-1] in _ORDER_FREE:
                return True
            if p is not ci.node:
                break
        elif isinstance(p, ast.Compare):
            return any(isinstance(op, (ast.In, ast.NotIn)) for op in p.ops)
        elif isinstance(p, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id in sorted_names for t in p.targets)
        elif isinstance(p, (ast.comprehension, ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            if isinstance(p, ast.SetComp):
                return True
            continue
        elif isinstance(p, (ast.stmt,)):
            break
    return False


@rule("NBR014", "unparameterised-clock", "warning",
      "`datetime.now()`, `date.today()`, `time.time()`, `uuid4()`, unsorted `os.listdir`/`glob`")
def unparameterised_clock(nb, ctx):
    """
    ## What it does
    Reports values that change on every run or machine: the clock (`datetime.now()`,
    `date.today()`, `pd.Timestamp.now()`, `time.time()` outside of timing code),
    random ids (`uuid4()`, `uuid1()`), and directory listings in file-system order
    (`os.listdir`, `os.scandir`, `glob.glob`, `Path.glob`/`rglob`/`iterdir`) that are not
    sorted.

    ## Why is this bad?
    "The last 30 days" means a different window tomorrow; a directory listing comes back in
    a different order on another file system. Results drift without any code change, and
    re-execution reports mismatches.

    ## Example
    ```python
    end = datetime.now()
    files = glob.glob("data/*.csv")
    ```

    ## Use instead
    ```python
    END_DATE = "2026-11-30"  # parameters cell
    end = datetime.fromisoformat(END_DATE)
    files = sorted(glob.glob("data/*.csv"))
    ```
    """
    if not _is_python(nb):
        return
    an = analysis(nb)
    timing = False
    sorted_names: set[str] = set()
    for _, node in an.nodes(ast.BinOp):
        if isinstance(node.op, ast.Sub):
            for side in (node.left, node.right):
                if isinstance(side, ast.Call) and (_dotted(side.func) or [""])[-1] in ("time", "time_ns", "now"):
                    timing = True
    for ci in an.calls:
        if ci.method == "sort" and isinstance(ci.node.func, ast.Attribute) and isinstance(ci.node.func.value,
                                                                                           ast.Name):
            sorted_names.add(ci.node.func.value.id)
        elif ci.method in ("sorted", "natsorted"):
            sorted_names.update(a.id for a in ci.node.args if isinstance(a, ast.Name))
    for ci in an.calls:
        q = ci.qual or ""
        if q in CLOCKS:
            if q.startswith("time.") and (timing or (ci.parents and isinstance(ci.parents[-1], (ast.BinOp,
                                                                                                 ast.Compare)))):
                continue  # timing and timeouts, not results
            yield Hit(f"{ci.text}() makes results depend on when the notebook runs ({CLOCKS[q]}); pass the date in "
                      "as a parameter (parameters cell)", ci.cell, ci.node.lineno)
        elif q in ("pandas.to_datetime", "pandas.Timestamp", "numpy.datetime64") and ci.node.args and \
                (_str_const(ci.node.args[0]) or "").lower() in ("now", "today"):
            yield Hit(f"{ci.text}({_str_const(ci.node.args[0])!r}) makes results depend on when the notebook runs; "
                      "pass the date in as a parameter (parameters cell)", ci.cell, ci.node.lineno)
        elif q in UUIDS:
            yield Hit(f"{ci.text}() gives a new value on every run; derive ids from the data (or uuid5 of a key)",
                      ci.cell, ci.node.lineno)
        elif q in LISTINGS or (not q and ci.method in ("glob", "rglob", "iterdir")):
            if _listing_sorted(ci, sorted_names):
                continue
            yield Hit(f"{ci.text}() returns entries in file-system order, which differs between machines; wrap it "
                      "in sorted()", ci.cell, ci.node.lineno)


# -- NBR015: secrets --------------------------------------------------------------------------------

_SECRET_PATTERNS = [  # (kind, pattern, substrings one of which must be present: a cheap prefilter)
    ("AWS access key id", _lazy_re(r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16})\b"),
     ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA")),
    ("private key", _lazy_re(r"(-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----)"), ("PRIVATE KEY",)),
    ("GitHub token", _lazy_re(r"\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
     ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("Slack token", _lazy_re(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})\b"), ("xox",)),
    ("Slack webhook", _lazy_re(r"(https://hooks\.slack\.com/services/T[A-Za-z0-9_/]+)"), ("hooks.slack.com",)),
    ("Google API key", _lazy_re(r"\b(AIza[0-9A-Za-z_-]{35})\b"), ("AIza",)),
    ("OpenAI key", _lazy_re(r"\b(sk-(?:proj-)?[A-Za-z0-9_-]{32,})\b"), ("sk-",)),
    ("Stripe key", _lazy_re(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})\b"), ("_live_",)),
    ("Hugging Face token", _lazy_re(r"\b(hf_[A-Za-z0-9]{30,})\b"), ("hf_",)),
]
_SECRET_NEEDLES = _lazy_re("|".join(re.escape(n) for _, _, needles in _SECRET_PATTERNS for n in needles))
_SECRET_NAME = _lazy_re(
    r"^(?:.*_)?(?:password|passwd|pass|passphrase|token|api_?key|apikey|secret|secret_?key|access_?key|"
    r"access_?token|auth_?token|client_?secret|private_?key|credentials?|aws_secret_access_key)$", re.IGNORECASE)
_DSN = _lazy_re(r"\b([a-z][a-z0-9+.-]*)://([^:/@\s'\"]+):([^@/\s'\"]+)@[^\s'\"/]+", re.IGNORECASE)
_KV_SECRET = _lazy_re(
    r"(password|passwd|api_?key|apikey|secret(?:_?key)?|token)\b\s*[:=]\s*['\"]([^'\"\s]{4,})['\"]",
    re.IGNORECASE)
_KV_WORDS = ("password", "passwd", "apikey", "api_key", "secret", "token")
_IDENT_TAIL = _lazy_re(r"[A-Za-z0-9_]*$")


def _kv_secrets(text: str):
    """(name, value, offset) for ``password = "..."`` / ``"token": "..."`` in free text."""
    low = text.lower()
    if not any(w in low for w in _KV_WORDS):
        return
    for m in _KV_SECRET.finditer(text):
        value = m.group(2)
        if _placeholder(value):
            continue
        head = _IDENT_TAIL.search(text, max(0, m.start() - 40), m.start())
        name = (head.group(0) if head else "") + m.group(1)
        yield name, value, m.start()


_PLACEHOLDER_WORDS = ("xxx", "***", "...", "your", "example", "placeholder", "dummy", "redacted", "changeme",
                      "change_me", "todo", "fixme", "secret", "password", "token", "<", "${", "{", "%s", "$(",
                      "getenv", "environ", "none", "null", "test", "fake", "sample", "demo", "insert", "enter",
                      "replace", "here", "1234")


def _placeholder(value: str) -> bool:
    v = value.strip()
    if len(v) < 4 or len(set(v)) <= 2 or any(ch in v for ch in "[]<>{}$%"):
        return True
    if v.lower() in ("pass", "passwd", "pwd", "user", "username", "admin", "root", "guest"):
        return True
    low = v.lower()
    return any(w in low for w in _PLACEHOLDER_WORDS) or v.endswith("EXAMPLE")


def _scan_text(text: str):
    """(kind, secret, offset) for secrets in free text (markdown, outputs, code source)."""
    if _SECRET_NEEDLES.search(text) is not None:  # one scan says whether any prefilter substring is there
        for kind, pat, needles in _SECRET_PATTERNS:
            if not any(n in text for n in needles):
                continue
            for m in pat.finditer(text):
                secret = m.group(1)
                if kind == "AWS access key id" and secret.endswith("EXAMPLE"):
                    continue
                yield kind + " {}", secret, m.start(1)
    if "://" not in text or "@" not in text:
        return
    for m in _DSN.finditer(text):
        pw = m.group(3)
        if _placeholder(pw) or (m.group(1).lower() in ("http", "https") and _placeholder(m.group(2))):
            continue
        yield f"password {{}} in a {m.group(1)}:// connection string", pw, m.start(3)


def _output_text(out: dict) -> str:
    chunks = []
    t = out.get("text")
    if t is not None:
        chunks.append("".join(t) if isinstance(t, list) else str(t))
    data = out.get("data")
    if isinstance(data, dict):
        for mime in ("text/plain", "text/html", "text/markdown", "application/json", "text/latex"):
            v = data.get(mime)
            if v is not None:
                chunks.append("".join(v) if isinstance(v, list) else str(v))
    tb = out.get("traceback")
    if isinstance(tb, list):
        chunks.append("\n".join(str(x) for x in tb))
    if out.get("evalue"):
        chunks.append(str(out["evalue"]))
    return "\n".join(chunks)


@rule("NBR015", "secret-in-notebook", "error",
      "AWS keys, private keys, `password=`/`token=`/`api_key=` literals, credentials in DSNs, in sources or "
      "outputs")
def secret_in_notebook(nb, ctx):
    """
    ## What it does
    Looks for credentials in every cell's source and in the stored outputs: AWS access key
    ids (`AKIA...`), private key blocks, GitHub, Slack, Google, OpenAI, Stripe and Hugging
    Face tokens, string literals assigned to names like `password`, `token`, `api_key`,
    `secret` (empty values and placeholders such as `"xxx"` or `"<your key>"` are ignored,
    and so are `os.environ` lookups), and passwords inside connection strings
    (`postgres://user:pass@host/db`). Messages show only the first characters.

    ## Why is this bad?
    Notebooks are shared, committed and rendered on the web, outputs included. A secret in
    one is leaked, and has to be rotated.

    ## Example
    ```python
    engine = create_engine("postgresql://analyst:hunter2@db.internal/sales")
    openai.api_key = "sk-..."
    ```

    ## Use instead
    ```python
    engine = create_engine(os.environ["SALES_DB_URL"])
    openai.api_key = os.environ["OPENAI_API_KEY"]
    ```
    Rotate any secret that was committed, and clear the outputs that showed it.
    """
    assigned: dict[int, list] = {}
    for cell, name, value, line in _assigned_secrets(analysis(nb)):
        assigned.setdefault(cell.index, []).append((name, value, line))
    for cell in nb.cells:
        seen: set[str] = set()
        for kind, secret, off in _scan_text(cell.source):
            if secret in seen:
                continue
            seen.add(secret)
            yield Hit(f"{kind.format(_mask(secret))} in the cell source; remove it, rotate it, and read it from an "
                      "environment variable", cell, cell.source.count("\n", 0, off) + 1)
        for name, value, line in assigned.get(cell.index, ()):
            if value in seen:
                continue
            seen.add(value)
            yield Hit(f"{name} = {_mask(value)} is a literal secret in the code; read it from an environment "
                      f"variable (os.environ[{name.upper()!r}]) instead", cell, line)
        if cell.is_markdown or cell.cell_type == "raw":
            for name, value, off in _kv_secrets(cell.source):
                if value in seen:
                    continue
                seen.add(value)
                yield Hit(f"{name} {_mask(value)} written in a {cell.cell_type} cell; remove it and rotate it",
                          cell, cell.source.count("\n", 0, off) + 1)
        for out in cell.outputs:
            text = _output_text(out)
            if not text:
                continue
            found = list(_scan_text(text))
            found += [(f"{name} {{}}", value, off) for name, value, off in _kv_secrets(text)]
            for kind, secret, _ in found:
                if secret in seen:
                    continue
                seen.add(secret)
                yield Hit(f"{kind.format(_mask(secret))} in the output of this cell; clear the output and rotate the "
                          "secret", cell)


def _assigned_secrets(an: Analysis):
    """(cell, name, value, line): string literals bound to secret-looking names (assignments,
    keyword arguments, dict entries)."""
    items: list[tuple[object, str, ast.AST]] = []
    for cell, node in an.nodes(ast.Assign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else \
                _str_const(t.slice) if isinstance(t, ast.Subscript) else None
            if name and node.value is not None:
                items.append((cell, name, node.value))
    for ci in an.calls:
        items += [(ci.cell, k.arg, k.value) for k in ci.node.keywords if k.arg]
    for cell, node in an.nodes(ast.Dict):
        items += [(cell, _str_const(k), v) for k, v in zip(node.keys, node.values, strict=False) if _str_const(k)]
    items.sort(key=lambda it: (it[0].index, getattr(it[2], "lineno", 0)))
    for cell, name, value in items:
        s = _str_const(value)
        if s is not None and name.lower() in ("authorization", "proxy-authorization", "x-api-key", "api-key"):
            parts = s.split()
            s = parts[-1] if len(parts) == 2 and parts[0].lower() in ("bearer", "token", "basic") else s
            name = name.replace("-", "_")
        elif s is not None and not _SECRET_NAME.match(name):
            continue
        if s is None or _placeholder(s) or " " in s.strip():
            continue
        if REMOTE.match(s) or s.startswith(("/", "./", "~")):
            continue
        yield cell, name, s, value.lineno
