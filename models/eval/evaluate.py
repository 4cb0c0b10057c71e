"""Evaluate bicubic and a model on Set5/Set14 and on our own validation split.

    /usr/bin/python3 models/eval/evaluate.py --ckpt models/training/work/general-x4/final.pt
    /usr/bin/python3 models/eval/evaluate.py --onnx models/general/general-x4.onnx   # the shipped file
    /usr/bin/python3 models/eval/evaluate.py --bicubic-only --scale 4                 # metric self-check

Benchmarks (Set5/Set14, denoise 0): LR = MATLAB-bicubic downscale of the HR cropped
to a multiple of the scale; PSNR/SSIM on Y with `scale` px shaved (metrics.py).
Grayscale benchmark images (Set14 "bridge") are fed as 3 equal channels and compared
on gray values, the convention behind the published bicubic 26.00 dB.

Validation (our 3% hash split of train/, never used for training):
  * clean bicubic LR at several strengths (strength 0 should be the best or within 0.2 dB);
  * degraded LR (blur 0.8 + noise 10/255 + JPEG 60, data.degrade_fixed) at strengths 0..1
    (strength 1 should beat strength 0 by >= 1.5 dB).
Writes models/eval/results/<id>.json.
"""
import argparse
import glob
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
import data                                  # noqa: E402
from model import from_checkpoint            # noqa: E402
import datasets                              # noqa: E402

BENCH = datasets.path("bench")
CLEAN_STRENGTHS = [0.0, 0.25, 0.5, 0.75, 1.0]
DEGRADED_STRENGTHS = [0.0, 0.5, 1.0]


def load_bench(name):
    out = []
    for f in sorted(glob.glob(os.path.join(BENCH, name, "*.png"))):
        im = Image.open(f)
        gray = im.mode in ("L", "LA", "I;16", "I")
        out.append((os.path.basename(f), np.asarray(im.convert("L") if gray else im.convert("RGB"))))
    return out


class Runner:
    """Callable (lr uint8 HxWx3, strength) -> sr uint8, from a checkpoint or an ONNX file."""

    def __init__(self, ckpt=None, onnx_path=None):
        if ckpt:
            self.model = from_checkpoint(ckpt)
            self.scale = self.model.scale
            self.onnx = None
        else:
            import onnx
            import onnx_numpy
            self.onnx, self.run_onnx = onnx.load(onnx_path), onnx_numpy.run
            # scale = output / input size of a tiny probe
            y = self.run_onnx(self.onnx, {"image": np.zeros((1, 3, 4, 4), np.float32),
                                          "denoise": np.zeros(1, np.float32)})["upscaled"]
            self.scale = y.shape[2] // 4

    def __call__(self, lr_uint8, strength):
        x = lr_uint8.astype(np.float32)[None].transpose(0, 3, 1, 2) / 255.0
        d = np.array([strength], np.float32)
        if self.onnx is not None:
            y = self.run_onnx(self.onnx, {"image": x, "denoise": d})["upscaled"]
        else:
            with torch.no_grad():
                y = self.model(torch.from_numpy(x), torch.from_numpy(d)).numpy()
        return to_uint8(np.clip(y[0].transpose(1, 2, 0), 0, 1))


def bench(name, scale, upscale):
    """upscale(lr_uint8_rgb) -> sr_uint8_rgb; returns mean PSNR and SSIM."""
    ps, ss = [], []
    for _, hr in load_bench(name):
        hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
        gray = hr.ndim == 2
        hr_rgb = np.stack([hr] * 3, -1) if gray else hr
        sr = upscale(imresize(hr_rgb, 1.0 / scale))
        if gray:
            sr = np.clip(np.round(sr.astype(np.float64).mean(-1)), 0, 255).astype(np.uint8)
        ps.append(psnr_y(sr, hr, scale))
        ss.append(ssim_y(sr, hr, scale))
    return round(float(np.mean(ps)), 3), round(float(np.mean(ss)), 4)


def validation(scale, runner, limit=None, val=None):
    """limit: only the first `limit` validation images (quick checks); val: data.load_val_hr()'s
    result when the caller already has it."""
    val = (val if val is not None else data.load_val_hr())[:limit]
    res = {"bicubic_clean": [], "bicubic_degraded": []}
    res.update({f"clean_d{d}": [] for d in CLEAN_STRENGTHS})
    res.update({f"degraded_d{d}": [] for d in DEGRADED_STRENGTHS})
    for i, (_, hr) in enumerate(val):
        hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
        clean = data.clean_lr(hr, scale)
        deg = to_uint8(data.degrade_fixed(hr, scale, seed=1000 + i).permute(1, 2, 0).numpy())
        res["bicubic_clean"].append(psnr_y(imresize(clean, scale), hr, scale))
        res["bicubic_degraded"].append(psnr_y(imresize(deg, scale), hr, scale))
        if runner is None:
            continue
        for d in CLEAN_STRENGTHS:
            res[f"clean_d{d}"].append(psnr_y(runner(clean, d), hr, scale))
        for d in DEGRADED_STRENGTHS:
            res[f"degraded_d{d}"].append(psnr_y(runner(deg, d), hr, scale))
    return {k: round(float(np.mean(v)), 3) for k, v in res.items() if v}


def main():
    p = argparse.ArgumentParser()
    g = p.add_mutually_exclusive_group()
    g.add_argument("--ckpt")
    g.add_argument("--onnx")
    p.add_argument("--bicubic-only", action="store_true")
    p.add_argument("--scale", type=int, default=None, help="only with --bicubic-only")
    p.add_argument("--id", default=None, help="results name (default from the file)")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()

    runner = None if a.bicubic_only else Runner(a.ckpt, a.onnx)
    scale = a.scale if a.bicubic_only else runner.scale
    results = {"scale": scale, "source": a.ckpt or a.onnx or "bicubic", "bench": {}}
    for name in ("Set5", "Set14"):
        entry = {"bicubic": bench(name, scale, lambda lr: imresize(lr, scale))}
        if runner is not None:
            entry["model_d0"] = bench(name, scale, lambda lr: runner(lr, 0.0))
        results["bench"][name] = entry
        print(name, f"x{scale}", json.dumps(entry), flush=True)
    if not a.bicubic_only:
        v = validation(scale, runner)
        results["validation"] = v
        best = max(v[f"clean_d{d}"] for d in CLEAN_STRENGTHS)
        results["checks"] = {
            "clean_d0_minus_best_clean": round(v["clean_d0.0"] - best, 3),
            "clean_d0_within_0.2dB_of_best": v["clean_d0.0"] >= best - 0.2,
            "degraded_d1_minus_d0": round(v["degraded_d1.0"] - v["degraded_d0.0"], 3),
            "degraded_gain_at_least_1.5dB": v["degraded_d1.0"] - v["degraded_d0.0"] >= 1.5,
        }
        print("validation", json.dumps(v), flush=True)
        print("checks", json.dumps(results["checks"]), flush=True)
    results["seconds"] = round(time.time() - t0, 1)
    os.makedirs(a.out, exist_ok=True)
    name = a.id or (f"bicubic-x{scale}" if a.bicubic_only else
                    os.path.basename(os.path.dirname(a.ckpt)) if a.ckpt else
                    os.path.basename(a.onnx).replace(".onnx", ""))
    with open(os.path.join(a.out, f"{name}.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
