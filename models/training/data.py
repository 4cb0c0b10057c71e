"""Training data: an in-memory crop bank, degradations conditioned on a strength d,
and the fixed validation sets.

Everything is CPU- and single-thread-friendly: images are decoded once into a uint8
crop bank (cached as .npy under work/), and each training pair is degraded on the
fly with small torch/PIL operations.

Degradation model (Real-ESRGAN-like, every severity scaled by d in [0, 1]):
  * a share of pairs (CLEAN_SHARE) uses d = 0 and a clean MATLAB-bicubic LR, because
    the quality targets (Set5/Set14) are measured on exactly that input;
  * otherwise d ~ U(0, 1) and, with severities u*d (u ~ U(0.3, 1) per operation):
      1st order: isotropic / anisotropic Gaussian blur -> random resize (area,
                 bilinear or bicubic; up or down around the LR size) -> Gaussian or
                 Poisson noise (colour or gray) -> JPEG
      2nd order (probability 0.4): lighter blur -> resize -> weaker noise
      final:     resize to the LR size (random mode) -> JPEG
    so d -> 0 degenerates to a (nearly) clean downscale, and d = 1 means noise sigma
    6.4..16/255, JPEG quality 45..75 and blur up to sigma 1.4 HR px (x4).
  * the target is always the clean HR crop.
"""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
import glob
import hashlib
import io
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eval"))
from imresize import imresize  # noqa: E402  (MATLAB bicubic, shared with evaluation)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402

DATA_ROOT = datasets.path("train")
SOURCES = ["photos", "bsd400", "t91", "kodak24", "sunhays80", "imagenet-sample"]
CLEAN_SHARE = 0.3
VAL_PERCENT = 3
# Severity at d = 1. A first try (blur to 2.8 px, noise to 25/255, JPEG to q30, 2nd
# order 60%) made d = 1 mean "heavily blurred" too, and on the validation input
# (noise 10/255 + JPEG 60 + slight blur) strength 1 then beat strength 0 by only
# 0.3 dB at x4: the net smoothed for degradations heavier than the input had.
# These values centre d = 1 on "strong noise/JPEG, mild blur" (noise 10/255 with
# JPEG 60 is typical of d = 0.8..1).
SEV_LOW = 0.4          # per-operation severity u ~ U(SEV_LOW, 1), times d
BLUR_MAX = 1.2         # extra Gaussian blur sigma at d = 1, HR px at x4 (x2: half)
NOISE_MAX = 16 / 255   # noise std at d = 1 (Gaussian, or Poisson at mid-gray)
JPEG_DROP = 50         # JPEG quality = 95 - u*d*JPEG_DROP  (down to q45)
SECOND_ORDER_P = 0.4


# ----------------------------------------------------------------------------- split
def is_val(path: str) -> bool:
    """~3% of files, chosen by a hash of the file name so the split never changes."""
    h = int(hashlib.md5(os.path.basename(path).encode()).hexdigest(), 16)
    return h % 100 < VAL_PERCENT


def list_images(split: str):
    files = []
    for src in SOURCES:
        files += sorted(glob.glob(os.path.join(DATA_ROOT, src, "*")))
    return [f for f in files if is_val(f) == (split == "val")]


# ------------------------------------------------------------------------ crop bank
def _load_rgb(path):
    return Image.open(path).convert("RGB")


