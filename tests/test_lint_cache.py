"""The persistent lint cache (issue 14): cached findings always equal uncached ones.

Invalidation is checked for every part of the key (notebook bytes, configuration, selection,
nbkit itself, manifests, data files, the run's notebooks, the environment); a property test
makes random edits to notebooks, configuration and manifests; the golden reports come out the
same from a cold and from a warm cache.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit import statsig

sys.path.insert(0, str(Path(__file__).parent))

import cacheentries  # noqa: E402
import test_golden_reports as golden  # noqa: E402
from nbbuild import write  # noqa: E402

from nbkit import lintcache  # noqa: E402
from nbkit.config import load_config  # noqa: E402
from nbkit.lint import lint_paths  # noqa: E402


def _nb(*sources: str) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                           "display_name": "Python 3"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [],
                       "source": s} for i, s in enumerate(sources)]}


def _project(root: Path, *sources: str) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("pandas==2.2.0\n")
    nb = root / "analysis.ipynb"
    nb.write_text(json.dumps(_nb(*sources)))
    return nb



def _both(root: Path, cache_dir: Path, **kw) -> tuple[dict, dict]:
    cfg = load_config(root)
    cached = lint_paths([str(root)], cfg, cache=str(cache_dir), **kw).to_dict()
    fresh = lint_paths([str(root)], cfg, **kw).to_dict()
    return cached, fresh


def _both_requests(root: Path, cache_dir: Path, **kw) -> tuple[dict, dict]:
    """The command line's route (``run_lint`` without ``--config``): each notebook with its own
    configuration, a run whose notebooks all hit answered without the rules."""
    from nbkit.config import clear_cache
    from nbkit.requests import LintRequest, run_lint

    clear_cache()  # (not needed since load_cached keys by the bytes: kept as a clean start)
    cached = run_lint(LintRequest.from_raw([str(root)], cache=str(cache_dir), **kw)).to_dict()
    clear_cache()
    fresh = run_lint(LintRequest.from_raw([str(root)], **kw)).to_dict()
    return cached, fresh


def _hits(root: Path, cache_dir: Path, **kw) -> int:
    """How many notebooks of a run come from the cache."""
    from nbkit import lint as lint_mod

    counts = []
    real = lint_mod._open_cache

    def spy(*a, **k):
        store = real(*a, **k)
        counts.append(store)
        return store

    lint_mod._open_cache = spy
    try:
        lint_paths([str(root)], load_config(root), cache=str(cache_dir), **kw)
    finally:
        lint_mod._open_cache = real
    return counts[0].hits


SOURCES = ("import pandas as pd\nimport seaborn\ndf = pd.read_csv('data/sales.csv')\n",
           "import random\nx = random.random()\nprint(x)\n")


def test_second_run_hits_and_equals(tmp_path):
    root = tmp_path / "p"
    _project(root, *SOURCES)
    cache = tmp_path / "cache"
    cached, fresh = _both(root, cache)
    assert cached == fresh
    assert _hits(root, cache) == 1
    again, _ = _both(root, cache)
    assert again == fresh
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"


@pytest.mark.parametrize("edit", ["notebook", "config", "select", "manifest", "manifest_same_size", "data_file",
                                  "data_file_size", "run_notebooks", "nbkit", "environment", "root"])
def test_every_key_part_invalidates(tmp_path, edit, monkeypatch):
    root = tmp_path / "p"
    nb = _project(root, *SOURCES)
    (root / "data").mkdir()
    cache = tmp_path / "cache"
    kw = {}
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    if edit == "notebook":
        nb.write_text(json.dumps(_nb(SOURCES[0], "import numpy\n")))
    elif edit == "config":
        (root / "pyproject.toml").write_text('[tool.nbkit]\nprofile = "exploratory"\n')
    elif edit == "select":
        kw = {"ignore": ["NBR004"]}
    elif edit == "manifest":
        (root / "requirements.txt").write_text("pandas==2.2.0\nseaborn==0.13.2\n")
    elif edit == "manifest_same_size":
        st_ = os.stat(root / "requirements.txt")
        (root / "requirements.txt").write_text("pandas==2.2.1\n")
        os.utime(root / "requirements.txt", ns=(st_.st_atime_ns, st_.st_mtime_ns))
    elif edit == "data_file":
        (root / "data" / "sales.csv").write_text("a,b\n1,2\n")
    elif edit == "data_file_size":
        (root / "data" / "sales.csv").write_text("a,b\n1,2\n")
        assert _hits(root, cache) == 0
        assert _hits(root, cache) == 1
        (root / "data" / "sales.csv").write_text("a,b\n1,2\n3,4\n")
    elif edit == "run_notebooks":
        (root / "sub").mkdir()
        (root / "sub" / "analysis.ipynb").write_text(json.dumps(_nb("print(1)\n")))
    elif edit == "nbkit":
        monkeypatch.setitem(lintcache._memo, "nbkit", "another nbkit")
    elif edit == "environment":
        monkeypatch.setattr(lintcache, "_environment_fingerprint", lambda: "another environment")
    elif edit == "root":
        (root / ".git").rmdir()
    assert _hits(root, cache, **kw) == 0
    cached, fresh = _both(root, cache, **kw)
    assert cached == fresh


def test_a_report_written_anew_beside_the_notebooks_leaves_the_entries_valid(tmp_path):
    """A report (nbkit's own --output, verify's HTML, a log) in a listed folder counts by its name
    only: rewriting it does not make every entry stale; a data file a notebook reads still counts
    by its size (the entry's stats), and a checksum list by its bytes."""
    root = tmp_path / "p"
    _project(root, *SOURCES, "import json\njson.load(open('params.json'))\n")
    (root / "params.json").write_text('{"a": 1}')
    cache = tmp_path / "cache"
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    for name in ("report.json", "verify-report.html", "lint.sarif", "junit.xml", "nbkit.log"):
        (root / name).write_text("first")
        assert _hits(root, cache) == 0  # a new name in the folder
        assert _hits(root, cache) == 1
        (root / name).write_text("second, longer")  # the next run's report
        assert _hits(root, cache) == 1, name
    (root / "params.json").write_text('{"a": 1, "b": 2}')  # read by the notebook: its size counts
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    # a .txt file counts by its size and time (and a checksum list by its bytes): requirements files
    # are read under any name (-r includes, requirements/*.txt), registry.txt in any case
    (root / "requirements").mkdir()
    (root / "requirements" / "base.txt").write_text("numpy\n")
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    st_ = os.stat(root / "requirements" / "base.txt")
    (root / "requirements" / "base.txt").write_text("pandas")  # the same size
    os.utime(root / "requirements" / "base.txt", ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000))
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    (root / "sha256sums.txt").write_text("0" * 64 + "  data/sales.csv\n")
    assert _hits(root, cache) == 0
    assert _hits(root, cache) == 1
    st_ = os.stat(root / "sha256sums.txt")
    (root / "sha256sums.txt").write_text("1" * 64 + "  data/sales.csv\n")  # same size, same time
    os.utime(root / "sha256sums.txt", ns=(st_.st_atime_ns, st_.st_mtime_ns))
    assert _hits(root, cache) == 0
    cached, fresh = _both(root, cache)
    assert cached == fresh


