"""Batched, device-side versions of the recipe's degradations (data.degrade / data.PairSampler for
photos and faces, text_data.degrade_text / TextPairSampler for text), so that building a batch
costs a few hundred GPU kernels instead of 16 CPU cores' worth of PIL calls.

Same distributions and constants as the CPU recipe (imported from data.py / text_data.py), with
these batching choices:
  * every random number is drawn on the host (numpy, seeded) and moved in one pinned,
    non-blocking copy: the host never waits for the GPU, so batch building overlaps training;
  * Gaussian blur kernels have one size per batch (the largest any sample needs, <= 21), each
    sample its own sigma/orientation (grouped convolution);
  * the degraded samples are sorted by strength d and split into chunks of CHUNK; the samples of
    a chunk share the random resize sizes and modes (which must be equal to stack them) and the
    second-order coin flip; noise kind, noise level, blur and JPEG quality stay per sample;
  * JPEG is torch_jpeg (libjpeg's steps in torch, per-sample quality tables).
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "eval"))
import data                      # noqa: E402
import text_data                 # noqa: E402
import torch_jpeg                # noqa: E402
from imresize import _weight_matrix   # noqa: E402

# 32, not 8: each chunk is a few hundred PyTorch ops (a batch of 64 was ~7,500 ops in chunks of 8,
# ~2,800 in chunks of 32), and the first GPU run spent about half of each round building batches
# on the host (README.md "Runs"); the shared sizes still differ from chunk to chunk and batch to batch.
CHUNK = 32
MODES = ("area", "bilinear", "bicubic")


def to_device(arr, device, dtype=torch.float32):
    """Host array -> device tensor without a synchronising copy (pinned + non_blocking on CUDA)."""
    t = torch.from_numpy(np.array(arr, copy=True)).to(dtype)     # a writable copy: arr may be read-only
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


class no_autotune:
    """cuDNN autotuning off for the degradations: their blur and resize shapes change with every
    batch, and benchmarking each new shape would cost more than the convolutions themselves (the
    training convolutions, fixed in shape, keep it)."""

    def __enter__(self):
        self.prev = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = False

    def __exit__(self, *exc):
        torch.backends.cudnn.benchmark = self.prev


def quantize(x):
    return torch.round(x.clamp(0, 1) * 255) / 255


class MatlabResize:
    """MATLAB-bicubic imresize (antialiased, as models/eval/imresize.py) as two matrix products,
    weights cached per (size, scale) on the device."""

    def __init__(self, device):
        self.device, self.cache = device, {}

    def _w(self, n_in, n_out):
        key = (n_in, n_out)
        if key not in self.cache:
            self.cache[key] = to_device(_weight_matrix(n_in, n_out, n_out / n_in, True), self.device)
        return self.cache[key]

    def __call__(self, x, hw):
        """x (B, C, H, W) float in 0..255 or 0..1 (linear, so either); unrounded result."""
        wh, ww = self._w(x.shape[-2], hw[0]), self._w(x.shape[-1], hw[1])
        return torch.matmul(torch.matmul(wh, x), ww.t())


def gaussian_kernels(sx, sy, theta, size):
    """(B, 1, size, size) normalised anisotropic Gaussians; sx, sy, theta (B,) tensors."""
    r = torch.arange(size, device=sx.device, dtype=torch.float32) - size // 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    c, s = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    u, v = c * xx + s * yy, -s * xx + c * yy
    k = torch.exp(-0.5 * ((u / sx[:, None, None]) ** 2 + (v / sy[:, None, None]) ** 2))
    return (k / k.sum((1, 2), keepdim=True))[:, None]


def kernel_size(max_sigma, h, w):
    """data.gaussian_kernel's size rule for the batch's largest sigma, kept below the image size
    (reflect padding needs pad < size)."""
    k = int(2 * math.ceil(3 * max_sigma) + 1)
    k = max(3, min(k, 21))
    while k // 2 >= min(h, w) and k > 3:
        k -= 2
    return k


def blur(x, kernels):
    """Per-sample depthwise blur: x (B, 3, H, W), kernels (B, 1, k, k); reflect padding."""
    B, C, H, W = x.shape
    p = kernels.shape[-1] // 2
    xp = F.pad(x, (p, p, p, p), mode="reflect").reshape(1, B * C, H + 2 * p, W + 2 * p)
    k = kernels.repeat_interleave(C, 0)
    return F.conv2d(xp, k, groups=B * C).reshape(B, C, H, W)


def resize(x, hw, mode):
    """data.resize for a batch (antialiased when shrinking with bilinear/bicubic)."""
    if tuple(x.shape[-2:]) == tuple(hw):
        return x
    if mode == "area":
        return F.interpolate(x, size=hw, mode="area")
    shrink = hw[0] < x.shape[-2] or hw[1] < x.shape[-1]
    return F.interpolate(x, size=hw, mode=mode, align_corners=False, antialias=shrink)


def add_noise(x, std, gaussian, gray):
    """data.add_noise per sample: std (B,), gaussian / gray (B,) bool tensors."""
    std4 = std[:, None, None, None]
    n = torch.randn_like(x)
    n = torch.where(gray[:, None, None, None], n[:, :1].expand_as(n), n)
    g = x + n * std4
    peak = 0.5 / std4.clamp_min(1e-4) ** 2
    base = x.clamp(0, 1)
    lum = (0.299 * base[:, 0:1] + 0.587 * base[:, 1:2] + 0.114 * base[:, 2:3])
    p_gray = x + torch.poisson(lum * peak) / peak - lum
    p_col = torch.poisson(base * peak) / peak
    p = torch.where(gray[:, None, None, None], p_gray, p_col)
    return torch.where(gaussian[:, None, None, None], g, p)


class Randoms:
    """Per-sample random numbers drawn on the host, shipped to the device in one copy."""

    def __init__(self, device):
        self.device, self.cols = device, {}

    def put(self, name, values):
        self.cols[name] = np.asarray(values, np.float32)

    def ship(self):
        names = list(self.cols)
        arr = to_device(np.stack([self.cols[n] for n in names]), self.device)
        return {n: arr[i] for i, n in enumerate(names)}


class PhotoDegrader:
    """data.degrade + the PairSampler's clean share for a batch of HR crops (photos, faces)."""

    def __init__(self, scale, device, strong_share=0.0, clean_share=data.CLEAN_SHARE):
        self.scale, self.device = scale, device
        self.strong_share, self.clean_share = strong_share, clean_share
        self.matlab = MatlabResize(device)

    def __call__(self, hr, rng):
        """hr (B, 3, H, W) float in [0, 1] -> (lr (B, 3, H/s, W/s), d (B,))."""
        B, _, H, W = hr.shape
        s = self.scale
        lr_hw = (H // s, W // s)
        clean = rng.random(B) < self.clean_share
        d = np.where(rng.random(B) < self.strong_share, 1.0, rng.uniform(0, 1, B))
        d[clean] = 0.0
        lr = torch.empty(B, 3, *lr_hw, device=hr.device)
        ci, di = np.nonzero(clean)[0], np.nonzero(~clean)[0]
        if len(ci):
            idx = to_device(ci, self.device, torch.long)
            x = self.matlab(torch.round(hr.index_select(0, idx) * 255), lr_hw)
            lr.index_copy_(0, idx, torch.round(x).clamp(0, 255) / 255)
        if len(di):
            di = di[np.argsort(d[di], kind="stable")]          # similar strengths share a chunk
            idx = to_device(di, self.device, torch.long)
            lr.index_copy_(0, idx, self._degrade(hr.index_select(0, idx), d[di], lr_hw, rng))
        return lr, to_device(d, self.device)

    def _sev(self, d, rng):
        return rng.uniform(data.SEV_LOW, 1.0, len(d)) * d

    def _blur_params(self, R, name, d, sigma_max, rng):
        n = len(d)
        s1 = 0.2 + rng.uniform(0, 1, n) * d * sigma_max
        iso = rng.random(n) < 0.5
        s2 = np.where(iso, s1, 0.2 + rng.uniform(0, 1, n) * d * sigma_max)
        th = np.where(iso, 0.0, rng.uniform(0, math.pi, n))
        R.put(name + "_sx", s1)
        R.put(name + "_sy", s2)
        R.put(name + "_th", th)
        return float(max(s1.max(), s2.max()))

    def _noise_params(self, R, name, d, std_max, rng):
        n = len(d)
        R.put(name + "_std", self._sev(d, rng) * std_max)
        R.put(name + "_gray", rng.random(n) < 0.4)          # data.degrade.random_noise
        R.put(name + "_gauss", rng.random(n) < 0.6)          # data.add_noise

    def _degrade(self, hr, d, lr_hw, rng):
        n, s = len(d), self.scale
        R = Randoms(self.device)
        m1 = self._blur_params(R, "b1", d, data.BLUR_MAX * s / 4, rng)
        self._noise_params(R, "n1", d, data.NOISE_MAX, rng)
        R.put("q1", np.round(95 - data.JPEG_DROP * self._sev(d, rng)))
        m2 = self._blur_params(R, "b2", d, 0.8, rng)
        self._noise_params(R, "n2", d, data.NOISE_MAX / 2.5, rng)
        R.put("q2", np.round(95 - data.JPEG_DROP * self._sev(d, rng)))
        tables = {k: to_device(torch_jpeg.quant_tables(R.cols[k]), self.device) for k in ("q1", "q2")}
        r = R.ship()
        k1 = kernel_size(m1, *hr.shape[-2:])
        x = blur(hr, gaussian_kernels(r["b1_sx"], r["b1_sy"], r["b1_th"], k1))
        outs = []
        for c0 in range(0, n, CHUNK):
            sl = slice(c0, min(n, c0 + CHUNK))
            dc = float(d[sl].mean())
            y = x[sl]
            t = rng.uniform(1 - 0.25 * dc, 1 + 0.4 * dc)
            mid = (max(8, round(lr_hw[0] * t)), max(8, round(lr_hw[1] * t)))
            y = resize(y, mid, MODES[rng.integers(3)])
            y = add_noise(y, r["n1_std"][sl], r["n1_gauss"][sl] > 0, r["n1_gray"][sl] > 0)
            y = torch_jpeg.jpeg(y, tables["q1"][sl])
            if rng.random() < data.SECOND_ORDER_P:
                k2 = kernel_size(m2, *y.shape[-2:])
                y = blur(y, gaussian_kernels(r["b2_sx"][sl], r["b2_sy"][sl], r["b2_th"][sl], k2))
                t = rng.uniform(1 - 0.15 * dc, 1 + 0.25 * dc)
                mid = (max(8, round(lr_hw[0] * t)), max(8, round(lr_hw[1] * t)))
                y = resize(y, mid, MODES[rng.integers(3)])
                y = add_noise(y, r["n2_std"][sl], r["n2_gauss"][sl] > 0, r["n2_gray"][sl] > 0)
            y = resize(y, lr_hw, MODES[rng.integers(3)])
            outs.append(torch_jpeg.jpeg(y, tables["q2"][sl]))
        return quantize(torch.cat(outs))


class TextDegrader:
    """text_data.degrade_text + the TextPairSampler's clean share for a batch of renders."""

    def __init__(self, scale, device):
        self.scale, self.device = scale, device
        self.matlab = MatlabResize(device)

    def __call__(self, hr, rng):
        B, _, H, W = hr.shape
        s = self.scale
        lr_hw = (H // s, W // s)
        clean = rng.random(B) < text_data.CLEAN_SHARE
        matlab_clean = clean & (rng.random(B) < text_data.CLEAN_MATLAB_SHARE)
        d = np.where(clean, 0.0, rng.uniform(0, 1, B))
        modes = np.where(matlab_clean, 3, rng.integers(0, 4, B))     # 0..2 = MODES, 3 = MATLAB
        sev = lambda: rng.uniform(0.4, 1.0, B) * d
        R = Randoms(self.device)
        do_blur = (d > 0) & (rng.random(B) < text_data.BLUR_P)
        sig = np.where(do_blur, 0.2 + sev() * text_data.BLUR_MAX * s / 4, 1e-3)   # 1e-3: a delta
        R.put("sig", sig)
        R.put("blur", do_blur)
        R.put("std", sev() * text_data.NOISE_MAX)
        R.put("noise", (d > 0) & (rng.random(B) < text_data.NOISE_P))
        R.put("gray", rng.random(B) < 0.5)
        R.put("gauss", rng.random(B) < 0.6)
        R.put("jpeg", (d > 0) & (rng.random(B) < text_data.JPEG_P))
        q = np.round(95 - text_data.JPEG_DROP * sev())
        tables = to_device(torch_jpeg.quant_tables(q), self.device)
        r = R.ship()
        x = hr
        if do_blur.any():
            k = kernel_size(float(sig.max()), H, W)
            x = torch.where(r["blur"][:, None, None, None] > 0,
                            blur(hr, gaussian_kernels(r["sig"], r["sig"], torch.zeros_like(r["sig"]), k)), hr)
        lr = torch.empty(B, 3, *lr_hw, device=hr.device)
        for m in range(4):
            sel = np.nonzero(modes == m)[0]
            if not len(sel):
                continue
            idx = to_device(sel, self.device, torch.long)
            xs = x.index_select(0, idx)
            if m == 3:       # MATLAB bicubic of the 8-bit image, rounded (data.clean_lr)
                y = torch.round(self.matlab(torch.round(xs.clamp(0, 1) * 255), lr_hw)).clamp(0, 255) / 255
            else:
                y = resize(xs, lr_hw, MODES[m])
            lr.index_copy_(0, idx, y)
        if R.cols["noise"].any():            # host copies decide, so the host never waits
            noisy = add_noise(lr, r["std"], r["gauss"] > 0, r["gray"] > 0)
            lr = torch.where(r["noise"][:, None, None, None] > 0, noisy, lr)
        if R.cols["jpeg"].any():
            lr = torch.where(r["jpeg"][:, None, None, None] > 0, torch_jpeg.jpeg(lr, tables), lr)
        return quantize(lr), to_device(d, self.device)
