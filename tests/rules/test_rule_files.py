"""One rule per file, found from its code in one guess; requires= and the typed option reader."""

from __future__ import annotations

import ast
from pathlib import Path

from nbbuild import code, md, nb
from nbkit import rules as registry
from nbkit.config import Config
from nbkit.lint import lint_source
from nbkit.rules import CATEGORY_FOLDERS, Context

RULES = Path(registry.__file__).parent


def test_every_static_rule_lives_in_its_own_file_named_after_it():
    for r in registry.all_rules(static_only=True):
        path = RULES / CATEGORY_FOLDERS[r.code[:3]] / f"{r.code}_{r.name.replace('-', '_')}.py"
        assert registry.rule_file(r.code) == path and path.is_file(), r.code
        tree = ast.parse(path.read_text(encoding="utf-8"))
        codes = [d.args[0].value for n in tree.body if isinstance(n, ast.FunctionDef) for d in n.decorator_list
                 if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "rule"]
        assert codes == [r.code], (path, codes)


def test_no_stray_files_in_the_category_folders():
    for folder in CATEGORY_FOLDERS.values():
        for p in (RULES / folder).glob("*.py"):
            assert p.name in ("__init__.py", "helpers.py") or registry._RULE_FILE.match(p.name), p


def test_requires_skips_rules_for_notebooks_without_what_they_need():
    data = nb(md("# T"), code("import numpy as np\nnp.random.rand()"))
    assert [f.code for f in lint_source(data, "a_notebook.ipynb", Config(), select=["NBR004"]).findings] == ["NBR004"]
    data["metadata"]["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}
    assert lint_source(data, "a_notebook.ipynb", Config(), select=["NBR004"]).findings == []
    assert registry.get("NBR004").requires == ("python",)


def test_option_reader_is_typed_and_falls_back_to_the_declared_default():
    ctx = Context(options={"n": "many", "x": 2, "names": "one", "f": 1.5}, defaults={"n": 50, "names": []})
    assert ctx.option("n", int) == 50
    assert ctx.option("x", float) == 2 and isinstance(ctx.option("x", float), int)
    assert ctx.option("f", int) == 1
    assert ctx.option("names", list) == ["one"]
