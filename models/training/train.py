"""Train or fine-tune a CompactSR model, or with --dilations a ContextSR (Adam + L1, cosine LR over a wall-clock budget).

    /usr/bin/python3 models/training/train.py --name general-x4 --scale 4 --minutes 50
    /usr/bin/python3 models/training/train.py --kind face --name face-x4 --scale 4 \
        --init models/training/work/general-x4/final.pt --lr 2e-4 --minutes 16

--kind picks the crop bank, the pair sampler and the validation images; the loop is
the same for all of them:
  * general: data.load_bank + data.PairSampler (d-conditioned degradations), the
    general validation split; runs go to work/<name>/;
  * face:    faces.load_train_bank (face crops + a share of general crops) +
    data.PairSampler, the held-out face sources; runs go to work/spec/<name>/;
  * text:    text_data.load_train_bank + text_data.TextPairSampler (area/bicubic/
    bilinear downscale, mild blur, JPEG 4:2:0, light noise), the held-out fonts;
    runs go to work/spec/<name>/.

The learning-rate schedule runs over *time* (--minutes) rather than steps, so a run
always finishes annealed by its deadline whatever the machine's speed; --resume picks
up model, optimiser and elapsed time from <run>/last.pt. --init copies every
same-shaped tensor from a checkpoint (all of them for a fine-tune, all but the last
conv for x4 -> x2). Works on torch 1.13 CPU and torch 2.x GPU (device is chosen
automatically).
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "eval"))
import data                      # noqa: E402
from model import build          # noqa: E402
from metrics import psnr_y, to_uint8   # noqa: E402


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=["general", "face", "face-aligned", "text"], default="general")
    p.add_argument("--name", required=True)
    p.add_argument("--scale", type=int, required=True)
    p.add_argument("--features", type=int, default=48)
    p.add_argument("--blocks", type=int, default=10)
    p.add_argument("--dilations", default="",
                   help="comma-separated dilations of ContextSR's residual blocks (empty: a plain CompactSR)")
    p.add_argument("--lr-patch", type=int, default=32, help="LR crop size")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-min", type=float, default=1e-5)
    p.add_argument("--minutes", type=float, default=50, help="wall-clock budget (cosine LR spans it)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ckpt-every", type=float, default=3, help="minutes")
    p.add_argument("--val-every", type=float, default=6, help="minutes")
    p.add_argument("--init", default=None, help="checkpoint to copy same-shaped weights from (e.g. x4 -> x2)")
    p.add_argument("--strong-share", type=float, default=0.0,
                   help="general/face: fraction of degraded pairs at exactly d = 1 (fine-tuning the strong end)")
    p.add_argument("--general-share", type=float, default=0.25, help="face: share of general photo crops in the bank")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--work", default=None,
                   help="where the run folder goes (default: work/ for general, work/spec/ for face and text); "
                        "the crop banks stay in work/")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def domain(a, seed):
    """(crop bank, pair sampler, validation HR images) for --kind."""
    if a.kind == "general":
        bank = data.load_bank(os.path.join(HERE, "work"), 160)
        return bank, data.PairSampler(bank, a.scale, a.lr_patch, seed, a.strong_share), data.load_val_hr()
    if a.kind == "face-aligned":
        import face_crops
        items = face_crops.aligned_items("train", a.scale)
        sampler = face_crops.AlignedPairSampler(items, a.scale, a.lr_patch, seed, a.strong_share)
        return items, sampler, face_crops.aligned_items("val", a.scale)
    if a.kind == "face":
        import faces
        bank = faces.load_train_bank(general_share=a.general_share)
        return bank, data.PairSampler(bank, a.scale, a.lr_patch, seed, a.strong_share), faces.load_val_hr()
    import text_data
    bank = text_data.load_train_bank()
    return bank, text_data.TextPairSampler(bank, a.scale, a.lr_patch, seed=seed), text_data.load_val_hr()


@torch.no_grad()
def validate(model, val, scale, device):
    """Mean PSNR-Y (shave = scale) on the validation images: clean bicubic at d=0, and
    the requirement's degraded input (blur+noise10+JPEG60) at d=0 and d=1. Aligned face
    items (name, hr, transform) are scored on their canonical crops."""
    if val and len(val[0]) == 3:
        import face_crops
        return face_crops.validate(model, val, scale, device)
    model.eval()
    res = {"clean_d0": [], "deg_d0": [], "deg_d1": []}
    for i, (_, hr) in enumerate(val):
        hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
        clean = data.to_tensor(data.clean_lr(hr, scale))
        deg = data.degrade_fixed(hr, scale, seed=1000 + i)
        for key, lr, d in (("clean_d0", clean, 0.0), ("deg_d0", deg, 0.0), ("deg_d1", deg, 1.0)):
            sr = model(lr[None].to(device), torch.tensor([d], device=device))[0]
            sr = to_uint8(sr.clamp(0, 1).permute(1, 2, 0).cpu().numpy())
            res[key].append(psnr_y(sr, hr, scale))
    model.train()
    return {k: float(np.mean(v)) for k, v in res.items()}


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    work = a.work or os.path.join(HERE, "work", *([] if a.kind == "general" else ["spec"]))
    run_dir = os.path.join(work, a.name)
    os.makedirs(run_dir, exist_ok=True)
    cfg = {"scale": a.scale, "features": a.features, "blocks": a.blocks}
    if a.dilations:
        cfg["dilations"] = [int(d) for d in a.dilations.split(",")]

    model = build(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.99))
    step, elapsed, best = 0, 0.0, -1.0
    last_path = os.path.join(run_dir, "last.pt")
    if a.resume and os.path.exists(last_path):
        ck = torch.load(last_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, best = ck["step"], ck["elapsed"], ck.get("best", -1.0)
        print(f"resumed at step {step}, {elapsed / 60:.1f} min", flush=True)
    elif a.init:
        if a.init.endswith(".onnx"):          # a shipped model: its initializers keep the state_dict names
            import onnx
            from model import from_onnx
            src = from_onnx(onnx.load(a.init)).state_dict()
        else:
            src = torch.load(a.init, map_location=device)["model"]
        own = model.state_dict()
        copied = [k for k in src if k in own and src[k].shape == own[k].shape]
        own.update({k: src[k] for k in copied})
        model.load_state_dict(own)
        print(f"initialised {len(copied)}/{len(own)} tensors from {a.init}", flush=True)

    bank, sampler, val = domain(a, a.seed + step)
    print(f"{a.kind}: bank {getattr(bank, 'shape', len(bank))}, val {len(val)} images, params {model.params()}, "
          f"flops/LR px {model.flops_per_lr_pixel()}, device {device}", flush=True)
    if step == 0 and a.init:
        print(f"VAL init {json.dumps(validate(model, val, a.scale, device))}", flush=True)

    budget = a.minutes * 60
    t0 = time.time() - elapsed
    last_ckpt = last_val = time.time()
    loss_acc, n_acc = 0.0, 0

    def save(path, extra=None):
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
              "elapsed": time.time() - t0, "best": best, "cfg": cfg, "kind": a.kind, "init": a.init}
        ck.update(extra or {})
        torch.save(ck, path + ".tmp")
        os.replace(path + ".tmp", path)     # atomic: a kill never leaves a broken file

    while True:
        elapsed = time.time() - t0
        if elapsed >= budget:
            break
        lr_now = a.lr_min + 0.5 * (a.lr - a.lr_min) * (1 + math.cos(math.pi * elapsed / budget))
        for g in opt.param_groups:
            g["lr"] = lr_now
        lr_img, d, hr = sampler.batch(a.batch)
        lr_img, d, hr = lr_img.to(device), d.to(device), hr.to(device)
        loss = F.l1_loss(model(lr_img, d), hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        loss_acc, n_acc = loss_acc + loss.item(), n_acc + 1
        if step % 200 == 0:
            print(f"step {step} t={elapsed / 60:.1f}min lr={lr_now:.2e} l1={loss_acc / n_acc:.4f}", flush=True)
            loss_acc, n_acc = 0.0, 0
        now = time.time()
        if now - last_val >= a.val_every * 60:
            v = validate(model, val, a.scale, device)
            print(f"VAL step {step} {json.dumps(v)}", flush=True)
            if v["clean_d0"] > best:
                best = v["clean_d0"]
                save(os.path.join(run_dir, "best.pt"), {"val": v})
            last_val = now = time.time()
        if now - last_ckpt >= a.ckpt_every * 60:
            save(last_path)
            last_ckpt = time.time()

    v = validate(model, val, a.scale, device)
    print(f"VAL final step {step} {json.dumps(v)}", flush=True)
    save(last_path, {"val": v})
    save(os.path.join(run_dir, "final.pt"), {"val": v})
    print("done", flush=True)


if __name__ == "__main__":
    main()
