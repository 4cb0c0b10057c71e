"""Whole held-out portraits through the real engine: the command line with --faces off and auto.

    /usr/bin/python3 models/eval/evaluate_face_pipeline.py [--cli src/Upscaler.Cli/bin/Release/net10.0/upscaler.dll]
        [--models DIR] [--id face-x4]

Held-out face images (faces.list_faces("val"): whole sources never trained on), each shrunk by
0.75 (removes the JPEG q95 traces) and then by 1 and 2 (two face sizes), cropped to a multiple
of 4; LR = MATLAB bicubic / 4, written as PNG. The command line upscales every LR x4 at denoise 0
twice, --faces off (the general model alone) and --faces auto (faces found, restored by the face
model on their aligned crops and pasted back); PSNR-Y (shave 4) of both against the HR image, also
within the faces' boxes. The engine, not a re-implementation, makes both results.
Writes models/eval/results/<id>-pipeline.json.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import data                                    # noqa: E402
import faces                                   # noqa: E402
from metrics import psnr_y                     # noqa: E402

SIZES = (1.0, 2.0)


def portraits(scale=4):
    for path in faces.list_faces("val"):
        im = Image.open(path).convert("RGB")
        base = im.resize((round(im.size[0] * 0.75), round(im.size[1] * 0.75)), Image.BICUBIC, reducing_gap=None)
        for g in SIZES:
            hr = base if g == 1.0 else base.resize((round(base.size[0] / g), round(base.size[1] / g)), Image.BICUBIC, reducing_gap=None)
            hr = np.asarray(hr, dtype=np.uint8)
            hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
            yield f"{os.path.splitext(os.path.basename(path))[0]}@{g}", hr


def run_cli(cli, models, files, out_dir, faces_mode):
    env = dict(os.environ, UPSCALER_MODELS_DIR=models)
    cmd = ["dotnet", cli, *files, "--out-dir", out_dir, "--scale", "4", "--denoise", "0", "--device", "cpu",
           "--faces", faces_mode, "--overwrite"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"upscaler failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler.dll"))
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--id", default=None)
    a = p.parse_args()
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="face-pipeline-")
    names, hrs, files = [], {}, []
    for name, hr in portraits():
        lr = data.clean_lr(hr, 4)
        f = os.path.join(work, name + ".png")
        Image.fromarray(lr).save(f)
        names.append(name)
        hrs[name] = hr
        files.append(f)
    res = {"models": a.models, "images": len(names)}
    out = {}
    for mode in ("off", "auto"):
        d = os.path.join(work, mode)
        os.makedirs(d)
        run_cli(a.cli, a.models, files, d, mode)
        out[mode] = {n: np.asarray(Image.open(os.path.join(d, f"{n}_x4.png")).convert("RGB")) for n in names}
    per = []
    for n in names:
        off, auto = float(psnr_y(out["off"][n], hrs[n], 4)), float(psnr_y(out["auto"][n], hrs[n], 4))
        changed = bool((out["off"][n] != out["auto"][n]).any())
        per.append({"image": n, "off": round(off, 3), "auto": round(auto, 3), "faces_restored": changed})
    with_faces = [r for r in per if r["faces_restored"]]
    res["psnr_off"] = round(float(np.mean([r["off"] for r in per])), 3)
    res["psnr_auto"] = round(float(np.mean([r["auto"] for r in per])), 3)
    res["auto_minus_off_db"] = round(res["psnr_auto"] - res["psnr_off"], 3)
    res["images_with_a_face_restored"] = len(with_faces)
    if with_faces:
        res["with_faces_auto_minus_off_db"] = round(float(np.mean([r["auto"] - r["off"] for r in with_faces])), 3)
        res["with_faces_worse"] = int(sum(r["auto"] < r["off"] for r in with_faces))
    res["per_image"] = per
    res["seconds"] = round(time.time() - t0, 1)
    print(json.dumps({k: v for k, v in res.items() if k != "per_image"}, indent=1), flush=True)
    if a.id:
        with open(os.path.join(HERE, "results", f"{a.id}-pipeline.json"), "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
