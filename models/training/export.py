"""Export a trained checkpoint to ONNX (fp32 + fp16), write its reference fixture and
its entry in models/manifest.json, following docs/model-contract.md.

    /usr/bin/python3 models/training/export.py --id general-x4 \
        --ckpt models/training/work/general-x4/final.pt

Checks done here (there is no onnxruntime for Python on the training machine):
  * onnx.checker (full, with strict shape/type inference) on both files;
  * graph input/output names, dtypes and shapes match the contract;
  * the ONNX files themselves are executed with a small numpy interpreter
    (models/eval/onnx_numpy.py) and compared with PyTorch;
  * the declared receptiveField is measured: an output pixel's gradient must not
    reach further than receptiveField LR pixels, and tiles padded by it must
    reproduce the whole-image output;
  * the manifest's flopsPerPixel (model.py's formula) must equal the FLOPs counted
    from both files' convolutions (graph_flops.py), so benchmarks and model lists
    that read it read the graph's figure.
"""
import argparse
import hashlib
import json
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
from model import build          # noqa: E402
import onnx_numpy                # noqa: E402
import graph_flops               # noqa: E402

OPSET = 17
FIXTURE_SHAPE = (1, 3, 24, 20)
FIXTURE_DENOISE = 0.37
FIXTURE_SEED = 0
TOLERANCE = 1e-4
# The fp16 copy (what DirectML runs) against the fp32 one, in the [0, 1] output range: at most 2 of
# 255 levels. Measured on the shipped models: at most 0.0016 on noise, photos, flat and checkerboard
# input at denoise 0 and 1 (models/tests/test_fp16_models.py runs them).
FP16_TOLERANCE = 2 / 255
MAX_BYTES = 10 * 1024 * 1024


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def export_fp32(model, path):
    image = torch.rand(1, 3, 24, 20)
    denoise = torch.tensor([FIXTURE_DENOISE])
    torch.onnx.export(
        model, (image, denoise), path, opset_version=OPSET,
        input_names=["image", "denoise"], output_names=["upscaled"],
        dynamic_axes={"image": {2: "height", 3: "width"},
                      "upscaled": {2: "out_height", 3: "out_width"}},
        do_constant_folding=True)
    m = onnx.load(path)
    del m.graph.value_info[:]           # drop torch's partial shape hints; checker re-infers
    m.doc_string = (f"{type(model).__name__} x{model.scale}: features {model.features}, blocks {model.blocks}, "
                    + (f"dilated blocks {list(model.dilations)}, " if hasattr(model, "dilations") else "")
                    + f"receptiveField {model.receptive_field}")
    onnx.save(m, path)
    return m


def check_flops(declared, *graphs):
    """The formula's FLOPs per LR pixel, checked against each graph's convolutions."""
    for g in graphs:
        counted = graph_flops.per_input_pixel(g)
        assert counted == declared, f"flopsPerPixel {declared} but the graph's convolutions count {counted}"
    return declared


def to_fp16(m32: onnx.ModelProto) -> onnx.ModelProto:
    """fp16 weights and fp16 compute, float32 graph inputs/outputs via Cast nodes."""
    m = onnx.ModelProto()
    m.CopyFrom(m32)
    g = m.graph
    # Resize's roi/scales must stay float32 by the operator spec.
    keep_fp32 = {n.input[i] for n in g.node if n.op_type == "Resize" for i in (1, 2) if i < len(n.input)}
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and init.name not in keep_fp32:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name))
    for node in g.node:
        for a in node.attribute:
            if node.op_type in ("Constant", "ConstantOfShape") and a.name == "value" \
                    and a.t.data_type == TensorProto.FLOAT and node.output[0] not in keep_fp32:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16)))
    # rename graph inputs/outputs inside the body and add the boundary casts
    rename = {i.name: i.name + "_fp16" for i in g.input}
    out_name = g.output[0].name
    for node in g.node:
        for k, name in enumerate(node.input):
            if name in rename:
                node.input[k] = rename[name]
        for k, name in enumerate(node.output):
            if name == out_name:
                node.output[k] = out_name + "_fp16"
    casts_in = [helper.make_node("Cast", [src], [dst], to=TensorProto.FLOAT16, name=f"cast_{src}_fp16")
                for src, dst in rename.items()]
    cast_out = helper.make_node("Cast", [out_name + "_fp16"], [out_name], to=TensorProto.FLOAT, name="cast_out_fp32")
    nodes = casts_in + list(g.node) + [cast_out]
    del g.node[:]
    g.node.extend(nodes)
    m.doc_string = m32.doc_string + "; float16 weights and compute, float32 inputs/outputs"
    return m


