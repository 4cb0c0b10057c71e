"""Training data on the device: uint8 crop banks in GPU memory and the batch sources of each kind.

CPU side (before CUDA starts, so worker processes can fork):
  * photos: the bundle's crops as they are;
  * faces: every training size of every face (bundle.Bundle.aligned) with the engine's crop
    transform, per scale;
  * text: TEXT_BANK scenes rendered by text_data.Renderer from the bundle's fonts and icons on
    all CPU cores (about 10 ms a scene on one core).
Device side: DeviceBank.sample cuts per-sample random patches with one gather and applies a
per-sample dihedral transform (text: horizontal flips only, as TextPairSampler); AlignedFaces
cuts aligned face patches as face_crops.AlignedPairSampler does. Every random number is drawn on
the host (degrade.to_device). Sources return (lr, d, hr) batches.
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
import face_align                # noqa: E402
import text_data                 # noqa: E402


# ------------------------------------------------------------------------------ CPU
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


def turn(x, k):
    """The k-th of the eight flips and rotations of NCHW x (bits as DeviceBank.sample: 1 mirror,
    2 upside down, 4 transpose); 0 is x itself."""
    if k & 1:
        x = x.flip(-1)
    if k & 2:
        x = x.flip(-2)
    if k & 4:
        x = x.transpose(-1, -2)
    return x.contiguous() if k else x


def _turned(batch, k):
    """A source's batch ((lr, d, hr), or a dict of them) with lr and hr turned alike."""
    if isinstance(batch, dict):
        return {name: None if b is None else _turned(b, k) for name, b in batch.items()}
    lr, d, hr = batch
    return turn(lr, k), d, turn(hr, k)


class Reused:
    """Serves each batch of a source `times` times, every time in a different orientation.

    Degrading a batch (sampling, blur, resize, noise, JPEG: thousands of small ops the host issues
    one by one) took 18.8 ms on the H200 against 8.0 ms for a fast training step at batch 128
    (runs/2026-11-28-h200/diagnose.log), so data was about half of every round. A batch turned
    is a new sample for a network that is not rotation-invariant. A clean pair stays exactly a
    clean pair (MATLAB's bicubic commutes with the turns; tested); a degraded one is a plausible
    pair rather than one the degrader would make (its blur kernels are as likely turned, but JPEG's
    tables and its block grid at the intermediate sizes are not symmetric). The turns are the
    source's own (`source.turns`: all eight for photos, the mirror only for upright text and faces),
    so photo batches serve up to `times` rounds and text, face and sharp batches at most two."""

    def __init__(self, source, times):
        self.source = source
        self.turns = getattr(source, "turns", 8)
        self.times = max(1, min(int(times), self.turns))
        self.queue = []
        self.batch = None

    def next(self, rng):
        if not self.queue:
            self.batch = self.source.next(rng)
            self.queue = [0] + [int(k) + 1 for k in rng.permutation(self.turns - 1)[:self.times - 1]]
        return _turned(self.batch, self.queue.pop(0))


class PairSource:
    """(lr, d, hr) batches of one bank through one degrader (photos, faces, text)."""

    def __init__(self, bank, degrader, scale, lr_patch, batch, dihedral=True):
        self.bank, self.degrader = bank, degrader
        self.scale, self.lr_patch, self.batch, self.dihedral = scale, lr_patch, batch, dihedral
        self.turns = 8 if dihedral else 2          # the orientations its samples come in (Reused)

    def next(self, rng):
        hr = self.bank.sample(self.batch, self.lr_patch * self.scale, rng, self.dihedral)
        with degrade.no_autotune():
            lr, d = self.degrader(hr, rng)
        return lr, d, hr


