"""The JSON Schemas in nbkit/schemas/ are the contract: every schema is a valid Draft 2020-12
schema whose refs resolve, and every REST reply (through a real jupyter_server) and every
``--format json`` report (lint, verify, rules) validates against its schema.  The panel's
TypeScript types are generated from the same files; a test fails when they are stale."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from nbbuild import code, md, nb, result, write

from nbkit import schemas

pytest_plugins = ["pytest_jupyter.jupyter_server"]

REPO = Path(__file__).resolve().parents[2]
LABEXT = REPO / "labextension"
EXAMPLES = REPO / "examples"


# -- the schemas themselves ------------------------------------------------------------------------

def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            elif key in ("properties", "$defs"):
                for sub in value.values():
                    yield from _refs(sub)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("name", schemas.names())
def test_schema_is_valid_draft_2020_12_and_its_refs_resolve(name):
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schemas.BASE_URI + name + schemas.SUFFIX
    assert schema.get("title") and (name == "common" or schema.get("type") == "object")
    resolver = schemas.registry().resolver(base_uri=schema["$id"])
    refs = list(_refs(schema))
    for ref in refs:
        resolver.lookup(ref)  # raises when a ref names no file or no definition
    if name == "common":
        assert set(schema) == {"$schema", "$id", "title", "description", "$defs"}


def test_every_reply_has_a_schema_shipped_in_the_package():
    assert set(schemas.names()) == {"common", "error", "lint", "lint-reply", "pin-reply", "policy", "rules",
                                    "template", "verify", "verify-job", "verify-jobs", "verify-started"}
    with pytest.raises(KeyError, match="no nbkit schema 'nope'"):
        schemas.load("nope")


def test_lint_reply_allows_no_undeclared_top_level_key():
    report = {"schema": "nbkit.lint/1", "findings": [], "errors": [],
              "summary": {"notebooks": 1, "error": 0, "warning": 0, "info": 0},
              "status": {"path": "a.ipynb", "saved": True, "layout": [], "pinned": False, "environment": None,
                         "seed": None, "verified": None, "drift": []}}
    schemas.validate(report, "lint-reply")
    assert not schemas.validator("lint-reply").is_valid({**report, "pinned": False})  # extras go in status
    assert not schemas.validator("lint-reply").is_valid({k: v for k, v in report.items() if k != "status"})


# -- --format json ---------------------------------------------------------------------------------

def _cli(*args: str) -> dict:
    """``nbkit ARGS`` in-process (paths absolute: no change of directory); its JSON output."""
    from click.testing import CliRunner

    from nbkit.cli import main

    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return json.loads(res.stdout)


def _verify_json(tmp_path: Path) -> dict:
    write(tmp_path / "ok.ipynb", nb(md("# T"), code("x = 1", count=1), code("x + 1", count=2,
                                                                              outputs=[result("2", count=2)])))
    write(tmp_path / "differs.ipynb", nb(md("# T"), code("3 * 3", count=1, outputs=[result("8", count=1)])))
    write(tmp_path / "fails.ipynb", nb(md("# T"), code("1 / 0", count=1)))
    report = _cli("verify", "--format", "json", str(tmp_path))
    assert report["summary"]["notebooks"] == 3
    assert {n["status"] for n in report["notebooks"]} == {"reproducible", "mismatch", "failed"}
    return report


CLI_OUTPUTS = {
    "lint": ("lint", lambda tmp: _cli("lint", "--format", "json", str(EXAMPLES))),
    "lint-one-notebook": ("lint", lambda tmp: _cli("lint", "--format", "json",
                                                   str(write(tmp / "untitled.ipynb", nb(code("x = 1")))))),
    "rules": ("rules", lambda tmp: _cli("rules", "--format", "json")),
    "verify": ("verify", _verify_json),
}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=[pytest.mark.kernel, pytest.mark.slow] if c == "verify" else []) for c in CLI_OUTPUTS])
def test_format_json_matches_its_schema(case, tmp_path):
    name, produce = CLI_OUTPUTS[case]
    report = produce(tmp_path)
    schemas.validate(report, name)
    assert report["schema"] == f"nbkit.{name}/{2 if name == 'verify' else 1}"  # verify/2: issue 12 causes


# -- REST replies ----------------------------------------------------------------------------------

def _standard_notebook() -> dict:
    """A notebook in the standard layout: the template's cells."""
    from nbkit.template import template_cells

    return nb(*template_cells())




async def _until(api, job, done, timeout=90.0):
    deadline = time.monotonic() + timeout
    while True:
        status, rep = await api(f"verify/{job}")
        assert status == 200, rep
        if done(rep) or time.monotonic() > deadline:
            return rep
        await asyncio.sleep(0.1)


async def _lint_replies(api, root):
    write(root / "good.ipynb", _standard_notebook())
    pinned = _standard_notebook()
    pinned["metadata"]["nbkit"] = {"seed": 7, "environment": {"python": "3.11", "packages": {"numpy": "0.0.1"}},
                                   "verified": {"at": "2026-11-26T20:00:00Z", "status": "reproducible"}}
    write(root / "pinned.ipynb", pinned)
    replies = [await api("lint", {"path": "good.ipynb"}),
               await api("lint", {"path": "pinned.ipynb", "profile": "exploratory", "ignore": ["NBH"]}),
               await api("lint", {"path": "new.ipynb", "content": nb(code("x = 1"))})]
    assert replies[1][1]["status"]["drift"][0]["package"] == "numpy"
    assert replies[2][1]["status"]["saved"] is False
    return [(s, r, "lint-reply") for s, r in replies]


