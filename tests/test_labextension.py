"""The JupyterLab extension as shipped: installed and enabled, one version with the Python
package, the settings schema the panel reads, and the server options the panel sends."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbbuild import code, md, nb, write

import nbkit

REPO = Path(__file__).resolve().parents[1]
LABEXT = REPO / "labextension"


def test_npm_package_matches_the_python_package():
    pkg = json.loads((LABEXT / "package.json").read_text())
    assert pkg["version"] == nbkit.__version__, "bump labextension/package.json with nbkit/_version.py"
    (entry,) = nbkit._jupyter_labextension_paths()
    assert pkg["name"] == entry["dest"] == "nbkit-jupyterlab"
    assert pkg["jupyterlab"]["outputDir"] == "../nbkit/" + entry["src"]
    assert pkg["devDependencies"]["@jupyter/builder"].startswith("^1.")
    assert pkg["devDependencies"]["typescript"].startswith("~5.9")


def test_settings_schema_declares_what_the_panel_reads():
    schema = json.loads((LABEXT / "schema" / "plugin.json").read_text())
    props = schema["properties"]
    assert props["autoLint"]["default"] is True
    assert props["profile"]["enum"] == ["", "report", "exploratory"]
    assert props["ignore"]["type"] == "array"
    assert props["debounceMs"]["minimum"] >= 100
    # every key the plugin reads is declared
    index = (LABEXT / "src" / "index.ts").read_text()
    read = set(re.findall(r"get\('(\w+)'", index))
    assert read and read <= set(props), read - set(props)
    # toolbar and context-menu entries name commands the plugin defines
    commands = set(re.findall(r"= '(nbkit:[\w-]+)'", index))
    used = {i["command"] for i in schema["jupyter.lab.toolbars"]["Notebook"]}
    used |= {i["command"] for i in schema["jupyter.lab.menus"]["context"] if "command" in i}
    assert used <= commands, used - commands


def test_installed_extension_is_listed_and_enabled():
    """`pip install` put the prebuilt bundle where JupyterLab finds it (no `jupyter lab build`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    out = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True,
                         text=True, env=env, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    line = next((ln for ln in text.splitlines() if "nbkit-jupyterlab" in ln), None)
    assert line is not None, text
    assert f"v{nbkit.__version__}" in line and "enabled" in line and "OK" in line, line
    assert "(python, nbkit)" in line, line  # install.json: uninstall through pip


# -- the options the panel sends with a lint ---------------------------------------------------------

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["ServerApp"]["jpserver_extensions"]["nbkit"] = True
    # gc.freeze() is for a real server process, not for pytest's (it would leak into later tests)
    jp_server_config.NbkitService.freeze_startup_heap = False
    return jp_server_config


async def _lint(jp_fetch, body):
    from tornado.httpclient import HTTPClientError

    try:
        r = await jp_fetch("nbkit", "api", "lint", method="POST", body=json.dumps(body))
        return r.code, json.loads(r.body)
    except HTTPClientError as e:
        return e.code, json.loads(e.response.body)


@pytest.mark.server
async def test_lint_honours_the_panels_profile_setting(jp_fetch, jp_root_dir, jp_serverapp):
    write(jp_root_dir / "scratch.ipynb", nb(code("x = 1", count=1), md("some notes")))
    status, report = await _lint(jp_fetch, {"path": "scratch.ipynb", "profile": "report"})
    assert status == 200
    layout_errors = [f for f in report["findings"] if f["code"].startswith("NBL") and f["severity"] == "error"]
    assert layout_errors  # a report needs the standard layout
    status, exploratory = await _lint(jp_fetch, {"path": "scratch.ipynb", "profile": "exploratory"})
    assert status == 200
    # a scratch notebook: layout findings are warnings at most
    layout = [f for f in exploratory["findings"] if f["code"].startswith(("NBL", "NBD"))]
    assert layout and all(f["severity"] != "error" for f in layout), layout
    status, default = await _lint(jp_fetch, {"path": "scratch.ipynb", "profile": ""})
    assert status == 200 and default["findings"] == report["findings"]
    status, bad = await _lint(jp_fetch, {"path": "scratch.ipynb", "profile": "strict"})
    assert status == 400 and "profile" in bad["message"]
    jp_serverapp.web_app.settings["nbkit_service"].shutdown(wait=5)


# -- the TypeScript types come from the schemas ------------------------------------------------------

def test_builds_generate_the_reply_types_from_the_schemas():
    scripts = json.loads((LABEXT / "package.json").read_text())["scripts"]
    assert scripts["build:types"] == "node scripts/build-types.js"
    for build in ("build:lib", "build:lib:prod"):
        assert scripts[build].startswith("jlpm build:types && tsc"), build
    assert scripts["test"].startswith("jlpm check:types && ")  # jlpm test fails on stale types
    # api.ts declares no reply shape by hand: the replies' types are the generated ones
    api = (LABEXT / "src" / "api.ts").read_text()
    assert "from './schema-types'" in api
    declared = set(re.findall(r"export (?:interface|type) (\w+)", api))
    assert declared == {"ILintOptions", "IVerifyOptions", "Requester"}, declared
    generated = (LABEXT / "src" / "schema-types.ts").read_text()
    for name in ("LintReply", "PanelStatus", "VerifyJob", "VerifyStarted", "VerifyJobList", "PinReply",
                 "RulesCatalogue", "TemplateReply", "ErrorReply", "LintReport", "VerifyReport"):
        assert re.search(rf"export (?:interface|type) {name}\b", generated), name
