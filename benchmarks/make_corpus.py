"""Generate a deterministic corpus of realistic notebooks for the lint benchmark.

Every notebook is built from its own ``random.Random(seed, index)`` stream, so the same seed
and count always give byte-identical files.  The notebooks look like the analysis notebooks
found in real repositories: a title and prose, headings (sometimes in the standard layout,
often not), an imports cell, pandas / numpy / matplotlib-style code, IPython magics and shell
escapes, and stored outputs of every kind (``stream`` on stdout and stderr, ``execute_result``
with HTML tables, ``display_data`` with base64 PNG charts, ``error`` tracebacks).  They carry
the usual flaws too: out-of-order and missing execution counts, empty cells, long cells,
unseeded randomness, absolute paths, star imports, late imports, commented-out code, debug
leftovers and the odd syntax error.

    python benchmarks/make_corpus.py --count 500 --seed 2026 --out benchmarks/.corpus

A ``manifest.json`` next to the notebooks records the parameters and the corpus statistics;
``ensure_corpus`` (used by ``bench_lint.py``) regenerates only when they differ.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import struct
import sys
import zlib
from pathlib import Path

GENERATOR_VERSION = 1  # bump when the generated content changes
DEFAULT_OUT = Path(__file__).resolve().parent / ".corpus"

TOPICS = [
    ("sales", ["region", "store", "product", "units", "revenue", "month"]),
    ("churn", ["customer_id", "tenure", "plan", "monthly_charges", "churned", "segment"]),
    ("weather", ["station", "date", "temp_c", "rain_mm", "wind_kmh", "humidity"]),
    ("traffic", ["sensor", "hour", "vehicles", "speed", "lane", "incident"]),
    ("housing", ["district", "rooms", "area_m2", "price", "year_built", "lat"]),
    ("survey", ["respondent", "age", "country", "score", "answer", "weight"]),
    ("energy", ["meter", "timestamp", "kwh", "tariff", "building", "outdoor_temp"]),
    ("genomics", ["sample", "gene", "expression", "condition", "batch", "pvalue"]),
    ("retail", ["basket", "sku", "price", "quantity", "discount", "channel"]),
    ("clinical", ["patient", "visit", "dose", "response", "arm", "adverse_event"]),
]

SENTENCES = [
    "This notebook explores the {topic} data set collected over the last two years.",
    "We want to understand which factors drive `{col}` and how stable the effect is.",
    "The raw files come from the shared drive and are refreshed every night.",
    "Most of the cleaning steps below were agreed with the data owners in March.",
    "Missing values are rare, but a handful of rows have a negative `{col}`.",
    "We drop those rows rather than impute them, because they are data-entry errors.",
    "The distribution of `{col}` is heavily skewed, so we look at it on a log scale.",
    "A simple baseline turns out to be surprisingly hard to beat here.",
    "See the [internal wiki](https://wiki.example.org/{topic}) for the column definitions.",
    "The seasonal pattern is visible in every region, with a peak in the summer months.",
    "Numbers below are preliminary and should not be shared outside the team yet.",
    "We fit the model on 80% of the rows and keep the rest for evaluation.",
    "The effect of `{col}` is small compared to the noise, about $\\sigma \\approx 0.3$.",
    "**Note:** the 2024 data uses a different unit, converted in the cell below.",
    "Outliers are kept in the plots but excluded from the summary statistics.",
    "The correlation between `{col}` and the target is weak (r = 0.12).",
    "TODO: check with the owners whether the duplicated ids are expected.",
    "Results are grouped by `{col}` to keep the tables readable.",
    "The chart shows a clear upward trend after the policy change.",
    "This section repeats the analysis with the cleaned data.",
    "We compare three approaches and keep the simplest one that works.",
    "Runtime is dominated by the join, which takes about a minute on a laptop.",
]

HEADINGS = [
    "Exploration", "Cleaning", "Feature engineering", "Distribution of {col}", "Trends by {col}",
    "Model", "Evaluation", "Sanity checks", "Outliers", "Seasonality", "Comparison", "Grouping by {col}",
    "Correlations", "A closer look at {col}", "Baseline", "Error analysis", "Sensitivity", "Plots",
]

IMPORT_POOL = [
    "import os", "import re", "import json", "import math", "import random", "import datetime as dt",
    "from pathlib import Path", "from collections import Counter, defaultdict", "import itertools",
    "import numpy as np", "import pandas as pd", "import matplotlib.pyplot as plt",
    "import seaborn as sns", "from sklearn.model_selection import train_test_split",
    "from sklearn.linear_model import LogisticRegression", "from sklearn.ensemble import RandomForestClassifier",
    "from sklearn.metrics import accuracy_score, roc_auc_score", "import scipy.stats as stats",
    "import statsmodels.api as sm", "from tqdm import tqdm", "import requests", "import warnings",
]


# -- small valid PNG images ------------------------------------------------------------------

def _png(width: int, height: int, rng: random.Random, noise: float) -> bytes:
    """A valid RGB PNG: white background, a few line series, and a noisy band (controls size)."""
    rows = [bytearray(b"\xff" * (width * 3)) for _ in range(height)]
    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
    for s in range(rng.randint(1, 4)):
        r, g, b = colours[s % 4]
        y = rng.uniform(0.2, 0.8) * height
        for x in range(width):
            y = min(height - 2.0, max(1.0, y + rng.gauss(0, 1.5)))
            for dy in (0, 1):
                row = rows[int(y) + dy]
                row[3 * x: 3 * x + 3] = bytes((r, g, b))
    band = int(height * noise)
    for yy in range(height - band, height):
        rows[yy] = bytearray(rng.getrandbits(8) for _ in range(width * 3))
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def png_pool(seed: int) -> list[str]:
    """Base64 PNG charts from about 4 kB to 60 kB (matplotlib figures are typically 15-40 kB)."""
    rng = random.Random(f"png-{seed}")
    pool = []
    for width, height, noise in [(360, 240, 0.0), (432, 288, 0.02), (500, 300, 0.05), (576, 384, 0.04),
                                 (640, 480, 0.03), (720, 360, 0.08), (400, 400, 0.1), (864, 432, 0.02)]:
        pool.append(base64.b64encode(_png(width, height, rng, noise)).decode("ascii"))
    return pool


# -- notebook builder --------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    """nbformat's on-disk form of multi-line strings: a list of lines keeping their newlines."""
    return text.splitlines(keepends=True)


