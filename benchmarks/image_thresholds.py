"""Measure the image comparison on real matplotlib charts (the numbers behind docs/verify.md, "Images").

One base chart (a line with markers, title, labels: 6x4 in at 72 dpi, the old inline default) is
compared with the same chart re-rendered (other dpi, other font hinting, other figure size) and
with charts whose content changed (a point moved, another colour, another title or label, an extra
point, a dashed line, a legend, another series), each also re-rendered at other sizes.

A second base figure models WhirlwindTourOfPython's 17-Figures cell 7 (five boxes holding the
digits 2 3 5 7 11 at 100 pt, labels 0..5 above and -5..-1 below, 10x4 in at 72 dpi): there a
newer matplotlib placed the big digits about 2 px higher, with a sibling font. It is compared
with the same figure re-rendered that way (the digits 1-3 pt higher or lower, at 100 dpi, with
forced autohinting, 2% smaller or larger as a sibling font's metrics would make them) and with
changes close to it (a digit changed, a box removed, a small label changed), each also at 100 dpi
and at 100 dpi with the digits 2 pt higher, and with the digits moved 4 px, further than the
re-alignment reaches.  The group ``font swap`` (the digits in DejaVu Sans, whose "1" has another
shape and width, in Liberation Mono or Liberation Sans, glyphs of another design) is reported but
not counted: whether that is the same figure is for a reader.

For every pair it prints what :func:`nbkit.verify.images.compare_images` says, what it said
before the local re-alignment (nbkit.verify.images._realigned) existed, and the structure numbers,
so the thresholds in nbkit/verify/images.py can be checked to separate the groups with margin.

    python benchmarks/image_thresholds.py            # needs matplotlib
"""

from __future__ import annotations

import io

import numpy as np

SAME = {
    "no hinting": dict(hinting="no_hinting"),
    "forced autohint": dict(hinting="force_autohint"),
    "dpi 100": dict(dpi=100),
    "dpi 144 (retina)": dict(dpi=144),
    "dpi 50": dict(dpi=50),
    "6.4x4.8 in at 100 dpi (new default)": dict(figsize=(6.4, 4.8), dpi=100),
    "8x6 in at 80 dpi (matplotlib 1)": dict(figsize=(8, 6), dpi=80),
    "9x4 in (wider)": dict(figsize=(9, 4)),
    "5x5 in at 100 dpi (square)": dict(figsize=(5, 5), dpi=100),
    "new default size, forced autohint": dict(figsize=(6.4, 4.8), dpi=100, hinting="force_autohint"),
}
CHANGED = {
    "one point moved": dict(data_shift=(7, 3)),
    "one point moved a little": dict(data_shift=(7, 1)),
    "colour C0 -> C1": dict(color="C1"),
    "colour C0 -> C3": dict(color="C3"),
    "title: word added": dict(title="Monthly sales 2"),
    "title: word changed": dict(title="Weekly sales"),
    "y label changed": dict(ylabel="euros"),
    "extra point": dict(extra_point=True),
    "dashed line": dict(style="--"),
    "legend added": dict(legend=True),
    "another series": dict(series="cos"),
}
RENDERINGS = {"same size": {}, "forced autohint": dict(hinting="force_autohint"), "dpi 144": dict(dpi=144),
              "new default size": dict(figsize=(6.4, 4.8), dpi=100), "matplotlib 1 size": dict(figsize=(8, 6), dpi=80)}


BOX_SAME = {
    "digits 1 pt higher": dict(offset=1),
    "digits 2 pt higher": dict(offset=2),
    "digits 3 pt higher": dict(offset=3),
    "dpi 100": dict(dpi=100),
    "dpi 100, digits 2 pt higher (17-Figures)": dict(dpi=100, offset=2),
    "dpi 100, digits 3 pt lower": dict(dpi=100, offset=-3),
    "dpi 100, forced autohint, digits 2 pt higher": dict(dpi=100, offset=2, hinting="force_autohint"),
    "digits 2% smaller (98 pt), 2 pt higher": dict(digit_size=98, offset=2),
    "dpi 100, digits 2% larger (102 pt), 2 pt higher": dict(dpi=100, digit_size=102, offset=2),
}
BOX_FONT_SWAP = {
    "digits in DejaVu Sans": dict(digit_family="DejaVu Sans"),
    "dpi 100, digits 2 pt higher in DejaVu Sans": dict(dpi=100, offset=2, digit_family="DejaVu Sans"),
    "digits in Liberation Mono": dict(digit_family="Liberation Mono"),
    "dpi 100, all text in Liberation Mono": dict(dpi=100, family="Liberation Mono", digit_family="Liberation Mono"),
    "digits in Liberation Sans": dict(digit_family="Liberation Sans"),
}
BOX_CHANGED = {
    "digit 7 -> 1": dict(digits=(2, 3, 5, 1, 11)),
    "digit 11 -> 17": dict(digits=(2, 3, 5, 7, 17)),
    "digit 3 -> 8": dict(digits=(2, 8, 5, 7, 11)),
    "digit 5 -> 6": dict(digits=(2, 3, 6, 7, 11)),
    "last box removed": dict(boxes=4),
    "last box and digit removed": dict(boxes=4, digits=(2, 3, 5, 7)),
    "label 5 -> 6 (20 pt)": dict(top=(0, 1, 2, 3, 4, 6)),
    "label 1 -> 7 (20 pt)": dict(top=(0, 7, 2, 3, 4, 5)),
}
BOX_MOVED = {  # further than the re-alignment reaches (2 px and the 3x3 neighbourhood's 1): like a moved object
    "digits 4 pt higher": dict(offset=4),
    "dpi 100, digits 4 pt higher": dict(dpi=100, offset=4),
}
BOX_RENDERINGS = {"same size": {}, "dpi 100": dict(dpi=100), "dpi 100, digits 2 pt higher": dict(dpi=100, offset=2)}


