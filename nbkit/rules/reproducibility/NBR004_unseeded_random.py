"""NBR004 unseeded-random (the rule's docstring is its documentation)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Sequence

from ...analysis import Facts
from ...analysis.cellcalls import cell_calls, shares_parses
from ...analysis.semantic import CallInfo, dotted, lazy_re
from ...model import Cell
from .. import Hit, rule
from .helpers import MAGIC_METHODS as _MAGIC_METHODS, NP_GENERATORS, SEEDERS, is_none, kw


LIB_LABEL = {"random": "random", "numpy": "numpy", "torch": "torch", "tensorflow": "tensorflow"}

LIB_FIX = {
    "random": "call random.seed(SEED) first",
    "numpy": "call np.random.seed(SEED) or use rng = np.random.default_rng(SEED) first",
    "torch": "call torch.manual_seed(SEED) first",
    "tensorflow": "call tf.random.set_seed(SEED) first",
}

ALL_LIBS = frozenset(LIB_LABEL)

PY_RANDOM = frozenset({
    "random", "randint", "choice", "choices", "shuffle", "sample", "uniform", "gauss", "randrange",
    "normalvariate", "betavariate", "expovariate", "triangular", "getrandbits", "randbytes",
    "lognormvariate", "vonmisesvariate", "gammavariate", "paretovariate", "weibullvariate",
    "binomialvariate"})

NP_NOT_GLOBAL = frozenset({
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "PCG64", "PCG64DXSM", "MT19937",
    "Philox", "SFC64", "BitGenerator", "get_state", "set_state", "get_bit_generator", "set_bit_generator"})

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
    "permutation_test_score", "Perceptron", "PassiveAggressiveClassifier",
    "RANSACRegressor", "IterativeImputer", "MDS", "FastICA", "MiniBatchDictionaryLearning",
    "DictionaryLearning", "SparseRandomProjection", "GaussianRandomProjection", "RBFSampler", "Nystroem",
})

# random only with shuffle=True (learning_curve's cv splits are deterministic otherwise)
SKLEARN_SHUFFLE_ONLY = frozenset({"KFold", "StratifiedKFold", "StratifiedGroupKFold", "learning_curve"})

# numpy.random's functions, reachable as bare names after `from numpy.random import *`,
# `from pylab import *`, `from scipy import *` (old scipy) or `%pylab`
NP_STAR_NAMES = frozenset({
    "rand", "randn", "randint", "random_sample", "random_integers", "normal", "uniform", "permutation",
    "binomial", "poisson", "exponential", "multivariate_normal", "standard_normal", "lognormal", "beta",
    "gamma", "chisquare", "laplace", "logistic", "geometric", "negative_binomial", "ranf", "sample"})
_STAR_SOURCES = frozenset({"numpy.random", "pylab", "matplotlib.pylab", "scipy", "numpy.random.mtrand"})
_FROZEN_DIST = lazy_re(r"scipy\.stats\.[a-z_0-9]+")

_RNG_CTORS = ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
              "random.Random", "torch.Generator", "tensorflow.random.Generator")

_RNG_NAME = lazy_re(r"(^|_)(rng|rs|random_state|generator|gen|prng)(\d*)$", re.IGNORECASE)


@dataclass
class RandomEvent:
    kind: str  # "seed" | "global" | "call" | "always"
    libs: frozenset
    cell: Cell
    line: int
    template: str = ""  # the message, "{0}" standing for the callee as written (see message)
    order: tuple = ()
    call: CallInfo | None = None  # the call whose callee "{0}" is

    @property
    def message(self) -> str:
        """The event's message: the callee's text (ast.unparse) is made only for the events reported."""
        if self.call is None or "{0}" not in self.template:
            return self.template
        return self.template.format(self.call.text)


def random_events(facts: Facts) -> list[RandomEvent]:
    """Seeding and random-use events in execution order (calls of notebook functions inlined).
    Shared with the live guard (nbkit/guard/checks.py), which warns about the same events."""
    return facts.memo("random_events", _find_random_events)


def _find_random_events(facts: Facts) -> list[RandomEvent]:
    # Done cell by cell, so that a lint with the server's parse cache (the panel's, after an edit of
    # one cell) re-uses what it found in the unchanged cells: see _CellRandom.
    an = facts.semantic
    cache: Any = facts.parse_cache
    # With a parse cache, two cells with the same source share one parse (and its nodes): then
    # _assigned_names must look nodes up among all the calls, as a cell's record would not, and
    # the notebook is done as one piece, as without a cache.
    if cache is not None and not shares_parses(facts):
        known, tf_imported, picked = _events_by_cell(facts, cache)
    else:
        rng, frz = _assigned_names(an.calls, an.calls, [])
        reseeded = _only_for_an_ensemble(facts, _reseeded_names(an.calls))
        known = _Known(set(rng), set(frz), _star_import_at(facts), reseeded)
        tf_imported = "tensorflow" in an.imported or "keras" in an.imported
        funcs = {ci.in_function for ci in an.calls}
        calls = an.calls
        # a call with no event of its own matters only when it may call a notebook function
        picked = [(calls[k], evs) for k, evs, name in _classify_cell(calls, known, tf_imported, funcs)
                  if evs or (name is not None and name in funcs)]
    by_func: dict[str, list[tuple[CallInfo, _Events]]] = {}
    top: list[tuple[CallInfo, _Events]] = []
    for ci, evs in picked:
        if ci.in_function is not None:
            by_func.setdefault(ci.in_function, []).append((ci, evs))
        else:
            top.append((ci, evs))
    events: list[RandomEvent] = []

    def emit(ci: CallInfo, evs, site: CallInfo, depth: int, via: str | None):
        line = site.node.lineno
        for kind, libs, msg in evs:
            if via:
                msg = f"{msg} (inside {via}())" if kind != "seed" else msg
            events.append(RandomEvent(kind, libs, site.cell, line, msg, (site.cell.index, line), ci))
        if depth < 4 and isinstance(ci.node.func, ast.Name) and ci.node.func.id in by_func \
                and ci.node.func.id != ci.in_function:
            for inner, inner_evs in by_func[ci.node.func.id]:
                emit(inner, inner_evs, site, depth + 1, ci.node.func.id)

    try:
        for ci, evs in top:
            # a call with no event of its own matters only when it calls a notebook function
            if evs or (type(ci.node.func) is ast.Name and ci.node.func.id in by_func):
                emit(ci, evs, ci, 0, None)
    finally:
        emit = None  # type: ignore[assignment]  # it refers to itself through its closure: break the cycle
    return events


def _events_by_cell(facts: Facts, cache: Any) -> tuple[_Known, bool, list[tuple[CallInfo, _Events]]]:
    """_find_random_events's known names and classified calls, cell by cell, so that a lint with
    the server's parse cache (the panel's, after an edit of one cell) re-uses what it found in the
    unchanged cells (see _CellRandom)."""
    an = facts.semantic
    cells = cell_calls(facts)
    rng_vars: set[str] = set()
    frozen: set[str] = set()
    reseeded: set[str] = set()
    funcs: set[str | None] = set()
    records: list[_CellRandom] = []
    for cell, _, calls, token in cells:
        rec = cache.derived("NBR004", cell.source)
        if rec is None or rec.token is not token:
            rng, frz = _assigned_names(calls, calls, [])  # (the cell's nodes are its own)
            rec = _CellRandom(token, rng, frz, frozenset({ci.in_function for ci in calls}), _reseeded_names(calls))
            cache.keep("NBR004", cell.source, rec)
        if rec.rng:
            rng_vars.update(rec.rng)
        if rec.frozen:
            frozen.update(rec.frozen)
        if rec.reseeded:
            reseeded.update(rec.reseeded)
        funcs |= rec.funcs
        records.append(rec)
    tf_imported = "tensorflow" in an.imported or "keras" in an.imported
    reseeded = _only_for_an_ensemble(facts, reseeded)
    known = _Known(rng_vars, frozen, _star_import_at(facts), reseeded)
    star_at = known.star_at
    # what a cell's classification depends on beyond its calls (the last lint's object when equal,
    # so that most cells compare it by identity)
    common = (frozenset(rng_vars), frozenset(frozen), tf_imported, frozenset(reseeded))
    last = cache.notebook_records.get("NBR004")
    if last == common:
        common = last
    else:
        cache.notebook_records["NBR004"] = common
    picked: list[tuple[CallInfo, _Events]] = []
    for (cell, _, calls, _), rec in zip(cells, records, strict=True):
        # _classify compares (cell, line) with star_at: what of star_at matters in this cell
        index = cell.index
        star = None if star_at is None or star_at[0] > index else 0 if star_at[0] < index else star_at[1]
        entries = rec.entries
        if entries is None or not (rec.common is common or rec.common == common) or rec.star != star:
            entries = rec.entries = _classify_cell(calls, known, tf_imported)
            rec.common, rec.star = common, star
        for k, evs, name in entries:
            # a call with no event of its own matters only when it may call a notebook function
            if evs or (name is not None and name in funcs):
                picked.append((calls[k], evs))
    return known, tf_imported, picked


class _CellRandom:
    """What _find_random_events found in one cell's calls, kept in the parse cache with the cell's
    :class:`nbkit.analysis.cellcalls.CallsToken`: re-used when the token is the same (the same
    calls).  ``rng`` / ``frozen`` / ``funcs`` depend on the calls alone; ``entries`` (the cell's
    classified calls) also on ``common`` (the notebook's rng_vars, frozen names and whether
    tensorflow is imported) and ``star`` (where a star import of numpy.random is, as seen from the
    cell), with which they are kept and re-used only when those are the same too."""

    __slots__ = ("token", "rng", "frozen", "funcs", "reseeded", "entries", "common", "star")

    def __init__(self, token, rng: tuple[str, ...], frozen: tuple[str, ...], funcs: frozenset,
                 reseeded: tuple[str, ...] = ()) -> None:
        self.token, self.rng, self.frozen, self.funcs, self.reseeded = token, rng, frozen, funcs, reseeded
        self.entries: list[tuple[int, _Events, str | None]] | None = None
        self.common: tuple | None = None
        self.star: int | None = None


def _assigned_names(calls: list[CallInfo], lookup: list[CallInfo],
                    by_node: list[dict[tuple[int, int], CallInfo]]) -> tuple[tuple, tuple]:
    """The names a cell binds to generators or to objects seeded (or reported) where built, and to
    frozen scipy distributions.  ``lookup``: the calls among which an inner call is looked up by
    its cell and node, made into ``by_node[0]`` on first use."""
    rng_vars: list[str] = []
    frozen: list[str] = []
    for ci in [ci for ci in calls if (ps := ci.parents) and type(ps[-1]) in _ASSIGNS]:
        parent = ci.parents[-1]
        q = ci.qual or ""
        keywords = ci.node.keywords
        rs = kw(ci.node, "random_state") if keywords else None
        while rs is None and isinstance(ci.node.func, ast.Attribute) and isinstance(ci.node.func.value, ast.Call):
            if not by_node:
                # (keyed by cell too: two cells with the same source may share one parse, and so
                # their nodes; an inner call is in its outer call's cell)
                by_node.append({(c.cell.index, id(c.node)): c for c in lookup})
            inner = by_node[0].get((ci.cell.index, id(ci.node.func.value)))  # `GaussianMixture(4, random_state=0).fit(X)`
            if inner is None:
                break
            ci, q = inner, inner.qual or ""
            rs = kw(ci.node, "random_state")
        if q in _RNG_CTORS or q.startswith("numpy.random.") and ci.method in NP_GENERATORS \
                or (rs is not None and not is_none(rs)) or q.startswith(("sklearn.", "imblearn.", "umap.")):
            # a generator, or an object whose randomness was fixed (or judged) where it was built:
            # `gmm = GaussianMixture(random_state=0)` then `gmm.sample(400)`
            rng_vars += _target_names(parent)
        elif q.startswith("scipy.stats.") and _FROZEN_DIST.fullmatch(q):
            frozen += _target_names(parent)  # `X = stats.poisson(3.5)`: X.rvs() draws from numpy
    return tuple(rng_vars), tuple(frozen)


def _target_names(assign: ast.Assign | ast.AnnAssign) -> list[str]:
    """The names (and attributes: ``self.rng``) an assignment binds."""
    return [t.id if isinstance(t, ast.Name) else t.attr
            for t in (assign.targets if isinstance(assign, ast.Assign) else [assign.target])
            if isinstance(t, (ast.Name, ast.Attribute))]


def _classify_cell(calls: list[CallInfo], known: _Known, tf_imported: bool,
                   funcs: set[str | None] | None = None) -> list[tuple[int, _Events, str | None]]:
    """(index in ``calls``, events, name of the function called when a bare name) of the calls that
    have events or may call a notebook function (one of ``funcs`` when given); the others cannot
    make an event."""
    out: list[tuple[int, _Events, str | None]] = []
    star_none = known.star_at is None
    heads = _RANDOM_HEADS
    skips: dict[str, bool] = {}  # qual -> skip (most calls' quals are few: print, pd.read_csv, ...)
    for k, ci in enumerate(calls):
        qual = ci.qual
        # early outs for the commonest calls, which touch no random state (_classify would say [])
        if qual:
            skip = skips.get(qual)
            if skip is None:
                skip = skips[qual] = qual not in SEEDERS and qual.partition(".")[0] not in heads
        else:
            skip = star_none and ci.method not in _UNQUALIFIED
        if skip:
            # may it call a notebook function?  A call of a bare name has that name as its method:
            # only such a method in ``funcs`` needs the node read
            if funcs is not None:
                method = ci.method
                if method is None or method not in funcs:
                    continue
            f = ci.node.func
            if type(f) is ast.Name:
                out.append((k, _NO_EVENTS, f.id))
        else:
            f = ci.node.func
            name = f.id if type(f) is ast.Name else None
            evs = _classify(ci, known, tf_imported)
            if evs or name is not None:
                out.append((k, evs, name))
    return out


@dataclass
class _Known:
    rng_vars: set  # names bound to generators or to objects seeded (or reported) where built
    frozen: set  # names bound to frozen scipy distributions
    star_at: tuple | None  # where numpy.random's functions became bare names (star import, %pylab)
    reseeded: set  # names handed to a seeded bagging or boosting ensemble as its base estimator


def _star_import_at(facts: Facts) -> tuple | None:
    """(cell index, line) of the first `from numpy.random import *`-like import or `%pylab`."""
    found = [(cell.index, node.lineno) for cell, node in facts.semantic.star_imports
             if node.module in _STAR_SOURCES]  # the shared walk collects every star import
    for ci in facts.semantic.calls:
        if ci.method != "run_line_magic":  # how the IPython-syntax transform writes %pylab
            continue
        m = ci.magic
        if m is not None and m[0] == "line" and m[1] == "pylab":
            found.append((ci.cell.index, ci.node.lineno))
    return min(found) if found else None


_Events = Sequence[tuple[str, frozenset, str]]
_NO_EVENTS: _Events = ()  # shared: never mutated

_ASSIGNS = (ast.Assign, ast.AnnAssign)


# the first part of every qualified name _classify reports or takes as seeding
_RANDOM_HEADS = frozenset({"numpy", "random", "scipy", "torch", "tensorflow", "keras", "sklearn", "umap",
                           "imblearn"})
# the only methods _classify looks at in a call with no qualified name (the magics and these)
_UNQUALIFIED = _MAGIC_METHODS | {"rvs", "sample", "shuffle"}


# ensembles that give each copy of their base estimator a seed drawn from their own random_state
# (scikit-learn's and imbalanced-learn's bagging and boosting)
_RESEEDING = frozenset({"BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor",
                        "BalancedBaggingClassifier", "EasyEnsembleClassifier", "RUSBoostClassifier"})


def _reseeded(ci: CallInfo) -> bool:
    """Is this estimator the base estimator of a seeded ensemble built around it
    (``BaggingClassifier(DecisionTreeClassifier(), random_state=42)``, or ``estimator=`` /
    ``base_estimator=``)?  The ensemble seeds every copy of it: its own random_state is not used."""
    parents = ci.parents
    if not parents:
        return False
    outer = parents[-2] if type(parents[-1]) is ast.keyword and len(parents) >= 2 else parents[-1]
    return type(outer) is ast.Call and _base_estimator(outer) is ci.node


def _base_estimator(call: ast.Call) -> ast.AST | None:
    """The base estimator given to a seeded bagging or boosting ensemble call, else None."""
    if (dotted(call.func) or [""])[-1] not in _RESEEDING:
        return None
    rs = kw(call, "random_state")
    if rs is None or is_none(rs):
        return None
    given = kw(call, "estimator")
    if given is None:
        given = kw(call, "base_estimator")
    return given if given is not None else call.args[0] if call.args else None


def _reseeded_names(calls: list[CallInfo]) -> tuple[str, ...]:
    """The names handed to a seeded bagging or boosting ensemble as its base estimator
    (``tree`` in ``BaggingClassifier(tree, random_state=1)``)."""
    out = []
    for ci in calls:
        if ci.method in _RESEEDING:
            base = _base_estimator(ci.node)
            if type(base) is ast.Name:
                out.append(base.id)
    return tuple(out)


def _only_for_an_ensemble(facts: Facts, names) -> set[str]:
    """Of ``names`` (handed to a seeded ensemble as its base estimator), those that the notebook
    binds once and reads once, in that call: an estimator also fitted or scored on its own
    (``tree.fit(X, y)``), or a name bound to several estimators, is not the ensemble's alone."""
    if not names:
        return set()
    names = set(names)
    stores: dict[str, int] = {}
    loads: dict[str, int] = {}
    for _, parsed in facts.code:
        if parsed.tree is None or not any(n in parsed.python_source for n in names):
            continue
        for node in ast.walk(parsed.tree):
            if type(node) is ast.Name and node.id in names:
                counts = loads if type(node.ctx) is ast.Load else stores
                counts[node.id] = counts.get(node.id, 0) + 1
    return {n for n in names if stores.get(n) == 1 and loads.get(n) == 1}


