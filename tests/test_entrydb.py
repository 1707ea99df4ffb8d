"""The lint cache's entries in one SQLite database (nbkit/entrydb.py): concurrent runs, a file
that is no database, a lock held too long, fork, permissions."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import cacheentries
from nbkit import entrydb
from nbkit.config import load_config
from nbkit.entrydb import EntryDB
from nbkit.lint import lint_paths
from test_lint_cache_cold import _nb


def _project(root: Path, n: int) -> list[Path]:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("pandas==2.2.0\n")
    paths = []
    for i in range(n):
        p = root / f"nb{i:03d}.ipynb"
        p.write_text(json.dumps(_nb(f"import pandas as pd\nimport random\nx{i} = random.random()\n",
                                    f"df = pd.read_csv('data/part{i}.csv')\nprint(y{i})\n")))
        paths.append(p)
    return paths


def test_concurrent_runs_share_one_database_and_every_entry_is_whole(tmp_path):
    """Three command lines lint the same 40 notebooks at once (each with two workers) into one
    cache: each report is the uncached one, and the next run is answered from the cache alone."""
    root = tmp_path / "p"
    _project(root, 40)
    cache = tmp_path / "cache"
    env = {**os.environ, "NBKIT_CACHE_DIR": str(cache)}
    fresh = subprocess.run([sys.executable, "-m", "nbkit", "lint", str(root), "--no-cache", "--format", "json"],
                           capture_output=True, text=True, timeout=300)
    procs = [subprocess.Popen([sys.executable, "-m", "nbkit", "lint", str(root), "-j", "2", "--format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    for (out, err), p in zip(outs, procs, strict=True):
        assert p.returncode == 1 and not err, err  # findings, no error
        assert out == fresh.stdout
    stored = cacheentries.entries(cache)
    assert len(stored) == 40 and all(len(e["rows"]) >= 1 for e in stored.values())
    from nbkit import lint as lint_mod

    stores = []
    real = lint_mod._open_cache
    try:
        lint_mod._open_cache = lambda *a, **k: stores.append(real(*a, **k)) or stores[-1]
        again = lint_paths([str(root)], load_config(root), cache=str(cache))
    finally:
        lint_mod._open_cache = real
    assert stores[0].hits == 40 and stores[0].misses == 0
    assert json.loads(fresh.stdout)["findings"] == [f.to_dict() for f in again.findings]


def _database(*statements: str):
    """A writer of a SQLite database made by ``statements`` at a path."""
    def make(path: Path) -> None:
        conn = sqlite3.connect(path)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()
    return make


_OTHER_TABLE = _database("CREATE TABLE entries (slot TEXT PRIMARY KEY, data BLOB, version INT)",
                         "INSERT INTO entries VALUES ('x', x'00', 1)")
_OTHER_VERSION = _database("CREATE TABLE entries (slot TEXT PRIMARY KEY, entry BLOB NOT NULL) WITHOUT ROWID",
                           "PRAGMA user_version = 7")


@pytest.mark.parametrize("junk", [b"", b"not a database at all\n" * 100, b"SQLite format 3\x00" + b"\xff" * 5000,
                                  _OTHER_TABLE, _OTHER_VERSION],
                         ids=["empty", "text", "cut-short", "other-table", "other-version"])
def test_a_database_file_that_is_not_one_is_no_entry_and_is_replaced(tmp_path, junk):
    """Garbage, a database cut short, another layout's table or version in the file: no
    entry is read from it, and the next write replaces it with a database of this layout."""
    root = tmp_path / "p"
    _project(root, 3)
    cache = tmp_path / "cache"
    cfg = load_config(root)
    fresh = lint_paths([str(root)], cfg).to_dict()
    (cache / "lint").mkdir(parents=True)
    if callable(junk):
        junk(cacheentries.db_path(cache))
    else:
        cacheentries.db_path(cache).write_bytes(junk)
    assert lint_paths([str(root)], cfg, cache=str(cache)).to_dict() == fresh
    assert len(cacheentries.entries(cache)) == 3  # a new database with the run's entries
    assert lint_paths([str(root)], cfg, cache=str(cache)).to_dict() == fresh


def test_a_lock_held_past_the_timeout_drops_the_batch_not_the_run(tmp_path, monkeypatch):
    """Another process's transaction that does not end: the run waits for it once (not once per
    notebook: the cache is off for the rest of the run), its report is right, its entries are
    not stored (a cache), and the next run stores them."""
    root = tmp_path / "p"
    _project(root, 40)
    cache = tmp_path / "cache"
    cfg = load_config(root)
    fresh = lint_paths([str(root)], cfg).to_dict()
    assert lint_paths([str(root)], cfg, cache=str(cache)).to_dict() == fresh
    conn = sqlite3.connect(cacheentries.db_path(cache), isolation_level=None)
    conn.execute("DELETE FROM entries")
    monkeypatch.setattr(entrydb, "TIMEOUT", 0.2)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"), str(cacheentries.db_path(cache))], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    waits: list[str] = []
    real = EntryDB._give_up_when_locked

    def give_up(self, e):
        waits.append(str(e))
        return real(self, e)

    monkeypatch.setattr(EntryDB, "_give_up_when_locked", give_up)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert lint_paths([str(root)], cfg, cache=str(cache), jobs=1).to_dict() == fresh
    finally:
        holder.communicate("", timeout=30)
    conn.close()
    assert len(waits) == 1 and "locked" in waits[0], waits  # the first read waited; nothing after it
    assert cacheentries.entries(cache) == {}
    assert lint_paths([str(root)], cfg, cache=str(cache)).to_dict() == fresh
    assert len(cacheentries.entries(cache)) == 40


def test_database_and_journal_are_readable_by_their_owner_only(tmp_path):
    root = tmp_path / "p"
    _project(root, 2)
    cache = tmp_path / "cache"
    lint_paths([str(root)], load_config(root), cache=str(cache))
    files = sorted((cache / "lint").iterdir())
    assert [f.name for f in files] == [entrydb.FILE_NAME, entrydb.FILE_NAME + "-journal"]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert (cache / ".gitignore").is_file()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_opens_its_own_connection(tmp_path):
    """A connection must not cross a fork: the child of a process that read and wrote entries
    writes and reads through its own, and the parent's stays usable."""
    db = EntryDB(str(tmp_path / "cache"))
    db.put("a", b"1")
    db.flush()
    assert db.get("a") == b"1"
    parent_conn = db._conn
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        ok = b"0"
        try:
            db.put("b", b"2")
            ok = b"1" if db.flush() and db.get("a") == b"1" and db.get("b") == b"2" and db._conn is not parent_conn \
                else b"0"
            db.close()
        finally:
            os.write(w, ok)
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(r)
    assert db._conn is parent_conn and db.get("b") == b"2"
    db.put("c", b"3")
    assert db.flush() and cacheentries.raw_entries(tmp_path / "cache") == {"a": b"1", "b": b"2", "c": b"3"}
    db.close()


