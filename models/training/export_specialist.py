"""Export a specialist checkpoint (face / text) exactly like export.py does for the
general models, but WITHOUT touching models/manifest.json: the manifest entry is
merged into models/training/work/specialist-entries.json instead (the general
models' owner merges the manifest).

    /usr/bin/python3 models/training/export_specialist.py --id face-x4 --kind face \
        --ckpt models/training/work/spec/face-x4/final.pt --description "..."

Writes models/<kind>/<id>.onnx + .fp16.onnx and models/reference/<id>.{json,input.f32,
output.f32}; runs the same checks as export.py (onnx checker, contract, numpy
execution of both files vs PyTorch, receptive field, tiling).
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export as ex  # noqa: E402  (functions only; its main() would edit the manifest)
from model import CompactSR  # noqa: E402

ENTRIES = os.path.join(HERE, "work", "specialist-entries.json")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--id", required=True)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--kind", required=True, choices=["face", "text"])
    p.add_argument("--description", required=True)
    a = p.parse_args()
    torch.set_num_threads(1)

    ck = torch.load(a.ckpt, map_location="cpu")
    model = CompactSR(**ck["cfg"]).eval()
    model.load_state_dict(ck["model"])
    s = model.scale
    out_dir = os.path.join(ex.MODELS, a.kind)
    os.makedirs(out_dir, exist_ok=True)
    f32 = os.path.join(out_dir, f"{a.id}.onnx")
    f16 = os.path.join(out_dir, f"{a.id}.fp16.onnx")
    m32 = ex.export_fp32(model, f32)
    onnx.save(ex.to_fp16(m32), f16)
    m32, m16 = ex.check_contract(f32, s), ex.check_contract(f16, s)
    rf = ex.measure_receptive_field(model)
    assert rf <= model.receptive_field, (rf, model.receptive_field)
    with torch.no_grad():
        tile_err = ex.tiles_match(model, model.receptive_field)
    assert tile_err < 1e-5, tile_err
    x, d, y = ex.write_fixture(model, a.id)
    y32 = ex.onnx_numpy.run(m32, {"image": x, "denoise": d})["upscaled"]
    y16 = ex.onnx_numpy.run(m16, {"image": x, "denoise": d})["upscaled"]
    assert y32.shape == y.shape == (1, 3, ex.FIXTURE_SHAPE[2] * s, ex.FIXTURE_SHAPE[3] * s)
    diff32, diff16 = float(np.abs(y32 - y).max()), float(np.abs(y16 - y).max())
    assert diff32 <= ex.TOLERANCE, diff32

    entry = {
        "id": a.id, "kind": a.kind, "scale": s,
        "file": f"{a.kind}/{a.id}.onnx", "sha256": ex.sha256(f32),
        "fp16": {"file": f"{a.kind}/{a.id}.fp16.onnx", "sha256": ex.sha256(f16)},
        "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
        "denoise": {"input": "denoise", "shape": [1]},
        "receptiveField": model.receptive_field,
        "features": model.widest_activation,
        "params": model.params(),
        "flopsPerPixel": model.flops_per_lr_pixel(),
        "description": a.description,
    }
    doc = {"formatVersion": 1, "models": []}
    if os.path.exists(ENTRIES):
        with open(ENTRIES) as f:
            doc = json.load(f)
    doc["models"] = sorted([m for m in doc["models"] if m["id"] != a.id] + [entry], key=lambda m: m["id"])
    with open(ENTRIES, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(json.dumps({"id": a.id, "ckpt": a.ckpt, "step": ck.get("step"), "val": ck.get("val"),
                      "bytes_fp32": os.path.getsize(f32), "bytes_fp16": os.path.getsize(f16),
                      "measured_rf": rf, "tile_max_err": tile_err,
                      "onnx_fp32_vs_torch_maxdiff": diff32, "onnx_fp16_vs_torch_maxdiff": diff16,
                      "sha256": entry["sha256"]}, indent=2))


if __name__ == "__main__":
    main()