def check_contract(path, scale):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ins = {i.name: i for i in m.graph.input}
    outs = {o.name: o for o in m.graph.output}
    assert set(ins) == {"image", "denoise"}, ins.keys()
    assert set(outs) == {"upscaled"}, outs.keys()

    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    for vi in list(ins.values()) + list(outs.values()):
        assert vi.type.tensor_type.elem_type == TensorProto.FLOAT, vi.name
    assert dims(ins["image"]) == [1, 3, "height", "width"], dims(ins["image"])
    assert dims(ins["denoise"]) == [1], dims(ins["denoise"])
    od = dims(outs["upscaled"])
    assert od[:2] == [1, 3] and all(isinstance(d, str) for d in od[2:]), od
    assert os.path.getsize(path) < MAX_BYTES
    return m


def measure_receptive_field(model):
    """Largest LR distance any output pixel's gradient reaches (exact for this net)."""
    h = w = 2 * model.receptive_field + 9
    x = torch.rand(1, 3, h, w, requires_grad=True)
    s = model.scale
    y = model(x, torch.tensor([0.5]))
    c = h // 2
    y[0, :, c * s:(c + 1) * s, c * s:(c + 1) * s].sum().backward()
    nz = (x.grad[0].abs().sum(0) > 0).nonzero()
    return int((nz - c).abs().max())


def tiles_match(model, rf):
    """Upscale a 40x36 image whole and as 4 tiles padded by rf: must be identical."""
    torch.manual_seed(1)
    x = torch.rand(1, 3, 40, 36)
    d = torch.tensor([0.6])
    s = model.scale
    full = model(x, d)
    worst = 0.0
    for y0, y1 in ((0, 20), (20, 40)):
        for x0, x1 in ((0, 18), (18, 36)):
            py0, py1, px0, px1 = max(0, y0 - rf), min(40, y1 + rf), max(0, x0 - rf), min(36, x1 + rf)
            t = model(x[:, :, py0:py1, px0:px1], d)
            t = t[:, :, (y0 - py0) * s:(y1 - py0) * s, (x0 - px0) * s:(x1 - px0) * s]
            worst = max(worst, float((t - full[:, :, y0 * s:y1 * s, x0 * s:x1 * s]).abs().max()))
    return worst


def check_fp16(y16, reference):
    """The fp16 copy's error against the reference output; raises when it overflowed or is over the bound."""
    if not np.isfinite(y16).all():
        raise ValueError("the fp16 copy overflows: its output holds Inf or NaN")
    diff = float(np.abs(y16.astype(np.float32) - reference).max())
    if diff > FP16_TOLERANCE:
        raise ValueError(f"the fp16 copy differs from fp32 by {diff:.5f}, over the bound of {FP16_TOLERANCE:.5f}")
    return diff


