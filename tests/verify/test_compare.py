"""Normalisers, comparison, images, controls, settings and report renderings (no kernel)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from nbbuild import code, md, nb
from PIL import Image

from nbkit.config import config_from_table
from nbkit.errors import ConfigError, UsageError
from nbkit.model import notebook_from_dict
from nbkit.verify import VerifySettings, settings_from_config
from nbkit.verify.compare import compare_items, make_diff, text_equal
from nbkit.verify.controls import (
    check_parameters,
    control_for,
    parse_shard,
    parse_value,
)
from nbkit.verify.images import compare_images
from nbkit.verify.normalize import apply_carriage_returns, mask_text, normalize_outputs
from nbkit.pin.drift import Drift
from nbkit.verify.plan import select_shard
from nbkit.verify.results import CellResult, NotebookResult, VerifyReport

S = VerifySettings()


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def data(mime_map, count=None, otype="execute_result"):
    o = {"output_type": otype, "data": mime_map, "metadata": {"isolated": True}}
    if otype == "execute_result":
        o["execution_count"] = count
    return o


def same(a, b, settings=S):
    return compare_items(normalize_outputs(a, settings), normalize_outputs(b, settings), settings).equal


# -- normalisers ------------------------------------------------------------------------

def test_execution_count_and_metadata_dropped():
    assert same([data({"text/plain": "3"}, count=1)], [data({"text/plain": "3"}, count=7)])
    s = VerifySettings()
    s.normalizers["execution-count"] = False
    assert not same([data({"text/plain": "3"}, count=1)], [data({"text/plain": "3"}, count=7)], s)


def test_streams_coalesced_and_interleaving_ignored():
    a = [stream("a\n"), stream("b\n"), stream("warn\n", "stderr")]
    b = [stream("a\n"), stream("warn\n", "stderr"), stream("b\n")]
    assert same(a, b)
    assert not same(a, [stream("a\nc\n"), stream("warn\n", "stderr")])


def test_guard_warnings_are_not_compared():
    warning = {"output_type": "display_data", "metadata": {"nbkit": {"guard": ["NBH001"]}},
               "data": {"text/plain": "nbkit guard: NBH001 this cell ran out of order"}}
    stored = [stream("1\n"), warning, stream("2\n")]
    assert same(stored, [stream("1\n2\n")])  # the warning was shown once, in the session
    # an ordinary display with other nbkit metadata is still compared
    other = {**warning, "metadata": {"nbkit": {"note": 1}}}
    assert not same([stream("1\n"), other], [stream("1\n")])
    s = VerifySettings()
    s.normalizers["guard-warnings"] = False
    assert not same(stored, [stream("1\n2\n")], s)


def test_carriage_returns_keep_last_progress_state():
    assert apply_carriage_returns("0%\r50%\r100%\ndone\n") == "100%\ndone\n"
    assert apply_carriage_returns("abc\x08\x08d\n") == "ad\n"
    tqdm_a = "\r  0%|          | 0/10 [00:00<?, ?it/s]\r 50%|#####     | 5/10 [00:01<00:01, 4.90it/s]" \
             "\r100%|##########| 10/10 [00:02<00:00, 4.95it/s]\n"
    tqdm_b = "\r  0%|          | 0/10 [00:00<?, ?it/s]\r100%|##########| 10/10 [00:00<00:00, 1234.56it/s]\n"
    assert same([stream(tqdm_a, "stderr")], [stream(tqdm_b, "stderr")])


@pytest.mark.parametrize("a, b", [
    ("<Foo object at 0x7f3a2c1d9e80>", "<Foo object at 0x55d0c0ffee00>"),
    ("saved to /tmp/tmpab12cd/out.csv", "saved to /tmp/tmpzz99yy/out.csv"),
    ("run at 2026-11-26T20:00:00Z", "run at 2027-01-02T03:04:05Z"),
    ("took 1.23 s", "took 0.98 s"),
    ("CPU times: user 3.2 ms, sys: 10 µs", "CPU times: user 1.1 ms, sys: 7 µs"),
    ("\x1b[31mred\x1b[0m", "red"),
])
def test_masks(a, b):
    assert mask_text(a, S) == mask_text(b, S)


def test_masks_are_switchable():
    s = VerifySettings()
    s.normalizers["memory-addresses"] = False
    assert mask_text("at 0x7f3a2c1d9e80", s) != mask_text("at 0x7f3a2c1d9e81", s)


def test_html_compared_through_text_plain():
    a = data({"text/html": "<table id='T_abc'>1</table>", "text/plain": "   x\n0  1"})
    b = data({"text/html": "<table id='T_xyz'>1</table>", "text/plain": "   x\n0  1"})
    assert same([a], [b])
    s = VerifySettings()
    s.normalizers["html-via-text"] = False
    assert not same([a], [b], s)


def test_errors_compared_by_name_and_message_not_traceback():
    e1 = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["File a.py, line 1"]}
    e2 = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["File b.py, line 9"]}
    e3 = {**e1, "evalue": "worse"}
    assert same([e1], [e2])
    cmp = compare_items(normalize_outputs([e1], S), normalize_outputs([e3], S), S)
    assert not cmp.equal and "ValueError: bad" in cmp.message and "worse" in cmp.message


def test_user_sanitizers_and_nbval_sanitize_file(tmp_path):
    f = tmp_path / "nbval.cfg"
    f.write_text("[run-ids]\nregex: run-\\d+\nreplace: run-N\n", encoding="utf-8")
    cfg = config_from_table({"verify": {"sanitize-file": "nbval.cfg",
                                         "sanitizers": [{"regex": "user=\\w+", "replace": "user=U"}]}},
                            str(tmp_path / "pyproject.toml"))
    s = settings_from_config(cfg)
    assert mask_text("run-42 user=ann", s) == mask_text("run-7 user=bob", s) == "run-N user=U"


# -- numbers ----------------------------------------------------------------------------

def test_float_tolerance():
    assert text_equal("loss 0.30000000000000004", "loss 0.3", 1e-6)
    assert text_equal("[1.0000001e-05, 2.5]", "[1.0000002e-05, 2.5]", 1e-6)
    assert not text_equal("loss 0.31", "loss 0.3", 1e-6)
    assert not text_equal("loss 0.30000000000000004", "loss 0.3", 0)  # 0 = exact
    assert not text_equal("n = 1000001", "n = 1000000", 1e-3)  # integers are exact
    assert not text_equal("acc 0.5 (train)", "acc 0.5 (test)", 1e-6)


def test_diff_is_readable_and_only_shows_real_differences():
    a = [stream("mean 0.30000000000000004\nacc 0.91\n")]
    b = [stream("mean 0.3\nacc 0.87\n")]
    cmp = compare_items(normalize_outputs(a, S), normalize_outputs(b, S), S)
    assert not cmp.equal and cmp.message == "printed output (stdout) differs"
    assert "-acc 0.91" in cmp.diff and "+acc 0.87" in cmp.diff
    assert "+mean" not in cmp.diff  # within tolerance: not shown as a change


def test_huge_diff_is_summarised_quickly():
    big = "x" * 5_000_000
    d = make_diff(big + "a", big + "b")
    assert "first difference at character 5,000,000" in d and len(d) < 1000


# -- images -----------------------------------------------------------------------------

def _png(arr) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _chart(ys, offset=0.0) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3), dpi=80)
    ax.plot([0, 1, 2, 3], [y + offset for y in ys], linewidth=2)
    ax.set_ylim(0, 5)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_images_same_chart_and_antialiasing_noise_pass():
    a = _chart([1, 2, 3, 4])
    assert compare_images(a, a).equal
    # the same line drawn a fraction of a pixel higher: only anti-aliased edges change
    shifted = _chart([1, 2, 3, 4], offset=0.004)
    assert shifted != a
    assert compare_images(a, shifted).equal
    # faint noise everywhere
    arr = np.asarray(Image.open(io.BytesIO(a)).convert("RGB")).astype(int)
    noisy = np.clip(arr + np.random.default_rng(0).integers(-6, 7, arr.shape), 0, 255)
    assert compare_images(a, _png(noisy)).equal


def test_images_different_chart_fails_with_diff_image():
    a, b = _chart([1, 2, 3, 4]), _chart([1, 2.5, 3, 4])
    d = compare_images(a, b)
    assert not d.equal and d.message.startswith("content changed: ") and "% differs" in d.message
    img = Image.open(io.BytesIO(d.diff_png))
    assert img.size == Image.open(io.BytesIO(a)).size
    px = np.asarray(img.convert("RGB"))
    assert ((px[..., 0] == 230) & (px[..., 1] == 0)).sum() > 100  # red marks where it changed


def test_image_outputs_compare_by_pixels_inside_cells():
    a, b = _chart([1, 2, 3, 4]), _chart([1, 2, 3, 4], offset=0.004)
    out = lambda raw: [data({"image/png": base64.b64encode(raw).decode(), "text/plain": "<Figure>"},
                            otype="display_data")]
    assert same(out(a), out(b))
    cmp = compare_items(normalize_outputs(out(a), S), normalize_outputs(out(_chart([2, 2, 2, 2])), S), S)
    assert not cmp.equal and cmp.mime == "image/png" and set(cmp.images) == {"expected", "actual", "diff"}


def test_image_size_change_is_compared_by_content():
    """Another size is no longer a mismatch by itself (tests/verify/test_images.py has real charts)."""
    a = _png(np.zeros((10, 10, 3)))
    b = _png(np.zeros((12, 10, 3)))
    d = compare_images(a, b)
    assert d.equal and d.note == ("same chart, rendered at a different size/dpi (10x10 -> 10x12); the figure's "
                                  "shape changed, so a coarse thumbnail was compared")
    white = _png(np.full((12, 10, 3), 255))
    d = compare_images(a, white)
    assert not d.equal and d.message.startswith("content changed: 100.00% differs")


# -- repr drift ---------------------------------------------------------------------------

@pytest.mark.parametrize("stored, fresh, note", [
    ("9", "np.int64(9)", "numpy 2 scalar repr"),
    ("5.0", "np.float64(5.0)", "numpy 2 scalar repr"),
    ("'a'", "np.str_('a')", "numpy 2 scalar repr"),
    ("True", "np.True_", "numpy 2 scalar repr"),
    ("(1, 2.5, False)", "(np.int64(1), np.float64(2.5), np.False_)", "numpy 2 scalar repr"),
    ("{'a': 3}", "{'a': np.int64(3)}", "numpy 2 scalar repr"),
    ("(1, 2.)", "np.void((1, 2.), dtype=[('a', '<i8'), ('b', '<f8')])", "numpy 2 scalar repr"),
    ("array([  1.5e+01,  -1.1e+00])", "array([ 1.5e+01, -1.1e+00])", "numpy array repr spacing"),
    ("$$\\left(x + \\pi\\right)^{2}$$", "$\\displaystyle \\left(x + \\pi\\right)^{2}$", "sympy latex repr"),
    ("$$\\mathrm{True}$$", "$\\displaystyle \\text{True}$", "sympy latex repr"),
    ("$$\\sin{\\left (a + b \\right )}$$", "$\\displaystyle \\sin{\\left(a + b \\right)}$", "sympy latex repr"),
    ("The slowest run took 8.86 times longer than the fastest.\n100000 loops, best of 3: 1.2 µs per loop\n",
     "1.21 µs ± 0.1 µs per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n", "IPython timeit format"),
    ("<3x4 sparse matrix of type '<class 'numpy.float64'>'\n\twith 5 stored elements in Compressed Sparse Row format>",
     "<Compressed Sparse Row sparse matrix of dtype 'float64'\n\twith 5 stored elements and shape (3, 4)>",
     "scipy sparse repr"),
    ("<matplotlib.axes._subplots.AxesSubplot at 0x7f3a2c1d5e10>", "<Axes: xlabel='month', ylabel='units'>",
     "matplotlib object repr"),
    ("<AxesSubplot:xlabel='month'>", "<Axes: xlabel='month'>", "matplotlib object repr"),
    ("<matplotlib.text.Text at 0x10b2c3d40>", "Text(0.5, 1.0, 'Monthly sales')", "matplotlib object repr"),
    ("<matplotlib.figure.Figure at 0x10b2c3d40>", "<Figure size 640x480 with 1 Axes>", "matplotlib object repr"),
    ("<Container object of 12 artists>", "<BarContainer object of 12 artists>", "matplotlib object repr"),
])
def test_repr_only_drift_matches_with_a_note(stored, fresh, note):
    cmp = compare_items(normalize_outputs([data({"text/plain": stored})], S),
                        normalize_outputs([data({"text/plain": fresh})], S), S)
    assert cmp.equal and cmp.note == note


@pytest.mark.parametrize("stored, fresh", [
    ("9", "np.int64(10)"),                                   # another value
    ("5.0", "np.float64(5.5)"),
    ("'a'", "np.str_('b')"),
    ("True", "np.False_"),
    ("0    a\ndtype: object", "0    a\ndtype: str"),         # pandas 3: another dtype
    ("Int64Index([1, 2], dtype='int64')", "Index([1, 2], dtype='int64')"),  # another type
    ("<3x4 sparse matrix of type '<class 'numpy.float64'>'\n\twith 5 stored elements in Compressed Sparse Row format>",
     "<Compressed Sparse Row sparse matrix of dtype 'float64'\n\twith 6 stored elements and shape (3, 4)>"),
    ("<3x4 sparse matrix of type '<class 'numpy.float64'>'\n\twith 5 stored elements in Compressed Sparse Row format>",
     "<Compressed Sparse Row sparse array of dtype 'float64'\n\twith 5 stored elements and shape (3, 4)>"),
    ("(np.int64(1), 2)", "(1, 3)"),
    ("array([  1.5e+01,  -1.1e+00])", "array([ 1.5e+01, -1.2e+00])"),
    ("a    b", "a b"),
    ("$$\\frac{4}{5}$$", "$\\displaystyle \\frac{4}{6}$"),
    ("$$\\sin{\\left (a \\right )}$$", "$\\displaystyle \\cos{\\left(a \\right)}$"),                                       # spacing outside a numpy array is not repr drift
])
def test_repr_drift_never_hides_a_changed_value_or_type(stored, fresh):
    cmp = compare_items(normalize_outputs([data({"text/plain": stored})], S),
                        normalize_outputs([data({"text/plain": fresh})], S), S)
    assert not cmp.equal and cmp.note is None


def test_repr_drift_can_be_switched_off_and_applies_to_streams():
    off = VerifySettings()
    off.normalizers["repr-drift"] = False
    assert not same([stream("x = 9\n")], [stream("x = np.int64(9)\n")], off)
    cmp = compare_items(normalize_outputs([stream("x = 9, y = 0.5\n")], S),
                        normalize_outputs([stream("x = np.int64(9), y = np.float64(0.5)\n")], S), S)
    assert cmp.equal and cmp.note == "numpy 2 scalar repr"
    exact = VerifySettings(rtol=0)  # 0. vs 0.0 only matters when numbers are compared exactly
    cmp = compare_items(normalize_outputs([stream("array 0. 1.\n")], exact),
                        normalize_outputs([stream("array 0.0 1.0\n")], exact), exact)
    assert cmp.equal and cmp.note == "numpy float repr (0. vs 0.0)"


def test_notes_reach_the_json_and_text_reports():
    import jsonschema
    from pathlib import Path

    from nbkit.report.verify_reports import render_text

    cells = [CellResult(i, None, "match", note="numpy 2 scalar repr") for i in (1, 3, 4)]
    cells += [CellResult(5, None, "match", note="same chart, rendered at a different size/dpi (10x10 -> 20x20)"),
              CellResult(6, None, "match"),
              CellResult(7, None, "match", note="same chart, rendered at a different size/dpi (10x10 -> 20x30); the "
                                                "figure's shape changed, so only its plot area was compared"),
              CellResult(8, None, "match", note="numpy 2 scalar repr; numpy float repr (0. vs 0.0)")]
    rep = VerifyReport([NotebookResult("a.ipynb", "reproducible", "5 cells reproduce", cells=cells)])
    doc = rep.to_dict()
    assert doc["notebooks"][0]["cells"][0]["note"] == "numpy 2 scalar repr"
    assert "note" not in doc["notebooks"][0]["cells"][4]
    schema = json.loads((Path(__file__).resolve().parents[2] / "nbkit" / "schemas" / "verify.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    text = render_text(rep)
    assert "note: 4 cells differ only by numpy 2 scalar repr (cells 1, 3, 4, 8)" in text
    assert "note: 2 cells show the same chart, rendered at a different size/dpi (cells 5, 7)" in text
    assert "note: 1 cell differs only by numpy float repr (cell 8)" in text
    assert text.count("numpy 2 scalar repr") == 1 and text.count("note: ") == 3
    # the HTML report and JUnit's system-out carry the same grouped lines
    from nbkit.report.verify_reports import render_html, render_junit

    page = render_html(rep)
    assert page.count("<ul class=\"notes\">") == 1
    assert "note: 4 cells differ only by numpy 2 scalar repr (cells 1, 3, 4, 8)" in page
    junit = ET.fromstring(render_junit(rep))
    case = junit.find(".//testcase")
    assert case.find("failure") is None
    assert "note: 2 cells show the same chart, rendered at a different size/dpi (cells 5, 7)" in case.find("system-out").text
    exact = VerifyReport([NotebookResult("b.ipynb", "reproducible", "ok", cells=[CellResult(1, None, "match")])])
    assert "class=\"notes\"" not in render_html(exact) and "system-out" not in render_junit(exact)


# -- controls ---------------------------------------------------------------------------

def _model(*cells):
    return notebook_from_dict(nb(*cells), "t.ipynb")


def test_controls_tags_and_nbval_markers():
    m = _model(code("x = 1", tags=["nbkit:skip"]), code("# NBVAL_IGNORE_OUTPUT\nprint(1)"),
               code("raise ValueError", tags=["raises-exception"]), code("# NBVAL_RAISES_EXCEPTION\n1/0"),
               code("y", tags=["skip-execution"]), code("z", tags=["nbval-ignore-output"]),
               code("# NBVAL_SKIP\nw"), code("a = 1", tags=["parameters"]))
    c = [control_for(x) for x in m.cells]
    assert c[0].skip and c[4].skip and c[6].skip
    assert c[1].ignore_output and c[5].ignore_output and not c[1].skip
    assert c[2].raises and c[3].raises
    assert c[7].parameters and not any([c[7].skip, c[7].raises, c[7].ignore_output])


def test_parameters_check_nbr023():
    m = _model(md("# T"), code("SEED = 1\nalpha: float = 0.5\nn, k = 2, 3", tags=["parameters"]))
    assert check_parameters(m, {"SEED": 3, "n": 1})[1] is None
    idx, msg = check_parameters(m, {"sed": 3})
    assert idx == 1 and msg.startswith("NBR023") and "sed" in msg and "SEED" in msg
    none = _model(code("x = 1"))
    assert "no cell tagged `parameters`" in check_parameters(none, {"x": 1})[1]
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5 and parse_value("True") is True
    assert parse_value("None") is None and parse_value("abc") == "abc"


def test_shard_is_a_deterministic_partition():
    paths = [f"nb{i:02d}.ipynb" for i in range(10)]
    shards = [select_shard(list(reversed(paths)), (i, 3)) for i in (1, 2, 3)]
    assert sorted(p for s in shards for p in s) == paths
    assert all(len(s) in (3, 4) for s in shards)
    assert shards[0] == select_shard(paths, (1, 3))
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(UsageError):
            parse_shard(bad)


# -- settings ---------------------------------------------------------------------------

def test_settings_validation():
    cfg = config_from_table({"verify": {"rtol": 0, "timeout": 30, "normalizers": {"timestamps": False}}}, "pp.toml")
    s = settings_from_config(cfg)
    assert s.rtol == 0 and s.timeout == 30 and not s.on("timestamps") and s.on("durations")
    for bad in ({"nosuch": 1}, {"normalizers": {"nosuch": True}}, {"rtol": -1}, {"jobs": 0},
                {"sanitizers": [{"regex": "("}]}, {"image-threshold": 2}):
        with pytest.raises(ConfigError) as e:
            settings_from_config(config_from_table({"verify": bad}, "pp.toml"))
        assert "pp.toml" in str(e.value)


def test_unknown_verify_key_is_exit_2_from_cli(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\nbogus = 1\n", encoding="utf-8")
    p = tmp_path / "a.ipynb"
    p.write_text(json.dumps(nb(md("# T"))), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "nbkit", "verify", str(p)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "bogus" in r.stderr and "Traceback" not in r.stderr


# -- reports ----------------------------------------------------------------------------

def _report():
    img = base64.b64encode(_png(np.zeros((4, 4, 3)))).decode()
    bad = NotebookResult("b.ipynb", "mismatch", "1 cell differs", 1.5, code="NBR021", cells=[
        CellResult(0, "c0", "match"),
        CellResult(1, "c1", "mismatch", "text/plain", "[stdout]\nacc 0.91\n", "[stdout]\nacc 0.87\n",
                   "--- expected\n+++ actual\n@@ -1,2 +1,2 @@\n [stdout]\n-acc 0.91\n+acc 0.87\n", "stdout differs"),
        CellResult(2, "c2", "mismatch", "image/png", "[image/png] <image>", "[image/png] <image 2>", "-a\n+b\n",
                   "image/png changed: 3.00% of pixels differ", {"expected": img, "actual": img, "diff": img})],
        drift=[Drift("numpy", "1.0.0", "2.4.6")])
    good = NotebookResult("a.ipynb", "reproducible", "2 cells reproduce", 0.5)
    return VerifyReport([good, bad, NotebookResult("c.ipynb", "invalid", "not valid JSON")])


def test_json_report_shape_and_exit_code():
    from nbkit.report.verify_reports import render_json

    rep = _report()
    d = json.loads(render_json(rep))
    assert d["schema"] == "nbkit.verify/2"
    assert d["summary"] == {"notebooks": 3, "reproducible": 1, "mismatch": 1, "failed": 0, "nondeterministic": 0,
                            "timeout": 0, "invalid": 1}
    cell = d["notebooks"][1]["cells"][1]
    assert {"index", "id", "status", "mime", "expected", "actual", "diff"} <= set(cell)
    assert "images" not in d["notebooks"][1]["cells"][2]  # images only in the html report
    import jsonschema
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[2] / "nbkit" / "schemas" / "verify.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(d, schema)
    jsonschema.validate(rep.to_dict(images=True), schema)
    assert rep.exit_code() == 2
    assert VerifyReport(rep.notebooks[:2]).exit_code() == 1
    assert VerifyReport(rep.notebooks[:1]).exit_code() == 0


def test_text_junit_html_reports():
    from nbkit.report.verify_reports import render_html, render_junit, render_text

    rep = _report()
    text = render_text(rep)
    assert "b.ipynb  mismatch" in text and "-acc 0.91" in text and "+acc 0.87" in text
    assert "drift: numpy pinned 1.0.0, installed 2.4.6" in text
    assert text.rstrip().endswith("3 notebooks verified: 1 reproducible, 1 mismatch, 1 invalid")
    root = ET.fromstring(render_junit(rep))
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["a.ipynb", "b.ipynb", "c.ipynb"]
    assert cases[0].find("failure") is None
    assert "+acc 0.87" in cases[1].find("failure").text
    assert cases[2].find("error") is not None
    page = render_html(rep)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page.split("<body>")[1]
    assert page.count("data:image/png;base64,") == 3
    assert "acc 0.91" in page and "acc 0.87" in page and "diff_sub" in page and "diff_add" in page


# -- runner paths that start no kernel --------------------------------------------------

def test_drift_reported_and_strict_env_fails(tmp_path):
    from nbkit.verify import VerifyOptions, verify_notebook

    env = {"python": "3.11.7", "packages": {"numpy": "0.0.1", "surely-not-installed-pkg": "1.0"}}
    p = tmp_path / "d.ipynb"
    p.write_text(json.dumps(nb(md("# T"), metadata={"nbkit": {"environment": env}})), encoding="utf-8")
    res = verify_notebook(p)
    assert res.status == "reproducible" and "NBR025" in res.message
    drift = {d.package: d for d in res.drift}
    assert drift["numpy"].pinned == "0.0.1" and drift["numpy"].installed
    assert drift["surely-not-installed-pkg"].installed is None
    assert res.to_dict()["drift"][1] == {"package": "surely-not-installed-pkg", "pinned": "1.0", "installed": None}
    strict = verify_notebook(p, VerifyOptions(strict_env=True))
    assert strict.status == "failed" and strict.code == "NBR025" and strict.exit_code() == 1


def test_kernel_that_cannot_start_is_exit_3(tmp_path):
    spec = tmp_path / "jp" / "kernels" / "broken"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": ["/nonexistent/python", "-f", "{connection_file}"],
                                                   "display_name": "Broken", "language": "python"}), encoding="utf-8")
    p = tmp_path / "k.ipynb"
    p.write_text(json.dumps(nb(code("1", count=1))), encoding="utf-8")
    before = p.read_bytes()
    r = subprocess.run([sys.executable, "-m", "nbkit", "verify", "--kernel", "broken", "--format", "json", str(p)],
                       capture_output=True, text=True, env={**__import__("os").environ, "JUPYTER_PATH": str(tmp_path / "jp")},
                       timeout=120)
    assert r.returncode == 3, r.stderr
    n = json.loads(r.stdout)["notebooks"][0]
    assert n["status"] == "failed" and n["machinery"] and "could not start" in n["message"]
    assert "Traceback" not in r.stderr and p.read_bytes() == before


def test_usage_errors_are_exit_2(tmp_path):
    p = tmp_path / "a.ipynb"
    p.write_text(json.dumps(nb(md("# T"))), encoding="utf-8")
    for args in (["--shard", "5/3"], ["--shard", "x"], ["-p", "1bad", "3"], ["-p", "a", "1", "-p", "a", "2"],
                 ["--runs", "0"]):
        r = subprocess.run([sys.executable, "-m", "nbkit", "verify", *args, str(p)], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip()


def test_importing_verify_starts_nothing_heavy():
    code_ = ("import sys, nbkit.verify, nbkit.cli.verify_cmd, nbkit.report.verify_reports\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('papermill', 'nbclient', 'jupyter_client', 'jupyter_server', 'IPython', 'zmq', 'nbformat')))")
    r = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True, timeout=60, check=True)
    assert r.stdout.strip() == "[]"


def test_config_strict_env_applies_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.nbkit.verify]\nstrict-env = true\n", encoding="utf-8")
    env = {"packages": {"surely-not-installed-pkg": "1.0"}}
    p = tmp_path / "d.ipynb"
    p.write_text(json.dumps(nb(md("# T"), metadata={"nbkit": {"environment": env}})), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "nbkit", "verify", str(p)], capture_output=True, text=True, cwd=tmp_path,
                       timeout=60)
    assert r.returncode == 1 and "environment drift (--strict-env)" in r.stdout
    assert "drift: surely-not-installed-pkg pinned 1.0, installed none" in r.stdout


def test_nbkit_report_magic_cells_are_run_but_not_compared():
    m = _model(code("%load_ext nbkit\n%nbkit status"), code("%nbkit lint"), code("%nbkit seed 7"),
               code("%nbkit env\nx = 1"), code("%nbkit?"), code("%nbkit verify analysis.ipynb"))
    c = [control_for(x) for x in m.cells]
    assert c[0].ignore_output and c[1].ignore_output and c[4].ignore_output and c[5].ignore_output
    assert not c[2].ignore_output  # seeding prints the same lines every run: compare it
    assert not c[3].ignore_output  # mixed with real code: compare it
    assert not any(x.skip for x in c)


# -- the normaliser registry, the request, the verdict's settings, --stamp -----------------

def test_normalisers_are_an_ordered_registry_that_settings_validate_against():
    from nbkit.verify import NORMALIZERS
    from nbkit.verify.normalize import STAGES, registered, steps

    regs = registered()
    assert tuple(n.name for n in regs) == NORMALIZERS and len(set(NORMALIZERS)) == len(NORMALIZERS)
    assert all(n.stage in STAGES and n.summary for n in regs)
    assert all(callable(n.step) for n in regs) and steps("compare", S) != []
    # within the text stage: the masks in order, then the user's sanitisers
    assert [n.name for n in steps("text", S)] == ["ansi", "durations", "timestamps", "memory-addresses", "cell-names",
                                                  "temp-paths", "sanitizers"]
    off = settings_from_config(config_from_table({"verify": {"normalizers": {"durations": False}}}, "pp.toml"))
    assert "durations" not in [n.name for n in steps("text", off)]
    with pytest.raises(ConfigError, match="unknown normalizer .*nope"):
        settings_from_config(config_from_table({"verify": {"normalizers": {"nope": False}}}, "pp.toml"))


def test_request_is_validated_once_with_one_message():
    from nbkit.errors import RequestError
    from nbkit.verify import VerifyOptions, VerifyRequest
    from nbkit.verify.request import check_parameter_names, check_timeout

    for bad in (float("nan"), -1, "10", True):
        with pytest.raises(RequestError, match="must be a positive number of seconds") as e:
            VerifyRequest.build(["a.ipynb"], VerifyOptions(timeout=bad))
        assert e.value.field == "timeout" and e.value.exit_code == 2
        assert e.value.message_for("'timeout'").startswith("'timeout' must be a positive number")
    assert check_timeout(0) is None and check_timeout(5) == 5.0
    assert check_timeout(float("inf")) is None  # infinity means no timeout (issue 11, item 11)
    with pytest.raises(RequestError):
        check_timeout(0, allow_zero=False)
    with pytest.raises(RequestError, match="may be at most 60 seconds"):
        check_timeout(61, maximum=60)
    with pytest.raises(RequestError, match="'1bad' is not an identifier"):
        VerifyRequest.build(["a.ipynb"], VerifyOptions(parameters={"1bad": 3}))
    with pytest.raises(RequestError, match="must be an object"):
        check_parameter_names([1])
    for field, opts in (("runs", VerifyOptions(runs=0)), ("jobs", VerifyOptions(jobs=0))):
        with pytest.raises(RequestError) as e:
            VerifyRequest.build(["a.ipynb"], opts)
        assert e.value.field == field
    req = VerifyRequest.build(["a.ipynb"], VerifyOptions(timeout=0, shard="2/3", parameters={"n": 1}))
    assert req.timeout is None and req.shard == (2, 3) and req.parameters == {"n": 1} and req.runs == "auto"  # issue 12: --runs auto by default


def test_failed_cell_output_is_normalised_with_the_users_settings():
    from types import SimpleNamespace

    from nbkit.verify.execute import CellRun
    from nbkit.verify.verdict import failure_result

    s = settings_from_config(config_from_table({"verify": {"sanitizers": [{"regex": "token-\\d+",
                                                                              "replace": "token-N"}]}}, "pp.toml"))
    err = {"output_type": "error", "ename": "KeyError", "evalue": "token-123",
           "traceback": ["Traceback", "KeyError: token-123"]}
    cr = failure_result(SimpleNamespace(index=3, id="c3"), CellRun(outputs=[err], status="error"), 0, s)
    assert cr.message == "raised KeyError: token-123"  # the message quotes the error as raised
    assert "token-N" in cr.actual and "token-123" not in cr.actual and "Traceback" in cr.actual


def test_stamp_writes_only_metadata_nbkit_and_keeps_every_other_byte(tmp_path):
    from nbkit.verify import VerifyOptions, verify_notebook

    p = tmp_path / "s.ipynb"
    doc = nb(md("# T"), metadata={"custom": {"eps": 1e-05, "name": "caf\u00e9"}})
    raw = json.dumps(doc, indent=2, ensure_ascii=True).replace("\n", "\r\n").encode()
    raw = raw.replace(b'"eps": 1e-05', b'"eps": 1E-5')  # a spelling re-serialising would change
    p.write_bytes(raw)
    res = verify_notebook(p, VerifyOptions(stamp=True))
    assert res.status == "reproducible" and res.stamped and not res.updated
    after = p.read_bytes()
    assert b'"eps": 1E-5' in after and b"\\u00e9" in after and after.count(b"\r\n") > raw.count(b"\r\n") - 1
    stamped = json.loads(after)
    assert stamped["metadata"]["nbkit"]["verified"]["status"] == "reproducible"
    del stamped["metadata"]["nbkit"]
    assert stamped == json.loads(raw)


def test_cli_discovers_once_and_sizes_its_progress_from_the_plan(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import nbkit.nbio
    from nbkit.cli import main as cli

    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(nb(md("# T"))), encoding="utf-8")
    calls = []
    real = nbkit.nbio.discover
    monkeypatch.setattr(nbkit.nbio, "discover", lambda *a, **k: calls.append(a) or real(*a, **k))
    r = CliRunner().invoke(cli, ["verify", "--shard", "1/2", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert len(calls) == 1
    assert "nbkit verify: [2/2]" in r.output and "[1/2]" in r.output  # 2 of the 3 notebooks in shard 1/2
