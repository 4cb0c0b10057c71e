"""Every int8Avx2 copy in the shipped manifest has its measurement: models/eval/results/avx2-int8-<id>.json,
written by models/eval/evaluate_avx2_int8.py with ONNX Runtime's AVX2 kernels (qemu -cpu Haswell), shows
that file losing at most 0.05 dB against float32 on Set5, Set14 and every validation setting (a face
model also on its card's held-out aligned face crops, --task face), and the kernel check proved the
emulated run took the saturating kernels (or that the copy cannot saturate).
A copy without that evidence must not be listed: processors without VNNI would run it unmeasured."""
import hashlib
import json
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")
BAR_DB = -0.05


class Int8Avx2Evidence(unittest.TestCase):
    def test_every_int8avx2_copy_was_measured_with_the_avx2_kernels_within_the_bar(self):
        with open(os.path.join(MODELS, "manifest.json")) as f:
            entries = [m for m in json.load(f)["models"] if "int8Avx2" in m]
        self.assertTrue(entries, "no int8Avx2 copies listed (general-x4 has one)")
        for entry in entries:
            results_path = os.path.join(MODELS, "eval", "results", f"avx2-int8-{entry['id']}.json")
            self.assertTrue(os.path.exists(results_path), f"{entry['id']}: no {results_path}")
            with open(results_path) as f:
                results = json.load(f)
            copy = os.path.join(MODELS, entry["int8Avx2"]["file"])
            with open(copy, "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
            self.assertEqual(sha, entry["int8Avx2"]["sha256"], copy)
            # The measured file: the results name it by path; match it by its name and content.
            measured = [k for k, v in results.items() if isinstance(v, dict) and "kernel_check" in v
                        and os.path.basename(k) == os.path.basename(copy) and os.path.exists(os.path.join(ROOT, k))
                        and hashlib.sha256(open(os.path.join(ROOT, k), "rb").read()).hexdigest() == sha]
            self.assertEqual(len(measured), 1, f"{entry['id']}: {os.path.basename(copy)} is not among the measured files")
            run = results[measured[0]]
            check = run["kernel_check"]
            self.assertLessEqual(check["max_diff_native_vs_sse"], 1e-5, "the native run was not the exact kernels")
            avx2 = run["emulated AVX2 (Haswell)"]
            self.assertTrue(check["max_diff_native_vs_avx2"] > 0 or avx2.get("same_as_native"),
                            "the emulated run did not take the saturating kernels")
            deltas = [avx2["delta_vs_float32"]["Set5"], avx2["delta_vs_float32"]["Set14"]]
            deltas += list(avx2["delta_vs_float32"]["validation"].values())
            self.assertEqual(len(deltas), 10, "Set5, Set14 and the eight validation settings")
            if entry.get("kind") == "face":
                faces = avx2["delta_vs_float32"].get("face_crops", {})
                self.assertEqual(sorted(faces), ["clean_d0", "deg_d0", "deg_d1"], f"{entry['id']}: no aligned face crop numbers")
                deltas += list(faces.values())
            self.assertGreaterEqual(min(deltas), BAR_DB, f"{entry['id']}: loses {min(deltas)} dB with the AVX2 kernels")


if __name__ == "__main__":
    unittest.main()
