"""Writing notebooks back: atomic, in the original JSON style and mode; --fix with nothing to fix
leaves the bytes identical."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clihelp import nbkit_cli
from nbbuild import code, md, nb

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("name", ["regional_sales_report.ipynb", "flawed/absolute_paths.ipynb"])
def test_fix_with_nothing_to_fix_leaves_bytes_identical(tmp_path, capsys, name):
    src = EXAMPLES / name
    target = tmp_path / Path(name).name
    target.write_bytes(src.read_bytes())
    (tmp_path / ".git").mkdir()
    # select only fixable rules that do not apply to this notebook
    rc, out, err = nbkit_cli(capsys, "lint", "--fix", "--select", "NBL001", str(target))
    assert target.read_bytes() == src.read_bytes()


def test_atomic_writer_keeps_style_and_mode(tmp_path):
    from nbkit.nbio import detect_style, dumps, write_notebook

    for indent in (1, 2, 4):
        raw = (json.dumps(nb(md("# T"), code("x = 'é'")), indent=indent, sort_keys=True, ensure_ascii=False)
               + "\n").encode()
        p = tmp_path / f"n{indent}.ipynb"
        p.write_bytes(raw)
        os.chmod(p, 0o640)
        write_notebook(p, json.loads(raw))
        assert p.read_bytes() == raw
        assert oct(p.stat().st_mode & 0o777) == oct(0o640)
        assert detect_style(raw).indent == indent
    assert dumps({"b": 1, "a": 2}).startswith(b'{\n "a"')
    assert not list(tmp_path.glob("*.nbkit-tmp"))


def test_writers_take_the_longest_names_mkstemp_took(tmp_path):
    """A notebook whose name leaves room for mkstemp's temporary name (dot, name, dot, 8
    characters, ".nbkit-tmp": 255 bytes) is still written, by every writer."""
    from nbkit.nbio import atomic_write_bytes, read_snapshot, replace_if_unchanged

    name = "n" * (255 - len("..12345678.nbkit-tmp") - len(".ipynb")) + ".ipynb"
    p = tmp_path / name
    atomic_write_bytes(p, b"{}\n")  # creates
    assert p.read_bytes() == b"{}\n"
    atomic_write_bytes(p, b"{\n}\n")  # replaces
    snap = read_snapshot(p)
    replace_if_unchanged(p, snap, b'{"a": 1}\n')
    assert p.read_bytes() == b'{"a": 1}\n'
    assert [q.name for q in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_temporary_files_are_exclusive_and_private(tmp_path):
    from nbkit import tmpfile

    made = {tmpfile.create(str(tmp_path), ".x.", ".nbkit-tmp") for _ in range(50)}
    for fd, path in made:
        os.close(fd)
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert os.path.basename(path).startswith(".x.") and path.endswith(".nbkit-tmp")
    assert len({path for _fd, path in made}) == 50


def test_discover_keys_named_notebooks_by_their_real_path(tmp_path, monkeypatch):
    """Notebooks given by name are de-duplicated by ``os.path.realpath`` (the folder is resolved
    once per folder: the key must be the same), through symlinked folders, ``..`` after a
    symlinked folder, a symlinked notebook and a relative name."""
    from nbkit.nbio import discover

    real = tmp_path / "real"
    (real / "deep").mkdir(parents=True)
    for name in ("a.ipynb", "b.ipynb"):
        (real / name).write_text(json.dumps(nb(md("# T"))))
    (real / "deep" / "c.ipynb").write_text(json.dumps(nb(md("# T"))))
    (tmp_path / "linkdir").symlink_to(real)
    (tmp_path / "updir").symlink_to(real / "deep")  # updir/.. is real, not tmp_path
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "alias.ipynb").symlink_to(real / "a.ipynb")
    monkeypatch.chdir(real)
    given = [str(real / "a.ipynb"), str(tmp_path / "linkdir" / "a.ipynb"), str(tmp_path / "updir" / ".." / "b.ipynb"),
             str(tmp_path / "other" / "alias.ipynb"), "b.ipynb", "deep/c.ipynb", str(tmp_path / "linkdir/deep/c.ipynb")]
    keys: dict[str, str] = {}
    found, errors = discover(given, [], keys)
    assert not errors
    assert found == [str(real / "a.ipynb"), str(tmp_path / "updir" / ".." / "b.ipynb"), "deep/c.ipynb"]
    assert keys == {p: os.path.realpath(p) for p in found}
