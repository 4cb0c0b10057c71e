"""Floating-point operations per input (low-resolution) pixel, counted from an ONNX graph.

export.py checks the manifest's "flopsPerPixel" (model.py's formula) against this count of
the exported files, so the figure that benchmarks and `upscaler models` read is the graph's.

Convention: 2 x the multiply-adds of every Conv and ConvTranspose, which is where nearly all
of an upscaler's arithmetic is; biases, activations, element-wise ops and resize/shuffle ops
are not counted. A conv's cost per spatial position comes from its weight's dimensions; how
many positions it runs on per input pixel comes from an "area factor" carried from the graph
input `image` (1) along the edges: strides shrink or grow it, DepthToSpace, SpaceToDepth and
constant-scale Resize/Upsample change it, any other op keeps the largest of its inputs'.
Convs on tensors that do not depend on the image cost nothing per pixel. Weights may be
initializers, Constant nodes, or (in QDQ int8 copies) DequantizeLinear/Cast of one.
"""
import warnings

import numpy as np
import onnx
from onnx import numpy_helper


class GraphError(ValueError):
    """The graph cannot be counted: one line naming what is wrong."""


def per_input_pixel(model, name="model"):
    """FLOPs per input pixel of an onnx.ModelProto (or a path to one)."""
    if isinstance(model, str):
        name = model
        try:
            with warnings.catch_warnings():          # protobuf warns about some garbage before failing on it
                warnings.simplefilter("ignore")
                model = onnx.load(model)
        except Exception as e:  # onnx raises DecodeError, OSError, ... for a file that is not a model
            raise GraphError(f"{name}: not a readable ONNX model ({e})") from e
    g = model.graph
    if "image" not in [i.name for i in g.input]:
        raise GraphError(f"{name}: the graph has no input named 'image'")
    shapes = {i.name: list(i.dims) for i in g.initializer}       # constant tensors: their dims
    values = {i.name: numpy_helper.to_array(i) for i in g.initializer if i.data_type == onnx.TensorProto.FLOAT}
    factors = {"image": 1.0}
    flops = 0.0

    def factor(t):
        return factors.get(t)

    def attr(node, key, default):
        for a in node.attribute:
            if a.name == key:
                return onnx.helper.get_attribute_value(a)
        return default

    for node in g.node:                                         # ONNX stores nodes in topological order
        op = node.op_type
        if op == "Constant":
            t = attr(node, "value", None)
            if t is not None:
                shapes[node.output[0]] = list(t.dims)
                if t.data_type == onnx.TensorProto.FLOAT:
                    values[node.output[0]] = numpy_helper.to_array(t)
            continue
        if op in ("DequantizeLinear", "Cast") and node.input[0] in shapes:
            shapes[node.output[0]] = shapes[node.input[0]]      # a constant weight in another type
            continue
        known = [factor(t) for t in node.input if factor(t) is not None]
        out = max(known) if known else None
        if op in ("Conv", "ConvTranspose"):
            if len(node.input) < 2 or node.input[1] not in shapes:
                raise GraphError(f"{name}: {op} weight '{node.input[1] if len(node.input) > 1 else ''}' is not a constant")
            # Conv weight [Cout, Cin/group, k...] per output position; ConvTranspose [Cin, Cout/group, k...] per input position.
            per_position = 2.0 * float(np.prod(shapes[node.input[1]]))
            stride = float(np.prod(attr(node, "strides", [1])))
            x = factor(node.input[0])
            if x is not None:
                out = x / stride if op == "Conv" else x * stride
                flops += per_position * (out if op == "Conv" else x)
            else:
                out = None
        elif op in ("DepthToSpace", "SpaceToDepth") and out is not None:
            area = float(attr(node, "blocksize", 1)) ** 2
            out = out * area if op == "DepthToSpace" else out / area
        elif op in ("Resize", "Upsample") and factor(node.input[0]) is not None:
            scales = node.input[2] if op == "Resize" and len(node.input) > 2 else node.input[1] if op == "Upsample" else ""
            if scales in values and values[scales].size >= 2:
                s = values[scales].reshape(-1)
                out = factor(node.input[0]) * float(s[-1]) * float(s[-2])
        if out is not None:
            for o in node.output:
                factors[o] = out
    return flops
