"""The fp16 copies that DirectML runs (models/*/*.fp16.onnx), executed and compared with fp32.

ONNX Runtime's CPU provider has no fp16 Conv on x64, so the project's numpy interpreter
(models/eval/onnx_numpy.py) runs both copies; it keeps fp16 activations between nodes, so an
activation that overflows fp16 shows up as Inf. Every shipped model with an fp16 copy must
stay within export.py's FP16_TOLERANCE of its fp32 copy, and finite everywhere, on noise, a
photo, flat white and a checkerboard, at denoise 0 and 1.
"""
import json
import os
import sys
import unittest

import numpy as np
import onnx
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
sys.path.insert(0, os.path.join(MODELS, "eval"))
sys.path.insert(0, os.path.join(MODELS, "training"))
import onnx_numpy  # noqa: E402
import export      # noqa: E402


def inputs(fixture):
    photo = np.asarray(Image.open(os.path.join(ROOT, "samples", "coffee.png")).convert("RGB"), dtype=np.float32) / 255
    crop = photo[90:138, 120:168].transpose(2, 0, 1)[None].copy()
    checker = (np.indices((32, 32)).sum(0) % 2).astype(np.float32)[None, None].repeat(3, 1)
    return [("noise", fixture, 0.37), ("photo", crop, 0.0), ("photo", crop, 1.0),
            ("white", np.ones((1, 3, 32, 32), np.float32), 1.0), ("checkerboard", checker, 0.0)]


class Fp16Models(unittest.TestCase):
    def test_every_fp16_copy_is_finite_and_within_the_bound_of_fp32(self):
        with open(os.path.join(MODELS, "manifest.json")) as f:
            entries = [m for m in json.load(f)["models"] if "fp16" in m]
        self.assertTrue(entries, "the manifest lists no fp16 copies")
        for entry in entries:
            m32 = onnx.load(os.path.join(MODELS, entry["file"]))
            m16 = onnx.load(os.path.join(MODELS, entry["fp16"]["file"]))
            with open(os.path.join(MODELS, "reference", entry["id"] + ".json")) as f:
                ref = json.load(f)
            fixture = np.fromfile(os.path.join(MODELS, "reference", ref["input"]), "<f4").reshape(ref["inputShape"])
            worst, peak = 0.0, 0.0
            for name, image, denoise in inputs(fixture):
                with self.subTest(model=entry["id"], input=name, denoise=denoise):
                    feeds = {entry["input"]["name"]: image}
                    if "denoise" in entry:
                        feeds[entry["denoise"]["input"]] = np.array([denoise], np.float32)
                    overflowed = []

                    def observe(tensor, value):
                        nonlocal peak
                        if value is not None and value.dtype == np.float16:
                            if not np.isfinite(value).all():
                                overflowed.append(tensor)
                            else:
                                peak = max(peak, float(np.abs(value).max()))

                    y16 = onnx_numpy.run(m16, feeds, observe)[entry["output"]["name"]]
                    y32 = onnx_numpy.run(m32, feeds)[entry["output"]["name"]]
                    self.assertEqual(overflowed, [], "fp16 tensors holding Inf or NaN")
                    worst = max(worst, export.check_fp16(y16, y32))
            print(f"{entry['id']}: fp16 vs fp32 max |diff| {worst:.5f} (bound {export.FP16_TOLERANCE:.5f}), "
                  f"largest fp16 activation {peak:.1f} (fp16 max 65504)", file=sys.stderr)


class ExportChecksFp16(unittest.TestCase):
    """export.py refuses an fp16 copy that is off or overflows, instead of only printing its error."""

    def test_an_fp16_error_over_the_bound_fails_the_export(self):
        y = np.full((1, 3, 4, 4), 0.5, np.float32)
        with self.assertRaisesRegex(ValueError, "over the bound"):
            export.check_fp16(y + 3 / 255, y)

    def test_an_overflow_fails_the_export(self):
        y = np.full((1, 3, 4, 4), 0.5, np.float32)
        bad = y.copy()
        bad[0, 0, 0, 0] = np.inf
        with self.assertRaisesRegex(ValueError, "Inf or NaN"):
            export.check_fp16(bad, y)

    def test_a_close_copy_passes_and_reports_its_error(self):
        y = np.full((1, 3, 4, 4), 0.5, np.float32)
        self.assertAlmostEqual(export.check_fp16(y + 1 / 255, y), 1 / 255, places=6)


if __name__ == "__main__":
    unittest.main()
