"""Builds the tiny ONNX models the engine tests run on.

They follow docs/model-contract.md exactly like the shipped models do, but are a few
kilobytes and deterministic, so engine tests never depend on the trained models.
Each one is: nearest-neighbour upsampling of the input plus a small learned-looking
correction from two 3x3 convolutions (receptive field 2) that also sees the denoise
strength as a constant extra channel, followed by depth-to-space.

Run with Debian's python3-onnx:  /usr/bin/python3 make_test_models.py
"""
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FEATURES = 8


def build(scale: int, seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((FEATURES, 4, 3, 3)) * 0.2).astype(np.float32)
    b1 = (rng.standard_normal(FEATURES) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((3 * scale * scale, FEATURES, 3, 3)) * 0.01).astype(np.float32)
    b2 = np.zeros(3 * scale * scale, np.float32)
    inits = [
        numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
        numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2"),
        numpy_helper.from_array(np.array([1, 1, 1, 1], np.int64), "d_shape"),
        numpy_helper.from_array(np.array([0.0], np.float32), "zero"),
        numpy_helper.from_array(np.array([1.0, 1.0, scale, scale], np.float32), "scales"),
        numpy_helper.from_array(np.array([0], np.int64), "c0"),
        numpy_helper.from_array(np.array([1], np.int64), "c1"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        # A constant channel holding the denoise strength, shaped like one image channel.
        helper.make_node("Slice", ["image", "c0", "c1", "axis1"], ["first"]),
        helper.make_node("Mul", ["first", "zero"], ["zeros"]),
        helper.make_node("Reshape", ["denoise", "d_shape"], ["d4"]),
        helper.make_node("Add", ["zeros", "d4"], ["dmap"]),
        helper.make_node("Concat", ["image", "dmap"], ["x4"], axis=1),
        helper.make_node("Conv", ["x4", "w1", "b1"], ["f1"], pads=[1, 1, 1, 1]),
        helper.make_node("LeakyRelu", ["f1"], ["a1"], alpha=0.1),
        helper.make_node("Conv", ["a1", "w2", "b2"], ["f2"], pads=[1, 1, 1, 1]),
        helper.make_node("DepthToSpace", ["f2"], ["detail"], blocksize=scale, mode="CRD"),
        helper.make_node("Resize", ["image", "", "scales"], ["base"], mode="nearest"),
        helper.make_node("Add", ["base", "detail"], ["upscaled"]),
    ]
    return finish(nodes, f"test-x{scale}", inits, with_denoise=True)


def build_slow(scale: int, features: int, depth: int) -> onnx.ModelProto:
    """A wide, deep model that takes seconds on a large image even on a many-core machine, so
    cancellation can be tested mid-run. The middle layers share one weight tensor to keep the file small."""
    rng = np.random.default_rng(7)

    def weight(cout: int, cin: int, name: str):
        w = (rng.standard_normal((cout, cin, 3, 3)) * (0.5 / np.sqrt(9 * cin))).astype(np.float32)
        return numpy_helper.from_array(w, name)

    inits = [weight(features, 3, "w_first"), weight(features, features, "w_mid"),
             weight(3 * scale * scale, features, "w_last")]
    nodes, x = [], "image"
    for i in range(depth):
        w = "w_first" if i == 0 else "w_last" if i == depth - 1 else "w_mid"
        nodes.append(helper.make_node("Conv", [x, w], [f"c{i}"], pads=[1, 1, 1, 1]))
        x = f"c{i}"
        if i < depth - 1:
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"]))
            x = f"r{i}"
    nodes.append(helper.make_node("DepthToSpace", [x], ["upscaled"], blocksize=scale, mode="CRD"))
    return finish(nodes, "slow", inits, with_denoise=False)


def build_channel_gain(scale: int, gains: list) -> onnx.ModelProto:
    """Nearest upsampling times a different gain per channel, in the model's own channel order: shows
    whether the engine feeds and reads a BGR model's channels the right way round."""
    inits = [
        numpy_helper.from_array(np.array([1.0, 1.0, scale, scale], np.float32), "scales"),
        numpy_helper.from_array(np.array(gains, np.float32).reshape(1, 3, 1, 1), "gains"),
    ]
    nodes = [
        helper.make_node("Resize", ["image", "", "scales"], ["base"], mode="nearest"),
        helper.make_node("Mul", ["base", "gains"], ["upscaled"]),
    ]
    return finish(nodes, "channel-gain", inits, with_denoise=False)


def build_deep(scale: int, depth: int, features: int) -> onnx.ModelProto:
    """A narrow stack of 3x3 convolutions (receptive field = depth) over nearest upsampling: a model
    whose receptive field is wider than tiles are padded by, for the cross-faded tiling."""
    rng = np.random.default_rng(9)
    inits = [
        numpy_helper.from_array((rng.standard_normal((features, 3, 3, 3)) * 0.3).astype(np.float32), "w_in"),
        numpy_helper.from_array((rng.standard_normal((features, features, 3, 3)) * (0.9 / np.sqrt(9 * features))).astype(np.float32), "w_mid"),
        numpy_helper.from_array((rng.standard_normal((3 * scale * scale, features, 3, 3)) * 0.05).astype(np.float32), "w_out"),
        numpy_helper.from_array(np.array([1.0, 1.0, scale, scale], np.float32), "scales"),
    ]
    nodes, x = [], "image"
    for i in range(depth):
        w = "w_in" if i == 0 else "w_out" if i == depth - 1 else "w_mid"
        nodes.append(helper.make_node("Conv", [x, w], [f"c{i}"], pads=[1, 1, 1, 1]))
        x = f"c{i}"
        if i < depth - 1:
            nodes.append(helper.make_node("Tanh", [x], [f"t{i}"]))
            x = f"t{i}"
    nodes += [
        helper.make_node("DepthToSpace", [x], ["detail"], blocksize=scale, mode="CRD"),
        helper.make_node("Resize", ["image", "", "scales"], ["base"], mode="nearest"),
        helper.make_node("Add", ["base", "detail"], ["upscaled"]),
    ]
    return finish(nodes, "deep", inits, with_denoise=False)


def build_global_context(scale: int) -> onnx.ModelProto:
    """Nearest upsampling scaled by a squeeze-and-excitation gate (global average pooling), as Real-CUGAN
    has: every output pixel depends on the whole image, so its receptive field is unbounded."""
    inits = [
        numpy_helper.from_array(np.array([1.0, 1.0, scale, scale], np.float32), "scales"),
        numpy_helper.from_array(np.full((3, 3, 1, 1), 0.5, np.float32), "w_gate"),
    ]
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["mean"]),
        helper.make_node("Conv", ["mean", "w_gate"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["gate"]),
        helper.make_node("Mul", ["image", "gate"], ["gated"]),
        helper.make_node("Resize", ["gated", "", "scales"], ["upscaled"], mode="nearest"),
    ]
    return finish(nodes, "global-context", inits, with_denoise=False)


