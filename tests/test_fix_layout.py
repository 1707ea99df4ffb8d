"""`nbkit lint --fix` for the layout rules, end to end: files on disk, the real CLI.

The fixers of NBL001 (no title at all), NBL002 (summary), NBL003 (questions) and NBL004
(findings) insert a markdown cell with the section heading and a one-line italic hint where
the section belongs, and change nothing else.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nbbuild import code, md, nb, write
from nbkit.cli import main as cli
from nbkit.layout import DEFAULT_HEADINGS, SECTION_HINTS, analyse
from nbkit.model import load


def _run(*args):
    result = CliRunner().invoke(cli, ["lint", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _sources(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    return data, ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in data["cells"]]


@pytest.fixture
def bare(tmp_path):
    """Title and code, but no summary, questions or findings."""
    path = tmp_path / "churn_drivers_q3.ipynb"
    write(path, nb(
        md("# Churn drivers"),
        md("## Setup"),
        code("import os", count=1),
        md("## Data\nsales.csv"),
        code("x = 1", count=2),
        md("## Churn by plan\nWe compare plans."),
        code("y = x + 1", count=3),
        md("## Appendix"),
        code("details = 1", count=4),
    ))
    return path


def test_fix_inserts_summary_questions_and_findings_where_they_belong(bare):
    before, _ = _sources(bare)
    res = _run("--fix", "--select", "NBL002,NBL003,NBL004", str(bare))
    data, srcs = _sources(bare)
    assert len(data["cells"]) == len(before["cells"]) + 3
    # summary and questions right under the title, in order; findings after the last analysis
    # code and before the appendix
    assert srcs[1] == DEFAULT_HEADINGS["summary"] + "\n\n" + SECTION_HINTS["summary"]
    assert srcs[2] == DEFAULT_HEADINGS["questions"] + "\n\n" + SECTION_HINTS["questions"]
    assert srcs[9].startswith(DEFAULT_HEADINGS["findings"] + "\n\n_")
    assert srcs[10] == "## Appendix"
    # the original cells are untouched, in order
    original = [c for i, c in enumerate(data["cells"]) if i not in (1, 2, 9)]
    assert original == before["cells"]
    new = [data["cells"][i] for i in (1, 2, 9)]
    for cell in new:
        assert cell["cell_type"] == "markdown" and cell["metadata"] == {}
        assert len(cell["id"]) == 8 and cell["id"] not in {c["id"] for c in before["cells"]}
        assert isinstance(cell["source"], str)  # like the file's other cells
    # the sections are now detected; what remains is "write the text", not "add the section"
    lay = analyse(load(bare))
    assert lay.present("summary") and lay.present("questions") and lay.present("findings")
    assert [c["present"] for c in lay.checklist() if c["required"]] == [True] * 7
    res = _run("--format", "json", "--select", "NBL002,NBL003,NBL004", str(bare))
    messages = [f["message"] for f in json.loads(res.output)["findings"]]
    assert len(messages) == 3 and all("empty" in m for m in messages), messages


def test_fix_is_idempotent_and_keeps_json_style(bare):
    _run("--fix", "--select", "NBL002,NBL003,NBL004", str(bare))
    once = bare.read_bytes()
    assert once.startswith(b'{\n "cells": [')  # the file's indent=1, sorted-keys style is kept
    _run("--fix", "--select", "NBL002,NBL003,NBL004", str(bare))
    assert bare.read_bytes() == once


def test_fix_title_only_when_there_is_no_h1(tmp_path):
    path = tmp_path / "churn_drivers_q3.ipynb"
    write(path, nb(code("import os", count=1), md("## Questions\n- why?")))
    res = _run("--fix", "--select", "NBL001", str(path))
    assert res.exit_code == 0, res.output
    data, srcs = _sources(path)
    assert srcs[0] == "# Churn drivers q3\n\n" + SECTION_HINTS["title"]
    assert analyse(load(path)).title == 0

    # an H1 exists but is not first: inserting a title would make a second H1, so no fix
    other = tmp_path / "another_notebook.ipynb"
    write(other, nb(code("import os", count=1), md("# Real title")))
    before = other.read_bytes()
    res = _run("--fix", "--select", "NBL001", str(other))
    assert res.exit_code == 1 and "first cell is code" in res.output
    assert other.read_bytes() == before


def test_fix_after_raw_front_matter_and_old_nbformat_without_ids(tmp_path):
    path = tmp_path / "old_format_notebook.ipynb"
    notebook = nb(md("no heading here"), code("x = 1", count=1), ids=False)
    notebook["cells"].insert(0, {"cell_type": "raw", "metadata": {}, "source": "---\nauthor: A\n---"})
    notebook["nbformat_minor"] = 4
    write(path, notebook)
    _run("--fix", "--select", "NBL001,NBL002", str(path))
    data, srcs = _sources(path)
    assert srcs[0].startswith("---")  # front matter stays first
    assert srcs[1].startswith("# Old format notebook\n")
    assert srcs[2] == "no heading here"  # prose under the title stays with it
    assert srcs[3].startswith("## Executive summary\n")
    assert all("id" not in c for c in data["cells"])  # nbformat 4.4 has no cell ids
    assert isinstance(data["cells"][1]["source"], str)  # like the other cells
    lay = analyse(load(path))
    assert lay.title == 1 and lay.first["summary"].cell_index == 3


def test_fix_with_configured_aliases(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nbkit.layout]\nsummary = ["At a glance"]\n', encoding="utf-8")
    path = tmp_path / "aliases_notebook.ipynb"
    write(path, nb(md("# T"), md("## At a glance\n- one\n- two"), code("x = 1", count=1)))
    before = path.read_bytes()
    res = _run("--fix", "--select", "NBL002", str(path))
    assert res.exit_code == 0, res.output
    assert path.read_bytes() == before  # the alias is the summary: nothing to insert


def test_fixed_template_sections_land_in_standard_order(tmp_path):
    """Strip the summary, questions and findings from `nbkit new`; --fix puts them back in place."""
    from nbkit.template import new_notebook

    data = new_notebook("Churn drivers")
    keep = [c for c in data["cells"] if not "".join(c["source"]).startswith(("## Executive", "## Questions",
                                                                              "## Findings"))]
    data["cells"] = keep
    path = tmp_path / "template_without_sections.ipynb"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    _run("--fix", str(path))
    data, srcs = _sources(path)
    heads = [s.splitlines()[0] for c, s in zip(data["cells"], srcs, strict=True) if c["cell_type"] == "markdown"]
    assert heads == ["# Churn drivers", "## Executive summary", "## Questions", "## Setup", "## Data",
                     "## Analysis", "## Findings"]
    res = _run("--select", "NBL005,NBL006", str(path))
    assert res.exit_code == 0, res.output


def test_only_hits_the_fixer_handles_are_marked_fixable(tmp_path):
    path = tmp_path / "partly_fixable.ipynb"
    write(path, nb(code("import os", count=1), md("# Late title"), md("## Summary\nshort"),
                   md("## Questions\nnone here"), code("x = 1", count=2)))
    res = _run("--format", "json", "--select", "NBL001,NBL002,NBL003,NBL004", str(path))
    got = {(f["code"], f["fixable"]) for f in json.loads(res.output)["findings"]}
    # title: an H1 exists (not first), summary after code, questions without items: not fixable;
    # the missing findings section: fixable
    assert got == {("NBL001", False), ("NBL002", False), ("NBL003", False), ("NBL004", True)}
    before = path.read_bytes()
    _run("--fix", "--select", "NBL001,NBL002,NBL003", str(path))
    assert path.read_bytes() == before


def _codes(path, *codes):
    res = _run("--format", "json", "--select", ",".join(codes), str(path))
    return [(f["code"], f["cell_index"], f["fixable"]) for f in json.loads(res.output)["findings"]]


def test_a_section_goes_below_deeper_subheadings_so_the_outline_skips_no_level(tmp_path):
    """Issue 11 item 20: '## Executive summary' right above a '####' that opens the notebook would make
    it skip a level (NBL010, a finding the fix added; found by tests/test_fix_property.py once H3 and
    deeper headings joined its pool); the '####' belongs to what comes before, so the summary and
    questions go below it."""
    path = write(tmp_path / "churn_drivers_q3.ipynb", nb(md("#### Cleaning\nDrop test accounts."),
                                                       md("# Churn drivers")))
    assert _codes(path, "NBL010") == []
    _run("--fix", "--select", "NBL002,NBL003", str(path))
    _, srcs = _sources(path)
    assert srcs[0].startswith("#### Cleaning") and srcs[1].startswith("## Executive summary")
    assert srcs[2].startswith("## Questions") and srcs[3] == "# Churn drivers"
    assert _codes(path, "NBL010") == []


def test_a_section_that_would_skip_a_level_is_not_offered(tmp_path):
    """When the deeper heading cannot be passed (its cell also opens the appendix, which comes after
    the findings), the fix is not offered: lint says so, and --fix leaves the notebook alone rather
    than add an NBL010 finding."""
    path = write(tmp_path / "churn_drivers_q3.ipynb", nb(
        md("# Churn drivers"), md("## Churn by plan"), md("### Monthly plans"), code("x = 1", count=1),
        md("#### How monthly is counted\nBy invoice.\n## Appendix\nSources.")))
    assert _codes(path, "NBL004") == [("NBL004", None, False)]
    before = path.read_bytes()
    _run("--fix", "--select", "NBL004", str(path))
    assert path.read_bytes() == before and _codes(path, "NBL010") == []


def test_a_section_goes_after_prose_that_ends_the_section_before(tmp_path):
    """A markdown cell that starts with prose and then opens a heading: the prose ends the section
    before it, so an inserted section goes after that cell, not above it (where it would take the
    prose in: an NBD006 finding on text that is no finding)."""
    path = write(tmp_path / "churn_drivers_q3.ipynb", nb(
        md("# Churn drivers"), md("## Churn by plan"), code("x = 1", count=1),
        md("Some text\n## Notes"), md("More text\n## More notes")))
    _run("--fix", "--select", "NBL004", str(path))
    _, srcs = _sources(path)
    assert srcs[-1].startswith("## Findings"), srcs
    assert _codes(path, "NBD006") == []
