"""The face model on its task: aligned crops of held-out faces, and whole held-out portraits.

    /usr/bin/python3 models/eval/evaluate_face_aligned.py --model models/face/face-x4.onnx \
        [--general models/general/general-x4.onnx] [--id face-x4]

  * aligned: the canonical crops (training/face_crops.py: held-out sources, each image at two
    sizes, detector on the clean LR) at d = 0 (clean MATLAB-bicubic LR) and on the fixed degraded
    input (blur 0.8 + noise 10/255 + JPEG 60) at d = 0 and 1: PSNR-Y (shave 4) of the general
    model and of the face model on the same crops;
  * portraits: the whole held-out image, LR = MATLAB bicubic; the general model alone versus the
    general model with the face crop pasted back (face_align.paste, the engine's rules), PSNR-Y
    (shave 4) against the HR image.
Both models are read from ONNX files (model.from_onnx) or training checkpoints (.pt).
Writes models/eval/results/<id>-aligned.json. With --split train (and --every N) the same is measured
on the training faces' crops: a gain there that is missing on the held-out crops is memorised
(<id>-aligned-train.json).
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import data                                   # noqa: E402
import face_align                             # noqa: E402
import face_crops                             # noqa: E402
from metrics import psnr_y, to_uint8          # noqa: E402
from model import from_checkpoint, from_onnx  # noqa: E402


def load(path):
    if path.endswith(".onnx"):
        import onnx
        return from_onnx(onnx.load(path))
    return from_checkpoint(path)


@torch.no_grad()
def portraits(general, face, items, scale, strength=1.0):
    """Mean PSNR-Y of the whole images: general alone, and with the restored face pasted."""
    res = {"general": [], "faces": []}
    for _, hr, t in items:
        lr = data.to_tensor(data.clean_lr(hr, scale))
        g = general(lr[None], torch.tensor([0.0]))[0].clamp(0, 1)
        g8 = to_uint8(g.permute(1, 2, 0).numpy())
        lr_c = face_align.warp(lr, t, t.side)
        restored = face(lr_c[None], torch.tensor([0.0]))[0].clamp(0, 1).numpy()
        out = g8.astype(np.float64) / 255
        face_align.paste(out, restored, t, scale, scale, scale, strength)
        res["general"].append(psnr_y(g8, hr, scale))
        res["faces"].append(psnr_y(to_uint8(out), hr, scale))
    return {k: float(np.mean(v)) for k, v in res.items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--general", default=os.path.join(HERE, "..", "general", "general-x4.onnx"))
    p.add_argument("--id", default=None)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--limit", type=int, default=0, help="first N crops only (quick checks)")
    p.add_argument("--split", choices=["val", "train"], default="val",
                   help="train: the crops the model was trained on (how much of a gain is memorised)")
    p.add_argument("--every", type=int, default=1, help="every Nth crop only")
    a = p.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    general, face = load(a.general), load(a.model)
    items = face_crops.aligned_items(a.split, a.scale)[:: a.every]
    if a.limit:
        items = items[: a.limit]
    res = {"model": a.model, "general": a.general, "split": a.split, "every": a.every, "crops": len(items)}
    v = face_crops.validate(face, items, a.scale, "cpu", general=general)
    res["aligned"] = {k: round(x, 3) for k, x in v.items()}
    res["aligned_face_minus_general_db"] = round(v["clean_d0"] - v["general_clean_d0"], 3)
    pr = portraits(general, face, items, a.scale)
    res["portraits"] = {k: round(x, 3) for k, x in pr.items()}
    res["portraits_faces_minus_general_db"] = round(pr["faces"] - pr["general"], 3)
    res["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(res, indent=1), flush=True)
    if a.id:
        out = os.path.join(HERE, "results", f"{a.id}-aligned{'' if a.split == 'val' else '-' + a.split}.json")
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
