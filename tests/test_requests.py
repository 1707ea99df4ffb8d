"""The request layer (nbkit/requests.py): each request validated once, with the message every
face shows, and one core function per command; the core's config cache; the shared renderers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nbbuild import code, md, nb, write
from nbkit.config import Config, clear_cache, load_cached, load_config
from nbkit.errors import UsageError
from nbkit.lint import lint_paths
from nbkit.pin.seed import SEED_MAX
from nbkit.requests import (LintRequest, PinRequest, RequestError, lint_one, run_lint, run_pin,
                            validate_seed)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UNTITLED = nb(code("x = 1", count=1), md("## Setup"))


# -- validation -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [-1, SEED_MAX + 1, "7", 1.0, True, None])
def test_validate_seed_refuses_what_is_not_a_seed(seed):
    with pytest.raises(UsageError, match=rf"^seed must be an integer from 0 to {SEED_MAX}, got "):
        validate_seed(seed)


def test_validate_seed_names_the_input_as_the_face_does():
    assert validate_seed(0) == 0 and validate_seed(SEED_MAX) == SEED_MAX
    with pytest.raises(RequestError, match=r"^'seed' must be an integer"):
        validate_seed("x", "'seed'")


def test_the_pin_core_uses_the_same_seed_check():
    from nbkit.pin import validate_seed as from_pin

    assert from_pin is validate_seed


@pytest.mark.parametrize("kw,message,field", [
    ({"content": 5}, "'content' must be the notebook JSON", None),
    ({"profile": "sloppy"}, "'profile' must be 'report' or 'exploratory'", None),
    ({"ignore": "NBL"}, "'ignore' must be a list of rule codes", None),
    ({"ignore": [1]}, "'ignore' must be a list of rule codes", None),
    ({"ignore": ["NOPE9"]}, "unknown rule selector 'NOPE9'", "ignore"),
    ({"select": ["NOPE9"]}, "unknown rule selector 'NOPE9'", "select"),
    ({"fail_on": "fatal"}, "'fail-on': unknown severity 'fatal'", None),
])
def test_lint_request_refusals(kw, message, field):
    with pytest.raises(RequestError) as e:
        LintRequest.from_raw(["a.ipynb"], **kw)
    assert e.value.message.startswith(message) and e.value.field == field


def test_lint_request_normalises_raw_input():
    r = LintRequest.from_raw(("a.ipynb",), select=[], ignore=["NBL", " "], profile="")
    assert r.paths == ("a.ipynb",) and r.select is None and r.ignore == ("NBL",) and r.profile is None
    assert r.at("b.ipynb").paths == ("b.ipynb",)


def test_lint_request_threshold_is_the_flag_else_the_configuration():
    from nbkit.findings import Severity

    config = Config(fail_on=Severity.WARNING)
    assert LintRequest.from_raw(["a.ipynb"], config=config).threshold() == Severity.WARNING
    assert LintRequest.from_raw(["a.ipynb"], config=config, fail_on="info").threshold() == Severity.INFO


@pytest.mark.parametrize("kw,message", [
    ({"check": True, "seed": 1}, "--check only reads"),
    ({"check": True, "force": True}, "--check only reads"),
    ({"export": "requirements", "seed": 1}, "--export only reads"),
    ({"seed": -1}, "seed must be an integer"),
])
def test_pin_request_refusals(kw, message):
    with pytest.raises(RequestError, match=message):
        PinRequest.from_raw(["a.ipynb"], **kw)


# -- lint -------------------------------------------------------------------------------------------

def test_run_lint_is_lint_paths(tmp_path):
    config = load_config(EXAMPLES)
    request = LintRequest.from_raw([str(EXAMPLES)], config=config, ignore=["NBD"])
    assert run_lint(request).to_dict() == lint_paths([str(EXAMPLES)], config, ignore=["NBD"]).to_dict()


def test_lint_one_of_unsaved_content_and_of_the_file_agree(tmp_path):
    p = write(tmp_path / "u.ipynb", UNTITLED)
    saved = lint_one(LintRequest.from_raw([str(p)], config=Config()))
    unsaved = lint_one(LintRequest.from_raw([str(p)], config=Config(), content=json.loads(p.read_text())))
    text = lint_one(LintRequest.from_raw([str(p)], config=Config(), content=p.read_text()))
    assert saved.notebook is not None and saved.result.findings
    assert saved.result.to_dict() == unsaved.result.to_dict() == text.result.to_dict()
    assert run_lint(LintRequest.from_raw([str(p)], config=Config(), content=p.read_text())).to_dict() == \
        saved.result.to_dict()


def test_lint_one_reports_an_unreadable_notebook_as_an_error(tmp_path):
    p = tmp_path / "broken.ipynb"
    p.write_text("{nope")
    done = lint_one(LintRequest.from_raw([str(p)], config=Config()))
    assert done.notebook is None and done.result.notebooks == 0
    assert "broken.ipynb" in str(done.result.errors[0])


def test_lint_one_reuses_a_parse_cache_and_the_selection(tmp_path):
    from nbkit.analysis import ParseCache

    p = write(tmp_path / "u.ipynb", UNTITLED)
    cache = ParseCache()
    reuse: dict = {}
    request = LintRequest.from_raw([str(p)], config=Config(), project_paths=[str(p)])
    first = lint_one(request, parse_cache=cache, reuse=reuse)
    assert cache.misses > 0 and cache.hits == 0
    again = lint_one(request, parse_cache=cache, reuse=reuse)  # the same cells: parsed before
    assert cache.hits > 0
    second = lint_one(request, reuse=reuse)
    assert first.facts is not None and first.facts.nb is first.notebook
    assert len(reuse) == 1 and first.result.to_dict() == second.result.to_dict() == again.result.to_dict()


# -- pin --------------------------------------------------------------------------------------------

def test_run_pin_reports_each_notebook_and_each_bad_input(tmp_path):
    good = write(tmp_path / "a.ipynb", nb(md("# T"), code("import json", count=1)))
    reports = list(run_pin(PinRequest.from_raw([str(good), str(tmp_path / "nope.ipynb")], seed=3)))
    missing, pinned = reports
    assert missing.error is not None and missing.exit_code == 2 and "no such file" in str(missing.error)
    assert pinned.error is None and pinned.outcome.written and pinned.outcome.nbkit["seed"] == 3
    assert json.loads(good.read_text())["metadata"]["nbkit"]["seed"] == 3
    (again,) = run_pin(PinRequest.from_raw([str(good)]))
    assert not again.outcome.written
    (checked,) = run_pin(PinRequest.from_raw([str(good)], check=True))
    assert checked.drift == [] and checked.exit_code == 0 and checked.pinned["python"]
    (exported,) = run_pin(PinRequest.from_raw([str(good)], export="requirements"))
    assert exported.error is None and exported.requirements == []


def test_run_pin_check_of_an_unpinned_notebook_is_exit_1(tmp_path):
    p = write(tmp_path / "a.ipynb", nb(md("# T")))
    (report,) = run_pin(PinRequest.from_raw([str(p)], check=True))
    assert report.exit_code == 1 and "no pinned environment" in str(report.error)


# -- the config cache -------------------------------------------------------------------------------

def test_load_cached_rereads_a_changed_pyproject(tmp_path):
    clear_cache()
    pp = tmp_path / "pyproject.toml"
    pp.write_text('[tool.nbkit]\nprofile = "exploratory"\n')
    nbp = write(tmp_path / "a.ipynb", UNTITLED)
    first = load_cached(nbp)
    assert first.profile == "exploratory" and load_cached(str(nbp)) is first
    pp.write_text('[tool.nbkit]\nprofile = "report"\n')
    st = pp.stat()
    os.utime(pp, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert load_cached(nbp).profile == "report"


def test_load_cached_without_a_pyproject_gives_the_defaults(tmp_path):
    assert load_cached(tmp_path).path is None


# -- exclusion --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,globs,roots,expected", [
    ("build/a.ipynb", ["build/"], (), True),
    ("src/build/a.ipynb", ["build/"], (), True),
    ("src/a.ipynb", ["build/"], (), False),
    ("scratch/x.ipynb", ["scratch/*.ipynb"], (), True),
    ("/proj/build/a.ipynb", ["build/"], ("/proj",), True),
    ("/build/proj/a.ipynb", ["build/"], ("/build/proj",), False),  # a folder above the root does not count
    ("a.ipynb", [], (), False),
])
def test_is_excluded(path, globs, roots, expected):
    from nbkit.nbio import is_excluded

    assert is_excluded(path, globs, roots) is expected


# -- shared renderers -------------------------------------------------------------------------------

def test_lint_html_fragment_and_status_renderers(tmp_path):
    from nbkit.report.lint_reports import lint_title, render_html_fragment
    from nbkit.report.status_reports import env_report, status_report

    p = write(tmp_path / "u.ipynb", UNTITLED)
    result = run_lint(LintRequest.from_raw([str(p)], config=Config()))
    html = render_html_fragment(result, lint_title(result, "u.ipynb"))
    assert html.startswith("<div class='nbkit-report'") and "NBL001" in html and "nbkit lint: u.ipynb:" in html
    text, html = status_report(str(p))
    assert text.startswith("nbkit status: u.ipynb") and "<table" in html
    env = {"python": "3.11.7", "implementation": "CPython", "platform": "linux-x86_64", "packages": {}}
    text, html = env_report(env, {"python": "3.11.7", "packages": {"no-such-dist-xyz": "1.0"}}, "u.ipynb")
    assert "DRIFT (not installed)" in text and "DRIFT (not installed)" in html


def test_one_request_error_serves_every_face():
    import pickle

    from nbkit.errors import RequestError, UsageError
    from nbkit.verify.request import check_timeout

    with pytest.raises(RequestError) as e:
        check_timeout(-1)
    err = e.value
    assert isinstance(err, UsageError) and err.exit_code == 2
    assert (err.field, err.problem) == ("timeout", str(err).removeprefix("timeout "))
    assert err.message_for("--timeout") == "--timeout " + err.problem
    with pytest.raises(RequestError) as e:
        LintRequest.from_raw(["a.ipynb"], ignore=["NOPE9"])
    assert e.value.problem is None and e.value.message_for("'ignore'") == f"'ignore': {e.value.message}"
    plain = RequestError("--check only reads")
    assert plain.message_for("'seed'") == "--check only reads"
    for x in (err, e.value, plain):
        y = pickle.loads(pickle.dumps(x))
        assert (type(y), str(y), y.field, y.problem) == (RequestError, str(x), x.field, x.problem)
