"""Model-card metrics for QDQ (int8) ONNX files next to their fp32 originals.

    /usr/bin/python3 models/eval/evaluate_quantized.py \
        models/general/general-x4.onnx models/training/work/quant/general-x4.pct.onnx [--validation]

Same protocol as evaluate.py (Set5/Set14 PSNR-Y/SSIM at denoise 0, MATLAB-bicubic LR;
optionally the validation split, clean and degraded), reusing its functions. Every
file is run by the same interpreter: models/eval/onnx_numpy.py, extended here with
QuantizeLinear / DequantizeLinear (ONNX spec: round half to even, saturate; per-tensor
or per-axis scales), so fp32 and int8 differ only by the quantization. The float
simulation of DQ -> Conv -> Q equals ONNX Runtime's fused QLinearConv (exact int32
accumulation, one requantization) up to float32 rounding of the accumulation.
"""
import argparse
import json
import os
import sys
import time
from types import SimpleNamespace

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import onnx_numpy                     # noqa: E402
import evaluate                       # noqa: E402
from metrics import to_uint8          # noqa: E402

_QRANGE = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127),
           np.dtype(np.int32): (-2 ** 31, 2 ** 31 - 1)}


def _axis_shape(x, scale, axis):
    if scale.ndim == 0 or scale.size == 1:
        return scale.reshape(())
    shape = [1] * x.ndim
    shape[axis] = scale.size
    return scale.reshape(shape)


def quantize_linear(x, scale, zp, axis=1):
    zp = np.zeros((), np.uint8) if zp is None else zp
    s = _axis_shape(x, scale.astype(np.float32), axis)
    z = _axis_shape(x, zp, axis).astype(np.int64)
    lo, hi = _QRANGE[zp.dtype]
    q = np.rint(x.astype(np.float32) / s).astype(np.int64) + z
    return np.clip(q, lo, hi).astype(zp.dtype)


def dequantize_linear(q, scale, zp, axis=1):
    s = _axis_shape(q, scale.astype(np.float32), axis)
    z = 0 if zp is None else _axis_shape(q, zp, axis).astype(np.int64)
    return ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)


def run(model, feeds):
    """onnx_numpy.run plus QuantizeLinear / DequantizeLinear."""
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    env[""] = None
    for node in model.graph.node:
        ins = [env[i] for i in node.input]
        at = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            zp = ins[2] if len(ins) > 2 else None
            f = quantize_linear if node.op_type == "QuantizeLinear" else dequantize_linear
            env[node.output[0]] = f(ins[0], ins[1], zp, at.get("axis", 1))
            continue
        one = SimpleNamespace(graph=SimpleNamespace(
            initializer=[], node=[node], output=[SimpleNamespace(name=o) for o in node.output]))
        env.update(onnx_numpy.run(one, {n: v for n, v in zip(node.input, ins) if n}))
    return {o.name: env[o.name] for o in model.graph.output}


class QRunner:
    def __init__(self, path):
        self.onnx = onnx.load(path)
        y = run(self.onnx, {"image": np.zeros((1, 3, 4, 4), np.float32),
                            "denoise": np.zeros(1, np.float32)})["upscaled"]
        self.scale = y.shape[2] // 4

    def __call__(self, lr_uint8, strength):
        x = lr_uint8.astype(np.float32)[None].transpose(0, 3, 1, 2) / 255.0
        y = run(self.onnx, {"image": x, "denoise": np.array([strength], np.float32)})["upscaled"]
        return to_uint8(np.clip(y[0].transpose(1, 2, 0), 0, 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx", nargs="+", help="fp32 file first, then its quantized copies")
    p.add_argument("--validation", action="store_true", help="also the validation split (slow)")
    p.add_argument("--out", default=None, help="write all results to this JSON file")
    a = p.parse_args()
    results = {}
    for path in a.onnx:
        t0 = time.time()
        r = QRunner(path)
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
