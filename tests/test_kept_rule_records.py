"""Rules and analyses that re-use, from the notebook's kept parse cache, what they derived from the
unchanged cells at the last lint (NBR004's random-state events, the path constants of
nbkit.analysis.inputs; NBR008's parsed install commands are memoized): a lint with the cache must
find exactly what a lint without it finds, after every kind of edit that changes their inputs."""

from __future__ import annotations

import copy
import random

from nbkit.analysis import ParseCache
from nbkit.config import Config
from nbkit.requests import LintRequest, lint_one


def _nb(*sources: str) -> dict:
    cells = []
    for s in sources:
        if s.startswith("# "):
            cells.append({"cell_type": "markdown", "metadata": {}, "source": s})
        else:
            cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s})
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


def _lint(data: dict, cache: ParseCache | None, folder) -> list:
    """The findings, and the analyses' results that rules report only in part (NBR004 reports the
    first use of a library's global state; NBR013 only reads of missing files)."""
    from nbkit.analysis.inputs import local_reads
    from nbkit.rules.reproducibility.NBR004_unseeded_random import random_events

    done = lint_one(LintRequest.from_raw(content=copy.deepcopy(data)).at(str(folder / "a.ipynb"), Config()),
                    parse_cache=cache)
    facts = done.facts
    assert facts is not None
    events = [(e.kind, tuple(sorted(e.libs)), e.cell.index, e.line, e.message, e.order) for e in random_events(facts)]
    reads = [(r.cell_index, r.line, r.path) for r in local_reads(facts)]
    return [[f.to_dict() for f in done.result.findings], events, reads]


BASE = _nb(
    "# Random state",
    "import numpy as np\nimport random\nfrom pathlib import Path\nimport pandas as pd\nimport os.path as osp",
    "DATA = 'data'",
    "def draw():\n    return random.random()\n\nTRAIN = DATA + '/train.csv'\nVALID = osp.join(DATA, 'valid.csv')",
    "x = draw()\nshuffler.shuffle(x)\nframe.sample(frac=0.5)",
    "%pip install pandas\n!pip install numpy==1.26.4",
    "df = pd.read_csv(TRAIN)\nother = pd.read_csv(Path(DATA) / 'test.csv')\nv = pd.read_csv(VALID)",
    "y = rand(3)\nX.rvs(4)",
)

# (cell, new source) in order; each changes what the unchanged cells' kept records depended on
EDITS = [
    (4, BASE["cells"][4]["source"] + "\nz = 1"),                  # an unrelated edit: records re-used
    (3, BASE["cells"][3]["source"] + "\nshuffler = np.random.default_rng(0)"),  # creates an rng variable
    (3, BASE["cells"][3]["source"]),                               # and removes it
    (1, BASE["cells"][1]["source"] + "\nnp.random.seed(0)"),       # a seed above
    (1, BASE["cells"][1]["source"] + "\nfrom numpy.random import *"),  # a star import: rand() is numpy's
    (6, BASE["cells"][6]["source"] + "\nfrom pylab import *"),    # a star import below rand() moves nothing
    (1, BASE["cells"][1]["source"] + "\nfrom scipy import stats"),
    (3, BASE["cells"][3]["source"] + "\nX = stats.poisson(3.5)"),  # a frozen distribution
    (1, BASE["cells"][1]["source"] + "\nimport tensorflow as tf"),  # shuffle() is tensorflow's
    (2, "DATA = 'elsewhere'"),                                     # a path constant used below changes
    (2, "TRAIN = 'train.csv'"),                                    # and disappears
    (2, "DATA = 'data'"),
    (1, "import numpy as np\nimport pathlib as Path\nimport pandas as pd"),  # osp.join is no constructor now
    (5, "%pip install pandas scikit-learn\n!conda install -y scipy=1.11"),  # pip magics change
    (5, "!echo done"),
    ("dup", 3),                                                   # a second cell with cell 3's source
    (3, BASE["cells"][3]["source"] + "\nrandom.seed(1)"),
    (6, "from sklearn.tree import DecisionTreeClassifier\ntree = DecisionTreeClassifier()"),  # reported, then
    (5, "from sklearn.ensemble import BaggingClassifier\nbag = BaggingClassifier(tree, random_state=1)"),  # seeded
    (5, "from sklearn.ensemble import BaggingClassifier\nbag = BaggingClassifier(tree)"),  # not any more
    ("move", 6),                                                  # cells below shift
    ("delete", 2),
]


def _steps():
    data = copy.deepcopy(BASE)
    yield data
    for what, arg in EDITS:
        if what == "dup":
            data["cells"].insert(arg + 1, copy.deepcopy(data["cells"][arg]))
        elif what == "move":
            data["cells"].insert(1, data["cells"].pop(arg))
        elif what == "delete":
            data["cells"].pop(arg)
        else:
            data["cells"][what]["source"] = arg
        yield data


