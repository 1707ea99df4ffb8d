"""Data pins (``metadata.nbkit.data``): ``nbkit pin`` records the local input files a notebook
reads, ``nbkit pin --check`` reports changed / missing / new ones, and ``nbkit verify`` names a
changed input as the cause of a mismatch.  Real files, the real CLI, real kernels."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clihelp import nbkit_cli
from nbbuild import code, md, nb, stream, write

REPO = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path) -> Path:
    """A project root (a .git folder) with a notebook folder and a data folder."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "nb").mkdir()
    return root


def _data(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["metadata"]["nbkit"].get("data")


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# -- nbkit pin ---------------------------------------------------------------------------------------

def test_pin_records_inputs_relative_to_the_notebook(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "data" / "sales.csv").write_bytes(b"region,total\nnorth,41\n")
    (root / "nb" / "params.json").write_bytes(b'{"alpha": 0.5}\n')
    (root / "nb" / "lookup.parquet").write_bytes(b"PAR1 not really")
    p = write(root / "nb" / "report.ipynb", nb(
        md("# Report"),
        code("import json\nfrom pathlib import Path\nimport pandas as pd\nDATA = Path('../data')", count=1),
        code("sales = pd.read_csv(DATA / 'sales.csv')\nparams = json.load(open('params.json'))", count=2),
        code("lookup = pd.read_parquet('./lookup.parquet')\nsales2 = pd.read_csv('../data/sales.csv')", count=3)))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0, err
    assert "data: 3 files" in out
    assert _data(p) == {
        "../data/sales.csv": {"sha256": _sha(b"region,total\nnorth,41\n"), "bytes": 22},
        "lookup.parquet": {"sha256": _sha(b"PAR1 not really"), "bytes": 15},
        "params.json": {"sha256": _sha(b'{"alpha": 0.5}\n'), "bytes": 15},
    }
    # re-pinning unchanged inputs writes nothing
    before = p.read_bytes()
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0 and "already pinned, unchanged" in out and "data: 3 files" in out
    assert p.read_bytes() == before


def test_absolute_outside_root_written_and_missing_inputs_are_not_pinned(tmp_path, capsys):
    root = _project(tmp_path)
    outside = tmp_path / "outside.csv"  # above the project root
    outside.write_text("x\n1\n")
    (root / "nb" / "kept.csv").write_text("k\n1\n")
    (root / "nb" / "made.csv").write_text("m\n1\n")  # written by the notebook itself: an output
    p = write(root / "nb" / "a.ipynb", nb(
        md("# A"),
        code(f"import pandas as pd\nabs_ = pd.read_csv({str(outside)!r})", count=1),
        code("up = pd.read_csv('../../outside.csv')\nkept = pd.read_csv('kept.csv')", count=2),
        code("kept.to_csv('made.csv')\nmade = pd.read_csv('made.csv')", count=3),
        code("gone = pd.read_csv('not_there.csv')", count=4)))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0, err
    assert list(_data(p)) == ["kept.csv"]
    assert "'../../outside.csv' is outside the project root" in err
    assert "'not_there.csv' does not exist; not pinned" in err
    assert str(outside) not in json.dumps(_data(p))


def test_pin_keeps_every_byte_outside_metadata_nbkit(tmp_path, capsys):
    """CRLF, one-space indent, unsorted keys, a raw non-ASCII character and an odd float spelling:
    only the value of ``metadata.nbkit`` may change."""
    root = _project(tmp_path)
    (root / "nb" / "in.csv").write_text("a\n1\n")
    lines = [
        '{',
        ' "nbformat": 4,',
        ' "nbformat_minor": 5,',
        ' "cells": [',
        '  {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1,',
        '   "source": "import pandas as pd\\ndf = pd.read_csv(\'in.csv\')  # café",',
        '   "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},',
        '                "data": {"text/plain": "1e-05"}}]}',
        ' ],',
        ' "metadata": {"zeta": 1.50, "kernelspec": {"name": "python3", "display_name": "Python 3"},',
        '  "nbkit": {}, "alpha": "é"}',
        '}',
    ]
    original = "\r\n".join(lines)
    p = root / "nb" / "odd.ipynb"
    p.write_bytes(original.encode("utf-8"))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0, err
    after = p.read_bytes().decode("utf-8")
    head, tail = original.split('"nbkit": {}')
    assert after.startswith(head + '"nbkit": ') and after.endswith(tail)
    middle = after[len(head + '"nbkit": '):len(after) - len(tail)]
    value = json.loads(middle)
    assert value["data"] == {"in.csv": {"sha256": _sha(b"a\n1\n"), "bytes": 4}}
    assert "environment" in value


def test_large_files_are_pinned_by_size_and_mtime(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.nbkit.pin]\ndata-max-bytes = 16\n")
    big = root / "nb" / "big.bin"
    big.write_bytes(b"x" * 40)
    small = root / "nb" / "small.txt"
    small.write_bytes(b"tiny\n")
    p = write(root / "nb" / "a.ipynb", nb(
        md("# A"), code("import numpy as np\nx = np.fromfile('big.bin')\ns = open('small.txt').read()", count=1)))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0, err
    data = _data(p)
    assert data["small.txt"] == {"sha256": _sha(b"tiny\n"), "bytes": 5}
    assert set(data["big.bin"]) == {"bytes", "mtime"} and data["big.bin"]["bytes"] == 40
    assert data["big.bin"]["mtime"].endswith("Z") and data["big.bin"]["mtime"].startswith(time.strftime("%Y"))
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 0 and "data unchanged (2 files pinned)" in out
    # same size, new mtime: changed (the content is never read for a large file)
    st = big.stat()
    os.utime(big, (st.st_atime, st.st_mtime + 60))
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 1 and "data changed: big.bin (modified " in out


def test_bad_data_max_bytes_is_one_line_naming_the_file(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.nbkit.pin]\ndata-max-bytes = \"1GB\"\n")
    p = write(root / "nb" / "a.ipynb", nb(md("# A"), code("x = 1", count=1)))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2
    assert "pyproject.toml" in err and "data-max-bytes must be a whole number of bytes" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_data_leaves_the_data_pins_alone(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "nb" / "in.csv").write_text("a\n1\n")
    p = write(root / "nb" / "a.ipynb", nb(md("# A"), code("import pandas as pd\ndf = pd.read_csv('in.csv')", count=1)))
    code_, out, err = nbkit_cli(capsys, "pin", "--no-data", p)
    assert code_ == 0 and _data(p) is None and "data:" not in out
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 0 and "no data pins" in out
    code_, out, err = nbkit_cli(capsys, "pin", "--check", "--no-data", p)
    assert code_ == 2 and "--no-data" in err