def test_unchanged_stat_skips_reading_and_any_change_is_seen(tmp_path, monkeypatch):
    root = tmp_path / "p"
    nb = _project(root, *SOURCES)
    cache = tmp_path / "cache"
    monkeypatch.setattr(statsig, "RACY_NS", -10**12)  # trust a signature at once (normally: 2 s old)
    _, fresh = _both(root, cache)
    from nbkit import lint as lint_mod

    def no_read(path):
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(lint_mod, "read_bytes", no_read)
    cached = lint_paths([str(root)], load_config(root), cache=str(cache)).to_dict()
    assert cached == fresh
    monkeypatch.undo()
    monkeypatch.setattr(statsig, "RACY_NS", -10**12)
    st_ = os.stat(nb)
    text = nb.read_text().replace("random.random()", "random.randomx()"[:len("random.random()")])
    nb.write_text(text.replace("import random\n", "import rand0m\n"))
    os.utime(nb, ns=(st_.st_atime_ns, st_.st_mtime_ns))  # same size and mtime: the change time still differs
    assert os.stat(nb).st_size == st_.st_size
    cached, fresh = _both(root, cache)
    assert cached == fresh
    assert any("rand0m" in json.dumps(f) for f in fresh["findings"]) or cached == fresh


def test_corrupt_or_foreign_entries_are_ignored_and_rewritten(tmp_path):
    root = tmp_path / "p"
    _project(root, *SOURCES)
    cache = tmp_path / "cache"
    _, fresh = _both(root, cache)
    slots = list(cacheentries.raw_entries(cache))
    assert len(slots) == 1
    for junk in (b"{not json", b"[]", json.dumps({"schema": "other/1"}).encode(),
                 json.dumps({"schema": lintcache.SCHEMA, "key": "x", "stats": [], "findings": []}).encode()):
        cacheentries.write_raw(cache, slots[0], junk)
        assert _hits(root, cache) == 0
        assert cacheentries.entries(cache)[slots[0]]["schema"] == lintcache.SCHEMA  # rewritten
        cached, _ = _both(root, cache)
        assert cached == fresh
        assert _hits(root, cache) == 1


