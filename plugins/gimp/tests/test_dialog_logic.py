"""Unit tests of the plug-in's pure-Python parts besides the frame code: the dialog's model list and
denoise note (model_menu.py) and the JPEG quality hint (jpeg_quality.py), with plain python3.

The JPEG tests use real files written by Pillow (libjpeg's IJG tables, as GIMP and libvips write them)
when Pillow is installed, and say so when it is not.
Run: python3 -m unittest discover -s plugins/gimp/tests -v
"""

import os
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ai-upscale"))
import jpeg_quality  # noqa: E402
import model_menu  # noqa: E402

try:
    from PIL import Image
except ImportError:  # the JPEG file tests need a real encoder
    Image = None

MODELS = [
    {"id": "general-x2", "kind": "general", "scale": 2, "description": "General photos x2", "denoise": True, "origin": "shipped"},
    {"id": "general-x4", "kind": "general", "scale": 4, "description": "General photos x4", "denoise": True, "origin": "shipped"},
    {"id": "realesrgan-x4plus", "kind": "sharp", "scale": 4, "description": "Real-ESRGAN x4plus: sharp and detailed " + "x" * 100,
     "denoise": False, "origin": "bundled"},
    {"id": "my-anime", "kind": "anime", "scale": 2, "description": "", "denoise": False, "origin": "user"},
]


class ModelMenuTests(unittest.TestCase):
    def test_installed_kinds_come_first_then_every_model_by_id(self):
        rows = model_menu.entries(MODELS)
        self.assertEqual([value for value, _ in rows],
                         ["general", "sharp", "anime", "general-x2", "general-x4", "realesrgan-x4plus", "my-anime"])
        labels = dict(rows)
        self.assertEqual(labels["general"], "General photos, faithful (x2, x4)")
        self.assertEqual(labels["general-x4"], "general-x4: General photos x4")
        self.assertEqual(labels["my-anime"], "my-anime: anime", "a model without a description shows its kind")
        self.assertLessEqual(len(labels["realesrgan-x4plus"]), len("realesrgan-x4plus: ") + model_menu.LONGEST_DESCRIPTION)
        self.assertTrue(labels["realesrgan-x4plus"].endswith("…"))

    def test_a_value_that_is_not_installed_is_kept_and_marked(self):
        rows = model_menu.entries(MODELS, "face")
        self.assertEqual(rows[-1], ("face", "face (not installed)"))
        self.assertEqual(model_menu.entries(MODELS, "General-X4"), model_menu.entries(MODELS), "ids match in any case")

    def test_kinds_are_canonical_in_any_case_ids_are_kept(self):
        self.assertEqual(model_menu.canonical(" General "), "general")
        self.assertEqual(model_menu.canonical("My-Anime"), "My-Anime")

    def test_denoise_controls_follow_the_models_denoise_input(self):
        self.assertEqual(model_menu.denoise_note(MODELS, "general", True), (True, model_menu.AUTO_NOTE))
        self.assertEqual(model_menu.denoise_note(MODELS, "general-x2", False), (True, model_menu.FIXED_NOTE))
        self.assertEqual(model_menu.denoise_note(MODELS, "realesrgan-x4plus", True), (False, "realesrgan-x4plus has no denoise control"))
        self.assertEqual(model_menu.denoise_note(MODELS, "Sharp", False), (False, "the sharp model has no denoise control"))
        self.assertEqual(model_menu.denoise_note(MODELS, "face", True)[0], True, "not installed: the bridge says so on OK")


class JpegQualityTests(unittest.TestCase):
    def test_the_parasite_quality_is_used(self):
        # colour space YCbCr (3), quality 78, 3 components, no tables, sampling 2x2 1x1 1x1.
        self.assertEqual(jpeg_quality.from_parasite(bytes([3, 78, 3, 0, 2, 2, 1, 1, 1, 1])), 78)

    def test_a_parasite_without_a_quality_is_judged_by_its_luminance_table(self):
        scale = 200 - 2 * 63  # IJG quality 63
        table = [min(max((v * scale + 50) // 100, 1), 255) for v in jpeg_quality.STANDARD_LUMINANCE]
        data = bytes([3, 0, 3, 2, 2, 2, 1, 1, 1, 1]) + struct.pack(">64H", *table) + struct.pack(">64H", *table)
        self.assertEqual(jpeg_quality.from_parasite(data), 63)

    def test_broken_parasites_give_nothing(self):
        for data in (b"", bytes([3, 0, 3]), bytes([3, 0, 3, 1, 2, 2, 1, 1, 1, 1]) + bytes(20), bytes([3, 101, 3, 0])):
            self.assertIsNone(jpeg_quality.from_parasite(data), data)

    @unittest.skipIf(Image is None, "Pillow is not installed (Debian: python3-pil)")
    def test_real_jpeg_files_read_the_quality_they_were_saved_with(self):
        with tempfile.TemporaryDirectory() as folder:
            picture = Image.radial_gradient("L").convert("RGB").resize((64, 48))
            for quality in (10, 25, 40, 50, 63, 78, 90, 95, 100):
                path = os.path.join(folder, "q%d.jpg" % quality)
                picture.save(path, quality=quality)
                self.assertEqual(jpeg_quality.from_file(path), quality)
            gray = os.path.join(folder, "gray.jpg")
            Image.radial_gradient("L").save(gray, quality=55)
            self.assertEqual(jpeg_quality.from_file(gray), 55)
            png = os.path.join(folder, "picture.png")
            picture.save(png)
            self.assertIsNone(jpeg_quality.from_file(png))
            truncated = os.path.join(folder, "truncated.jpg")
            with open(os.path.join(folder, "q78.jpg"), "rb") as whole, open(truncated, "wb") as cut:
                cut.write(whole.read(30))
            self.assertIsNone(jpeg_quality.from_file(truncated))
        self.assertIsNone(jpeg_quality.from_file("/no/such/file.jpg"))


if __name__ == "__main__":
    unittest.main()
