"""The console samples in the docs, written from real runs.

Every block of nbkit output in docs/*.md and README.md sits between two markers::

    <!-- sample: verify-two-notebooks -->
    ```console
    $ nbkit verify notebooks/ -j 2
    ...what that command printed...
    ```
    <!-- /sample -->

and this script writes it: each scenario below builds small notebooks in a temporary folder,
runs the real commands there (``nbkit`` and ``pytest`` of this checkout, real kernels) and
records what they print, stdout and stderr in the order a terminal shows them.

    python scripts/make_doc_samples.py           # run every scenario, rewrite the stale samples
    python scripts/make_doc_samples.py --check   # exit 1 naming each stale sample (tests/test_doc_samples.py)
    python scripts/make_doc_samples.py --print getting_started   # print one scenario's samples, write nothing

What varies from run to run is written as measured and masked only when comparing (``--check``
and the test): durations (``(0.6 s)``, ``in 1.52s`` and the ``===`` padding around it), the Python
version and platform, package and nbkit versions, dates (see ``MASKS``); a refresh rewrites only
the samples that differ in something else. The progress lines ``nbkit verify: [1/2] ...``
(printed instead of the progress bar when stderr is not a terminal) are left out, as a terminal
does not show them; a sample may also keep only some lines of the output (``keep``), the others
marked with ``...``. Commands run in the scenario's folder with relative paths; where nbkit
prints an absolute path (an error naming a pyproject.toml), the folder is written as
``/tmp/<scenario>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
REFRESH = "python scripts/make_doc_samples.py"
MARKER = re.compile(r"^<!-- sample: (?P<name>[\w-]+) -->\n(?P<body>.*?)^<!-- /sample -->\n", re.S | re.M)

# what varies from run to run: masked on both sides before a committed sample is compared
MASKS = [
    (re.compile(r"\(\d+(?:\.\d+)? s\)"), "(<duration>)"),  # nbkit's "(0.6 s)"
    (re.compile(r"\bin \d+\.\d+s\b"), "in <duration>"),  # pytest's "1 passed in 1.52s"
    (re.compile(r"={3,}"), "==="),  # pytest pads its summary line to the width, around the duration
    (re.compile(r"Python \d+\.\d+\.\d+ \([^)]*\)"), "Python <version>"),  # pin's interpreter
    (re.compile(r"(\d+ packages?: )[^;\n]*"), r"\1<versions>"),  # pin's package list
    (re.compile(r"(installed|->) \d+(?:\.\d+)+\w*"), r"\1 <version>"),  # drift: the installed version
    (re.compile(r"version \d+\.\d+\S*"), "version <version>"),  # nbkit --version
    (re.compile(r"nbkit \d+\.\d+\.\d+\S*"), "nbkit <version>"),  # jupyter server extension list
    (re.compile(r"\b\d{4}-\d\d-\d\d(?:T[\d:.]+Z?)?"), "<date>"),
    (re.compile(r"[ \t]+$", re.M), ""),
]


def masked(text: str) -> str:
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return text


# -- running commands ---------------------------------------------------------------------

@dataclass
class Session:
    """A scenario's folder and the samples it records."""

    folder: Path
    samples: dict[str, str] = field(default_factory=dict)

    def write(self, rel: str, text: str) -> Path:
        p = self.folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    def notebook(self, rel: str, cells: list[dict], **metadata) -> Path:
        nb = {"cells": [dict(c, id=hashlib.sha1(f"{rel}:{i}".encode()).hexdigest()[:8]) for i, c in enumerate(cells)],
              "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                           "language_info": {"name": "python"}, **metadata},
              "nbformat": 4, "nbformat_minor": 5}
        return self.write(rel, json.dumps(nb, indent=1) + "\n")

    def run(self, command: str) -> tuple[int, str]:
        """Run one shell-like command line (``nbkit ...``, ``pytest ...``) in the folder."""
        argv = shlex.split(command)
        if argv[0] in ("nbkit", "pytest", "jupyter", "pre-commit"):
            argv = [sys.executable, "-m", argv[0].replace("-", "_"), *argv[1:]]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1", "NO_COLOR": "1", "COLUMNS": "96",
               "NBKIT_CACHE_DIR": str(self.folder / ".cache"), "PYTEST_ADDOPTS": "-p no:cacheprovider",
               "PRE_COMMIT_COLOR": "never", "PRE_COMMIT_HOME": str(self.folder / ".cache" / "pre-commit"),
               "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
        env.pop("PRE_COMMIT", None)
        env.pop("PYTEST_XDIST_WORKER", None)
        p = subprocess.run(argv, cwd=self.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600, check=False)
        text = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout)  # colours, where a tool prints them anyway
        lines = [ln for ln in text.splitlines() if not re.match(r"nbkit verify: \[\d+/\d+\] ", ln)]
        return p.returncode, "\n".join(lines).rstrip("\n")

    def sample(self, name: str, *commands: str, keep: Callable[[list[str]], list[str]] | None = None,
               exit_code: bool = False, lang: str = "console") -> None:
        """Record ``$ command`` and its output, for each command, as the sample ``name`` (after what
        it holds already: a sample may show commands with changes to the files between them).
        A ``  # comment`` after a command is shown, not run."""
        previous = self.samples.get(name, "").removeprefix(f"```{lang}\n").removesuffix("```\n").rstrip("\n")
        out = [previous] if previous else []
        for command in commands:
            shown = command.split("  #", 1)
            code, text = self.run(shown[0].strip())
            text = text.replace(str(self.folder.parent), "/tmp")  # the scenario's folder is /tmp/<name>
            out.append(f"$ {command}")
            lines = text.splitlines()
            if keep is not None:
                lines = keep(lines)
            out.extend(lines)
            if exit_code:
                out.append(f"[exit {code}]")
        self.samples[name] = f"```{lang}\n" + "\n".join(out).rstrip("\n") + "\n```\n"

    def json_sample(self, name: str, value) -> None:
        """A piece of what nbkit wrote into a notebook, as JSON."""
        text = json.dumps(value, indent=2)
        self.samples[name] = "```json\n" + text + "\n```\n"

    def metadata(self, rel: str) -> dict:
        return json.loads((self.folder / rel).read_text(encoding="utf-8"))["metadata"].get("nbkit", {})


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, outputs: list[str] | None = None, count: int | None = None) -> dict:
    outs = [{"name": "stdout", "output_type": "stream", "text": t} for t in outputs or []]
    return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outs, "source": text}


