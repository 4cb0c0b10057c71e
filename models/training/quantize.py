"""Write the QDQ int8 copy of a shipped fp32 CompactSR ONNX model: the file the engine runs on
CPUs with int8 dot products (manifest entry "int8"; UpscalerSettings.UseInt8OnCpu).

The shipped copies were made with (deterministic: the same bytes on every run)

    /usr/bin/python3 models/training/quantize.py models/general/general-x4.onnx \
        -o models/general/general-x4.int8.onnx --calib mse --float-first
    /usr/bin/python3 models/training/quantize.py models/general/general-x2.onnx \
        -o models/general/general-x2.int8.onnx --calib mse --float-first --float-last

and their sha256 entered into models/manifest.json. The settings were chosen on the
validation split; models/eval/evaluate_quantized.py gives the Set5/Set14 comparison with
the fp32 file (loss <= 0.05 dB is the bar; the model card has the numbers).

Graph written (the standard QDQ format ONNX Runtime fuses into QLinearConv):
  * every quantized Conv reads DequantizeLinear(int8 weight initializer, per-output-
    channel scale, zero point 0, axis 0) and DequantizeLinear(int32 bias, scale
    x_scale * w_scale[c], axis 0);
  * its input and its (pre-activation) output tensors get QuantizeLinear ->
    DequantizeLinear pairs, per-tensor uint8 (asymmetric, zero exactly
    representable); LeakyRelu therefore sits between DQ and Q (ORT turns that into
    QLinearLeakyRelu);
  * the Concat input of the first conv is fixed to scale 1/255, zero point 0 (image and
    strength are in [0, 1] by the contract); all other scales come from calibration;
  * the denoise plane, DepthToSpace, the nearest residual and the final Add stay float;
    graph inputs/outputs and their names are unchanged (docs/model-contract.md).

Calibration: the float net is run in PyTorch (CompactSR from model.py, weights taken
from the ONNX initializers) on LR crops of train/ photos (never bench/, never the
validation split), MATLAB-bicubic downscaled, denoise strengths spread over 0..1.
Activation ranges: `max` (min/max seen), `percentile` (e.g. the 99.99% / 0.01%
quantiles, exact, over all calibration values of the tensor) or `mse` (clip range
minimising the quantization MSE on a random sample; for a Conv output feeding a
LeakyReLU the error is measured after the activation).

--float-first / --float-last keep the first / last conv in float (mixed precision).

--reduce-range quantizes the weights to 7 bits (-63..63) instead of 8: the copy for x86
processors without VNNI (manifest entry "int8Avx2"). Their uint8 x int8 kernels add pairs of
products in a saturating int16 (vpmaddubsw): 255 * 127 * 2 overflows it, 255 * 63 * 2 does not,
so a 7-bit copy computes the same on every processor. models/eval/evaluate_avx2_int8.py
measures both copies with the AVX2 kernels.
"""
import argparse
import json
import math
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(MODELS, "eval"))
import model as compact_sr          # noqa: E402
import data                          # noqa: E402
from imresize import imresize        # noqa: E402


# ----------------------------------------------------------------------- calibration
def calibration_set(scale, n, lr_size, seed, degraded_share=0.0):
    """n (lr float32 [1,3,h,w], strength) pairs from train/ (not the val split)."""
    rng = np.random.default_rng(seed)
    files = data.list_images("train")
    order = rng.permutation(len(files))
    strengths = rng.permutation(np.linspace(0.0, 1.0, n))
    hr_size = lr_size * scale
    out = []
    for idx in order:
        if len(out) == n:
            break
        im = data._load_rgb(files[idx])
        w, h = im.size
        if min(w, h) < hr_size:
            continue
        a = np.asarray(im, dtype=np.uint8)
        y0, x0 = rng.integers(0, h - hr_size + 1), rng.integers(0, w - hr_size + 1)
        hr = np.ascontiguousarray(a[y0:y0 + hr_size, x0:x0 + hr_size])
        d = float(strengths[len(out)])
        if rng.random() < degraded_share:
            lr = data.quantize(data.degrade(data.to_tensor(hr), scale, d, rng)).numpy()[None]
        else:
            lr = (imresize(hr, 1.0 / scale).astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        out.append((np.ascontiguousarray(lr, dtype=np.float32), d))
    assert len(out) == n, len(out)
    return out


class RangeStats:
    """Exact min/max and exact upper/lower quantiles of one tensor over all crops."""

    def __init__(self, k, sample=4000, seed=0):
        self.k, self.lo, self.hi, self.mn, self.mx, self.count = k, [], [], np.inf, -np.inf, 0
        self.sample, self.samples, self.rng = sample, [], np.random.default_rng(seed)

    def add(self, t):
        v = t.detach().reshape(-1).numpy()
        self.count += v.size
        self.mn, self.mx = min(self.mn, float(v.min())), max(self.mx, float(v.max()))
        k = min(self.k, v.size)
        self.hi.append(np.partition(v, v.size - k)[v.size - k:])
        self.lo.append(np.partition(v, k - 1)[:k])
        self.samples.append(v[self.rng.integers(0, v.size, min(self.sample, v.size))].copy())

    def range(self, method, pct, slope=None):
        if method == "max":
            return self.mn, self.mx
        if method == "mse":
            return self.mse_range(slope)
        r = max(1, int(math.ceil(self.count * (1 - pct / 100.0))))   # r-th largest / smallest
        assert r <= self.k * len(self.hi), (r, self.k)
        hi = np.sort(np.concatenate(self.hi))[::-1][r - 1]
        lo = np.sort(np.concatenate(self.lo))[r - 1]
        return float(lo), float(hi)


    def mse_range(self, slope):
        """(lo, hi) minimising the mean squared quantization error of a uint8 per-tensor
        quantizer on a random sample of the tensor; with `slope` (LeakyReLU after this
        tensor) the error is measured after the activation, where the negative side is
        scaled by `slope` and so needs less resolution."""
        v = np.concatenate(self.samples).astype(np.float64)
        act = (lambda t: t) if slope is None else (lambda t: np.where(t >= 0, t, t * slope))
        ref = act(v)
        best = (np.inf, self.mn, self.mx)
        fr = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1]
        for fl in fr if self.mn < 0 else [1.0]:
            for fh in fr if self.mx > 0 else [1.0]:
                lo, hi = self.mn * fl, self.mx * fh
                s, zp = uint8_qparams(lo, hi)
                q = (np.clip(np.rint(v / s) + zp, 0, 255) - zp) * s
                err = float(np.mean((act(q) - ref) ** 2))
                if err < best[0]:
                    best = (err, lo, hi)
        return best[1], best[2]


