"""Measure the image comparison on real matplotlib charts (the numbers behind docs/verify.md, "Images").

One base chart (a line with markers, title, labels: 6x4 in at 72 dpi, the old inline default) is
compared with the same chart re-rendered (other dpi, other font hinting, other figure size) and
with charts whose content changed (a point moved, another colour, another title or label, an extra
point, a dashed line, a legend, another series), each also re-rendered at other sizes. For every
pair it prints what :func:`nbkit.verify.images.compare_images` says and the structure numbers, so
the thresholds in nbkit/verify/images.py can be checked to separate the two groups with margin.

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


def main() -> None:
    from nbkit.verify.images import WINDOW, _composite, _decode, _windows_max, compare_images, structure

    print("| group | pair | verdict | differing share | most in one window | message |\n|---|---|---|---|---|---|")
    wrong = 0
    for group, name, a, b in pairs():
        d = compare_images(a, b)
        s = structure(_composite(_decode(a)), _composite(_decode(b)))
        ok = d.equal == (group == "same")
        wrong += not ok
        print(f"| {group} | {name} | {'match' if d.equal else 'mismatch'}{'' if ok else ' (WRONG)'} | "
              f"{s.fraction:.4%} | {_windows_max(s.mask, WINDOW)} | {d.message} |", flush=True)
    print(f"\n{wrong} wrong")


if __name__ == "__main__":
    main()