def between(start: str, stop: str | None = None, *, last: int = 0) -> Callable[[list[str]], list[str]]:
    """Keep the lines from the first that starts with ``start`` up to (not including) the first
    after it that starts with ``stop``; then ``...`` and the ``last`` lines of the output."""

    def keep(lines: list[str]) -> list[str]:
        i = next(k for k, ln in enumerate(lines) if ln.startswith(start))
        j = next((k for k in range(i + 1, len(lines)) if stop and lines[k].startswith(stop)), len(lines))
        kept = lines[i:j] if i == 0 else ["...", *lines[i:j]]
        if last:
            kept += ["...", *lines[-last:]]
        return kept

    return keep


# -- the scenarios -----------------------------------------------------------------------

def _churn_and_demand(s: Session) -> None:
    """docs/verify.md and docs/pytest.md: one notebook that reproduces, one whose stored output
    is stale (the data changed after it was run)."""
    s.write("notebooks/data/demand.csv", "week,demand\n1,101.5\n2,108.0\n3,104.2\n4,110.8\n")
    s.notebook("notebooks/churn_drivers_q3.ipynb", [
        md("# Churn drivers in Q3\n\n## Executive summary\nMonthly plans churn most."),
        code("plans = {'monthly': 0.081, 'annual': 0.035}"),
        code("for plan, rate in plans.items():\n    print(f'{plan}: {rate:.1%}')"),
        code("ratio = plans['monthly'] / plans['annual']\nround(ratio, 1)"),
    ])
    s.run("nbkit verify --update notebooks/churn_drivers_q3.ipynb")  # store its outputs, as a run in Jupyter would
    s.notebook("notebooks/demand_forecast.ipynb", [
        md("# Demand forecast\n\n## Data"),
        code("import csv\n\nwith open('data/demand.csv') as f:\n    demand = [float(r['demand']) for r in "
             "csv.DictReader(f)]", count=1),
        code("print(f'weeks: {len(demand)}')\nprint(f'mean demand: {sum(demand) / len(demand):.2f}')",
             outputs=["weeks: 4\nmean demand: 110.29\n"], count=2),
    ])
    s.sample("verify-two-notebooks", "nbkit verify notebooks/ -j 2")
    s.sample("pytest-verify-failure", "pytest --nbkit notebooks/",
             keep=between("___", "=", last=1), lang="console")


