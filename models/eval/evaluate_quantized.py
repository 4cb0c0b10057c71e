"""Model-card metrics for QDQ (int8) ONNX files next to their fp32 originals.

    /usr/bin/python3 models/eval/evaluate_quantized.py \
        models/general/general-x4.onnx models/training/work/quant/general-x4.pct.onnx [--validation]
    /usr/bin/python3 models/eval/evaluate_quantized.py --task face \
        models/face/face-x4.onnx models/face/face-x4.int8.onnx

Same protocol as evaluate.py (Set5/Set14 PSNR-Y/SSIM at denoise 0, MATLAB-bicubic LR;
optionally the validation split, clean and degraded), reusing its functions and its
Runner. Every file is run by the same interpreter, models/eval/onnx_numpy.py (which
knows QuantizeLinear / DequantizeLinear), so fp32 and int8 differ only by the
quantization. The float simulation of DQ -> Conv -> Q equals ONNX Runtime's fused
QLinearConv (exact int32 accumulation, one requantization) up to float32 rounding of
the accumulation.

--task adds the specialist's own test, every file through the same interpreter:
  * face: the aligned crops of held-out faces (training/face_crops.validate: clean LR at d = 0,
    the fixed degraded input at d = 0 and d = 1), the model card's face numbers;
  * text: the text card's OCR test (eval/evaluate_text.ocr at its HR sizes, Tesseract character
    error rate) and the held-out renders' PSNR-Y (evaluate_text.render_psnr).
"""
import argparse
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evaluate                       # noqa: E402

# the text card's OCR sizes (HR px): where reading is hard at each scale
OCR_SIZES = {4: (20, 24, 28), 2: (12, 14, 16)}


class OnnxNet:
    """A QDQ or float ONNX file behind the (lr [1,3,h,w] tensor, strength [1]) -> tensor call of a
    CompactSR module, for code written against the PyTorch model (face_crops.validate)."""

    def __init__(self, runner):
        self.runner, self.training = runner, False

    def eval(self):
        return self

    def train(self, mode=True):
        assert not mode, "an ONNX file cannot be trained"
        return self

    def __call__(self, x, d):
        import torch
        y = self.runner.run_onnx(self.runner.onnx, {"image": x.numpy().astype("float32"),
                                                    "denoise": d.numpy().astype("float32")})["upscaled"]
        return torch.from_numpy(y)


def face_task(runners, scale, every=1):
    """{path: face_crops.validate numbers} on the held-out aligned crops (every `every`-th: the
    numpy interpreter takes about 1 s per crop and setting)."""
    sys.path.insert(0, os.path.join(HERE, "..", "training"))
    import face_crops
    items = face_crops.aligned_items("val", scale)[::every]
    inputs = face_crops.validation_inputs(items, scale)
    out = {}
    for path, r in runners.items():
        v = face_crops.validate(OnnxNet(r), items, scale, "cpu", inputs=inputs)
        out[path] = {"aligned_crops": len(items), "every": every, **{k: round(x, 3) for k, x in v.items()}}
        print(path, json.dumps(out[path]), flush=True)
    return out


def text_task(runners, scale):
    """{path: {"ocr": {size: cer}, "render_psnr": dB}}: the text card's OCR test and renders."""
    import evaluate_text
    calls = {path: (lambda lr, d, r=r: r(lr, d)) for path, r in runners.items()}
    ocr, _ = evaluate_text.ocr(calls, scale, OCR_SIZES[scale])
    psnr = evaluate_text.render_psnr(calls, scale)
    out = {}
    for path in runners:
        out[path] = {"ocr": {size: {"lines": v["lines_kept"], "chars": v["chars"], "cer": v[f"cer_{path}"]}
                             for size, v in ocr.items()},
                     "render_psnr": psnr[path]}
        print(path, json.dumps(out[path]), flush=True)
    return out

def main():
    p = argparse.ArgumentParser()
    p.add_argument("onnx", nargs="+", help="fp32 file first, then its quantized copies")
    p.add_argument("--validation", action="store_true", help="also the validation split (slow)")
    p.add_argument("--task", choices=["face", "text"], default=None, help="also the specialist's own test")
    p.add_argument("--face-every", type=int, default=1, help="face task: every n-th held-out crop")
    p.add_argument("--out", default=None, help="write all results to this JSON file")
    a = p.parse_args()
    results, runners = {}, {}
    for path in a.onnx:
        t0 = time.time()
        r = runners[path] = evaluate.Runner(onnx_path=path)
        with open(path, "rb") as f:
            res = {"sha256": hashlib.sha256(f.read()).hexdigest(), "scale": r.scale}
        for name in ("Set5", "Set14"):
            psnr, ssim = evaluate.bench(name, r.scale, lambda lr: r(lr, 0.0))
            res[name] = {"psnr": psnr, "ssim": ssim}
        if a.validation:
            res["validation"] = evaluate.validation(r.scale, r)
        res["seconds"] = round(time.time() - t0, 1)
        results[path] = res
        print(path, json.dumps(res), flush=True)
    if a.task:
        t0 = time.time()
        s = runners[a.onnx[0]].scale
        task = face_task(runners, s, a.face_every) if a.task == "face" else text_task(runners, s)
        for path, v in task.items():
            results[path][a.task] = v
        results[a.onnx[0]]["task_seconds"] = round(time.time() - t0, 1)
    base = results[a.onnx[0]]
    for path in a.onnx[1:]:
        d = {k: round(results[path][k]["psnr"] - base[k]["psnr"], 3) for k in ("Set5", "Set14")}
        if a.validation:
            d["validation"] = {k: round(results[path]["validation"][k] - base["validation"][k], 3)
                               for k in base["validation"]}
        if a.task == "face":
            d["face"] = {k: round(results[path]["face"][k] - base["face"][k], 3)
                         for k in ("clean_d0", "deg_d0", "deg_d1")}
        if a.task == "text":
            d["text"] = {"render_psnr": round(results[path]["text"]["render_psnr"] - base["text"]["render_psnr"], 3),
                         "ocr_cer": {k: round(v["cer"] - base["text"]["ocr"][k]["cer"], 4)
                                     for k, v in results[path]["text"]["ocr"].items()}}
        results[path]["delta_vs_first"] = d
        print("delta", os.path.basename(path), json.dumps(d), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
