"""parse_manifest_cached in a long-lived process: a manifest rewritten with its old size and
modification time (``touch -r``, a copy keeping times, or a rewrite in the same clock tick) is
parsed again, never answered from the old parse."""

from __future__ import annotations

import os

from nbkit import manifests, statsig
from nbkit.manifests import parse_manifest_cached


def test_rewritten_manifest_with_the_old_stat_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(statsig, "RACY_NS", 0)  # every stat trusted at once: only the key is tested
    req = tmp_path / "requirements.txt"
    req.write_text("pandas==2.2.0\n")
    old = os.stat(req)
    assert parse_manifest_cached(str(req)).names == {"pandas"}
    req.write_text("numpy==2.2.00\n")  # same size, same inode
    os.utime(req, ns=(old.st_atime_ns, old.st_mtime_ns))
    now = os.stat(req)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (old.st_ino, old.st_size, old.st_mtime_ns)
    assert parse_manifest_cached(str(req)).names == {"numpy"}


def test_a_recently_changed_manifest_is_not_trusted_by_its_stat(tmp_path, monkeypatch):
    """git's "racily clean" rule: a file changed in the two seconds before it was parsed may
    change again without its stat showing it, so it is parsed again until it has settled."""
    req = tmp_path / "requirements.txt"
    req.write_text("pandas==2.2.0\n")
    calls = []
    real = manifests.parse_manifest
    monkeypatch.setattr(manifests, "parse_manifest", lambda p: calls.append(p) or real(p))
    parse_manifest_cached(str(req))
    parse_manifest_cached(str(req))
    assert len(calls) == 2  # fresh: the stat does not stand for the bytes yet
    monkeypatch.setattr(statsig, "RACY_NS", 0)  # as if two seconds had gone by
    parse_manifest_cached(str(req))
    parse_manifest_cached(str(req))
    parse_manifest_cached(str(req))
    assert len(calls) == 3  # settled: parsed once more, then trusted by its stat
