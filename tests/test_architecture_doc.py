"""docs/architecture.md stays true: every module, object and file it names exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"

# nbkit.verify.plan, nbkit.requests.LintRequest (not metadata.nbkit.x or [tool.nbkit.x])
DOTTED = re.compile(r"(?<![\w.\[/-])nbkit(?:\.[A-Za-z_]\w*)+")
# nbkit/verify/plan.py, nbkit/analysis/ (a path stops at a placeholder such as <name>)
PATH = re.compile(r"(?<![\w./-])nbkit/(?:[\w.-]+/)*[\w.-]*")
# other repository files the page names: tests/..., docs/..., labextension/...
OTHER = re.compile(r"(?<![\w./-])(?:tests|docs|labextension)/[\w./-]*[\w/]")


def _text() -> str:
    return PAGE.read_text(encoding="utf-8")


def _resolve(name: str) -> object:
    """The module or object ``name`` names: the longest importable module, then attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(name)


def test_the_page_names_modules_and_files():
    text = _text()
    assert len(set(DOTTED.findall(text))) > 20 and len(set(PATH.findall(text))) > 20


@pytest.mark.parametrize("name", sorted(set(DOTTED.findall(_text()))))
def test_every_dotted_name_exists(name):
    try:
        _resolve(name)
    except (ImportError, AttributeError) as e:
        pytest.fail(f"docs/architecture.md names {name}, which does not exist ({e})")


@pytest.mark.parametrize("path", sorted(set(PATH.findall(_text())) | set(OTHER.findall(_text()))))
def test_every_path_exists(path):
    target = ROOT / path
    assert target.exists(), f"docs/architecture.md names {path}, which does not exist"
    if path.endswith("/"):
        assert target.is_dir(), f"docs/architecture.md names {path} as a folder; it is a file"


def test_the_page_is_linked_from_the_readme_and_the_docs_index():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert re.search(r"^architecture$", index, re.MULTILINE)
