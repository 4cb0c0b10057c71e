"""Writes tiny synthetic models in every format Upscaler.ModelImport reads, with reference outputs.

Run by the C# tests (Debian's /usr/bin/python3 with python3-torch, python3-numpy, python3-pil):

    make_models.py OUTDIR PHOTO

For every case it writes the model files, and for two crops of PHOTO (37x45 and 16x19, RGB in
[0, 1], float32 CHW) the output of a straightforward reference implementation of the same
network: PyTorch modules for RRDBNet and SRVGGNetCompact (as Real-ESRGAN defines them), and a
small numpy interpreter of the ncnn layer semantics (as ncnn's src/layer/*.cpp computes them),
wrapped in what the tool that ships such a model does around it (padding, crop, residual).
OUTDIR/cases.json lists the cases; the bad-input files sit beside them.
Everything is seeded, so the files are the same on every run.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CROPS = {"main": (100, 120, 37, 45), "small": (20, 30, 16, 19)}  # y, x, h, w


# ----------------------------------------------------------------------------------------------
# PyTorch reference networks (as in Real-ESRGAN / BasicSR)
# ----------------------------------------------------------------------------------------------

class ResidualDenseBlock(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, gc, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf + gc, gc, 3, 1, 1)
        self.conv3 = nn.Conv2d(nf + 2 * gc, gc, 3, 1, 1)
        self.conv4 = nn.Conv2d(nf + 3 * gc, gc, 3, 1, 1)
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(nf, gc)
        self.rdb2 = ResidualDenseBlock(nf, gc)
        self.rdb3 = ResidualDenseBlock(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """Real-ESRGAN's RRDBNet: x4 network; x2 and x1 feed a pixel-unshuffled input."""

    def __init__(self, scale, nf, nb, gc):
        super().__init__()
        self.scale = scale
        in_ch = 3 * (4 if scale == 2 else 16 if scale == 1 else 1)
        self.conv_first = nn.Conv2d(in_ch, nf, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, 3, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2)

    def forward(self, x):
        if self.scale == 2:
            x = F.pixel_unshuffle(x, 2)
        elif self.scale == 1:
            x = F.pixel_unshuffle(x, 4)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


def realesrgan_inference(model, x):
    """Real-ESRGAN's RealESRGANer: reflect-pad x2/x1 inputs to a multiple of 2/4, run, crop."""
    h, w = x.shape[2:]
    mod = {2: 2, 1: 4}.get(model.scale, 1)
    ph, pw = (mod - h % mod) % mod, (mod - w % mod) % mod
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), "reflect")
    return model(x)[:, :, : h * model.scale, : w * model.scale]


def old_esrgan_keys(state):
    """The original ESRGAN spelling of an x4 RRDBNet state dict."""
    nb = len({k.split(".")[1] for k in state if k.startswith("body.")})
    names = {"conv_first": "model.0", "conv_body": f"model.1.sub.{nb}", "conv_up1": "model.3",
             "conv_up2": "model.6", "conv_hr": "model.8", "conv_last": "model.10"}
    out = {}
    for k, v in state.items():
        parts = k.split(".")
        if parts[0] == "body":
            out[f"model.1.sub.{parts[1]}.RDB{parts[2][3:]}.{parts[3]}.0.{parts[4]}"] = v
        else:
            out[names[parts[0]] + "." + parts[1]] = v
    return out


class SRVGGNetCompact(nn.Module):
    def __init__(self, nf, num_conv, scale, act):
        super().__init__()
        self.scale = scale
        layers = [nn.Conv2d(3, nf, 3, 1, 1), self._act(act, nf)]
        for _ in range(num_conv):
            layers += [nn.Conv2d(nf, nf, 3, 1, 1), self._act(act, nf)]
        layers.append(nn.Conv2d(nf, 3 * scale * scale, 3, 1, 1))
        self.body = nn.ModuleList(layers)

    @staticmethod
    def _act(act, nf):
        return nn.PReLU(num_parameters=nf) if act == "prelu" else nn.LeakyReLU(0.1) if act == "lrelu" else nn.ReLU()

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = F.pixel_shuffle(out, self.scale)
        return out + F.interpolate(x, scale_factor=self.scale, mode="nearest")


def conv_flops(model, scale_of):
    """2 x multiply-adds per input pixel of every Conv2d, at the resolution it runs."""
    total = 0.0
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            total += 2.0 * m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1] * scale_of(name) ** 2
    return total


def randomise(model, seed):
    """He-uniform weights and small biases, so the outputs of the tiny networks vary as much as
    an image does (a difference in the converted graph cannot hide under the 1e-3 tolerance)."""
    torch.manual_seed(seed)
    for p in model.parameters():
        with torch.no_grad():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            nn.init.uniform_(p, -1.0, 1.0)
            p.mul_(np.sqrt(6.0 / fan_in) if p.dim() > 1 else 0.1)
    for m in model.modules():
        if isinstance(m, nn.PReLU):
            with torch.no_grad():
                m.weight.uniform_(0.05, 0.3)
    return model


# ----------------------------------------------------------------------------------------------
# Weight files
# ----------------------------------------------------------------------------------------------

