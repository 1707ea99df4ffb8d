"""Images: a chart re-rendered (other dpi, other font hinting, other figure size, text placed a
pixel or two differently) matches with a note; a chart whose content changed (a point, a colour,
a title, a legend, an extra point, a digit) does not, across the same re-renderings. Real
matplotlib charts (matplotlib is in the test extra); the same pairs, and more, are measured by
benchmarks/image_thresholds.py (docs/verify.md)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
import pytest
from PIL import Image

from nbkit.config import config_from_table
from nbkit.errors import ConfigError
from nbkit.verify import VerifySettings, settings_from_config
from nbkit.verify.compare import compare_items
from nbkit.verify.images import compare_images, plot_frame, _composite, _decode
from nbkit.verify.normalize import normalize_outputs

OLD = dict(figsize=(6, 4), dpi=72)             # IPython's old inline default
NEW = dict(figsize=(6.4, 4.8), dpi=100)        # matplotlib's default since 2.0


@lru_cache(maxsize=None)
def chart(figsize=(6, 4), dpi=72, title="Monthly sales", color="C0", shift=0.0, extra=False, legend=False,
          series="sin", hinting=None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rc = {"text.hinting": hinting, "text.hinting_factor": 1} if hinting else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
        x = np.arange(12)
        y = (np.sin(x / 2) if series == "sin" else np.cos(x / 2)) * 10 + 20
        y[7] += shift
        ax.plot(x, y, color=color, label="sales")
        ax.scatter(x, y, color=color, s=12)
        if extra:
            ax.scatter([5.5], [25], color=color, s=12)
        ax.set_title(title)
        ax.set_xlabel("month")
        ax.set_ylabel("units")
        if legend:
            ax.legend()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
    return buf.getvalue()


def _size(raw: bytes) -> str:
    w, h = Image.open(io.BytesIO(raw)).size
    return f"{w}x{h}"


@pytest.mark.parametrize("kw", [dict(dpi=144), dict(dpi=100), dict(dpi=50), NEW, dict(figsize=(9, 4)),
                                dict(hinting="no_hinting")],
                         ids=["retina", "dpi-100", "dpi-50", "new-default-size", "wider", "no-hinting"])
def test_same_chart_rerendered_matches_with_a_note(kw):
    base, other = chart(**OLD), chart(**{**OLD, **kw})
    assert base != other
    d = compare_images(base, other)
    assert d.equal, d.message
    assert d.note and d.note.startswith("same chart")
    if _size(base) != _size(other):
        assert f"({_size(base)} -> {_size(other)})" in d.note and "different size/dpi" in d.note


CHANGES = {"point moved": dict(shift=2.0), "colour": dict(color="C1"), "extra point": dict(extra=True),
           "legend": dict(legend=True), "other series": dict(series="cos")}


@pytest.mark.parametrize("rendering", [{}, dict(dpi=144), NEW, dict(hinting="no_hinting")],
                         ids=["same-size", "retina", "new-default-size", "no-hinting"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_changed_chart_is_content_changed_across_renderings(change, rendering):
    base, other = chart(**OLD), chart(**{**OLD, **CHANGES[change], **rendering})
    d = compare_images(base, other)
    assert not d.equal, d.message
    assert d.message.startswith("content changed: ") and "% differs" in d.message
    px = np.asarray(Image.open(io.BytesIO(d.diff_png)).convert("RGB"))
    assert ((px[..., 0] == 230) & (px[..., 1] == 0)).sum() > 0  # the change is marked in red


@pytest.mark.parametrize("rendering", [{}, dict(dpi=144)], ids=["same-size", "retina"])
def test_changed_title_is_caught_when_the_figure_keeps_its_shape(rendering):
    d = compare_images(chart(**OLD), chart(**{**OLD, "title": "Weekly sales", **rendering}))
    assert not d.equal and d.message.startswith("content changed")


@lru_cache(maxsize=None)
def boxes(dpi=72, digits=(2, 3, 5, 7, 11), family="DejaVu Sans Mono", raise_pt=0.0, top=(0, 1, 2, 3, 4, 5),
          hinting=None) -> bytes:
    """WhirlwindTourOfPython's 17-Figures cell 7: five boxes holding big digits, small labels above
    and below; ``raise_pt`` moves the big digits up, as a newer matplotlib's text layout did."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import offset_copy

    rc = {"text.hinting": hinting, "text.hinting_factor": 1} if hinting else {}
    with plt.rc_context(rc):
        fig = plt.figure(figsize=(10, 4), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1), xticks=[], yticks=[], frameon=False, aspect="equal")
        raised = offset_copy(ax.transData, fig=fig, y=raise_pt, units="points")
        for i, d in enumerate(digits):
            ax.add_patch(plt.Rectangle((i - 0.5, -0.5), 1, 1, fc="none", ec="black"))
            ax.text(i, -0.05, str(d), size=100, ha="center", va="center", family=family, transform=raised)
        for i, t in enumerate(top):
            ax.text(i - 0.5, 0.55, str(t), size=20, ha="center", va="bottom", family=family)
        for i in range(5):
            ax.text(i - 0.5, -0.58, str(-5 + i), size=20, ha="center", va="top", family=family)
        ax.axis((-0.7, 4.7, -0.7, 0.7))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
    return buf.getvalue()


