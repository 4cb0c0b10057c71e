"""Where the image data lives: one setting for every training and evaluation script.

UPSCALER_DATASETS names the folder holding train/ (photographs), faces/train/ and bench/
(Set5, Set14: reporting only, never training); it defaults to /work/shared/datasets.
"""
import os

DEFAULT_ROOT = "/work/shared/datasets"


def root():
    return os.environ.get("UPSCALER_DATASETS") or DEFAULT_ROOT


def path(*parts):
    """A folder inside the datasets folder, e.g. path("faces", "train")."""
    return os.path.join(root(), *parts)
