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


# -- the nesting limit (MAX_DEPTH): _depth gathers each level with C loops ------------------------

def _reference_depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_reference_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_reference_depth, value), default=0)
    return 0


@pytest.mark.parametrize("wrap", ["dict", "list", "mixed_list", "list_of_strings_then_dict"])
def test_nesting_of_exactly_max_depth_is_read_and_one_more_is_refused(wrap):
    from nbkit.errors import NotebookError
    from nbkit.model import MAX_DEPTH

    def nested(levels: int):
        value: object = "leaf"
        for i in range(levels):
            if wrap == "dict":
                value = {"a": value}
            elif wrap == "list":
                value = [value]
            elif wrap == "mixed_list":
                value = [1, "s", None, value, 2.5, True] if i % 2 else {"k": "v", "a": value}
            else:
                value = ["line\n"] * 50 + [value]
        return value

    for levels, ok in ((MAX_DEPTH - 2, True), (MAX_DEPTH - 1, False)):  # the notebook and its metadata: 2 levels
        doc = nb(md("# T"), code("x = 1"), metadata={"deep": nested(levels)})
        assert _reference_depth(doc) == levels + 2
        text = json.dumps(doc)
        if ok:
            assert parse_notebook(text, "n.ipynb").cells[1].source == "x = 1"
        else:
            with pytest.raises(NotebookError, match=f"JSON nested too deeply \\(more than {MAX_DEPTH} levels"):
                parse_notebook(text, "n.ipynb")


def test_depth_equals_a_recursive_count_on_random_documents():
    import random

    from nbkit.model import _depth

    rng = random.Random(14)

    def doc(budget: int):
        r = rng.random()
        if budget <= 0 or r < 0.3:
            return rng.choice(["s", 1, 2.5, None, True, ""])
        n = rng.randrange(0, 5)
        if r < 0.6:
            return [doc(budget - 1) for _ in range(n)]
        if r < 0.7:
            return ["text\n"] * n
        return {f"k{i}": doc(budget - 1) for i in range(n)}

    for _ in range(2000):
        d = doc(rng.randrange(0, 12))
        parsed = json.loads(json.dumps(d))
        assert _depth(parsed) == _reference_depth(parsed), parsed
