"""The verify result cache (issue 14, item 4): a reproducible notebook is not run again while
nothing that decides its verdict changed; every part of the key invalidates it; only
reproducible verdicts are kept; a corrupt entry is ignored and rewritten; concurrent runs are safe.

The notebooks append a line to ``ran.log`` when they run, so a hit is proven by the file, not
only by the report's ``cached`` field.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from clihelp import nbkit_cli
from nbbuild import code, nb, result, stream, write

from nbkit import schemas, statsig
from nbkit.errors import ConfigError
from nbkit.verify import VerifyOptions, VerifyRequest, verify_paths
from nbkit.verify import cache as vcache
from nbkit.verify.plan import prepare

SIDE_EFFECT = 'open("ran.log", "a").write("ran\\n")\nprint("hi")'


def side_effect_nb(*, extra: str = "", data: dict | None = None) -> dict:
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    if data is not None:
        metadata["nbkit"] = {"data": data}
    cells = [code("x = 0", count=None, tags=["parameters"]), code(SIDE_EFFECT, count=1, outputs=[stream("hi\n")]), code("1 + 1" + extra, count=2, outputs=[result("2", 2)])]
    return nb(*cells, metadata=metadata)


def runs_of(folder: Path) -> int:
    log = folder / "ran.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "verify").glob("*/*.json")) if (cache / "verify").is_dir() else []


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("NBKIT_CACHE_DIR", str(where))
    return where


def verify(path, **kw):
    kw.setdefault("cache", True)
    return verify_paths([path], VerifyOptions(**kw))


# -- with real kernels ----------------------------------------------------------------------------

@pytest.mark.kernel
def test_second_run_is_read_from_the_cache_and_runs_nothing(tmp_path, cache):
    path = write(tmp_path / "a.ipynb", side_effect_nb())
    first = verify(path).notebooks[0]
    assert first.status == "reproducible" and first.cached_at is None
    assert runs_of(tmp_path) == 1
    assert len(entries(cache)) == 1 and (cache / ".gitignore").is_file()

    report = verify(path)
    second = report.notebooks[0]
    assert runs_of(tmp_path) == 1  # the side-effect cell did not run: no kernel ran the notebook
    d = report.to_dict()
    schemas.validate(d, "verify")
    assert d["notebooks"][0]["cached"]["at"].endswith("Z")
    assert second.status == "reproducible" and d["notebooks"][0]["cells"] == first.to_dict()["cells"]
    assert report.exit_code() == 0

    # a verify option changes: the notebook runs again (and its new verdict is kept too)
    third = verify(path, timeout=77).notebooks[0]
    assert third.cached_at is None and runs_of(tmp_path) == 2
    assert len(entries(cache)) == 2
    # the notebook's bytes change: it runs again
    write(path, side_effect_nb(extra="  # edited"))
    assert verify(path).notebooks[0].cached_at is None and runs_of(tmp_path) == 3
    # off: no read, no write
    before = len(entries(cache))
    assert verify(path, cache=False).notebooks[0].cached_at is None and runs_of(tmp_path) == 4
    assert len(entries(cache)) == before


@pytest.mark.kernel
def test_mismatch_and_failed_verdicts_are_never_cached(tmp_path, cache):
    mism = tmp_path / "m"
    fail = tmp_path / "f"
    write(mism / "m.ipynb", nb(code(SIDE_EFFECT, count=1, outputs=[stream("hello\n")])))
    write(fail / "f.ipynb", nb(code(SIDE_EFFECT + '\nraise ValueError("no")', count=1, outputs=[stream("hi\n")])))
    for attempt in (1, 2):
        report = verify_paths([mism, fail], VerifyOptions(cache=True, jobs=2, runs=1))
        assert sorted(n.status for n in report.notebooks) == ["failed", "mismatch"]
        assert all(n.cached_at is None for n in report.notebooks)
        assert runs_of(mism) == attempt and runs_of(fail) == attempt  # both ran again
    assert entries(cache) == []


@pytest.mark.kernel
def test_a_corrupt_or_foreign_entry_is_ignored_and_rewritten(tmp_path, cache):
    path = write(tmp_path / "a.ipynb", side_effect_nb())
    assert verify(path).notebooks[0].status == "reproducible"
    [entry] = entries(cache)
    good = json.loads(entry.read_text())
    for n, bad in enumerate([b'{"schema": "nbkit.verifycache/1", "key": ', b"\x00\xff not json",
                             json.dumps({**good, "schema": "nbkit.lintcache/1"}).encode(),
                             json.dumps({**good, "result": {**good["result"], "status": "mismatch"}}).encode()],
                            start=2):
        entry.write_bytes(bad)
        res = verify(path).notebooks[0]
        assert res.status == "reproducible" and res.cached_at is None
        assert runs_of(tmp_path) == n  # the bad entry was not trusted: the notebook ran
        assert json.loads(entry.read_text())["schema"] == vcache.SCHEMA  # ... and the entry was rewritten
        assert verify(path).notebooks[0].cached_at is not None and runs_of(tmp_path) == n


@pytest.mark.kernel
@pytest.mark.slow
def test_concurrent_runs_share_the_cache_safely(tmp_path):
    for name in ("a", "b"):
        write(tmp_path / name / f"{name}.ipynb", side_effect_nb())
    env = {**os.environ, "NBKIT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "nbkit", "verify", "--cache", "--format", "json", str(tmp_path / "a"),
           str(tmp_path / "b")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    for out, _err in outs:
        assert json.loads(out)["summary"]["reproducible"] == 2
    found = entries(tmp_path / "cache")
    assert len(found) == 2  # the same key from both runs: one entry each notebook, whole
    assert all(json.loads(p.read_text())["schema"] == vcache.SCHEMA for p in found)
    assert not list((tmp_path / "cache").rglob(".tmp-*"))
    ran = runs_of(tmp_path / "a") + runs_of(tmp_path / "b")
    third = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    assert third.returncode == 0
    assert all("cached" in n for n in json.loads(third.stdout)["notebooks"])
    assert runs_of(tmp_path / "a") + runs_of(tmp_path / "b") == ran


@pytest.mark.kernel
def test_cli_config_no_cache_update_and_text_report(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()  # the project root: the cache goes to <root>/.nbkit_cache
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\ncache = true\n")
    path = write(tmp_path / "nbs" / "a.ipynb", side_effect_nb())
    monkeypatch.delenv("NBKIT_CACHE_DIR", raising=False)
    code_, out, _ = nbkit_cli(capsys, "verify", path)
    assert code_ == 0 and runs_of(path.parent) == 1 and "cached" not in out
    assert entries(tmp_path / ".nbkit_cache")
    code_, out, _ = nbkit_cli(capsys, "verify", path)
    assert code_ == 0 and runs_of(path.parent) == 1
    assert "reproducible (cached from 20" in out.splitlines()[0]
    code_, out, _ = nbkit_cli(capsys, "verify", "--no-cache", path)
    assert code_ == 0 and runs_of(path.parent) == 2 and "cached" not in out
    code_, out, _ = nbkit_cli(capsys, "verify", "--cache", "--stamp", path)  # --stamp must execute
    assert code_ == 0 and runs_of(path.parent) == 3 and "cached" not in out
    # nbkit clean removes the verify cache with the rest of .nbkit_cache
    code_, out, _ = nbkit_cli(capsys, "clean", tmp_path)
    assert code_ == 0 and not (tmp_path / ".nbkit_cache").exists()


# -- the key, part by part (no kernel runs) -------------------------------------------------------

def key_of(path: Path, cache_dir: Path, request: VerifyRequest | None = None, item_hook=None) -> str:
    request = request or VerifyRequest.build([path], VerifyOptions(cache=True))
    item = prepare(0, str(path), request)
    assert item.early is None
    if item_hook:
        item_hook(item)
    store = vcache.VerifyCache(str(cache_dir), request)
    parts = store.key_parts(item)
    assert parts is not None
    return store.digest(parts)


def test_every_part_of_the_key_invalidates(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,2\n")
    pins = {"data/in.csv": {"sha256": "0" * 64, "bytes": 8}}
    path = write(tmp_path / "a.ipynb", side_effect_nb(data=pins))
    cache_dir = tmp_path / "cache"
    base = key_of(path, cache_dir)
    assert key_of(path, cache_dir) == base  # stable

    seen = {base}

    def differs(key: str) -> None:
        assert key not in seen
        seen.add(key)

    # the notebook's bytes
    write(path, side_effect_nb(data=pins, extra=" "))
    differs(key_of(path, cache_dir))
    write(path, side_effect_nb(data=pins))
    assert key_of(path, cache_dir) == base
    # the pinned data file's bytes, and its absence
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,3\n")
    differs(key_of(path, cache_dir))
    (tmp_path / "data" / "in.csv").unlink()
    differs(key_of(path, cache_dir))
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,2\n")
    assert key_of(path, cache_dir) == base
    # verify options, from the command line or [tool.nbkit.verify]
    for opts in (VerifyOptions(timeout=5), VerifyOptions(runs=2), VerifyOptions(parameters={"x": 1}),
                 VerifyOptions(strict_env=True), VerifyOptions(stop_on_error=True), VerifyOptions(kernel="python3")):
        differs(key_of(path, cache_dir, VerifyRequest.build([path], opts)))
    request = VerifyRequest.build([path], VerifyOptions(cache=True))
    for settings in (replace(request.settings, rtol=0.0), replace(request.settings, image_tolerance=0.5),
                     replace(request.settings, normalizers={**request.settings.normalizers, "timestamps": False})):
        differs(key_of(path, cache_dir, replace(request, settings=settings)))
    # ... but not how many notebooks run at once, or whether the cache is on
    assert key_of(path, cache_dir, VerifyRequest.build([path], VerifyOptions(jobs=4, cache=False))) == base
    # nbkit's version
    monkeypatch.setattr(vcache, "nbkit_version", lambda: "99.0.0")
    differs(key_of(path, cache_dir))
    monkeypatch.undo()
    assert key_of(path, cache_dir) == base
    # the environment: a distribution appears where the kernel imports from (PYTHONPATH)
    site = tmp_path / "site"
    dist = site / "fakepkg-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.2.3\n\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    with_fake = key_of(path, cache_dir)
    differs(with_fake)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.2.4\n\n")
    differs(key_of(path, cache_dir))


def test_options_in_the_key_come_from_the_request_not_a_list(tmp_path):
    """A field added to the request later is part of the key without anyone listing it."""
    path = write(tmp_path / "a.ipynb", side_effect_nb())
    request = VerifyRequest.build([path], VerifyOptions(cache=True))
    options = vcache.request_options(request)
    import dataclasses

    names = {f.name for f in dataclasses.fields(request)}
    assert set(options) == names - vcache.NOT_IN_KEY
    assert {"timeout", "parameters", "runs", "kernel", "env", "settings"} <= set(options)
    assert "rtol" in options["settings"] and "jobs" not in options["settings"]
    json.dumps(options)  # canonical: plain JSON


def test_the_environment_fingerprint_lists_every_distribution_of_the_kernels_python(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    before = vcache.kernel_environment(sys.executable, env, [str(tmp_path)])
    assert before is not None
    assert before["python"] == ".".join(map(str, sys.version_info[:3]))
    assert any(d.lower().startswith("ipykernel==") for d in before["distributions"])
    dist = site / "fakepkg-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.2.3\n\n")
    after = vcache.kernel_environment(sys.executable, env, [str(tmp_path)])
    assert after is not None
    assert set(after["distributions"]) - set(before["distributions"]) == {"fakepkg==1.2.3"}
    # a distribution in the notebook's folder (on a kernel's sys.path as its working directory)
    local = tmp_path / "localpkg-0.1.dist-info"
    local.mkdir()
    (local / "METADATA").write_text("Metadata-Version: 2.1\nName: localpkg\nVersion: 0.1\n\n")
    here = vcache.kernel_environment(sys.executable, env, [str(tmp_path)])
    assert here is not None and here["folders"][str(tmp_path)] == ["localpkg==0.1"]
    # an interpreter that cannot answer: no fingerprint (the notebook runs, nothing is stored)
    assert vcache.kernel_environment(str(tmp_path / "no-python"), env, [str(tmp_path)]) is None


def test_a_pinned_environment_is_keyed_by_its_pins(tmp_path):
    from types import SimpleNamespace

    path = write(tmp_path / "a.ipynb", side_effect_nb())
    cache_dir = tmp_path / "cache"

    def pinned(key: str, installed: dict):
        def hook(item):
            item.pinned_env = SimpleNamespace(spec=SimpleNamespace(key=key), installed=installed, note=None)
        return hook

    one = key_of(path, cache_dir, item_hook=pinned("abc", {"numpy": "2.0.0"}))
    assert key_of(path, cache_dir, item_hook=pinned("abc", {"numpy": "2.0.0"})) == one
    assert key_of(path, cache_dir, item_hook=pinned("abd", {"numpy": "2.0.0"})) != one
    assert key_of(path, cache_dir, item_hook=pinned("abc", {"numpy": "2.0.1"})) != one


def test_cache_setting_is_validated(tmp_path):
    from nbkit.config import load_config

    (tmp_path / "pyproject.toml").write_text('[tool.nbkit.verify]\ncache = "yes"\n')
    with pytest.raises(ConfigError, match="tool.nbkit.verify.cache must be true or false"):
        VerifyRequest.build([tmp_path], VerifyOptions(config=load_config(tmp_path)))
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\ncache = true\n")
    config = load_config(tmp_path)
    assert VerifyRequest.build([tmp_path], VerifyOptions(config=config)).cache is True
    assert VerifyRequest.build([tmp_path], VerifyOptions(config=config, cache=False)).cache is False
    assert VerifyRequest.build([tmp_path], VerifyOptions(config=config, update=True)).cache is False
    assert VerifyRequest.build([tmp_path], VerifyOptions(config=config, stamp=True)).cache is False


def test_the_kernels_environment_is_kept_between_runs_until_what_it_was_read_from_changes(tmp_path, monkeypatch):
    """The probe (an interpreter start, ~0.1-0.3 s) runs once; later runs check its answer with
    ``stat`` and ask again when a distribution appears, changes or goes, or the folder changes."""
    monkeypatch.setattr(statsig, "RACY_NS", 0)  # the test's folders were made a moment ago
    asked: list[int] = []
    real = vcache.kernel_environment

    def counting(*args):
        asked.append(1)
        return real(*args)

    monkeypatch.setattr(vcache, "kernel_environment", counting)
    site = tmp_path / "site"
    site.mkdir()
    folder = tmp_path / "nbs"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    cache_dir = str(tmp_path / "cache")

    def probe():
        return vcache.remembered_environment(cache_dir, sys.executable, env, [str(folder)])

    first = probe()
    assert first is not None and len(asked) == 1
    assert probe() == first and len(asked) == 1  # kept: no interpreter started
    dist = site / "fakepkg-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.2.3\n\n")
    second = probe()
    assert len(asked) == 2 and "fakepkg==1.2.3" in second["distributions"]
    assert probe() == second and len(asked) == 2
    # the version edited in place (the folder's own time stamp does not change)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.2.40\n\n")
    third = probe()
    assert len(asked) == 3 and "fakepkg==1.2.40" in third["distributions"]
    # a distribution in the notebooks' folder
    local = folder / "localpkg-0.1.dist-info"
    local.mkdir()
    (local / "METADATA").write_text("Metadata-Version: 2.1\nName: localpkg\nVersion: 0.1\n\n")
    assert probe()["folders"][str(folder)] == ["localpkg==0.1"] and len(asked) == 4
    # another PYTHONPATH is another interpreter setup: asked again
    env["PYTHONPATH"] = str(tmp_path)
    probe()
    assert len(asked) == 5
    # a corrupt entry is ignored (and rewritten)
    for entry in (tmp_path / "cache" / "verify" / "env").glob("*/*.json"):
        entry.write_text("{not json")
    probe()
    assert len(asked) == 6
    probe()
    assert len(asked) == 6


def test_a_just_changed_environment_is_not_kept(tmp_path, monkeypatch):
    """A folder changed within the last two seconds could change again within its time stamp:
    its answer is used for this run only."""
    site = tmp_path / "site"
    site.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    cache_dir = tmp_path / "cache"
    assert vcache.remembered_environment(str(cache_dir), sys.executable, env, [str(tmp_path)]) is not None
    assert list(cache_dir.glob("verify/env/*/*.json")) == []
