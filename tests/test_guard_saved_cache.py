"""The guard's saved notebook (cell positions) in the kernel: a notebook rewritten with its old
size and modification time (``touch -r``, a copy keeping times) is read again."""

from __future__ import annotations

import os

import nbformat

from nbkit.guard.saved import SavedNotebookCache


def _write(path, ids: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"x_{i} = 1", id=i) for i in ids]
    nbformat.write(nb, str(path))


def test_a_reordered_notebook_with_the_old_mtime_is_read_again(tmp_path):
    path = tmp_path / "analysis.ipynb"
    _write(path, ["aaaa", "bbbb"])
    before = os.stat(path)
    cache = SavedNotebookCache()
    assert cache.get(str(path)).positions == {"aaaa": 0, "bbbb": 1}
    _write(path, ["bbbb", "aaaa"])  # same size, in place
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    now = os.stat(path)
    assert (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert cache.get(str(path)).positions == {"bbbb": 0, "aaaa": 1}
