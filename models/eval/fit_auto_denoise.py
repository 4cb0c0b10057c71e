"""Fit and check automatic denoise ("auto") on the validation split.

    /usr/bin/python3 models/eval/fit_auto_denoise.py               # build (cached), fit, report
    /usr/bin/python3 models/eval/fit_auto_denoise.py --grid-only   # only the slow part: inputs and PSNR grid
    /usr/bin/python3 models/eval/fit_auto_denoise.py --no-fit      # report the engine's current mapping only

Once the grid is cached, a run takes a minute or two (building the developer tool, the
engine's features, the fit).

What it does, in order:
  1. Inputs. Every validation image (data.list_images("val"), the 3 % hash split never
     trained on; never bench/) is downscaled by 0.75 as data.val_crops does and centre-
     cropped so that its LR is at most 128 px on each side (images whose LR would be under
     32 px are left out: there is nothing to measure in them), then degraded at every
     level of LEVELS: optional Gaussian blur at HR (sigma 0.8 HR px, as data.degrade_fixed),
     MATLAB-bicubic downscale (imresize.py), optional Gaussian noise (independent per
     channel, seeded per image and level), rounding to 8 bits, and optional JPEG (PIL,
     which is libjpeg-turbo, the same as data.jpeg). Each LR is written as the file a
     user would have: .png, or .jpg for the JPEG levels, under models/eval/work/auto-denoise/.
  2. PSNR grid. The shipped general-x4 and general-x2 (PyTorch CompactSR loaded from the
     ONNX files with model.from_onnx, one thread) at strengths 0, 0.1, ..., 1; PSNR-Y
     against the clean HR with `scale` px shaved (metrics.py). Cached in
     work/auto-denoise/psnr-x{scale}.json (about 20 minutes of one core to build: a third
     for x4, two thirds for x2).
  3. Features. The engine's own estimator, through the developer tool
     (`upscaler-dev denoise-features FILE...`, tools/Upscaler.DevTools): noise sigma,
     the JPEG quality from the file's quantization table (JPEG files only), blockiness,
     and the strength the engine suggests with and without the quality.
  4. Fit. The mapping of DenoiseAdvisor (src/Upscaler.Core/Analysis) is
         noise       = clamp((sigma - SIGMA_FLOOR) / SIGMA_SPAN, 0, 1)
         compression = clamp((QUALITY_TOP - q) / QUALITY_SPAN, 0, 1)        (q known)
                     = clamp((blockiness - BLOCK_FLOOR) / BLOCK_SPAN, 0, 1) (q unknown)
         strength    = max(noise, compression)
     Its constants are chosen by grid search (fit()) to maximise, over both scales, first
     the number of levels that meet the targets below, then the mean over levels of
     auto minus the best fixed strength (PSNR at a strength between grid points is
     interpolated linearly). The noise and quality constants are searched on the inputs
     as files, the blockiness ones on the same inputs judged from pixels alone. The
     fitted constants are printed; the engine's copies are set by hand from them (a
     change to the mapping is a code review), and the script says when they differ.
  5. Report. Per scale and level: strength 0, the best fixed strength, and auto as the
     engine computes it (step 3's strengths, with the file's JPEG quality, and from
     pixels only), against the targets of issue #16: clean within 0.2 dB of strength 0,
     every degraded level within 0.3 dB of its best fixed strength. Written to
     models/eval/results/auto-denoise.json; a Markdown table is printed for the model
     card (models/README.md).
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time
import zlib

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from imresize import imresize                 # noqa: E402
from metrics import psnr_y, to_uint8           # noqa: E402
import data                                    # noqa: E402
from model import from_onnx                    # noqa: E402

WORK = os.path.join(HERE, "work", "auto-denoise")
RESULTS = os.path.join(HERE, "results", "auto-denoise.json")
DEVTOOL = os.path.join(ROOT, "tools", "Upscaler.DevTools")
STRENGTHS = [round(0.1 * i, 1) for i in range(11)]
MAX_LR = 128
MIN_LR = 32
BLUR = 0.8        # HR px, as data.degrade_fixed

# name: (blur, noise sigma in 8-bit levels, JPEG quality or None)
LEVELS = {
    "clean": (False, 0, None),
    "noise 2": (False, 2, None),
    "noise 5": (False, 5, None),
    "noise 10": (False, 10, None),
    "noise 15": (False, 15, None),
    "JPEG 95": (False, 0, 95),
    "JPEG 80": (False, 0, 80),
    "JPEG 60": (False, 0, 60),
    "JPEG 40": (False, 0, 40),
    "noise 2 + JPEG 90": (False, 2, 90),
    "noise 5 + JPEG 80": (False, 5, 80),
    "noise 10 + JPEG 60": (False, 10, 60),
    "noise 15 + JPEG 40": (False, 15, 40),
    "blur": (True, 0, None),
    "blur + noise 5": (True, 5, None),
    "blur + JPEG 60": (True, 0, 60),
    "blur + noise 10 + JPEG 60": (True, 10, 60),
    "blur + noise 15 + JPEG 40": (True, 15, 40),
}
CLEAN = "clean"


def slug(level):
    return level.replace(" + ", "+").replace(" ", "")


# ------------------------------------------------------------------------- inputs
def val_images(scale):
    """(name, HR uint8) pairs: each validation file downscaled by 0.75 as data.val_crops does
    (removes the source's JPEG traces), then centre-cropped to at most MAX_LR * scale px on
    each side, a multiple of the scale; images whose LR would be under MIN_LR px are left out."""
    out = []
    for path in data.list_images("val"):
        im = data._load_rgb(path)
        w, h = im.size
        im = im.resize((round(w * 0.75), round(h * 0.75)), Image.BICUBIC, reducing_gap=None)
        w, h = im.size
        cw, ch = (min(MAX_LR * scale, n) // scale * scale for n in (w, h))
        if min(cw, ch) // scale < MIN_LR:
            continue
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        hr = np.asarray(im.crop((x0, y0, x0 + cw, y0 + ch)), dtype=np.uint8)
        out.append((os.path.splitext(os.path.basename(path))[0], hr))
    return out


def make_lr(hr, scale, level, seed):
    blur, sigma, quality = LEVELS[level]
    x = hr
    if blur:
        k = data.gaussian_kernel(BLUR, BLUR, 0.0, size=7)
        x = to_uint8(data.blur(data.to_tensor(hr), k).permute(1, 2, 0).numpy())
    lr = imresize(x, 1.0 / scale).astype(np.float64)
    if sigma:
        lr = lr + np.random.default_rng(seed).normal(0, sigma, lr.shape)
    return np.clip(np.round(lr), 0, 255).astype(np.uint8), quality


def write_inputs(scale):
    """Writes every LR file once; returns [(level, name, path)] and the HR images by name."""
    images = val_images(scale)
    rows = []
    for level in LEVELS:
        folder = os.path.join(WORK, f"x{scale}", slug(level))
        os.makedirs(folder, exist_ok=True)
        for name, hr in images:
            seed = zlib.crc32(f"{scale}/{level}/{name}".encode())
            lr, quality = make_lr(hr, scale, level, seed)
            path = os.path.join(folder, name + (".jpg" if quality else ".png"))
            if not os.path.exists(path):
                if quality:
                    Image.fromarray(lr).save(path, format="JPEG", quality=quality)
                else:
                    Image.fromarray(lr).save(path)
            rows.append((level, name, path))
    return rows, dict(images)


# --------------------------------------------------------------------- PSNR grid
def psnr_grid(scale, rows, hrs):
    cache = os.path.join(WORK, f"psnr-x{scale}.json")
    grid = json.load(open(cache)) if os.path.exists(cache) else {}
    todo = [r for r in rows if f"{r[0]}/{r[1]}" not in grid]
    if todo:
        model = from_onnx(__import__("onnx").load(os.path.join(ROOT, "models", "general", f"general-x{scale}.onnx")))
        model = model.to(memory_format=torch.channels_last)
        d = torch.tensor(STRENGTHS, dtype=torch.float32)
        t0 = time.time()
        for i, (level, name, path) in enumerate(todo):
            lr = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
            x = torch.from_numpy(lr).permute(2, 0, 1)[None].expand(len(STRENGTHS), -1, -1, -1)
            with torch.no_grad():
                y = model(x.contiguous(memory_format=torch.channels_last), d).numpy()
            grid[f"{level}/{name}"] = [round(psnr_y(to_uint8(np.clip(s.transpose(1, 2, 0), 0, 1)), hrs[name], scale), 4) for s in y]
            if (i + 1) % 50 == 0 or i + 1 == len(todo):
                print(f"  x{scale}: {i + 1}/{len(todo)} inputs, {time.time() - t0:.0f} s", flush=True)
                with open(cache, "w") as f:
                    json.dump(grid, f)
    return grid


# ----------------------------------------------------------------------- features
def features(paths):
    """The engine's measurements of every file, from the developer tool (built on first use)."""
    subprocess.run(["dotnet", "build", DEVTOOL, "-c", "Release", "-v", "q", "-nologo"], check=True, stdout=subprocess.DEVNULL)
    tool = os.path.join(DEVTOOL, "bin", "Release", "net10.0", "upscaler-dev.dll")
    out = {}
    for i in range(0, len(paths), 400):
        res = subprocess.run(["dotnet", tool, "denoise-features", *paths[i:i + 400]], check=True, capture_output=True, text=True)
        out.update({r["file"]: r for r in json.loads(res.stdout)})
    return out


# ---------------------------------------------------------------------------- fit
def strength_of(sigma, quality, blockiness, c):
    """The engine's mapping (DenoiseAdvisor.Strength), on arrays; quality NaN = unknown."""
    noise = np.clip((sigma - c["SIGMA_FLOOR"]) / c["SIGMA_SPAN"], 0, 1)
    from_quality = np.clip((c["QUALITY_TOP"] - quality) / c["QUALITY_SPAN"], 0, 1)
    from_blocks = np.clip((blockiness - c["BLOCK_FLOOR"]) / c["BLOCK_SPAN"], 0, 1)
    return np.maximum(noise, np.where(np.isnan(quality), from_blocks, from_quality))


def psnr_at(curves, s):
    """PSNR of each row of curves [n, 11] at strength s [n], linear between the grid's strengths."""
    x = np.clip(np.asarray(s, float), 0, 1) * (len(STRENGTHS) - 1)
    i = np.minimum(x.astype(int), len(STRENGTHS) - 2)
    rows = np.arange(len(curves))
    return curves[rows, i] + (x - i) * (curves[rows, i + 1] - curves[rows, i])


class Judge:
    """Scores a mapping on all samples: how many (scale, level) targets it meets, then the mean over
    levels of auto minus the best fixed strength (every level weighs the same, however many images)."""

    def __init__(self, samples):
        self.curves = np.array([s["psnr"] for s in samples])
        self.sigma = np.array([s["sigma"] for s in samples])
        self.quality = np.array([np.nan if s["quality"] is None else s["quality"] for s in samples], float)
        self.blockiness = np.array([s["blockiness"] for s in samples])
        keys = sorted({(s["scale"], s["level"]) for s in samples})
        self.groups = [np.array([i for i, s in enumerate(samples) if (s["scale"], s["level"]) == k]) for k in keys]
        self.keys = keys
        self.reference, self.limit = [], []
        for (scale, level), g in zip(keys, self.groups):
            mean = self.curves[g].mean(0)
            self.reference.append(mean[0] if level == CLEAN else mean.max())
            self.limit.append(0.2 if level == CLEAN else 0.3)
        self.reference, self.limit = np.array(self.reference), np.array(self.limit)

    def score(self, c, pixels_only=False):
        quality = np.full_like(self.quality, np.nan) if pixels_only else self.quality
        psnr = psnr_at(self.curves, strength_of(self.sigma, quality, self.blockiness, c))
        level_means = np.array([psnr[g].mean() for g in self.groups])
        margin = level_means - self.reference
        return int((margin >= -self.limit).sum()), float(margin.mean())


def fit(samples):
    """Grid search in two alternating steps, twice: the noise and quality constants on the inputs as
    files (JPEG files with their quality; the PNG ones judged by blockiness), then the blockiness
    constants on all inputs judged from pixels alone."""
    judge = Judge(samples)
    c = dict(SIGMA_FLOOR=99.0, SIGMA_SPAN=1.0, QUALITY_TOP=0.0, QUALITY_SPAN=1.0, BLOCK_FLOOR=99.0, BLOCK_SPAN=1.0)

    def search(grid, names, pixels_only):
        best, best_score = c, None
        for values in itertools.product(*grid):
            trial = dict(c, **dict(zip(names, values)))
            sc = judge.score(trial, pixels_only)
            if best_score is None or sc > best_score:
                best, best_score = trial, sc
        return best, best_score

    for _ in range(2):
        c, with_file = search([np.arange(1, 9.01, 0.5), np.arange(4, 40.1, 2), np.arange(80, 100.1, 2), np.arange(20, 70.1, 5)],
                              ["SIGMA_FLOOR", "SIGMA_SPAN", "QUALITY_TOP", "QUALITY_SPAN"], False)
        c, pixels = search([np.arange(0, 0.61, 0.02), np.arange(0.1, 1.21, 0.05)], ["BLOCK_FLOOR", "BLOCK_SPAN"], True)
    with_file = judge.score(c)
    print(f"fit: as files {with_file[0]}/{len(judge.keys)} targets met, mean {with_file[1]:+.3f} dB vs the best fixed strength; "
          f"from pixels only {pixels[0]}/{len(judge.keys)}, {pixels[1]:+.3f} dB")
    return {k: round(float(v), 3) for k, v in c.items()}


# ------------------------------------------------------------------------- report
def report(samples):
    table = {}
    for scale in (4, 2):
        rows = []
        for level in LEVELS:
            ss = [s for s in samples if s["scale"] == scale and s["level"] == level]
            curves = np.array([s["psnr"] for s in ss])
            mean = curves.mean(0)
            best_i = int(np.argmax(mean))
            auto = psnr_at(curves, [s["strength"] for s in ss]).mean()
            pixels = psnr_at(curves, [s["strength_pixels"] for s in ss]).mean()
            ref = mean[0] if level == CLEAN else mean[best_i]
            limit = 0.2 if level == CLEAN else 0.3
            rows.append({
                "level": level, "images": len(ss),
                "d0": round(float(mean[0]), 3),
                "best_fixed_strength": STRENGTHS[best_i], "best_fixed": round(float(mean[best_i]), 3),
                "auto": round(float(auto), 3), "auto_strength_mean": round(float(np.mean([s["strength"] for s in ss])), 3),
                "auto_pixels_only": round(float(pixels), 3),
                "auto_pixels_only_strength_mean": round(float(np.mean([s["strength_pixels"] for s in ss])), 3),
                "target": f"auto >= {'d0' if level == CLEAN else 'best fixed'} - {limit} dB",
                "met": bool(auto >= ref - limit), "met_pixels_only": bool(pixels >= ref - limit),
                "sigma_mean": round(float(np.mean([s["sigma"] for s in ss])), 2),
                "blockiness_mean": round(float(np.mean([s["blockiness"] for s in ss])), 3),
            })
        table[f"x{scale}"] = rows
    return table


def markdown(table):
    lines = []
    for key, rows in table.items():
        lines += [f"**general-{key}**", "",
                  "| input | d=0 | best fixed (d) | auto (mean d) | auto, pixels only (mean d) | target met |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in rows:
            met = ("yes" if r["met"] else "**no**") + ("" if r["met_pixels_only"] else " (pixels only: **no**)")
            lines.append(f"| {r['level']} | {r['d0']:.2f} | {r['best_fixed']:.2f} ({r['best_fixed_strength']}) "
                         f"| {r['auto']:.2f} ({r['auto_strength_mean']:.2f}) "
                         f"| {r['auto_pixels_only']:.2f} ({r['auto_pixels_only_strength_mean']:.2f}) | {met} |")
        lines.append("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-fit", action="store_true", help="only report the engine's current mapping")
    p.add_argument("--grid-only", action="store_true", help="only build the inputs and the PSNR grid (the slow part)")
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    samples = []
    for scale in (4, 2):
        rows, hrs = write_inputs(scale)
        grid = psnr_grid(scale, rows, hrs)
        if a.grid_only:
            continue
        feats = features([r[2] for r in rows])
        for level, name, path in rows:
            f = feats[path]
            samples.append(dict(scale=scale, level=level, name=name, psnr=grid[f"{level}/{name}"],
                                sigma=f["noiseSigma"], quality=f["jpegQuality"], blockiness=f["blockiness"],
                                strength=f["strength"], strength_pixels=f["strengthPixelsOnly"]))
    if a.grid_only:
        return

    fitted = None if a.no_fit else fit(samples)
    if fitted:
        print("fitted constants:", json.dumps(fitted))
        mismatch = [s for s in samples
                    if abs(strength_of(s["sigma"], np.nan if s["quality"] is None else s["quality"], s["blockiness"], fitted) - s["strength"]) > 0.011]
        print(f"the engine's strengths differ from the fitted mapping on {len(mismatch)} of {len(samples)} inputs"
              + (" (update DenoiseAdvisor and run again)" if mismatch else ""))
    table = report(samples)
    print(markdown(table))
    result = {
        "protocol": "validation split (data.list_images('val')), LR <= 128 px a side, general-x4/x2 PyTorch from ONNX, "
                    "PSNR-Y with scale px shaved; auto = the engine's DenoiseAdvisor via upscaler-dev denoise-features",
        "levels": {k: {"blur_hr_sigma": BLUR if v[0] else 0, "noise_sigma_255": v[1], "jpeg_quality": v[2]} for k, v in LEVELS.items()},
        "strengths": STRENGTHS,
        "fitted_constants": fitted,
        "table": table,
        "seconds_this_run": round(time.time() - t0, 1),
    }
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
