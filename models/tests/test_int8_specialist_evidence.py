"""Every int8 copy of a face or text model in the shipped manifest has its measurement:
models/eval/results/int8-<id>.json, written by models/eval/evaluate_quantized.py --task, names the
manifest's float32 file first and the manifest's int8 file (both by sha256), and shows the int8 file
losing at most 0.05 dB against float32 on Set5, Set14 and the model's own test (held-out aligned face
crops, or held-out text renders), with no rise of the OCR error at any text size.
A copy without that evidence must not be listed: CPUs with int8 dot products would run it unmeasured.
(general-x2/-x4's copies predate this file; their numbers are in the model card.)"""
import hashlib
import json
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
BAR_DB = -0.05
TASK_PSNR = {"face": ("clean_d0", "deg_d0", "deg_d1"), "text": ("render_psnr",)}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Int8SpecialistEvidence(unittest.TestCase):
    def test_every_specialist_int8_copy_was_measured_on_its_task_within_the_bar(self):
        with open(os.path.join(MODELS, "manifest.json")) as f:
            entries = [m for m in json.load(f)["models"] if "int8" in m and m.get("kind") in TASK_PSNR]
        for entry in entries:
            kind = entry["kind"]
            with self.subTest(entry["id"]):
                results_path = os.path.join(MODELS, "eval", "results", f"int8-{entry['id']}.json")
                self.assertTrue(os.path.exists(results_path), f"no {results_path}")
                with open(results_path) as f:
                    results = json.load(f)
                float32_sha = sha256(os.path.join(MODELS, entry["file"]))
                int8_sha = sha256(os.path.join(MODELS, entry["int8"]["file"]))
                self.assertEqual(int8_sha, entry["int8"]["sha256"])
                runs = list(results.values())
                self.assertEqual(runs[0]["sha256"], float32_sha, "the baseline is not the shipped float32 file")
                measured = [r for r in runs[1:] if r["sha256"] == int8_sha]
                self.assertEqual(len(measured), 1, "the shipped int8 file is not among the measured files")
                delta = measured[0]["delta_vs_first"]
                psnr = [delta["Set5"], delta["Set14"]] + [delta[kind][k] for k in TASK_PSNR[kind]]
                self.assertGreaterEqual(min(psnr), BAR_DB, f"loses {min(psnr)} dB")
                if kind == "text":
                    cer = delta["text"]["ocr_cer"]
                    self.assertEqual(len(cer), 3, "the card's three OCR sizes")
                    self.assertLessEqual(max(cer.values()), 0.0, f"OCR error rises: {cer}")


if __name__ == "__main__":
    unittest.main()
