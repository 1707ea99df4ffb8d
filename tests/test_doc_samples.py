"""Issue 11 item 23: every sample of nbkit's output in the docs comes from a real run.

scripts/make_doc_samples.py runs the commands each sample shows (real notebooks in a temporary
folder, real kernels) and writes their output between ``<!-- sample: NAME -->`` markers; this test
runs it again and fails, naming the doc file and the sample, when the committed text is stale."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _generator():
    spec = importlib.util.spec_from_file_location("make_doc_samples", ROOT / "scripts" / "make_doc_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_doc_sample_is_what_nbkit_prints_now():
    gen = _generator()
    fresh = gen.generate()
    assert len(fresh) >= 20
    problems = gen.stale(fresh)
    assert problems == [], "\n".join([*problems, f"refresh the samples with `{gen.REFRESH}` and commit the docs"])


def test_sample_markers_are_paired_and_unique():
    gen = _generator()
    found = gen.committed()  # raises on a sample marked twice
    assert {"verify-two-notebooks", "pytest-verify-failure"} <= set(found)
    for doc in gen.DOC_FILES:
        text = doc.read_text(encoding="utf-8")
        opened = re.findall(r"^<!-- sample: ([\w-]+) -->$", text, re.M)
        assert len(opened) == len(re.findall(r"^<!-- /sample -->$", text, re.M)), doc.name
        assert len(opened) == sum(1 for _doc, _ in found.values() if _doc == doc), doc.name  # each one well-formed
        for name, (where, body) in found.items():
            if where == doc:
                assert body.startswith("```") and body.endswith("```\n"), f"{doc.name}: sample {name!r}"


def test_the_verify_and_pytest_pages_show_no_output_nbkit_no_longer_prints():
    for page in ("verify.md", "pytest.md"):
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for gone in ("--- expected", "+++ actual", "stdout differs"):
            assert gone not in text, f"docs/{page}: {gone!r}"


def test_what_varies_between_runs_is_masked_and_nothing_else():
    gen = _generator()
    a = ("notebooks/x.ipynb  reproducible  (2.1 s)\npinned x: Python 3.11.7 (CPython, linux-x86_64), 2 packages: "
         "numpy 2.4.6, pandas 3.1.1; seed 42\n  drift: pandas pinned 2.1.4, installed 3.1.1\n"
         "  \"mtime\": \"2026-12-01T12:06:26.483311Z\"\n=== 1 passed in 1.52s ===\nmean demand: 110.29")
    b = ("notebooks/x.ipynb  reproducible  (0.6 s)\npinned x: Python 3.12.1 (CPython, darwin-arm64), 2 packages: "
         "numpy 2.5.0, pandas 3.2.0; seed 42\n  drift: pandas pinned 2.1.4, installed 3.2.0\n"
         "  \"mtime\": \"2027-01-02T08:00:00.1Z\"\n=== 1 passed in 9.10s ====\nmean demand: 110.29")
    assert gen.masked(a) == gen.masked(b)
    assert gen.masked(a) != gen.masked(a.replace("110.29", "106.12"))  # a changed value is not masked
    assert gen.masked(a) != gen.masked(a.replace("seed 42", "seed 7"))
    assert gen.masked(a) != gen.masked(a.replace("pinned 2.1.4", "pinned 2.0.0"))  # the pinned side is data


def test_a_stale_sample_is_named_with_its_doc_and_a_missing_one_too():
    """stale() on the committed samples with one changed, one unmade and one extra (no run needed)."""
    gen = _generator()
    fresh = {name: body for name, (_doc, body) in gen.committed().items()}
    assert gen.stale(fresh) == []
    fresh["verify-two-notebooks"] = fresh["verify-two-notebooks"].replace("reproducible", "mismatch", 1)
    fresh["pin-data-json-extra"] = "```json\n{}\n```\n"
    del fresh["lint-policy"]
    problems = gen.stale(fresh)
    assert any(p.startswith("docs/verify.md: sample 'verify-two-notebooks' is stale") for p in problems), problems
    assert any(p.startswith("docs/policy.md: sample 'lint-policy': no scenario") for p in problems), problems
    assert any("'pin-data-json-extra' is made but no doc shows it" in p for p in problems), problems
    assert len(problems) == 3
