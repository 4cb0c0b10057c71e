"""MATLAB-compatible bicubic `imresize` in numpy.

The published super-resolution numbers (Set5/Set14 PSNR) are all computed on LR
images made by MATLAB's `imresize(img, 1/s, 'bicubic')`, which antialiases when it
downscales. PIL and OpenCV bicubic differ from it by tenths of a dB, so benchmarks
and the "clean" training pairs use this re-implementation instead.

Algorithm (same as MATLAB's `contributions`):
  * cubic kernel with a = -0.5;
  * on downscale the kernel is stretched by 1/scale (and scaled by `scale`), which is
    the antialiasing low-pass filter;
  * out-of-range taps are mirrored (symmetric padding, edge pixel repeated);
  * each axis is resized separately, the axis with the smaller scale first;
  * uint8 input is processed in float64 and rounded once at the end.
Each axis is applied as a dense (out x in) weight matrix, which is fast for the image
sizes used here and keeps the code short.
"""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
from functools import lru_cache
import math
import numpy as np


def _cubic(x):
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
            + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


@lru_cache(maxsize=256)
def _weight_matrix(in_len: int, out_len: int, scale: float, antialias: bool = True):
    """Dense (out_len, in_len) matrix W so that resized = W @ signal."""
    if scale < 1 and antialias:
        kernel = lambda x: scale * _cubic(scale * x)
        width = 4.0 / scale
    else:
        kernel = _cubic
        width = 4.0
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)          # output pixel centre in input coords (1-based)
    left = np.floor(u - width / 2)
    taps = int(math.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]   # 1-based input indices
    w = kernel(u[:, None] - idx)
    w = w / w.sum(axis=1, keepdims=True)
    # symmetric padding: ... 2 1 | 1 2 ... n | n n-1 ...
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    idx0 = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    W = np.zeros((out_len, in_len), dtype=np.float64)
    np.add.at(W, (np.repeat(np.arange(out_len), taps), idx0.ravel()), w.ravel())
    W.setflags(write=False)
    return W


def imresize(img, scale=None, output_shape=None, antialias=True):
    """Resize an HxW or HxWxC array like MATLAB `imresize(img, scale, 'bicubic')`.

    `scale` is a float (same for both axes); or give `output_shape=(h, w)`.
    uint8 in -> uint8 out (rounded and clipped); float in -> float64 out (unclipped).
    """
    was_uint8 = img.dtype == np.uint8
    x = img.astype(np.float64)
    h, w = x.shape[:2]
    if output_shape is None:
        sh = sw = float(scale)
        output_shape = (int(math.ceil(h * sh)), int(math.ceil(w * sw)))
    else:
        sh, sw = output_shape[0] / h, output_shape[1] / w
        if scale is not None:
            sh = sw = float(scale)
    # MATLAB resizes the dimension with the smallest scale first (rows on ties).
    order = [0, 1] if sh <= sw else [1, 0]
    for axis in order:
        if axis == 0:
            W = _weight_matrix(h, output_shape[0], sh, antialias)
            x = np.tensordot(W, x, axes=([1], [0]))
        else:
            W = _weight_matrix(w, output_shape[1], sw, antialias)
            x = np.moveaxis(np.tensordot(W, x, axes=([1], [1])), 0, 1)
    if was_uint8:
        return np.clip(np.round(x), 0, 255).astype(np.uint8)
    return x
