"""Face data for the face specialist (face-x4 / face-x2).

Source: faces/train in the datasets folder (datasets.py; 462 square face crops, JPEG q95).
Validation split by *source prefix* (the part of the file name before "__"), because
the same people recur inside a source (deepface_tests, facemask, ...): whole sources
are held out, so no validation face is a person seen in training (as far as the
file names tell).

Degradations: the general recipe's d-conditioned model (data.degrade: blur, resize
jitter, Gaussian/Poisson noise, JPEG, optional 2nd order; CLEAN_SHARE at d = 0 with
MATLAB-bicubic LR). For faces the usual real-world damage is exactly this mix
(soft focus, sensor noise, JPEG), so the distribution is kept and only the content
changes. A share of general photo crops (GENERAL_SHARE) stays in the bank so the
model keeps its non-face behaviour (Set14 must not drop more than 0.5 dB).

    /usr/bin/python3 models/training/faces.py     # builds work/spec/face_bank_160.npy
"""
import glob
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import datasets  # noqa: E402

FACE_ROOT = datasets.path("faces", "train")
VAL_SOURCES = {"human_samples_real", "face_recognition", "deca_samples", "gpen_selfie", "3ddfa_v2"}
GENERAL_SHARE = 0.25
WORK = os.path.join(HERE, "work", "spec")


def source(path):
    return os.path.basename(path).split("__")[0]


def list_faces(split):
    files = sorted(glob.glob(os.path.join(FACE_ROOT, "*")))
    return [f for f in files if (source(f) in VAL_SOURCES) == (split == "val")]


def build_face_bank(files, crop=160, per_image=14, seed=0):
    """Crops of each face image at several scales: the whole face shrunk to the crop
    (f small) down to 1:1 detail (f = 1); same antialiased shrink as data.build_bank,
    which also removes the JPEG q95 traces."""
    rng = np.random.default_rng(seed)
    out = []
    for path in files:
        im = Image.open(path).convert("RGB")
        w, h = im.size
        for k in range(per_image):
            # k == 0: whole image; else random scale in [crop/min(w,h), 1]
            lo = crop / min(w, h)
            f = lo if k == 0 else rng.uniform(max(lo, 0.35), 1.0)
            c = min(int(round(crop / f)), w, h)
            x0, y0 = rng.integers(0, w - c + 1), rng.integers(0, h - c + 1)
            patch = im.crop((x0, y0, x0 + c, y0 + c))
            if c != crop:
                patch = patch.resize((crop, crop), Image.BICUBIC, reducing_gap=None)
            out.append(np.asarray(patch, dtype=np.uint8))
    return np.stack(out)


def load_train_bank(seed=0, general_share=GENERAL_SHARE):
    """Face crops + general_share of general photo crops (uint8 N x 160 x 160 x 3)."""
    path = os.path.join(WORK, "face_bank_160.npy")
    if os.path.exists(path):
        faces = np.load(path)
    else:
        os.makedirs(WORK, exist_ok=True)
        faces = build_face_bank(list_faces("train"))
        np.save(path, faces)
    general = np.load(os.path.join(HERE, "work", "bank_160.npy"), mmap_mode="r")
    n_gen = int(len(faces) * general_share / (1 - general_share))
    idx = np.sort(np.random.default_rng(seed).choice(len(general), n_gen, replace=False))
    return np.concatenate([faces, np.asarray(general[idx])])


def load_val_hr(max_size=384):
    """Held-out faces, prepared like the general validation images (data.val_crops)."""
    return data.val_crops(list_faces("val"), max_size)


if __name__ == "__main__":
    tr, va = list_faces("train"), list_faces("val")
    print(f"train {len(tr)} files, val {len(va)} files (sources {sorted(VAL_SOURCES)})")
    b = load_train_bank()
    print("bank", b.shape)