def build_global_context_split(scale: int):
    """The same network as build_global_context in split form, as the converter writes Real-CUGAN:
    a statistics graph giving the pooled vector, and a main graph taking it as an input."""
    stats = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["image"], ["pool0"])], "statistics",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("pool0", TensorProto.FLOAT, [1, 3, 1, 1])])
    stats_model = helper.make_model(stats, opset_imports=[helper.make_opsetid("", 17)])
    stats_model.ir_version = 8
    onnx.checker.check_model(stats_model)

    inits = [
        numpy_helper.from_array(np.array([1.0, 1.0, scale, scale], np.float32), "scales"),
        numpy_helper.from_array(np.full((3, 3, 1, 1), 0.5, np.float32), "w_gate"),
    ]
    nodes = [
        helper.make_node("Conv", ["pool0", "w_gate"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["gate"]),
        helper.make_node("Mul", ["image", "gate"], ["gated"]),
        helper.make_node("Resize", ["gated", "", "scales"], ["upscaled"], mode="nearest"),
    ]
    graph = helper.make_graph(
        nodes, "global-context-main",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"]),
         helper.make_tensor_value_info("pool0", TensorProto.FLOAT, [1, 3, 1, 1])],
        [helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, [1, 3, "H", "W"])], inits)
    main = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    main.ir_version = 8
    onnx.checker.check_model(main)
    return main, stats_model