def _bound_to(ci: CallInfo, names: set) -> bool:
    """Is this call's value bound to one of ``names`` (``tree = DecisionTreeClassifier()``)?"""
    parents = ci.parents
    return bool(parents) and type(parents[-1]) in _ASSIGNS and parents[-1].value is ci.node \
        and any(n in names for n in _target_names(parents[-1]))


def _classify(ci: CallInfo, known: _Known, tf_imported: bool) -> _Events:
    """What one call does to random state: [("seed"|"global"|"call"|"always", libs, message)], the
    message a RandomEvent template ("{0}": the callee as written)."""
    method, q = ci.method, ci.qual
    node = ci.node
    rng_vars = known.rng_vars
    magic = ci.magic if method in _MAGIC_METHODS else None
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
                seed = node.args[0] if node.args else kw(node, "seed", "bit_generator")
                if fn != "Generator" and (seed is None or is_none(seed)):
                    return [("always", frozenset({"numpy"}),
                             "{0}() without a seed gives different numbers on every run; "
                             "pass one: {0}(SEED)")]
                return []
            if fn not in NP_NOT_GLOBAL and "." not in fn:
                return [("global", frozenset({"numpy"}), "{0} is used before numpy is seeded")]
            return []
        if q.startswith("random."):
            fn = q[len("random."):]
            if fn in PY_RANDOM:
                return [("global", frozenset({"random"}), "{0} is used before random is seeded")]
            if fn == "Random" and not node.args and kw(node, "x") is None:
                return [("always", frozenset({"random"}),
                         "{0}() without a seed gives different numbers on every run; pass one: {0}(SEED)")]
            return []
        if q.startswith("scipy.stats.") and ci.method == "rvs":
            rs = kw(node, "random_state")
            if rs is not None and not is_none(rs):
                return []
            return [("call", frozenset({"numpy"}),
                     "{0}(...) draws without random_state before numpy is seeded; pass random_state=SEED")]
        if q in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"):
            shuffle = kw(node, "shuffle")
            if isinstance(shuffle, ast.Constant) and shuffle.value is True and kw(node, "generator") is None:
                return [("call", frozenset({"torch"}),
                         "{0}(shuffle=True) shuffles before torch is seeded; call torch.manual_seed(SEED) "
                         "first or pass generator=torch.Generator().manual_seed(SEED)")]
            return []
        if q.startswith("torch."):
            fn = q[len("torch."):]
            if kw(node, "generator") is not None:
                return []
            if fn in TORCH_RANDOM or fn.startswith("nn.init.") or fn == "utils.data.random_split":
                return [("global", frozenset({"torch"}), "{0} is used before torch is seeded")]
            return []
        if q.startswith(("tensorflow.", "keras.")):
            fn = q.split(".", 1)[1]
            if fn.startswith("random.") and fn[7:] in TF_RANDOM or fn in TF_RANDOM and fn.startswith("random_"):
                if kw(node, "seed") is not None and not is_none(kw(node, "seed")):
                    return []
                return [("global", frozenset({"tensorflow"}), "{0} is used before tensorflow is seeded")]
            return []
        last = q.rsplit(".", 1)[-1]
        if q.startswith(("sklearn.", "umap.", "imblearn.")) and (
                last in SKLEARN_RANDOM or last in SKLEARN_SHUFFLE_ONLY or last == "UMAP"):
            if last in SKLEARN_SHUFFLE_ONLY:
                shuffle = kw(node, "shuffle")
                if not (isinstance(shuffle, ast.Constant) and shuffle.value is True):
                    return []
            rs = kw(node, "random_state")
            if rs is not None and not is_none(rs):
                return []
            shuffle = kw(node, "shuffle")
            if isinstance(shuffle, ast.Constant) and shuffle.value is False:
                return []  # train_test_split(..., shuffle=False) draws nothing
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                return []  # **params may carry random_state
            if _reseeded(ci) or (known.reseeded and _bound_to(ci, known.reseeded)):
                return []
            return [("call", frozenset({"numpy"}),
                     "{0}(...) takes random_state but none is given and numpy is not seeded before it; "
                     "pass random_state=SEED")]
        return []
    if isinstance(node.func, ast.Name) and known.star_at is not None \
            and (ci.cell.index, node.lineno) >= known.star_at:
        if node.func.id == "seed":
            return [("seed", frozenset({"numpy"}), "")]
        if node.func.id in NP_STAR_NAMES:
            return [("global", frozenset({"numpy"}),
                     f"{node.func.id} (numpy.random's, through a star import or %pylab) is used before numpy "
                     "is seeded")]
    if ci.method == "rvs" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
            and node.func.value.id in known.frozen:
        rs = kw(node, "random_state")
        if rs is not None and not is_none(rs):
            return []
        return [("call", frozenset({"numpy"}),
                 "{0}(...) draws from a frozen scipy distribution without random_state before numpy is "
                 "seeded; pass random_state=SEED")]
    # a method on some object: DataFrame.sample / .shuffle without random_state
    if ci.method in ("sample", "shuffle") and isinstance(node.func, ast.Attribute):
        base_node = node.func.value
        base_name = base_node.attr if isinstance(base_node, ast.Attribute) else (
            base_node.id if isinstance(base_node, ast.Name) else None)
        if base_name and (base_name in rng_vars or _RNG_NAME.search(base_name)):
            return []
        if isinstance(base_node, ast.Call):
            inner = dotted(base_node.func)
            if inner and inner[-1] in NP_GENERATORS | {"Random", "Generator"}:
                return []
        if kw(node, "random_state", "seed", "rng", "generator") is not None:
            return []
        if any(k.arg is None for k in node.keywords):
            return []
        if ci.method == "sample" and not node.args and not node.keywords:
            return []  # dist.sample(): not a DataFrame sample
        lib = "tensorflow" if (ci.method == "shuffle" and tf_imported) else "numpy"
        arg = "seed" if lib == "tensorflow" else "random_state"
        return [("call", frozenset({lib}),
                 f"{{0}}(...) is called without {arg} before {lib} is seeded; pass {arg}=SEED")]
    return []


