"""The notebook model: sources as lists or strings, ids, Markdown headings and their normalisation."""

from __future__ import annotations

import json

import pytest
from nbbuild import code, md, nb

from nbkit.analysis import Facts
from nbkit.model import markdown_headings, normalise_heading, parse_notebook


def test_headings_atx_setext_html_and_fences():
    src = "# One\ntext\nTwo\n---\n```\n# not\n```\n<h3>Three</h3>\n## Four ##"
    hs = markdown_headings(src, 0)
    assert [(h.level, h.text, h.line) for h in hs] == [(1, "One", 1), (2, "Two", 3), (3, "Three", 8), (2, "Four", 9)]


@pytest.mark.parametrize("text,key", [
    ("1. Executive Summary:", "executive summary"),
    ("II. Findings", "findings"),
    ("📊 Key takeaways", "key takeaways"),
    ("**TL;DR**", "tl;dr"),
    ("2.1 Data sources", "data sources"),
    ("[Questions](#questions)", "questions"),
])
def test_heading_normalisation(text, key):
    assert normalise_heading(text) == key


def test_model_reads_list_and_string_sources_and_ids():
    nbj = nb(md(["# T\n", "text"]), code("x = 1", count=3))
    model = parse_notebook(json.dumps(nbj).encode(), "a.ipynb")
    assert model.cells[0].source == "# T\ntext"
    assert model.cells[1].execution_count == 3 and model.cells[1].id == "cell1"
    parsed = Facts(model).parsed(model.cells[1])
    assert parsed.tree is not None and parsed.syntax_error is None and model.cells[1].tree is not None