def save_safetensors(path, state, dtype=np.float32):
    """The safetensors layout, written by hand: u64 header length, JSON header, raw data."""
    code = {np.float32: "F32", np.float16: "F16"}[dtype]
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in state.items():
        data = t.detach().cpu().numpy().astype(dtype).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class Evil:
    """Its pickle names os.system; a safe reader must refuse it without calling anything."""

    def __reduce__(self):
        return (os.system, ("echo unsafe",))


def write_unsafe_checkpoint(path):
    data = pickle.dumps({"params": Evil()}, protocol=2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data)
        z.writestr("archive/version", "3\n")


# ----------------------------------------------------------------------------------------------
# ncnn: a writer for .param/.bin and a reference interpreter of the layer semantics
# ----------------------------------------------------------------------------------------------

def store(kind, w):
    """The value ncnn reads back for weights stored as f32 / f16 / 8-bit codebook."""
    w = np.asarray(w, np.float32).ravel()
    if kind == "f16":
        return w.astype(np.float16).astype(np.float32)
    if kind == "q8":
        table = np.linspace(w.min(), w.max(), 256).astype(np.float32)
        return table[np.abs(w[:, None] - table[None, :]).argmin(1)]
    return w


def encode(kind, w):
    w = np.asarray(w, np.float32).ravel()
    if kind == "f16":
        data = struct.pack("<I", 0x01306B47) + w.astype("<f2").tobytes()
        return data + b"\0" * ((4 - len(data) % 4) % 4)
    if kind == "q8":
        table = np.linspace(w.min(), w.max(), 256).astype(np.float32)
        idx = np.abs(w[:, None] - table[None, :]).argmin(1).astype(np.uint8).tobytes()
        return bytes([1, 0, 0, 0]) + table.astype("<f4").tobytes() + idx + b"\0" * ((4 - len(idx) % 4) % 4)
    return b"\0\0\0\0" + w.astype("<f4").tobytes()


