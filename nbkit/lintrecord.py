"""The run record: what answers ``nbkit lint NOTEBOOK`` from the lint cache without the
configuration loader, the rules or the report library (:mod:`nbkit.cli.fastlint`).

Re-linting one unchanged notebook is what an editor hook or a pre-commit run does all day; its
findings are in the lint cache (:mod:`nbkit.lintcache`), and what such a run costs is Python's
start-up and the imports.  After a run of ``nbkit lint PATH.ipynb`` (every option at its
default) the command line keeps a small record next to the cache entries (:func:`remember`):
the resolved configuration as the cache key sees it, the exit-code threshold, and the digest of
every ``pyproject.toml`` the configuration search read, and a copy of the notebook's lint
cache entry.  :func:`recall` finds the record of the same command line (same working folder,
same spelling of the path, same interpreter), checks those files are unchanged - then the
configuration and the cache folder are too - and judges the entry's copy with every check an
ordinary cache hit makes (the notebook's bytes, nbkit's own files, the folders, the
environment, the paths the rules looked at), without opening the cache's database (a record
without a copy asks the database).  A record that does not match is ignored: the normal path
runs and writes a new one.
"""

from __future__ import annotations

import json
import os
import sys

from .lintcache import blake2b

SCHEMA = "nbkit.lintrun/1"
__all__ = ["SCHEMA", "CachedRun", "recall", "remember"]


class CachedRun:
    """The cached answer of a one-notebook run: the notebook's path as the report names it, its
    findings as the cache stores them (dicts without ``path``) and the lowest failing severity.
    (A plain class: importing typing for a NamedTuple costs more than this module.)"""

    __slots__ = ("path", "entries", "threshold")

    def __init__(self, path: str, entries: list[dict], threshold: str) -> None:
        self.path = path
        self.entries = entries
        self.threshold = threshold


def _digest_file(path: str) -> str | None:
    """The digest of a file's bytes; None when there is no such file (a folder counts as none,
    as :func:`nbkit.config.find_pyproject` skips it)."""
    try:
        with open(path, "rb") as f:
            return blake2b(f.read(), digest_size=20).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _ancestors(nb_path: str) -> list[str]:
    """The folders :func:`nbkit.config.find_pyproject` searches for ``nb_path``, nearest first."""
    here = os.path.dirname(os.path.realpath(nb_path))
    out = [here]
    while (parent := os.path.dirname(here)) != here:
        out.append(parent)
        here = parent
    return out


def _record_path(cache: str, given: str) -> str:
    h = blake2b(json.dumps([os.getcwd(), given, os.path.realpath(sys.executable)]).encode(), digest_size=20).hexdigest()
    return os.path.join(cache, "lint", "runs", h + ".json")


def _cache_dir(config_root: str | None, given: str) -> str:
    """:func:`nbkit.cachestore.cache_dir` of a run of ``given`` alone."""
    from .cachestore import cache_dir

    return cache_dir([given], config_root)


def _candidates(given: str):
    """Where the lint cache of ``given`` may be: ``$NBKIT_CACHE_DIR``; else the folder of each
    pyproject.toml above it (the one configuring nbkit holds it), else the repository root's."""
    from .cachestore import DIR_NAME, ENV_VAR

    env = os.environ.get(ENV_VAR)
    if env:
        yield os.path.abspath(env)
        return
    for folder in _ancestors(given):
        if os.path.isfile(os.path.join(folder, "pyproject.toml")):
            yield os.path.join(folder, DIR_NAME)
    yield _cache_dir(None, given)


def recall(given: str) -> CachedRun | None:
    """The findings of ``nbkit lint GIVEN`` from the lint cache when the record of that command
    line and the cache entry of the notebook are both valid; None otherwise."""
    for cache in _candidates(given):
        record = _read_record(cache, given)
        if record is not None:
            break
    else:
        return None
    # the configuration is what it was (the files its search read are unchanged), so is the
    # cache folder it names
    if any(_digest_file(p) != digest for p, digest in record["pyprojects"]):
        return None
    if _cache_dir(record["config"]["root"], given) != cache:
        return None
    from .lintcache import LintCache, _digest, as_dicts, nbkit_fingerprint

    path = record["path"]
    store = LintCache(cache, _digest(record["config"], *record["selection"], nbkit_fingerprint()), [path])
    held = _HeldEntry(record["entry"]) if isinstance(record.get("entry"), str) else None
    if held is not None:
        store.db = held  # type: ignore[assignment]  # (the record's copy: no database to open)

    def read(p: str) -> bytes:
        with open(p, "rb") as f:
            return f.read()

    try:
        rows, _ = store.lookup(path, read)
    finally:
        store.close()
    if rows is None:
        return None
    if held is not None and held.upgraded is not None:  # now trusted: the next recall reads no notebook
        from .cachestore import write_entry

        write_entry(cache, _record_path(cache, given),
                    json.dumps({**record, "entry": held.upgraded.decode()}, sort_keys=True).encode())
    return CachedRun(path, as_dicts(rows), record["threshold"])


