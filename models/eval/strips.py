"""Picture strips for the model cards: labelled panels side by side, at 100 % (no resampling), saved
as a small palette PNG. Used by compare_models.py (every model on the same pictures) and by the GPU
kit's import.py (a newly shipped model next to the one it replaces)."""
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LABEL_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
COFFEE = os.path.join(ROOT, "samples", "coffee.png")
COFFEE_CROP = (slice(68, 196), slice(140, 268))     # the cup's rim and spoon, HR px: every card's photo crop


def strip(panels, path, label_width=None, columns=None):
    """Labelled panels in a grid (or one column with labels at the left for wide text panels)."""
    font = ImageFont.truetype(LABEL_FONT, 11)
    tiles = []
    for label, img in panels:
        h, w = img.shape[:2]
        if label_width:
            canvas = Image.new("RGB", (label_width + w + 4, h + 4), (255, 255, 255))
            canvas.paste(Image.fromarray(img), (label_width + 2, 2))
            ImageDraw.Draw(canvas).text((4, h // 2 - 6), label, font=font, fill=(0, 0, 0))
        else:
            canvas = Image.new("RGB", (w + 4, h + 18), (255, 255, 255))
            canvas.paste(Image.fromarray(img), (2, 16))
            ImageDraw.Draw(canvas).text((3, 1), label, font=font, fill=(0, 0, 0))
        tiles.append(np.asarray(canvas))
    columns = columns or 1
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    width = max(sum(t.shape[1] for t in r) for r in rows)
    grid = [np.pad(np.concatenate(r, 1), ((0, 0), (0, width - sum(t.shape[1] for t in r)), (0, 0)), constant_values=255)
            for r in rows]
    Image.fromarray(np.concatenate(grid, 0)).quantize(128, dither=Image.NONE).save(path, optimize=True)
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path) // 1024} KB)", flush=True)
