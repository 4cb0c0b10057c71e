"""Training data on the device: uint8 crop banks in GPU memory and the batch sources of each kind.

CPU side (before CUDA starts, so worker processes can fork):
  * photos: the bundle's crops as they are;
  * faces: crops of each training face at scales from the whole face to 1:1 detail (as
    faces.build_face_bank), plus FACE_GENERAL_SHARE photo crops;
  * text: TEXT_BANK scenes rendered by text_data.Renderer from the bundle's fonts and icons on
    all CPU cores (about 10 ms a scene on one core).
Device side: DeviceBank.sample cuts per-sample random patches with one gather and applies a
per-sample dihedral transform (text: horizontal flips only, as TextPairSampler), with every
random number drawn on the host (degrade.to_device). Sources return (lr, d, hr) batches.
"""
import multiprocessing as mp
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import degrade                   # noqa: E402
import text_data                 # noqa: E402


# ------------------------------------------------------------------------------ CPU
def face_bank(face_imgs, crop, per_image, rng, aligned=False, threads=16):
    """Threads over the images (PIL releases the GIL while resampling); deterministic per seed."""
    from concurrent.futures import ThreadPoolExecutor
    seeds = rng.integers(1 << 31, size=len(face_imgs))
    work = lambda i: _face_crops(face_imgs[i], crop, per_image, np.random.default_rng(seeds[i]), aligned)
    with ThreadPoolExecutor(max(1, min(threads, os.cpu_count() or 1))) as ex:
        return np.concatenate(list(ex.map(work, range(len(face_imgs)))))


def _face_crops(im_arr, crop, per_image, rng, aligned):
    """faces.build_face_bank on decoded images: the whole face (k = 0) and random scales down to
    1:1 detail; for aligned canonical crops (face_align.py) only the whole crop with a little
    scale jitter, so the network learns the canonical geometry it will see."""
    out = []
    im = Image.fromarray(im_arr)
    w, h = im.size
    lo = min(1.0, crop / min(w, h))
    for k in range(per_image):
        if aligned:
            f = lo * rng.uniform(1.0, 1.1) if k else lo
        else:
            f = lo if k == 0 else rng.uniform(max(lo, 0.35), 1.0)
        c = min(int(round(crop / f)), w, h)
        x0, y0 = rng.integers(0, w - c + 1), rng.integers(0, h - c + 1)
        p = im.crop((x0, y0, x0 + c, y0 + c))
        if c != crop:
            p = p.resize((crop, crop), Image.BICUBIC, reducing_gap=None)
        out.append(np.asarray(p, dtype=np.uint8))
    return np.stack(out)


def photo_crops(photos, crop, n, rng):
    """n random crop x crop windows of the photo bank (for mixing into other banks)."""
    idx = rng.integers(0, len(photos), n)
    S = photos.shape[1]
    out = []
    for i in idx:
        y0, x0 = rng.integers(0, S - crop + 1, 2)
        out.append(photos[i, y0:y0 + crop, x0:x0 + crop])
    return np.stack(out) if out else np.zeros((0, crop, crop, 3), np.uint8)


_RENDER = {}


def _render_chunk(args):
    n, size, seed = args
    fonts, icons, photos = _RENDER["fonts"], _RENDER["icons"], _RENDER["photos"]
    return text_data.render_bank(n, size, fonts, icons, photos, seed)


def text_bank(fonts, icons, photos, n, size, seed=1, procs=None):
    """n scenes of size px on `procs` processes (forked: call before CUDA is initialised)."""
    bg = np.stack([np.asarray(Image.fromarray(p).resize((160, 160), Image.BICUBIC)) for p in photos[:400]])
    _RENDER.update(fonts=fonts, icons=icons, photos=bg)
    procs = max(1, min(procs or os.cpu_count() or 1, 16))
    chunks = [(len(c), size, seed * 1000 + i) for i, c in enumerate(np.array_split(np.arange(n), procs * 4)) if len(c)]
    if procs == 1 or n < 64:
        parts = [_render_chunk(c) for c in chunks]
    else:
        with mp.get_context("fork").Pool(procs) as pool:
            parts = pool.map(_render_chunk, chunks)
    return np.concatenate(parts)


# --------------------------------------------------------------------------- device
class DeviceBank:
    """uint8 (N, S, S, 3) crops on the device."""

    def __init__(self, arr, device):
        self.t = torch.from_numpy(np.ascontiguousarray(arr)).to(device)
        self.device = device
        self.n, self.size = arr.shape[0], arr.shape[1]

    def sample(self, n, p, rng, dihedral=True):
        """(n, 3, p, p) float in [0, 1]: random patches, each with a random flip/rotation."""
        if p > self.size:
            raise ValueError(f"patch {p} px from a bank of {self.size} px crops")
        r = np.stack([rng.integers(0, self.n, n), rng.integers(0, self.size - p + 1, n),
                      rng.integers(0, self.size - p + 1, n), rng.integers(0, 8 if dihedral else 2, n)])
        t = degrade.to_device(r, self.device, torch.long)
        ar = torch.arange(p, device=self.device)
        rows, cols = t[1][:, None] + ar, t[2][:, None] + ar
        x = self.t[t[0][:, None, None], rows[:, :, None], cols[:, None, :]]           # n, p, p, 3
        x = x.permute(0, 3, 1, 2).float().div_(255)
        k = t[3][:, None, None, None]
        x = torch.where((k & 1) > 0, x.flip(-1), x)               # horizontal flip
        if dihedral:
            x = torch.where((k & 2) > 0, x.flip(-2), x)
            x = torch.where((k & 4) > 0, x.transpose(-1, -2), x)
        return x.contiguous()


class PairSource:
    """(lr, d, hr) batches of one bank through one degrader (photos, faces, text)."""

    def __init__(self, bank, degrader, scale, lr_patch, batch, dihedral=True):
        self.bank, self.degrader = bank, degrader
        self.scale, self.lr_patch, self.batch, self.dihedral = scale, lr_patch, batch, dihedral

    def next(self, rng):
        hr = self.bank.sample(self.batch, self.lr_patch * self.scale, rng, self.dihedral)
        with degrade.no_autotune():
            lr, d = self.degrader(hr, rng)
        return lr, d, hr


class SharpSource:
    """The sharp job's step data: a photo batch (GAN, distillation, FFT, pixel loss) and a text
    batch (pixel loss only: text must stay what it is)."""

    def __init__(self, photos, text):
        self.photos, self.text = photos, text

    def next(self, rng):
        return {"photo": self.photos.next(rng), "text": self.text.next(rng) if self.text else None}