def calibrate(net, crops, pct):
    numel_per_crop = max(crops[0][0].shape[2] * crops[0][0].shape[3] * net.widest_activation, 1)
    k = int(math.ceil(len(crops) * numel_per_crop * (1 - pct / 100.0))) + 2
    stats, hooks = {}, []
    for i, mod in enumerate(net.body):
        stats[i] = RangeStats(k)
        # stats are taken inside the hook, before the in-place LeakyReLU changes the tensor
        hooks.append(mod.register_forward_hook(lambda m, inp, out, i=i: stats[i].add(out)))
    with torch.no_grad():
        for lr, d in crops:
            net(torch.from_numpy(lr), torch.tensor([d], dtype=torch.float32))
    for h in hooks:
        h.remove()
    return stats


def uint8_qparams(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    s = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zp = int(np.clip(round(-lo / float(s)), 0, 255))
    return s, zp


# ----------------------------------------------------------------------------- graph
def quantize_model(m32, stats, method, pct, float_first=False, float_last=False, reduce_range=False):
    m = onnx.ModelProto()
    m.CopyFrom(m32)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    convs = [n for n in g.node if n.op_type == "Conv"]
    conv_index = {n.name or n.output[0]: int(n.input[1].split(".")[1]) for n in convs}  # body.K.weight
    n_convs = len(convs)

    quantized = []
    for j, n in enumerate(convs):
        if (j == 0 and float_first) or (j == n_convs - 1 and float_last):
            continue
        quantized.append(n)

    # per-tensor activation parameters: key = ONNX tensor name
    act = {}
    for n in quantized:
        k = conv_index[n.name or n.output[0]]
        x, y = n.input[0], n.output[0]
        if k == 0:
            act[x] = (np.float32(1.0 / 255.0), 0)          # Concat(image, strength) in [0, 1]
        else:
            # input = output of the LeakyReLU module body[k-1]
            assert producers[x].op_type == "LeakyRelu", producers[x].op_type
            act[x] = uint8_qparams(*stats[k - 1].range(method, pct))
        nxt = next((c for c in g.node if y in c.input), None)
        slope = None
        if nxt is not None and nxt.op_type == "LeakyRelu":
            slope = float(onnx.helper.get_attribute_value(nxt.attribute[0]))
        act[y] = uint8_qparams(*stats[k].range(method, pct, slope))

    new_nodes, new_inits = [], []

    def add_qdq(t):
        s, zp = act[t]
        new_inits.extend([numpy_helper.from_array(np.array(s, np.float32), t + "_scale"),
                          numpy_helper.from_array(np.array(zp, np.uint8), t + "_zero_point")])
        new_nodes.append(helper.make_node("QuantizeLinear", [t, t + "_scale", t + "_zero_point"],
                                          [t + "_quantized"], name=t + "_QuantizeLinear"))
        new_nodes.append(helper.make_node("DequantizeLinear", [t + "_quantized", t + "_scale", t + "_zero_point"],
                                          [t + "_dequantized"], name=t + "_DequantizeLinear"))

    qset = set(act)
    qconvs = {id(n) for n in quantized}
    report = {}
    for n in g.node:
        for i, t in enumerate(n.input):
            if t in qset:
                n.input[i] = t + "_dequantized"
        if id(n) in qconvs:
            wname, bname = n.input[1], n.input[2]
            w = numpy_helper.to_array(inits[wname]).astype(np.float32)
            b = numpy_helper.to_array(inits[bname]).astype(np.float32)
            amax = np.abs(w.reshape(w.shape[0], -1)).max(1)
            wmax = 63 if reduce_range else 127
            ws = np.where(amax > 0, amax / float(wmax), 1.0).astype(np.float32)
            wq = np.clip(np.round(w / ws[:, None, None, None]), -wmax, wmax).astype(np.int8)
            xs = act[n.input[0].replace("_dequantized", "")][0]
            bs = (np.float32(xs) * ws).astype(np.float32)
            bq = np.round(b / bs).astype(np.int64)
            assert np.abs(bq).max() < 2 ** 31
            bq = bq.astype(np.int32)
            new_inits.extend([
                numpy_helper.from_array(wq, wname + "_quantized"),
                numpy_helper.from_array(ws, wname + "_scale"),
                numpy_helper.from_array(np.zeros(ws.shape, np.int8), wname + "_zero_point"),
                numpy_helper.from_array(bq, bname + "_quantized"),
                numpy_helper.from_array(bs, bname + "_scale"),
                numpy_helper.from_array(np.zeros(bs.shape, np.int32), bname + "_zero_point")])
            for t in (wname, bname):
                new_nodes.append(helper.make_node(
                    "DequantizeLinear", [t + "_quantized", t + "_scale", t + "_zero_point"],
                    [t + "_dequantized"], name=t + "_DequantizeLinear", axis=0))
            n.input[1], n.input[2] = wname + "_dequantized", bname + "_dequantized"
            report[wname] = {"w_rel_err": float(np.abs(wq * ws[:, None, None, None] - w).max() / np.abs(w).max())}
        new_nodes.append(n)
        for t in n.output:
            if t in qset:
                add_qdq(t)

    # drop the float weights/biases that are now int8/int32
    used = {i for n in new_nodes for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    del g.node[:]
    g.node.extend(new_nodes)
    m.doc_string = (m32.doc_string + f"; QDQ int8 (weights per-channel symmetric {'7-bit' if reduce_range else 'int8'}, activations "
                    f"per-tensor uint8, calibration {method}{f' {pct}%' if method == 'percentile' else ''}"
                    f"{', first conv float' if float_first else ''}{', last conv float' if float_last else ''})")
    act_report = {t: {"scale": float(s), "zero_point": int(z), "range": [float(-z * s), float((255 - z) * s)]}
                  for t, (s, z) in act.items()}
    return m, {"activations": act_report, "weights": report}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model", help="fp32 ONNX file, e.g. models/general/general-x4.onnx")
    p.add_argument("-o", "--out", required=True)
    p.add_argument("--calib", choices=["max", "percentile", "mse"], default="percentile")
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("--crops", type=int, default=50)
    p.add_argument("--lr-size", type=int, default=64, help="LR crop side")
    p.add_argument("--degraded-share", type=float, default=0.0,
                   help="share of calibration crops made with data.degrade instead of clean bicubic")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--float-first", action="store_true")
    p.add_argument("--float-last", action="store_true")
    p.add_argument("--reduce-range", action="store_true", help="7-bit weights: no int16 saturation on AVX2 without VNNI")
    a = p.parse_args()
    torch.set_num_threads(1)

    m32 = onnx.load(a.model)
    net = compact_sr.from_onnx(m32)
    # sanity: PyTorch rebuild == the ONNX file (numpy interpreter)
    import onnx_numpy
    x = np.random.default_rng(0).random((1, 3, 12, 10), dtype=np.float32)
    d = np.array([0.4], np.float32)
    with torch.no_grad():
        yt = net(torch.from_numpy(x), torch.from_numpy(d)).numpy()
    yo = onnx_numpy.run(m32, {"image": x, "denoise": d})["upscaled"]
    assert np.abs(yt - yo).max() < 1e-4, np.abs(yt - yo).max()

    crops = calibration_set(net.scale, a.crops, a.lr_size, a.seed, a.degraded_share)
    stats = calibrate(net, crops, a.percentile)
    mq, rep = quantize_model(m32, stats, a.calib, a.percentile, a.float_first, a.float_last, a.reduce_range)
    onnx.checker.check_model(mq, full_check=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    onnx.save(mq, a.out)
    import export                                   # contract check: names, dtypes, dynamic shapes
    export.check_contract(a.out, net.scale)
    ops = {}
    for n in mq.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(json.dumps({"out": a.out, "bytes": os.path.getsize(a.out), "scale": net.scale,
                      "features": net.features, "blocks": net.blocks, "calib": a.calib,
                      "percentile": a.percentile, "float_first": a.float_first,
                      "float_last": a.float_last, "reduce_range": a.reduce_range, "ops": ops}, indent=1))
    with open(a.out.replace(".onnx", ".calib.json"), "w") as f:
        json.dump(rep, f, indent=1)


if __name__ == "__main__":
    main()