class NcnnNet:
    """Layers in order; each has type, name, bottoms, tops, params {key: value} and weights {role: array}."""

    def __init__(self, seed):
        self.layers = []
        self.rng = np.random.default_rng(seed)
        self.bin = bytearray()

    def add(self, type_, name, bottoms, tops, params=None, weights=None):
        self.layers.append(dict(type=type_, name=name, bottoms=bottoms, tops=tops, params=params or {}, weights=weights or {}))

    def tagged(self, shape, kind="f32", scale=None):
        n = int(np.prod(shape))
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        w = self.rng.uniform(-1, 1, n).astype(np.float32) * (scale if scale is not None else np.sqrt(6.0 / fan_in))
        self.bin += encode(kind, w)
        return store(kind, w).reshape(shape)

    def raw(self, n, low=-0.1, high=0.1):
        w = self.rng.uniform(low, high, n).astype(np.float32)
        self.bin += w.astype("<f4").tobytes()
        return w

    # layer helpers ---------------------------------------------------------------------------
    def conv(self, name, bottom, top, cin, cout, k, stride=1, pad=0, act=0, act_params=None, kind="f32", bias=True, group=1, extra=None):
        p = {0: cout, 1: k, 3: stride, 4: pad, 5: int(bias), 6: cout * (cin // group) * k * k}
        if group > 1:
            p[7] = group
        if act:
            p[9] = act
            if act_params is not None:
                p[-23310] = act_params
        p.update(extra or {})
        w = {"weight": self.tagged((cout, cin // group, k, k), kind)}
        if bias:
            w["bias"] = self.raw(cout)
        self.add("ConvolutionDepthWise" if group > 1 else "Convolution", name, [bottom], [top], p, w)

    def deconv(self, name, bottom, top, cin, cout, k, stride, pad=0, out_pad=0, act=0, act_params=None, kind="f32"):
        p = {0: cout, 1: k, 3: stride, 4: pad, 5: 1, 6: cout * cin * k * k}
        if out_pad:
            p[18] = out_pad
        if act:
            p[9] = act
            if act_params is not None:
                p[-23310] = act_params
        self.add("Deconvolution", name, [bottom], [top], p, {"weight": self.tagged((cout, cin, k, k), kind), "bias": self.raw(cout)})

    def write(self, stem):
        blobs = {t for l in self.layers for t in l["tops"]}
        lines = ["7767517", f"{len(self.layers)} {len(blobs)}"]
        for l in self.layers:
            params = []
            for k, v in l["params"].items():
                if isinstance(v, (list, tuple)):
                    vals = ",".join(fmt(x) for x in v)
                    params.append(f"{k}={len(v)},{vals}" if k <= -23300 else f"{k}={vals}")
                else:
                    params.append(f"{k}={fmt(v)}")
            lines.append(" ".join([l["type"], l["name"], str(len(l["bottoms"])), str(len(l["tops"]))] + l["bottoms"] + l["tops"] + params))
        with open(stem + ".param", "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(stem + ".bin", "wb") as f:
            f.write(self.bin)

    # reference interpreter -------------------------------------------------------------------
    def run(self, image, input_blob, output_blob):
        blobs = {input_blob: image.astype(np.float32)}
        for l in self.layers:
            if l["type"] == "Input":
                continue
            ins = [blobs[b] for b in l["bottoms"]]
            outs = LAYERS[l["type"]](l["params"], l["weights"], ins)
            if not isinstance(outs, list):
                outs = [outs] * len(l["tops"])
            for t, o in zip(l["tops"], outs):
                blobs[t] = o.astype(np.float32)
        return blobs[output_blob]


def fmt(v):
    return repr(float(v)) if isinstance(v, float) else str(int(v))


def activation(x, p):
    t = p.get(9, 0)
    a = p.get(-23310, [])
    if t == 1:
        return np.maximum(x, 0)
    if t == 2:
        return np.where(x > 0, x, x * a[0])
    if t == 3:
        return np.clip(x, a[0], a[1])
    if t == 4:
        return 1 / (1 + np.exp(-x))
    assert t == 0
    return x


def ncnn_pad(x, top, bottom, left, right, kind="constant", value=0.0):
    widths = [(0, 0), (top, bottom), (left, right)]
    if kind == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"replicate": "edge", "reflect": "reflect"}[kind])


def l_convolution(p, w, ins):
    x = ins[0]
    k, s, pad, group = p[1], p.get(3, 1), p.get(4, 0), p.get(7, 1)
    if pad == -233:  # SAME_UPPER, as ncnn computes it
        H, W = x.shape[1:]
        hp = k + (H - 1) // s * s - H
        wp = k + (W - 1) // s * s - W
        x = ncnn_pad(x, hp // 2, hp - hp // 2, wp // 2, wp - wp // 2)
    elif pad > 0:
        x = ncnn_pad(x, pad, pad, pad, pad, value=p.get(18, 0.0))
    y = F.conv2d(torch.from_numpy(x)[None].double(), torch.from_numpy(w["weight"]).double(),
                 torch.from_numpy(w["bias"]).double() if "bias" in w else None, stride=s, groups=group)[0].numpy()
    return activation(y, p)


def l_deconvolution(p, w, ins):
    """ncnn's loop: out[p][i*s + ky][j*s + kx] += x[q][i][j] * w[p][q][ky][kx], then cut the padding."""
    x = ins[0].astype(np.float64)
    k, s, pad, out_pad = p[1], p.get(3, 1), p.get(4, 0), p.get(18, 0)
    weight, bias = w["weight"].astype(np.float64), w["bias"].astype(np.float64)
    C, H, W = x.shape
    oh, ow = (H - 1) * s + k + out_pad, (W - 1) * s + k + out_pad
    out = np.tile(bias[:, None, None], (1, oh, ow))
    for ky in range(k):
        for kx in range(k):
            out[:, ky:ky + (H - 1) * s + 1:s, kx:kx + (W - 1) * s + 1:s] += np.einsum("pq,qhw->phw", weight[:, :, ky, kx], x)
    out = out[:, pad:oh - pad, pad:ow - pad]
    return activation(out, p)


def l_innerproduct(p, w, ins):
    y = w["weight"].reshape(p[0], -1).astype(np.float64) @ ins[0].astype(np.float64)
    if "bias" in w:
        y = y + w["bias"]
    return activation(y, p)


def broadcast(a, b):
    """ncnn's rule for a 1-D blob against an image: one value per channel."""
    if a.ndim == 3 and b.ndim == 1:
        return a, b[:, None, None]
    if a.ndim == 1 and b.ndim == 3:
        return a[:, None, None], b
    return a, b


def l_binaryop(p, w, ins):
    op = p.get(0, 0)
    if p.get(1, 0):
        a, b = ins[0], np.float32(p.get(2, 0.0))
    else:
        a, b = broadcast(ins[0], ins[1])
    return {0: lambda: a + b, 1: lambda: a - b, 2: lambda: a * b, 3: lambda: a / b, 4: lambda: np.maximum(a, b),
            5: lambda: np.minimum(a, b), 7: lambda: b - a, 8: lambda: b / a}[op]()


def l_eltwise(p, w, ins):
    op, coeffs = p.get(0, 0), p.get(-23301, [])
    if op == 0:
        return np.prod(np.stack(ins), 0)
    if op == 2:
        return np.max(np.stack(ins), 0)
    return sum((coeffs[i] if coeffs else 1.0) * x for i, x in enumerate(ins))


def l_crop(p, w, ins):
    x = ins[0]
    if -23309 in p:
        starts, ends, axes = p[-23309], p[-23310], p.get(-23311, list(range(len(p[-23309]))))
        sl = [slice(None)] * 3
        for start, end, axis in zip(starts, ends, axes):
            axis = axis + 3 if axis < 0 else axis
            d = x.shape[axis]
            s0 = start if start >= 0 else d + start
            e0 = min(d, end if end > 0 else d + end)
            sl[axis] = slice(s0, e0)
        return x[tuple(sl)]
    ref = ins[1]
    wo, ho = p.get(0, 0), p.get(1, 0)
    return x[:, ho:ho + ref.shape[1], wo:wo + ref.shape[2]]


def l_pooling(p, w, ins):
    x = ins[0]
    if p.get(4, 0):
        return x.max((1, 2)) if p.get(0, 0) == 0 else x.mean((1, 2))
    k, s, pad = p[1], p.get(2, 1), p.get(3, 0)
    t = torch.from_numpy(x)[None].double()
    if p.get(0, 0) == 0:
        t = F.pad(t, (pad, pad, pad, pad), value=-np.inf)
        return F.max_pool2d(t, k, s)[0].numpy()
    t = F.pad(t, (pad, pad, pad, pad))
    return F.avg_pool2d(t, k, s)[0].numpy()


def cubic_weights(fx):
    A = -0.75
    fx0, fx1, fx2 = fx + 1, fx, 1 - fx
    c0 = A * fx0 ** 3 - 5 * A * fx0 ** 2 + 8 * A * fx0 - 4 * A
    c1 = (A + 2) * fx1 ** 3 - (A + 3) * fx1 ** 2 + 1
    c2 = (A + 2) * fx2 ** 3 - (A + 3) * fx2 ** 2 + 1
    return [c0, c1, c2, 1 - c0 - c1 - c2]


def resample_axis(x, axis, out, kind):
    """One axis of ncnn's Interp (align_corner = 0), taps clamped at the edges."""
    n = x.shape[axis]
    rows = []
    for d in range(out):
        if kind == "nearest":
            taps = [(min(int(d * (n / out)), n - 1), 1.0)]
        elif kind == "bilinear":
            f = (d + 0.5) * (n / out) - 0.5
            f = max(f, 0.0)
            i = int(np.floor(f))
            a = f - i
            taps = [(min(i, n - 1), 1 - a), (min(i + 1, n - 1), a)]
        else:
            f = (d + 0.5) * (n / out) - 0.5
            i = int(np.floor(f))
            taps = [(min(max(i + j - 1, 0), n - 1), c) for j, c in enumerate(cubic_weights(f - i))]
        row = np.zeros(n)
        for i, c in taps:
            row[i] += c
        rows.append(row)
    m = np.array(rows)
    return np.moveaxis(np.tensordot(m, np.moveaxis(x, axis, 0), axes=1), 0, axis)


def l_interp(p, w, ins):
    x = ins[0].astype(np.float64)
    kind = {1: "nearest", 2: "bilinear", 3: "bicubic"}[p[0]]
    oh, ow = int(x.shape[1] * p[1]), int(x.shape[2] * p[2])
    return resample_axis(resample_axis(x, 1, oh, kind), 2, ow, kind)


def l_pixelshuffle(p, w, ins):
    x, r = ins[0], p[0]
    C, H, W = x.shape
    oc = C // (r * r)
    if p.get(1, 0) == 0:
        y = x.reshape(oc, r, r, H, W)
    else:
        y = x.reshape(r, r, oc, H, W).transpose(2, 0, 1, 3, 4)
    return y.transpose(0, 3, 1, 4, 2).reshape(oc, H * r, W * r)


def l_padding(p, w, ins):
    kind = {0: "constant", 1: "replicate", 2: "reflect"}[p.get(4, 0)]
    return ncnn_pad(ins[0], p.get(0, 0), p.get(1, 0), p.get(2, 0), p.get(3, 0), kind, p.get(5, 0.0))


def l_scale(p, w, ins):
    if p[0] == -233:
        return ins[0] * ins[1][:, None, None]
    y = ins[0] * w["scale"][:, None, None]
    return y + w["bias"][:, None, None] if "bias" in w else y


def l_batchnorm(p, w, ins):
    sd = np.sqrt(w["variance"] + p.get(1, 0.0))
    return ins[0] * (w["slope"] / sd)[:, None, None] + (w["bias"] - w["slope"] * w["mean"] / sd)[:, None, None]


LAYERS = {
    "Convolution": l_convolution,
    "ConvolutionDepthWise": l_convolution,
    "Deconvolution": l_deconvolution,
    "InnerProduct": l_innerproduct,
    "Split": lambda p, w, ins: ins[0],
    "Concat": lambda p, w, ins: np.concatenate(ins, p.get(0, 0)),
    "Eltwise": l_eltwise,
    "BinaryOp": l_binaryop,
    "PReLU": lambda p, w, ins: np.where(ins[0] > 0, ins[0], ins[0] * w["slope"][:, None, None]),
    "ReLU": lambda p, w, ins: np.where(ins[0] > 0, ins[0], ins[0] * p.get(0, 0.0)),
    "Sigmoid": lambda p, w, ins: 1 / (1 + np.exp(-ins[0])),
    "Clip": lambda p, w, ins: np.clip(ins[0], p[0], p[1]),
    "Crop": l_crop,
    "Pooling": l_pooling,
    "Interp": l_interp,
    "PixelShuffle": l_pixelshuffle,
    "Padding": l_padding,
    "Scale": l_scale,
    "BatchNorm": l_batchnorm,
}


def tool_process(net, image, scale, prepad, align, border, inblob, outblob, residual_x4=False):
    """One tile as realcugan-ncnn-vulkan / waifu2x-ncnn-vulkan process it: pad, run, crop, (residual)."""
    _, h, w = image.shape
    eh, ew = (-h) % align, (-w) % align
    padded = ncnn_pad(image, prepad, prepad + eh, prepad, prepad + ew, border)
    out = net.run(padded, inblob, outblob)[:, : h * scale, : w * scale]
    if residual_x4:
        out = out + image.repeat(4, 1).repeat(4, 2)
    return out


# ----------------------------------------------------------------------------------------------
# The ncnn test networks
# ----------------------------------------------------------------------------------------------

def ncnn_esrgan_like():
    """Real-ESRGAN-ncnn-vulkan style x4 ("data" -> "output"): fused LeakyReLU, Eltwise with
    coefficients, nearest Interp, and f32 / f16 / codebook-quantised weights."""
    n = NcnnNet(11)
    n.add("Input", "input", [], ["data"], {0: 0, 1: 0, 2: 3})
    n.add("Split", "split0", ["data"], ["d1", "d2"])
    n.conv("conv_first", "d1", "f", 3, 8, 3, pad=1)
    n.add("Split", "split1", ["f"], ["f1", "f2"])
    n.conv("c1", "f1", "x1", 8, 8, 3, pad=1, act=2, act_params=[0.2], kind="f16")
    n.conv("c2", "x1", "x2", 8, 8, 3, pad=1, kind="q8")
    n.add("Eltwise", "e1", ["x2", "f2"], ["e"], {0: 1, -23301: [0.2, 1.0]})
    n.add("Interp", "up1", ["e"], ["u1"], {0: 1, 1: 2.0, 2: 2.0})
    n.conv("c3", "u1", "x3", 8, 8, 3, pad=1, act=2, act_params=[0.2], kind="f16")
    n.add("Interp", "up2", ["x3"], ["u2"], {0: 1, 1: 2.0, 2: 2.0})
    n.conv("c4", "u2", "y", 8, 3, 3, pad=1)
    n.add("Interp", "up_in", ["d2"], ["nd"], {0: 1, 1: 4.0, 2: 4.0})
    n.add("BinaryOp", "add", ["y", "nd"], ["output"], {0: 0})
    return n, lambda img: n.run(img, "data", "output"), 4


def ncnn_animevideo_like():
    """realesr-animevideov3-x2 style: a x4 network, then ncnn's bicubic Interp by 0.5."""
    n = NcnnNet(12)
    n.add("Input", "input", [], ["data"])
    n.add("Split", "split0", ["data"], ["d1", "d2"])
    n.conv("c1", "d1", "x1", 3, 8, 3, pad=1)
    n.add("PReLU", "pr1", ["x1"], ["p1"], {0: 8}, {"slope": n.raw(8, 0.05, 0.3)})
    n.conv("c2", "p1", "x2", 8, 48, 3, pad=1, kind="f16")
    n.add("PixelShuffle", "ps", ["x2"], ["s"], {0: 4})
    n.add("Interp", "up_in", ["d2"], ["nd"], {0: 1, 1: 4.0, 2: 4.0})
    n.add("BinaryOp", "add", ["s", "nd"], ["x4"], {0: 0})
    n.add("Interp", "down", ["x4"], ["output"], {0: 3, 1: 0.5, 2: 0.5})
    return n, lambda img: n.run(img, "data", "output"), 2


def cunet_core(n, style, final_channels):
    """A small U-Net like Real-CUGAN's and waifu2x's cunet: valid convolutions, a stride-2
    convolution, squeeze-excitation (global pooling, two fully-connected layers), a transposed
    convolution, a crop of the skip branch, and a final stride-2 transposed convolution.
    Output 2N - 32 for an even input N."""
    inp = "in0" if style == "pnnx" else "Input1"
    n.add("Input", "input", [], [inp])
    n.conv("conv1", inp, "c1", 3, 8, 3, act=2, act_params=[0.1])
    n.conv("conv2", "c1", "c2", 8, 8, 3, act=2, act_params=[0.1], kind="f16")
    n.add("Split", "split0", ["c2"], ["skip", "down_in"])
    n.conv("conv3", "down_in", "c3", 8, 8, 2, stride=2, act=2, act_params=[0.1])
    n.conv("conv4", "c3", "c4", 8, 16, 3, act=2, act_params=[0.1])
    n.conv("conv5", "c4", "c5", 16, 8, 3, act=2, act_params=[0.1])
    n.add("Split", "split1", ["c5"], ["se_in", "se_x"])
    n.add("Pooling", "gap", ["se_in"], ["g"], {0: 1, 4: 1})
    n.add("InnerProduct", "fc1", ["g"], ["g1"], {0: 2, 1: 1, 2: 16, 9: 1}, {"weight": n.tagged((2, 8)), "bias": n.raw(2)})
    n.add("InnerProduct", "fc2", ["g1"], ["g2"], {0: 8, 1: 1, 2: 16, 9: 4}, {"weight": n.tagged((8, 2)), "bias": n.raw(8)})
    if style == "pnnx":
        n.add("BinaryOp", "se_mul", ["se_x", "g2"], ["se"], {0: 2})
        n.deconv("up1", "se", "u1", 8, 8, 2, 2, act=2, act_params=[0.1])
        n.add("Crop", "crop_skip", ["skip"], ["skip_c"], {-23309: [4, 4], -23310: [-4, -4], -23311: [-2, -1]})
        n.add("BinaryOp", "merge", ["skip_c", "u1"], ["m"], {0: 0})
    else:
        n.add("Scale", "se_mul", ["se_x", "g2"], ["se"], {0: -233})
        n.deconv("up1", "se", "u1", 8, 8, 2, 2, act=2, act_params=[0.1])
        n.add("Split", "split2", ["u1"], ["u1a", "u1b"])
        n.add("Crop", "crop_skip", ["skip", "u1a"], ["skip_c"], {0: 4, 1: 4})
        n.add("Eltwise", "merge", ["skip_c", "u1b"], ["m"], {0: 1})
    n.conv("conv6", "m", "c6", 8, 8, 3, act=2, act_params=[0.1])
    return "c6"


def ncnn_cugan_like(scale):
    """realcugan-ncnn-vulkan style ("in0" -> "out0"); x2 pads by 8, x4 by 9 and adds the
    nearest-upsampled input as the tool does."""
    n = NcnnNet(13 + scale)
    c = cunet_core(n, "pnnx", 3)
    if scale == 2:
        n.deconv("up2", c, "out0", 8, 3, 4, 2, pad=3)
        prepad = 8
    else:
        n.deconv("up2", c, "u2", 8, 12, 4, 2, pad=3)
        n.add("Crop", "crop_out", ["u2"], ["u2c"], {-23309: [2, 2], -23310: [-2, -2], -23311: [-2, -1]})
        n.add("PixelShuffle", "ps", ["u2c"], ["out0"], {0: 2})
        prepad = 9
    return n, lambda img: tool_process(n, img, scale, prepad, 2, "reflect", "in0", "out0", residual_x4=scale == 4), scale


def ncnn_waifu2x_like():
    """waifu2x-ncnn-vulkan style ("Input1" -> "Eltwise4"): Scale with a second input, Crop to a
    reference blob, replicate padding by 8."""
    n = NcnnNet(17)
    c = cunet_core(n, "caffe", 3)
    n.deconv("up2", c, "Eltwise4", 8, 3, 4, 2, pad=3)
    return n, lambda img: tool_process(n, img, 2, 8, 2, "replicate", "Input1", "Eltwise4"), 2


def ncnn_generic():
    """Any other ncnn model (input "input", output the one unconsumed blob): the remaining
    layer types and parameters."""
    n = NcnnNet(19)
    n.add("Input", "input", [], ["input"])
    n.add("Split", "split_in", ["input"], ["in_a", "in_b"])
    n.add("Padding", "pad0", ["in_a"], ["p0"], {0: 1, 1: 1, 2: 1, 3: 1, 4: 2})
    n.conv("conv0", "p0", "c0", 3, 8, 3, act=1)
    n.conv("dw0", "c0", "d0", 8, 8, 3, pad=1, group=8)
    n.add("PReLU", "pr0", ["d0"], ["r0"], {0: 8}, {"slope": n.raw(8, 0.05, 0.3)})
    n.add("Split", "split0", ["r0"], ["a", "b", "c"])
    n.add("Pooling", "pool0", ["a"], ["m0"], {0: 0, 1: 3, 2: 1, 3: 1, 5: 1})
    n.add("Sigmoid", "sig0", ["m0"], ["s0"])
    n.add("BinaryOp", "mul0", ["b", "s0"], ["g0"], {0: 2})
    n.add("Scale", "sc0", ["g0"], ["sc"], {0: 8, 1: 1}, {"scale": n.raw(8, 0.5, 1.5), "bias": n.raw(8)})
    n.add("BatchNorm", "bn0", ["sc"], ["bn"], {0: 8, 1: 1e-5},
          {"slope": n.raw(8, 0.5, 1.5), "mean": n.raw(8), "variance": n.raw(8, 0.5, 1.5), "bias": n.raw(8)})
    n.add("ReLU", "lr0", ["bn"], ["l0"], {0: 0.05})
    n.add("BinaryOp", "rsub0", ["l0"], ["rs"], {0: 7, 1: 1, 2: 0.5})
    n.add("Clip", "clip0", ["rs"], ["cl"], {0: -1.0, 1: 1.0})
    n.add("Concat", "cat0", ["cl", "c"], ["cat"], {0: 0})
    n.deconv("dc0", "cat", "dc", 16, 8, 3, 2, pad=1, out_pad=1, act=2, act_params=[0.1], kind="f16")
    n.conv("cv1", "dc", "cv", 8, 12, 3, pad=-233, kind="q8")
    n.add("PixelShuffle", "ps0", ["cv"], ["ps"], {0: 2, 1: 1})
    n.add("Pooling", "pool1", ["ps"], ["ap"], {0: 1, 1: 2, 2: 2, 5: 1})
    n.add("Interp", "bl0", ["in_b"], ["ib"], {0: 2, 1: 2.0, 2: 2.0})
    n.add("BinaryOp", "add0", ["ap", "ib"], ["out"], {0: 0})
    return n, lambda img: n.run(img, "input", "out"), 2


# ----------------------------------------------------------------------------------------------

def to_tensor(img):
    return torch.from_numpy(img)[None]


def main():
    out, photo = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rgb = np.asarray(Image.open(photo).convert("RGB"), np.float32) / 255.0
    crops = {}
    for name, (y, x, h, w) in CROPS.items():
        crop = np.ascontiguousarray(rgb[y:y + h, x:x + w].transpose(2, 0, 1))
        crop.tofile(os.path.join(out, f"crop_{name}.f32"))
        crops[name] = crop

    cases = []

    def add_case(name, files, reference, scale, expect, denoise=None):
        refs = {}
        for crop_name, crop in crops.items():
            with torch.no_grad():
                y = reference(crop)
            y = np.ascontiguousarray(np.asarray(y, np.float32))
            assert y.shape == (3, crop.shape[1] * scale, crop.shape[2] * scale), (name, y.shape)
            fname = f"{name}_{crop_name}{'' if denoise is None else '_d' + str(denoise)}.f32"
            y.tofile(os.path.join(out, fname))
            refs[crop_name] = fname
        cases.append(dict(name=name, files=files, scale=scale, denoise=denoise, references=refs, expect=expect))

    def torch_ref(model, inference=None):
        run = inference or (lambda m, x: m(x))
        return lambda crop: run(model, to_tensor(crop))[0].numpy()

    def params(model):
        return int(sum(p.numel() for p in model.parameters()))

    def rrdb_scale_of(name):
        return 2.0 if name == "conv_up1" else 4.0 if name in ("conv_up2", "conv_hr", "conv_last") else 1.0

    # RRDBNet, Real-ESRGAN keys, zip checkpoint wrapped in params_ema
    m = randomise(RRDBNet(4, 8, 2, 4).eval(), 1)
    torch.save({"params_ema": m.state_dict()}, os.path.join(out, "rrdb_x4.pth"))
    add_case("rrdb_x4_pth", ["rrdb_x4.pth"], torch_ref(m), 4,
             dict(architecture="RRDBNet", params=params(m), flops=conv_flops(m, rrdb_scale_of)))
    # the same network with the original ESRGAN keys, in the pre-1.6 (non-zip) checkpoint format
    torch.save(old_esrgan_keys(m.state_dict()), os.path.join(out, "esrgan_old_x4.pth"), _use_new_zipfile_serialization=False)
    add_case("esrgan_old_keys_legacy_pth", ["esrgan_old_x4.pth"], torch_ref(m), 4, dict(architecture="RRDBNet", params=params(m)))

    # Real-ESRGAN x2plus / x1 (pixel-unshuffled input), safetensors in float16 and float32
    m2 = randomise(RRDBNet(2, 8, 1, 4).eval(), 2)
    with torch.no_grad():
        for p in m2.parameters():
            p.copy_(p.half().float())
    save_safetensors(os.path.join(out, "rrdb_x2plus_fp16.safetensors"), m2.state_dict(), np.float16)
    add_case("rrdb_x2plus_safetensors_fp16", ["rrdb_x2plus_fp16.safetensors"], torch_ref(m2, realesrgan_inference), 2,
             dict(architecture="RRDBNet", params=params(m2), alignment=2))
    m1 = randomise(RRDBNet(1, 8, 1, 4).eval(), 3)
    save_safetensors(os.path.join(out, "rrdb_x1.safetensors"), m1.state_dict())
    add_case("rrdb_x1_safetensors", ["rrdb_x1.safetensors"], torch_ref(m1, realesrgan_inference), 1,
             dict(architecture="RRDBNet", params=params(m1), alignment=4))

    # SRVGGNetCompact: PReLU (.pth and .safetensors), LeakyReLU
    s4 = randomise(SRVGGNetCompact(8, 3, 4, "prelu").eval(), 4)
    torch.save({"params": s4.state_dict()}, os.path.join(out, "srvgg_prelu_x4.pth"))
    n_convs = 3 + 2
    add_case("srvgg_prelu_x4_pth", ["srvgg_prelu_x4.pth"], torch_ref(s4), 4,
             dict(architecture="SRVGGNetCompact", params=params(s4), flops=conv_flops(s4, lambda _: 1.0), receptiveField=n_convs))
    save_safetensors(os.path.join(out, "srvgg_prelu_x4.safetensors"), s4.state_dict())
    add_case("srvgg_prelu_x4_safetensors", ["srvgg_prelu_x4.safetensors"], torch_ref(s4), 4,
             dict(architecture="SRVGGNetCompact", params=params(s4), receptiveField=n_convs))
    s2 = randomise(SRVGGNetCompact(8, 2, 2, "lrelu").eval(), 5)
    save_safetensors(os.path.join(out, "srvgg_lrelu_x2.safetensors"), s2.state_dict())
    add_case("srvgg_lrelu_x2_safetensors", ["srvgg_lrelu_x2.safetensors"], torch_ref(s2), 2,
             dict(architecture="SRVGGNetCompact", params=params(s2), receptiveField=4))

    # Denoise twin: weak-denoise end (its name says wdn) and strong end, lerped weights in between
    weak = randomise(SRVGGNetCompact(8, 2, 4, "prelu").eval(), 6)
    strong = randomise(SRVGGNetCompact(8, 2, 4, "prelu").eval(), 7)
    torch.save({"params": strong.state_dict()}, os.path.join(out, "tiny-general-x4v3.pth"))
    torch.save({"params": weak.state_dict()}, os.path.join(out, "tiny-general-wdn-x4v3.pth"))
    for d in (0.0, 0.5, 1.0):
        blend = SRVGGNetCompact(8, 2, 4, "prelu").eval()
        ws, ss = weak.state_dict(), strong.state_dict()
        blend.load_state_dict({k: ws[k] * (1 - d) + ss[k] * d for k in ws})
        add_case("srvgg_denoise_twin", ["tiny-general-x4v3.pth", "tiny-general-wdn-x4v3.pth"], torch_ref(blend), 4,
                 dict(architecture="SRVGGNetCompact", params=params(weak)), denoise=d)

    # ncnn networks
    for name, build in [("ncnn_esrgan_like", ncnn_esrgan_like), ("ncnn_animevideo_like", ncnn_animevideo_like),
                        ("ncnn_cugan_like_x2", lambda: ncnn_cugan_like(2)), ("ncnn_cugan_like_x4", lambda: ncnn_cugan_like(4)),
                        ("ncnn_waifu2x_like", ncnn_waifu2x_like), ("ncnn_generic", ncnn_generic)]:
        net, reference, scale = build()
        net.write(os.path.join(out, name))
        weights = int(sum(v.size for l in net.layers for v in l["weights"].values()))
        expect = dict(architecture="ncnn", params=weights)
        if "cugan" in name or "waifu2x" in name:
            expect["unbounded"] = True
        add_case(name, [name + ".param", name + ".bin"], reference, scale, expect)

    # ---- bad input ---------------------------------------------------------------------------
    bad = {}
    with open(os.path.join(out, "not_a_model.pth"), "w") as f:
        f.write("hello, I am a text file\n")
    bad["not_a_model.pth"] = "not a model"
    open(os.path.join(out, "empty.safetensors"), "wb").close()
    bad["empty.safetensors"] = "empty"
    data = open(os.path.join(out, "srvgg_prelu_x4.pth"), "rb").read()
    open(os.path.join(out, "truncated.pth"), "wb").write(data[: len(data) // 2])
    bad["truncated.pth"] = "truncated"
    data = open(os.path.join(out, "esrgan_old_x4.pth"), "rb").read()
    open(os.path.join(out, "truncated_legacy.pth"), "wb").write(data[: len(data) - 100])
    bad["truncated_legacy.pth"] = "truncated"
    data = open(os.path.join(out, "srvgg_prelu_x4.safetensors"), "rb").read()
    open(os.path.join(out, "truncated.safetensors"), "wb").write(data[: len(data) - 64])
    bad["truncated.safetensors"] = "truncated"
    write_unsafe_checkpoint(os.path.join(out, "unsafe.pth"))
    bad["unsafe.pth"] = "unsafe pickle content"
    with open(os.path.join(out, "bare_pickle.pth"), "wb") as f:
        pickle.dump({"weight": [1.0, 2.0]}, f, protocol=2)
    bad["bare_pickle.pth"] = "re-save it with torch.save"
    torch.save(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).state_dict(), os.path.join(out, "mlp.pth"))
    bad["mlp.pth"] = "unknown architecture"

    def ncnn_variant(stem, edit_param=None, edit_bin=None, drop_bin=False):
        param = open(os.path.join(out, "ncnn_esrgan_like.param")).read()
        binary = open(os.path.join(out, "ncnn_esrgan_like.bin"), "rb").read()
        open(os.path.join(out, stem + ".param"), "w").write(edit_param(param) if edit_param else param)
        if not drop_bin:
            open(os.path.join(out, stem + ".bin"), "wb").write(edit_bin(binary) if edit_bin else binary)

    ncnn_variant("ncnn_truncated_bin", edit_bin=lambda b: b[: len(b) // 2])
    bad["ncnn_truncated_bin.param"] = "truncated"
    ncnn_variant("ncnn_long_bin", edit_bin=lambda b: b + b"\0" * 64)
    bad["ncnn_long_bin.param"] = "do not match"
    ncnn_variant("ncnn_missing_bin", drop_bin=True)
    bad["ncnn_missing_bin.param"] = "missing"
    ncnn_variant("ncnn_unknown_layer", edit_param=lambda p: p.replace("Split split1", "Softmax split1"))
    bad["ncnn_unknown_layer.param"] = "unsupported ncnn layer type 'Softmax'"
    ncnn_variant("ncnn_fixed_interp", edit_param=lambda p: p.replace("Interp up1 1 1 e u1 0=1 1=2.0 2=2.0", "Interp up1 1 1 e u1 0=1 3=64 4=64"))
    bad["ncnn_fixed_interp.param"] = "unsupported ncnn parameter"
    ncnn_variant("ncnn_int8", edit_bin=lambda b: b[:0] + struct.pack("<I", 0x000D4B38) + b[4:])
    bad["ncnn_int8.param"] = "int8"
    with open(os.path.join(out, "fixed_size.onnx"), "wb") as f:
        f.write(fixed_size_onnx())
    bad["fixed_size.onnx"] = "fixed height or width"

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(dict(crops={k: list(v[2:]) for k, v in CROPS.items()}, cases=cases, bad=bad), f, indent=1)


def fixed_size_onnx():
    """An ONNX model with a fixed 32x32 input, which the engine cannot tile."""
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["upscaled"])], "fixed",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, [1, 3, 32, 32])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


if __name__ == "__main__":
    main()
