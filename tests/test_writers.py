"""Issue 11 items 1, 3 and 4: every writer of a notebook goes through one compare-and-replace
writer (:func:`nbkit.nbio.replace_if_unchanged`).  It never overwrites a save another program
made while nbkit worked, writes through symlinks (the link stays), keeps the file's mode, and
changes only the bytes it claims to."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, write

import nbkit.nbio as nbio

CHANGED = "changed on disk while nbkit worked; nothing written"


# -- a concurrent saver -------------------------------------------------------------------------

def saved_notebook(k: int | str, filler: int = 0) -> dict:
    """Save number ``k``: a markdown cell lint --fix changes (a line ending in a tab), no code
    (verify needs no kernel), no metadata.nbkit (pin and --stamp always write); ``filler`` more
    markdown cells make nbkit work long enough for saves to land while it works."""
    prose = [md(f"## Part {i}\n\n" + "A line of prose about the analysis.\n" * 8) for i in range(filler)]
    return nb(md(f"# Save {k}\n\nSome text\t\nmore text"), *prose, md("## Findings\n\nNone."), metadata={})


def save_number(raw: bytes) -> int:
    m = re.search(rb"# Save (\d+)", raw)
    assert m, raw[:200]
    return int(m.group(1))


SAVER = r"""
import fcntl, os, random, sys, time
path, lock_path, template, seed, pause = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
template = open(template, encoding="utf-8").read()
rng = random.Random(seed)
k = 0
while True:
    # bursts of saves 0-pause s apart, and lulls of 0.3-0.6 s: whatever the machine's speed, some
    # runs of the writer meet saves made while they work and some find the file quiet and write
    time.sleep(rng.uniform(0, pause) if rng.random() < 0.7 else rng.uniform(0.3, 0.6))
    k += 1
    data = template.replace("@@SAVE@@", str(k)).encode()
    target = os.path.realpath(path)
    with open(lock_path, "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if k % 2:  # half the saves replace the file by rename, half write into it in place
            with open(target + ".saver-tmp", "wb") as fh:
                fh.write(data)
            os.replace(target + ".saver-tmp", target)
        else:
            with open(target, "wb") as fh:
                fh.write(data)
        lock.seek(0)
        lock.truncate()
        lock.write(str(k))
        lock.flush()
"""


class Saver:
    """Another program (a process of its own) that saves a new valid notebook every 0-``pause`` s
    (0.4: as an editor would; less for a writer so fast that few saves would land while it works),
    with a lull of 0.3-0.6 s instead about every third save (a loaded machine once let a writer
    meet a save in 199 of 210 runs: the write path went nearly untested).  It saves under a lock (``fcntl.flock``) and records the number of its last
    save with it, so a test can look at the file between two saves (:meth:`latest_and_file`)."""

    def __init__(self, path: Path, seed: int, pause: float = 0.4):
        self.path = path
        self.lock_path = path.parent / "saver.lock"
        self.lock_path.write_text("0")
        template = path.parent / "saver-template.json"
        template.write_text(json.dumps(saved_notebook("@@SAVE@@", filler=60), indent=1, sort_keys=True) + "\n")
        path.write_text(template.read_text().replace("@@SAVE@@", "0"))
        self.proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(self.lock_path), str(template),
                                      str(seed), str(pause)])

    def latest_and_file(self) -> tuple[int, bytes]:
        import fcntl

        with open(self.lock_path, "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return int(lock.read() or 0), self.path.read_bytes()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def hammer(capsys, path: Path, command: list[str], iterations: int, budget_s: float,
           pause: float = 0.4) -> tuple[int, int]:
    """Run ``command`` on ``path`` at least ``iterations`` times (and on until it met a few saves
    made while it worked, within ``budget_s``) against a concurrent saver; after every run the
    file must hold the saver's latest save (as saved, or as the writer changed it).  Returns
    (runs that wrote, runs refused because the file changed)."""
    saver = Saver(path, seed=11, pause=pause)
    latest = 0
    wrote = refused = 0
    started = time.monotonic()
    i = 0
    try:
        while (i < iterations or refused < 3 or wrote <= 20) and time.monotonic() - started < budget_s:
            i += 1
            rc, out, err = nbkit_cli(capsys, *command, str(path))
            assert "Traceback" not in err and "internal error" not in err, err
            if CHANGED in err + out:
                refused += 1
            elif rc in (0, 1) and "not written" not in out:
                wrote += 1
            latest, raw = saver.latest_and_file()  # the saver waits while the file is looked at
            assert save_number(raw) == latest, f"run {i}: save {latest} was reverted"
            json.loads(raw)
    finally:
        saver.stop()
    print(f"{i} runs, {latest} saves: {wrote} wrote, {refused} refused")
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".nbkit-tmp")]
    assert not leftovers
    return wrote, refused


# pin and lint --fix write in a few ms (the configuration is remembered between runs in one
# process): with saves every 0-0.4 s, a loaded machine once let only 70 saves through in 14 s and
# none landed while pin worked, so the race went untested; they meet saves every 0-0.05 s
PAUSE = {"pin": 0.05, "lint --fix": 0.05}

WRITERS = {
    "lint --fix": ["lint", "--fix", "--select", "NBH015", "--format", "json"],
    "pin": ["pin"],
    "verify --stamp": ["verify", "--stamp", "--format", "json"],
}


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_no_save_is_ever_reverted_by_a_writer_racing_a_concurrent_saver(tmp_path, capsys, writer):
    path = tmp_path / "raced_notebook.ipynb"
    wrote, refused = hammer(capsys, path, WRITERS[writer], iterations=300, budget_s=14, pause=PAUSE.get(writer, 0.4))
    assert wrote > 20, (wrote, refused)  # the writer did write, between the saves
    assert refused > 0, (wrote, refused)  # and it did meet saves made while it worked


# -- the race window itself, made to happen every time ------------------------------------------

def _fixable(tmp_path: Path, name: str = "raced_notebook.ipynb") -> tuple[Path, bytes]:
    p = tmp_path / name
    p.write_text(json.dumps(saved_notebook(1), indent=1, sort_keys=True) + "\n")
    return p, p.read_bytes()


def test_a_save_landing_between_the_compare_and_the_swap_is_put_back(tmp_path, capsys, monkeypatch):
    p, _ = _fixable(tmp_path)
    newer = (json.dumps(saved_notebook(2), indent=1, sort_keys=True) + "\n").encode()
    real = nbio._exchange
    calls = []

    def save_then_exchange(a, b):
        if not calls:  # another program renames its save into place just before the swap
            tmp = tmp_path / "editor-save.tmp"
            tmp.write_bytes(newer)
            os.replace(tmp, b)
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(nbio, "_exchange", save_then_exchange)
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p))
    assert rc == 2 and f"{p}: {CHANGED}" in err, err
    assert len(calls) == 2  # swapped in, found the newer save swapped out, swapped it back
    assert p.read_bytes() == newer
    assert sorted(x.name for x in tmp_path.iterdir()) == ["raced_notebook.ipynb"]


def test_a_save_written_into_the_file_in_place_during_the_swap_is_kept(tmp_path, capsys, monkeypatch):
    p, before = _fixable(tmp_path)
    newer = before.replace(b"Save 1", b"Save 9")
    real = nbio._exchange
    calls = []

    def write_in_place_then_exchange(a, b):
        if not calls:  # an editor that had the file open writes into it in place
            with open(b, "r+b") as fh:
                fh.write(newer)
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(nbio, "_exchange", write_in_place_then_exchange)
    rc, _out, err = nbkit_cli(capsys, "pin", str(p))
    assert rc == 2 and CHANGED in err, err
    assert p.read_bytes() == newer


def test_without_renameat2_the_compare_still_refuses_a_save_made_while_nbkit_worked(tmp_path, capsys,
                                                                                    monkeypatch):
    import nbkit.jsonedit as jsonedit

    p, before = _fixable(tmp_path)
    newer = before.replace(b"Save 1", b"Save 2")
    monkeypatch.setattr(nbio, "_exchange", lambda a, b: False)  # e.g. a file system without it
    real = jsonedit.updated_document

    def compute_while_someone_saves(raw, data):
        p.write_bytes(newer)
        return real(raw, data)

    monkeypatch.setattr(jsonedit, "updated_document", compute_while_someone_saves)
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p))
    assert rc == 2 and CHANGED in err
    assert p.read_bytes() == newer
    monkeypatch.setattr(jsonedit, "updated_document", real)
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p))
    assert rc == 0, err
    assert b"Some text\\n" in p.read_bytes() and b"Save 2" in p.read_bytes()


def test_verify_update_refuses_when_the_file_changed_while_it_ran(tmp_path, capsys, monkeypatch):
    import nbkit.verify.writeback as writeback

    p = write(tmp_path / "stamped_notebook.ipynb", nb(md("# T")))
    real = writeback.read_snapshot

    def read_after_a_save(path):
        snap = real(path)
        Path(path).write_text(Path(path).read_text().replace("# T", "# Edited"))
        return snap

    monkeypatch.setattr(writeback, "read_snapshot", read_after_a_save)
    rc, out, _err = nbkit_cli(capsys, "verify", "--stamp", "--format", "json", str(p))
    assert "# Edited" in p.read_text() and "verified" not in p.read_text()
    assert CHANGED in json.loads(out)["notebooks"][0]["message"]


# -- symlinks and modes ---------------------------------------------------------------------------

def _linked(tmp_path: Path, notebook: dict, mode: int = 0o640) -> tuple[Path, Path]:
    real_dir = tmp_path / "real"
    target = write(real_dir / "the_target_notebook.ipynb", notebook)
    target.chmod(mode)
    link = tmp_path / "link_to_notebook.ipynb"
    link.symlink_to(target)
    return link, target


def _assert_written_through(link: Path, target: Path, before: bytes, mode: int = 0o640) -> None:
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != before
    assert stat.S_IMODE(target.stat().st_mode) == mode
    leftovers = [p.name for d in (link.parent, target.parent) for p in d.iterdir() if "nbkit-tmp" in p.name]
    assert not leftovers


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_each_writer_writes_through_a_symlink_and_keeps_it_and_the_mode(tmp_path, capsys, writer):
    link, target = _linked(tmp_path, saved_notebook(1))
    before = target.read_bytes()
    rc, _out, err = nbkit_cli(capsys, *WRITERS[writer], str(link))
    assert rc in (0, 1), err
    _assert_written_through(link, target, before)
    if writer == "lint --fix":
        assert b"Some text\\n" in target.read_bytes()
    else:
        assert "nbkit" in json.loads(target.read_text())["metadata"]


def test_nbkit_pin_magic_writes_through_a_symlink(tmp_path):
    link, target = _linked(tmp_path, saved_notebook(1))
    before = target.read_bytes()
    script = ("ip = get_ipython(); ip.run_line_magic('load_ext', 'nbkit'); "
              f"ip.run_line_magic('nbkit', 'pin {link}')")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "-m", "IPython", "--quick", "--no-banner", "-c", script],
                       capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert f"pinned {link.name}" in r.stdout, r.stdout + r.stderr
    _assert_written_through(link, target, before)
    assert "environment" in json.loads(target.read_text())["metadata"]["nbkit"]


def test_a_link_retargeted_while_nbkit_worked_is_refused(tmp_path):
    from nbkit.nbio import ChangedOnDiskError, read_snapshot, replace_if_unchanged

    link, target = _linked(tmp_path, saved_notebook(1))
    snap = read_snapshot(link)
    other = write(tmp_path / "real" / "another_notebook.ipynb", saved_notebook(2))
    link.unlink()
    link.symlink_to(other)
    with pytest.raises(ChangedOnDiskError):
        replace_if_unchanged(link, snap, b"{}")
    assert save_number(other.read_bytes()) == 2 and save_number(target.read_bytes()) == 1


# -- item 4: lint --fix touches only the bytes it claims to -----------------------------------------

def _styled_notebook_text() -> str:
    """CRLF line ends, 2-space indent, keys in no sorted order, escapes and number spellings
    json.dumps would not write, and three things --fix changes."""
    lines = [
        '{',
        '  "nbformat": 4,',
        '  "nbformat_minor": 5,',
        '  "metadata": {"z_last": 1e-05, "a_first": "caf\\u00e9 \\/ ok", "kernelspec": {"name": "python3",'
        ' "language": "python", "display_name": "Python 3"}},',
        '  "cells": [',
        '    {',
        '      "source": ["# A title\\n", "\\n", "Text with a tab\\t\\n", "end"],',
        '      "metadata": {},',
        '      "id": "first",',
        '      "cell_type": "markdown"',
        '    },',
        '    {',
        '      "source": [],',
        '      "outputs": [],',
        '      "metadata": {},',
        '      "id": "empty",',
        '      "execution_count": null,',
        '      "cell_type": "code"',
        '    },',
        '    {',
        '      "source": ["x = 1.50"],',
        '      "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},',
        '                   "data": {"text/plain": ["1.5"]}}],',
        '      "metadata": {"tags": []},',
        '      "id": "second",',
        '      "execution_count": 1,',
        '      "cell_type": "code"',
        '    }',
        '  ]',
        '}',
    ]
    return "\r\n".join(lines) + "\r\n"


def test_lint_fix_keeps_crlf_bom_key_order_indentation_and_every_unchanged_byte(tmp_path, capsys):
    text = _styled_notebook_text()
    p = tmp_path / "styled_notebook.ipynb"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015,NBH006,NBL003", str(p))
    assert "fixed:" in _out and rc in (0, 1), err
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    new = raw[3:].decode()
    assert "\n" not in new.replace("\r\n", "")  # every line end still CRLF
    # what --fix did not claim: kept byte for byte
    for kept in text.split("\r\n")[:5] + ['      "source": ["x = 1.50"],', '      "id": "second",']:
        assert kept in new, kept
    assert text.split('"cells": [')[0] == new.split('"cells": [')[0]
    data = json.loads(new)
    assert [c.get("id") for c in data["cells"] if c.get("id") in ("first", "empty", "second")] == \
        ["first", "second"]  # the empty cell is gone
    assert data["cells"][0]["source"][2] == "Text with a tab\n"
    assert any("Questions" in "".join(c["source"]) for c in data["cells"])  # the section inserted
    assert list(data["cells"][0]) == ["source", "metadata", "id", "cell_type"]  # key order kept
    at = new.index('"## Questions')
    assert new[new.rfind("\r\n", 0, at) + 2:at].startswith("      ")  # indented like its neighbours


def test_lint_fix_refuses_a_read_only_file_even_as_root(tmp_path, capsys):
    p, before = _fixable(tmp_path)
    p.chmod(0o444)
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p))
    assert rc == 2 and f"{p}: file is read-only; nothing was written" in err
    assert p.read_bytes() == before


def test_lint_fix_refuses_nbformat_3_and_says_how_to_upgrade(tmp_path, capsys):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "Some text\t\nmore", "metadata": {}}], "metadata": {}}]}
    p = tmp_path / "old_format_notebook.ipynb"
    p.write_text(json.dumps(v3))
    before = p.read_bytes()
    rc, _out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p))
    assert rc == 2
    assert "nbformat 3" in err and "jupyter nbconvert --to notebook --nbformat 4" in err and str(p) in err
    assert p.read_bytes() == before


def test_lint_fix_never_writes_then_reports_an_internal_error_on_a_lone_surrogate(tmp_path, capsys):
    p = tmp_path / "surrogate_notebook.ipynb"
    p.write_text(json.dumps(nb(md("# T\n\nText\t\n"), code("s = '\ud800'"))))
    before = p.read_bytes()
    good, good_before = _fixable(tmp_path)
    rc, out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBH015", str(p), str(good))
    assert rc == 2 and "internal error" not in err and "Traceback" not in err
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        f"nbkit: error: {p}: cell 1 (id cell1) contains a lone surrogate (\\ud800 in its source), which is not "
        "Unicode text: it cannot be reported, written or sent to a kernel; replace it with the character meant"]
    assert p.read_bytes() == before
    assert good.read_bytes() != good_before and f"fixed: {good}" in out  # the other one was fixed