def finish(nodes: list, name: str, inits: list, with_denoise: bool) -> onnx.ModelProto:
    """Wraps nodes into a checked opset-17 model with the contract's input and output names."""
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])]
    if with_denoise:
        inputs.append(helper.make_tensor_value_info("denoise", TensorProto.FLOAT, [1]))
    graph = helper.make_graph(
        nodes, name, inputs,
        [helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, [1, 3, "H", "W"])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_manifest(path: str, entries: list) -> None:
    with open(path, "w") as f:
        json.dump({"formatVersion": 1, "models": entries}, f, indent=2)
        f.write("\n")


def main() -> None:
    entries = []
    for scale, seed in ((2, 2), (4, 4)):
        name = f"test-x{scale}.onnx"
        data = build(scale, seed).SerializeToString()
        with open(name, "wb") as f:
            f.write(data)
        entries.append({
            "id": f"test-x{scale}", "kind": "general", "scale": scale, "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
            "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
            "denoise": {"input": "denoise", "shape": [1]},
            "receptiveField": 2, "features": FEATURES,
            "description": f"test model x{scale}: nearest upsampling plus a fixed random 2-conv detail term",
        })
    write_manifest("manifest.json", entries)

    # A separate catalog, so it never shadows test-x2: used only by the cancellation tests.
    os.makedirs("slow", exist_ok=True)
    depth, features = 48, 48
    data = build_slow(2, features, depth).SerializeToString()
    with open("slow/slow-x2.onnx", "wb") as f:
        f.write(data)
    write_manifest("slow/manifest.json", [{
        "id": "slow-x2", "kind": "general", "scale": 2, "file": "slow-x2.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "receptiveField": depth, "features": features,
        "description": "test model: slow on purpose, for cancellation tests",
    }])
    write_foreign()


def write_foreign() -> None:
    """A catalog of models shaped like the open models the engine also runs: another value range and
    channel order, no denoise input, and a receptive field too wide for exact tiling."""
    os.makedirs("foreign", exist_ok=True)
    entries = []

    def entry(model_id, kind, file, data, io, **fields):
        entries.append({"id": model_id, "kind": kind, "scale": 2, "file": file,
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "input": {"name": "image", **io}, "output": {"name": "upscaled", **io},
                        "features": 8, **fields})

    gain = build_channel_gain(2, [0.5, 1.0, 0.25]).SerializeToString()
    with open("foreign/gain-x2.onnx", "wb") as f:
        f.write(gain)
    entry("bgr255-x2", "anime", "gain-x2.onnx", gain, {"range": [0.0, 255.0], "order": "BGR"}, receptiveField=0,
          description="test model: channel gains 0.5/1/0.25 in B, G, R order, values 0..255")

    depth = 24
    deep = build_deep(2, depth, 4).SerializeToString()
    with open("foreign/deep-x2.onnx", "wb") as f:
        f.write(deep)
    io = {"range": [0.0, 1.0]}
    entry("deep-exact-x2", "sharp", "deep-x2.onnx", deep, io, receptiveField=depth,
          description="test model: receptive field 24, tiled exactly")
    entry("deep-wide-x2", "sharp", "deep-x2.onnx", deep, io, overlap=2 * depth,
          description="test model: cross-faded tiles whose blend keeps the whole receptive field")
    entry("deep-narrow-x2", "sharp", "deep-x2.onnx", deep, io, overlap=8,
          description="test model: cross-faded tiles narrower than the receptive field")
    # Deliberately understates the receptive field: tiles padded by 8 and cut hard, the seams that
    # cross-fading exists to avoid.
    entry("deep-cut-x2", "sharp", "deep-x2.onnx", deep, io, receptiveField=8,
          description="test model: exact tiling with too small a margin (hard seams)")
    glob = build_global_context(2).SerializeToString()
    with open("foreign/global-x2.onnx", "wb") as f:
        f.write(glob)
    entry("global-blend-x2", "anime", "global-x2.onnx", glob, io, overlap=8,
          description="test model: global pooling, tiles pool over themselves")
    main, stats = (m.SerializeToString() for m in build_global_context_split(2))
    with open("foreign/global-split-x2.onnx", "wb") as f:
        f.write(main)
    with open("foreign/global-split-x2.stats.onnx", "wb") as f:
        f.write(stats)
    entry("global-split-x2", "anime", "global-split-x2.onnx", main, io, receptiveField=0,
          statistics={"file": "global-split-x2.stats.onnx", "sha256": hashlib.sha256(stats).hexdigest(),
                      "values": [{"name": "pool0", "channels": 3, "kind": "mean"}]},
          description="test model: the same network split, tiles share the image's statistics")
    write_manifest("foreign/manifest.json", entries)

    # Files for registration tests only (not in any manifest): probing must find the global context.
    os.makedirs("unlisted", exist_ok=True)
    with open("unlisted/global-x2.onnx", "wb") as f:
        f.write(build_global_context(2).SerializeToString())


if __name__ == "__main__":
    main()