def _changed(s: Session) -> None:
    """docs/verify.md: --changed in a branch (one notebook edited, one new, one whose data changed)."""
    git = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", "-c", "init.defaultBranch=main"]
    for k in range(6):
        s.notebook(f"notebooks/report_{k}.ipynb", [md(f"# Report {k}"), code(f"print({k})", outputs=[f"{k}\n"], count=1)])
    s.write("notebooks/data/sales.csv", "region,units\nnorth,3\n")
    s.notebook("notebooks/sales_by_region.ipynb", [
        md("# Sales by region"), code("print(open('data/sales.csv').read().count('\\n'))", outputs=["2\n"], count=1)])
    s.run("nbkit pin --no-data notebooks/report_0.ipynb")
    s.run("nbkit pin notebooks/sales_by_region.ipynb")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "notebooks"], ["switch", "-q", "-c", "q3"]):
        subprocess.run([*git, *args], cwd=s.folder, check=True, capture_output=True)
    s.notebook("notebooks/report_1.ipynb", [md("# Report 1, revised"), code("print(1)", outputs=["1\n"], count=1)])
    s.notebook("notebooks/report_new.ipynb", [md("# A new report"), code("print(7)", outputs=["7\n"], count=1)])
    s.write("notebooks/data/sales.csv", "region,units\nnorth,3\nsouth,5\n")
    s.sample("verify-changed", "nbkit verify --changed main notebooks/", keep=lambda lines: [*lines[:1], "..."])


def _getting_started(s: Session) -> None:
    """docs/getting-started.md: from `nbkit new` to pytest, in one repository."""
    (s.folder / ".git").mkdir()
    s.sample("getting-started-version", "nbkit --version")
    s.sample("getting-started-new", 'nbkit new analysis/churn_drivers_q3.ipynb --title "Churn drivers in Q3"')
    s.sample("getting-started-lint", "nbkit lint analysis/")
    s.write("requirements.txt", "".join(f"{d}=={_installed(d)}\n" for d in ("numpy",)))
    s.sample("getting-started-pin", "nbkit pin analysis/churn_drivers_q3.ipynb --seed 42", "nbkit lint analysis/")
    s.sample("getting-started-verify", "nbkit verify analysis/")
    s.write("pyproject.toml", "[tool.pytest.ini_options]\nnbkit = true\n")
    s.sample("getting-started-pytest", "pytest -v analysis/", keep=lambda lines: [ln for ln in lines if "::" in ln])


