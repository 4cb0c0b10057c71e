"""Aligned face crops for the face model: the crops the engine restores at run time.

For every face image (faces.list_faces: split by source prefix) and several sizes of it:
  HR' = the image shrunk by g (antialiased; g spreads the faces over the sizes the engine
        meets, LR eye distance ~5..35 px at x4),
  LR  = MATLAB-bicubic HR' / scale, on which the detector runs (as the engine's does),
  T   = face_align.align_face(best face): LR px -> canonical LR crop px.
Training pairs (AlignedPairSampler) are drawn on the fly: HR' is degraded to an LR image
(30 % clean MATLAB bicubic at d = 0, else data.degrade at strength d), the LR is warped
to the canonical crop with T (bilinear, as the engine cuts it), the HR' with T scaled by
`scale` (the target); then an lr_patch square, centred inside the face mask, is cut from
both. The model is fully convolutional, so what alignment buys it is one orientation and,
for faces smaller than the canonical size, one scale.

    from face_crops import aligned_items, AlignedPairSampler
    items = aligned_items("train", scale=4)        # cached in work/spec/
    sampler = AlignedPairSampler(items, 4, 40)
    lr, d, hr = sampler.batch(16)
"""
import math
import os
import pickle
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data          # noqa: E402
import face_align    # noqa: E402
import faces         # noqa: E402

SHRINK = {"train": (1.0, 1.4, 2.0, 2.8), "val": (1.0, 2.0)}
WORK = os.path.join(HERE, "work", "spec")


def base_image(path):
    """A face image shrunk by 0.75 (as data.val_crops / build_bank: removes the JPEG q95 traces);
    every size of it is made from this."""
    with Image.open(path) as src:
        im = src.convert("RGB")
    return im.resize((round(im.size[0] * 0.75), round(im.size[1] * 0.75)), Image.BICUBIC, reducing_gap=None)


def sized(base, g, scale):
    """HR' of one training size: the base image (PIL) shrunk by g (antialiased), cropped to a
    multiple of scale (uint8 HxWx3)."""
    if g == 1.0:
        hr = np.asarray(base, dtype=np.uint8)
    else:
        w, h = base.size
        hr = np.asarray(base.resize((round(w / g), round(h / g)), Image.BICUBIC, reducing_gap=None), dtype=np.uint8)
    return hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]


def detect_aligned(det, hr, scale):
    """The transform of the best face the detector finds in the clean LR of hr (as the engine
    finds it in its input), or None."""
    found = det.detect(data.clean_lr(hr, scale))
    return face_align.align_face(found[0]) if found else None


