"""Regenerate examples/: write the example notebooks and execute them in a real kernel.

The flawed examples are executed the way a careless session would run them (cells out of
order, no seed), so their stored outputs carry the flaws nbkit is meant to find.

    python scripts/make_examples.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def md(text):
    return new_markdown_cell(text)


def code(text, tags=None):
    c = new_code_cell(text)
    if tags:
        c.metadata["tags"] = tags
    return c


def make_data():
    rng = np.random.default_rng(2025)
    rows = ["region,year,month,sales"]
    base = {"North": 100.0, "South": 120.0, "East": 90.0, "West": 110.0}
    growth = {"North": 1.21, "South": 1.08, "East": 1.05, "West": 0.97}
    for region, b in base.items():
        for year in (2024, 2025):
            for month in range(1, 13):
                level = b * (growth[region] if year == 2025 else 1.0)
                value = level * (1 + 0.1 * np.sin(month / 12 * 2 * np.pi)) + rng.normal(0, 3)
                rows.append(f"{region},{year},{month},{value:.1f}")
    (EX / "data").mkdir(parents=True, exist_ok=True)
    (EX / "data" / "regional_sales.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def execute(nb, path: Path, order=None):
    """Execute the code cells (in ``order`` of cell indices when given) with cwd = the notebook's folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    env_before = dict(os.environ)
    os.environ.update({"PYTHONHASHSEED": "0", "TZ": "UTC", "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    try:
        if order is None:
            client.execute()
        else:
            with client.setup_kernel():
                for i in order:
                    try:
                        client.execute_cell(nb.cells[i], i)
                    except Exception:  # noqa: BLE001 - flawed examples may raise; keep the error output
                        pass
                client.set_widgets_metadata()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    print("wrote", path.relative_to(ROOT))


def good_example():
    cells = [
        md("# Regional sales in 2025: which regions grew?\n\nAuthor: nbkit examples  \nDate: 2026-11-26"),
        md("## Executive summary\n\n"
           "Sales grew in three of the four regions in 2025. The North grew fastest, by about a fifth, while "
           "the West shrank slightly. A seeded bootstrap over months shows that the North's lead is robust, so "
           "the North is where extra sales staff would pay off first."),
        md("## Questions\n\n"
           "1. Which regions grew their sales from 2024 to 2025?\n"
           "2. Is the fastest-growing region's lead robust to month-to-month noise?"),
        md("## Setup\n\nImports, parameters and seeding, so the notebook re-runs top to bottom."),
        code("import random\n\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport pandas as pd"),
        code('SEED = 42\nDATA_FILE = "data/regional_sales.csv"\nN_BOOTSTRAP = 1000', tags=["parameters"]),
        code("random.seed(SEED)\nnp.random.seed(SEED)\nrng = np.random.default_rng(SEED)"),
        md("## Data\n\nThe data is `data/regional_sales.csv`: a small synthetic extract of monthly sales per "
           "region for 2024 and 2025 that ships with these examples (written by `scripts/make_examples.py`)."),
        code("sales = pd.read_csv(DATA_FILE)\nsales.head()"),
        md("## Growth by region\n\nTotal sales per region and year, and the growth from 2024 to 2025 (Table 1)."),
        code('totals = sales.pivot_table(index="region", columns="year", values="sales", aggfunc="sum")\n'
             'totals["growth_pct"] = (totals[2025] / totals[2024] - 1) * 100\n'
             "totals.round(1)"),
        md("Figure 1 shows the growth per region."),
        code('ax = totals["growth_pct"].sort_values().plot.barh(color="#4c72b0")\n'
             'ax.set_title("Figure 1: sales growth 2024 to 2025 by region")\n'
             'ax.set_xlabel("growth (%)")\n'
             'ax.set_ylabel("region")\n'
             "plt.tight_layout()\n"
             "plt.show()"),
        md("## Robustness of the North's lead\n\n"
           "A bootstrap over months: in how many resamples is the North's growth the largest?"),
        code("monthly = sales.pivot_table(index=[\"region\", \"month\"], columns=\"year\", values=\"sales\")\n"
             "wins = 0\n"
             "for _ in range(N_BOOTSTRAP):\n"
             "    months = rng.integers(1, 13, size=12)\n"
             "    growth = {r: monthly.loc[r].loc[months, 2025].sum() / monthly.loc[r].loc[months, 2024].sum()\n"
             "              for r in totals.index}\n"
             "    wins += max(growth, key=growth.get) == \"North\"\n"
             "share = wins / N_BOOTSTRAP\n"
             "print(f\"North leads in {share:.1%} of {N_BOOTSTRAP} resamples\")"),
        md("## Findings\n\n"
           "1. Three of the four regions grew; the North grew most, by about 22% (Table 1, Figure 1), and the "
           "West shrank by about 4.5%.\n"
           "2. The North's lead held in every one of the 1,000 bootstrap resamples, so it is robust to "
           "month-to-month noise."),
    ]
    path = EX / "regional_sales_report.ipynb"
    execute(new_notebook(cells=cells), path)
    from nbkit.pin import pin_notebook

    pin_notebook(path, seed=42)  # record the environment and the seed (nbkit pin)


def out_of_order():
    cells = [
        md("# Price totals, run out of order\n\n"
           "*Flawed example*: the cells were run in the order 3, 2, 4, so the stored outputs look fine but "
           "Restart & Run All fails."),
        code("import pandas as pd"),
        code("total = prices.sum()\ntotal"),
        code("prices = pd.Series([3.0, 4.5, 2.5])"),
        code("print(f\"total price: {total}\")"),
    ]
    execute(new_notebook(cells=cells), EX / "flawed" / "out_of_order_execution.ipynb", order=[1, 3, 2, 4])


def unseeded():
    cells = [
        md("# Simulated demand, without a seed\n\n*Flawed example*: random numbers are drawn without seeding, "
           "so every run prints different numbers."),
        code("import numpy as np"),
        code("demand = np.random.normal(loc=100, scale=15, size=5)\nprint(demand.round(1))"),
        code("print(f\"mean demand: {demand.mean():.2f}\")"),
    ]
    execute(new_notebook(cells=cells), EX / "flawed" / "unseeded_randomness.ipynb")


def absolute_paths():
    cells = [
        md("# Loading data from the author's machine\n\n*Flawed example*: paths that only exist on one "
           "machine, and a `sys.path` hack."),
        code("import os\nimport sys"),
        code('sys.path.append("/home/alice/projects/shared-lib")\nDATA = "/home/alice/projects/sales/data.csv"'),
        code("os.path.exists(DATA)"),
    ]
    execute(new_notebook(cells=cells), EX / "flawed" / "absolute_paths.ipynb")


def missing_sections():
    cells = [
        md("# Quick look at squares"),
        code("squares = [n * n for n in range(10)]"),
        code("sum(squares)"),
        md("Looks fine."),
    ]
    execute(new_notebook(cells=cells), EX / "flawed" / "missing_sections.ipynb")


def main() -> int:
    make_data()
    good_example()
    out_of_order()
    unseeded()
    absolute_paths()
    missing_sections()
    return 0


if __name__ == "__main__":
    sys.exit(main())
