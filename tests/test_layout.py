"""Section detection (nbkit.analysis.layout) and the layout/documentation rules as a whole."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from nbbuild import code, md, nb, raw, write
from nbkit import rules as registry
from nbkit.analysis import Facts
from nbkit.cli import main as cli
from nbkit.config import Config, config_from_table
from nbkit.errors import ConfigError
from nbkit.layout import (
    DEFAULT_ALIASES,
    DEFAULT_HEADINGS,
    REQUIRED,
    SECTIONS,
    analyse,
    insert_section,
    layout_of,
)
from nbkit.lint import lint_paths, lint_source
from nbkit.model import notebook_from_dict
from nbkit.template import new_notebook


def _lay(*cells, aliases=None, **kw):
    return analyse(notebook_from_dict(nb(*cells, **kw)), aliases)


def _kinds(lay):
    return [(s.cell_index, s.kind) for s in lay.sections if s.kind != "other"]


def test_template_has_every_required_section_in_order():
    model = notebook_from_dict(new_notebook("Churn"))
    lay = analyse(model)
    assert lay.missing() == []
    checklist = lay.checklist()
    assert [c["section"] for c in checklist] == list(SECTIONS)
    assert all(c["present"] for c in checklist if c["required"])
    order = [c["cell_index"] for c in checklist if c["present"]]
    assert order == sorted(order)
    json.dumps(checklist)  # the panel/server send it as JSON


@pytest.mark.parametrize("heading,kind", [
    ("## 1. Executive Summary:", "summary"),
    ("## I. Questions", "questions"),
    ("## 🎯 Objectives", "questions"),
    ("Setup\n-----", "setup"),
    ("<h2>Data sources</h2>", "data"),
    ("## **TL;DR**", "summary"),
    ("## Data sources and cleaning", "data"),
    ("## Setup & imports", "setup"),
])
def test_heading_styles_before_code(heading, kind):
    lay = _lay(md("# T"), md(heading), code("x = 1"))
    assert _kinds(lay) == [(1, kind)]


def test_shared_alias_resolves_by_position():
    lay = _lay(md("# T"), md("## Key takeaways"), code("x = 1"), md("## Key Takeaways 🔑"))
    assert _kinds(lay) == [(1, "summary"), (3, "findings")]


def test_prefix_matches_are_guarded_by_position_and_length():
    lay = _lay(md("# T"), code("x = 1"), md("## Overview of sales by region in the north"), code("y = 1"),
               md("## Questions we could not answer"), code("z = 1"), md("## Results of the pilot"))
    kinds = dict(_kinds(lay))
    assert kinds[2] == "analysis"  # a summary prefix after the code is an ordinary heading
    assert kinds[4] == "analysis"  # so is a questions prefix
    assert kinds[6] == "findings"


def test_subsections_of_known_sections_are_not_sections():
    lay = _lay(md("# T"), md("## Data"), md("### Summary of the columns"), code("x = 1"),
               md("## Churn by plan"), code("y = 1"), md("### Results"), code("z = 1"), md("## Findings\n- a"))
    assert _kinds(lay) == [(1, "data"), (4, "analysis"), (8, "findings")]
    nested = [s for s in lay.sections if s.nested]
    assert [s.text for s in nested] == ["Summary of the columns", "Results"]


def test_exact_aliases_under_an_unknown_heading():
    lay = _lay(md("# T"), md("## Introduction"), md("### Summary\n- a\n- b"), md("### Questions\n- why?"),
               code("x = 1"))
    assert _kinds(lay) == [(2, "summary"), (3, "questions")]


def test_configured_aliases_are_normalised():
    cells = (md("# T"), md("## 1. At a Glance:\n- a\n- b"), code("x = 1"))
    assert not _lay(*cells).present("summary")
    assert _kinds(_lay(*cells, aliases={"summary": ["At a glance"]})) == [(1, "summary")]
    cfg = config_from_table({"layout": {"summary": ["At a glance"]}})
    model = notebook_from_dict(nb(*cells))
    facts = Facts(model)
    assert facts.layout(cfg.layout_aliases) is facts.layout(cfg.layout_aliases)  # computed once per notebook
    assert facts.layout() is facts.layout(None) is facts.layout({})
    assert layout_of(model, cfg.layout_aliases) == facts.layout(cfg.layout_aliases)


def test_configured_aliases_reach_the_rules(tmp_path):
    path = write(tmp_path / "glance_notebook.ipynb",
                 nb(md("# T"), md("## At a glance\n- Churn up 3 points.\n- Monthly plans."), code("x = 1")))
    plain = lint_paths([str(path)], Config(), select=["NBL002"])
    assert [f.code for f in plain.findings] == ["NBL002"]
    cfg = config_from_table({"layout": {"summary": ["at a glance"]}})
    assert lint_paths([str(path)], cfg, select=["NBL002"]).findings == []


def test_body_stops_at_the_next_heading_and_skips_non_prose():
    model = notebook_from_dict(nb(
        md("# T\n\n## Summary\nline one\n<!-- hidden words -->\n```\n## not a heading\n```\n## Questions\n- q?"),
        md("more questions?"),
        md("## Data"),
    ))
    lay = analyse(model)
    summary, questions = lay.first["summary"], lay.first["questions"]
    assert [(b.cell_index, b.line, b.text) for b in lay.body(summary)] == [(0, 4, "line one")]
    assert [(b.cell_index, b.text) for b in lay.body(questions)] == [(0, "- q?"), (1, "more questions?")]
    assert questions.end == 2


def test_insert_positions():
    # nothing but code
    lay = _lay(code("x = 1"), code("y = 1"))
    assert lay.insert_position("title") == 0
    assert lay.insert_position("summary") == 0
    assert lay.insert_position("findings") == 2
    # title and data: summary/questions under the title, setup before data, findings at the end
    lay = _lay(raw("---\na: 1\n---"), md("# T"), md("## Data"), code("x = 1"), md("## Appendix"), code("z = 1"))
    assert lay.insert_position("title") == 1
    assert lay.insert_position("summary") == 2
    assert lay.insert_position("questions") == 2
    assert lay.insert_position("setup") == 2
    assert lay.insert_position("findings") == 4  # before the appendix, after the analysis code
    assert lay.insert_position("next_steps") == 4
    # a summary already there: questions go after it
    lay = _lay(md("# T"), md("## Summary\n- a\n- b"), code("x = 1"))
    assert lay.insert_position("questions") == 2


def test_insert_section_api():
    data = nb(md("# T"), code("x = 1"))
    assert insert_section(data, "summary") == 1
    assert "".join(data["cells"][1]["source"]).startswith(DEFAULT_HEADINGS["summary"])
    assert insert_section(data, "summary") is None  # present now
    with pytest.raises(ValueError, match="unknown section"):
        insert_section(data, "intro")


def test_alias_table_covers_the_catalogue():
    # RULES.md lists these aliases; they must stay
    for kind, names in {"summary": ["executive summary", "tl;dr", "key takeaways", "abstract", "overview"],
                        "questions": ["objectives", "hypotheses", "problem statement", "scope"],
                        "setup": ["imports", "parameters"], "data": ["data sources", "load data"],
                        "findings": ["results", "conclusions", "insights", "key takeaways"],
                        "next_steps": ["recommendations", "open questions"],
                        "appendix": ["supplementary", "references"]}.items():
        assert set(names) <= set(DEFAULT_ALIASES[kind])
    assert set(REQUIRED) <= set(SECTIONS)


def test_nbkit_new_then_lint_has_no_layout_or_docs_findings(tmp_path):
    runner = CliRunner()
    path = tmp_path / "churn_drivers_q3.ipynb"
    res = runner.invoke(cli, ["new", str(path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["lint", "--format", "json", "--select", "NBL,NBD", "--fail-on", "info", str(path)])
    report = json.loads(res.output)
    assert report["findings"] == [], report
    assert res.exit_code == 0


def test_too_long_by_default_at_51_cells():
    data = nb(md("# T"), *[code(f"x{i} = {i}") for i in range(50)])
    res = lint_source(data, "long_notebook.ipynb", Config(), select=["NBL011"])
    assert [f.message for f in res.findings] == ["the notebook has 51 cells (limit 50); split it into smaller "
                                                 "notebooks or move helper code into a module"]
    data["cells"].pop()
    assert lint_source(data, "long_notebook.ipynb", Config(), select=["NBL011"]).findings == []


def test_option_from_config_and_bad_option_value():
    data = nb(md("# T"), code("a = 1"), code("b = 1"))
    cfg = config_from_table({"rules": {"notebook-too-long": {"max-cells": 2}}})
    assert len(lint_source(data, "x_notebook.ipynb", cfg, select=["NBL011"]).findings) == 1
    with pytest.raises(ConfigError, match="max-cells"):
        config_from_table({"rules": {"NBL011": {"max-cells": "many"}}})
    cfg = Config(rule_options={"NBL011": {"max-cells": "many"}})  # built in code, not validated
    res = lint_source(data, "x_notebook.ipynb", cfg, select=["NBL011"])
    assert res.findings == []  # falls back to the default, does not crash


def test_exploratory_profile():
    data = nb(md("## no title"), code("df.plot()"), md("TODO: later"))
    report = lint_source(data, "x_notebook.ipynb", Config(), select=["NBL", "NBD"])
    explore = lint_source(data, "x_notebook.ipynb", Config(), select=["NBL", "NBD"], profile="exploratory")
    assert {f.code for f in report.findings if f.severity.value == "error"} >= {"NBL001", "NBL002"}
    assert all(f.severity.value != "error" for f in explore.findings)
    assert "NBD005" in {f.code for f in report.findings} and "NBD005" not in {f.code for f in explore.findings}
    assert "NBD008" not in {f.code for f in explore.findings}


def test_rules_never_crash_on_odd_notebooks():
    odd = [
        nb(),
        nb(raw("only raw")),
        nb(md("")),
        nb(code("def broken(:\n  pass", tags=["parameters"]), md("#"), md("<h1></h1>"), md("Title\n===")),
        nb(md("# T\n## Summary\n## Questions\n## Findings"), code("", tags=["parameters"])),
        nb(md("- a\n---"), md("######## seven hashes"), code("import os\n" * 3)),
    ]
    for data in odd:
        res = lint_source(data, "odd_notebook.ipynb", Config(), select=["NBL", "NBD"])
        assert not res.errors
        assert not [f for f in res.findings if f.message.startswith("internal error")], res.findings


@pytest.mark.parametrize("r", [r for r in registry.all_rules() if r.code[:3] in ("NBL", "NBD")],
                         ids=lambda r: r.code)
def test_rule_docs_and_catalogue(r):
    for section in registry.DOC_SECTIONS:
        assert f"## {section}" in r.doc, (r.code, section)
    if r.options:
        assert "## Options" in r.doc
        for opt in r.options:
            assert f"`{opt}`" in r.doc
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", r.name)


def test_catalogue_codes_names_and_severities():
    """The codes, names and default severities of RULES.md (public API)."""
    expected = {
        "NBL001": ("missing-title", "error"), "NBL002": ("missing-executive-summary", "error"),
        "NBL003": ("missing-questions", "error"), "NBL004": ("missing-findings", "error"),
        "NBL005": ("sections-out-of-order", "warning"), "NBL006": ("code-before-questions", "warning"),
        "NBL007": ("unanswered-questions", "info"), "NBL008": ("no-analysis-section", "warning"),
        "NBL009": ("appendix-not-last", "warning"), "NBL010": ("heading-level-jump", "warning"),
        "NBL011": ("notebook-too-long", "warning"), "NBL012": ("late-import", "warning"),
        "NBL013": ("bad-parameters-cell", "warning"),
        "NBD001": ("too-little-prose", "warning"), "NBD002": ("section-without-prose", "warning"),
        "NBD003": ("undocumented-data", "warning"), "NBD004": ("no-author-or-date", "warning"),
        "NBD005": ("unlabelled-figure", "info"), "NBD006": ("unsupported-finding", "info"),
        "NBD007": ("long-summary", "warning"), "NBD008": ("placeholder-text", "warning"),
    }
    got = {r.code: (r.name, r.severity.value) for r in registry.all_rules() if r.code[:3] in ("NBL", "NBD")}
    assert got == expected
    assert {r.code for r in registry.all_rules() if r.fixable and r.code[:3] == "NBL"} == {
        "NBL001", "NBL002", "NBL003", "NBL004"}


# -- property: analysing never fails; inserting a missing section makes it present and changes
#    nothing else ---------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HEADINGS = ["# Title", "## Summary", "## Key takeaways", "## Questions", "## Setup", "## Data", "## Results",
             "## Appendix", "## Next steps", "## Churn by plan", "### Detail", "Overview\n---", "<h2>Data</h2>",
             "```\n## fenced\n```", "- a\n- b", "Why?", "TODO: x", "", "#### Deep"]
_CODE = ["import os", "x = 1", "%matplotlib inline", "df.plot()", "", "def f(:"]

_cell = st.one_of(
    st.builds(lambda parts: md("\n\n".join(parts)), st.lists(st.sampled_from(_HEADINGS), min_size=1, max_size=3)),
    st.builds(code, st.sampled_from(_CODE)),
    st.builds(raw, st.just("---\na: 1\n---")),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(_cell, max_size=12), kind=st.sampled_from(["title", "summary", "questions", "findings",
                                                                   "setup", "data", "next_steps", "appendix"]))
def test_insert_section_property(cells, kind):
    data = nb(*cells)
    model = notebook_from_dict(data)
    lay = analyse(model)
    lay.checklist()
    res = lint_source(data, "prop_notebook.ipynb", Config(), select=["NBL", "NBD"])
    assert not [f for f in res.findings if f.message.startswith("internal error")]
    if kind == "title" and any(h.level == 1 for h in model.headings):
        return  # a title is only inserted when there is no H1 at all (NBL001's fixer checks that)
    before = [dict(c) for c in data["cells"]]
    at = insert_section(data, kind, model)
    if lay.present(kind):
        assert at is None and data["cells"] == before
        return
    assert at is not None
    assert data["cells"][:at] + data["cells"][at + 1:] == before
    assert analyse(notebook_from_dict(data)).present(kind), (kind, at, [c["source"] for c in data["cells"]])
    code_ = {"title": "NBL001", "summary": "NBL002", "questions": "NBL003", "findings": "NBL004"}.get(kind)
    closing = [x.cell_index for x in lay.sections if x.kind in ("appendix", "next_steps")]
    # a cell with prose above its heading cannot be split by inserting cells: leave those out
    mixed = any(c.headings and c.headings[0].line > 1 for c in model.cells)
    appendix_mid = closing and lay.last_code is not None and min(closing) < lay.last_code
    if code_ and not mixed and not (kind == "findings" and appendix_mid):
        # what is left for the rule to say is only "now write it" (unless an appendix sits in
        # the middle of the analysis: then NBL009 has to be fixed by hand first)
        after = lint_source(data, "prop_notebook.ipynb", Config(), select=[code_]).findings
        assert all("empty" in f.message or "second" in f.message for f in after), (
            [f.message for f in after], [c["source"] for c in data["cells"]])


def test_inserted_heading_matches_the_notebook_section_level():
    data = nb(md("# T"), md("### Questions\n- why?"), code("x = 1"))
    assert insert_section(data, "summary") == 1
    assert data["cells"][1]["source"].startswith("### Executive summary\n")
    lay = analyse(notebook_from_dict(data))
    assert _kinds(lay)[:2] == [(1, "summary"), (2, "questions")]  # siblings, not parent and child


def test_configured_analysis_aliases():
    cells = (md("# T"), md("## Data"), code("x = 1"), md("## Deep dive\nprose only"), md("## Findings\n- a"))
    assert not _lay(*cells).present("analysis")
    assert _kinds(_lay(*cells, aliases={"analysis": ["deep dive"]}))[1] == (3, "analysis")
