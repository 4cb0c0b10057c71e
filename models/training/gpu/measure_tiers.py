"""Time CompactSR sizes in our engine (the C# command line, ONNX Runtime on the CPU) to pick the tiers.

    dotnet build src/Upscaler.Cli -c Release
    /usr/bin/python3 models/training/gpu/measure_tiers.py [--rounds 3] [--size 1200] [--scale 4] \
        [--candidates 48x10,64x10,...] [--int8]

For each candidate (features x blocks) a random-weight model is written with compact_onnx into
its own temporary models folder with a one-entry manifest (kind general), and the real command
line upscales a synthetic photo with it (`UPSCALER_MODELS_DIR=... upscaler in.png -o out.png`,
float32 unless --int8, automatic tiles, --device cpu). A 64x64 input measures the fixed cost
(process start, session load, PNG I/O), which is subtracted. Candidates run interleaved, in a
new random order each round, and each reports its best round: the machine is shared, so only
ratios from one run mean anything. Prints a Markdown table (ms per input megapixel, FLOPs per
input pixel, both relative to today's 48x10).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import compact_onnx             # noqa: E402
from model import CompactSR     # noqa: E402

CLI = os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler.dll")
DEFAULT = "48x10,56x12,64x10,48x20,64x11,64x16,64x24,96x16,80x24,64x32,96x20,128x12"


def write_models_dir(folder, features, blocks, scale, int8):
    torch.manual_seed(features * 100 + blocks)
    net = CompactSR(scale, features, blocks).eval()
    with torch.no_grad():                      # realistic activations, not the near-zero last conv
        net.body[-1].weight.normal_(0, 0.02)
    os.makedirs(os.path.join(folder, "general"), exist_ok=True)
    f32 = os.path.join(folder, "general", "cand.onnx")
    compact_onnx.save(net, f32)
    sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
    entry = {"id": f"cand-{features}x{blocks}", "kind": "general", "scale": scale, "file": "general/cand.onnx",
             "sha256": sha(f32),
             "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
             "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
             "denoise": {"input": "denoise", "shape": [1]},
             "receptiveField": net.receptive_field, "features": net.widest_activation,
             "flopsPerPixel": net.flops_per_lr_pixel(), "description": "tier timing candidate"}
    if int8:
        q = os.path.join(folder, "general", "cand.int8.onnx")
        subprocess.run([sys.executable, os.path.join(HERE, "..", "quantize.py"), f32, "-o", q, "--calib", "max",
                        "--crops", "4", "--lr-size", "32", "--float-first"], check=True, capture_output=True)
        entry["int8"] = {"file": "general/cand.int8.onnx", "sha256": sha(q)}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({"formatVersion": 1, "models": [entry]}, f)
    return net


def photo(size, path):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    smooth = np.stack([xx, yy, 0.5 + 0.5 * np.sin(6.0 * (xx + yy))], -1)
    tex = np.random.default_rng(1).random((size, size, 3), dtype=np.float32)
    Image.fromarray((np.clip(0.8 * smooth + 0.2 * tex, 0, 1) * 255).astype(np.uint8)).save(path)


def run_cli(models_dir, src, dst, scale):
    env = {**os.environ, "UPSCALER_MODELS_DIR": models_dir}
    t = time.perf_counter()
    r = subprocess.run(["dotnet", CLI, src, "-o", dst, "--scale", str(scale), "--model", "general", "--denoise", "0.5",
                        "--device", "cpu", "--overwrite"], env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"measure_tiers: the command line failed: {r.stderr.strip()}")
    return dt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--candidates", default=DEFAULT)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--size", type=int, default=1200, help="edge of the square input (px)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--int8", action="store_true", help="time the QDQ int8 copies (quantize.py) instead")
    a = p.parse_args()
    if not os.path.exists(CLI):
        sys.exit(f"measure_tiers: build the command line first (dotnet build src/Upscaler.Cli -c Release): {CLI} missing")
    cands = [tuple(int(v) for v in c.split("x")) for c in a.candidates.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        big, small = os.path.join(tmp, "big.png"), os.path.join(tmp, "small.png")
        photo(a.size, big)
        photo(64, small)
        nets = {c: write_models_dir(os.path.join(tmp, f"{c[0]}x{c[1]}"), *c, a.scale, a.int8) for c in cands}
        best = {c: [np.inf, np.inf] for c in cands}
        rng = np.random.default_rng(0)
        for r in range(a.rounds):
            for i in rng.permutation(len(cands)):
                c = cands[i]
                d = os.path.join(tmp, f"{c[0]}x{c[1]}")
                best[c][0] = min(best[c][0], run_cli(d, big, os.path.join(tmp, "o.png"), a.scale))
                best[c][1] = min(best[c][1], run_cli(d, small, os.path.join(tmp, "o.png"), a.scale))
            print(f"round {r + 1}/{a.rounds} done", file=sys.stderr, flush=True)
    mp = a.size * a.size / 1e6
    base = cands[0]
    ms = {c: 1000 * (best[c][0] - best[c][1]) / mp for c in cands}
    fl = {c: nets[c].flops_per_lr_pixel() for c in cands}
    print(f"| features x blocks | params | MFLOP / input px | x {base[0]}x{base[1]} | ms / input MP ({'int8' if a.int8 else 'float32'}) "
          f"| x {base[0]}x{base[1]} | GFLOP/s | receptiveField |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in cands:
        print(f"| {c[0]}x{c[1]} | {nets[c].params():,} | {fl[c] / 1e6:.3f} | {fl[c] / fl[base]:.2f} | {ms[c]:.0f} "
              f"| {ms[c] / ms[base]:.2f} | {fl[c] / ms[c]:.0f} | {nets[c].receptive_field} |")
    print(f"\nx{a.scale}, {a.size}x{a.size} input, best of {a.rounds} rounds, fixed cost (64x64 run) subtracted; "
          f"{os.cpu_count()} logical CPUs", flush=True)


if __name__ == "__main__":
    main()
