"""Images compared by decoded pixels, with a tolerance for rendering noise.

A pixel *differs* when some colour channel moved by more than ``threshold`` (0-1), the
difference survives a 3x3 blur (blended anti-aliased edges do not), and it is not explained
by a one-pixel shift: in one direction or the other, no pixel of the 3x3 neighbourhood in
the other image is within ``threshold`` of it (snapped lines and glyphs that moved by a
pixel do not count).  Two images match when
they have the same size and the share of differing pixels is at most ``tolerance``.
A changed chart moves thousands of pixels; font hinting and anti-aliasing move a few.
"""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass
class ImageDiff:
    equal: bool
    message: str
    fraction: float = 0.0       # share of pixels that differ
    diff_png: bytes | None = None  # the expected image faded, differing pixels in red


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
    pad = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    best = None
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            d = np.abs(a - pad[dy:dy + h, dx:dx + w]).max(axis=2)
            best = d if best is None else np.minimum(best, d)
    return best


def compare_images(expected: bytes, actual: bytes, threshold: float = 0.1, tolerance: float = 0.0002) -> ImageDiff:
    if expected == actual:
        return ImageDiff(True, "identical")
    try:
        a, b = _decode(expected), _decode(actual)
    except Exception as e:
        return ImageDiff(False, f"image could not be decoded ({type(e).__name__}); compared as bytes: different")
    if a.shape != b.shape:
        return ImageDiff(False, f"image size changed from {a.shape[1]}x{a.shape[0]} to {b.shape[1]}x{b.shape[0]}",
                         1.0)
    import numpy as np

    ca, cb = _composite(a), _composite(b)
    limit = threshold * 255
    direct = np.abs(ca - cb).max(axis=2) > limit
    if not direct.any():
        return ImageDiff(True, "pixels within threshold")
    differs = direct & (np.abs(_box(ca) - _box(cb)).max(axis=2) > limit)
    if differs.any():
        differs &= (_neighbour_min(ca, cb) > limit) | (_neighbour_min(cb, ca) > limit)
    n = int(differs.sum())
    fraction = n / differs.size
    equal = fraction <= tolerance
    msg = (f"{fraction:.2%} of pixels differ ({n:,} of {differs.size:,})" if n
           else "only anti-aliasing noise differs")
    return ImageDiff(equal, msg, fraction, None if equal else diff_image(ca, differs))


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
