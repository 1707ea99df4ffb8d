"""load_cached and find_pyproject in a long-lived process: never a configuration older than the file.

A pyproject.toml rewritten in the same clock tick as the read before (on a file system with
coarse timestamps), or restored with its old modification time (``touch -r``, a checkout or a
copy keeping times), has the stat of the old file: only its bytes tell them apart.
"""

from __future__ import annotations

import os

from nbkit.config import clear_cache, find_pyproject, load_cached


def _rewrite_keeping_stat(path, text: str) -> None:
    """Rewrite ``path`` in place (same inode) with ``text`` of the same size, then give it its
    old access and modification times back."""
    st = os.stat(path)
    assert len(text.encode()) == st.st_size
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)


def test_rewritten_config_with_the_old_mtime_is_read_again(tmp_path):
    clear_cache()
    pp = tmp_path / "pyproject.toml"
    pp.write_text('[tool.nbkit.lint]\nignore = ["NBD005"]\n', encoding="utf-8")
    nb = tmp_path / "analysis.ipynb"
    assert load_cached(nb).ignore == ["NBD005"]
    _rewrite_keeping_stat(pp, '[tool.nbkit.lint]\nignore = ["NBD004"]\n')
    assert load_cached(nb).ignore == ["NBD004"]
    _rewrite_keeping_stat(pp, '[tool.nbkit.lint]\nignore = ["NBD005"]\n')
    assert load_cached(nb).ignore == ["NBD005"]


def test_a_table_added_with_the_old_mtime_is_found(tmp_path):
    clear_cache()
    pp = tmp_path / "pyproject.toml"
    pp.write_text('[tool.other]\nx = 1\n', encoding="utf-8")
    assert find_pyproject(tmp_path) is None
    _rewrite_keeping_stat(pp, '[tool.nbkit]\nx = 1\n')
    assert find_pyproject(tmp_path) == pp
    _rewrite_keeping_stat(pp, '[tool.other]\nx = 1\n')
    assert find_pyproject(tmp_path) is None
    assert load_cached(tmp_path).root is None  # no configuration: the defaults


def test_unchanged_bytes_give_the_same_object(tmp_path):
    """The server compares configurations by identity: an untouched file keeps its object, and
    one touched (new mtime, same bytes) does too."""
    clear_cache()
    pp = tmp_path / "pyproject.toml"
    pp.write_text('[tool.nbkit]\nprofile = "exploratory"\n', encoding="utf-8")
    first = load_cached(tmp_path)
    assert first.profile == "exploratory"
    os.utime(pp, ns=(0, 10**18))
    assert load_cached(tmp_path) is first
    pp.write_text('[tool.nbkit]\nprofile = "report"\n', encoding="utf-8")
    assert load_cached(tmp_path) is not first and load_cached(tmp_path).profile == "report"
