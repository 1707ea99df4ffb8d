"""End-to-end tests of the hygiene fixers through ``nbkit lint --fix``.

NBH006 deletes empty cells, NBH015 strips trailing whitespace in markdown.  Each test writes a
notebook into tmp_path, runs the real command line, and checks the file: what the fix should
change, and that every other byte of JSON is what it was.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

from nbbuild import code, md, nb, raw, stream


def nbkit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbkit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def write(path: Path, data: dict, indent: int = 1) -> bytes:
    # the way nbformat writes (sorted keys); nbkit's writer keeps indent, key order and final newline
    raw_bytes = (json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    path.write_bytes(raw_bytes)
    return raw_bytes


def lint_json(path: Path, *select: str) -> list[dict]:
    out = nbkit("lint", "--format", "json", "--select", ",".join(select), str(path), cwd=path.parent)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)["findings"]


def test_fix_deletes_empty_cells_and_nothing_else(tmp_path):
    data = nb(
        md(["# Churn drivers\n", "\n", "Why customers leave."]),
        code([], count=None),                                            # empty, list form: deleted
        code(["import pandas as pd\n", "df = pd.read_csv('d.csv')"], count=1,
             outputs=[stream("loaded\n")]),
        md("   \n"),                                                     # blank markdown: deleted
        code("", count=2, outputs=[stream("stale\n")]),                  # blank but has outputs: kept
        code("", tags=["parameters"]),                                   # papermill needs it: kept
        raw(""),                                                         # raw cells are not checked
        code("\n\n", count=None),                                        # trailing blank cell: deleted
    )
    data["metadata"]["custom"] = {"keep": ["me", 1]}
    path = tmp_path / "churn_drivers.ipynb"
    write(path, data, indent=2)
    before = [f["cell_index"] for f in lint_json(path, "NBH006")]
    assert before == [1, 3, 4, 7]

    res = nbkit("lint", "--fix", "--select", "NBH006", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr

    expected = copy.deepcopy(data)
    expected["cells"] = [data["cells"][i] for i in (0, 2, 4, 5, 6)]
    # same JSON style (indent 2, key order, final newline), nothing else touched
    assert path.read_bytes() == (json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    after = lint_json(path, "NBH006")
    assert [(f["cell_index"], "outputs of deleted code" in f["message"]) for f in after] == [(2, True)]


def test_fix_keeps_suppressed_empty_cells(tmp_path):
    data = nb(md("# Title"), code("", tags=["nbkit:ignore[NBH006]"]), code(""), code("x = 1"))
    path = tmp_path / "suppressed_cells.ipynb"
    write(path, data)
    res = nbkit("lint", "--fix", "--select", "NBH006", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert [c["id"] for c in cells] == ["cell0", "cell1", "cell3"]
    assert lint_json(path, "NBH006") == []


def test_fix_strips_trailing_whitespace_keeping_source_form(tmp_path):
    data = nb(
        md(["# Title \n", "Roses are red,  \n", "violets are blue.\t\n", "   \n", "End.  "]),   # list form
        md("Para one.   \n\nPara two.\n\n\n"),                                                # string form
        md("Clean text,  \nwith a hard break.\n"),                                             # untouched
        code("x = 1   \n", count=1),                                                         # code: untouched
        md(["Tail line\n", "  "]),
    )
    path = tmp_path / "whitespace_notebook.ipynb"
    original = write(path, data)
    assert [f["cell_index"] for f in lint_json(path, "NBH015")] == [0, 1, 4]

    res = nbkit("lint", "--fix", "--select", "NBH015", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert fixed["cells"][0]["source"] == ["# Title\n", "Roses are red,  \n", "violets are blue.\n", "\n", "End."]
    assert fixed["cells"][1]["source"] == "Para one.\n\nPara two.\n"
    assert fixed["cells"][4]["source"] == ["Tail line"]
    for i in (2, 3):
        assert fixed["cells"][i] == data["cells"][i]
    expected = copy.deepcopy(data)
    for i in (0, 1, 4):
        expected["cells"][i]["source"] = fixed["cells"][i]["source"]
    assert fixed == expected
    assert path.read_bytes() != original
    assert lint_json(path, "NBH015") == []


def test_both_fixes_in_one_run_and_select_limits_fixes(tmp_path):
    data = nb(md("# Title  "), code(""), md("Text \n"), code("", count=None), code("y = 2", count=1))
    path = tmp_path / "two_fixes_notebook.ipynb"
    write(path, data)

    res = nbkit("lint", "--fix", "--select", "NBH015", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    only_ws = json.loads(path.read_text(encoding="utf-8"))
    assert [c["source"] for c in only_ws["cells"]] == ["# Title", "", "Text\n", "", "y = 2"]

    res = nbkit("lint", "--fix", "--select", "NBH006,NBH015", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    both = json.loads(path.read_text(encoding="utf-8"))
    assert [(c["id"], c["source"]) for c in both["cells"]] == [("cell0", "# Title"), ("cell2", "Text\n"),
                                                               ("cell4", "y = 2")]


def test_fix_with_nothing_to_fix_leaves_bytes_identical(tmp_path):
    data = nb(md("# Title\n\nSome text,  \nwith a hard break."), code("", count=1, outputs=[stream("old\n")]),
              code("x = 1", count=2))
    path = tmp_path / "nothing_to_fix.ipynb"
    original = write(path, data, indent=4)
    before_mtime = path.stat().st_mtime_ns
    res = nbkit("lint", "--fix", "--select", "NBH006,NBH015", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "NBH006" in res.stdout  # the empty cell with outputs is reported, not deleted
    assert path.read_bytes() == original
    assert path.stat().st_mtime_ns == before_mtime
