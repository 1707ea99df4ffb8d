from pathlib import Path

from nbkit import rules as registry
from nbkit.rule_reference import missing_sections, stale_files

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_every_rule_documents_the_required_sections():
    bad = {r.code: missing_sections(r) for r in registry.all_rules() if missing_sections(r)}
    assert not bad, f"rule docstrings missing sections: {bad}"


def test_generated_rule_docs_are_current():
    stale = stale_files(DOCS)
    assert not stale, f"docs/rules is stale ({stale}); run `python -m nbkit.ruledocs docs/rules`"


def test_catalogue_codes_and_names_are_unique_and_kebab_case():
    rules = registry.all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for r in rules:
        assert r.name == r.name.lower() and " " not in r.name and "_" not in r.name, r.name
