"""Aligned face crops: the similarity transform from two eye landmarks to a canonical square crop.

One definition for training (the GPU kit's bundle builder aligns face crops with it when it is
given landmarks, build_bundle.py --face-landmarks) and for inference (issue #17: a detector's eye
landmarks -> canonical crop -> face model -> inverse transform -> paste back). The detector is
not part of this module; whatever finds the eyes writes them as

    {"<image file name>": {"left_eye": [x, y], "right_eye": [x, y]}, ...}

in source-image pixel coordinates ("left" = the eye on the image's left side).

Canonical crop: a square of `size` px with the eye centres at CANONICAL_LEFT / CANONICAL_RIGHT
(fractions of the side), i.e. the eyes 0.25 * size apart, level, a little above the middle, so
the crop holds the whole face with some hair and chin margin.
"""
import math

import numpy as np
from PIL import Image

CANONICAL_LEFT = (0.375, 0.40)
CANONICAL_RIGHT = (0.625, 0.40)


def similarity(left, right, size):
    """2x3 matrix A mapping source pixel (x, y, 1) to canonical-crop pixel coordinates."""
    (lx, ly), (rx, ry) = left, right
    (clx, cly), (crx, cry) = [(u * size, v * size) for u, v in (CANONICAL_LEFT, CANONICAL_RIGHT)]
    src = math.hypot(rx - lx, ry - ly)
    if src < 1e-6:
        raise ValueError("the two eye landmarks coincide")
    s = math.hypot(crx - clx, cry - cly) / src
    a = -math.atan2(ry - ly, rx - lx)                 # rotate the eye line to horizontal
    c, si = s * math.cos(a), s * math.sin(a)
    mx, my = (lx + rx) / 2, (ly + ry) / 2
    cx, cy = (clx + crx) / 2, (cly + cry) / 2
    return np.array([[c, -si, cx - (c * mx - si * my)],
                     [si, c, cy - (si * mx + c * my)]], np.float64)


def invert(A):
    """Inverse of a 2x3 similarity/affine matrix (canonical -> source)."""
    M = np.vstack([A, [0, 0, 1]])
    return np.linalg.inv(M)[:2]


def align(image, left, right, size):
    """The canonical crop (size x size RGB uint8 array) of a PIL image or HxWx3 array."""
    im = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, np.uint8))
    im = im.convert("RGB")
    A = similarity(left, right, size)
    shrink = math.hypot(A[0, 0], A[1, 0])
    if shrink < 0.9:            # bicubic sampling alone would alias: shrink with a low-pass first
        w, h = im.size
        im = im.resize((max(1, round(w * shrink)), max(1, round(h * shrink))), Image.LANCZOS, reducing_gap=None)
        f = (im.size[0] / w, im.size[1] / h)
        left, right = (left[0] * f[0], left[1] * f[1]), (right[0] * f[0], right[1] * f[1])
    inv = invert(similarity(left, right, size))
    out = im.transform((size, size), Image.AFFINE, tuple(inv.reshape(-1)), resample=Image.BICUBIC)
    return np.asarray(out, np.uint8)
