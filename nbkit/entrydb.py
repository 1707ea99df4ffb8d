"""The lint cache's entries in one SQLite database, ``<cache>/lint/entries-1.sqlite3``: a table
of (slot, entry bytes), the entry bytes being what a file entry held (JSON, see
:mod:`nbkit.lintcache`).

Why not a file per entry: creating a file is a metadata operation, and on some file systems it
costs far more than writing the entry (0.7-0.9 ms of kernel time each on the benchmark machine's
ext4, 70 times its tmpfs; Windows with a virus scanner is slow there too).  A cold run of 500
notebooks spent about a tenth of its time creating the entries' files.  Here the entries of a
run are written in a few transactions (:meth:`flush`, batches of :data:`BATCH`) to one file.
mypy can keep its cache in SQLite for the same reason.

- **Versions**: the file's name carries the layout's version (:data:`VERSION`, also the
  database's ``user_version``), so two nbkit versions sharing a cache folder (pre-commit's and a
  development environment's) each keep their own file instead of replacing each other's.
- **Concurrent runs**: SQLite's locks (a rollback journal, kept between transactions:
  ``journal_mode=PERSIST``; not WAL, which cannot be read from a read-only folder); a reader or
  writer waits up to :data:`TIMEOUT` seconds for another process's transaction.  Past that (a
  process stopped in the middle of a write, a database browser holding a lock) the cache is
  off for the rest of the run: nothing more is read from it or written to it, and the run lints
  what it cannot read (waiting once, not once per notebook).  A reader never sees half a
  transaction.
- **Crashes**: no ``fsync`` (``synchronous=OFF``): an entry lost to a power cut is a miss.  A
  file that is no database of this layout (cut short, overwritten, another program's) is no
  entry; the next write replaces it with a new database.  (A process still writing to the
  replaced file loses what it writes: a cache.)
- **Network file systems**: SQLite's locks are only as good as the file system's; where they
  fail, runs read misses or drop their writes, never a wrong entry (every entry is checked
  against its key).
- **No SQLite**: a Python built without the ``sqlite3`` module has no lint cache (every run
  lints; nothing is stored).
- **Processes**: a connection belongs to the process and thread that opened it; a forked worker
  or another thread opens its own and never touches the one it inherited (a connection must
  not cross a ``fork``: the parent closes its own before it forks lint workers, :meth:`close`).
"""

from __future__ import annotations

import _thread
import os

TYPE_CHECKING = False  # (typing is not imported: a cache hit should not have to)
if TYPE_CHECKING:
    from typing import Any

VERSION = 1  # the table's layout: the file's name and its user_version
FILE_NAME = f"entries-{VERSION}.sqlite3"
BATCH = 64  # entries per transaction at most (a run's entries are written as they come)
TIMEOUT = 2.0  # seconds a reader or writer waits for another process's transaction

# connections inherited from another process (fork) or made by another thread: kept referenced
# so that they are never finalised (closed, their transaction rolled back) from here
_NOT_OURS: list = []


class _Foreign(Exception):
    """The file is no database of this layout."""


