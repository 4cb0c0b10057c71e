"""Why did the first GPU run (2026-11-27, H200) not learn, and where did its time go?

The run's losses stayed flat for 1,531 steps (the EMA weights barely moved from the nearest-
upsampling start) and a round of 13 steps took ~200 ms. This script isolates both on one job
(general-x4, the plan's batch): it times the data (bank sample, degradation) and the step
apart after a warm-up, and trains the same fixed batches with each CUDA-only setting switched
off in turn (fused Adam, channels_last, bf16 autocast), printing the loss on fixed held-out
batches before and after, and how far the weights moved. On the CPU it runs the same code at a
tiny size (a check of the script itself).

Its first run (H200, 2026-11-27; before the timing warm-up and the held-out loss were added)
answered the first question: every variant moved the weights alike (last conv by ~0.6 of its
norm in 150 steps), so no CUDA setting was at fault; the same stall then showed on the CPU with
the CPU recipe (README.md "Runs"), and grow.py is the fix. Data: ~22 ms to sample and ~80 ms to
degrade a batch of 64 (cold, averaged over the first 10 calls); a fast step 6.5 ms.

    python3 models/training/gpu/diagnose.py [--steps 150] [--cap-s 12]
"""
import argparse
import contextlib
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import banks                    # noqa: E402
import bundle as bundle_mod     # noqa: E402
import degrade                  # noqa: E402
import jobs as jobs_mod         # noqa: E402
import plan                     # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, n, device):
    sync(device)
    t = time.time()
    for _ in range(n):
        out = fn()
    sync(device)
    return (time.time() - t) / n * 1000, out


@torch.no_grad()
def held_out_loss(net, batches):
    return float(np.mean([float(torch.nn.functional.l1_loss(net(lr, d).float(), hr)) for lr, d, hr in batches]))


def make_job(spec, f, b, device, fused, channels_last, autocast):
    j = jobs_mod.Job(spec, f, b, device)
    if device.type == "cuda" and not channels_last:
        j.model.to(memory_format=torch.contiguous_format)
        j._prep = lambda x: x.contiguous()
    if not autocast:
        j.autocast = contextlib.nullcontext
    if device.type == "cuda":
        j.opt = torch.optim.Adam(j.model.parameters(), lr=spec.lr, betas=(0.9, 0.99), fused=fused)
    return j


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--cap-s", type=float, default=12.0)
    p.add_argument("--bundle", default=bundle_mod.DEFAULT_DIR)
    a = p.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    spec = plan.JOBS[0]
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        f, b = plan.tier(spec)
        b_dir = a.bundle
    else:
        from dataclasses import replace
        spec = replace(spec, batch=2, lr_patch=12)
        f, b = plan.tier(spec, smoke=True)
        b_dir = os.path.join("/tmp", "diagnose-tiny")
        if not os.path.exists(os.path.join(b_dir, "manifest.json")):
            bundle_mod.build_tiny(b_dir)
    photos = bundle_mod.Bundle(b_dir).photos()
    print(f"device {device} torch {torch.__version__}; job {spec.id} {f}x{b} batch {spec.batch} patch {spec.lr_patch}",
          flush=True)

    bank = banks.DeviceBank(photos, device)
    src = banks.PairSource(bank, degrade.PhotoDegrader(spec.scale, device), spec.scale, spec.lr_patch, spec.batch)
    for _ in range(5):                                   # warm-up: kernels, cuFFT plans, allocator
        src.next(rng)
    ms_sample, _ = timed(lambda: bank.sample(spec.batch, spec.lr_patch * spec.scale, rng), 20, device)
    ms_batch, _ = timed(lambda: src.next(rng), 20, device)
    print(f"data: bank.sample {ms_sample:.1f} ms, sample + degrade {ms_batch:.1f} ms per batch", flush=True)
    fixed = [src.next(rng) for _ in range(8)]
    held_out = [src.next(rng) for _ in range(4)]
    lr_img, d, hr = fixed[0]
    print(f"batch: lr {tuple(lr_img.shape)} {lr_img.dtype} [{float(lr_img.min()):.3f}, {float(lr_img.max()):.3f}], "
          f"hr {tuple(hr.shape)} [{float(hr.min()):.3f}, {float(hr.max()):.3f}], d mean {float(d.mean()):.3f}", flush=True)

    variants = [("as run (fused, channels_last, bf16)", True, True, True),
                ("not fused", False, True, True),
                ("contiguous", True, False, True),
                ("float32 (no autocast)", True, True, False),
                ("plain (none of the three)", False, False, False)]
    if not cuda:
        variants = [("cpu", False, False, False)]
    rows = []
    for name, fused, cl, ac in variants:
        torch.manual_seed(0)
        j = make_job(spec, f, b, device, fused, cl, ac)
        w0 = [q.detach().float().clone() for q in j.model.parameters()]
        first = held_out_loss(j.model, held_out)
        timed(lambda: j.step(fixed[0], 0.5), 3, device)          # warm-up
        t = time.time()
        n = 0
        while n < a.steps and time.time() - t < a.cap_s:
            j.step(fixed[n % len(fixed)], 0.5)
            n += 1
        sync(device)
        dt = (time.time() - t) / max(1, n) * 1000
        last = held_out_loss(j.model, held_out)
        moved = [float((q.detach().float() - w).norm() / (w.norm() + 1e-12)) for q, w in zip(j.model.parameters(), w0)]
        lr = j.opt.param_groups[0]["lr"]
        rows.append((name, n, dt, first, last, moved[0], moved[-2], lr))
        print(f"{name:36} {n:4} steps {dt:7.1f} ms/step  loss {first:.4f} -> {last:.4f}  "
              f"moved first conv {moved[0]:.2e} last conv {moved[-2]:.2e}  lr {lr:.2e}", flush=True)
    print("\nsummary: a variant that learns has a clearly lower loss after the steps and moved weights")
    for r in rows:
        print(f"  {r[0]:36} loss {r[3]:.4f} -> {r[4]:.4f}, {r[2]:.1f} ms/step")


if __name__ == "__main__":
    main()