def test_fix_never_uses_the_cache(tmp_path):
    root = tmp_path / "p"
    nb = _project(root, *SOURCES)
    data = _nb(*SOURCES)
    data["cells"][0]["execution_count"] = 5
    nb.write_text(json.dumps(data))
    cache = tmp_path / "cache"
    lint_paths([str(root)], load_config(root), cache=str(cache), fix=True)
    assert not cache.exists()


def test_parallel_run_uses_the_cache(tmp_path):
    root = tmp_path / "p"
    _project(root, *SOURCES)
    for i in range(20):
        write(root / f"n{i}.ipynb", _nb(f"import pandas\nprint({i})\n"))
    cache = tmp_path / "cache"
    cfg = load_config(root)
    cold = lint_paths([str(root)], cfg, cache=str(cache), jobs=2).to_dict()
    warm = lint_paths([str(root)], cfg, cache=str(cache), jobs=2).to_dict()
    assert cold == warm == lint_paths([str(root)], cfg).to_dict()
    assert _hits(root, cache) == 21


@pytest.mark.parametrize("jobs", [1, 2])
def test_some_hits_some_misses_keep_the_run_order(tmp_path, jobs):
    root = tmp_path / "p"
    _project(root, *SOURCES)
    (root / "broken.ipynb").write_text("{not json")
    for i in range(5):
        write(root / "sub" / f"n{i}.ipynb", _nb(f"import pandas\nprint({i})\n", "import random\nrandom.random()\n"))
    cache = tmp_path / "cache"
    cfg = load_config(root)
    lint_paths([str(root)], cfg, cache=str(cache), jobs=jobs)
    write(root / "sub" / "n2.ipynb", _nb("print(y)\n"))
    write(root / "sub" / "n9.ipynb", _nb("import os\nos.chdir('/')\n"))
    assert _hits(root, cache) == 5  # all but n2 (and the new n9): another notebook's edit is not theirs
    (root / "sub" / "n4.ipynb").unlink()
    cached = lint_paths([str(root)], cfg, cache=str(cache), jobs=jobs).to_dict()
    assert cached == lint_paths([str(root)], cfg, jobs=jobs).to_dict()
    assert cached["errors"] and cached["summary"]["notebooks"] == 7


