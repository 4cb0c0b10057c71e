"""Text-preserving model evaluation: OCR character error rate and PSNR-Y on held-out renders.

    /usr/bin/python3 models/eval/evaluate_text.py --scale 4 \
        --general models/training/work/general-x4/final.pt \
        --model models/training/work/spec/text-x4/final.pt --id text-x4

OCR test (fonts never seen in training: Liberation Sans/Serif/Mono, Carlito):
  * fixed sentences rendered black on white, one line per image, at each --sizes px;
  * a line is kept only if Tesseract (tesseract-ocr, --psm 7, eng) reads the HR image
    perfectly (CER 0), as the requirement asks;
  * LR = MATLAB-bicubic downscale by the scale; upscaled by bicubic (MATLAB imresize),
    the general model and the text model (denoise 0); Tesseract reads each;
  * CER = sum of Levenshtein distances / sum of reference lengths (spaces collapsed).
PSNR-Y (shave = scale) on the held-out renders of text_data.load_val_hr() (Liberation/
Carlito text, UI, icons, logos on validation photos), clean MATLAB-bicubic LR, d = 0.
Writes models/eval/results/<id>.json and a sample strip PNG (--strip).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from imresize import imresize               # noqa: E402
from metrics import psnr_y, to_uint8         # noqa: E402
from evaluate import Runner                  # noqa: E402
import text_data                             # noqa: E402

FONTS = ["/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
         "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
         "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
         "/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf"]
SENTENCES = [
    "Invoice 2024-117 total due 349.90 EUR",
    "The quick brown fox jumps over the lazy dog",
    "Settings > Display > Brightness 75%",
    "Order shipped to 42 Baker Street, London",
    "Password must contain 8 characters",
    "Call +1 (555) 013-2468 for support",
    "Chapter 7: Results and Discussion",
    "Battery health 92% - Cycle count 418",
    "Net weight 500 g / Best before 03/2027",
    "Download complete: report_final.pdf",
    "Meeting moved to Thursday at 14:30",
    "Version 3.12.1 released on GitHub",
]


def tesseract(img_uint8):
    pad = np.pad(img_uint8, ((16, 16), (16, 16), (0, 0)), constant_values=255)
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        Image.fromarray(pad).save(f.name)
        r = subprocess.run(["tesseract", f.name, "stdout", "--psm", "7", "-l", "eng"],
                           capture_output=True, text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return " ".join(r.stdout.split())


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def render_line(text, font_path, size, scale):
    f = ImageFont.truetype(font_path, size)
    l, t, r, b = f.getbbox(text)
    w, h = r + size // 2, int(size * 1.5)
    w += (-w) % scale
    h += (-h) % scale
    im = Image.new("RGB", (w, h), (255, 255, 255))
    ImageDraw.Draw(im).text((size // 4, (h - (b - t)) // 2 - t), text, font=f, fill=(0, 0, 0))
    return np.asarray(im, dtype=np.uint8)


def ocr(runners, s, sizes, fonts=None, sentences=SENTENCES):
    """OCR character error per HR text size: {size: {lines_kept, lines_dropped_hr_misread, chars,
    cer_<runner>...}} and sample strip rows. runners: {name: (lr_uint8, strength) -> sr_uint8}."""
    fonts = fonts or FONTS
    res, strip_rows = {}, []
    for size in sizes:
        errs = {k: 0 for k in runners}
        n_chars, kept, dropped = 0, 0, 0
        for fi, font in enumerate(fonts):
            for si, sent in enumerate(sentences):
                hr = render_line(sent, font, size, s)
                ref = " ".join(sent.split())
                if tesseract(hr) != ref:
                    dropped += 1
                    continue
                kept += 1
                n_chars += len(ref)
                lr = imresize(hr, 1.0 / s)
                outs = {}
                for k, run in runners.items():
                    sr = run(lr, 0.0)
                    outs[k] = sr
                    errs[k] += levenshtein(tesseract(sr), ref)
                if si == 0 and fi < 2:
                    strip_rows.append((size, font, hr, outs))
        res[str(size)] = {"lines_kept": kept, "lines_dropped_hr_misread": dropped, "chars": n_chars,
                          **{f"cer_{k}": round(errs[k] / max(n_chars, 1), 4) for k in runners}}
    return res, strip_rows


def render_psnr(runners, s, val=None):
    """Mean PSNR-Y (shave = s) on held-out renders (text_data.load_val_hr() unless given), clean
    MATLAB-bicubic LR, d = 0."""
    ps = {k: [] for k in runners}
    for _, hr in (val if val is not None else text_data.load_val_hr()):
        hr = hr[: hr.shape[0] // s * s, : hr.shape[1] // s * s]
        lr = imresize(hr, 1.0 / s)
        for k, run in runners.items():
            ps[k].append(psnr_y(run(lr, 0.0), hr, s))
    return {k: round(float(np.mean(v)), 3) for k, v in ps.items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=int, required=True)
    p.add_argument("--general", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--sizes", default=None, help="comma list of HR text sizes in px")
    p.add_argument("--strip", default=None, help="PNG path for the sample strip")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    s = a.scale
    sizes = [int(v) for v in (a.sizes or ("28,36,44" if s == 4 else "14,18,22")).split(",")]
    runners = {"bicubic": lambda lr, d: imresize(lr, s),
               "general": Runner(a.general), "text": Runner(a.model)}
    res = {"scale": s, "general": a.general, "model": a.model, "ocr": {}, "psnr": {}}
    res["ocr"], strip_rows = ocr(runners, s, sizes)
    for size, r in res["ocr"].items():
        print("OCR", size, json.dumps(r), flush=True)

    res["psnr"] = render_psnr(runners, s)
    res["psnr"]["text_minus_general"] = round(res["psnr"]["text"] - res["psnr"]["general"], 3)
    print("PSNR", json.dumps(res["psnr"]), flush=True)

    # denoise behaviour on held-out renders: fixed degraded input (blur 0.8 + noise 10 + JPEG 60)
    import data
    dn = {}
    for d in (0.0, 0.5, 1.0):
        v = []
        for i, (_, hr) in enumerate(text_data.load_val_hr()):
            hr = hr[: hr.shape[0] // s * s, : hr.shape[1] // s * s]
            deg = to_uint8(data.degrade_fixed(hr, s, seed=1000 + i).permute(1, 2, 0).numpy())
            v.append((psnr_y(runners["general"](deg, d), hr, s), psnr_y(runners["text"](deg, d), hr, s)))
        dn[f"d{d}"] = {"general": round(float(np.mean([x[0] for x in v])), 3),
                       "text": round(float(np.mean([x[1] for x in v])), 3)}
    res["degraded_val"] = dn
    print("DEGRADED", json.dumps(dn), flush=True)

    if a.strip and strip_rows:
        rows = []
        for size, font, hr, outs in strip_rows[:4]:
            w = min(hr.shape[1], 360)
            tiles = [hr[:, :w]] + [outs[k][:, :w] for k in runners]
            rows.append(np.concatenate([np.pad(t, ((2, 2), (0, 0), (0, 0)), constant_values=128) for t in tiles], 0))
        hmax = max(r.shape[0] for r in rows)
        rows = [np.pad(r, ((0, hmax - r.shape[0]), (4, 4), (0, 0)), constant_values=128) for r in rows]
        Image.fromarray(np.concatenate(rows, 1)).quantize(64, dither=Image.NONE).save(a.strip, optimize=True)
    res["seconds"] = round(time.time() - t0, 1)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"{a.id}.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