@pytest.mark.parametrize("kw", [dict(raise_pt=2), dict(raise_pt=3), dict(dpi=100, raise_pt=2),
                                dict(dpi=100, raise_pt=-3), dict(dpi=100, raise_pt=2, hinting="force_autohint")],
                         ids=["2pt-higher", "3pt-higher", "dpi-100-2pt-higher", "dpi-100-3pt-lower",
                              "dpi-100-autohint-2pt-higher"])
def test_text_placed_a_few_pixels_differently_matches_with_a_note(kw):
    """17-Figures: today's matplotlib draws the big digits about 2 px higher (and at 100 dpi): no
    single shift of the whole image undoes that, the tile-by-tile re-alignment does."""
    base, other = boxes(), boxes(**kw)
    from nbkit.verify.images import ALIGN_SHIFT, structure

    s = structure(_composite(_decode(base)), _composite(_decode(other)))
    assert s.aligned is not None and 1 <= s.shift <= ALIGN_SHIFT   # without the re-alignment this looked changed
    d = compare_images(base, other)
    assert d.equal, d.message
    assert f"text or marks placed up to {s.shift} px differently" in d.note
    if "dpi" in kw:
        assert d.note.startswith(f"same chart, rendered at a different size/dpi ({_size(base)} -> {_size(other)}, ")
    else:
        assert d.note == f"same chart, re-rendered (text or marks placed up to {s.shift} px differently)"


@pytest.mark.parametrize("rendering", [{}, dict(dpi=100), dict(dpi=100, raise_pt=2)],
                         ids=["same-size", "dpi-100", "dpi-100-2pt-higher"])
@pytest.mark.parametrize("digits", [(2, 3, 5, 1, 11), (2, 3, 5, 7, 17), (2, 8, 5, 7, 11)],
                         ids=["7-to-1", "11-to-17", "3-to-8"])
def test_a_changed_digit_in_the_boxes_figure_is_content_changed(digits, rendering):
    d = compare_images(boxes(), boxes(digits=digits, **rendering))
    assert not d.equal and d.message.startswith("content changed: "), d.message


@pytest.mark.parametrize("rendering", [{}, dict(dpi=100)], ids=["same-size", "dpi-100"])
def test_digits_moved_further_than_the_realignment_reaches_are_content_changed(rendering):
    """4 pt at 72 dpi: 4 px, beyond the shift (2 px) and the 3x3 neighbourhood (1 px)."""
    d = compare_images(boxes(), boxes(raise_pt=4, **rendering))
    assert not d.equal and d.message.startswith("content changed: "), d.message


def test_a_changed_small_label_is_not_explained_by_a_shift():
    """A label at 20 pt changed (5 -> 6, 1 -> 7): a smudge once blurred, which a shift can line up;
    the sharp images cannot be, so the re-alignment refuses it."""
    for top in ((0, 1, 2, 3, 4, 6), (0, 7, 2, 3, 4, 5)):
        d = compare_images(boxes(), boxes(top=top))
        assert not d.equal and d.message.startswith("content changed: "), (top, d.message)


def test_plot_frame_is_the_axes_box():
    rgb = _composite(_decode(chart(**OLD)))
    top, bottom, left, right = plot_frame(rgb)
    h, w = rgb.shape[:2]
    assert 0 < top < h * 0.2 and h * 0.7 < bottom < h and 0 < left < w * 0.3 and w * 0.8 < right < w
    assert plot_frame(np.full((50, 80, 3), 255, dtype=np.int16)) is None


