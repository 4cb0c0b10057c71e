"""What the int8 copies lose on x86 processors without int8 dot products (AVX2, no VNNI).

    /usr/bin/python3 models/eval/evaluate_avx2_int8.py models/general/general-x4.onnx \
        models/general/general-x4.int8.onnx [more int8 copies...] [--validation] [--out FILE.json]
    /usr/bin/python3 models/eval/evaluate_avx2_int8.py models/face/face-x4.onnx \
        models/face/face-x4.int8.onnx --validation --task face --face-every 3 --out FILE.json

Why: ONNX Runtime's uint8 x int8 kernels for AVX2 (and AVX-512 without VNNI) multiply with
vpmaddubsw, which adds two u8*s8 products into a *saturating* int16; with 8-bit weights that
sum can exceed 32767 (255 * 127 * 2 = 64770) and is clipped. The SSE kernels and the VNNI
kernels (vpdpbusd, int32 sums) are exact. So the int8 copy's output depends on the processor.

How: models/eval/ort_pipe/ort_pipe.c runs a model file in ONNX Runtime's C API (the same
native library and session settings as the engine) behind a pipe. It is run natively (on a
VNNI processor: the exact int8 kernels) and under `qemu-x86_64 -cpu Haswell` (Debian's
qemu-user), where ONNX Runtime sees AVX2 + FMA without VNNI or AVX-512 and dispatches its AVX2
kernels. Emulation makes timings meaningless; the arithmetic is the processor's. The float32
file runs natively (its kernels do not saturate). Metrics and data are evaluate.py's:
Set5/Set14 PSNR-Y at denoise 0 (MATLAB-bicubic LR, shaved borders) and, with --validation,
the validation split at every strength, clean and degraded; with --task face also the face
model card's own test, the held-out aligned face crops (training/face_crops.validate: clean at
d = 0, degraded at d = 0 and d = 1), every n-th crop.

Before measuring, a check: on one random tile the int8 copy under `-cpu Nehalem` (SSE
kernels, exact) must equal the native result (to float rounding, 1e-5, where a copy keeps
float convolutions), and under Haswell it differs for 8-bit weights, which shows the
emulated run really took the saturating kernels (and the native one did not).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evaluate                       # noqa: E402
from metrics import to_uint8          # noqa: E402

WORK = os.path.join(HERE, "work")
PIPE = os.path.join(WORK, "ort_pipe")
ORT_VERSION = "1.31.1"                 # the engine's (src/Upscaler.Core/Upscaler.Core.csproj)
# Haswell's model less the features TCG cannot emulate (they only make qemu print warnings).
HASWELL = "Haswell,pcid=off,x2apic=off,tsc-deadline=off,hle=off,invpcid=off,rtm=off"


def build_pipe():
    """Compiles ort_pipe against the engine's ONNX Runtime from the NuGet cache (once)."""
    native = os.path.expanduser(f"~/.nuget/packages/microsoft.ml.onnxruntime/{ORT_VERSION}")
    library = os.path.join(native, "runtimes", "linux-x64", "native", "libonnxruntime.so")
    if not os.path.exists(library):
        sys.exit(f"{library} not found: build the solution once (dotnet build) so NuGet fetches ONNX Runtime")
    os.makedirs(WORK, exist_ok=True)
    link = os.path.join(WORK, "libonnxruntime.so.1")
    if not os.path.exists(link):
        os.symlink(library, link)
    source = os.path.join(HERE, "ort_pipe", "ort_pipe.c")
    if not os.path.exists(PIPE) or os.path.getmtime(PIPE) < os.path.getmtime(source):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", PIPE, source, "-I", os.path.join(native, "build", "native", "include"),
                        link, "-Wl,-rpath,$ORIGIN"], check=True)


