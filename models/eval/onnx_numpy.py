"""A tiny numpy interpreter for the handful of ONNX ops our exported graphs use.

There is no onnxruntime for Python on the training machine, so this is how export.py
checks that the *ONNX file itself* (not just the PyTorch model) computes the right
thing, for the float32, float16 and int8 (QDQ) copies. It follows the ONNX operator
specs for exactly the attribute values torch.onnx emits here and raises on anything
else, so an unexpected graph change cannot pass silently.
"""
import numpy as np
import onnx
from onnx import numpy_helper

_NP = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16,
       onnx.TensorProto.INT64: np.int64}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, at):
    assert at.get("group", 1) == 1 and list(at.get("strides", [1, 1])) == [1, 1]
    dh, dw = list(at.get("dilations", [1, 1]))
    kh, kw = w.shape[2:]
    pt, pl, pb, pr = at["pads"]
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    oh, ow = h + pt + pb - dh * (kh - 1), wd + pl + pr - dw * (kw - 1)
    # im2col: (C*kh*kw, oh*ow), accumulate in the tensor's own dtype like a GPU kernel
    # would not; we accumulate in float32 for fp16 too (ORT/cuDNN accumulate in fp32).
    cols = np.stack([xp[0, :, i * dh:i * dh + oh, j * dw:j * dw + ow] for i in range(kh) for j in range(kw)], axis=1)
    cols = cols.reshape(c * kh * kw, oh * ow).astype(np.float32)
    out = w.reshape(w.shape[0], -1).astype(np.float32) @ cols
    if b is not None:
        out += b.astype(np.float32)[:, None]
    return out.reshape(1, w.shape[0], oh, ow).astype(x.dtype)


# QuantizeLinear / DequantizeLinear (the int8 copies' QDQ graphs): round half to even and saturate,
# per-tensor or per-axis scales, as the ONNX spec says.
_QRANGE = {np.dtype(np.uint8): (0, 255), np.dtype(np.int8): (-128, 127),
           np.dtype(np.int32): (-2 ** 31, 2 ** 31 - 1)}


def _axis_shape(x, scale, axis):
    if scale.ndim == 0 or scale.size == 1:
        return scale.reshape(())
    shape = [1] * x.ndim
    shape[axis] = scale.size
    return scale.reshape(shape)


def _quantize_linear(x, scale, zp, axis):
    zp = np.zeros((), np.uint8) if zp is None else zp
    s = _axis_shape(x, scale.astype(np.float32), axis)
    z = _axis_shape(x, zp, axis).astype(np.int64)
    lo, hi = _QRANGE[zp.dtype]
    q = np.rint(x.astype(np.float32) / s).astype(np.int64) + z
    return np.clip(q, lo, hi).astype(zp.dtype)


def _dequantize_linear(q, scale, zp, axis):
    s = _axis_shape(q, scale.astype(np.float32), axis)
    z = 0 if zp is None else _axis_shape(q, zp, axis).astype(np.int64)
    return ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)


def run(model: onnx.ModelProto, feeds: dict, observe=None) -> dict:
    """Runs the graph on numpy arrays; observe(name, value), if given, sees every node's output
    (the fp16 tests look for an intermediate tensor that overflows)."""
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    env[""] = None
    for node in model.graph.node:
        at = _attrs(node)
        ins = [env[i] for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = numpy_helper.to_array(at["value"])
        elif op == "Reshape":
            shape = [ins[0].shape[k] if s == 0 else s for k, s in enumerate(ins[1].tolist())]
            out = ins[0].reshape(shape)
        elif op == "Slice":
            data, starts, ends = ins[:3]
            axes = ins[3] if len(ins) > 3 else np.arange(len(starts))
            steps = ins[4] if len(ins) > 4 else np.ones_like(starts)
            sl = [slice(None)] * data.ndim
            for s, e, a, st in zip(starts, ends, axes, steps):
                sl[int(a)] = slice(int(s), int(min(e, data.shape[int(a)])), int(st))
            out = data[tuple(sl)]
        elif op == "Shape":
            out = np.array(ins[0].shape, dtype=np.int64)
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
            out = np.full(tuple(ins[0].tolist()), v.reshape(-1)[0], dtype=v.dtype)
        elif op in ("Mul", "Add"):
            assert ins[0].dtype == ins[1].dtype, (op, ins[0].dtype, ins[1].dtype)
            out = ins[0] * ins[1] if op == "Mul" else ins[0] + ins[1]
        elif op == "Concat":
            out = np.concatenate(ins, axis=at["axis"])
        elif op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, at)
        elif op == "LeakyRelu":
            x = ins[0]
            out = np.where(x >= 0, x, x * x.dtype.type(at["alpha"])).astype(x.dtype)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "DepthToSpace":
            assert at["mode"] == b"CRD"
            bs = at["blocksize"]
            n, c, h, w = ins[0].shape
            out = ins[0].reshape(n, c // (bs * bs), bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
            out = out.reshape(n, c // (bs * bs), h * bs, w * bs)
        elif op == "Resize":
            assert at["mode"] == b"nearest" and at["coordinate_transformation_mode"] == b"asymmetric"
            assert at.get("nearest_mode", b"round_prefer_floor") == b"floor"
            scales = ins[2]
            assert scales[0] == 1 and scales[1] == 1 and float(scales[2]).is_integer() and scales[2] == scales[3]
            s = int(scales[2])
            out = ins[0].repeat(s, axis=2).repeat(s, axis=3)   # floor(x_out / s) == repeat
        elif op == "Cast":
            out = ins[0].astype(_NP[at["to"]])
        elif op in ("QuantizeLinear", "DequantizeLinear"):
            zp = ins[2] if len(ins) > 2 else None
            f = _quantize_linear if op == "QuantizeLinear" else _dequantize_linear
            out = f(ins[0], ins[1], zp, at.get("axis", 1))
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = out
        if observe is not None:
            observe(node.output[0], out)
    return {o.name: env[o.name] for o in model.graph.output}