def test_image_resize_mismatch_setting():
    base, other = chart(**OLD), chart(**{**OLD, "dpi": 144})
    d = compare_images(base, other, resize="mismatch")
    assert not d.equal and "different size/dpi" in d.message and 'image-resize = "mismatch"' in d.message
    s = settings_from_config(config_from_table({"verify": {"image-resize": "mismatch"}}, "pp.toml"))
    assert s.image_resize == "mismatch"
    out = lambda raw: [{"output_type": "display_data", "metadata": {},
                        "data": {"image/png": base64.b64encode(raw).decode(), "text/plain": "<Figure>"}}]
    cmp = compare_items(normalize_outputs(out(base), s), normalize_outputs(out(other), s), s)
    assert not cmp.equal and cmp.mime == "image/png" and set(cmp.images) == {"expected", "actual", "diff"}
    default = VerifySettings()
    cmp = compare_items(normalize_outputs(out(base), default), normalize_outputs(out(other), default), default)
    assert cmp.equal and cmp.note.startswith("same chart, rendered at a different size/dpi")
    with pytest.raises(ConfigError) as e:
        settings_from_config(config_from_table({"verify": {"image-resize": "maybe"}}, "pp.toml"))
    assert "pp.toml" in str(e.value) and "image-resize" in str(e.value)


def _png(arr) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _formula(png: bytes | None, latex: str = "$\\displaystyle x^{2} + y^{3}$") -> list[dict]:
    data = {"text/latex": [latex], "text/plain": [" 2    3\n", "x  + y "]}
    if png is not None:
        data["image/png"] = base64.b64encode(png).decode()
    return [{"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": data}]


def test_formula_with_identical_latex_is_the_same_output_whatever_its_png():
    """nbval's labelled sample test-latex-pass-correctouput: SymPy's output carries text/latex and a
    PNG rendering of it; the stored PNG came from another LaTeX/fonts, or today's run has none."""
    s = VerifySettings()
    stored = normalize_outputs(_formula(_png(np.zeros((26, 70, 3)))), s)
    for fresh in (_formula(_png(np.full((30, 90, 3), 255))), _formula(None)):
        assert compare_items(stored, normalize_outputs(fresh, s), s).equal
    changed = compare_items(stored, normalize_outputs(_formula(None, "$\\displaystyle x^{3} + y^{3}$"), s), s)
    assert not changed.equal and changed.mime == "text/latex"
    # switched off, the PNG is compared again
    off = VerifySettings()
    off.normalizers["image-via-text"] = False
    assert not compare_items(normalize_outputs(_formula(_png(np.zeros((26, 70, 3)))), off),
                             normalize_outputs(_formula(_png(np.full((26, 70, 3), 255))), off), off).equal


@pytest.mark.kernel
def test_real_kernel_rerendered_chart_and_numpy_scalars_reproduce_with_notes(tmp_path):
    """End to end in a real kernel: a chart stored at 60 dpi, re-run at 120 dpi, and numpy 2 scalars
    whose stored outputs came from numpy 1, reproduce with notes; a changed value does not."""
    import json

    from nbbuild import code, nb, result, write

    from nbkit.report.verify_reports import render_text
    from nbkit.verify import VerifyOptions, verify_notebook
    from nbkit.verify.results import VerifyReport

    plot = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 3), dpi={dpi})\n"
            "ax.plot([0, 1, 2, 3], [1, 3, 2, 4])\nax.set_title('sales')\nplt.show()")
    first = write(tmp_path / "a.ipynb", nb(code(plot.format(dpi=60), count=1)))
    assert verify_notebook(first, VerifyOptions(update=True, timeout=60)).updated
    stored = json.loads(first.read_text(encoding="utf-8"))
    stored["cells"][0]["source"] = plot.format(dpi=120)
    stored["cells"] += [code("import numpy as np\nnp.int64(9), np.float64(0.5)", count=2, outputs=[result("(9, 0.5)", 2)]),
                        code("np.int64(7)", count=3, outputs=[result("7", 3)]),
                        code("np.int64(10)", count=4, outputs=[result("9", 4)])]
    path = write(tmp_path / "b.ipynb", stored)
    res = verify_notebook(path, VerifyOptions(timeout=60, runs=1))
    cells = {c.index: c for c in res.cells}
    assert cells[0].status == "match" and cells[0].note.startswith("same chart, rendered at a different size/dpi (")
    assert cells[1].status == "match" and cells[1].note == "numpy 2 scalar repr"
    assert cells[2].status == "match" and cells[2].note == "numpy 2 scalar repr"
    assert cells[3].status == "mismatch" and res.status == "mismatch"
    text = render_text(VerifyReport([res]))
    assert "note: 2 cells differ only by numpy 2 scalar repr (cells 1, 2)" in text
    assert "note: 1 cell shows the same chart, rendered at a different size/dpi (cell 0)" in text
