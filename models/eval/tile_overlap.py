"""Tile-vs-whole-image difference of a cross-faded (overlap) model at several overlaps, through the
product's command line: the measurement behind the `overlap` that scripts/fetch-open-models.sh
records for realesrgan-x4plus (models/README.md, "Tiling").

    dotnet build src/Upscaler.Cli -c Release
    /usr/bin/python3 models/eval/tile_overlap.py --model realesrgan-x4plus --overlaps 16,24,32,48,64

For each overlap a scratch catalog lists the model with that overlap (the ONNX file is linked, not
copied); the CLI upscales a crop of samples/coffee.png once whole (--tile 0) and once in small tiles
(--tile max(64, 2 x overlap), the smallest the engine allows is 2 x overlap), and the two 8-bit
results are compared: largest and 99.9th-percentile difference in 1/255, and the share of samples
that differ at all.
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
WORK = os.path.join(HERE, "work", "overlap")
CLI = os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler")


def catalog_with_overlap(model_id, overlap):
    """A models folder: our manifest, and an open/ catalog holding only the model with this overlap."""
    folder = os.path.join(WORK, f"{model_id}-ov{overlap}")
    os.makedirs(os.path.join(folder, "open"), exist_ok=True)
    with open(os.path.join(ROOT, "models", "manifest.json")) as f:
        ours = f.read()
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        f.write(ours)
    entry = next(e for e in json.load(open(os.path.join(ROOT, "models", "open", "manifest.json")))["models"] if e["id"] == model_id)
    entry.pop("receptiveField", None)
    entry["overlap"] = overlap
    json.dump({"formatVersion": 1, "models": [entry]}, open(os.path.join(folder, "open", "manifest.json"), "w"), indent=1)
    link = os.path.join(folder, "open", entry["file"])
    if not os.path.exists(link):
        os.symlink(os.path.join(ROOT, "models", "open", entry["file"]), link)
    return folder


def upscale(cli, folder, model_id, source, target, tile):
    env = {**os.environ, "UPSCALER_MODELS_DIR": folder, "UPSCALER_USER_MODELS_DIR": os.path.join(WORK, "no-user-models")}
    t0 = time.time()
    r = subprocess.run([cli, source, "-o", target, "--model", model_id, "--tile", str(tile), "--device", "cpu", "--overwrite"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{model_id} --tile {tile}: {r.stderr.strip()[-300:]}")
    return time.time() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="realesrgan-x4plus")
    p.add_argument("--overlaps", default="16,24,32,48,64")
    p.add_argument("--crop", default="60,40,192,128", help="x,y,w,h of samples/coffee.png")
    p.add_argument("--cli", default=CLI)
    p.add_argument("--out", default=os.path.join(HERE, "results", "tile-overlap.json"))
    a = p.parse_args()
    os.makedirs(WORK, exist_ok=True)
    x, y, w, h = (int(v) for v in a.crop.split(","))
    source = os.path.join(WORK, "crop.png")
    Image.open(os.path.join(ROOT, "samples", "coffee.png")).convert("RGB").crop((x, y, x + w, y + h)).save(source)

    rows = []
    for overlap in (int(v) for v in a.overlaps.split(",")):
        folder = catalog_with_overlap(a.model, overlap)
        tile = max(64, 2 * overlap)
        whole, tiled = os.path.join(folder, "whole.png"), os.path.join(folder, f"tile{tile}.png")
        t_whole = upscale(a.cli, folder, a.model, source, whole, 0)
        t_tiled = upscale(a.cli, folder, a.model, source, tiled, tile)
        d = np.abs(np.asarray(Image.open(whole), np.int16) - np.asarray(Image.open(tiled), np.int16))
        row = {"overlap": overlap, "tile": tile, "max": int(d.max()), "p99.9": float(np.percentile(d, 99.9)),
               "differing": round(float((d > 0).mean()), 4), "over2": round(float((d > 2).mean()), 5),
               "seconds_whole": round(t_whole, 1), "seconds_tiled": round(t_tiled, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    # Rows of earlier runs on the same model and crop are kept (a new run of an overlap replaces its row).
    result = {"model": a.model, "crop": f"samples/coffee.png x={x} y={y} {w}x{h}", "rows": rows}
    if os.path.exists(a.out):
        old = json.load(open(a.out))
        if (old.get("model"), old.get("crop")) == (result["model"], result["crop"]):
            done = {r["overlap"] for r in rows}
            result["rows"] = sorted([r for r in old["rows"] if r["overlap"] not in done] + rows, key=lambda r: r["overlap"])
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    json.dump(result, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
