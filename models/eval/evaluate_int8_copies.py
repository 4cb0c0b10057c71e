"""What the int8 copies `upscaler models add --int8` makes (Upscaler.ModelImport.Quantization) lose,
measured the standard way, and what they look like.

    tools/Upscaler.DevTools/bin/Release/net10.0/upscaler-dev int8-copy \
        models/open/realesrgan-x4plus.onnx /tmp/x4plus.int8.onnx --calibrate samples/*.png
    /usr/bin/python3 models/eval/evaluate_int8_copies.py \
        models/open/realesrgan-x4plus.onnx /tmp/x4plus.int8.onnx [FLOAT32 INT8 ...] \
        [--out models/eval/results/int8-copies.json] [--strip models/cards/int8-copies.png]

Each pair runs natively in ONNX Runtime (models/eval/ort_pipe, the engine's library and session
settings; on a VNNI processor, the exact int8 kernels) on Set5/Set14 (evaluate_avx2_int8.measure, i.e. evaluate.bench: MATLAB-bicubic
LR, PSNR-Y, shaved borders; reporting only). `--strip` draws, per pair, the float32 result, the int8
result and their difference (x8) at 100 % on a crop of samples/cat.png (fur and wicker, where an
invented texture shows), the LR made with the same MATLAB-style bicubic.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import strips                                      # noqa: E402
from evaluate_avx2_int8 import PipeRunner, build_pipe, measure, ORT_VERSION   # noqa: E402
from imresize import imresize                      # noqa: E402

CAT = os.path.join(strips.ROOT, "samples", "cat.png")
CAT_CROP = (slice(8, 200), slice(100, 292))        # HR px: the cat's face and the wicker behind it


def bench(path):
    runner = PipeRunner(path)
    return runner, {name: r["psnr"] for name, r in measure(runner, runner.scale, validation=False, val_images=None).items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx", nargs="+", help="pairs: a float32 file, then its int8 copy")
    p.add_argument("--out", default=None, help="write the results to this JSON file")
    p.add_argument("--strip", default=None, help="draw the float32 | int8 | difference strip to this PNG")
    a = p.parse_args()
    if len(a.onnx) % 2:
        sys.exit("give pairs: FLOAT32 INT8 [FLOAT32 INT8 ...]")
    build_pipe()
    hr = np.asarray(Image.open(CAT).convert("RGB"))[CAT_CROP]
    results, panels = {"onnxruntime": ORT_VERSION, "pairs": []}, []
    for f32, i8 in zip(a.onnx[::2], a.onnx[1::2]):
        name = os.path.basename(f32).removesuffix(".onnx")
        row = {"float32": f32, "int8": i8}
        outputs = []
        for key, path in (("float32", f32), ("int8", i8)):
            runner, row[key + "_psnr"] = bench(path)
            lr = imresize(hr[: hr.shape[0] // runner.scale * runner.scale, : hr.shape[1] // runner.scale * runner.scale], 1.0 / runner.scale)
            outputs.append(runner(lr, 0.0))
            runner.close()
        row["delta"] = {k: round(row["int8_psnr"][k] - row["float32_psnr"][k], 3) for k in ("Set5", "Set14")}
        print(name, json.dumps(row), flush=True)
        results["pairs"].append(row)
        diff = np.clip(np.abs(outputs[0].astype(np.int16) - outputs[1].astype(np.int16)) * 8, 0, 255).astype(np.uint8)
        panels += [(f"{name} float32", outputs[0]), (f"{name} int8", outputs[1]), ("|difference| x8", diff)]
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)
    if a.strip:
        strips.strip(panels, a.strip, columns=3)


if __name__ == "__main__":
    main()