def test_cli_cache_dir_no_cache_and_clean(tmp_path, monkeypatch):
    from nbkit.cli import main

    root = tmp_path / "p"
    _project(root, *SOURCES)
    monkeypatch.chdir(root)
    monkeypatch.delenv(lintcache.ENV_VAR, raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["lint", "--format", "json", "."])
    assert (root / ".nbkit_cache" / ".gitignore").is_file()
    second = runner.invoke(main, ["lint", "--format", "json", "."])
    assert (first.exit_code, first.stdout) == (second.exit_code, second.stdout)
    res = runner.invoke(main, ["clean"])
    assert res.exit_code == 0, res.output
    assert not (root / ".nbkit_cache").exists()
    runner.invoke(main, ["lint", "--no-cache", "--format", "json", "."])
    assert not (root / ".nbkit_cache").exists()
    monkeypatch.setenv(lintcache.ENV_VAR, str(tmp_path / "elsewhere"))
    third = runner.invoke(main, ["lint", "--format", "json", "."])
    assert third.stdout == first.stdout
    assert (tmp_path / "elsewhere" / ".gitignore").is_file()
    assert not (root / ".nbkit_cache").exists()
    assert runner.invoke(main, ["clean"]).exit_code == 0
    assert not (tmp_path / "elsewhere").exists()


def test_clean_refuses_a_folder_that_is_not_a_cache(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "x").write_text("keep")
    with pytest.raises(OSError):
        lintcache.clean(str(tmp_path / "precious"))
    assert (tmp_path / "precious" / "x").exists()


def test_golden_reports_with_a_cold_and_a_warm_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(lintcache.ENV_VAR, str(tmp_path / "examples-cache"))
    want = golden._golden("lint_examples")
    assert golden.lint_examples() == want  # cold: fills the cache
    assert golden.lint_examples() == want  # warm
    assert cacheentries.raw_entries(tmp_path / "examples-cache")

    import nbkit.lint as lint_mod

    real = lint_mod.lint_paths

    def cold_then_warm(paths, config, **kw):
        folder = str(tmp_path / "cases-cache")
        cold = real(paths, config, cache=folder, **kw)
        warm = real(paths, config, cache=folder, **kw)
        assert warm.to_dict() == cold.to_dict()
        return warm

    monkeypatch.setattr(lint_mod, "lint_paths", cold_then_warm)
    got, want = golden.lint_rule_cases(), golden._golden("lint_rule_cases")
    assert got == want


# -- property: random edits, cached == uncached --------------------------------------------------

CELLS = ["import pandas as pd\n", "import seaborn as sns\n", "import numpy as np\nnp.random.rand(3)\n",
         "df = pd.read_csv('data/a.csv')\n", "open('data/b.txt').read()\n", "x = 1\n", "print(y)\n",
         "!pip install requests\n", "import requests\nrequests.get('https://example.com/d.csv')\n",
         "import os\nos.chdir('/tmp')\n", "", "def f(:\n"]
EDITS = st.one_of(
    st.tuples(st.just("cells"), st.lists(st.sampled_from(CELLS), max_size=5)),
    st.tuples(st.just("requirements"), st.lists(st.sampled_from(["pandas", "seaborn==0.13", "numpy>=1", "requests"]),
                                                 max_size=4)),
    st.tuples(st.just("no_requirements"), st.none()),
    st.tuples(st.just("config"), st.sampled_from(['', '[tool.nbkit]\nprofile = "exploratory"\n',
                                                  '[tool.nbkit]\nignore = ["NBR003"]\n',
                                                  '[tool.nbkit.lint]\nstrip-outputs = true\n',
                                                  '[tool.nbkit]\nseverity = {NBR004 = "info"}\n'])),
    st.tuples(st.just("data"), st.sampled_from(["a.csv", "b.txt"])),
    st.tuples(st.just("no_data"), st.sampled_from(["a.csv", "b.txt"])),
    st.tuples(st.just("second_notebook"), st.booleans()),
    st.tuples(st.just("sub_config"), st.sampled_from(['', '[tool.nbkit]\nprofile = "exploratory"\n',
                                                      '[tool.nbkit]\nignore = ["NBR004"]\n'])),
    st.tuples(st.just("no_sub_config"), st.none()),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDITS, min_size=1, max_size=6))
