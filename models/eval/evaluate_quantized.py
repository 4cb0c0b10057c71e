"""Model-card metrics for QDQ (int8) ONNX files next to their fp32 originals.

    /usr/bin/python3 models/eval/evaluate_quantized.py \
        models/general/general-x4.onnx models/training/work/quant/general-x4.pct.onnx [--validation]

Same protocol as evaluate.py (Set5/Set14 PSNR-Y/SSIM at denoise 0, MATLAB-bicubic LR;
optionally the validation split, clean and degraded), reusing its functions and its
Runner. Every file is run by the same interpreter, models/eval/onnx_numpy.py (which
knows QuantizeLinear / DequantizeLinear), so fp32 and int8 differ only by the
quantization. The float simulation of DQ -> Conv -> Q equals ONNX Runtime's fused
QLinearConv (exact int32 accumulation, one requantization) up to float32 rounding of
the accumulation.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evaluate                       # noqa: E402

def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx", nargs="+", help="fp32 file first, then its quantized copies")
    p.add_argument("--validation", action="store_true", help="also the validation split (slow)")
    p.add_argument("--out", default=None, help="write all results to this JSON file")
    a = p.parse_args()
    results = {}
    for path in a.onnx:
        t0 = time.time()
        r = evaluate.Runner(onnx_path=path)
        res = {"scale": r.scale}
        for name in ("Set5", "Set14"):
            psnr, ssim = evaluate.bench(name, r.scale, lambda lr: r(lr, 0.0))
            res[name] = {"psnr": psnr, "ssim": ssim}
        if a.validation:
            res["validation"] = evaluate.validation(r.scale, r)
        res["seconds"] = round(time.time() - t0, 1)
        results[path] = res
        print(path, json.dumps(res), flush=True)
    base = results[a.onnx[0]]
    for path in a.onnx[1:]:
        d = {k: round(results[path][k]["psnr"] - base[k]["psnr"], 3) for k in ("Set5", "Set14")}
        if a.validation:
            d["validation"] = {k: round(results[path]["validation"][k] - base["validation"][k], 3)
                               for k in base["validation"]}
        results[path]["delta_vs_first"] = d
        print("delta", os.path.basename(path), json.dumps(d), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
