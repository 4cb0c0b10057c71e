"""Face model evaluation against the general model.

    /usr/bin/python3 models/eval/evaluate_face.py \
        --general models/training/work/general-x4/final.pt \
        --model models/training/work/spec/face-x4/final.pt --id face-x4 --strip models/cards/face-x4.png

  * face validation split (faces.load_val_hr: whole held-out sources, never trained on):
    PSNR-Y / SSIM-Y (shave = scale), clean MATLAB-bicubic LR at d = 0, for bicubic,
    general and face; per-image deltas (how many faces got worse);
  * the same faces degraded like the general validation (blur 0.8 + noise 10/255 +
    JPEG 60, data.degrade_fixed) at d = 0, 0.5, 1 (denoise behaviour);
  * Set14 x scale at d = 0 (non-face images; the face model may lose <= 0.5 dB);
  * --strip: HR | bicubic | general | face crops (eyes/mouth region) of a few val faces.
Writes models/eval/results/<id>.json.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from imresize import imresize               # noqa: E402
from metrics import psnr_y, ssim_y, to_uint8  # noqa: E402
from evaluate import Runner, bench          # noqa: E402
import data                                  # noqa: E402
import faces                                 # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--general", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--strip", default=None)
    p.add_argument("--no-set14", action="store_true")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    gen, face = Runner(a.general), Runner(a.model)
    s = gen.scale
    assert face.scale == s
    val = faces.load_val_hr()
    res = {"scale": s, "general": a.general, "model": a.model, "val_images": len(val)}
    clean = {"bicubic": [], "general": [], "face": []}
    ssim = {"general": [], "face": []}
    deg = {f"{k}_d{d}": [] for k in ("general", "face") for d in (0.0, 0.5, 1.0)}
    strip = []
    for i, (name, hr) in enumerate(val):
        hr = hr[: hr.shape[0] // s * s, : hr.shape[1] // s * s]
        lr = data.clean_lr(hr, s)
        sr_g, sr_f = gen(lr, 0.0), face(lr, 0.0)
        clean["bicubic"].append(psnr_y(imresize(lr, s), hr, s))
        clean["general"].append(psnr_y(sr_g, hr, s))
        clean["face"].append(psnr_y(sr_f, hr, s))
        ssim["general"].append(ssim_y(sr_g, hr, s))
        ssim["face"].append(ssim_y(sr_f, hr, s))
        dl = to_uint8(data.degrade_fixed(hr, s, seed=1000 + i).permute(1, 2, 0).numpy())
        for d in (0.0, 0.5, 1.0):
            deg[f"general_d{d}"].append(psnr_y(gen(dl, d), hr, s))
            deg[f"face_d{d}"].append(psnr_y(face(dl, d), hr, s))
        if i % 22 == 0 and len(strip) < 4:
            H, W = hr.shape[:2]
            c = min(H, W) // 2 - (min(H, W) // 2) % s
            y0, x0 = H // 2 - c // 2 - c // 8, W // 2 - c // 2
            y0 = max(0, y0)
            crop = lambda im: np.asarray(Image.fromarray(im[y0:y0 + c, x0:x0 + c]).resize((144, 144), Image.NEAREST if c < 144 else Image.LANCZOS))
            strip.append([crop(hr), crop(imresize(lr, s)), crop(sr_g), crop(sr_f)])
    d_face = np.array(clean["face"]) - np.array(clean["general"])
    res["val_clean_psnr"] = {k: round(float(np.mean(v)), 3) for k, v in clean.items()}
    res["val_clean_ssim"] = {k: round(float(np.mean(v)), 4) for k, v in ssim.items()}
    res["val_face_minus_general_db"] = round(float(d_face.mean()), 3)
    res["val_images_worse_than_general"] = int((d_face < 0).sum())
    res["val_degraded_psnr"] = {k: round(float(np.mean(v)), 3) for k, v in deg.items()}
    print(json.dumps(res, indent=1), flush=True)
    if not a.no_set14:
        res["set14"] = {"general": bench("Set14", s, lambda lr: gen(lr, 0.0)),
                        "face": bench("Set14", s, lambda lr: face(lr, 0.0))}
        res["set14_face_minus_general_db"] = round(res["set14"]["face"][0] - res["set14"]["general"][0], 3)
        print("Set14", json.dumps(res["set14"]), res["set14_face_minus_general_db"], flush=True)
    if a.strip:
        rows = [np.concatenate([np.pad(t, ((2, 2), (2, 2), (0, 0)), constant_values=255) for t in r], 1) for r in strip]
        os.makedirs(os.path.dirname(a.strip), exist_ok=True)
        # 256-colour palette keeps the card images small (< 300 KB)
        Image.fromarray(np.concatenate(rows, 0)).quantize(256, dither=Image.NONE).save(a.strip, optimize=True)
    res["seconds"] = round(time.time() - t0, 1)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, f"{a.id}.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