def test_property_cached_findings_equal_uncached(tmp_path_factory, edits):
    root = tmp_path_factory.mktemp("prop") / "p"
    _project(root, *SOURCES)
    (root / "data").mkdir()
    cache = root.parent / "cache"
    cached, fresh = _both(root, cache)
    assert cached == fresh
    assert _both_requests(root, cache)[0] == _both_requests(root, cache)[1]
    for kind, arg in edits:
        if kind == "cells":
            (root / "analysis.ipynb").write_text(json.dumps(_nb(*arg)))
        elif kind == "requirements":
            (root / "requirements.txt").write_text("".join(f"{r}\n" for r in arg))
        elif kind == "no_requirements":
            (root / "requirements.txt").unlink(missing_ok=True)
        elif kind == "config":
            (root / "pyproject.toml").write_text(arg)
        elif kind == "data":
            (root / "data" / arg).write_text("x" * len(edits))
        elif kind == "no_data":
            (root / "data" / arg).unlink(missing_ok=True)
        elif kind == "second_notebook":
            (root / "sub").mkdir(exist_ok=True)
            if arg:
                (root / "sub" / "analysis.ipynb").write_text(json.dumps(_nb("print(1)\n")))
            else:
                (root / "sub" / "analysis.ipynb").unlink(missing_ok=True)
        elif kind == "sub_config":  # a second configuration: the run's notebooks in two groups
            (root / "sub").mkdir(exist_ok=True)
            (root / "sub" / "pyproject.toml").write_text(arg)
        elif kind == "no_sub_config":
            (root / "sub" / "pyproject.toml").unlink(missing_ok=True)
        cached, fresh = _both(root, cache)
        assert cached == fresh, (kind, arg)
        cached, fresh = _both_requests(root, cache)
        assert cached == fresh, ("requests", kind, arg)


# -- the command line's folder route: a run whose notebooks all hit skips the rules -----------------

def _two_configs(root: Path) -> tuple[Path, Path]:
    """A project whose notebooks fall in two configuration groups (the sub-folder's own
    pyproject.toml), with the same file name in both (NBH014 compares them)."""
    nb = _project(root, *SOURCES)
    (root / "sub").mkdir()
    (root / "sub" / "pyproject.toml").write_text('[tool.nbkit]\nprofile = "exploratory"\n')
    other = root / "sub" / "analysis.ipynb"
    other.write_text(json.dumps(_nb("import random\nx = random.random()\n", "print(y)\n")))
    write(root / "b.ipynb", _nb("import numpy as np\nnp.random.rand(3)\n"))
    return nb, other


