"""Baseline JPEG (what PIL/libjpeg writes and reads back) as batched torch ops, for degrading
training pairs on the GPU with a different quality per image.

Steps, each the libjpeg default that PIL uses (data.jpeg / text_data.jpeg420 save with PIL):
  * 8-bit input (round(clamp(x) * 255)), edges replicated up to a multiple of the MCU (16 px);
  * RGB -> YCbCr (JFIF, full range), level shift by -128;
  * chroma 4:2:0: 2x2 average (libjpeg h2v2_downsample);
  * orthonormal 8x8 DCT-II per block (a matrix product on both sides of each block);
  * quantisation with the IJG tables scaled by quality (jpeg_quality_scaling, integer arithmetic,
    baseline: entries clamped to 1..255), rounding half away from zero;
  * dequantise, inverse DCT, +128, clamp to 0..255 (the decoder's range limit);
  * chroma upsampling: libjpeg's "fancy" h2v2 triangle filter (3/4, 1/4 weights), which is
    bilinear interpolation with half-pixel centres and replicated edges;
  * YCbCr -> RGB, round, clamp, crop to the input size.
The float DCT differs from libjpeg's integer one by rounding only; tests/test_gpu_kit.py holds the
result to PIL's own encoder/decoder. Rounding makes this a degradation, not a differentiable
layer: no gradient is needed through it.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

# ITU T.81 Annex K tables (the IJG defaults), row-major
LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], np.int64).reshape(8, 8)
CHROMA = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99], np.int64).reshape(8, 8)


def quant_tables(qualities):
    """(B, 2, 8, 8) float32 luma/chroma tables for integer qualities, exactly as libjpeg scales them."""
    q = np.clip(np.asarray(qualities, np.int64).reshape(-1), 1, 100)
    scale = np.where(q < 50, 5000 // q, 200 - 2 * q)
    tabs = [np.clip((base[None] * scale[:, None, None] + 50) // 100, 1, 255) for base in (LUMA, CHROMA)]
    return np.stack(tabs, 1).astype(np.float32)


def _dct_matrix():
    c = np.zeros((8, 8), np.float64)
    for u in range(8):
        a = math.sqrt(1 / 8) if u == 0 else math.sqrt(2 / 8)
        for x in range(8):
            c[u, x] = a * math.cos((2 * x + 1) * u * math.pi / 16)
    return c.astype(np.float32)


DCT = _dct_matrix()


def _round_half_away(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _blocks_roundtrip(plane, table, dct):
    """plane (B, 1, H, W) level-shifted, H and W multiples of 8; table (B, 8, 8)."""
    B, _, H, W = plane.shape
    blk = plane.reshape(B, H // 8, 8, W // 8, 8).permute(0, 1, 3, 2, 4)          # B, h, w, 8, 8
    coef = dct @ blk @ dct.t()
    t = table[:, None, None]
    coef = _round_half_away(coef / t) * t
    rec = dct.t() @ coef @ dct
    return rec.permute(0, 1, 3, 2, 4).reshape(B, 1, H, W)


def jpeg(x, tables, subsample=True):
    """x (B, 3, H, W) float RGB in [0, 1]; tables (B, 2, 8, 8) from quant_tables, on x's device.
    Returns the decoded JPEG as float RGB in [0, 1] (multiples of 1/255)."""
    B, _, H, W = x.shape
    dct = torch.as_tensor(DCT, device=x.device)
    mcu = 16 if subsample else 8
    x = torch.round(x.clamp(0, 1) * 255)
    ph, pw = (-H) % mcu, (-W) % mcu
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168735892 * r - 0.331264108 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418687589 * g - 0.081312411 * b + 128
    # libjpeg converts to 8-bit YCbCr before the DCT (rounded)
    y, cb, cr = (torch.round(c) for c in (y, cb, cr))
    if subsample:
        cb, cr = torch.round(F.avg_pool2d(cb, 2)), torch.round(F.avg_pool2d(cr, 2))
    y = _blocks_roundtrip(y - 128, tables[:, 0], dct) + 128
    cb = _blocks_roundtrip(cb - 128, tables[:, 1], dct) + 128
    cr = _blocks_roundtrip(cr - 128, tables[:, 1], dct) + 128
    y, cb, cr = (torch.round(c).clamp(0, 255) for c in (y, cb, cr))
    if subsample:
        cb = F.interpolate(cb, scale_factor=2, mode="bilinear", align_corners=False)
        cr = F.interpolate(cr, scale_factor=2, mode="bilinear", align_corners=False)
    cb, cr = cb - 128, cr - 128
    out = torch.cat([y + 1.402 * cr, y - 0.344136286 * cb - 0.714136286 * cr, y + 1.772 * cb], 1)
    return (torch.round(out).clamp(0, 255) / 255)[:, :, :H, :W]
