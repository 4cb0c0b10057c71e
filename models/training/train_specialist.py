"""Fine-tune a CompactSR model for a specialist domain (face or text).

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_specialist.py --kind face --scale 4 \
        --name face-x4 --init models/training/work/general-x4/final.pt --minutes 16

Same loop as train.py (Adam + L1, cosine LR over a wall-clock budget, atomic
checkpoints under work/spec/<name>/), but with the domain's crop bank and sampler:
  * face: faces.load_train_bank() + data.PairSampler (the general d-conditioned
    degradations);
  * text: text_data.load_train_bank() + text_data.TextPairSampler (area/bicubic/
    bilinear downscale, mild blur, JPEG 4:2:0, light noise).
Validation (at the end and every --val-every minutes): PSNR-Y on the domain's
held-out set, clean MATLAB-bicubic LR at d = 0.
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
from model import CompactSR      # noqa: E402
from metrics import psnr_y, to_uint8   # noqa: E402


def domain(kind, scale, lr_patch, seed, general_share=0.25):
    if kind == "face":
        import faces
        bank = faces.load_train_bank(general_share=general_share)
        return bank, data.PairSampler(bank, scale, lr_patch, seed=seed), faces.load_val_hr()
    import text_data
    bank = text_data.load_train_bank()
    return bank, text_data.TextPairSampler(bank, scale, lr_patch, seed=seed), text_data.load_val_hr()


@torch.no_grad()
def validate(model, val, scale):
    model.eval()
    ps = []
    for _, hr in val:
        hr = hr[: hr.shape[0] // scale * scale, : hr.shape[1] // scale * scale]
        lr = data.to_tensor(data.clean_lr(hr, scale))
        sr = model(lr[None], torch.tensor([0.0]))[0]
        ps.append(psnr_y(to_uint8(sr.clamp(0, 1).permute(1, 2, 0).numpy()), hr, scale))
    model.train()
    return float(np.mean(ps))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=["face", "text"], required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--scale", type=int, required=True)
    p.add_argument("--init", required=True, help="general checkpoint to start from")
    p.add_argument("--lr-patch", type=int, default=32)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--lr-min", type=float, default=1e-6)
    p.add_argument("--minutes", type=float, default=15)
    p.add_argument("--ckpt-every", type=float, default=2)
    p.add_argument("--val-every", type=float, default=1e9)
    p.add_argument("--general-share", type=float, default=0.25, help="face only: share of general photo crops")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    run_dir = os.path.join(HERE, "work", "spec", a.name)
    os.makedirs(run_dir, exist_ok=True)

    src = torch.load(a.init, map_location="cpu")
    cfg = dict(src["cfg"])
    assert cfg["scale"] == a.scale, (cfg, a.scale)
    model = CompactSR(**cfg)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.99))
    step, elapsed = 0, 0.0
    last_path = os.path.join(run_dir, "last.pt")
    if a.resume and os.path.exists(last_path):
        ck = torch.load(last_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        print(f"resumed at step {step}, {elapsed / 60:.1f} min", flush=True)
    else:
        model.load_state_dict(src["model"])
        print(f"initialised from {a.init} (step {src.get('step')})", flush=True)

    bank, sampler, val = domain(a.kind, a.scale, a.lr_patch, a.seed + step, a.general_share)
    print(f"bank {bank.shape}, val {len(val)} images", flush=True)
    if step == 0:
        v0 = validate(model, val, a.scale)
        print(f"VAL init {v0:.3f}", flush=True)

    budget = a.minutes * 60
    t0 = time.time() - elapsed
    last_ckpt = last_val = time.time()
    loss_acc, n_acc = 0.0, 0

    def save(path, extra=None):
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
              "elapsed": time.time() - t0, "cfg": cfg, "init": a.init, "kind": a.kind}
        ck.update(extra or {})
        torch.save(ck, path + ".tmp")
        os.replace(path + ".tmp", path)

    while True:
        elapsed = time.time() - t0
        if elapsed >= budget:
            break
        lr_now = a.lr_min + 0.5 * (a.lr - a.lr_min) * (1 + math.cos(math.pi * elapsed / budget))
        for g in opt.param_groups:
            g["lr"] = lr_now
        lr_img, d, hr = sampler.batch(a.batch)
        loss = F.l1_loss(model(lr_img, d), hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        loss_acc, n_acc = loss_acc + loss.item(), n_acc + 1
        if step % 100 == 0:
            print(f"step {step} t={elapsed / 60:.1f}min lr={lr_now:.2e} l1={loss_acc / n_acc:.4f}", flush=True)
            loss_acc, n_acc = 0.0, 0
        now = time.time()
        if now - last_val >= a.val_every * 60:
            print(f"VAL step {step} {validate(model, val, a.scale):.3f}", flush=True)
            last_val = now = time.time()
        if now - last_ckpt >= a.ckpt_every * 60:
            save(last_path)
            last_ckpt = time.time()

    v = validate(model, val, a.scale)
    print(f"VAL final step {step} {v:.3f}", flush=True)
    save(last_path, {"val": v})
    save(os.path.join(run_dir, "final.pt"), {"val": v})
    print("done", flush=True)


if __name__ == "__main__":
    main()