class EntryDB:
    """The lint entries of the cache folder ``directory`` (``<directory>/lint/``); ``get``
    reads, ``put`` queues a write that :meth:`flush` (or a full batch) commits."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.folder = os.path.join(directory, "lint")
        self.path = os.path.join(self.folder, FILE_NAME)
        self._conn: Any = None
        self._owner: tuple[int, int] | None = None
        self._pending: dict[str, bytes] = {}
        self.off = False  # a lock held past TIMEOUT: no more reads or writes this run

    def __getstate__(self) -> dict:  # (a spawned worker opens its own connection; queued writes stay here)
        return {**self.__dict__, "_conn": None, "_owner": None, "_pending": {}}

    def _connection(self, create: bool) -> Any:
        """This process and thread's connection; None when there is no database and ``create`` is
        False (a lookup in a cache never written).  sqlite3.Error when it cannot be opened,
        :class:`_Foreign` when the file is no database of this layout."""
        owner = (os.getpid(), _thread.get_ident())
        if self._conn is not None:
            if self._owner == owner:
                return self._conn
            _NOT_OURS.append(self._conn)  # another process's (forked) or thread's: never used nor closed here
            self._conn = self._owner = None
        exists = os.path.exists(self.path)
        if not create and not exists:
            return None
        import sqlite3

        if create and not exists:
            from .cachestore import ensure_root

            ensure_root(self.directory)  # (the cache folder and its .gitignore)
            os.makedirs(self.folder, exist_ok=True)
            # readable by its owner only, as the entry files were (SQLite gives its journal the
            # database's permissions)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600))
        conn = sqlite3.connect(self.path, timeout=TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA journal_mode=PERSIST").fetchall()
            version = conn.execute("PRAGMA user_version").fetchall()[0][0]
            if version != VERSION:
                if version != 0 or conn.execute("SELECT count(*) FROM sqlite_master").fetchall()[0][0]:
                    raise _Foreign(self.path)
                if not create:
                    conn.close()
                    return None  # (an empty database: another run is making it)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("CREATE TABLE IF NOT EXISTS entries (slot TEXT PRIMARY KEY, entry BLOB NOT NULL) "
                                 "WITHOUT ROWID")
                    conn.execute(f"PRAGMA user_version = {VERSION}")
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except BaseException:
            conn.close()
            raise
        self._conn, self._owner = conn, owner
        return conn

    def get(self, slot: str) -> bytes | None:
        """The entry bytes stored (or queued) under ``slot``; None when there are none or the
        database cannot be read."""
        queued = self._pending.get(slot)
        if queued is not None:
            return queued
        if self.off:
            return None
        try:
            import sqlite3
        except ImportError:  # pragma: no cover - a Python built without SQLite: no lint cache
            return None
        try:
            conn = self._connection(create=False)
            if conn is None:
                return None
            rows = conn.execute("SELECT entry FROM entries WHERE slot = ?", (slot,)).fetchall()
        except _Foreign:
            return None
        except sqlite3.Error as e:
            self._give_up_when_locked(e)
            return None
        return bytes(rows[0][0]) if rows and isinstance(rows[0][0], (bytes, memoryview)) else None

    def put(self, slot: str, entry: bytes) -> None:
        """Queue ``entry`` for ``slot``; a full batch is written now."""
        self._pending[slot] = entry
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> bool:
        """Write the queued entries in one transaction; False when they could not be (dropped:
        a read-only or full disk, a lock held past the timeout)."""
        if not self._pending:
            return True
        pending, self._pending = list(self._pending.items()), {}
        if self.off:
            return False
        try:
            import sqlite3
        except ImportError:  # pragma: no cover - a Python built without SQLite: no lint cache
            return False
        if self._conn is not None and not os.path.exists(self.path):
            self._drop_connection()  # removed meanwhile (`nbkit clean`): made again
        for attempt in (1, 2):
            try:
                conn = self._connection(create=True)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("INSERT OR REPLACE INTO entries (slot, entry) VALUES (?, ?)", pending)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return True
            except (_Foreign, sqlite3.DatabaseError) as e:
                self._drop_connection()
                if isinstance(e, sqlite3.OperationalError):  # locked, read-only, full: dropped
                    self._give_up_when_locked(e)
                    return False
                if attempt == 2:
                    return False
                self._discard()  # no database of this layout (cut short, overwritten): a new one replaces it
            except OSError:
                return False
        return False  # pragma: no cover - the loop returns

    def _give_up_when_locked(self, e: Exception) -> None:
        if "locked" in str(e).lower() or "busy" in str(e).lower():
            self.off = True
            self._pending.clear()

    def _discard(self) -> None:
        for name in (self.path, self.path + "-journal"):
            try:
                os.unlink(name)
            except OSError:
                pass

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._owner is not None and self._owner[0] == os.getpid():
                try:
                    conn.close()
                except Exception:  # noqa: BLE001, S110 - closing a cache's connection cannot fail a run
                    pass
            else:
                _NOT_OURS.append(conn)  # inherited by fork: the parent's, never closed here
        self._owner = None

    def close(self) -> None:
        """Write what is queued and close this process's connection (before a fork, at the end
        of a run)."""
        if self._pending:
            self.flush()
        self._drop_connection()