class _HeldEntry:
    """The lint cache entry a record holds, in the place of the cache's database
    (:class:`nbkit.entrydb.EntryDB`) for one lookup: the entry is judged by every check of a
    cache hit; what the lookup stores (the entry, trusted once the notebook has settled) is
    kept for the record."""

    __slots__ = ("data", "upgraded")

    def __init__(self, text: str) -> None:
        self.data = text.encode()
        self.upgraded: bytes | None = None

    def get(self, slot: str) -> bytes | None:
        return self.data

    def put(self, slot: str, entry: bytes) -> None:
        self.upgraded = entry

    def flush(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _read_record(cache: str, given: str) -> dict | None:
    try:
        with open(_record_path(cache, given), "rb") as f:
            record = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA or record.get("given") != given:
        return None
    return record


def remember(given: str, result, config, threshold, selection: tuple) -> None:
    """After ``nbkit lint PATH.ipynb`` ran the normal way (with the lint cache, every option at
    its default): keep what :func:`recall` needs to answer the same command line next time.
    ``selection``: the (select, ignore, profile) the cache key was made with.  Never fails the
    command (a record that cannot be written is simply not there).

    The configuration search is done again here on bytes read once, each file digested from
    the very bytes it is judged by, and the record is kept only when it finds the configuration
    the run used: a ``pyproject.toml`` edited while the notebook was linted leaves no record
    that could vouch for its new bytes with the old configuration."""
    try:
        if not os.path.isfile(given) or result.errors or len(result.paths) != 1 or threshold != config.fail_on:
            return
        from dataclasses import asdict

        from .cachestore import write_entry
        from .lintcache import _digest, nbkit_fingerprint, settings_fingerprint

        searched = _search_config(given)
        if searched is None:
            return
        pyprojects, found = searched
        if asdict(found) != asdict(config):
            return
        select, ignore, profile = selection
        selection_json = [list(select or []), list(ignore or []), profile]
        config_json = json.loads(json.dumps(asdict(config), default=str, sort_keys=True))
        if _digest(config_json, *selection_json, nbkit_fingerprint()) != \
                settings_fingerprint(config, select, ignore, profile):
            return
        cache = _cache_dir(config.root, given)
        record = {"schema": SCHEMA, "given": given, "path": result.paths[0], "config": config_json,
                  "selection": selection_json, "threshold": threshold.value, "pyprojects": pyprojects}
        # a copy of the notebook's cache entry: recall judges it as the cache would, without
        # opening the cache's database (importing sqlite3 was a seventh of this answer's time)
        from .lintcache import LintCache

        store = LintCache(cache, settings_fingerprint(config, select, ignore, profile), [result.paths[0]])
        try:
            entry = store.db.get(store._slot(result.paths[0]))
        finally:
            store.close()
        if entry is not None:
            record["entry"] = entry.decode()
        write_entry(cache, _record_path(cache, given), json.dumps(record, sort_keys=True).encode())
    except Exception:  # noqa: BLE001, S110 - an optimisation only
        pass


def _search_config(given: str):
    """:func:`nbkit.config.load_config` for ``given`` (the nearest pyproject.toml with a
    ``[tool.nbkit]`` table), with the digest of every file the search read, from the bytes it
    judged: ``([[path, digest], ...], config)``; None when the configuration is not readable."""
    import tomllib

    from .config import Config, config_from_table

    pyprojects: list[list] = []
    for folder in _ancestors(given):
        candidate = os.path.join(folder, "pyproject.toml")
        try:
            with open(candidate, "rb") as f:
                data = f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            pyprojects.append([candidate, None])
            continue
        pyprojects.append([candidate, blake2b(data, digest_size=20).hexdigest()])
        # as Path.read_text reads it (UTF-8, universal newlines)
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        try:
            parsed = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        tool = parsed.get("tool")
        if isinstance(tool, dict) and "nbkit" in tool:
            return pyprojects, config_from_table(tool["nbkit"], candidate)
    return pyprojects, Config()