async def _verify_replies(api, root):
    write(root / "v.ipynb", nb(md("# T"), code("x = 1", count=1), code("x + 1", count=2,
                                                                      outputs=[result("2", count=2)])))
    write(root / "slow.ipynb", nb(md("# T"), code("import time\ntime.sleep(60)", count=1)))
    out = [started := await api("verify", {"path": "v.ipynb"})]
    job = started[1]["job"]
    out.append((200, await _until(api, job, lambda r: r["state"] == "done")))
    assert out[-1][1]["report"]["notebooks"][0]["status"] == "reproducible"
    out.append(slow := await api("verify", {"path": "slow.ipynb", "timeout": 120}))
    out.append((200, await _until(api, slow[1]["job"], lambda r: r["progress"]["current"] is not None)))
    out.append(await api("verify", method="GET"))
    assert len(out[-1][1]["jobs"]) == 2
    out.append(await api(f"verify/{slow[1]['job']}", method="DELETE"))
    assert out[-1][1]["state"] == "cancelled" and out[-1][1]["message"]
    kinds = ["verify-started", "verify-job", "verify-started", "verify-job", "verify-jobs", "verify-job"]
    return [(s, r, kind) for (s, r), kind in zip(out, kinds, strict=True)]


async def _pin_replies(api, root):
    write(root / "p.ipynb", nb(md("# T"), code("import json", count=1)))
    return [(*await api("pin", {"path": "p.ipynb", "seed": 7}), "pin-reply"),
            (*await api("pin", {"path": "p.ipynb"}), "pin-reply")]


async def _policy_replies(api, root):
    (root / "pyproject.toml").write_text('[tool.nbkit.policy]\nrequired-sections = ["findings"]\nrequire-seed = true\n'
                                         'max-severity-on-save = "error"\n', encoding="utf-8")
    write(root / "p.ipynb", nb(md("# T"), code("import random\nrandom.random()", count=1)))
    replies = [await api("policy", params={"path": "p.ipynb"}), await api("lint", {"path": "p.ipynb"})]
    assert {v["kind"] for v in replies[0][1]["violations"]} == {"missing-section", "seed-not-recorded",
                                                                 "findings-over-limit"}
    assert replies[1][1]["status"]["policy"]["ok"] is False
    return [(*replies[0], "policy"), (*replies[1], "lint-reply")]


async def _catalogue_replies(api, root):
    return [(*await api("rules"), "rules"), (*await api("template"), "template")]


async def _error_replies(api, root):
    write(root / "e.ipynb", nb(md("# T")))
    (root / "broken.ipynb").write_text("{not json", encoding="utf-8")
    replies = [
        await api("lint", {"path": "missing.ipynb"}),  # 404
        await api("lint", {"path": "broken.ipynb"}),  # 400, not a notebook
        await api("lint", {"path": "e.ipynb", "profile": "strict"}),  # 400, bad field
        await api("lint", {"path": "../outside.ipynb"}),  # 403
        await api("lint", {"path": "e.ipynb"}, headers={"Authorization": "token wrong"}),  # 403
        await api("verify/" + "0" * 32),  # 404, unknown job
        await api("nope"),  # 404, unknown route
    ]
    assert [s for s, _ in replies] == [404, 400, 400, 403, 403, 404, 404]
    return [(s, r, "error") for s, r in replies]


REST_CASES = {
    "lint": _lint_replies,
    "verify": _verify_replies,
    "pin": _pin_replies,
    "policy": _policy_replies,
    "rules-and-template": _catalogue_replies,
    "errors": _error_replies,
}


@pytest.mark.server
@pytest.mark.timeout(240)
@pytest.mark.parametrize("case", [
    pytest.param(c, marks=[pytest.mark.kernel, pytest.mark.slow] if c == "verify" else []) for c in REST_CASES])
async def test_rest_reply_matches_its_schema(case, api, jp_root_dir):
    replies = await REST_CASES[case](api, jp_root_dir)
    assert replies
    for status, reply, name in replies:
        assert (status >= 400) == (name == "error"), (status, reply)
        schemas.validate(reply, name)


# -- the generated TypeScript types ------------------------------------------------------------------

def test_generated_typescript_types_are_current(tmp_path):
    """labextension/src/schema-types.ts is what `jlpm build:types` makes of the schemas now."""
    node = shutil.which("node")
    if node is None or not (LABEXT / "node_modules" / "json-schema-to-typescript").is_dir():
        pytest.skip("needs node and `jlpm install` in labextension/ (scripts/test.sh does both)")
    out = tmp_path / "schema-types.ts"
    subprocess.run([node, "scripts/build-types.js", f"--out={out}"], cwd=LABEXT, check=True, timeout=120)
    committed = (LABEXT / "src" / "schema-types.ts").read_text(encoding="utf-8")
    assert committed == out.read_text(encoding="utf-8"), \
        "labextension/src/schema-types.ts is stale: run `jlpm build:types` in labextension/ and commit it"
