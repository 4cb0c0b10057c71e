"""FLOPs per input pixel counted from real ONNX graphs (models/training/graph_flops.py): the shipped
models and their copies against their manifest entries, the test models, and hand-built graphs
for every rule (strides, depth-to-space, transposed and grouped convs, resize, constants)."""
import json
import os
import re
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
TEST_MODELS = os.path.join(ROOT, "tests", "TestModels")
sys.path.insert(0, os.path.join(MODELS, "training"))
import graph_flops  # noqa: E402


def conv(cout, cin, k=3):
    """2 x multiply-adds of one k x k conv per position, as models/training/model.py counts them."""
    return 2.0 * cout * cin * k * k


def tensor(name, dims, values=None):
    values = np.zeros(dims, np.float32) if values is None else np.asarray(values, np.float32).reshape(dims)
    return numpy_helper.from_array(values, name)


def graph(nodes, initializers, inputs=("image",)):
    g = helper.make_graph(nodes, "test", [helper.make_tensor_value_info(i, TensorProto.FLOAT, None) for i in inputs],
                          [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)], initializers)
    return helper.make_model(g)


class ShippedModels(unittest.TestCase):
    def test_every_file_of_every_entry_counts_the_manifests_figure(self):
        # CompactSR (model.py): conv 4->F, `blocks` convs F->F, conv F->3s^2, all 3x3 at LR; F x blocks is
        # 48 x 10 for the CPU-trained models, the entry's "architecture" for the GPU kit's (e.g. 64x24).
        with open(os.path.join(MODELS, "manifest.json")) as f:
            entries = json.load(f)["models"]
        self.assertGreaterEqual(len(entries), 6)
        for entry in entries:
            s = entry["scale"]
            arch = re.fullmatch(r"CompactSR (\d+)x(\d+)", entry.get("architecture", "CompactSR 48x10"))
            self.assertIsNotNone(arch, entry["id"])
            f, blocks = int(arch.group(1)), int(arch.group(2))
            expected = 2 * 9 * (4 * f + blocks * f * f + f * 3 * s * s)
            self.assertEqual(entry["flopsPerPixel"], expected, entry["id"])
            files = [entry["file"]] + [entry[k]["file"] for k in ("fp16", "int8", "int8Avx2") if k in entry]
            for file in files:
                self.assertEqual(graph_flops.per_input_pixel(os.path.join(MODELS, file)), expected, file)


class TestModels(unittest.TestCase):
    def test_tiny_models_count_their_two_convs(self):
        # make_test_models.py: 3x3 convs 4->8 and 8->3s^2 at LR, then depth-to-space, plus a nearest-upsampled residual.
        self.assertEqual(graph_flops.per_input_pixel(os.path.join(TEST_MODELS, "test-x2.onnx")), conv(8, 4) + conv(12, 8))
        self.assertEqual(graph_flops.per_input_pixel(os.path.join(TEST_MODELS, "test-x4.onnx")), conv(8, 4) + conv(48, 8))

    def test_slow_model_counts_all_48_convs(self):
        # make_test_models.py build_slow(2, 48, 48): conv 3->48, 46 convs 48->48 sharing one weight, conv 48->12.
        self.assertEqual(graph_flops.per_input_pixel(os.path.join(TEST_MODELS, "slow", "slow-x2.onnx")),
                         conv(48, 3) + 46 * conv(48, 48) + conv(12, 48))


class Rules(unittest.TestCase):
    def test_strided_conv_and_depth_to_space_change_where_later_convs_run(self):
        m = graph([
            helper.make_node("Conv", ["image", "w1", "b1"], ["a"], strides=[2, 2], pads=[1, 1, 1, 1]),  # 1/4 of the input pixels
            helper.make_node("Relu", ["a"], ["r"]),
            helper.make_node("DepthToSpace", ["r"], ["d"], blocksize=4),                              # 1/4 x 16 = 4 per input pixel
            helper.make_node("Conv", ["d", "w2"], ["upscaled"]),
        ], [tensor("w1", [32, 3, 3, 3]), tensor("b1", [32]), tensor("w2", [5, 2, 3, 3])])
        self.assertEqual(graph_flops.per_input_pixel(m), conv(32, 3) / 4 + conv(5, 2) * 4)

    def test_conv_transpose_resize_groups_space_to_depth_and_constants(self):
        m = graph([
            helper.make_node("ConvTranspose", ["image", "wt"], ["up"], strides=[2, 2]),    # weight [Cin, Cout/group, k, k], per input position
            helper.make_node("Constant", [], ["half"], value=tensor("", [4], [1, 1, 0.5, 0.5])),
            helper.make_node("Resize", ["up", "", "half"], ["back"]),                      # 4 x 0.25 = 1
            helper.make_node("Conv", ["back", "wg"], ["g"], group=2),                      # weight [8, 8/2, 3, 3]
            helper.make_node("SpaceToDepth", ["g"], ["packed"], blocksize=2),              # 1/4
            helper.make_node("Add", ["packed", "bias"], ["shifted"]),                      # a constant input has no factor: keeps 1/4
            helper.make_node("Conv", ["bias", "w1x1"], ["unused"]),                        # does not depend on the image: not per pixel
            helper.make_node("Conv", ["shifted", "w1x1"], ["upscaled"]),
        ], [tensor("wt", [3, 8, 2, 2]), tensor("wg", [8, 4, 3, 3]), tensor("w1x1", [4, 32, 1, 1]), tensor("bias", [1, 32, 1, 1])])
        self.assertEqual(graph_flops.per_input_pixel(m), 2.0 * 3 * 8 * 2 * 2 + conv(8, 4) + conv(4, 32, k=1) / 4)

    def test_quantized_weights_count_like_float_ones(self):
        m = graph([
            helper.make_node("DequantizeLinear", ["wq", "ws"], ["w"], axis=0),
            helper.make_node("Conv", ["image", "w"], ["upscaled"]),
        ], [numpy_helper.from_array(np.zeros([6, 3, 3, 3], np.int8), "wq"), tensor("ws", [6])])
        self.assertEqual(graph_flops.per_input_pixel(m), conv(6, 3))

    def test_a_weight_that_is_a_graph_input_is_rejected(self):
        m = graph([helper.make_node("Conv", ["image", "w"], ["upscaled"])], [], inputs=("image", "w"))
        with self.assertRaisesRegex(graph_flops.GraphError, "'w' is not a constant"):
            graph_flops.per_input_pixel(m)

    def test_a_graph_without_an_image_input_is_rejected(self):
        m = graph([helper.make_node("Conv", ["x", "w"], ["y"])], [tensor("w", [1, 1, 1, 1])], inputs=("x",))
        with self.assertRaisesRegex(graph_flops.GraphError, "no input named 'image'"):
            graph_flops.per_input_pixel(m)

    def test_missing_empty_and_garbage_files_are_one_clear_error(self):
        with tempfile.TemporaryDirectory() as folder:
            files = [os.path.join(folder, "missing.onnx")]
            for name, data in [("empty.onnx", b""), ("text.onnx", b"just words, not a model")] + [
                    (f"garbage{seed}.onnx", np.random.default_rng(seed).bytes(1 + seed * 37)) for seed in range(20)]:
                files.append(os.path.join(folder, name))
                with open(files[-1], "wb") as f:
                    f.write(data)
            for path in files:
                with self.assertRaises(graph_flops.GraphError, msg=path) as caught:
                    graph_flops.per_input_pixel(path)
                self.assertIn(path, str(caught.exception))


if __name__ == "__main__":
    unittest.main()
