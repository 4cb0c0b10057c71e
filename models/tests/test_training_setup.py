"""The training and evaluation scripts' setup: one dataset setting, no package installs inside them."""
import ast
import glob
import re
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAINING = os.path.join(ROOT, "models", "training")
EVAL = os.path.join(ROOT, "models", "eval")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def scripts():
    """The training and evaluation scripts (not these tests, which name what they look for)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    return sorted(f for f in glob.glob(os.path.join(ROOT, "models", "**", "*.py"), recursive=True)
                  if not f.startswith(tests + os.sep))


def value_in_fresh_python(module_dir, statement, env):
    """Imports a module in a new interpreter (module-level settings are read at import) and prints a value."""
    code = f"import sys; sys.path.insert(0, {TRAINING!r}); sys.path.insert(0, {module_dir!r}); {statement}"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


class DatasetSetting(unittest.TestCase):
    def test_only_datasets_py_names_the_default_folder(self):
        naming = [os.path.relpath(f, ROOT) for f in scripts()
                  if "/work/shared/datasets" in open(f).read() and not f.endswith(os.path.join("training", "datasets.py"))]
        self.assertEqual(naming, [])

    def test_UPSCALER_DATASETS_moves_every_data_folder(self):
        env = dict(os.environ, UPSCALER_DATASETS="/elsewhere/data")
        self.assertEqual(value_in_fresh_python(TRAINING, "import data; print(data.DATA_ROOT)", env), "/elsewhere/data/train")
        self.assertEqual(value_in_fresh_python(TRAINING, "import faces; print(faces.FACE_ROOT)", env), "/elsewhere/data/faces/train")
        self.assertEqual(value_in_fresh_python(EVAL, "import evaluate; print(evaluate.BENCH)", env), "/elsewhere/data/bench")

    def test_the_default_is_the_shared_folder(self):
        env = {k: v for k, v in os.environ.items() if k != "UPSCALER_DATASETS"}
        self.assertEqual(value_in_fresh_python(TRAINING, "import data; print(data.DATA_ROOT)", env), "/work/shared/datasets/train")


class TextDataPackages(unittest.TestCase):
    def test_no_script_installs_packages(self):
        # Downloading a package to unpack its files (apt-get download + dpkg -x, the GPU kit's data
        # builder) installs nothing; installing is what the setup script alone may do.
        installing = [os.path.relpath(f, ROOT) for f in scripts()
                      if re.search(r"apt-get[\"', ]+(-\S+[\"', ]+)*install", read(f))]
        self.assertEqual(installing, [])

    def test_missing_packages_name_the_setup_script(self):
        sys.path.insert(0, TRAINING)
        import text_data
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# a package that no system has\nno-such-package-upscaler-test\n")
        saved = text_data.PACKAGE_LIST
        try:
            text_data.PACKAGE_LIST = f.name
            with self.assertRaises(SystemExit) as raised:
                text_data.require_packages()
        finally:
            text_data.PACKAGE_LIST = saved
            os.unlink(f.name)
        self.assertIn("no-such-package-upscaler-test", str(raised.exception))
        self.assertIn("setup-packages.sh data", str(raised.exception))

    def test_the_setup_script_reads_the_same_lists(self):
        script = read(os.path.join(TRAINING, "setup-packages.sh"))
        self.assertIn("$l-packages.txt", script)
        self.assertIn("apt-get install", script)
        for name in ("python", "data"):
            self.assertTrue(os.path.exists(os.path.join(TRAINING, f"{name}-packages.txt")), name)

    def test_the_python_list_holds_every_module_the_scripts_import(self):
        # a fresh machine gets exactly this list (scripts/test.sh): a third-party module the scripts
        # import and the list lacks fails there first (scipy did)
        with open(os.path.join(TRAINING, "python-packages.txt")) as f:
            listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        debian = {"torch": "python3-torch", "numpy": "python3-numpy", "scipy": "python3-scipy",
                  "PIL": "python3-pil", "onnx": "python3-onnx"}
        ours = {os.path.splitext(os.path.basename(f))[0] for f in scripts()}
        needed = set()
        for f in scripts():
            for node in ast.walk(ast.parse(read(f), f)):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in (n.split(".")[0] for n in names):
                    if name not in sys.stdlib_module_names and name not in ours:
                        needed.add(debian.get(name, f"an unlisted module: {name}"))
        self.assertEqual(sorted(needed - listed), [])

if __name__ == "__main__":
    unittest.main()