def test_entries_are_written_in_batches(tmp_path, monkeypatch):
    """A serial run of 150 notebooks writes its entries in transactions of BATCH (64) and the
    rest at the end: three, not 150."""
    root = tmp_path / "p"
    _project(root, 150)
    cache = tmp_path / "cache"
    commits: list[int] = []
    real = EntryDB.flush

    def flush(self):
        if self._pending:
            commits.append(len(self._pending))
        return real(self)

    monkeypatch.setattr(EntryDB, "flush", flush)
    lint_paths([str(root)], load_config(root), cache=str(cache), jobs=1)
    assert commits == [64, 64, 22]
    assert len(cacheentries.entries(cache)) == 150


def test_a_cache_removed_during_a_run_is_made_again_by_its_next_batch(tmp_path):
    """`nbkit clean` while a run writes: its next batch makes the database (and the cache's
    .gitignore) again instead of writing into the removed file."""
    import shutil

    cache = tmp_path / "cache"
    db = EntryDB(str(cache))
    db.put("a", b"1")
    assert db.flush()
    shutil.rmtree(cache)
    db.put("b", b"2")
    assert db.flush()
    db.close()
    assert cacheentries.raw_entries(cache) == {"b": b"2"}
    assert (cache / ".gitignore").is_file()


def test_two_layout_versions_keep_their_own_files(tmp_path, monkeypatch):
    """Another nbkit version's layout (another VERSION) is another file: neither replaces the
    other's entries."""
    cache = tmp_path / "cache"
    db = EntryDB(str(cache))
    db.put("a", b"1")
    db.close()
    monkeypatch.setattr(entrydb, "VERSION", 2)
    monkeypatch.setattr(entrydb, "FILE_NAME", "entries-2.sqlite3")
    other = EntryDB(str(cache))
    assert other.get("a") is None
    other.put("a", b"2")
    other.close()
    assert other.get("a") == b"2"
    monkeypatch.undo()
    assert EntryDB(str(cache)).get("a") == b"1"