def test_malformed_data_pins_are_refused_unless_forced(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "nb" / "in.csv").write_text("a\n1\n")
    notebook = nb(md("# A"), code("import pandas as pd\ndf = pd.read_csv('in.csv')", count=1))
    notebook["metadata"]["nbkit"] = {"seed": 3, "data": {"in.csv": "abc"}}
    p = write(root / "nb" / "a.ipynb", notebook)
    before = p.read_bytes()
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 2 and "metadata.nbkit.data['in.csv'] is malformed" in err and p.read_bytes() == before
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 2 and "malformed" in err
    code_, out, err = nbkit_cli(capsys, "pin", "--force", p)
    assert code_ == 0, err
    meta = json.loads(p.read_text())["metadata"]["nbkit"]
    assert meta["seed"] == 3 and meta["data"] == {"in.csv": {"sha256": _sha(b"a\n1\n"), "bytes": 4}}


# -- nbkit pin --check -------------------------------------------------------------------------------

def test_check_names_changed_missing_and_new_inputs(tmp_path, capsys):
    root = _project(tmp_path)
    (root / "data" / "sales.csv").write_text("region,total\nnorth,41\n")
    (root / "nb" / "params.json").write_text("{}\n")
    p = write(root / "nb" / "a.ipynb", nb(
        md("# A"),
        code("import json\nimport pandas as pd\nsales = pd.read_csv('../data/sales.csv')", count=1),
        code("params = json.load(open('params.json'))\nextra = pd.read_csv('extra.csv')", count=2)))
    code_, out, err = nbkit_cli(capsys, "pin", p)
    assert code_ == 0 and sorted(_data(p)) == ["../data/sales.csv", "params.json"]
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 0 and "data unchanged (2 files pinned)" in out
    (root / "data" / "sales.csv").write_text("region,total\nnorth,42\n")  # same size, other bytes
    (root / "nb" / "params.json").unlink()
    (root / "nb" / "extra.csv").write_text("e\n1\n")  # read by the notebook, not there when pinned
    before = p.read_bytes()
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert code_ == 1, (out, err)
    assert "data changed: ../data/sales.csv (sha256 differs)" in out
    assert "data missing: params.json" in out
    assert "data new: extra.csv" in out
    assert p.read_bytes() == before  # --check writes nothing