def test_kept_lints_find_what_fresh_lints_find_after_edits_of_their_inputs(tmp_path):
    cache = ParseCache()
    seen, events, reads = set(), set(), set()
    for step, data in enumerate(_steps()):
        kept, fresh = _lint(data, cache, tmp_path), _lint(data, None, tmp_path)
        assert kept == fresh, step
        seen.update((f["code"], f["message"]) for f in fresh[0])
        events.add(tuple(fresh[1]))
        reads.add(tuple(fresh[2]))
    codes = {code for code, _ in seen}
    # the edits did move what these rules report (the test exercises them)
    assert {"NBR004", "NBR008", "NBR013"} <= codes
    assert len(events) >= 6 and len(reads) >= 3
    assert any("through a star import" in m for _, m in seen) and any("frozen scipy" in m for _, m in seen)
    assert any(m.startswith("DecisionTreeClassifier(...)") for _, m in seen)


def test_unchanged_cells_are_not_classified_again(tmp_path, monkeypatch):
    from nbkit.rules.reproducibility import NBR004_unseeded_random as nbr004

    classified = []
    real = nbr004._classify_cell

    def counting(calls, known, tf_imported, funcs=None):
        classified.append(calls[0].cell.index)
        return real(calls, known, tf_imported, funcs)

    monkeypatch.setattr(nbr004, "_classify_cell", counting)
    cache = ParseCache()
    data = copy.deepcopy(BASE)
    _lint(data, cache, tmp_path)
    cells_with_calls = len(classified)
    assert cells_with_calls >= 5  # the first lint classified every cell with calls
    data["cells"][4]["source"] += "\nz = 1"
    fresh = _lint(data, None, tmp_path)
    classified.clear()
    assert _lint(data, cache, tmp_path) == fresh
    assert classified == [4]  # only the edited cell again
    data["cells"][3]["source"] += "\nshuffler = np.random.default_rng(0)"  # the notebook's rng variables change
    fresh = _lint(data, None, tmp_path)
    classified.clear()
    assert _lint(data, cache, tmp_path) == fresh
    assert len(classified) == cells_with_calls  # every cell again


_SNIPPETS = [
    "import numpy as np", "import random", "from numpy.random import *", "%pylab inline", "import tensorflow as tf",
    "import pandas as pd", "from pathlib import Path", "import pathlib as pl", "from scipy import stats",
    "np.random.seed(0)", "random.seed(1)", "%nbkit seed", "x = np.random.rand(3)", "y = random.random()",
    "z = rand(4)", "seed(3)", "rng = np.random.default_rng()", "gen = np.random.default_rng(0)",
    "gmm = GaussianMixture(4, random_state=0).fit(X)", "gmm.sample(3)", "gen.shuffle(a)", "df.sample(frac=0.5)",
    "ds.shuffle(100)", "X = stats.poisson(3.5)", "X.rvs(10)", "def f():\n    return np.random.rand(2)",
    "def g():\n    np.random.seed(0)", "f()", "g()", "!pip install pandas", "%pip install numpy==1.2",
    "!conda install -y scipy=1.1", "%%bash\npip install foo", "DATA = 'data'", "PATH = DATA + '/x.csv'",
    "P2 = Path(DATA) / 'y.csv'", "P3 = pl.Path('z') / 'w.csv'", "pd.read_csv(PATH)", "pd.read_csv(P2)",
    "open(P3)", "DATA = 'other'", "pd.read_csv(f'{DATA}/f.csv')", "Path = None", "np = None", "(((",
    "password = 'hunter2x'",
]


def test_random_edits_of_random_notebooks(tmp_path):
    """A small fuzz: random notebooks, random edits (append, replace, insert, delete, move, duplicate)."""
    for seed in range(20):
        r = random.Random(seed)
        sources = ["\n".join(r.choice(_SNIPPETS) for _ in range(r.randint(1, 3))) for _ in range(r.randint(3, 8))]
        cache = ParseCache()
        for step in range(8):
            data = _nb(*sources)
            assert _lint(data, cache, tmp_path) == _lint(data, None, tmp_path), (seed, step)
            op, i = r.random(), r.randrange(len(sources))
            if op < 0.5:
                sources[i] += "\n" + r.choice(_SNIPPETS)
            elif op < 0.65:
                sources[i] = r.choice(_SNIPPETS)
            elif op < 0.75:
                sources.insert(i, r.choice(_SNIPPETS))
            elif op < 0.85 and len(sources) > 2:
                sources.pop(i)
            elif op < 0.93:
                sources.insert(r.randrange(len(sources)), sources.pop(i))
            else:
                sources.insert(i, sources[i])
