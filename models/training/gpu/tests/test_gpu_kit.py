"""Tests of the GPU training kit, run on the CPU (scripts/test.sh runs them with a Python that has
torch, e.g. Debian's /usr/bin/python3):

  * the parts against references: torch JPEG vs PIL's libjpeg, device MATLAB resize vs imresize,
    the hand-written ONNX graph vs PyTorch, the ncnn reader vs a model written here, the face jobs'
    aligned crops (real faces, real detector) vs face_crops.canonical_pair, the batched
    degradations' invariants;
  * end to end: `run.sh --smoke` (every job, sharp included) -> each returned ONNX file upscales a
    real image through the engine's command line (UPSCALER_MODELS_DIR) and matches PyTorch ->
    import.py decides on a copy of models/ that no smoke model beats the shipped ones and leaves
    the manifest byte for byte as it was -> against a shipped model replaced by a broken one,
    import.py ships the new one (fp32, fp16, fixture, manifest entry, card) and the engine runs it.
"""
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.dirname(HERE)
TRAINING = os.path.dirname(KIT)
MODELS = os.path.dirname(TRAINING)
ROOT = os.path.dirname(MODELS)
for p in (KIT, TRAINING, os.path.join(MODELS, "eval")):
    sys.path.insert(0, p)
import banks                    # noqa: E402
import compact_onnx             # noqa: E402
import datasets                 # noqa: E402
import degrade                  # noqa: E402
import face_align               # noqa: E402
import ncnn_teacher             # noqa: E402
import onnx_numpy               # noqa: E402
import torch_jpeg               # noqa: E402
from imresize import imresize   # noqa: E402
from model import CompactSR, from_onnx   # noqa: E402

CLI = os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler.dll")
SAMPLE = os.path.join(ROOT, "samples", "coffee.png")
import bundle                   # noqa: E402
TEACHER = os.path.join(bundle.TEACHER_DIR, bundle.TEACHER)
torch.set_num_threads(1)


def sample(h=128, w=128):
    with Image.open(SAMPLE) as im:
        return np.ascontiguousarray(np.asarray(im.convert("RGB"))[:h, :w])


def psnr(a, b):
    return 10 * np.log10(1 / np.mean((np.asarray(a, np.float64) - b) ** 2))


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def image_size(path):
    with Image.open(path) as im:
        return im.size