def boxes(dpi=72, digits=(2, 3, 5, 7, 11), family="DejaVu Sans Mono", digit_family=None, offset=0.0,
          top=(0, 1, 2, 3, 4, 5), boxes=5, hinting=None, digit_size=100) -> bytes:
    """17-Figures cell 7's figure; ``offset`` moves the big digits up (points), as a newer
    matplotlib's text layout did."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import offset_copy

    rc = {"text.hinting": hinting, "text.hinting_factor": 1} if hinting else {}
    with plt.rc_context(rc):
        fig = plt.figure(figsize=(10, 4), dpi=dpi)
        ax = fig.add_axes([0, 0, 1, 1], xticks=[], yticks=[], frameon=False, aspect="equal")
        moved = offset_copy(ax.transData, fig=fig, y=offset, units="points")
        for i in range(boxes):
            ax.add_patch(plt.Rectangle((i - 0.5, -0.5), 1, 1, fc="none", ec="black"))
        for i, d in enumerate(digits):
            ax.text(i, -0.05, str(d), size=digit_size, ha="center", va="center", family=digit_family or family,
                    transform=moved)
        for i, t in enumerate(top):
            ax.text(i - 0.5, 0.55, str(t), size=20, ha="center", va="bottom", family=family)
        for i in range(5):
            ax.text(i - 0.5, -0.58, str(-5 + i), size=20, ha="center", va="top", family=family)
        ax.axis([-0.7, 4.7, -0.7, 0.7])
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
    return buf.getvalue()


def chart(figsize=(6, 4), dpi=72, title="Monthly sales", color="C0", ylabel="units", data_shift=None,
          extra_point=False, style="-", legend=False, series="sin", hinting=None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rc = {"text.hinting": hinting, "text.hinting_factor": 1} if hinting else {}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
        x = np.arange(12)
        y = (np.sin(x / 2) if series == "sin" else np.cos(x / 2)) * 10 + 20
        if data_shift is not None:
            y = y.copy()
            y[data_shift[0]] += data_shift[1]
        ax.plot(x, y, style, color=color, label="sales")
        ax.scatter(x, y, color=color, s=12)
        if extra_point:
            ax.scatter([5.5], [25], color=color, s=12)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("month")
        if legend:
            ax.legend()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
    return buf.getvalue()


def pairs():
    """(group, name, expected PNG, actual PNG): group "same" must match, "changed" must not."""
    base = chart()
    for name, kw in SAME.items():
        yield "same", name, base, chart(**kw)
    for name, kw in CHANGED.items():
        for rname, rkw in RENDERINGS.items():
            yield "changed", f"{name}, {rname}", base, chart(**{**kw, **rkw})
    base = boxes()
    for name, kw in BOX_SAME.items():
        yield "same", f"boxes: {name}", base, boxes(**kw)
    for name, kw in BOX_FONT_SWAP.items():
        yield "font swap", f"boxes: {name}", base, boxes(**kw)
    for name, kw in BOX_MOVED.items():
        yield "changed", f"boxes: {name}", base, boxes(**kw)
    for name, kw in BOX_CHANGED.items():
        for rname, rkw in BOX_RENDERINGS.items():
            yield "changed", f"boxes: {name}, {rname}", base, boxes(**{**kw, **rkw})


def main() -> None:
    import time

    from nbkit.verify.images import WINDOW, _composite, _decode, _windows_max, compare_images, structure

    print("| group | pair | verdict | before re-alignment | differing share | most in one window | "
          "re-aligned: most in one window, shift | message |\n|---|---|---|---|---|---|---|---|")
    wrong, flipped, times, aligned_times = 0, [], [], []
    for group, name, a, b in pairs():
        start = time.perf_counter()
        d = compare_images(a, b)
        took = time.perf_counter() - start
        s = structure(_composite(_decode(a)), _composite(_decode(b)))
        before = d.equal and s.aligned is None   # without the re-alignment, a match that needed it was a mismatch
        ok = group == "font swap" or d.equal == (group == "same")
        wrong += not ok
        times.append(took)
        if s.aligned is not None:
            aligned_times.append(took)
        if before != d.equal:
            flipped.append(f"{group}: {name}")
        realigned = f"{_windows_max(s.aligned, WINDOW)}, {s.shift} px" if s.aligned is not None else "-"
        print(f"| {group} | {name} | {'match' if d.equal else 'mismatch'}{'' if ok else ' (WRONG)'} | "
              f"{'match' if before else 'mismatch'} | {s.fraction:.4%} | {_windows_max(s.mask, WINDOW)} | "
              f"{realigned} | {d.message} |", flush=True)
    print(f"\n{wrong} wrong (the font swap group is not counted)")
    print(f"\nverdicts the re-alignment changed (mismatch -> match): {len(flipped)}: " + "; ".join(flipped))
    times.sort()
    print(f"\ncompare_images per pair: median {times[len(times) // 2] * 1000:.0f} ms, most {times[-1] * 1000:.0f} ms; "
          f"pairs that needed the re-alignment: {len(aligned_times)}, most {max(aligned_times, default=0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
