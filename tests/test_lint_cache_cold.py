"""A cold lint run with the cache does each piece of the cache's work once per notebook: the
all-hit pre-pass of the command line's route stops at its first miss, and a notebook that had no
entry is neither looked up nor stat-ed again when it is linted; and that never makes the cache
answer wrongly (a notebook changed between the look-up and its lint)."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

import cacheentries
from nbkit import cachestore, lintcache, statsig
from nbkit import lint as lint_mod
from nbkit.config import load_config
from nbkit.lint import lint_paths


def _nb(*sources: str) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                           "display_name": "Python 3"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [],
                       "source": s} for i, s in enumerate(sources)]}


def _project(root: Path, n: int) -> list[Path]:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("pandas==2.2.0\n")
    out = []
    for i in range(n):
        p = root / f"nb{i}.ipynb"
        p.write_text(json.dumps(_nb("import pandas as pd\nimport seaborn\n", f"x = {i}\nprint(x)\n")))
        out.append(p)
    return out


def _counting(monkeypatch) -> tuple[Counter, Counter]:
    """Count the entry reads (by slot) and the notebook reads (by path) of the runs that follow."""
    from nbkit.entrydb import EntryDB

    entries: Counter = Counter()
    reads: Counter = Counter()
    real_get, real_read = EntryDB.get, lint_mod.read_bytes

    def get(self, slot):
        entries[slot] += 1
        return real_get(self, slot)

    def read_bytes(path):
        reads[path] += 1
        return real_read(path)

    monkeypatch.setattr(EntryDB, "get", get)
    monkeypatch.setattr(lint_mod, "read_bytes", read_bytes)
    return entries, reads


@pytest.mark.parametrize("jobs", [1, 2])
def test_cold_folder_run_looks_each_notebook_up_once_and_reads_it_once(tmp_path, monkeypatch, jobs):
    from nbkit.requests import LintRequest, run_lint

    root = tmp_path / "p"
    paths = _project(root, 5)
    cache = tmp_path / "cache"
    fresh = run_lint(LintRequest.from_raw([str(root)], jobs=jobs)).to_dict()
    entries, reads = _counting(monkeypatch)
    cached = run_lint(LintRequest.from_raw([str(root)], cache=str(cache), jobs=jobs)).to_dict()
    assert cached == fresh and fresh["findings"]
    if jobs == 1:  # (worker processes count in their own copies)
        assert sorted(reads) == sorted(map(str, paths)) and set(reads.values()) == {1}
        # the all-hit pre-pass stopped at the first notebook; then one look-up per notebook
        assert sorted(entries.values()) == [1, 1, 1, 1, 2], entries
    assert len(cacheentries.raw_entries(cache)) == 5

    # warm: every notebook hits, each entry read once, no notebook read (their signatures vouch)
    monkeypatch.setattr(statsig, "RACY_NS", -10**12)
    run_lint(LintRequest.from_raw([str(root)], cache=str(cache), jobs=jobs))  # (entries rewritten as trusted)
    entries.clear()
    reads.clear()
    assert run_lint(LintRequest.from_raw([str(root)], cache=str(cache), jobs=jobs)).to_dict() == fresh
    assert not reads and sorted(entries.values()) == [1] * 5


def test_notebook_changed_between_its_lookup_and_its_lint_is_never_answered_wrongly(tmp_path, monkeypatch):
    """lint_paths' look-up takes a notebook's stat signature; the lint reads the file later.  A
    change in between reaches this run's report, and the entry (whose signature is the older
    one, trusted at once here) never vouches for the new bytes' findings next time without
    reading them."""
    root = tmp_path / "p"
    nb = _project(root, 1)[0]
    cache = tmp_path / "cache"
    monkeypatch.setattr(statsig, "RACY_NS", -10**12)  # a signature is trusted as soon as it is recorded
    real = lintcache.lookup_all

    def then_edit(store, nb_paths, **kw):
        hits = real(store, nb_paths, **kw)
        assert str(nb) in store._no_entry
        nb.write_text(json.dumps(_nb("import rand0m\n", "x = 1\n")))  # another size, another change time
        return hits

    monkeypatch.setattr(lintcache, "lookup_all", then_edit)
    cached = lint_paths([str(root)], load_config(root), cache=str(cache)).to_dict()
    monkeypatch.setattr(lintcache, "lookup_all", real)
    fresh = lint_paths([str(root)], load_config(root)).to_dict()
    assert cached == fresh and any("rand0m" in f["message"] for f in fresh["findings"])
    [entry] = cacheentries.entries(cache).values()
    st_ = os.stat(nb)
    assert entry["trusted"] and entry["sig"] != [st_.st_dev, st_.st_ino, st_.st_size, st_.st_mtime_ns,
                                                 st_.st_ctime_ns]  # the signature from before the edit
    assert lint_paths([str(root)], load_config(root), cache=str(cache)).to_dict() == fresh
    store = lintcache.open_cache(str(cache), [str(nb)], load_config(root), None, [], None)
    read: list[str] = []
    rows, _ = store.lookup(str(nb), lambda p: read.append(p) or Path(p).read_bytes())
    assert read == [str(nb)] and rows is not None  # read and hashed: the signature did not vouch for it


def test_lookup_all_without_a_lint_after_it_keeps_the_cache_right(tmp_path):
    """A look-up that finds no entry and then finds one on the same store (a concurrent run
    wrote it meanwhile) only misses once more: the lint's look-up does not look for it again,
    and the entry it then writes is right."""
    root = tmp_path / "p"
    nb = str(_project(root, 1)[0])
    cfg = load_config(root)
    cache = str(tmp_path / "cache")
    store = lintcache.open_cache(cache, [nb], cfg, None, [], None)
    assert lintcache.lookup_all(store, [nb]) == {}
    assert store.known_size(nb) == os.stat(nb).st_size
    fresh = lint_paths([nb], cfg).to_dict()
    assert lint_paths([nb], cfg, cache=cache).to_dict() == fresh  # the concurrent run
    rows, probe = store.lookup(nb, lint_mod.read_bytes)
    assert rows is None and probe.data == Path(nb).read_bytes() and store.known_size(nb) is None
    rows, _ = store.lookup(nb, lint_mod.read_bytes)  # a look-up of its own: the entry is found
    assert rows is not None and lintcache.as_dicts(rows)


def test_an_entry_written_after_the_cache_folder_was_removed_puts_the_gitignore_back(tmp_path):
    directory = str(tmp_path / "cache")
    first = os.path.join(directory, "lint", "ab", "x.json")
    assert cachestore.write_entry(directory, first, b"{}")
    shutil.rmtree(directory)  # `nbkit clean` during a run
    second = os.path.join(directory, "lint", "cd", "y.json")
    assert cachestore.write_entry(directory, second, b"[1]")
    assert Path(second).read_bytes() == b"[1]"
    assert Path(directory, ".gitignore").read_text() == cachestore.GITIGNORE
    shutil.rmtree(directory)
    assert cachestore.write_entry(directory, first, b"{}")
    assert Path(directory, ".gitignore").read_text() == cachestore.GITIGNORE and Path(first).read_bytes() == b"{}"
