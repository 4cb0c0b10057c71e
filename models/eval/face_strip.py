"""Before/after strip of face restoration at 100 %, made by the real command line.

    /usr/bin/python3 models/eval/face_strip.py [--cli .../upscaler.dll] [--out models/cards/face-restoration.png]
        [--photos tests/FaceSet/astronaut.jpg:2,tests/FaceSet/astronaut.jpg:4,...]

Each photo (optionally shrunk by an integer factor with a box filter, so its face is small) is
upscaled x4 by the command line with --faces off and --faces auto; for each face the detector
finds (face_align.Detector, the engine's rules), the strip shows at 100 % of the output: the input
(nearest neighbour x4) | faces off (general model alone) | faces auto (restored and pasted back).
Only freely licensed photos belong in a committed strip (tests/FaceSet/README.md).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import face_align  # noqa: E402

DEFAULT = "tests/FaceSet/astronaut.jpg:2,tests/FaceSet/astronaut.jpg:4,tests/FaceSet/camera.png:1"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler.dll"))
    p.add_argument("--models", default=os.path.join(ROOT, "models"))
    p.add_argument("--photos", default=DEFAULT)
    p.add_argument("--out", default=os.path.join(ROOT, "models", "cards", "face-restoration.png"))
    p.add_argument("--tile", type=int, default=200, help="side of each strip cell in output px (crop at 100 %)")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="face-strip-")
    det = face_align.Detector()
    rows = []
    for spec in a.photos.split(","):
        path, shrink = spec.split(":") if ":" in spec else (spec, "1")
        im = Image.open(os.path.join(ROOT, path)).convert("RGB")
        k = int(shrink)
        if k > 1:
            im = im.reduce(k)
        src = os.path.join(work, f"in{len(rows)}.png")
        im.save(src)
        outs = {}
        for mode in ("off", "auto"):
            dst = os.path.join(work, f"out{len(rows)}-{mode}.png")
            done = subprocess.run(["dotnet", a.cli, src, "-o", dst, "--scale", "4", "--denoise", "0", "--device", "cpu",
                                   "--faces", mode, "--overwrite"], env=dict(os.environ, UPSCALER_MODELS_DIR=a.models),
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            outs[mode] = Image.open(dst).convert("RGB")
        nearest = im.resize((im.size[0] * 4, im.size[1] * 4), Image.NEAREST)
        for f in det.detect(np.asarray(im)):
            cx, cy = (f.box[0] + f.box[2]) * 2, (f.box[1] + f.box[3]) * 2
            half = a.tile // 2
            box = (int(cx) - half, int(cy) - half, int(cx) - half + a.tile, int(cy) - half + a.tile)
            cells = [np.asarray(x.crop(box)) for x in (nearest, outs["off"], outs["auto"])]
            rows.append(np.concatenate([np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in cells], 1))
    strip = np.concatenate(rows, 0)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    Image.fromarray(strip).save(a.out, optimize=True)
    print(a.out, strip.shape)


if __name__ == "__main__":
    main()