class TorchJpegTest(unittest.TestCase):
    def test_matches_pil(self):
        img = sample(120, 136)                       # not a multiple of 16: edge replication
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
        for q in (45, 75, 95):
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="JPEG", quality=q)
            with Image.open(buf) as im:
                ref = np.asarray(im.convert("RGB"), np.float64) / 255
            ours = torch_jpeg.jpeg(x, torch.from_numpy(torch_jpeg.quant_tables([q])))[0].permute(1, 2, 0).numpy()
            self.assertGreater(psnr(ours, ref), 40, f"quality {q}: ours vs libjpeg")
            self.assertLess(abs(psnr(ours, img / 255) - psnr(ref, img / 255)), 0.3, f"quality {q}: loss differs")

    def test_quality_tables(self):
        t = torch_jpeg.quant_tables([50, 100, 10])
        np.testing.assert_array_equal(t[0, 0], torch_jpeg.LUMA)          # quality 50 = the base table
        self.assertTrue((t[1] == 1).all())                                # quality 100: all ones
        self.assertEqual(t[2, 0, 0, 0], min(255, (16 * 500 + 50) // 100))


class MatlabResizeTest(unittest.TestCase):
    def test_equals_imresize(self):
        img = sample(96, 80)
        m = degrade.MatlabResize(torch.device("cpu"))
        for s in (2, 4):
            x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
            ours = torch.round(m(x, (96 // s, 80 // s))).clamp(0, 255).byte()[0].permute(1, 2, 0).numpy()
            np.testing.assert_array_equal(ours, imresize(img, 1 / s))


class CompactOnnxTest(unittest.TestCase):
    def test_graph_equals_pytorch(self):
        torch.manual_seed(0)
        for s in (2, 4):
            net = CompactSR(s, 16, 3).eval()
            for q in net.parameters():
                q.data.normal_(0, 0.1)
            m = compact_onnx.build(net.state_dict(), s)
            x = np.random.default_rng(s).random((1, 3, 13, 11), dtype=np.float32)
            d = np.array([0.3], np.float32)
            y = onnx_numpy.run(m, {"image": x, "denoise": d})["upscaled"]
            with torch.no_grad():
                ref = net(torch.from_numpy(x), torch.from_numpy(d)).numpy()
            self.assertEqual(y.shape, (1, 3, 13 * s, 11 * s))
            self.assertLess(np.abs(y - ref).max(), 1e-5)
            back = from_onnx(m)                        # names and shapes survive the round trip
            self.assertEqual((back.features, back.blocks, back.scale), (16, 3, s))


class NcnnReaderTest(unittest.TestCase):
    def _write(self, folder, w1, b1, slope, w2, b2):
        """A 2-conv SRVGGNetCompact-like ncnn model: conv (fp16) -> PReLU -> conv (fp32) ->
        PixelShuffle(2) + nearest x2 of the input."""
        param = "\n".join([
            "7767517", "8 9",
            "Input in 0 1 data",
            "Split sp 1 2 data d0 d1",
            f"Convolution c1 1 1 d1 a 0=4 1=3 4=1 5=1 6={w1.size}",
            "PReLU p1 1 1 a b 0=4",
            f"Convolution c2 1 1 b c 0=12 1=3 4=1 5=1 6={w2.size}",
            "PixelShuffle ps 1 1 c e 0=2",
            "Interp up 1 1 d0 f 0=1 1=2.000000e+00 2=2.000000e+00",
            "BinaryOp add 2 1 e f out 0=0"]) + "\n"
        half = w1.astype("<f2").tobytes()
        blob = (struct.pack("<I", 0x01306B47) + half + b"\0" * ((-len(half)) % 4) + b1.astype("<f4").tobytes()
                + slope.astype("<f4").tobytes() + struct.pack("<I", 0) + w2.astype("<f4").tobytes()
                + b2.astype("<f4").tobytes())
        with open(os.path.join(folder, "m.param"), "w") as f:
            f.write(param)
        with open(os.path.join(folder, "m.bin"), "wb") as f:
            f.write(blob)

    def test_reads_what_it_runs(self):
        rng = np.random.default_rng(0)
        w1 = rng.normal(0, 0.2, (4, 3, 3, 3)).astype(np.float16).astype(np.float32)
        b1, slope = rng.normal(0, 0.1, 4).astype(np.float32), rng.uniform(0, 0.3, 4).astype(np.float32)
        w2, b2 = rng.normal(0, 0.2, (12, 4, 3, 3)).astype(np.float32), rng.normal(0, 0.1, 12).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            self._write(tmp, w1, b1, slope, w2, b2)
            net = ncnn_teacher.load_teacher(os.path.join(tmp, "m.param"), os.path.join(tmp, "m.bin"), torch.device("cpu"))
            with open(os.path.join(tmp, "m.bin"), "ab") as f:
                f.write(b"\0\0\0\0")
            with self.assertRaises(ValueError):                         # a .bin that does not match
                ncnn_teacher.NcnnNet(os.path.join(tmp, "m.param"), os.path.join(tmp, "m.bin"))
        x = torch.rand(1, 3, 9, 7)
        F = torch.nn.functional
        ref = F.conv2d(x, torch.from_numpy(w1), torch.from_numpy(b1), padding=1)
        ref = F.prelu(ref, torch.from_numpy(slope))
        ref = F.pixel_shuffle(F.conv2d(ref, torch.from_numpy(w2), torch.from_numpy(b2), padding=1), 2)
        ref = ref + F.interpolate(x, scale_factor=2, mode="nearest")
        with torch.no_grad():
            self.assertLess(float((net(x) - ref).abs().max()), 1e-5)

    @unittest.skipUnless(os.path.exists(TEACHER + ".bin"), "upscayl's realesrgan-x4fast is not in .cache/upscayl-ncnn (scripts/fetch-upscayl-ncnn.sh)")
    def test_real_teacher_upscales(self):
        net = ncnn_teacher.load_teacher(TEACHER + ".param", TEACHER + ".bin", torch.device("cpu"))
        hr = sample(64, 64)
        lr = imresize(hr, 0.25)
        with torch.no_grad():
            y = net(torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255)[0].clamp(0, 1).permute(1, 2, 0).numpy()
        self.assertEqual(y.shape, (64, 64, 3))
        self.assertGreater(psnr(y, hr / 255), 20)       # a wrong weight order gives noise (< 12 dB)

    @unittest.skipUnless(os.path.exists(os.path.join(bundle.TEACHER_DIR, "realesrgan-x4plus.bin")),
                         "upscayl's realesrgan-x4plus is not in .cache/upscayl-ncnn (scripts/fetch-upscayl-ncnn.sh)")
    def test_rrdbnet_reads_too(self):
        base = os.path.join(bundle.TEACHER_DIR, "realesrgan-x4plus")
        net = ncnn_teacher.load_teacher(base + ".param", base + ".bin", torch.device("cpu"))
        hr = sample(64, 64)
        with torch.no_grad():
            y = net(torch.from_numpy(imresize(hr, 0.25)).permute(2, 0, 1)[None].float() / 255)
        self.assertEqual(tuple(y.shape), (1, 3, 64, 64))
        self.assertGreater(psnr(y[0].clamp(0, 1).permute(1, 2, 0).numpy(), hr / 255), 20)


@unittest.skipUnless(os.path.isdir(datasets.path("faces", "train")), "the shared face set is not on this machine")
class AlignedFacesTest(unittest.TestCase):
    """The face jobs' data, with real faces and the real detector: a bundle's stored faces and
    transforms reproduce the detector's crops, the device cuts exactly the engine's crops from them
    (face_crops.canonical_pair), and the sampled HR and LR patches are aligned."""

    @classmethod
    def setUpClass(cls):
        import bundle as bundle_mod
        import faces
        cls.tmp = tempfile.mkdtemp(prefix="gpukit-faces-")
        files = faces.list_faces("train")[:3]
        # and a turned face (a real one rotated by 30 degrees): its crop is resampled, not shifted
        with Image.open(files[0]) as im:
            im.convert("RGB").rotate(30, resample=Image.BICUBIC).save(os.path.join(cls.tmp, "turned__face.png"))
        files.append(os.path.join(cls.tmp, "turned__face.png"))
        cls.b = os.path.join(cls.tmp, "bundle")
        for sub in bundle_mod.FACE_FOLDER.values():
            os.makedirs(os.path.join(cls.b, sub))
        cls.det = face_align.Detector()
        train, _ = bundle_mod.write_faces(cls.b, "train", files, cls.det)
        bundle_mod.save_aligned(cls.b, train, [])
        with open(os.path.join(cls.b, "manifest.json"), "w") as f:
            json.dump({"version": bundle_mod.VERSION}, f)
        cls.bundle = bundle_mod.Bundle(cls.b)
        import data
        photos = [np.asarray(Image.open(f).convert("RGB"))[:384, :384] for f in data.list_images("train")[:40]]
        cls.photos = np.stack([p for p in photos if p.shape[:2] == (384, 384)][:3])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _items(self, s):
        items = self.bundle.aligned("train", s)
        self.assertTrue(any(t.b != 0 for _, _, t in items), "no turned face among the crops")
        self.assertTrue(any(t.b == 0 for _, _, t in items), "no upright face among the crops")
        return items

    def test_stored_crops_are_the_detectors(self):
        import face_crops
        for s in (4, 2):
            for name, hr, t in self._items(s):
                again = face_crops.detect_aligned(self.det, hr, s)
                self.assertEqual(vars(again), vars(t), name)

    def test_device_cut_equals_the_engines_crop(self):
        import face_crops
        import plan
        dev = torch.device("cpu")
        rng = np.random.default_rng(0)
        for s in (4, 2):
            items = self._items(s)
            faces = banks.AlignedFaces(items, s, dev)
            p = next(j.lr_patch for j in plan.JOBS if j.kind == "face" and j.scale == s)
            idx = np.repeat(np.arange(len(items)), 2)
            x0, y0 = faces.positions(idx, p, rng)
            lr, d, hr = faces.cut(idx, x0, y0, np.zeros(len(idx), bool), p, degrade.PhotoDegrader(s, dev, clean_share=1.0), rng)
            self.assertTrue((d == 0).all())
            for k, i in enumerate(idx):
                _, img, t = items[i]
                lr_c, hr_c = face_crops.canonical_pair(img, t, s)
                ref_lr = lr_c[:, y0[k]:y0[k] + p, x0[k]:x0[k] + p]
                ref_hr = hr_c[:, y0[k] * s:(y0[k] + p) * s, x0[k] * s:(x0[k] + p) * s]
                # the 8-bit clean LR: the device's float32 products round a rare near-tie the other
                # way than imresize's float64 (a few pixels of 12,288 by 1/255)
                err = (lr[k] - ref_lr).abs()
                self.assertLessEqual(float(err.max()), 1 / 255 + 1e-6, f"x{s} {items[i][0]}: LR")
                self.assertLess(float((err > 1e-4).float().mean()), 1e-3, f"x{s} {items[i][0]}: LR")
                self.assertLess(float((hr[k] - ref_hr).abs().max()), 1e-4, f"x{s} {items[i][0]}: HR")

    def test_sampled_patches_are_aligned(self):
        """For d = 0 the sampler's LR patch is the MATLAB-bicubic downscale of its HR patch wherever
        both come from inside the image (past the edge both repeat their edge pixels, as the engine's
        crop does): exactly for upright faces and the photo patches, up to the bilinear resampling for
        turned faces; one LR pixel of misalignment costs far more."""
        dev = torch.device("cpu")
        rng = np.random.default_rng(1)
        m = 3                                 # imresize's support reaches 2 LR px past a patch edge
        for s, p in ((4, 64), (2, 96)):
            items = self._items(s)
            deg = degrade.PhotoDegrader(s, dev, clean_share=1.0)
            photos = banks.PairSource(banks.DeviceBank(self.photos, dev), deg, s, p, 4)
            src = banks.AlignedFaceSource(banks.AlignedFaces(items, s, dev), deg, p, 20, photos)
            idx, x0, y0, flip = src.draw(rng)
            lr, d, hr = src.faces.cut(idx, x0, y0, flip, p, deg, rng)
            seen = set()
            for k, i in enumerate(idx):
                _, img, t = items[i]
                inv = t.inverse()
                cx, cy = np.meshgrid(x0[k] + np.arange(p) + 0.5, y0[k] + np.arange(p) + 0.5)
                ix, iy = inv.a * cx - inv.b * cy + inv.tx - 0.5, inv.b * cx + inv.a * cy + inv.ty - 0.5
                h, w = img.shape[0] // s, img.shape[1] // s
                inside = (ix >= m) & (ix <= w - 1 - m) & (iy >= m) & (iy <= h - 1 - m)
                inside = inside[:, ::-1] if flip[k] else inside
                inside[:m] = inside[-m:] = inside[:, :m] = inside[:, -m:] = False
                if inside.sum() < 100:
                    continue
                h8 = (hr[k] * 255).round().byte().permute(1, 2, 0).numpy()
                got = lr[k].permute(1, 2, 0).numpy()[inside]
                aligned = psnr(got, imresize(h8, 1 / s)[inside] / 255)
                shifted = psnr(got, imresize(np.roll(h8, s, axis=1), 1 / s)[inside] / 255)
                kind = "turned" if t.b != 0 else "upright"
                seen.add(kind)
                self.assertGreater(aligned, 30 if t.b != 0 else 60, f"x{s} {kind} sample {k}")
                self.assertGreater(aligned - shifted, 6, f"x{s} {kind} sample {k}: a 1 px shift barely matters")
            self.assertEqual(seen, {"upright", "turned"}, f"x{s}")
            lr, d, hr = src.next(rng)                   # the faces and then the photo patches
            self.assertEqual((tuple(lr.shape), tuple(hr.shape)), ((20, 3, p, p), (20, 3, p * s, p * s)))
            for k in range(16, 20):
                h8 = (hr[k] * 255).round().byte().permute(1, 2, 0).numpy()
                np.testing.assert_array_equal((lr[k] * 255).round().byte().permute(1, 2, 0).numpy(), imresize(h8, 1 / s))
            src.degrader = degrade.PhotoDegrader(s, dev)      # and degraded batches come out 8-bit in [0, 1]
            lr, d, hr = src.next(rng)
            self.assertTrue(((lr >= 0) & (lr <= 1)).all() and (d > 0).any())


class DegradeTest(unittest.TestCase):
    def test_photo_and_text_batches(self):
        dev = torch.device("cpu")
        hr = torch.from_numpy(np.stack([sample(64, 64), sample(128, 128)[64:, 64:]])).permute(0, 3, 1, 2).float() / 255
        hr = hr.repeat(4, 1, 1, 1)
        rng = np.random.default_rng(3)
        for deg in (degrade.PhotoDegrader(4, dev), degrade.TextDegrader(4, dev)):
            lr, d = deg(hr, rng)
            self.assertEqual(tuple(lr.shape), (8, 3, 16, 16))
            self.assertTrue(((lr >= 0) & (lr <= 1)).all())
            self.assertLess(float((lr * 255 - torch.round(lr * 255)).abs().max()), 1e-4)   # 8-bit values
            self.assertTrue(((d >= 0) & (d <= 1)).all())
        # clean pairs (d = 0) are exactly the MATLAB-bicubic downscale
        lr, d = degrade.PhotoDegrader(4, dev, clean_share=1.0)(hr, rng)
        self.assertTrue((d == 0).all())
        ref = np.stack([imresize(h, 0.25) for h in (hr * 255).round().byte().permute(0, 2, 3, 1).numpy()])
        np.testing.assert_array_equal((lr * 255).round().byte().permute(0, 2, 3, 1).numpy(), ref)


class ReusedTest(unittest.TestCase):
    """banks.Reused: each batch served `times` times in distinct orientations of its source's own,
    and a turned clean pair is still the MATLAB-bicubic pair of its turned HR."""

    def source(self, dihedral):
        bank = banks.DeviceBank(np.stack([sample(96, 96), sample(128, 128)[:96, :96]]), torch.device("cpu"))
        return banks.PairSource(bank, degrade.PhotoDegrader(4, torch.device("cpu"), clean_share=1.0), 4, 16, 3,
                                dihedral=dihedral)

    def test_batches_come_back_turned(self):
        rng = np.random.default_rng(5)
        for dihedral, times, served in ((True, 4, 4), (False, 4, 2), (True, 1, 1)):
            r = banks.Reused(self.source(dihedral), times)
            self.assertEqual(r.times, served)
            firsts = []
            for _ in range(3):
                batch = [r.next(rng) for _ in range(served)]
                lr0, d0, hr0 = batch[0]
                firsts.append(hr0)
                seen = []
                for lr, d, hr in batch:
                    torch.testing.assert_close(d, d0)
                    k = [k for k in range(r.turns) if torch.equal(banks.turn(hr0, k), hr)]
                    self.assertEqual(len(k), 1, "a served batch is one turn of the first")
                    torch.testing.assert_close(banks.turn(lr0, k[0]), lr)
                    seen.append(k[0])
                    ref = np.stack([imresize(h, 0.25) for h in (hr * 255).round().byte().permute(0, 2, 3, 1).numpy()])
                    np.testing.assert_array_equal((lr * 255).round().byte().permute(0, 2, 3, 1).numpy(), ref)
                self.assertEqual(seen[0], 0)
                self.assertEqual(len(set(seen)), served, "every serving in another orientation")
            self.assertFalse(torch.equal(firsts[0], firsts[1]), "a fresh batch after `times` servings")

    def test_sharp_batches_turn_both_parts_alike(self):
        src = banks.SharpSource(self.source(True), self.source(False))
        self.assertEqual(src.turns, 2)
        r = banks.Reused(src, 4)
        rng = np.random.default_rng(6)
        a, b = r.next(rng), r.next(rng)
        for part in ("photo", "text"):
            torch.testing.assert_close(banks.turn(a[part][2], 1), b[part][2])


class ResumeTest(unittest.TestCase):
    def test_checkpoint_round_trip_and_shipped_fallback(self):
        import jobs
        import plan
        import train_all
        spec = plan.smoke_jobs()[0]
        dev = torch.device("cpu")
        a = jobs.Job(spec, 8, 2, dev)
        with torch.no_grad():
            for q in a.ema.parameters():
                q.normal_(0, 0.1)
        with tempfile.TemporaryDirectory() as tmp:
            torch.save(a.checkpoint({"date": "d", "device": "cpu", "minutes": 1, "steps": 5, "init": "x"}),
                       os.path.join(tmp, spec.id + ".pt"))
            b = jobs.Job(spec, 8, 2, dev)
            self.assertTrue(train_all.resume(b, tmp))
            self.assertIn("resumed from", b.init_note)
            self.assertEqual(len(b.history), 1)
            for (k, x), y in zip(a.ema.state_dict().items(), b.model.state_dict().values()):
                self.assertLess(float((x - y).abs().max()), 1e-3, k)           # fp16 storage
            self.assertEqual(b.peak_lr, spec.lr * plan.RESUME_LR_FACTOR)
            c = jobs.Job(spec, 48, 10, dev)           # no checkpoint: the shipped general-x4 fits 48x10
            self.assertTrue(train_all.resume(c, os.path.join(tmp, "none")))
            self.assertIn("shipped", c.init_note)
            d = jobs.Job(spec, 8, 2, dev)             # neither: from scratch
            self.assertFalse(train_all.resume(d, os.path.join(tmp, "none")))

    def test_bigger_job_grows_from_the_shipped_model(self):
        import jobs
        import plan
        import train_all
        spec = plan.JOBS[0]                        # general-x4, fast tier
        c = jobs.Job(spec, 64, 11, torch.device("cpu"))
        self.assertTrue(train_all.resume(c, os.path.join(KIT, "no-such-folder")))
        self.assertIn("grown from the shipped general-x4.onnx (48x10 -> 64x11", c.init_note)
        sharp = next(j for j in plan.JOBS if j.kind == "sharp")
        self.assertIsNone(train_all.grow_source(sharp))     # starts from the quality job instead


class BundleValidationTest(unittest.TestCase):
    def test_flat_luma_images_are_left_out(self):
        """PSNR-Y of an image whose luma is flat is infinite for any output that keeps it flat: one
        held-out render was isoluminant text, and every mean over the renders came out infinite."""
        import bundle as bundle_mod
        with tempfile.TemporaryDirectory() as tmp:
            bundle_mod.build_tiny(tmp)
            kept = len(bundle_mod.Bundle(tmp).val("text"))
            iso = np.zeros((64, 64, 3), np.uint8)
            iso[...] = (200, 60, 90)
            iso[20:40, 10:50] = (255, 48, 0)        # another colour of the same luma
            from metrics import rgb_to_y
            self.assertEqual(np.ptp(rgb_to_y(iso)), 0, "the test image must be isoluminant")
            Image.fromarray(iso).save(os.path.join(tmp, "val", "text", "zz-isoluminant.png"))
            names = [n for n, _ in bundle_mod.Bundle(tmp).val("text")]
            self.assertEqual(len(names), kept)
            self.assertNotIn("zz-isoluminant.png", names)


class BundlePartsTest(unittest.TestCase):
    """build_bundle.py --jobs leaves out the parts its jobs do not need (faces, text, teacher); a job that
    needs one must stop at start-up with the command that builds a bundle for it, not train on photos."""

    def test_a_photo_only_bundle_serves_general_jobs_and_refuses_the_others(self):
        import plan
        import train_all
        with tempfile.TemporaryDirectory() as tmp:
            bundle.build_tiny(tmp)
            everything = bundle.Bundle(tmp)
            self.assertEqual(everything.parts, set(bundle.ALL_PARTS))     # no "parts" record: every part
            everything.require(plan.jobs(True))
            with open(os.path.join(tmp, "manifest.json")) as f:
                m = json.load(f)
            # what build_bundle.py --jobs general-x4-hq writes
            m = {"version": m["version"], "jobs": ["general-x4-hq"], "parts": [], "faces": None, "teacher": None,
                 "photos": {"crops": 3, "debian": {"crops": 1}}, "bytes": 1}
            with open(os.path.join(tmp, "manifest.json"), "w") as f:
                json.dump(m, f)
            photos_only = bundle.Bundle(tmp)
            photos_only.require(plan.jobs(False, ["general-x4-hq", "general-x2"]))
            for ids, lacking in ((["general-x4-hq", "face-x4"], "faces"), (["text-x2"], "text"),
                                 (["sharp-x4"], "teacher")):
                with self.assertRaises(ValueError) as raised:
                    photos_only.require(plan.jobs(False, ids))
                self.assertIn(lacking, str(raised.exception))
                self.assertIn("build_bundle.py --jobs " + ",".join(ids), str(raised.exception))
            info = train_all.bundle_info(photos_only)          # what summary.json records every snapshot
            self.assertEqual((info["photo_crops"], info["faces_train"], info["fonts"], info["parts"]), (3, None, None, []))
        self.assertEqual(bundle.parts_for({"general"}), set())
        self.assertEqual(bundle.parts_for({"general", "sharp"}), {"text", "teacher"})


class GrowTest(unittest.TestCase):
    """grow.py: a bigger network that starts as the shipped one (exact when only widening)."""

    @classmethod
    def setUpClass(cls):
        import onnx
        import model
        cls.small = model.from_onnx(onnx.load(os.path.join(MODELS, "general", "general-x4.onnx")))

    def test_widening_is_exact_and_new_channels_learn(self):
        import grow
        big = grow.grow(self.small, 64, 10)
        self.assertEqual(grow.change_db(self.small, big), float("inf"))
        x, d = torch.rand(1, 3, 20, 20), torch.tensor([0.3])
        torch.nn.functional.l1_loss(big(x, d), torch.rand(1, 3, 80, 80)).backward()
        last = big.body[-1].weight
        self.assertTrue(bool((last[:, 48:] == 0).all()))            # the new channels add nothing yet
        self.assertGreater(float(last.grad[:, 48:].abs().sum()), 0)  # ... but their outgoing weights learn

    def test_deepening_stays_close(self):
        import grow
        for blocks in (11, 24):
            big = grow.grow(self.small, 64, blocks)
            self.assertEqual((big.features, big.blocks, big.scale), (64, blocks, 4))
            self.assertGreater(grow.change_db(self.small, big), 30.0, blocks)
        with self.assertRaises(ValueError):
            grow.grow(self.small, 32, 10)


def _manifest_entry(path, model_id, kind, net):
    return {"id": model_id, "kind": kind, "scale": net.scale, "file": os.path.basename(path),
            "sha256": hashlib.sha256(read_bytes(path)).hexdigest(),
            "input": {"name": "image", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
            "output": {"name": "upscaled", "layout": "NCHW", "channels": 3, "range": [0.0, 1.0]},
            "denoise": {"input": "denoise", "shape": [1]},
            "receptiveField": net.receptive_field, "features": net.widest_activation}


def _engine_kinds():
    import importlib.util
    spec = importlib.util.spec_from_file_location("kit_import", os.path.join(KIT, "import.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.engine_kinds()


@unittest.skipUnless(os.path.isdir(datasets.path("bench")), "the shared datasets are not on this machine")
class SmokeRunTest(unittest.TestCase):
    """run.sh --smoke once, then the engine and import.py on what it returned."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gpukit-test-")
        cls.out = os.path.join(cls.tmp, "out")
        t = time.time()
        r = subprocess.run([os.path.join(KIT, "run.sh"), "--smoke"], env={**os.environ, "OUT": cls.out, "PYTHON": sys.executable},
                           capture_output=True, text=True, timeout=400)
        cls.seconds = time.time() - t
        cls.log = r.stdout + r.stderr
        cls.rc = r.returncode
        print(f"smoke run: {cls.seconds:.0f} s", file=sys.stderr)
        cls.onnx = {}
        if cls.rc == 0:
            dest = os.path.join(cls.tmp, "onnx")
            for name in sorted(os.listdir(cls.out)):
                if name.startswith("onnx-") and name.endswith(".tar"):
                    with tarfile.open(os.path.join(cls.out, name)) as tf:
                        tf.extractall(dest, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
            cls.onnx = {f[:-5]: os.path.join(dest, f) for f in os.listdir(dest)}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_1_smoke_writes_every_model(self):
        self.assertEqual(self.rc, 0, self.log[-3000:])
        self.assertLess(self.seconds, 180, "the smoke run must stay under 3 minutes")
        summary = read_json(os.path.join(self.out, "summary.json"))
        import plan
        want = {j.id for j in plan.JOBS}
        self.assertEqual(set(summary["jobs"]), want)
        self.assertEqual(set(self.onnx), want)
        self.assertTrue(any("sharp" in k for k in self.onnx))
        for mid, path in self.onnx.items():        # the smoke run's loose copies equal the archived ones
            self.assertEqual(read_bytes(os.path.join(self.out, "onnx", mid + ".onnx")), read_bytes(path))
        returned = [n for n in os.listdir(self.out) if os.path.isfile(os.path.join(self.out, n))]
        self.assertLessEqual(len(returned), 8)             # what the device would return
        for name in returned:
            self.assertRegex(name, r"^[A-Za-z0-9._-]+$")
            self.assertLess(os.path.getsize(os.path.join(self.out, name)), 16 * 2 ** 20)
        for row in summary["jobs"].values():
            self.assertGreater(row["steps"], 0)
            for v in row["val"].values():
                self.assertTrue(np.isfinite(v))

    @unittest.skipUnless(os.path.exists(CLI), "the command line is not built (dotnet build src/Upscaler.Cli -c Release)")
    def test_2_engine_runs_every_model(self):
        self.assertEqual(self.rc, 0, self.log[-3000:])
        kinds = _engine_kinds()
        lr = sample(40, 48)
        src = os.path.join(self.tmp, "in.png")
        Image.fromarray(lr).save(src)
        for mid, path in sorted(self.onnx.items()):
            import onnx
            net = from_onnx(onnx.load(path))
            kind = mid.split("-")[0]
            kind = kind if kind in kinds else "general"       # until the engine reads kind "sharp"
            folder = os.path.join(self.tmp, "engine-" + mid)
            os.makedirs(folder)
            shutil.copy(path, folder)
            with open(os.path.join(folder, "manifest.json"), "w") as f:
                json.dump({"formatVersion": 1, "models": [_manifest_entry(os.path.join(folder, os.path.basename(path)),
                                                                          mid, kind, net)]}, f)
            dst = os.path.join(self.tmp, f"out-{mid}.png")
            r = subprocess.run(["dotnet", CLI, src, "-o", dst, "--scale", str(net.scale), "--model", kind,
                                "--denoise", "0", "--device", "cpu"],
                               env={**os.environ, "UPSCALER_MODELS_DIR": folder}, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, f"{mid}: {r.stderr}")
            with Image.open(dst) as im:
                out = np.asarray(im.convert("RGB"))
            self.assertEqual(out.shape, (40 * net.scale, 48 * net.scale, 3), mid)
            with torch.no_grad():
                ref = net(torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255, torch.tensor([0.0]))
            ref = np.clip(np.round(ref[0].permute(1, 2, 0).numpy() * 255), 0, 255)
            m = (net.receptive_field + 1) * net.scale           # the engine mirrors borders, PyTorch zero-pads
            diff = np.abs(out[m:-m, m:-m].astype(float) - ref[m:-m, m:-m]).max()
            self.assertLessEqual(diff, 2, f"{mid}: engine vs PyTorch differ by {diff}/255 inside the border")

    def _models_copy(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.copytree(MODELS, dst, ignore=shutil.ignore_patterns("training", "work", "__pycache__", "cards"))
        return dst

    def _import(self, models_dir, *extra):
        r = subprocess.run([sys.executable, os.path.join(KIT, "import.py"), self.out, "--quick", "--models-dir", models_dir,
                            *extra], capture_output=True, text=True, timeout=900)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        return read_json(os.path.join(self.out, "import-report.json"))

    def test_3_import_keeps_the_shipped_models(self):
        self.assertEqual(self.rc, 0, self.log[-3000:])
        repo_manifest = read_bytes(os.path.join(MODELS, "manifest.json"))
        copy = self._models_copy("models-keep")
        before = {f: read_bytes(os.path.join(copy, f)) for f in ("manifest.json", "README.md")}
        report = self._import(copy)
        self.assertEqual(len(report["models"]), 9)
        for mid, r in report["models"].items():
            self.assertFalse(r["beats_shipped"], f"{mid}: {r['why']}")
        for f, b in before.items():
            self.assertEqual(read_bytes(os.path.join(copy, f)), b, f"{f} changed")
        self.assertEqual(read_bytes(os.path.join(MODELS, "manifest.json")), repo_manifest)

    def test_4_import_ships_a_winner(self):
        """Against a shipped general-x2 replaced by a broken one (constant +0.3 offset), the smoke
        general-x2 wins: it is written with its fp16 copy, fixture, manifest entry and card, and the
        engine runs the updated catalog."""
        self.assertEqual(self.rc, 0, self.log[-3000:])
        copy = self._models_copy("models-ship")
        manifest = read_json(os.path.join(copy, "manifest.json"))
        entry = next(m for m in manifest["models"] if m["id"] == "general-x2")
        import onnx
        broken = from_onnx(onnx.load(os.path.join(copy, entry["file"])))
        with torch.no_grad():
            broken.body[-1].bias.add_(0.3)
        compact_onnx.save(broken, os.path.join(copy, entry["file"]))
        entry["sha256"] = hashlib.sha256(read_bytes(os.path.join(copy, entry["file"]))).hexdigest()
        with open(os.path.join(copy, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
        report = self._import(copy, "--only", "general-x2")
        r = report["models"]["general-x2"]
        self.assertTrue(r["beats_shipped"], r["why"])
        self.assertTrue(r.get("written"))
        new = next(m for m in read_json(os.path.join(copy, "manifest.json"))["models"] if m["id"] == "general-x2")
        shipped = os.path.join(copy, new["file"])
        self.assertEqual(hashlib.sha256(read_bytes(shipped)).hexdigest(), new["sha256"])
        self.assertEqual(read_bytes(shipped), read_bytes(self.onnx["general-x2"]))
        self.assertTrue(os.path.exists(os.path.join(copy, new["fp16"]["file"])))
        self.assertIn("CompactSR", new["architecture"])
        fixture = read_json(os.path.join(copy, "reference", "general-x2.json"))
        self.assertEqual(fixture["outputShape"][2], 2 * fixture["inputShape"][2])
        card = read_bytes(os.path.join(copy, "README.md"))
        self.assertIn(b"<!-- gpu-kit:general-x2 -->", card)
        self.assertIn(b"](cards/general-x2-coffee.png)", card)
        with Image.open(os.path.join(copy, "cards", "general-x2-coffee.png")) as im:     # HR | bicubic | old | new
            self.assertEqual(im.size, (4 * (128 + 4), 128 + 18))
        if os.path.exists(CLI):
            dst = os.path.join(self.tmp, "after-import.png")
            Image.fromarray(sample(40, 48)).save(os.path.join(self.tmp, "in2.png"))
            p = subprocess.run(["dotnet", CLI, os.path.join(self.tmp, "in2.png"), "-o", dst, "--scale", "2", "--device", "cpu"],
                               env={**os.environ, "UPSCALER_MODELS_DIR": copy}, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(image_size(dst), (96, 80))


if __name__ == "__main__":
    unittest.main()
