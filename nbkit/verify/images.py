"""Images compared by content: re-rendered is not changed.

Two stages.  First the pixels, when both images have the same size: a pixel *differs* when
some colour channel moved by more than ``threshold`` (0-1), the difference survives a 3x3 blur
(blended anti-aliased edges do not), and it is not explained by a one-pixel shift.  When no
pixel differs the images are equal.

Otherwise the structure (:func:`structure`): both images are composited over white and
rescaled to a common size, then

- *same aspect ratio* (a dpi change, a re-rendering with other font hinting): both are blurred
  (Gaussian, radius ``BLUR``) at the smaller image's size; a pixel differs when a channel differs
  by more than ``LEVEL``/255 from every pixel of the other image's 3x3 neighbourhood.  The chart
  changed when the differing pixels are concentrated (``LIMIT`` or more in some ``WINDOW`` x
  ``WINDOW`` window: an extra point, a changed word, a moved line) or many (more than
  ``tolerance`` of all pixels, ``image-tolerance``, default 0.0005); re-rendering noise is
  thin and scattered along glyph and line edges.  A pair that looks changed is then re-aligned
  locally (:func:`_realigned`): a newer matplotlib may lay text out again a pixel or two away
  (another baseline, a sibling font), object by object, which no shift of the whole image
  undoes.  Each ``ALIGN_TILE`` tile holding differing pixels may shift by up to ``ALIGN_SHIFT``
  pixels either way; the chart is the same when, so re-aligned, no window holds ``LIMIT``
  differing pixels, at most ``tolerance`` of all pixels differ, and the shifts also explain the
  sharp images (at most ``ALIGN_LEFT`` of their differing pixels left: a moved glyph lines up
  sharp, a changed word in small text, a smudge once blurred, does not).  A changed digit or
  word, an extra or removed mark, a new colour, anything moved further than the shift still
  differs;
- *another aspect ratio* (another figure size: titles and tick labels keep their size in points
  while the axes grow, so the layouts do not line up pixel for pixel): the plot area is found
  in both (the frame of long dark lines that matplotlib's axes spines draw), and the insides of
  the two frames, where data coordinates map linearly to pixels whatever the figure size, are
  cut to the box around what they draw (so axis margins, which matplotlib 2 added, do not shift
  the data) and compared like a same-aspect pair, without the re-alignment (inside the plot
  area a displacement is data moving, or another style's thicker lines).  Titles and axis
  labels, outside the frame, are not compared then.  Without a frame in both images, both are shrunk to
  ``COARSE_SIDE`` pixels on their long side and compared without blur; the chart changed when
  some ``COARSE_WINDOW`` x ``COARSE_WINDOW`` window holds ``COARSE_LIMIT`` or more differing
  pixels (a moved line, a new colour), not for scattered text differences.

The thresholds were chosen from measurements on real matplotlib charts (benchmarks/image_thresholds.py;
the numbers are in docs/verify.md, "Images").  The result says which it was: identical,
"same chart, re-rendered" (a match, with a note), "same chart, rendered at a different
size/dpi (WxH -> WxH)" (a match with a note, or a mismatch with ``image-resize = "mismatch"``),
either with "text or marks placed up to N px differently" in the parentheses when the
re-alignment was needed, or "content changed: N% differs" with a difference image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass


RESIZE_MODES = ("match", "mismatch")  # what "same chart at another size" means: [tool.nbkit.verify] image-resize

BLUR = 1.5                # Gaussian radius (pixels at the common size) before comparing structure
LEVEL = 50                # a channel difference (0-255) beyond every 3x3 neighbour counts ...
WINDOW = 8
LIMIT = 8                 # ... and this many in one WINDOW x WINDOW window mean the content changed
ASPECT_SLACK = 0.03       # aspect ratios within 3% of each other are the same figure shape
BOX_INSET = 3             # pixels inside the frame left out (the spines themselves)
TICK_BAND = 6             # then a band this wide along the frame (inward tick marks) is left out of ...
INK = 230                 # ... the box around what the plot area draws (any channel below this)
COARSE_SIDE = 96          # long side (pixels) both images are shrunk to across a figure-size change
COARSE_LEVEL = 30
COARSE_WINDOW = 6
COARSE_LIMIT = 4          # differing pixels in one COARSE_WINDOW^2 window that mean a change
ALIGN_TILE = 32           # a changed-looking structure is re-aligned in tiles this big (at the common size) ...
ALIGN_SHIFT = 2           # ... each shifted by up to this many pixels either way, vertically and horizontally
ALIGN_BLUR = 0.5          # the shift is also judged on images this little blurred (the glyphs themselves) ...
ALIGN_LEFT = 1 / 3        # ... and must leave at most this share of their differing pixels
ALIGN_BATCH = 16          # tiles re-aligned at once, the most differing first (a real change stops the search early)


@dataclass
class ImageDiff:
    equal: bool
    message: str
    fraction: float = 0.0       # share of pixels that differ
    diff_png: bytes | None = None  # the expected image faded, differing pixels in red
    note: str | None = None     # why an equal image is not byte-identical (re-rendered, resized)


def _decode(raw: bytes):
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(raw)) as im:
        im.load()
        return np.asarray(im.convert("RGBA"), dtype=np.int16)


def _composite(a):
    """RGBA over white -> RGB, so transparent pixels of any colour compare equal."""
    import numpy as np

    alpha = a[..., 3:4].astype(np.int32)
    rgb = a[..., :3].astype(np.int32)
    return ((rgb * alpha + 255 * (255 - alpha)) // 255).astype(np.int16)


def _box(a):
    """3x3 box blur."""
    import numpy as np

    h, w, _ = a.shape
    p = np.pad(a.astype(np.int32), ((1, 1), (1, 1), (0, 0)), mode="edge")
    return sum(p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)) // 9


def _neighbour_min(a, b):
    """For each pixel of ``a``: the smallest max-channel distance to b's 3x3 neighbourhood."""
    import numpy as np

    h, w, _ = a.shape
    first = np.ascontiguousarray(np.moveaxis(a, 2, 0))   # channels first: a maximum over 3 planes, not over
    pad = np.ascontiguousarray(np.moveaxis(np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge"), 2, 0))  # a short last axis
    best = None
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            c = np.abs(first - pad[:, dy:dy + h, dx:dx + w])
            d = np.maximum(np.maximum(c[0], c[1]), c[2])
            best = d if best is None else np.minimum(best, d)
    return best


def compare_images(expected: bytes, actual: bytes, threshold: float = 0.1, tolerance: float = 0.0005,
                   resize: str = "match") -> ImageDiff:
    if expected == actual:
        return ImageDiff(True, "identical")
    try:
        a, b = _decode(expected), _decode(actual)
    except Exception as e:
        return ImageDiff(False, f"image could not be decoded ({type(e).__name__}); compared as bytes: different")
    import numpy as np

    ca, cb = _composite(a), _composite(b)
    if a.shape == b.shape:
        limit = threshold * 255
        direct = np.abs(ca - cb).max(axis=2) > limit
        if not direct.any():
            return ImageDiff(True, "pixels within threshold")
        differs = direct & (np.abs(_box(ca) - _box(cb)).max(axis=2) > limit)
        if differs.any():
            differs &= (_neighbour_min(ca, cb) > limit) | (_neighbour_min(cb, ca) > limit)
        if not differs.any():
            return ImageDiff(True, "only anti-aliasing noise differs")
        # a few differing pixels may be a re-rendering or a small change (an extra point): the structure decides
    s = structure(ca, cb, tolerance)
    sizes = f"{a.shape[1]}x{a.shape[0]} -> {b.shape[1]}x{b.shape[0]}"
    if s.changed:
        where = "" if a.shape == b.shape else f"; sizes {sizes}"
        return ImageDiff(False, f"content changed: {s.fraction:.2%} differs ({s.how}{where})", s.fraction,
                         diff_image(s.base, s.mask))
    placed = f"text or marks placed up to {s.shift} px differently" if s.aligned is not None else ""
    fraction = s.fraction if s.aligned is None else s.left   # what differs once re-aligned
    if a.shape == b.shape:
        note = f"same chart, re-rendered ({placed or 'anti-aliasing, font hinting'})"
        return ImageDiff(True, note, fraction, note=note)
    note = f"same chart, rendered at a different size/dpi ({sizes}{', ' + placed if placed else ''})"
    if s.scope:
        note += f"; the figure's shape changed, so {s.scope} was compared"
    if resize == "mismatch":
        return ImageDiff(False, note + " (image-resize = \"mismatch\")", fraction, diff_image(s.base, s.mask))
    return ImageDiff(True, note, fraction, note=note)


@dataclass
class Structure:
    changed: bool
    fraction: float     # share of differing pixels at the common size (before any re-alignment)
    how: str            # which comparison, for the message
    scope: str          # what was compared, when not the whole image (for the note)
    base: object        # the expected image at the common size (for the difference image)
    mask: object        # the differing pixels at the common size
    aligned: object = None  # the differing pixels once re-aligned tile by tile (:func:`_realigned`), if a match
    shift: int = 0      # the largest shift (pixels at the common size) the re-alignment used
    left: float = 0.0   # the share of pixels still differing once re-aligned


def _resized(rgb, size: tuple[int, int], blur: float = 0.0):
    import numpy as np
    from PIL import Image, ImageFilter

    im = Image.fromarray(rgb.astype(np.uint8), "RGB")
    if im.size != size:
        im = im.resize(size, Image.Resampling.LANCZOS)
    if blur:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(im, dtype=np.int16)


def _windows_max(mask, k: int) -> int:
    """The most ``True`` pixels any k x k window of ``mask`` holds."""
    import numpy as np

    c = np.pad(mask.astype(np.int32), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    if c.shape[0] <= k or c.shape[1] <= k:
        return int(mask.sum())
    return int((c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]).max())


def _longest_runs(dark):
    """For each row of a boolean image: the longest run of ``True``."""
    import numpy as np

    best = np.zeros(dark.shape[0], dtype=np.int32)
    cur = np.zeros(dark.shape[0], dtype=np.int32)
    for col in dark.T:
        cur = np.where(col, cur + 1, 0)
        np.maximum(best, cur, out=best)
    return best


def plot_frame(rgb) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the frame matplotlib's axes spines draw: the outermost rows
    and columns holding a dark run of at least 40% of the image's width or height; None when
    there is none, it is small (several subplots, no spines) or what it frames is mostly dark."""
    import numpy as np

    dark = rgb.mean(axis=2) < 110
    h, w = dark.shape
    rows = np.nonzero(_longest_runs(dark) >= 0.4 * w)[0]
    cols = np.nonzero(_longest_runs(dark.T) >= 0.4 * h)[0]
    if len(rows) < 2 or len(cols) < 2:
        return None
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    if bottom - top < 0.3 * h or right - left < 0.3 * w:
        return None
    if dark[top + BOX_INSET:bottom - BOX_INSET, left + BOX_INSET:right - BOX_INSET].mean() > 0.5:
        return None  # a dark image, not a frame around a plot
    return top, bottom, left, right


def _inside(rgb, frame):
    """What the plot area draws: inside the frame, cut to the box around its ink, so that axis
    margins (matplotlib 2 added 5% around the data; 1.x drew none) do not shift the data."""
    import numpy as np

    top, bottom, left, right = frame
    inner = rgb[top + BOX_INSET:bottom - BOX_INSET + 1, left + BOX_INSET:right - BOX_INSET + 1]
    h, w = inner.shape[:2]
    if h <= 2 * TICK_BAND + 2 or w <= 2 * TICK_BAND + 2:
        return inner
    ink = inner[TICK_BAND:h - TICK_BAND, TICK_BAND:w - TICK_BAND].min(axis=2) < INK
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if len(rows) < 2 or len(cols) < 2:
        return inner
    return inner[TICK_BAND + rows[0]:TICK_BAND + rows[-1] + 1, TICK_BAND + cols[0]:TICK_BAND + cols[-1] + 1]


def _tile_changed(masks):
    """For each of ``masks`` (n, T, T): whether some WINDOW x WINDOW window holds LIMIT or more."""
    import numpy as np

    k = WINDOW
    c = np.pad(masks.astype(np.int32), ((0, 0), (1, 0), (1, 0))).cumsum(1).cumsum(2)
    return (c[:, k:, k:] - c[:, :-k, k:] - c[:, k:, :-k] + c[:, :-k, :-k]).max(axis=(1, 2)) >= LIMIT


def _channels_first(a, pad: int, extra: tuple[int, int]):
    """An RGB (or grey) image as uint8 planes (channels first: a maximum over 3 planes is fast, over a
    short last axis slow), edge-padded by ``pad`` and by ``extra`` more rows and columns at the
    bottom right."""
    import numpy as np

    planes = np.moveaxis(a, 2, 0) if a.ndim == 3 else a[None]
    return np.pad(planes.astype(np.uint8), ((0, 0), (pad, pad + extra[0]), (pad, pad + extra[1])), mode="edge")


def _distance(a, b, out=None):
    """Max-channel distance of two channels-first uint8 stacks."""
    import numpy as np

    c = np.maximum(a, b)
    c -= np.minimum(a, b)
    if len(c) == 1:
        if out is None:
            return c[0]
        out[...] = c[0]
        return out
    out = np.maximum(c[0], c[1], out=out)
    return np.maximum(out, c[2], out=out)


def _shifted_differs(xp, yp, ry, rx, ok):
    """For tiles of two padded channels-first images (:func:`_realigned`): the differing pixels (the
    3x3 neighbourhood, LEVEL) with ``yp`` shifted by each (dy, dx), |dy|, |dx| <= ALIGN_SHIFT,
    row-major from (-S, -S): a (shifts, n, T, T) array; and per shift and tile the pixels that differ
    strictly (no neighbourhood), which say more exactly where the tile lines up."""
    import numpy as np

    S, T = ALIGN_SHIFT, ALIGN_TILE
    n, k, n2 = len(ry), 2 * S + 3, 2 * S + 1
    rim_y, rim_x = ry[:, S + 1:S + 3 + T], rx[:, S + 1:S + 3 + T]      # the tile and a 1-pixel rim
    yt = yp[:, ry[:, :, None], rx[:, None, :]]                          # (3, n, T+2m, T+2m)
    xt = xp[:, rim_y[:, :, None], rim_x[:, None, :]]                    # (3, n, T+2, T+2)
    # d[u] = distance from x (tile and rim) to y shifted by u, |u| <= S+1 each way
    d = np.empty((k, k, n, T + 2, T + 2), np.uint8)
    for i in range(k):
        for j in range(k):
            _distance(xt, yt[:, :, i:i + T + 2, j:j + T + 2], out=d[i, j])
    # x's pixel against y's 3x3 neighbourhood at shift s: the least d[s+e], e in 3x3
    fwd = np.minimum(np.minimum(d[:n2], d[1:n2 + 1]), d[2:])
    fwd = np.minimum(np.minimum(fwd[:, :n2], fwd[:, 1:n2 + 1]), fwd[:, 2:])[..., 1:-1, 1:-1]
    # y's shifted pixel against x's 3x3 neighbourhood: the least d[s-e] at p+e
    rev = np.minimum(np.minimum(d[:, 2:, ..., :T], d[:, 1:n2 + 1, ..., 1:T + 1]), d[:, :n2, ..., 2:])
    rev = np.minimum(np.minimum(rev[2:, :, :, :T], rev[1:n2 + 1, :, :, 1:T + 1]), rev[:n2, :, :, 2:])
    strict = ((d[1:-1, 1:-1, :, 1:-1, 1:-1] > LEVEL) & ok).sum(axis=(3, 4)).reshape(n2 * n2, n)
    return (((fwd > LEVEL) | (rev > LEVEL)) & ok).reshape(n2 * n2, n, T, T), strict


def _realigned(sharp_x, sharp_y, x, y, mask, tolerance: float):
    """Local re-alignment of a structure that looks changed: text laid out again by another
    matplotlib (another baseline, a sibling font) sits a pixel or two away from where it was,
    object by object, which no single shift of the whole image undoes.

    The image is cut into ALIGN_TILE x ALIGN_TILE tiles.  For each tile holding differing pixels
    (``mask``), ``y`` is shifted by every whole number of pixels up to ALIGN_SHIFT either way,
    vertically and horizontally, and the tile's differing pixels are counted as :func:`structure`
    counts them (``x``, ``y`` blurred BLUR; the 3x3 neighbourhood, LEVEL); the shift leaving the
    fewest wins; among those, the one leaving the fewest in the sharp grey images (``sharp_x``,
    ``sharp_y``, blurred only ALIGN_BLUR), then the fewest there without the neighbourhood, then
    the smallest.  Returns the re-aligned mask and the largest shift used, or None when the chart
    still changed:

    - some window still holds LIMIT differing pixels, or more than ``tolerance`` of all pixels
      still differ (an extra or changed glyph, a new colour, a point moved further than the shift);
    - or the shifts did not explain the sharp images: more than ALIGN_LEFT of the tiles' sharp
      differing pixels are left.  A moved object lines up at full sharpness; a changed word in
      small text, a smudge once blurred, can line up blurred but not sharp.

    Tiles go in batches of ALIGN_BATCH, the most differing first, so a real change ends early."""
    import numpy as np

    T, S = ALIGN_TILE, ALIGN_SHIFT
    h, w = mask.shape
    ny, nx = -(-h // T), -(-w // T)
    full = np.zeros((ny * T, nx * T), bool)
    full[:h, :w] = mask
    counts = full.reshape(ny, T, nx, T).sum(axis=(1, 3))
    tiles = np.argwhere(counts > 0)
    tiles = tiles[np.argsort(-counts[tiles[:, 0], tiles[:, 1]], kind="stable")]
    m = S + 2                                      # margin around a tile: the shift and two neighbourhoods
    extra = (ny * T - h, nx * T - w)
    sxp, syp = _channels_first(sharp_x, m, extra), _channels_first(sharp_y, m, extra)
    xp, yp = _channels_first(x, m, extra), _channels_first(y, m, extra)
    inside = np.zeros(xp.shape[1:], bool)
    inside[m:m + h, m:m + w] = True
    n2 = 2 * S + 1
    steps = np.arange(-S, S + 1)
    prefer = (steps[:, None] ** 2 + steps[None, :] ** 2).reshape(-1, 1)   # smaller shifts win ties
    limit = tolerance * h * w
    left_over, shift, sharp_before, sharp_after = 0, 0, 0, 0
    for start in range(0, len(tiles), ALIGN_BATCH):
        batch = tiles[start:start + ALIGN_BATCH]
        n = len(batch)
        ry = (batch[:, 0] * T)[:, None] + np.arange(T + 2 * m)
        rx = (batch[:, 1] * T)[:, None] + np.arange(T + 2 * m)
        ok = inside[ry[:, m:m + T, None], rx[:, None, m:m + T]]             # (n, T, T)
        blurred = _shifted_differs(xp, yp, ry, rx, ok)[0]
        sharp_masks, strict = _shifted_differs(sxp, syp, ry, rx, ok)
        sharp = sharp_masks.sum(axis=(2, 3))
        key = (blurred.sum(axis=(2, 3)).astype(np.int64) << 40) + (sharp.astype(np.int64) << 20) + strict * 64 + prefer
        best = np.argmin(key, axis=0)
        sharp_before += int(sharp[n2 * n2 // 2].sum())
        sharp_after += int(sharp[best, np.arange(n)].sum())
        chosen = blurred[best, np.arange(n)]
        left_over += int(chosen.sum())
        if left_over > limit or _tile_changed(chosen).any():
            return None
        for (i, j), tile in zip(batch, chosen):
            full[i * T:(i + 1) * T, j * T:(j + 1) * T] = tile
        moved = np.maximum(np.abs(best // n2 - S), np.abs(best % n2 - S))
        looked_changed = _tile_changed(blurred[n2 * n2 // 2])   # the tiles that made it look changed say how far
        shift = max(shift, int(moved[looked_changed].max() if looked_changed.any() else moved.max()))
    out = full[:h, :w]
    if _windows_max(out, WINDOW) >= LIMIT or float(out.mean()) > tolerance or sharp_after > ALIGN_LEFT * sharp_before:
        return None
    return out, shift


def structure(ca, cb, tolerance: float = 0.0005) -> Structure:
    """Compare two RGB images (composited over white) by content, across sizes (module docstring)."""
    ha, wa = ca.shape[:2]
    hb, wb = cb.shape[:2]
    ra, rb = wa / max(ha, 1), wb / max(hb, 1)
    if abs(ra - rb) <= ASPECT_SLACK * ra:
        ia, ib, how = ca, cb, "compared at {}x{}"
    else:
        fa, fb = plot_frame(ca), plot_frame(cb)
        ia, ib = (_inside(ca, fa), _inside(cb, fb)) if fa is not None and fb is not None else (None, None)
        how = "plot areas compared at {}x{}, the figure's shape changed"
    if ia is not None and ib is not None:
        size = (max(1, min(ia.shape[1], ib.shape[1])), max(1, min(ia.shape[0], ib.shape[0])))
        x, y = _resized(ia, size, BLUR), _resized(ib, size, BLUR)
        mask = (_neighbour_min(x, y) > LEVEL) | (_neighbour_min(y, x) > LEVEL)
        fraction = float(mask.mean())
        scope = "" if ia is ca else "only its plot area"
        if _windows_max(mask, WINDOW) < LIMIT and fraction <= tolerance:
            return Structure(False, fraction, how.format(*size), scope, _resized(ia, size), mask)
        again = None if scope else _realigned(_resized(ia, size, ALIGN_BLUR).mean(axis=2),
                                              _resized(ib, size, ALIGN_BLUR).mean(axis=2), x, y, mask, tolerance)
        if again is None:
            return Structure(True, fraction, how.format(*size), scope, _resized(ia, size), mask)
        return Structure(False, fraction, how.format(*size), scope, _resized(ia, size), mask, again[0], again[1],
                         float(again[0].mean()))
    scale = COARSE_SIDE / max(wa, ha)
    size = (max(1, round(wa * scale)), max(1, round(ha * scale)))
    x, y = _resized(ca, size), _resized(cb, size)
    mask = (_neighbour_min(x, y) > COARSE_LEVEL) | (_neighbour_min(y, x) > COARSE_LEVEL)
    return Structure(_windows_max(mask, COARSE_WINDOW) >= COARSE_LIMIT, float(mask.mean()),
                     f"compared coarsely at {size[0]}x{size[1]}, the figure's shape changed", "a coarse thumbnail", x, mask)


def diff_image(base, differs) -> bytes:
    """The expected image faded to grey, with the differing pixels in bright red."""
    import numpy as np
    from PIL import Image

    grey = base.mean(axis=2, keepdims=True)
    faded = (255 - (255 - grey) * 0.3).repeat(3, axis=2)
    # grow the marks a little so single pixels are visible
    marks = differs.copy()
    marks[1:, :] |= differs[:-1, :]
    marks[:-1, :] |= differs[1:, :]
    marks[:, 1:] |= differs[:, :-1]
    marks[:, :-1] |= differs[:, 1:]
    faded[marks] = (230, 0, 40)
    buf = io.BytesIO()
    Image.fromarray(faded.astype(np.uint8), "RGB").save(buf, format="PNG")
    return buf.getvalue()