def write_fixture(model, model_id, models_dir=MODELS):
    rng = np.random.default_rng(FIXTURE_SEED)
    x = rng.random(FIXTURE_SHAPE, dtype=np.float32)
    d = np.array([FIXTURE_DENOISE], dtype=np.float32)
    with torch.no_grad():
        y = model(torch.from_numpy(x), torch.from_numpy(d)).numpy().astype(np.float32)
    ref = os.path.join(models_dir, "reference")
    os.makedirs(ref, exist_ok=True)
    x.astype("<f4").tofile(os.path.join(ref, f"{model_id}.input.f32"))
    y.astype("<f4").tofile(os.path.join(ref, f"{model_id}.output.f32"))
    meta = {"model": model_id, "denoise": FIXTURE_DENOISE,
            "inputShape": list(x.shape), "input": f"{model_id}.input.f32",
            "outputShape": list(y.shape), "output": f"{model_id}.output.f32",
            "tolerance": TOLERANCE}
    with open(os.path.join(ref, f"{model_id}.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return x, d, y


def update_manifest(entry, models_dir=MODELS):
    path = os.path.join(models_dir, "manifest.json")
    manifest = {"formatVersion": 1, "models": []}
    if os.path.exists(path):
        with open(path) as f:
            manifest = json.load(f)
    models = [m for m in manifest["models"] if m["id"] != entry["id"]]
    models.append(entry)
    manifest["models"] = sorted(models, key=lambda m: m["id"])
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--id", required=True, help="e.g. general-x4")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--kind", default="general")
    p.add_argument("--description", default=None)
    a = p.parse_args()
    torch.set_num_threads(1)

    ck = torch.load(a.ckpt, map_location="cpu")
    model = build(ck["cfg"]).eval()
    model.load_state_dict(ck["model"])
    s = model.scale

    out_dir = os.path.join(MODELS, a.kind)
    os.makedirs(out_dir, exist_ok=True)
    f32 = os.path.join(out_dir, f"{a.id}.onnx")
    f16 = os.path.join(out_dir, f"{a.id}.fp16.onnx")
    m32 = export_fp32(model, f32)
    onnx.save(to_fp16(m32), f16)
    m32, m16 = check_contract(f32, s), check_contract(f16, s)

    flops = check_flops(model.flops_per_lr_pixel(), m32, m16)

    rf = measure_receptive_field(model)
    assert rf <= model.receptive_field, (rf, model.receptive_field)
    with torch.no_grad():
        tile_err = tiles_match(model, model.receptive_field)
    assert tile_err < 1e-5, tile_err

    x, d, y = write_fixture(model, a.id)
    y32 = onnx_numpy.run(m32, {"image": x, "denoise": d})["upscaled"]
    y16 = onnx_numpy.run(m16, {"image": x, "denoise": d})["upscaled"]
    assert y32.shape == y.shape == (1, 3, FIXTURE_SHAPE[2] * s, FIXTURE_SHAPE[3] * s)
    assert y32.dtype == np.float32 and y16.dtype == np.float32
    diff32 = float(np.abs(y32 - y).max())
    assert diff32 <= TOLERANCE, diff32
    diff16 = check_fp16(y16, y)

    desc = a.description or (f"General photos x{s}: compact net ({model.blocks + 2} 3x3 convs, "
                             f"{model.features} ch), denoise strength 0..1")
    entry = {
        "id": a.id, "kind": a.kind, "scale": s,
        "file": f"{a.kind}/{a.id}.onnx", "sha256": sha256(f32),
        "fp16": {"file": f"{a.kind}/{a.id}.fp16.onnx", "sha256": sha256(f16)},
        "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "denoise": {"input": "denoise", "shape": [1]},
        "receptiveField": model.receptive_field,
        "features": model.widest_activation,
        "params": model.params(),
        "flopsPerPixel": flops,
        "description": desc,
    }
    update_manifest(entry)
    print(json.dumps({
        "id": a.id, "ckpt": a.ckpt, "step": ck.get("step"), "val": ck.get("val"),
        "bytes_fp32": os.path.getsize(f32), "bytes_fp16": os.path.getsize(f16),
        "receptiveField": model.receptive_field, "measured_rf": rf, "tile_max_err": tile_err,
        "onnx_fp32_vs_torch_maxdiff": diff32, "onnx_fp16_vs_torch_maxdiff": diff16,
        "sha256": entry["sha256"], "sha256_fp16": entry["fp16"]["sha256"],
    }, indent=2))


if __name__ == "__main__":
    main()