def aligned_items(split, scale=4, detector=None, log=print):
    """[(name, hr uint8 HxWx3 cropped to a multiple of scale, Similarity on the LR)], one per
    (image, size) whose LR the detector finds a face in (its best face). Cached."""
    path = os.path.join(WORK, f"aligned_{split}_x{scale}.rules{face_align.SEARCH_RULES}.pkl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            items = pickle.load(f)
        # the cache keeps each face's eyes (through its transform); align them by today's rules
        return [(n, hr, face_align.align_eyes(*face_align.eyes_of(t))) for n, hr, t in items]
    det = detector or face_align.Detector()
    items, missed = [], 0
    files = faces.list_faces(split)
    for i, p in enumerate(files):
        base = base_image(p)
        for g in SHRINK[split]:
            hr = sized(base, g, scale)
            t = detect_aligned(det, hr, scale)
            if t is None:
                missed += 1
                continue
            items.append((f"{os.path.basename(p)}@{g}", hr, t))
        if (i + 1) % 50 == 0:
            log(f"  aligned {split}: {i + 1}/{len(files)} images, {len(items)} crops, {missed} without a face", flush=True)
    os.makedirs(WORK, exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        pickle.dump(items, f)
    os.replace(path + ".tmp", path)
    log(f"aligned {split}: {len(items)} crops, {missed} sizes without a face", flush=True)
    return items


def canonical_pair(hr, t, scale, lr=None):
    """(LR canonical crop 3 x side x side, HR canonical crop 3 x side*s x side*s), float 0..1;
    lr defaults to the clean MATLAB-bicubic LR of hr."""
    if lr is None:
        lr = data.to_tensor(data.clean_lr(hr, scale))
    lr_c = face_align.warp(lr, t, t.side)
    hr_c = face_align.warp(data.to_tensor(hr), face_align.align_lr_to_hr(t, scale), t.side * scale)
    return lr_c, hr_c


class AlignedPairSampler:
    """Batches (lr, d, hr) of aligned face patches; same interface as data.PairSampler."""

    def __init__(self, items, scale, lr_patch, seed=0, strong_share=0.0, general_bank=None, general_share=0.0):
        self.items, self.scale, self.lr_patch = items, scale, lr_patch
        self.strong_share = strong_share
        self.rng = np.random.default_rng(seed)
        self.general = data.PairSampler(general_bank, scale, lr_patch, seed + 1, strong_share) if general_share > 0 else None
        self.general_share = general_share

    def sample(self):
        if self.general is not None and self.rng.random() < self.general_share:
            return self.general.sample()
        _, hr, t = self.items[self.rng.integers(len(self.items))]
        # a patch centred inside the face mask (where the engine keeps the model's pixels)
        p, side, s = self.lr_patch, t.side, self.scale
        while True:
            u, v = self.rng.uniform(0.15, 0.85), self.rng.uniform(0.1, 0.9)
            if face_align.mask(u, v) > 0.5:
                break
        x0 = int(np.clip(round(u * side - p / 2), 0, side - p))
        y0 = int(np.clip(round(v * side - p / 2), 0, side - p))
        # only the part of the image under the patch (plus a margin for the blurs) is degraded
        inv = t.inverse()
        pts = [inv.apply(x, y) for x in (x0, x0 + p) for y in (y0, y0 + p)]
        H, W = hr.shape[0] // s, hr.shape[1] // s
        m = 8
        rx0 = max(0, int(math.floor(min(q[0] for q in pts))) - m)
        ry0 = max(0, int(math.floor(min(q[1] for q in pts))) - m)
        rx1 = min(W, int(math.ceil(max(q[0] for q in pts))) + m)
        ry1 = min(H, int(math.ceil(max(q[1] for q in pts))) + m)
        # a patch hanging over the image's edge leaves a thin region: widen it (the blurs need room)
        least = min(24, W, H)
        if rx1 - rx0 < least:
            rx0 = min(max(0, rx0 - (least - (rx1 - rx0))), W - least)
            rx1 = rx0 + least
        if ry1 - ry0 < least:
            ry0 = min(max(0, ry0 - (least - (ry1 - ry0))), H - least)
            ry1 = ry0 + least
        region = np.ascontiguousarray(hr[ry0 * s:ry1 * s, rx0 * s:rx1 * s])
        if self.rng.random() < data.CLEAN_SHARE:
            d, lr = 0.0, data.to_tensor(data.clean_lr(region, s))
        else:
            d = 1.0 if self.rng.random() < self.strong_share else float(self.rng.uniform(0, 1))
            lr = data.quantize(data.degrade(data.to_tensor(region), s, d, self.rng))
        tr = face_align.shifted(t, rx0, ry0)
        lr_p = face_align.warp(lr, tr, p, origin=(x0, y0))
        hr_p = face_align.warp(data.to_tensor(region), face_align.align_lr_to_hr(tr, s), p * s, origin=(x0 * s, y0 * s))
        if self.rng.random() < 0.5:            # a mirrored face is still an upright face
            lr_p, hr_p = lr_p.flip(-1), hr_p.flip(-1)
        return lr_p.contiguous(), d, hr_p.contiguous()

    def batch(self, n):
        items = [self.sample() for _ in range(n)]
        return (torch.stack([i[0] for i in items]), torch.tensor([i[1] for i in items], dtype=torch.float32),
                torch.stack([i[2] for i in items]))


if __name__ == "__main__":
    torch.set_num_threads(1)
    for split in ("val", "train"):
        aligned_items(split)


def validation_inputs(items, scale):
    """Per item (LR crop clean, LR crop of the fixed degraded input (data.degrade_fixed), HR crop
    as uint8): what validate measures on, made once per item set."""
    sys.path.insert(0, os.path.join(HERE, "..", "eval"))
    from metrics import to_uint8
    out = []
    for i, (_, hr, t) in enumerate(items):
        clean_c, hr_c = canonical_pair(hr, t, scale)
        deg_c, _ = canonical_pair(hr, t, scale, data.degrade_fixed(hr, scale, seed=1000 + i))
        out.append((clean_c, deg_c, to_uint8(hr_c.permute(1, 2, 0).numpy())))
    return out


@torch.no_grad()
def validate(model, items, scale, device, general=None, inputs=None):
    """Mean PSNR-Y (shave = scale) on the canonical crops of held-out faces: clean LR at d = 0,
    and the fixed degraded input (data.degrade_fixed) at d = 0 and d = 1. With `general` (a
    second model) also its numbers on the same crops, keys prefixed "general_". `inputs`:
    validation_inputs(items, scale), when the caller measures several models."""
    sys.path.insert(0, os.path.join(HERE, "..", "eval"))
    from metrics import psnr_y, to_uint8
    nets = {"": model} if general is None else {"": model, "general_": general}
    was_training = {k: m.training for k, m in nets.items()}
    for m in nets.values():
        m.eval()
    res = {}
    for clean_c, deg_c, ref in inputs if inputs is not None else validation_inputs(items, scale):
        for key, lr_c, d in (("clean_d0", clean_c, 0.0), ("deg_d0", deg_c, 0.0), ("deg_d1", deg_c, 1.0)):
            for prefix, m in nets.items():
                sr = m(lr_c[None].to(device), torch.tensor([d], device=device)).float()[0]
                sr = to_uint8(sr.clamp(0, 1).permute(1, 2, 0).cpu().numpy())
                res.setdefault(prefix + key, []).append(psnr_y(sr, ref, scale))
    for k, m in nets.items():
        m.train(was_training[k])
    return {k: float(np.mean(v)) for k, v in res.items()}
