"""The documentation site: it builds with warnings as errors, and what it documents matches the
code (normalisers, configuration keys, pytest options, hooks, cell controls)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _text(path: Path) -> str:
    """An HTML page's text, tags (syntax highlighting spans) removed."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    out = tmp_path / "html"
    p = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS),
                        str(out), "-d", str(tmp_path / "doctrees")],
                       capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    for page in ("index", "getting-started", "layout", "verify", "pinning-and-magics", "panel", "pytest",
                 "pre-commit", "ci", "migration", "configuration", "cli", "server-api", "rules/index"):
        assert (out / f"{page}.html").is_file(), page
    # the rule reference is the generated one, one page per rule in the registry
    from nbkit import rules as registry

    for rule in registry.all_rules():
        assert (out / "rules" / f"{rule.code}.html").is_file(), rule.code
    # parts rendered from the code itself
    layout = _text(out / "layout.html")
    assert "random.seed(SEED)" in layout and "Recognised headings" in layout
    cli = _text(out / "cli.html")
    assert "--shard I/N" in cli and "--fail-on" in cli
    ci = _text(out / "ci.html")
    assert "upload-sarif" in ci and "CI_NODE_INDEX" in ci  # the templates, included
    panel = (out / "panel.html").read_text(encoding="utf-8")
    assert "panel-light.png" in panel


def test_every_image_the_docs_use_exists():
    for page in DOCS.glob("*.md"):
        for ref in re.findall(r"\{image\}\s+(\S+)", page.read_text(encoding="utf-8")):
            assert (DOCS / ref).is_file(), f"{page.name}: {ref}"


def test_normalisers_are_documented():
    from nbkit.verify import NORMALIZERS

    text = _page("verify.md")
    missing = [n for n in NORMALIZERS if f"`{n}`" not in text]
    assert missing == []


def test_configuration_keys_are_documented():
    from nbkit import config
    from nbkit.verify import settings

    text = _page("configuration.md")
    keys = config._TOP_KEYS | config._LINT_KEYS | settings._KEYS
    missing = sorted(k for k in keys if f"`{k}`" not in text)
    assert missing == []


def test_pytest_options_are_documented():
    import pytest as _pytest

    from nbkit import pytest_plugin

    class Recorder:
        def __init__(self):
            self.options, self.ini = [], []

        def getgroup(self, *a, **k):
            return self

        def addoption(self, *names, **kw):
            self.options.extend(names)

        def addini(self, name, *a, **kw):
            self.ini.append(name)

    rec = Recorder()
    pytest_plugin.pytest_addoption(rec)  # type: ignore[arg-type]
    assert rec.options and rec.ini
    text = _page("pytest.md")
    assert [o for o in rec.options if f"`{o}" not in text] == []
    assert [i for i in rec.ini if f"`{i}" not in text] == []
    assert _pytest  # the plugin module imports pytest itself


def test_pre_commit_hooks_are_documented():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    text = _page("pre-commit.md")
    assert [h["id"] for h in hooks if f"`{h['id']}`" not in text] == []


def test_migration_guide_covers_every_honoured_marker_and_tag():
    from nbkit.verify import controls

    text = _page("migration.md") + _page("verify.md")
    names = set(controls.MARKERS) | controls.SKIP_TAGS | controls.IGNORE_TAGS | controls.RAISES_TAGS \
        | controls.CHECK_TAGS
    assert sorted(n for n in names if n not in text) == []
    migration = _page("migration.md")
    for option in ("--nbval", "--nbval-lax", "--nbval-sanitize-with", "--nbval-cell-timeout", "--nbval-kernel-name",
                   "--nbmake", "--nbmake-timeout", "--nbmake-kernel", "--overwrite"):
        assert re.search(rf"`[^`]*{re.escape(option)}\b", migration), option


def test_documented_cli_options_exist():
    """Every `nbkit SUB --option` written in the docs is accepted by the real command."""
    import click

    from nbkit.cli import COMMANDS, main

    bad, checked = [], 0
    for page in DOCS.glob("*.md"):
        for sub, rest in re.findall(r"nbkit (lint|verify|pin|new|rules)((?: [^`\n|]*)?)", page.read_text()):
            cmd = main.get_command(click.Context(main), sub)
            known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
            for opt in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", rest):
                checked += 1
                if opt not in known and opt not in ("--help",):
                    bad.append(f"{page.name}: nbkit {sub} {opt}")
    assert COMMANDS and checked > 20
    assert bad == []


@pytest.mark.slow
def test_new_pages_and_benchmark_pages_join_the_navigation(tmp_path):
    """A page someone adds to docs/ without listing it, and a benchmark page once a benchmark run
    writes it, still build without warnings and appear in the index."""
    import shutil

    shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("_build"))
    shutil.copytree(ROOT / "examples" / "ci", tmp_path / "examples" / "ci")  # included by ci.md
    (tmp_path / "docs" / "benchmarks-server.md").write_text("# Server benchmarks\n\np95 12 ms\n")
    (tmp_path / "docs" / "recipes-extra.md").write_text("# More recipes\n\nText.\n")
    out = tmp_path / "html"
    p = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                        str(tmp_path / "docs"), str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="benchmarks-server.html"' in index and 'href="recipes-extra.html"' in index
    # the REST API page's link to the server benchmarks is a link again
    assert 'href="benchmarks-server.html' in (out / "server-api.html").read_text(encoding="utf-8")