def test_check_never_opens_a_pinned_path_outside_the_project(tmp_path, capsys):
    root = _project(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("s\n")
    notebook = nb(md("# A"), code("x = 1", count=1))
    notebook["metadata"]["nbkit"] = {"environment": {"python": "3.11.7", "packages": {}},
                                     "data": {str(secret): {"sha256": "0" * 64, "bytes": 2},
                                              "../../secret.txt": {"sha256": "0" * 64, "bytes": 2}}}
    p = write(root / "nb" / "a.ipynb", notebook)
    code_, out, err = nbkit_cli(capsys, "pin", "--check", p)
    assert "data pin refused" in out and "changed" not in out


def test_hash_streams_in_bounded_memory(tmp_path):
    import tracemalloc

    from nbkit.pin.data import sha256_of

    blob = os.urandom(1 << 20) * 12  # 12 MiB
    f = tmp_path / "big.bin"
    f.write_bytes(blob)
    expected = _sha(blob)
    del blob
    tracemalloc.start()
    try:
        digest, size = sha256_of(str(f))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == expected and size == 12 << 20
    assert peak < 3 << 20, peak


# -- nbkit verify: the cause names the changed file -------------------------------------------------

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "nbkit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240)


@pytest.mark.kernel
@pytest.mark.slow
def test_verify_names_a_changed_and_a_missing_pinned_input(tmp_path):
    from nbclient import NotebookClient
    import nbformat

    root = _project(tmp_path)
    (root / "data" / "sales.csv").write_text("region,total\nnorth,41\nsouth,1\n")
    p = write(root / "nb" / "report.ipynb", nb(
        md("# Report"),
        code("import csv\nwith open('../data/sales.csv') as f:\n    rows = list(csv.DictReader(f))", count=None),
        code("total = sum(int(r['total']) for r in rows)", count=None),
        code("print('total', total)", count=None, outputs=[stream("placeholder\n")]),
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}))
    # the stored outputs come from a real run on the old data
    book = nbformat.read(p, as_version=4)
    NotebookClient(book, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(p.parent)}}).execute()
    nbformat.write(book, p)
    assert "total 42" in p.read_text()
    done = _cli("pin", str(p), cwd=root)
    assert done.returncode == 0, done.stderr
    assert list(_data(p)) == ["../data/sales.csv"]
    done = _cli("verify", "--format", "json", str(p), cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr

    (root / "data" / "sales.csv").write_text("region,total\nnorth,41\nsouth,2\n")
    done = _cli("verify", "--format", "json", str(p), cwd=root)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)["notebooks"][0]
    assert report["status"] == "mismatch", report
    cell = next(c for c in report["cells"] if c["status"] == "mismatch")
    assert cell["index"] == 3 and cell["cause"]["kind"] == "data-changed"
    assert "'../data/sales.csv'" in cell["cause"]["summary"]
    assert [c["kind"] for c in report["causes"]] == ["data-changed"]

    (root / "data" / "sales.csv").unlink()
    done = _cli("verify", "--format", "json", str(p), cwd=root)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)["notebooks"][0]
    assert report["status"] == "failed"
    first = next(c for c in report["cells"] if c["status"] == "error")
    assert first["index"] == 1 and first["cause"]["kind"] == "missing-resource"
    assert "../data/sales.csv" in first["cause"]["summary"]