def build_bank(files, crop: int, seed: int = 0, max_per_image: int = 40) -> np.ndarray:
    """Random HR crops (N, crop, crop, 3) uint8.

    All sources are JPEG; each crop is cut at crop/f (f ~ U(0.5, 1)) and downscaled
    by f with an antialiased filter, which removes most of the JPEG artefacts and
    sharpens the content a bit. Bigger images contribute more crops.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i, path in enumerate(files):
        im = _load_rgb(path)
        w, h = im.size
        n = int(np.clip(round(w * h / (crop * crop)), 1, max_per_image))
        for _ in range(n):
            f = rng.uniform(0.5, 1.0)
            c = int(round(crop / f))
            c = min(c, w, h)
            if c < crop // 2:        # tiny image (some t91): skip
                continue
            x0, y0 = rng.integers(0, w - c + 1), rng.integers(0, h - c + 1)
            patch = im.crop((x0, y0, x0 + c, y0 + c))
            if c != crop:
                patch = patch.resize((crop, crop), Image.BICUBIC, reducing_gap=None)
            out.append(np.asarray(patch, dtype=np.uint8))
        if (i + 1) % 200 == 0:
            print(f"  bank: {i + 1}/{len(files)} images, {len(out)} crops", flush=True)
    return np.stack(out)


def load_bank(work_dir: str, crop: int) -> np.ndarray:
    path = os.path.join(work_dir, f"bank_{crop}.npy")
    if os.path.exists(path):
        return np.load(path)
    bank = build_bank(list_images("train"), crop)
    os.makedirs(work_dir, exist_ok=True)
    np.save(path, bank)
    return bank


# --------------------------------------------------------------------- primitives
def gaussian_kernel(sx, sy, theta, size=None):
    if size is None:
        size = int(2 * math.ceil(3 * max(sx, sy)) + 1)
        size = max(3, min(size, 21))
    r = torch.arange(size, dtype=torch.float32) - size // 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * xx + s * yy, -s * xx + c * yy          # rotate, then axis-aligned Gaussian
    k = torch.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))
    return k / k.sum()


def blur(img, kernel):
    """img [3,H,W] float; depthwise conv with reflect padding."""
    p = kernel.shape[-1] // 2
    x = F.pad(img[None], (p, p, p, p), mode="reflect")
    return F.conv2d(x, kernel.expand(3, 1, *kernel.shape), groups=3)[0]


def resize(img, hw, mode):
    """Resize with antialiasing when shrinking: without it bilinear/bicubic at 1/4
    just sample every 4th pixel, an aliased input unlike any real downscale, and the
    net then learned a different mapping for every d > 0 than for clean input (a
    1 dB drop on clean images already at d = 0.25)."""
    if tuple(img.shape[-2:]) == tuple(hw):
        return img
    if mode == "area":
        out = F.interpolate(img[None], size=hw, mode="area")
    else:
        shrink = hw[0] < img.shape[-2] or hw[1] < img.shape[-1]
        out = F.interpolate(img[None], size=hw, mode=mode, align_corners=False, antialias=shrink)
    return out[0]


def add_noise(img, std, rng, gray):
    """Gaussian (60%) or Poisson (40%) noise with mid-gray standard deviation `std`."""
    g = torch.Generator().manual_seed(int(rng.integers(1 << 31)))
    if rng.random() < 0.6:
        shape = (1, *img.shape[1:]) if gray else img.shape
        return img + torch.randn(shape, generator=g) * std
    # Poisson: a photon count chosen so that the noise std at 0.5 equals `std`
    peak = 0.5 / max(std, 1e-4) ** 2
    base = img.clamp(0, 1)
    if gray:
        y = (0.299 * base[0] + 0.587 * base[1] + 0.114 * base[2])[None]
        return img + torch.poisson(y * peak, generator=g) / peak - y
    return torch.poisson(base * peak, generator=g) / peak


def jpeg(img, quality):
    arr = (img.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    out = np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(out).permute(2, 0, 1).contiguous()


def quantize(img):
    return (img.clamp(0, 1) * 255).round() / 255


def to_tensor(arr_uint8):
    return torch.from_numpy(np.array(arr_uint8, copy=True)).permute(2, 0, 1).float() / 255.0


# ------------------------------------------------------------------- degradation
def degrade(hr, scale, d, rng):
    """hr [3,H,W] float in [0,1] -> LR [3,H/s,W/s]; severities scaled by d (> 0)."""
    H, W = hr.shape[-2:]
    lr_hw = (H // scale, W // scale)
    sev = lambda: rng.uniform(SEV_LOW, 1.0) * d
    modes = ["area", "bilinear", "bicubic"]
    x = hr

    def random_blur(x, sigma_max):
        s1 = 0.2 + rng.uniform(0, 1) * d * sigma_max
        if rng.random() < 0.5:       # isotropic
            k = gaussian_kernel(s1, s1, 0.0)
        else:                        # anisotropic, random orientation
            s2 = 0.2 + rng.uniform(0, 1) * d * sigma_max
            k = gaussian_kernel(s1, s2, rng.uniform(0, math.pi))
        return blur(x, k)

    def random_noise(x, std_max):
        return add_noise(x, sev() * std_max, rng, gray=rng.random() < 0.4)

    # 1st order: blur at HR (sigma in HR px, scaled with the factor), resize around LR size
    x = random_blur(x, BLUR_MAX * scale / 4)
    t = rng.uniform(1 - 0.25 * d, 1 + 0.4 * d)
    mid = (max(8, round(lr_hw[0] * t)), max(8, round(lr_hw[1] * t)))
    x = resize(x, mid, modes[rng.integers(3)])
    x = random_noise(x, NOISE_MAX)
    x = jpeg(x, 95 - JPEG_DROP * sev())
    # 2nd order: lighter
    if rng.random() < SECOND_ORDER_P:
        x = random_blur(x, 0.8)
        t = rng.uniform(1 - 0.15 * d, 1 + 0.25 * d)
        mid = (max(8, round(lr_hw[0] * t)), max(8, round(lr_hw[1] * t)))
        x = resize(x, mid, modes[rng.integers(3)])
        x = random_noise(x, NOISE_MAX / 2.5)
    x = resize(x, lr_hw, modes[rng.integers(3)])
    x = jpeg(x, 95 - JPEG_DROP * sev())
    return x


def clean_lr(hr_uint8, scale):
    """MATLAB-bicubic LR (uint8) of an HxWx3 uint8 HR image."""
    return imresize(hr_uint8, 1.0 / scale)


class PairSampler:
    """Draws batches (lr, d, hr) from the crop bank."""

    def __init__(self, bank, scale, lr_patch, seed=0, strong_share=0.0):
        """strong_share: fraction of the degraded pairs drawn at exactly d = 1 rather
        than d ~ U(0, 1); with a uniform d only a few percent of pairs land near the
        strongest setting, which is the one users pick for noisy JPEGs."""
        self.bank, self.scale, self.lr_patch = bank, scale, lr_patch
        self.strong_share = strong_share
        self.rng = np.random.default_rng(seed)

    def sample(self):
        p = self.lr_patch * self.scale
        crop = self.bank[self.rng.integers(len(self.bank))]
        y0, x0 = self.rng.integers(0, crop.shape[0] - p + 1), self.rng.integers(0, crop.shape[1] - p + 1)
        hr = crop[y0:y0 + p, x0:x0 + p]
        k = self.rng.integers(8)                        # flips / 90-degree rotations
        hr = np.rot90(hr, k % 4)
        if k >= 4:
            hr = hr[:, ::-1]
        hr = np.ascontiguousarray(hr)
        if self.rng.random() < CLEAN_SHARE:
            return to_tensor(clean_lr(hr, self.scale)), 0.0, to_tensor(hr)
        d = 1.0 if self.rng.random() < self.strong_share else float(self.rng.uniform(0, 1))
        lr = quantize(degrade(to_tensor(hr), self.scale, d, self.rng))
        return lr, d, to_tensor(hr)

    def batch(self, n):
        items = [self.sample() for _ in range(n)]
        lr = torch.stack([i[0] for i in items])
        d = torch.tensor([i[1] for i in items], dtype=torch.float32)
        hr = torch.stack([i[2] for i in items])
        return lr, d, hr


# -------------------------------------------------------------------- validation
def load_val_hr(max_size=256):
    """The general validation images (see val_crops)."""
    return val_crops(list_images("val"), max_size)


def val_crops(files, max_size):
    """Validation HR images: each file downscaled by 0.75 (removes JPEG traces, as for
    training), then centre-cropped to at most max_size square, a multiple of 4."""
    out = []
    for path in files:
        im = _load_rgb(path)
        w, h = im.size
        im = im.resize((round(w * 0.75), round(h * 0.75)), Image.BICUBIC, reducing_gap=None)
        w, h = im.size
        c = min(max_size, w, h)
        c -= c % 4
        x0, y0 = (w - c) // 2, (h - c) // 2
        out.append((os.path.basename(path), np.asarray(im.crop((x0, y0, x0 + c, y0 + c)), dtype=np.uint8)))
    return out


def degrade_fixed(hr_uint8, scale, seed):
    """The requirement's degraded input: slight blur (Gaussian sigma 0.8 HR px),
    MATLAB-bicubic downscale, Gaussian noise sigma 10/255, JPEG quality 60."""
    k = gaussian_kernel(0.8, 0.8, 0.0, size=7)
    hr = blur(to_tensor(hr_uint8), k)
    hr_b = (hr.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    lr = to_tensor(imresize(hr_b, 1.0 / scale))
    g = torch.Generator().manual_seed(seed)
    lr = lr + torch.randn(lr.shape, generator=g) * (10 / 255)
    return jpeg(lr, 60)
