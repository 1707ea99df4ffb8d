"""Tests' view of the lint cache's entries (nbkit/entrydb.py: one SQLite database per cache
folder): read them, count them, overwrite one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from nbkit.entrydb import FILE_NAME


def db_path(cache: Path | str) -> Path:
    return Path(cache) / "lint" / FILE_NAME


def raw_entries(cache: Path | str) -> dict[str, bytes]:
    """slot -> the entry's bytes ({} when the cache holds no database)."""
    path = db_path(cache)
    if not path.exists():
        return {}
    conn = sqlite3.connect(path)
    try:
        return {slot: bytes(entry) for slot, entry in conn.execute("SELECT slot, entry FROM entries")}
    finally:
        conn.close()


def entries(cache: Path | str) -> dict[str, dict]:
    """slot -> the entry as JSON."""
    return {slot: json.loads(data) for slot, data in raw_entries(cache).items()}


def write_raw(cache: Path | str, slot: str, data: bytes) -> None:
    """Overwrite (or add) the entry of ``slot`` with ``data``, as another run would."""
    conn = sqlite3.connect(db_path(cache))
    try:
        with conn:
            conn.execute("INSERT OR REPLACE INTO entries (slot, entry) VALUES (?, ?)", (slot, data))
    finally:
        conn.close()