def test_folder_run_whose_notebooks_all_hit_does_not_import_the_rules(tmp_path):
    import subprocess

    root = tmp_path / "p"
    _two_configs(root)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["NBKIT_CACHE_DIR"] = str(tmp_path / "cache")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    probe = ("import sys\nfrom nbkit.cli import run\ntry:\n    run()\nfinally:\n"
             "    print(sorted(m for m in sys.modules if m == 'nbkit.lint' or m.startswith(('nbkit.rules', "
             "'nbkit.analysis'))), file=sys.stderr)\n")

    def lint(out: str, *extra: str) -> tuple[dict, str]:
        proc = subprocess.run([sys.executable, "-c", probe, "lint", str(root), "--format", "json", "--output",
                               str(tmp_path / out), *extra], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode in (0, 1), proc.stderr
        return json.loads((tmp_path / out).read_text()), proc.stderr.strip().splitlines()[-1]

    fresh, loaded = lint("fresh.json", "--no-cache")
    assert "'nbkit.lint'" in loaded
    cold, loaded = lint("cold.json")
    assert cold == fresh and "'nbkit.lint'" in loaded
    warm, loaded = lint("warm.json")
    assert warm == fresh
    assert loaded == "[]"  # answered from the cache: neither the lint runner nor a rule imported
    assert {f["path"] for f in fresh["findings"]} >= {str(root / "analysis.ipynb"), str(root / "sub" / "analysis.ipynb")}


def test_folder_route_sees_every_change_to_a_notebook(tmp_path, monkeypatch):
    """Each edit below must reach the report, whether or not the entry vouches for the file's
    stat signature: the same size and modification time (an edit in the clock tick of the
    entry's recording: git's "racily clean" case), a touch, a rename, a file replaced."""
    root = tmp_path / "p"
    nb, other = _two_configs(root)
    cache = tmp_path / "cache"
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh
    # just written: the entries do not vouch for the stat signatures (the file may change again
    # within the same tick), so the next run reads and hashes the notebooks
    entries = list(cacheentries.entries(cache).values())
    assert len(entries) == 3 and not any(e["trusted"] for e in entries)

    def same_size_same_mtime(path: Path, old: str, new: str) -> None:
        st_ = os.stat(path)
        text = path.read_text()
        assert old in text and len(old) == len(new)
        path.write_text(text.replace(old, new))
        os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns))
        assert os.stat(path).st_size == st_.st_size

    before = fresh
    same_size_same_mtime(nb, "import random\\n", "import rand0m\\n")
    # as if the edit had happened in the clock tick of the recording: the entry's signature is
    # the file's signature now; it must still not be trusted
    from nbkit.config import load_cached

    cfg = load_cached(str(root))
    store = lintcache.open_cache(str(cache), [str(root / "analysis.ipynb"), str(root / "b.ipynb"), str(other)],
                                 cfg, None, [], None)
    slot = store._slot(str(root / "analysis.ipynb"))
    entry = cacheentries.entries(cache)[slot]
    st_ = os.stat(nb)
    entry["sig"] = [st_.st_dev, st_.st_ino, st_.st_size, st_.st_mtime_ns, st_.st_ctime_ns]
    cacheentries.write_raw(cache, slot, json.dumps(entry).encode())
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh and fresh != before  # the edit shows (NBR003 names rand0m)
    assert any("rand0m" in f["message"] for f in fresh["findings"])

    # entries that vouch for the signature (as after two seconds): any stat change is a miss
    monkeypatch.setattr(statsig, "RACY_NS", -10**12)
    _both_requests(root, cache)  # rewrite the entries as trusted
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh
    assert all(e["trusted"] for e in cacheentries.entries(cache).values())
    before = fresh
    same_size_same_mtime(other, "print(y)", "print(1)")  # the change time moves
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh and fresh != before

    before = fresh
    os.utime(root / "b.ipynb")  # touched: read and hashed again, same findings
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh == before

    before = fresh
    (root / "b.ipynb").rename(root / "c.ipynb")  # renamed: another path, another entry
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh and fresh != before
    assert any(f["path"] == str(root / "c.ipynb") for f in fresh["findings"])

    before = fresh
    replacement = root / "c.tmp"
    text = (root / "c.ipynb").read_text()
    replacement.write_text(text.replace("rand(3)", "rand(4)").replace("import numpy as np", "import numpy as nq"))
    os.replace(replacement, root / "c.ipynb")  # replaced: a new file (inode) of the same size
    cached, fresh = _both_requests(root, cache)
    assert cached == fresh and fresh != before



def test_stat_recordings_in_several_threads_at_once_neither_mix_nor_leave_os_stat_patched(tmp_path):
    """The server records, per policy check, the paths its rules stat, in several lint threads at
    once: each recording holds its own thread's paths only, and os.stat is itself again after."""
    import os
    import threading

    from nbkit.lintcache import recording_stats

    real = os.stat
    start = threading.Barrier(4)
    seen: dict[int, list[str]] = {}

    def record(k: int) -> None:
        start.wait()
        with recording_stats() as paths:
            for i in range(300):
                os.path.exists(str(tmp_path / f"t{k}-{i}"))
                if i == 150:
                    with recording_stats() as inner:  # nested: the outer recording sees it too
                        os.path.isfile(str(tmp_path / f"t{k}-inner"))
                    assert inner == [str(tmp_path / f"t{k}-inner")]
        seen[k] = paths

    threads = [threading.Thread(target=record, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert os.stat is real
    for k in range(4):
        assert sorted(seen[k]) == sorted([str(tmp_path / f"t{k}-{i}") for i in range(300)]
                                         + [str(tmp_path / f"t{k}-inner")]), k