def _mirror(i, n):
    """Symmetric indices (... 1 0 | 0 1 ... n-1 | n-1 n-2 ...), MATLAB imresize's padding, so the
    clean LR of a region over an image edge equals the whole image's clean LR inside it."""
    i = torch.remainder(i, 2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


class AlignedFaces:
    """face_crops.AlignedPairSampler on the device. Every training size of every face (HR' uint8)
    lives in one flat buffer, each with its crop transform T (LR image px -> canonical crop px).
    A sample is an lr_patch square of the canonical crop centred inside the face mask (where the
    engine keeps the model's pixels). The part of the image under it, plus MARGIN LR px for the
    blurs, is cut from the HR' (a region of the same size for the whole batch) and degraded as an
    image (the engine meets an image already degraded and cuts its crop from that, so the
    degradations' blocks and noise follow the image's axes, not the crop's); then the LR patch is
    read from the degraded region with T and the HR patch from the clean region with T times the
    scale (face_align.warp: bilinear at each pixel centre's inverse, clamped to the image)."""
    MARGIN = 8
    ROUND = 8          # region sides rounded up to this: fewer distinct shapes to resize

    def __init__(self, items, scale, device):
        self.scale, self.device, self.n = scale, device, len(items)
        hw = np.array([hr.shape[:2] for _, hr, _ in items], np.int64)
        self.lr_hw = hw // scale
        inv = [t.inverse() for _, _, t in items]
        self.inv = np.array([[i.a, i.b, i.tx, i.ty] for i in inv], np.float64)
        self.side = np.array([t.side for _, _, t in items], np.int64)
        offsets = np.concatenate([[0], np.cumsum(hw[:, 0] * hw[:, 1])[:-1]])
        self.buf = torch.from_numpy(np.concatenate([hr.reshape(-1, 3) for _, hr, _ in items])).to(device)
        self.meta = torch.from_numpy(np.stack([offsets, hw[:, 0], hw[:, 1]], 1)).to(device)
        self.inv_dev = torch.from_numpy(self.inv).to(device)

    def positions(self, idx, p, rng):
        """Patch origins (crop px) whose centre lies inside the face mask (as AlignedPairSampler)."""
        if p > self.side[idx].min():
            raise ValueError(f"LR patch {p} px is larger than a crop ({self.side[idx].min()} px)")
        u, v = np.empty(len(idx)), np.empty(len(idx))
        todo = np.arange(len(idx))
        while len(todo):
            uu, vv = rng.uniform(0.15, 0.85, len(todo)), rng.uniform(0.1, 0.9, len(todo))
            ok = face_align.mask(uu, vv) > 0.5
            u[todo[ok]], v[todo[ok]] = uu[ok], vv[ok]
            todo = todo[~ok]
        side = self.side[idx]
        x0 = np.clip(np.round(u * side - p / 2), 0, side - p).astype(np.int64)
        y0 = np.clip(np.round(v * side - p / 2), 0, side - p).astype(np.int64)
        return x0, y0

    def regions(self, idx, x0, y0, p):
        """(rx0, ry0, R): each sample's region origin (LR px of its image) and the batch's region
        side, covering the patch's image footprint (its crop corners through T^-1, clamped to the
        image as the sampling is) plus MARGIN."""
        ia, ib, itx, ity = (c[:, None] for c in self.inv[idx].T)
        cx = np.stack([x0, x0 + p, x0, x0 + p], 1).astype(np.float64)
        cy = np.stack([y0, y0, y0 + p, y0 + p], 1).astype(np.float64)
        ix, iy = ia * cx - ib * cy + itx - 0.5, ib * cx + ia * cy + ity - 0.5
        h, w = self.lr_hw[idx, 0], self.lr_hw[idx, 1]
        lo_x, hi_x = np.floor(np.clip(ix.min(1), 0, w - 1)), np.ceil(np.clip(ix.max(1), 0, w - 1))
        lo_y, hi_y = np.floor(np.clip(iy.min(1), 0, h - 1)), np.ceil(np.clip(iy.max(1), 0, h - 1))
        need_x, need_y = hi_x - lo_x + 2 + 2 * self.MARGIN, hi_y - lo_y + 2 + 2 * self.MARGIN
        R = int(-(-max(need_x.max(), need_y.max()) // self.ROUND) * self.ROUND)
        rx0 = (lo_x - self.MARGIN - (R - need_x) // 2).astype(np.int64)
        ry0 = (lo_y - self.MARGIN - (R - need_y) // 2).astype(np.int64)
        return rx0, ry0, R

    def cut(self, idx, x0, y0, flip, p, degrader, rng):
        """(lr (n, 3, p, p), d (n,), hr (n, 3, p*s, p*s)) for items idx at crop origins (x0, y0),
        mirrored where flip (a mirrored face is still an upright one)."""
        s, dev = self.scale, self.device
        rx0, ry0, R = self.regions(idx, x0, y0, p)
        t = degrade.to_device(np.stack([idx, x0, y0, rx0, ry0, flip]), dev, torch.long)
        it, X0, Y0, RX, RY, FL = t
        off, H, W = self.meta.index_select(0, it).T
        ar = torch.arange(R * s, device=dev)
        ys = _mirror(RY[:, None] * s + ar, H[:, None])
        xs = _mirror(RX[:, None] * s + ar, W[:, None])
        pix = off[:, None, None] + ys[:, :, None] * W[:, None, None] + xs[:, None, :]
        hr_reg = self.buf[pix].permute(0, 3, 1, 2).float().div_(255)              # n, 3, R*s, R*s
        with degrade.no_autotune():
            lr_reg, d = degrader(hr_reg, rng)
        inv = self.inv_dev.index_select(0, it)
        lr = self._warp(lr_reg, inv, X0, Y0, RX, RY, H // s, W // s, p, 1)
        hr = self._warp(hr_reg, inv, X0 * s, Y0 * s, RX * s, RY * s, H, W, p * s, s)
        f = (FL > 0)[:, None, None, None]
        return torch.where(f, lr.flip(-1), lr).contiguous(), d, torch.where(f, hr.flip(-1), hr).contiguous()

    @staticmethod
    def _warp(img, inv, X0, Y0, RX, RY, h, w, n_out, k):
        """n_out x n_out pixels of the canonical crop at k px per LR crop px (1: the LR crop, s: the
        HR crop, whose transform is T's times s) from crop px (X0, Y0), read from regions img whose
        top-left is image px (RX, RY). Coordinates in float64 (image px reach thousands at x4)."""
        c = torch.arange(n_out, device=img.device, dtype=torch.float64) + 0.5
        cx, cy = (X0[:, None] + c)[:, None, :], (Y0[:, None] + c)[:, :, None]
        ia, ib, itx, ity = (v[:, None, None] for v in inv.T)
        ix = ia * cx - ib * cy + k * itx - 0.5
        iy = ib * cx + ia * cy + k * ity - 0.5
        ix = torch.minimum(ix.clamp_min(0), (w - 1)[:, None, None].double()) - RX[:, None, None]
        iy = torch.minimum(iy.clamp_min(0), (h - 1)[:, None, None].double()) - RY[:, None, None]
        side = img.shape[-1] - 1
        grid = (torch.stack([ix, iy], -1) * (2.0 / side) - 1).float()
        return torch.nn.functional.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=True)


class AlignedFaceSource:
    """(lr, d, hr) batches of a face job: aligned face patches and a fixed number of photo patches
    (the photo source; keeps the model's non-face behaviour, as the CPU recipe's general share)."""

    def __init__(self, faces, degrader, lr_patch, batch, photos=None):
        self.faces, self.degrader, self.lr_patch = faces, degrader, lr_patch
        self.photos = photos
        self.n_faces = batch - (photos.batch if photos else 0)
        self.turns = 2                               # faces stay upright: mirrored only (Reused)

    def draw(self, rng):
        """(items, crop origins x0, y0, mirror flags) of the next batch's face samples."""
        idx = rng.integers(0, self.faces.n, self.n_faces)
        x0, y0 = self.faces.positions(idx, self.lr_patch, rng)
        return idx, x0, y0, rng.random(self.n_faces) < 0.5

    def next(self, rng):
        lr, d, hr = self.faces.cut(*self.draw(rng), self.lr_patch, self.degrader, rng)
        if self.photos is None:
            return lr, d, hr
        plr, pd, phr = self.photos.next(rng)
        return torch.cat([lr, plr]), torch.cat([d, pd]), torch.cat([hr, phr])


class SharpSource:
    """The sharp job's step data: a photo batch (GAN, distillation, FFT, pixel loss) and a text
    batch (pixel loss only: text must stay what it is)."""

    def __init__(self, photos, text):
        self.photos, self.text = photos, text
        self.turns = text.turns if text else photos.turns      # one turn for both parts (Reused)

    def next(self, rng):
        return {"photo": self.photos.next(rng), "text": self.text.next(rng) if self.text else None}
