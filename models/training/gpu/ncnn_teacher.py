"""Read an ncnn model (.param + .bin) into a PyTorch module, for the sharp model's teacher only.

Covers the layers of upscayl's Real-ESRGAN files: realesrgan-x4fast (realesr-general-x4v3,
SRVGGNetCompact: Convolution, PReLU, PixelShuffle, Interp, BinaryOp) and realesrgan-x4plus
(RRDBNet: Convolution with LeakyReLU, Split, Concat, Eltwise with coefficients, BinaryOp, Interp).
The module runs the layer graph in file order; any other layer type, parameter or weight storage
is a clear error rather than a silently wrong teacher.

Formats (ncnn's ParamDict / ModelBin): the .param text starts with the magic 7767517, then
"layers blobs", then one line per layer: type name n_in n_out inputs... outputs... key=value...
(array values: "-23300-k=n,v1,...,vn"). The .bin holds, per layer in order, Convolution weights
as a 4-byte tag (0x01306B47: float16, 0: float32) + data padded to 4 bytes, then float32 bias;
PReLU slopes as plain float32. Input and output: RGB in [0, 1], as realesrgan-ncnn-vulkan feeds it.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAGIC = 7767517
TAG_FP16, TAG_FP32 = 0x01306B47, 0


def _parse_value(v):
    if "." in v or "e" in v.lower():
        return float(v)
    return int(v)


def parse_param(path):
    """[(type, name, inputs, outputs, {key: value})]."""
    with open(path) as f:
        lines = [l.split() for l in f if l.strip()]
    if int(lines[0][0]) != MAGIC:
        raise ValueError(f"{path}: not an ncnn .param file (magic {lines[0][0]})")
    n_layers = int(lines[1][0])
    layers = []
    for tok in lines[2:2 + n_layers]:
        typ, name, n_in, n_out = tok[0], tok[1], int(tok[2]), int(tok[3])
        ins, outs = tok[4:4 + n_in], tok[4 + n_in:4 + n_in + n_out]
        params = {}
        for kv in tok[4 + n_in + n_out:]:
            k, v = kv.split("=", 1)
            k = int(k)
            if k <= -23300:                      # array: -23300 - id = count,values...
                vals = [_parse_value(x) for x in v.split(",")]
                params[-23300 - k] = vals[1:1 + vals[0]]
            else:
                params[k] = _parse_value(v)
        layers.append((typ, name, ins, outs, params))
    return layers


class _BinReader:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf, self.pos = f.read(), 0

    def floats(self, n):
        out = np.frombuffer(self.buf, "<f4", n, self.pos).copy()
        self.pos += 4 * n
        return out

    def tagged(self, n):
        tag = int(np.frombuffer(self.buf, "<u4", 1, self.pos)[0])
        self.pos += 4
        if tag == TAG_FP16:
            out = np.frombuffer(self.buf, "<f2", n, self.pos).astype(np.float32)
            self.pos += (2 * n + 3) // 4 * 4
            return out
        if tag == TAG_FP32:
            return self.floats(n)
        raise ValueError(f"unsupported ncnn weight storage tag {tag:#x} (quantized models are not read)")


class NcnnNet(nn.Module):
    def __init__(self, param_path, bin_path):
        super().__init__()
        self.layers = parse_param(param_path)
        rd = _BinReader(bin_path)
        self.mods = nn.ModuleDict()
        for typ, name, ins, outs, p in self.layers:
            key = name.replace(".", "_")
            if typ == "Convolution":
                cout, k = p[0], p.get(1, 1)
                if p.get(11, k) != k or p.get(2, 1) != 1 or p.get(3, 1) != 1 or p.get(4, 0) < 0:
                    raise ValueError(f"{name}: only square, stride-1, undilated, explicitly padded convolutions are read")
                n_w = p[6]
                cin = n_w // (cout * k * k)
                conv = nn.Conv2d(cin, cout, k, padding=p.get(4, 0), bias=bool(p.get(5, 0)))
                conv.weight.data = torch.from_numpy(rd.tagged(n_w).reshape(cout, cin, k, k))
                if conv.bias is not None:
                    conv.bias.data = torch.from_numpy(rd.floats(cout))
                act = p.get(9, 0)
                if act == 0:
                    m = conv
                elif act == 1:
                    m = nn.Sequential(conv, nn.ReLU())
                elif act == 2:
                    m = nn.Sequential(conv, nn.LeakyReLU(p[10][0] if 10 in p else 0.0))
                else:
                    raise ValueError(f"{name}: activation type {act} is not read")
                self.mods[key] = m
            elif typ == "PReLU":
                pr = nn.PReLU(p.get(0, 1))
                pr.weight.data = torch.from_numpy(rd.floats(p.get(0, 1)))
                self.mods[key] = pr
            elif typ in ("Input", "Split", "Concat", "Eltwise", "BinaryOp", "Interp", "PixelShuffle"):
                pass
            else:
                raise ValueError(f"ncnn layer type {typ} ({name}) is not supported by this reader")
        if rd.pos != len(rd.buf):
            raise ValueError(f"{bin_path}: {len(rd.buf) - rd.pos} bytes left after the last layer: "
                             f"the .param and .bin do not match")
        self.output = self.layers[-1][3][0]

    def forward(self, x):
        blobs = {}
        for typ, name, ins, outs, p in self.layers:
            a = [blobs[i] for i in ins]
            if typ == "Input":
                y = x
            elif typ == "Split":
                for o in outs:
                    blobs[o] = a[0]
                continue
            elif typ in ("Convolution", "PReLU"):
                y = self.mods[name.replace(".", "_")](a[0])
            elif typ == "Concat":
                if p.get(0, 0) != 0:
                    raise ValueError(f"{name}: Concat on axis {p[0]} is not read")
                y = torch.cat(a, 1)
            elif typ == "Eltwise":
                op, coef = p.get(0, 1), p.get(1, [1.0] * len(a))
                if op != 1:
                    raise ValueError(f"{name}: Eltwise op {op} is not read")
                y = sum(c * t for c, t in zip(coef, a))
            elif typ == "BinaryOp":
                if p.get(1, 0) != 0 or p.get(0, 0) not in (0, 1, 2):
                    raise ValueError(f"{name}: BinaryOp {p} is not read")
                y = [a[0] + a[1], a[0] - a[1], a[0] * a[1]][p.get(0, 0)]
            elif typ == "Interp":
                if p.get(0, 0) != 1:
                    raise ValueError(f"{name}: Interp type {p.get(0)} is not read (nearest only)")
                y = F.interpolate(a[0], scale_factor=(p[1], p[2]), mode="nearest")
            elif typ == "PixelShuffle":
                if p.get(1, 0) != 0:
                    raise ValueError(f"{name}: PixelShuffle mode {p[1]} is not read")
                y = F.pixel_shuffle(a[0], p[0])
            blobs[outs[0]] = y
        return blobs[self.output]


def load_teacher(param_path, bin_path, device):
    """The teacher in eval mode, frozen, on `device`."""
    net = NcnnNet(param_path, bin_path).eval().to(device)
    for q in net.parameters():
        q.requires_grad_(False)
    return net
