"""ContextSR (model.py): grown from a CompactSR it starts as that model, its declared receptive field is
the one measured, tiles padded by it reproduce the whole image, and its ONNX export runs the same in
the numpy interpreter and reads back (model.from_onnx) with its dilations."""
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "training"))
sys.path.insert(0, os.path.join(ROOT, "models", "eval"))
import export          # noqa: E402
import graph_flops     # noqa: E402
import onnx_numpy      # noqa: E402
from model import CompactSR, ContextSR, build, from_checkpoint, from_onnx   # noqa: E402


def trained_context(seed=0):
    """A ContextSR whose dilated blocks are not zero (as after training)."""
    torch.manual_seed(seed)
    m = ContextSR(2, 8, 2, (2, 3)).eval()
    with torch.no_grad():
        for p in m.context.parameters():
            p.normal_(0, 0.1)
    return m


class ContextModel(unittest.TestCase):
    def test_grown_from_a_compact_model_it_computes_the_same(self):
        torch.manual_seed(1)
        small = CompactSR(2, 8, 2).eval()
        big = ContextSR(2, 8, 2, (2, 3)).eval()
        missing = big.load_state_dict(small.state_dict(), strict=False).missing_keys
        self.assertTrue(missing and all(k.startswith("context.") for k in missing))
        x, d = torch.rand(1, 3, 20, 18), torch.tensor([0.3])
        with torch.no_grad():
            self.assertEqual(float((big(x, d) - small(x, d)).abs().max()), 0.0)

    def test_the_declared_receptive_field_is_the_measured_one_and_tiles_match(self):
        m = trained_context()
        self.assertEqual(m.receptive_field, 2 + 2 + 2 * (2 + 3))
        self.assertEqual(export.measure_receptive_field(m), m.receptive_field)
        with torch.no_grad():
            self.assertLess(export.tiles_match(m, m.receptive_field), 1e-5)

    def test_onnx_export_runs_alike_and_reads_back(self):
        m = trained_context()
        with tempfile.TemporaryDirectory() as tmp:
            m32 = export.export_fp32(m, os.path.join(tmp, "context.onnx"))
        x = np.random.default_rng(0).random((1, 3, 12, 10), dtype=np.float32)
        d = np.array([0.4], np.float32)
        with torch.no_grad():
            expected = m(torch.from_numpy(x), torch.from_numpy(d)).numpy()
        self.assertLess(float(np.abs(onnx_numpy.run(m32, {"image": x, "denoise": d})["upscaled"] - expected).max()), 1e-5)
        self.assertEqual(graph_flops.per_input_pixel(m32), m.flops_per_lr_pixel())
        back = from_onnx(m32)
        self.assertIsInstance(back, ContextSR)
        self.assertEqual(back.dilations, (2, 3))
        with torch.no_grad():
            self.assertLess(float((back(torch.from_numpy(x), torch.from_numpy(d)) - torch.from_numpy(expected)).abs().max()), 1e-6)

    def test_build_picks_the_network_from_the_checkpoint_config(self):
        self.assertIsInstance(build({"scale": 2, "features": 8, "blocks": 2}), CompactSR)
        self.assertNotIsInstance(build({"scale": 2, "features": 8, "blocks": 2}), ContextSR)
        self.assertEqual(build({"scale": 2, "features": 8, "blocks": 2, "dilations": [2, 4]}).dilations, (2, 4))

    def test_a_training_checkpoint_reads_back_as_its_network(self):
        m = trained_context()
        x, d = torch.rand(1, 3, 12, 10), torch.tensor([0.4])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "final.pt")
            torch.save({"model": m.state_dict(), "cfg": {"scale": 2, "features": 8, "blocks": 2, "dilations": [2, 3]}}, path)
            back = from_checkpoint(path)
        self.assertIsInstance(back, ContextSR)
        self.assertFalse(back.training)
        with torch.no_grad():
            self.assertEqual(float((back(x, d) - m(x, d)).abs().max()), 0.0)


if __name__ == "__main__":
    unittest.main()
