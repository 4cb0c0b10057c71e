"""CompactSR -> ONNX without torch.onnx: the graph is written node by node with onnx.helper.

Why not torch.onnx.export: the kit exports on the GPU machine (torch 2.11, whose exporter
defaults have moved to the dynamo path and rename initializers) and here (torch 1.13).
Writing the graph ourselves gives the same bytes from the same weights on both, keeps the
initializer names `body.K.weight` / `body.K.bias` that model.from_onnx and quantize.py read,
and uses only the ops models/eval/onnx_numpy.py executes. The structure is the one
torch 1.13 exported for the shipped models (export.py):

    denoise [1] -> Reshape [1,1,1,1] -> Mul(ones like image[:, :1]) -> d-plane
    Concat(image, d-plane) -> (Conv, LeakyRelu) x (blocks + 1) -> Conv -> DepthToSpace(CRD)
    + Resize(image, nearest, asymmetric, floor, x scale)  -> upscaled
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8          # what onnx 1.12 (this machine) and every ONNX Runtime we ship with read


def _const(name, array):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.asarray(array), name + "_value"))


def build(state_dict, scale, slope=0.1, doc=""):
    """A ModelProto from a CompactSR state dict (tensors or arrays, any float dtype; stored fp32)."""
    arrays = {k: np.ascontiguousarray(np.asarray(v.detach().float().cpu().numpy() if hasattr(v, "detach") else v,
                                                 dtype=np.float32))
              for k, v in state_dict.items()}
    convs = sorted({int(k.split(".")[1]) for k in arrays if k.startswith("body.")})
    nodes = [
        _const("d_shape", np.array([-1, 1, 1, 1], np.int64)),
        helper.make_node("Reshape", ["denoise", "d_shape"], ["d4"], name="reshape_denoise"),
        _const("slice_starts", np.array([0], np.int64)),
        _const("slice_ends", np.array([1], np.int64)),
        _const("slice_axes", np.array([1], np.int64)),
        _const("slice_steps", np.array([1], np.int64)),
        helper.make_node("Slice", ["image", "slice_starts", "slice_ends", "slice_axes", "slice_steps"],
                         ["first_channel"], name="first_channel"),
        helper.make_node("Shape", ["first_channel"], ["plane_shape"], name="plane_shape"),
        helper.make_node("ConstantOfShape", ["plane_shape"], ["ones"], name="ones",
                         value=numpy_helper.from_array(np.array([1.0], np.float32))),
        helper.make_node("Mul", ["d4", "ones"], ["d_plane"], name="d_plane"),
        helper.make_node("Concat", ["image", "d_plane"], ["x0"], name="concat", axis=1),
    ]
    x = "x0"
    for i, k in enumerate(convs):
        y = f"conv{k}"
        nodes.append(helper.make_node("Conv", [x, f"body.{k}.weight", f"body.{k}.bias"], [y], name=f"body.{k}",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1],
                                      dilations=[1, 1], group=1))
        x = y
        if i < len(convs) - 1:
            a = f"act{k + 1}"
            nodes.append(helper.make_node("LeakyRelu", [x], [a], name=f"body.{k + 1}", alpha=slope))
            x = a
    nodes += [
        helper.make_node("DepthToSpace", [x], ["shuffled"], name="shuffle", blocksize=scale, mode="CRD"),
        _const("resize_scales", np.array([1, 1, scale, scale], np.float32)),
        helper.make_node("Resize", ["image", "", "resize_scales"], ["nearest"], name="nearest",
                         mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Add", ["shuffled", "nearest"], ["upscaled"], name="residual"),
    ]
    inits = [numpy_helper.from_array(arrays[f"body.{k}.{p}"], f"body.{k}.{p}") for k in convs for p in ("weight", "bias")]
    graph = helper.make_graph(
        nodes, "CompactSR",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "height", "width"]),
         helper.make_tensor_value_info("denoise", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, [1, 3, "out_height", "out_width"])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="upscaler-gpu-kit", doc_string=doc)
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m


def save(model, path):
    """model: a CompactSR (torch module). Writes the fp32 ONNX file and returns the ModelProto."""
    m = build(model.state_dict(), model.scale,
              doc=f"CompactSR x{model.scale}: features {model.features}, blocks {model.blocks}, "
                  f"receptiveField {model.receptive_field}")
    onnx.save(m, path)
    return m
