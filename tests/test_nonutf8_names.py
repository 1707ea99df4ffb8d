"""A notebook whose file name is not UTF-8 (``caf\\xe9.ipynb``, a Latin-1 name on a Linux disk):
Python holds such a name with a lone surrogate (``caf\\udce9.ipynb``), which no UTF-8 stream or
file can take.  Lint (with and without its cache, every format, to standard output and to a
file) and pin name it by its escape instead of failing with an internal error (exit 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nbbuild import code, md, nb, write
from nbkit.cli.lintflow import printable

REPO = Path(__file__).resolve().parent.parent
NAME = b"caf\xe9_notes.ipynb"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="non-UTF-8 file names are a POSIX disk's")


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = []\n')
    notebook = nb(md("# Sales\n\nSummary."), code("import numpy as np\nx = np.random.rand(3)\nprint(x)"))
    write(root / "tmp.ipynb", notebook)
    os.rename(os.fsencode(root / "tmp.ipynb"), os.path.join(os.fsencode(root), NAME))
    write(root / "plain_notes.ipynb", notebook)
    return root


def _nbkit(cwd: Path, *args: str, strict: bool = True, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NBKIT_CACHE_DIR", "NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONIOENCODING", None)
    if strict:  # a UTF-8 locale's standard output
        env["PYTHONIOENCODING"] = "utf-8:strict"
    else:  # the C locale's (Python's own choice there: UTF-8, surrogateescape)
        env["LC_ALL"] = "C"
    if cache is not None:
        env["NBKIT_CACHE_DIR"] = str(cache)
    return subprocess.run([sys.executable, "-c", "from nbkit.cli import run; run()", *args], cwd=cwd,
                          capture_output=True, env=env, timeout=180)


def test_printable_escapes_lone_surrogates_only():
    assert printable("plain ascii") == "plain ascii"
    assert printable("é 漢字 🙂") == "é 漢字 🙂"
    name = os.fsdecode(NAME)
    assert printable(f"{name}: x") == "caf\\udce9_notes.ipynb: x"
    # inside a JSON string the escape reads back as the very name (and so as its bytes)
    text = printable(json.dumps({"path": name}, ensure_ascii=False))
    assert os.fsencode(json.loads(text)["path"]) == NAME


@pytest.mark.parametrize("strict", [True, False], ids=["utf8-locale", "c-locale"])
@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_lint_names_a_non_utf8_notebook(tmp_path, fmt, cached, strict):
    """``strict``: standard output refuses a lone surrogate (a UTF-8 locale); else it would write
    the name's raw bytes (the C locale's surrogateescape), which no UTF-8 reader takes either."""
    root = _project(tmp_path)
    cache_args = [] if cached else ["--no-cache"]
    outputs = []
    for _ in range(2 if cached else 1):  # with the cache: filling it, then answered from it
        proc = _nbkit(root, "lint", ".", "--format", fmt, *cache_args, strict=strict, cache=tmp_path / "cache")
        assert proc.returncode == 1, proc.stderr.decode(errors="replace")
        assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr
        proc.stdout.decode("utf-8")  # valid UTF-8
        assert b"caf\\udce9_notes.ipynb" in proc.stdout
        outputs.append(proc.stdout)
        written = _nbkit(root, "lint", ".", "--format", fmt, *cache_args, "-o", "../report.out", strict=strict,
                         cache=tmp_path / "cache")
        assert written.returncode == 1, written.stderr.decode(errors="replace")
        assert (tmp_path / "report.out").read_bytes() == proc.stdout
    assert len(set(outputs)) == 1  # the cached answer is the uncached one
    if fmt in ("json", "sarif"):
        doc = json.loads(outputs[0])
        found = json.dumps(doc)
        assert "caf\\udce9_notes.ipynb" in found
        if fmt == "json":
            paths = {os.fsencode(f["path"]) for f in doc["findings"]}
            assert NAME in paths and b"plain_notes.ipynb" in paths
    if fmt == "junit":
        ET.fromstring(outputs[0])  # well-formed XML


def test_lint_one_non_utf8_notebook(tmp_path):
    """``nbkit lint NOTEBOOK`` (twice: the second has the lint cache) and ``nbkit lint --no-cache
    NOTEBOOK`` (the single-notebook command lines with paths of their own: the click-free text
    renderer leaves such a name to the full one)."""
    root = _project(tmp_path)
    name = os.fsdecode(NAME)
    answers = []
    for args in (["lint", name], ["lint", name], ["lint", "--no-cache", name]):
        proc = _nbkit(root, *args, cache=tmp_path / "cache")
        assert proc.returncode == 1, proc.stderr.decode(errors="replace")
        assert b"Traceback" not in proc.stderr
        answers.append(proc.stdout)
    assert answers[0] == answers[1] == answers[2]
    assert b"caf\\udce9_notes.ipynb" in answers[0]


def test_pin_names_a_non_utf8_notebook(tmp_path):
    root = _project(tmp_path)
    proc = _nbkit(root, "pin", os.fsdecode(NAME))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"caf\\udce9_notes.ipynb" in proc.stdout
    pinned = json.loads((root / os.fsdecode(NAME)).read_bytes())
    assert "environment" in pinned["metadata"]["nbkit"]