class PipeRunner:
    """Callable (lr uint8 HxWx3, strength) -> sr uint8, like evaluate.Runner, through ort_pipe."""

    def __init__(self, onnx_path, cpu=None, scale=None):
        command = ([shutil.which("qemu-x86_64") or sys.exit("qemu-x86_64 not found (Debian package qemu-user)"), "-cpu", cpu]
                   if cpu else []) + [PIPE, onnx_path, "1"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.scale = scale or self.raw(np.zeros((1, 3, 16, 16), np.float32), 0.0).shape[2] // 16

    def raw(self, x, strength):
        _, _, h, w = x.shape
        self.process.stdin.write(struct.pack("<iif", h, w, strength) + np.ascontiguousarray(x, "<f4").tobytes())
        self.process.stdin.flush()
        header = self.process.stdout.read(8)
        if len(header) < 8:
            sys.exit(f"ort_pipe ended early (exit {self.process.wait()})")
        oh, ow = struct.unpack("<ii", header)
        return np.frombuffer(self.process.stdout.read(12 * oh * ow), "<f4").reshape(1, 3, oh, ow)

    def __call__(self, lr_uint8, strength):
        x = lr_uint8.astype(np.float32)[None].transpose(0, 3, 1, 2) / 255.0
        return to_uint8(np.clip(self.raw(x, strength)[0].transpose(1, 2, 0), 0, 1))

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def kernel_check(int8_path):
    """The native run and the exact SSE kernels agree; the AVX2 kernels do not (they saturate)."""
    x = np.random.default_rng(0).random((1, 3, 40, 40), dtype=np.float32)
    out = {}
    for name, cpu in (("native", None), ("sse4.2 (Nehalem)", "Nehalem"), ("avx2 (Haswell)", HASWELL)):
        runner = PipeRunner(int8_path, cpu, scale=1)
        out[name] = runner.raw(x, 0.0)
        runner.close()
    sse = float(np.abs(out["native"] - out["sse4.2 (Nehalem)"]).max())
    avx2 = float(np.abs(out["native"] - out["avx2 (Haswell)"]).max())
    result = {"max_diff_native_vs_sse": sse, "max_diff_native_vs_avx2": avx2}
    print("kernel check", os.path.basename(int8_path), json.dumps(result), flush=True)
    # Float convolutions left in a copy (--float-first/--float-last) round differently per instruction
    # set by an ulp or so; the int8 ones must agree to that.
    if sse > 1e-5:
        sys.exit("the native int8 run differs from the exact SSE kernels: is this processor without VNNI?")
    return result


class FaceCrops:
    """The held-out aligned face crops (face_crops.validate), made once, measured per runner."""

    def __init__(self, scale, every):
        sys.path.insert(0, os.path.join(HERE, "..", "training"))
        import face_crops
        self.face_crops, self.scale, self.every = face_crops, scale, every
        self.items = face_crops.aligned_items("val", scale)[::every]
        self.inputs = face_crops.validation_inputs(self.items, scale)

    def measure(self, runner):
        import torch

        class Net:                      # the (lr tensor, strength tensor) -> tensor call validate makes
            training = False

            def eval(self):
                return self

            def train(self, mode=True):
                return self

            def __call__(self, x, d):
                return torch.from_numpy(runner.raw(x.numpy(), float(d[0])).copy())

        v = self.face_crops.validate(Net(), self.items, self.scale, "cpu", inputs=self.inputs)
        return {"aligned_crops": len(self.items), "every": self.every, **{k: round(x, 3) for k, x in v.items()}}


def measure(runner, scale, validation, val_images, faces=None):
    res = {}
    for name in ("Set5", "Set14"):
        psnr, ssim = evaluate.bench(name, scale, lambda lr: runner(lr, 0.0))
        res[name] = {"psnr": psnr, "ssim": ssim}
    if validation:
        res["validation"] = evaluate.validation(scale, runner, val=val_images)
    if faces:
        res["face_crops"] = faces.measure(runner)
    return res


def delta(a, b):
    d = {k: round(b[k]["psnr"] - a[k]["psnr"], 3) for k in ("Set5", "Set14")}
    if "validation" in a:
        d["validation"] = {k: round(b["validation"][k] - a["validation"][k], 3)
                           for k in a["validation"] if not k.startswith("bicubic")}
    if "face_crops" in a:
        d["face_crops"] = {k: round(b["face_crops"][k] - v, 3) for k, v in a["face_crops"].items()
                           if k not in ("aligned_crops", "every")}
    return d


def worst(d):
    values = [d["Set5"], d["Set14"]] + list(d.get("validation", {}).values()) + list(d.get("face_crops", {}).values())
    return round(min(values), 3)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx", nargs="+", help="the float32 file first, then int8 copies of it")
    p.add_argument("--validation", action="store_true", help="also the validation split, every strength (slow)")
    p.add_argument("--task", choices=["face"], default=None, help="also the face model card's test (aligned face crops)")
    p.add_argument("--face-every", type=int, default=1, help="face task: every n-th held-out crop")
    p.add_argument("--out", default=None, help="write the results to this JSON file")
    a = p.parse_args()
    build_pipe()
    import data
    val_images = data.load_val_hr() if a.validation else None

    results = {"onnxruntime": ORT_VERSION, "emulated_cpu": HASWELL}
    t0 = time.time()
    fp32 = PipeRunner(a.onnx[0])
    scale = fp32.scale
    faces = FaceCrops(scale, a.face_every) if a.task == "face" else None
    results[a.onnx[0]] = {"native": measure(fp32, scale, a.validation, val_images, faces)}
    fp32.close()
    print(a.onnx[0], json.dumps(results[a.onnx[0]]), flush=True)
    base = results[a.onnx[0]]["native"]
    for path in a.onnx[1:]:
        entry = {"kernel_check": kernel_check(path)}
        for where, cpu in (("native (VNNI)", None), ("emulated AVX2 (Haswell)", HASWELL)):
            if cpu and entry["kernel_check"]["max_diff_native_vs_avx2"] == 0.0:
                # Bit-identical on the check tile (7-bit weights cannot saturate): the AVX2 kernels compute
                # what the native ones did, so the native numbers stand for them (an emulated run takes an hour).
                entry[where] = dict(entry["native (VNNI)"], same_as_native=True)
                print(path, where, "bit-identical to the native run on the check tile: its numbers stand", flush=True)
                continue
            runner = PipeRunner(path, cpu, scale)
            entry[where] = measure(runner, scale, a.validation, val_images, faces)
            runner.close()
            entry[where]["delta_vs_float32"] = delta(base, entry[where])
            entry[where]["worst_delta"] = worst(entry[where]["delta_vs_float32"])
            print(path, where, json.dumps(entry[where]), flush=True)
        results[path] = entry
    results["seconds"] = round(time.time() - t0, 1)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