class NotebookBuilder:
    def __init__(self, rng: random.Random, pngs: list[str], with_ids: bool):
        self.rng = rng
        self.pngs = pngs
        self.with_ids = with_ids
        self.cells: list[dict] = []
        self.count = 0

    def _id(self) -> str:
        return f"{self.rng.getrandbits(32):08x}"

    def md(self, text: str) -> None:
        cell = {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}
        if self.with_ids:
            cell["id"] = self._id()
        self.cells.append(cell)

    def raw(self, text: str) -> None:
        cell = {"cell_type": "raw", "metadata": {}, "source": _lines(text)}
        if self.with_ids:
            cell["id"] = self._id()
        self.cells.append(cell)

    def code(self, text: str, outputs: list[dict] | None = None, executed: bool = True,
             tags: list[str] | None = None) -> None:
        if executed:
            self.count += 1
        cell: dict = {"cell_type": "code", "execution_count": self.count if executed else None}
        if self.with_ids:
            cell["id"] = self._id()
        cell["metadata"] = {"tags": tags} if tags else {}
        if executed and outputs:
            for o in outputs:
                if o["output_type"] == "execute_result":
                    o["execution_count"] = self.count
        cell["outputs"] = outputs if executed and outputs else []
        cell["source"] = _lines(text)
        self.cells.append(cell)

    # outputs
    @staticmethod
    def stream(text: str, name: str = "stdout") -> dict:
        return {"name": name, "output_type": "stream", "text": _lines(text)}

    @staticmethod
    def result(plain: str, html: str | None = None) -> dict:
        data = {"text/plain": _lines(plain)}
        if html is not None:
            data = {"text/html": _lines(html), "text/plain": _lines(plain)}
        return {"data": data, "execution_count": None, "metadata": {}, "output_type": "execute_result"}

    def figure(self) -> dict:
        png = self.rng.choice(self.pngs)
        return {"data": {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                "metadata": {}, "output_type": "display_data"}

    @staticmethod
    def error(ename: str, evalue: str, frames: list[str]) -> dict:
        tb = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
              f"\x1b[0;31m{ename}\x1b[0m                          Traceback (most recent call last)"]
        tb += frames + [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
        return {"ename": ename, "evalue": evalue, "output_type": "error", "traceback": tb}


def _table(rng: random.Random, cols: list[str], nrows: int) -> tuple[str, str]:
    """A pandas-style DataFrame repr: (text/plain, text/html)."""
    ncols = rng.randint(3, len(cols))
    use = cols[:ncols]
    values = [[_cell_value(rng, c) for c in use] for _ in range(nrows)]
    width = [max(len(c), *(len(v[i]) for v in values)) for i, c in enumerate(use)]
    plain = "    " + "  ".join(c.rjust(w) for c, w in zip(use, width)) + "\n"
    plain += "\n".join(f"{i:<4}" + "  ".join(v.rjust(w) for v, w in zip(row, width)) for i, row in enumerate(values))
    html = [('<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n        vertical-align: middle;\n    }\n\n'
            '    .dataframe tbody tr th {\n        vertical-align: top;\n    }\n\n    .dataframe thead th {\n'
            '        text-align: right;\n    }\n</style>\n<table border="1" class="dataframe">\n  <thead>\n'
            '    <tr style="text-align: right;">\n      <th></th>\n')]
    html += [f"      <th>{c}</th>\n" for c in use]
    html.append("    </tr>\n  </thead>\n  <tbody>\n")
    for i, row in enumerate(values):
        html.append(f"    <tr>\n      <th>{i}</th>\n")
        html += [f"      <td>{v}</td>\n" for v in row]
        html.append("    </tr>\n")
    html.append(f"  </tbody>\n</table>\n<p>{nrows} rows × {ncols} columns</p>\n</div>")
    return plain, "".join(html)


def _cell_value(rng: random.Random, col: str) -> str:
    if col.endswith(("id", "_id")) or col in ("sample", "patient", "respondent", "meter", "sensor", "basket"):
        return f"{rng.randint(10000, 99999)}"
    if col in ("region", "plan", "segment", "station", "lane", "district", "country", "condition",
               "arm", "channel", "product", "store", "building", "tariff", "gene", "sku", "answer"):
        return rng.choice(["north", "south", "east", "west", "basic", "premium", "A", "B", "ctrl", "web"])
    if col in ("date", "timestamp", "month"):
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{rng.uniform(-5, 500):.3f}"


def build_notebook(index: int, seed: int, pngs: list[str]) -> tuple[str, dict]:
    """(file name, notebook JSON) for corpus member ``index``."""
    rng = random.Random(f"{seed}-{index}")
    topic, cols = rng.choice(TOPICS)
    col = rng.choice(cols)
    n_target = min(200, max(20, int(rng.lognormvariate(4.1, 0.6))))  # median ~60 cells
    nb = NotebookBuilder(rng, pngs, with_ids=rng.random() < 0.7)

    def prose(n: int | None = None) -> str:
        k = n or rng.randint(1, 4)
        return " ".join(rng.choice(SENTENCES).format(topic=topic, col=rng.choice(cols)) for _ in range(k))

    standard = rng.random() < 0.35  # follows the standard layout (summary, questions, ...)
    if rng.random() < 0.05:
        nb.raw(f"---\ntitle: {topic} analysis\nauthor: data team\n---")
    if rng.random() < 0.9:
        nb.md(f"# {topic.title()} analysis\n\n{prose(2)}")
    if standard:
        nb.md("## Executive summary\n\n" + prose(3) + "\n\n- " + prose(1) + "\n- " + prose(1))
        nb.md(f"## Questions\n\n1. What drives `{col}`?\n2. Is the effect stable over time?\n3. {prose(1)}")
        nb.md("## Setup")
    elif rng.random() < 0.5:
        nb.md("## Introduction\n\n" + prose(3))

    imports = rng.sample(IMPORT_POOL, rng.randint(4, 11))
    if "import numpy as np" not in imports:
        imports.append("import numpy as np")
    if "import pandas as pd" not in imports:
        imports.append("import pandas as pd")
    if "import matplotlib.pyplot as plt" not in imports:
        imports.append("import matplotlib.pyplot as plt")
    if rng.random() < 0.08:
        imports.append("from pylab import *")
    nb.code("\n".join(imports), [nb.stream("/usr/lib/python3/site-packages/tqdm/auto.py:21: TqdmWarning: "
                                          "IProgress not found.\n", "stderr")] if rng.random() < 0.2 else None)
    setup = []
    if rng.random() < 0.7:
        setup.append("%matplotlib inline")
    if rng.random() < 0.3:
        setup += ["%load_ext autoreload", "%autoreload 2"]
    if rng.random() < 0.45:
        setup.append(rng.choice(["np.random.seed(42)", "SEED = 0\nrandom.seed(SEED)\nnp.random.seed(SEED)",
                                 "rng = np.random.default_rng(2024)"]))
    setup.append("pd.set_option('display.max_columns', 50)")
    if rng.random() < 0.3:
        setup.append("plt.rcParams['figure.figsize'] = (10, 6)")
    nb.code("\n".join(setup))
    if rng.random() < 0.25:
        nb.code(f"!pip install -q {rng.choice(['seaborn', 'pyarrow', 'openpyxl', 'xgboost'])}",
                [nb.stream("Requirement already satisfied: seaborn in /opt/conda/lib/python3.11/site-packages\n")])

    if standard or rng.random() < 0.5:
        nb.md(rng.choice(["## Data", "## Load data", "## Data loading"]) + "\n\n" + prose(2))
    path = (f"/home/{rng.choice(['alice', 'bob', 'jdoe'])}/projects/{topic}/data/raw.csv" if rng.random() < 0.3
            else f"data/{topic}.csv")
    plain, html = _table(rng, cols, 5)
    nb.code(f"df = pd.read_csv({path!r})\ndf.head()", [nb.result(plain, html)])
    nb.code("df.shape", [nb.result(f"({rng.randint(1000, 900000)}, {len(cols)})")])
    if rng.random() < 0.6:
        info = "".join(f" {i}   {c:<16} {rng.randint(900, 1000)} non-null   float64\n" for i, c in enumerate(cols))
        nb.code("df.info()", [nb.stream("<class 'pandas.core.frame.DataFrame'>\nRangeIndex: 1000 entries, 0 to 999\n"
                                        f"Data columns (total {len(cols)} columns):\n{info}"
                                        "dtypes: float64(6)\nmemory usage: 47.0 KB\n")])

    # decide the closing cells first, so the notebook ends with exactly ``n_target`` cells
    closing = []
    if standard or rng.random() < 0.4:
        closing.append(("md", rng.choice(["## Findings", "## Conclusions", "## Results", "## Key findings"]) + "\n\n"
                        + "\n".join(f"{i + 1}. {prose(1)}" for i in range(rng.randint(1, 4)))))
    if rng.random() < 0.3:
        closing.append(("md", "## Next steps\n\n- " + prose(1) + "\n- " + prose(1)))
    if rng.random() < 0.5:
        closing.append(("code", ""))  # the usual trailing empty cell

    section = 0
    skip_outputs = rng.random() < 0.08  # a notebook committed without running everything
    while len(nb.cells) < n_target - len(closing):
        k = rng.random()
        c1, c2 = rng.sample(cols, 2)
        if k < 0.12:
            section += 1
            level = "##" if rng.random() < 0.7 else "###"
            if rng.random() < 0.05:
                level = "####"  # a heading-level jump
            nb.md(f"{level} {rng.choice(HEADINGS).format(col=c1)}\n\n{prose()}")
        elif k < 0.22:
            text = prose()
            if rng.random() < 0.3:
                text += "\n\n" + "\n".join(f"- {prose(1)}" for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.1:
                text += f"\n\n```python\ndf.groupby('{c1}').mean()\n```"
            nb.md(text)
        elif k < 0.36:
            plain, html = _table(rng, cols, rng.randint(5, 12))
            src = rng.choice([
                f"df.groupby('{c1}')['{c2}'].agg(['mean', 'std', 'count']).reset_index()",
                f"df[df['{c1}'] > df['{c1}'].median()].sort_values('{c2}', ascending=False).head(10)",
                f"pivot = df.pivot_table(index='{c1}', columns='{c2}', values='{cols[0]}', aggfunc='sum')\npivot",
                "df.describe()",
                f"merged = df.merge(lookup, on='{c1}', how='left')\nmerged.sample(8)",
                f"(df\n  .assign(ratio=lambda d: d['{c1}'] / d['{c2}'])\n  .query('ratio > 0.5')\n  .head(10))",
            ])
            nb.code(src, [nb.result(plain, html)], executed=not skip_outputs)
        elif k < 0.48:
            src = rng.choice([
                (f"fig, ax = plt.subplots(figsize=(8, 5))\nax.plot(df['{c1}'], df['{c2}'], '.', alpha=0.4)\n"
                f"ax.set_xlabel('{c1}')\nax.set_ylabel('{c2}')\nax.set_title('{c2} vs {c1}')\nplt.show()"),
                f"df['{c1}'].hist(bins=50)\nplt.title('distribution of {c1}')\nplt.show()",
                f"sns.boxplot(data=df, x='{c1}', y='{c2}')\nplt.xticks(rotation=45)\nplt.tight_layout()",
                f"ax = df.groupby('{c1}')['{c2}'].mean().plot(kind='bar')\nax.set_ylabel('mean {c2}')",
                "plt.figure()\nplt.scatter(np.random.rand(100), np.random.rand(100))\nplt.show()",
            ])
            outs = [nb.figure()]
            if rng.random() < 0.2:
                outs.insert(0, nb.stream("/tmp/ipykernel_1234/3015.py:3: UserWarning: FixedFormatter should only "
                                         "be used together with FixedLocator\n", "stderr"))
            nb.code(src, outs, executed=not skip_outputs)
        elif k < 0.58:
            n = rng.randint(1, 30)
            text = "".join(f"{c1}={rng.uniform(0, 100):.4f} {c2}={rng.randint(0, 999)}\n" for _ in range(n))
            src = rng.choice([
                f"for key, grp in df.groupby('{c1}'):\n    print(key, len(grp), grp['{c2}'].mean())",
                f"print(df['{c1}'].value_counts())",
                f"print('rows before:', len(df))\ndf = df.dropna(subset=['{c1}'])\nprint('rows after:', len(df))",
            ])
            nb.code(src, [nb.stream(text)], executed=not skip_outputs)
        elif k < 0.66:
            name = f"clean_{c1}"
            body = [f"def {name}(frame, threshold=0.5):",
                    f'    """Drop rows where {c1} is out of range and normalise {c2}."""',
                    "    out = frame.copy()",
                    f"    out = out[out['{c1}'].between(0, out['{c1}'].quantile(0.99))]",
                    f"    out['{c2}'] = (out['{c2}'] - out['{c2}'].mean()) / out['{c2}'].std()",
                    f"    return out[out['{c2}'].abs() < 1 / threshold]", "",
                    f"df_clean = {name}(df)"]
            if rng.random() < 0.15:  # a long cell
                body += [f"df_clean['f{i}'] = df_clean['{c1}'] * {i} + df_clean['{c2}'] ** 2" for i in range(rng.randint(25, 60))]
            nb.code("\n".join(body), executed=not skip_outputs)
        elif k < 0.72:
            src = rng.choice([
                (f"X = df[['{c1}', '{c2}']].values\ny = df['{cols[-1]}'].values\n"
                "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)\n"
                "model = RandomForestClassifier(n_estimators=200)\nmodel.fit(X_train, y_train)\n"
                "accuracy_score(y_test, model.predict(X_test))"),
                f"idx = np.random.choice(len(df), 500)\nsample = df.iloc[idx]\nsample['{c1}'].mean()",
                "import random\nrandom.shuffle(rows)\nrows[:3]",
                f"boot = [df['{c1}'].sample(frac=1, replace=True).mean() for _ in range(1000)]\nnp.percentile(boot, [2.5, 97.5])",
            ])
            nb.code(src, [nb.result(f"{rng.uniform(0.5, 0.99):.4f}")], executed=not skip_outputs)
        elif k < 0.78:
            src = rng.choice([
                "%%time\n" + f"result = df.groupby(['{c1}', '{c2}']).size().unstack(fill_value=0)",
                f"%timeit df['{c1}'].apply(lambda v: v * 2)",
                "!ls -la data/ | head",
                f"%%bash\nwc -l data/{topic}.csv\nhead -3 data/{topic}.csv",
                "files = !ls data\nlen(files)",
                f"df.{c1}?",
                "%who",
            ])
            outs = [nb.stream(rng.choice(["CPU times: user 1.21 s, sys: 40 ms, total: 1.25 s\nWall time: 1.25 s\n",
                                          "12.4 ms ± 211 µs per loop (mean ± std. dev. of 7 runs, 100 loops each)\n",
                                          "total 2048\n-rw-r--r-- 1 alice staff 1048576 Mar  3 raw.csv\n"]))]
            nb.code(src, outs, executed=not skip_outputs)
        elif k < 0.82:
            nb.code(rng.choice(["", "\n", "   "]), executed=False)  # an empty cell
        elif k < 0.86:
            src = rng.choice([
                (f"# df = df[df['{c1}'] > 0]\n# df['{c2}'] = df['{c2}'].fillna(0)\n# print(df.shape)\n# df.head()\n"
                f"df['{c1}'].isna().sum()"),
                f"import pdb; pdb.set_trace()\nx = df['{c1}'].max()",
                f"import scipy\nscipy.stats.ttest_ind(df['{c1}'], df['{c2}'])",
                f"from sklearn.preprocessing import StandardScaler\nscaler = StandardScaler()\nZ = scaler.fit_transform(df[['{c1}']])",
            ])
            nb.code(src, [nb.result(str(rng.randint(0, 50)))], executed=not skip_outputs)
        elif k < 0.90:
            frames = [f"Cell \x1b[0;32mIn[{nb.count + 1}], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m df[\x1b[38;5;124m'{c1}_x'\x1b[39m]",
                      ("File \x1b[0;32m/opt/conda/lib/python3.11/site-packages/pandas/core/frame.py:4102\x1b[0m, in "
                      "\x1b[0;36mDataFrame.__getitem__\x1b[0;34m(self, key)\x1b[0m\n   4100 \x1b[38;5;28;01mif\x1b[39;00m "
                      "\x1b[38;5;28mself\x1b[39m\x1b[38;5;241m.\x1b[39mcolumns\x1b[38;5;241m.\x1b[39mnlevels "
                      "\x1b[38;5;241m>\x1b[39m \x1b[38;5;241m1\x1b[39m:")] * rng.randint(1, 4)
            if rng.random() < 0.5:
                nb.code(f"df['{c1}_x'].mean()", [nb.error("KeyError", f"'{c1}_x'", frames)], executed=not skip_outputs)
            else:
                nb.code(f"total = df['{c1}'].sum()\ntotal", [nb.result(f"{rng.uniform(1e3, 1e6):.2f}")],
                        executed=not skip_outputs)
        elif k < 0.93:
            nb.code(f"summary = {{\n    'n': len(df),\n    'mean_{c1}': df['{c1}'].mean(),\n    'path': "
                    f"'/Users/{rng.choice(['alice', 'bob'])}/Desktop/out.csv',\n}}\nsummary",
                    [nb.result(f"{{'n': 1000, 'mean_{c1}': 12.5, 'path': '/Users/alice/Desktop/out.csv'}}")],
                    executed=not skip_outputs)
        elif k < 0.95:
            nb.code(f"df.to_csv('output/{topic}_clean.csv', index=False)", executed=rng.random() < 0.7)
        elif k < 0.955:
            nb.code(f"if df['{c1}'].mean() > 0\n    print('positive')")  # a syntax error
        else:
            nb.code(f"df['{c1}'].nunique()", [nb.result(str(rng.randint(2, 300)))], executed=not skip_outputs)

    for kind, text in closing:
        if kind == "md":
            nb.md(text)
        else:
            nb.code(text, executed=False)

    # out-of-order execution: re-run a few cells late, as interactive sessions do
    if rng.random() < 0.3:
        code_cells = [c for c in nb.cells if c["cell_type"] == "code" and c["execution_count"] is not None]
        for c in rng.sample(code_cells, min(len(code_cells), rng.randint(1, 5))):
            nb.count += rng.randint(1, 4)
            c["execution_count"] = nb.count
            for o in c["outputs"]:
                if o["output_type"] == "execute_result":
                    o["execution_count"] = nb.count

    metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                          "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                          "pygments_lexer": "ipython3", "version": f"3.{rng.choice([9, 10, 11, 12])}.{rng.randint(0, 9)}"},
    }
    data = {"cells": nb.cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5 if nb.with_ids else 4}
    stem = rng.choice(["analysis", "exploration", "eda", "report", "model", "study", "notes"])
    name = f"{index:04d}_{topic}_{stem}.ipynb"
    if rng.random() < 0.03:
        name = f"{index:04d}_Untitled.ipynb"
    return name, data


def generate(out: Path, count: int, seed: int) -> dict:
    """Write ``count`` notebooks into ``out`` (replacing its contents); return the manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pngs = png_pool(seed)
    cells = []
    total_bytes = 0
    kinds: dict[str, int] = {}
    for i in range(count):
        name, data = build_notebook(i, seed, pngs)
        text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        raw = text.encode("utf-8")
        (out / name).write_bytes(raw)
        total_bytes += len(raw)
        cells.append(len(data["cells"]))
        for c in data["cells"]:
            for o in c.get("outputs", []):
                kinds[o["output_type"]] = kinds.get(o["output_type"], 0) + 1
                if "image/png" in o.get("data", {}):
                    kinds["image/png"] = kinds.get("image/png", 0) + 1
    cells.sort()
    manifest = {
        "generator": GENERATOR_VERSION, "seed": seed, "count": count,
        "cells": {"total": sum(cells), "min": cells[0], "median": cells[len(cells) // 2], "max": cells[-1]},
        "bytes": total_bytes, "outputs": dict(sorted(kinds.items())),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def ensure_corpus(out: Path, count: int, seed: int) -> dict:
    """The corpus manifest, generating the corpus first when it is missing or different."""
    try:
        manifest = json.loads((out / "manifest.json").read_text())
        if (manifest.get("generator"), manifest.get("seed"), manifest.get("count")) == (GENERATOR_VERSION, seed, count) \
                and len(list(out.glob("*.ipynb"))) == count:
            return manifest
    except (OSError, ValueError):
        pass
    return generate(out, count, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500, help="number of notebooks (default 500)")
    ap.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    m = generate(args.out, args.count, args.seed)
    print(f"{m['count']} notebooks, {m['cells']['total']} cells ({m['cells']['min']}-{m['cells']['max']}, "
          f"median {m['cells']['median']}), {m['bytes'] / 1e6:.1f} MB, outputs {m['outputs']} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
