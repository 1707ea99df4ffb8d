"""The lint core's fast paths say what the slower code they stand in front of says.

Each speed-up in the core (issue 14) skips work when a cheap test shows it cannot matter; these
tests pin that the cheap test and the full one agree, including on the inputs where a careless
shortcut would differ (Unicode whitespace, the Kelvin sign, indented headings...)."""

from __future__ import annotations

import random
import threading

import pytest

from nbkit import cooperate
from nbkit.errors import NotebookError
from nbkit.ipysyntax import _CANDIDATE, parse_cell, transform_and_parse
from nbkit.model import Cell, markdown_headings, parse_notebook
from nbkit.suppression import _MENTION, _mentions_nbkit, cell_suppressions


@pytest.mark.parametrize("data", [b"", b"   ", b"\t\r\n\x0b\x0c", "\u2028 \u3000".encode(), b"\xef\xbb\xbf \n",
                                  b"\xc2\x85"])
def test_blank_files_are_empty_files(data):
    with pytest.raises(NotebookError, match="empty file"):
        parse_notebook(data, "blank.ipynb")
    if data.strip():  # Unicode whitespace: the bytes are not blank, the text is
        assert data.decode("utf-8-sig").strip() == ""


def test_blank_text_is_an_empty_file():
    with pytest.raises(NotebookError, match="empty file"):
        parse_notebook("\u3000\n", "blank.ipynb")
    with pytest.raises(NotebookError, match="not valid JSON"):
        parse_notebook(b"\x01", "control.ipynb")  # not whitespace: read as (bad) JSON


def test_mention_test_agrees_with_the_pattern():
    rng = random.Random(7)
    samples = ["", "nbkit", "NBKIT", "# NbKiT: ignore[NBR004]", "nb\u212ait", "nbk\u0130t", "\u00e9 nbkit",
               "x = 1  # nbkit:ignore", "nbki t"]
    samples += ["".join(rng.choice("nbkitNBKIT #:\u212a\u00e9") for _ in range(rng.randint(0, 9)))
                for _ in range(5000)]
    for text in samples:
        assert _mentions_nbkit(text) == (_MENTION.search(text) is not None), text
    assert _mentions_nbkit("nb\u212ait")  # the Kelvin sign matches k regardless of case
    cell = Cell(0, "code", "x = 1  # NBKIT: ignore[NBR004]\n")
    assert cell_suppressions(cell)[1] == {1: {"NBR004"}}


def test_candidate_precheck_agrees_with_the_pattern():
    rng = random.Random(3)
    for _ in range(5000):
        src = "".join(rng.choice(["x", " ", "=", "\n", "%", "!", "?", "a.b", "[0]", "\t", "ls"])
                      for _ in range(rng.randint(0, 12)))
        if _CANDIDATE.search(src):
            assert "%" in src or "!" in src or "?" in src
    assert transform_and_parse("x = 1\nprint(x != 2)\n") == ("x = 1\nprint(x != 2)\n", None)
    assert "run_line_magic('time'" in parse_cell("%time f()").python_source
    assert parse_cell("files = !ls").tree is not None


@pytest.mark.parametrize("source, expected", [
    ("# Title\ntext", [(1, "Title", 1)]),
    ("   ## Indented three\n", [(2, "Indented three", 1)]),
    ("    # code block, not a heading\n", []),
    ("Setext\n===\nSub\n---\n", [(1, "Setext", 1), (2, "Sub", 3)]),
    ("- item\n---\n", []),
    ("```\n# not a heading\n```\n# after\n", [(1, "after", 4)]),
    ("~~~~\n```\n# inside\n~~~~\n", []),
    ("<h2 class='x'>Html</h2> and <h3>two</h3>", [(2, "Html", 1), (3, "two", 1)]),
    ("text\n  ==  \n", [(1, "text", 1)]),
    ("#\t tab #\n", [(1, "tab", 1)]),
])
def test_markdown_headings(source, expected):
    assert [(h.level, h.text, h.line) for h in markdown_headings(source, 0)] == expected


def test_cell_kind_attributes():
    assert Cell(0, "code", "").is_code and not Cell(0, "code", "").is_markdown
    assert Cell(1, "markdown", "").is_markdown and not Cell(1, "markdown", "").is_code
    assert not Cell(2, "raw", "").is_code
    assert Cell(0, "code", "x") == Cell(0, "code", "x") and "is_code" not in repr(Cell(0, "code", "x"))


def test_checkpoint_in_a_thread_that_never_gave_way():
    calls: list[str] = []
    seen: list[object] = []

    def other() -> None:
        seen.append(cooperate._local.fn)
        cooperate.checkpoint()  # nothing installed in this thread: a no-op

    with cooperate.giving_way(lambda: calls.append("paused")):
        cooperate.checkpoint()
        t = threading.Thread(target=other)
        t.start()
        t.join()
    cooperate.checkpoint()
    assert calls == ["paused"] and seen == [None]
