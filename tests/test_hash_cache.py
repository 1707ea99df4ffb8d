"""HashCache (the server's data-pin hashes): a file changed in the two seconds before it was
hashed is hashed again on the next call (git's "racily clean" rule: a rewrite of the same size
in the same clock tick keeps every time stamp), so a hash never outlives the bytes it is of."""

from __future__ import annotations

import hashlib
import os

from nbkit import statsig
from nbkit.pin import data
from nbkit.pin.data import HashCache


def test_a_file_rewritten_in_the_same_tick_is_hashed_again(tmp_path):
    f = tmp_path / "sales.csv"
    f.write_bytes(b"a,b\n1,2\n")
    st = os.stat(f)
    cache = HashCache()
    assert cache.sha256(str(f))[0] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    # the same size, and every time stamp as it was (what a write in the same tick leaves)
    f.write_bytes(b"a,b\n3,4\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    real_stat = os.stat

    def same_stat(path, *args, **kwargs):
        if os.fspath(path) == str(f):
            return st
        return real_stat(path, *args, **kwargs)

    try:
        os.stat = same_stat
        got = cache.sha256(str(f))[0]
    finally:
        os.stat = real_stat
    assert got == hashlib.sha256(b"a,b\n3,4\n").hexdigest()


def test_a_settled_file_is_hashed_once(tmp_path, monkeypatch):
    f = tmp_path / "sales.csv"
    f.write_bytes(b"a,b\n1,2\n")
    calls = []
    real = data.sha256_of
    monkeypatch.setattr(data, "sha256_of", lambda p: calls.append(p) or real(p))
    monkeypatch.setattr(statsig, "RACY_NS", 0)  # as if two seconds had gone by
    cache = HashCache()
    for _ in range(3):
        cache.sha256(str(f))
    assert len(calls) == 1