@rule("NBR004", "unseeded-random", "error",
      "random generators used (random, numpy.random, default_rng(), torch, tensorflow, sklearn "
      "`random_state`-taking calls, `.sample(`/`.shuffle(`) before any seeding call for that library; "
      "`default_rng()` with no seed is itself unseeded", requires=("python",))
def unseeded_random(nb, ctx):
    """
    ## What it does
    Follows the cells top-down and reports random numbers drawn before the library that
    produces them is seeded: `random.*` before `random.seed`, numpy's legacy global
    functions (`np.random.rand`, `np.random.normal`, ...) before `np.random.seed`, torch
    before `torch.manual_seed`, tensorflow before `tf.random.set_seed`; after `%pylab` or a star
    import of `numpy.random`, `pylab` or `scipy`, the bare `rand(...)`, `randn(...)`, ... too.
    `%nbkit seed`
    seeds them all, and so do `keras.utils.set_random_seed`, `lightning.seed_everything`,
    `transformers.set_seed` and your own function that calls the seeding functions.

    Per-call problems are warnings: `np.random.default_rng()` (or `random.Random()`)
    without a seed, scikit-learn calls that take `random_state` but get none
    (`train_test_split`, `RandomForestClassifier`, `KMeans`, `KFold(shuffle=True)`, ...; not the
    base estimator of a seeded bagging or boosting ensemble,
    `BaggingClassifier(DecisionTreeClassifier(), random_state=42)` or `tree = ...` then
    `BaggingClassifier(tree, random_state=42)`, which seeds it), scipy's `dist.rvs(...)` (also
    on a frozen distribution: `X = stats.poisson(3.5); X.rvs()`),
    and `df.sample(...)` / `.shuffle(...)` without `random_state`,
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
    events = random_events(ctx.facts)
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