def _installed(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _data_pins(s: Session) -> None:
    """docs/pinning-and-magics.md: data pins, pin --check and verify naming a changed input."""
    (s.folder / ".git").mkdir()
    s.write("data/customers.csv", "customer,region,churned\n1,north,0\n2,south,1\n3,north,0\n")
    s.write("notebooks/params.json", '{"min_tenure": 3}\n')
    s.notebook("notebooks/churn.ipynb", [
        md("# Churn by region"),
        code("import json\n\nimport pandas as pd", count=1),
        code("params = json.load(open('params.json'))\ncustomers = pd.read_csv('../data/customers.csv')\n"
             "try:\n    regions = pd.read_csv('../data/regions.csv')\nexcept FileNotFoundError:\n"
             "    regions = None", count=2),
        code("print(sorted(customers.region[customers.churned == 1].unique()))", outputs=["['south']\n"],
             count=3),
    ])
    s.sample("pin-data", "nbkit pin notebooks/churn.ipynb", exit_code=True)
    s.json_sample("pin-data-json", {"data": s.metadata("notebooks/churn.ipynb")["data"]})
    s.sample("pin-check", "nbkit pin --check notebooks/churn.ipynb", exit_code=True)
    s.write("data/customers.csv", "customer,region,churned\n1,north,1\n2,south,1\n3,north,0\n")
    s.write("data/regions.csv", "region,manager\nnorth,Ada\nsouth,Grace\n")
    s.sample("pin-check", "nbkit pin --check notebooks/churn.ipynb        # after customers.csv was edited and "
             "regions.csv added", exit_code=True)
    s.sample("pin-data-verify", "nbkit verify notebooks/churn.ipynb", exit_code=True)
    s.write("pyproject.toml", "[tool.nbkit.pin]\ndata-max-bytes = 40\n")
    s.sample("pin-data-large", "nbkit pin notebooks/churn.ipynb", exit_code=True)
    s.json_sample("pin-data-large-json", {"../data/customers.csv":
                                          s.metadata("notebooks/churn.ipynb")["data"]["../data/customers.csv"]})
    s.write("pyproject.toml", "[tool.nbkit.pin]\ndata-max-bytes = \"1GB\"\n")
    s.sample("pin-data-bad-config", "nbkit pin notebooks/churn.ipynb", exit_code=True)


def _drift(s: Session) -> None:
    """docs/pinning-and-magics.md: a notebook run and pinned under older pandas and numpy."""
    s.write("requirements.txt", "pandas==2.1.4\nnumpy==1.26.4\n")
    s.notebook("sales_2024.ipynb", [
        code("import pandas as pd", count=1),
        code("sales = pd.DataFrame({'region': ['north', 'south'], 'units': [3, 5]})\nprint(sales.dtypes)",
             outputs=["region    object\nunits      int64\ndtype: object\n"], count=2),
    ], nbkit={"environment": {"python": "3.11.7", "implementation": "CPython", "platform": "linux-x86_64",
                              "packages": {"numpy": "1.26.4", "pandas": "2.1.4"},
                              "captured_at": "2024-03-01T10:00:00Z"}})
    s.sample("verify-drift", "nbkit verify sales_2024.ipynb")


def _policy(s: Session) -> None:
    """docs/policy.md: lint --policy in CI."""
    (s.folder / ".git").mkdir()
    s.write("pyproject.toml", '[tool.nbkit.policy]\nrequired-sections = ["findings"]\nrequire-seed = true\n')
    s.write("requirements.txt", f"numpy=={_installed('numpy')}\n")
    s.notebook("analysis/churn_drivers_q3.ipynb", [
        md("# Churn in Q3\n\nAuthor: Ada Lovelace, 2026-11-30\n\n## Executive summary\n"
           "- Monthly plans churn 2.3 times more than annual ones.\n- The March price change had no effect."),
        md("## Questions\n1. Which plans churn most?"),
        md("## Setup"),
        code("import numpy as np", count=1),
        md("## Churn by plan\nWe compare the plans."),
        code("rates = np.array([0.081, 0.035])\nprint(rates.round(2))", outputs=["[0.08 0.04]\n"], count=2),
    ])
    s.run("nbkit pin analysis/churn_drivers_q3.ipynb")
    s.sample("lint-policy", "nbkit lint --policy analysis/", exit_code=True)


def _guard(s: Session) -> None:
    """docs/guard.md: the auto-seed warning, from a real kernel running the cells."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in (
        "%load_ext nbkit", "%nbkit guard --auto-seed", "import numpy as np\n\nnoise = np.random.normal(size=3)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT)  # the kernel imports this checkout's nbkit
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(s.folder)}}).execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    shown = [o.get("data", {}).get("text/plain", "") or o.get("text", "") for o in nb.cells[-1].outputs]
    s.samples["guard-auto-seed"] = "```text\n" + "\n".join(t.strip("\n") for t in shown if t) + "\n```\n"


def _pre_commit(s: Session) -> None:
    """docs/pre-commit.md: the hooks of .pre-commit-hooks.yaml in a real `pre-commit run` (as local
    hooks of this checkout, as tests/test_precommit.py runs them: no download)."""
    import yaml

    hooks = []
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")):
        if hook["id"] in ("nbkit-lint", "nbkit-verify"):
            hook = {k: v for k, v in hook.items() if k != "minimum_pre_commit_version"}
            hooks.append({**hook, "language": "system"})
    s.write(".pre-commit-config.yaml", yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    s.write("requirements.txt", f"numpy=={_installed('numpy')}\n")
    s.run('nbkit new analysis/churn_drivers_q3.ipynb --title "Churn drivers in Q3"')
    s.run("nbkit pin analysis/churn_drivers_q3.ipynb --seed 42")
    git = ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"]):
        subprocess.run([*git, *args], cwd=s.folder, check=True, capture_output=True)
    s.sample("pre-commit-run", "pre-commit run --all-files")


def _server_extension(s: Session) -> None:
    """docs/server-api.md: the extension is enabled (the lines about nbkit)."""
    s.sample("server-extension-list", "jupyter server extension list",
             keep=lambda lines: [ln for ln in lines if "nbkit" in ln])


SCENARIOS: list[Callable[[Session], None]] = [_churn_and_demand, _changed, _getting_started, _data_pins, _drift, _policy,
                                              _guard, _pre_commit, _server_extension]


def generate(only: list[str] | None = None) -> dict[str, str]:
    """Every sample (or those of the scenarios named in ``only``), freshly run."""
    samples: dict[str, str] = {}
    for scenario in SCENARIOS:
        if only and scenario.__name__.strip("_") not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="nbkit-sample-") as d:
            s = Session(Path(d) / scenario.__name__.strip("_").replace("_", "-"))
            s.folder.mkdir()
            scenario(s)
            samples.update(s.samples)
    return samples


# -- the docs ----------------------------------------------------------------------------

def committed() -> dict[str, tuple[Path, str]]:
    """Each sample in the docs: its file and the text between its markers."""
    found: dict[str, tuple[Path, str]] = {}
    for doc in DOC_FILES:
        for m in MARKER.finditer(doc.read_text(encoding="utf-8")):
            if m["name"] in found:
                raise SystemExit(f"{doc.relative_to(ROOT)}: sample {m['name']!r} also in {found[m['name']][0]}")
            found[m["name"]] = (doc, m["body"])
    return found


def stale(fresh: dict[str, str]) -> list[str]:
    """One line per sample whose committed text differs from a fresh run (after the masks), or
    that the docs mark but no scenario makes, or that a scenario makes but no doc shows."""
    docs = committed()
    problems = []
    for name, (doc, body) in sorted(docs.items()):
        where = f"{doc.relative_to(ROOT)}: sample {name!r}"
        if name not in fresh:
            problems.append(f"{where}: no scenario in scripts/make_doc_samples.py makes it")
        elif masked(body) != masked(fresh[name]):
            problems.append(f"{where} is stale (nbkit prints something else now)")
    for name in sorted(set(fresh) - set(docs)):
        problems.append(f"sample {name!r} is made but no doc shows it (add <!-- sample: {name} --> ... "
                        f"<!-- /sample --> where it belongs)")
    return problems


def _refreshed(body: str, fresh: str | None) -> str:
    """The fresh text, unless only what varies between runs changed (a refresh rewrites only the
    samples that are stale, so the docs do not change with every run's durations)."""
    return body if fresh is None or masked(body) == masked(fresh) else fresh


def write(fresh: dict[str, str]) -> list[Path]:
    changed = []
    for doc in DOC_FILES:
        text = doc.read_text(encoding="utf-8")
        new = MARKER.sub(lambda m: f"<!-- sample: {m['name']} -->\n{_refreshed(m['body'], fresh.get(m['name']))}"
                                   f"<!-- /sample -->\n", text)
        if new != text:
            doc.write_text(new, encoding="utf-8")
            changed.append(doc)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fresh = generate([a for a in args if not a.startswith("--")] or None)
    if "--print" in args:  # show them, write nothing
        for name, text in fresh.items():
            print(f"<!-- sample: {name} -->\n{text}")
        return 0
    if "--check" in args:
        problems = stale(fresh)
        for line in problems:
            print(line)
        if problems:
            print(f"refresh the samples with `{REFRESH}`")
        return 1 if problems else 0
    for doc in write(fresh):
        print(f"wrote {doc.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
