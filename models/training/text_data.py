"""Rendered training/validation data for the text-preserving specialist (text-x4/x2).

Everything is rendered: no scanned or downloaded images. Fonts and SVG art come only
from the Debian packages in data-packages.txt (install them first, as root, with
models/training/setup-packages.sh data). Font families held out of training, for validation and the OCR test:
Liberation (fonts-liberation2: Sans, Serif, Mono) and Carlito (fonts-crosextra-carlito).

Scenes (HR, 160 x 160 crops, uint8):
  * text: words / lines / paragraphs, 9..60 px, random colours with contrast, on flat,
    gradient or (blurred) photo backgrounds, occasionally rotated;
  * ui: light/dark panels, borders, rounded buttons, separators, checkboxes, labels,
    small icons;
  * icons: icons and clip art (Papirus, Breeze, Tango, Openclipart) rasterised from SVG
    with rsvg-convert at random sizes, on flat/gradient backgrounds;
  * logo: bold text (optionally outlined / shadowed) and an icon over a photo crop.
Photo backgrounds: the general recipe's training crop bank for training; the general
validation images (data.load_val_hr) for validation, so nothing overlaps.

Degradations (TextPairSampler, strength d as in the general recipe):
  * CLEAN_SHARE pairs: d = 0, LR = MATLAB bicubic (70%) or antialiased area/bilinear/
    bicubic downscale (30%);
  * otherwise d ~ U(0,1), severities u*d with u ~ U(0.4,1): mild Gaussian blur
    (p 0.5, sigma <= 0.2 + 0.8 HR px at x4), downscale (area/bilinear/bicubic/MATLAB),
    light noise (p 0.5, std <= 6/255), JPEG 4:2:0 (p 0.85, quality 95 - 55*u*d).
  * target: always the clean HR render.

    models/training/setup-packages.sh data             # once, as root
    /usr/bin/python3 models/training/text_data.py      # renders the bank
"""
import glob
import io
import math
import os
import subprocess
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402

WORK = os.path.join(HERE, "work", "spec")
PACKAGE_LIST = os.path.join(HERE, "data-packages.txt")
SETUP_SCRIPT = "models/training/setup-packages.sh data"
HELD_OUT = ("liberation", "carlito")
FONT_ROOTS = ["/usr/share/fonts", "/usr/share/texmf/fonts/opentype/public/tex-gyre"]
ICON_GLOBS = ("/usr/share/icons/Papirus/64x64/**/*.svg", "/usr/share/icons/breeze/**/*.svg",
              "/usr/share/icons/Tango/scalable/**/*.svg", "/usr/share/openclipart/**/*.svg")
# Degradations of the text pairs (degrade_text, TextPairSampler; the GPU kit's batched copy
# in gpu/degrade.py reads the same constants).
CLEAN_SHARE = 0.35
CLEAN_MATLAB_SHARE = 0.7     # of the clean pairs: MATLAB bicubic; the rest area/bilinear/bicubic/MATLAB
BLUR_P, BLUR_MAX = 0.5, 0.8  # sigma = 0.2 + u*d*BLUR_MAX HR px at x4 (x2: half)
NOISE_P, NOISE_MAX = 0.5, 6 / 255
JPEG_P, JPEG_DROP = 0.85, 55  # 4:2:0, quality 95 - u*d*JPEG_DROP

WORDS = ("the quick brown fox jumps over lazy dog settings file edit view help save open close "
         "cancel apply account password username email login logout search results page next "
         "previous total price order shipping address invoice date amount tax discount product "
         "model version update download install configure network display brightness volume "
         "battery storage memory processor windows linux terminal upload share delete rename "
         "copy paste undo redo format insert table chart image layer filter export import print "
         "welcome dashboard profile notifications messages calendar contacts photos music video "
         "Monday January Street Avenue Company Limited Report Summary Chapter Section Figure "
         "quality warranty ingredients nutrition serving calories organic premium natural fresh "
         "SALE NEW FREE OPEN HOT 50% OFF BEST ONLINE CLICK HERE SUBMIT OK YES NO INFO ERROR").split()


def packages():
    with open(PACKAGE_LIST) as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


def require_packages():
    """The renders need the packages in data-packages.txt; installing them is the setup script's job."""
    missing = [p for p in packages()
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        raise SystemExit("text_data.py: missing Debian packages: %s; install them with %s (as root)"
                         % (" ".join(missing), SETUP_SCRIPT))


# ------------------------------------------------------------------------- fonts
def _font_files(roots=None):
    roots = roots or FONT_ROOTS
    files = []
    for r in roots:
        files += glob.glob(os.path.join(r, "**", "*.[ot]tf"), recursive=True)
    return sorted(set(files))


def _latin_ok(path):
    """Drop symbol fonts and non-Latin Noto scripts."""
    b = os.path.basename(path)
    if "noto" in path.lower():
        return b.split("-")[0] in ("NotoSans", "NotoSerif", "NotoSansMono", "NotoMono",
                                   "NotoSansDisplay", "NotoSerifDisplay")
    return not any(s in b for s in ("D050000L", "StandardSymbols", "Dingbat", "Symbol", "math", "Math"))


def font_lists(aenigma_keep=40, roots=None):
    """(train_fonts, heldout_fonts): paths. Held out: Liberation and Carlito families.
    roots: folders searched for .ttf/.otf (default FONT_ROOTS, the installed packages)."""
    files = [f for f in _font_files(roots) if _latin_ok(f)]
    held = [f for f in files if any(h in f.lower() for h in HELD_OUT)]
    train = [f for f in files if f not in held]
    aen = [f for f in train if "aenigma" in f]
    rng = np.random.default_rng(0)
    keep = set(rng.choice(aen, min(aenigma_keep, len(aen)), replace=False)) if aen else set()
    train = [f for f in train if "aenigma" not in f or f in keep]
    return train, held


# ------------------------------------------------------------------------- icons
def rasterise_icons(n=500, seed=0, out_dir=None, globs=ICON_GLOBS, size=192):
    """n SVG icons/clip art rendered once to RGBA PNG at `size` px (cached under work/spec/icons,
    or out_dir); globs: where the SVG files are (default: the installed icon packages)."""
    out_dir = out_dir or os.path.join(WORK, "icons")
    have = sorted(glob.glob(os.path.join(out_dir, "*.png")))
    if len(have) >= n:
        return have[:n]
    os.makedirs(out_dir, exist_ok=True)
    pools = []
    for pat in globs:
        fs = [f for f in glob.glob(pat, recursive=True) if os.path.getsize(f) > 1500 and not os.path.islink(f)]
        pools.append(sorted(fs))
    rng = np.random.default_rng(seed)
    share = [0.35, 0.2, 0.1, 0.35]
    paths = []
    for i in range(n):
        pool = pools[rng.choice(4, p=share)] or pools[0]
        src = pool[rng.integers(len(pool))]
        dst = os.path.join(out_dir, f"{i:04d}.png")
        r = subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size), "--keep-aspect-ratio", src, "-o", dst],
                           capture_output=True, timeout=20)
        if r.returncode == 0 and os.path.exists(dst):
            paths.append(dst)
    return paths


# ------------------------------------------------------------------------- render
class Renderer:
    def __init__(self, fonts, icons, photos, seed):
        self.fonts, self.photos = fonts, photos
        self.icons = [Image.open(p).convert("RGBA") for p in icons]
        self.rng = np.random.default_rng(seed)
        self._cache = {}

    def font(self, size, path=None):
        if not self.fonts and path is None:     # no TrueType font on this machine: PIL's bitmap font
            return ImageFont.load_default()
        path = path or self.fonts[self.rng.integers(len(self.fonts))]
        key = (path, size)
        if key not in self._cache:
            try:
                self._cache[key] = ImageFont.truetype(path, size)
            except OSError:
                self._cache[key] = ImageFont.truetype(self.fonts[0], size)
        return self._cache[key]

    def colour(self):
        return tuple(int(c) for c in self.rng.integers(0, 256, 3))

    def contrast_colour(self, bg):
        lum = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2]
        for _ in range(20):
            c = self.colour()
            if abs(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] - lum) > 90:
                return c
        return (0, 0, 0) if lum > 128 else (255, 255, 255)

    def background(self, size, photo_p=0.25):
        r = self.rng.random()
        if r < photo_p and self.photos is not None:
            im = Image.fromarray(self.photos[self.rng.integers(len(self.photos))]).resize((size, size), Image.BICUBIC)
            if self.rng.random() < 0.5:
                im = im.filter(ImageFilter.GaussianBlur(float(self.rng.uniform(1, 4))))
            return im, tuple(int(v) for v in np.asarray(im).reshape(-1, 3).mean(0))
        c = self.colour() if self.rng.random() < 0.6 else tuple([int(self.rng.choice([255, 250, 245, 240, 30, 20]))] * 3)
        im = Image.new("RGB", (size, size), c)
        if r > 0.85:   # linear gradient
            c2 = np.array(self.colour(), np.float32)
            t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
            g = np.array(c, np.float32) * (1 - t) + c2 * t
            g = np.broadcast_to(g, (size, size, 3))
            if self.rng.random() < 0.5:
                g = g.transpose(1, 0, 2)
            im = Image.fromarray(np.round(g).astype(np.uint8))
            c = tuple(int(v) for v in g.reshape(-1, 3).mean(0))
        return im, c

    def words(self, n):
        out = []
        for _ in range(n):
            if self.rng.random() < 0.75:
                w = WORDS[self.rng.integers(len(WORDS))]
                w = w.capitalize() if self.rng.random() < 0.2 else w
            else:
                alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?-()/&@#$%'\""
                w = "".join(alpha[self.rng.integers(len(alpha))] for _ in range(self.rng.integers(1, 9)))
            out.append(w)
        return " ".join(out)

    def draw_text_block(self, im, bg, box, size_lo, size_hi):
        d = ImageDraw.Draw(im)
        x0, y0, x1, y1 = box
        size = int(round(math.exp(self.rng.uniform(math.log(size_lo), math.log(size_hi)))))
        f = self.font(size)
        col = self.contrast_colour(bg)
        y = y0 + self.rng.integers(-size // 2, size // 2 + 1)
        lead = size * self.rng.uniform(1.05, 1.6)
        while y < y1:
            x = x0 + self.rng.integers(-size, size // 2 + 1)
            d.text((int(x), int(y)), self.words(int(self.rng.integers(2, 12))), font=f, fill=col)
            y += lead
            if self.rng.random() < 0.1:
                size = int(round(math.exp(self.rng.uniform(math.log(size_lo), math.log(size_hi)))))
                f, col, lead = self.font(size), self.contrast_colour(bg), size * self.rng.uniform(1.05, 1.6)

    def paste_icon(self, im, size, xy):
        if not self.icons:          # a bundle without icons (the smoke test's): text and UI only
            return
        ic = self.icons[self.rng.integers(len(self.icons))]
        ic = ic.resize((size, size), Image.LANCZOS)
        im.paste(ic, xy, ic)

    def scene_text(self, S):
        im, bg = self.background(S)
        if self.rng.random() < 0.15:   # rotated block
            big = S * 2
            layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
            self.draw_text_block(layer, bg, (0, 0, big, big), 9, 48)
            layer = layer.rotate(float(self.rng.uniform(-30, 30)), resample=Image.BICUBIC)
            im.paste(layer.crop((S // 2, S // 2, S // 2 + S, S // 2 + S)), (0, 0), layer.crop((S // 2, S // 2, S // 2 + S, S // 2 + S)))
        else:
            self.draw_text_block(im, bg, (0, 0, S, S), 9, 60)
        return im

    def scene_ui(self, S):
        dark = self.rng.random() < 0.35
        base = tuple([int(self.rng.integers(20, 60))] * 3) if dark else tuple([int(self.rng.integers(225, 256))] * 3)
        im = Image.new("RGB", (S, S), base)
        d = ImageDraw.Draw(im)
        accent = self.colour()
        for _ in range(self.rng.integers(3, 9)):
            kind = self.rng.random()
            x0, y0 = int(self.rng.integers(-20, S - 10)), int(self.rng.integers(-20, S - 10))
            w, h = int(self.rng.integers(12, S)), int(self.rng.integers(10, 60))
            if kind < 0.3:   # panel with border
                fill = tuple(int(np.clip(v + self.rng.integers(-25, 26), 0, 255)) for v in base)
                d.rectangle((x0, y0, x0 + w, y0 + h * 2), fill=fill,
                            outline=self.contrast_colour(fill) if self.rng.random() < 0.5 else accent,
                            width=int(self.rng.integers(1, 4)))
            elif kind < 0.55:  # button
                fill = accent if self.rng.random() < 0.6 else self.colour()
                bh = int(self.rng.integers(14, 40))
                d.rounded_rectangle((x0, y0, x0 + w, y0 + bh), radius=int(self.rng.integers(0, bh // 2 + 1)), fill=fill)
                f = self.font(int(max(8, bh * self.rng.uniform(0.45, 0.7))))
                d.text((x0 + 4, y0 + bh * 0.15), self.words(int(self.rng.integers(1, 3))), font=f, fill=self.contrast_colour(fill))
            elif kind < 0.7:   # separator / lines
                c = self.contrast_colour(base)
                if self.rng.random() < 0.5:
                    d.line((0, y0, S, y0), fill=c, width=int(self.rng.integers(1, 3)))
                else:
                    d.line((x0, 0, x0, S), fill=c, width=int(self.rng.integers(1, 3)))
            elif kind < 0.8:   # checkbox / radio + label
                b = int(self.rng.integers(8, 22))
                c = self.contrast_colour(base)
                if self.rng.random() < 0.5:
                    d.rectangle((x0, y0, x0 + b, y0 + b), outline=c, width=max(1, b // 8))
                    if self.rng.random() < 0.5:
                        d.line((x0 + 2, y0 + b // 2, x0 + b // 2, y0 + b - 2, x0 + b - 2, y0 + 2), fill=accent, width=max(1, b // 6))
                else:
                    d.ellipse((x0, y0, x0 + b, y0 + b), outline=c, width=max(1, b // 8))
                d.text((x0 + b + 4, y0), self.words(int(self.rng.integers(1, 4))), font=self.font(max(9, b)), fill=c)
            elif kind < 0.9:   # icon
                self.paste_icon(im, int(self.rng.integers(16, 64)), (x0, y0))
            else:              # label text
                self.draw_text_block(im, base, (x0, y0, x0 + w, y0 + h), 9, 24)
        return im

    def scene_icons(self, S):
        im, bg = self.background(S, photo_p=0.1)
        for _ in range(self.rng.integers(1, 5)):
            s = int(self.rng.integers(24, 160))
            self.paste_icon(im, s, (int(self.rng.integers(-s // 2, S - s // 2)), int(self.rng.integers(-s // 2, S - s // 2))))
        return im

    def scene_logo(self, S):
        im, bg = self.background(S, photo_p=1.0)
        d = ImageDraw.Draw(im)
        size = int(self.rng.integers(18, 72))
        f = self.font(size)
        col = self.contrast_colour(bg)
        txt = self.words(int(self.rng.integers(1, 3)))
        xy = (int(self.rng.integers(-size, S // 2)), int(self.rng.integers(0, S - size)))
        if self.rng.random() < 0.5:
            d.text(xy, txt, font=f, fill=col, stroke_width=int(self.rng.integers(1, 4)),
                   stroke_fill=self.contrast_colour(col))
        else:
            if self.rng.random() < 0.5:
                d.text((xy[0] + 2, xy[1] + 2), txt, font=f, fill=(0, 0, 0))
            d.text(xy, txt, font=f, fill=col)
        if self.rng.random() < 0.6:
            self.paste_icon(im, int(self.rng.integers(24, 96)), (int(self.rng.integers(0, S - 24)), int(self.rng.integers(0, S - 24))))
        return im

    def scene(self, S):
        r = self.rng.random()
        if r < 0.45:
            return self.scene_text(S)
        if r < 0.7:
            return self.scene_ui(S)
        if r < 0.85:
            return self.scene_icons(S)
        return self.scene_logo(S)


def render_bank(n, S, fonts, icons, photos, seed):
    r = Renderer(fonts, icons, photos, seed)
    return np.stack([np.asarray(r.scene(S).convert("RGB"), dtype=np.uint8) for _ in range(n)])


def load_train_bank(n=6000):
    path = os.path.join(WORK, "text_bank_160.npy")
    if os.path.exists(path):
        return np.load(path)
    require_packages()
    train_fonts, _ = font_lists()
    icons = rasterise_icons()
    photos = np.load(os.path.join(HERE, "work", "bank_160.npy"), mmap_mode="r")
    bank = render_bank(n, 160, train_fonts, icons, photos, seed=1)
    os.makedirs(WORK, exist_ok=True)
    np.save(path, bank)
    return bank


def load_val_hr(n=40, S=192):
    """Held-out renders: Liberation/Carlito fonts only, photo backgrounds from the general
    validation split, fixed seed; icons as in training (they are not the point here)."""
    path = os.path.join(WORK, f"text_val_{S}.npy")
    if os.path.exists(path):
        arr = np.load(path)
    else:
        require_packages()
        _, held = font_lists()
        photos = np.stack([np.asarray(Image.fromarray(hr).resize((160, 160), Image.BICUBIC))
                           for _, hr in data.load_val_hr()])
        arr = render_bank(n, S, held, rasterise_icons(), photos, seed=12345)
        np.save(path, arr)
    return [(f"textval{i:02d}", a) for i, a in enumerate(arr)]


# --------------------------------------------------------------------- degradation
def jpeg420(img, quality):
    arr = (img.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality), subsampling=2)
    buf.seek(0)
    out = np.asarray(Image.open(buf).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(out).permute(2, 0, 1).contiguous()


def degrade_text(hr_uint8, scale, d, rng):
    modes = ["area", "bilinear", "bicubic", "matlab"]
    sev = lambda: rng.uniform(0.4, 1.0) * d
    mode = modes[rng.integers(4)]
    if mode == "matlab" and d == 0:
        return data.to_tensor(data.clean_lr(hr_uint8, scale))
    x = data.to_tensor(hr_uint8)
    if d > 0 and rng.random() < BLUR_P:
        s = 0.2 + sev() * BLUR_MAX * scale / 4
        x = data.blur(x, data.gaussian_kernel(s, s, 0.0))
    hw = (x.shape[1] // scale, x.shape[2] // scale)
    if mode == "matlab":
        xb = (x.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        x = data.to_tensor(data.clean_lr(xb, scale))
    else:
        x = data.resize(x, hw, mode)
    if d > 0 and rng.random() < NOISE_P:
        x = data.add_noise(x, sev() * NOISE_MAX, rng, gray=rng.random() < 0.5)
    if d > 0 and rng.random() < JPEG_P:
        x = jpeg420(x, 95 - JPEG_DROP * sev())
    return data.quantize(x)


class TextPairSampler:
    def __init__(self, bank, scale, lr_patch, seed=0):
        self.bank, self.scale, self.lr_patch = bank, scale, lr_patch
        self.rng = np.random.default_rng(seed)

    def sample(self):
        p = self.lr_patch * self.scale
        crop = self.bank[self.rng.integers(len(self.bank))]
        # offsets multiple of the scale keep the pixel grid phase of the render varied anyway
        y0, x0 = self.rng.integers(0, crop.shape[0] - p + 1), self.rng.integers(0, crop.shape[1] - p + 1)
        hr = crop[y0:y0 + p, x0:x0 + p]
        if self.rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.ascontiguousarray(hr)
        if self.rng.random() < CLEAN_SHARE:
            if self.rng.random() < CLEAN_MATLAB_SHARE:
                return data.to_tensor(data.clean_lr(hr, self.scale)), 0.0, data.to_tensor(hr)
            return degrade_text(hr, self.scale, 0.0, self.rng), 0.0, data.to_tensor(hr)
        d = float(self.rng.uniform(0, 1))
        return degrade_text(hr, self.scale, d, self.rng), d, data.to_tensor(hr)

    def batch(self, n):
        items = [self.sample() for _ in range(n)]
        return (torch.stack([i[0] for i in items]), torch.tensor([i[1] for i in items], dtype=torch.float32),
                torch.stack([i[2] for i in items]))


if __name__ == "__main__":
    import time
    t = time.time()
    require_packages()
    tr, ho = font_lists()
    print(f"{len(tr)} training fonts, {len(ho)} held-out: {[os.path.basename(f) for f in ho]}")
    print("icons", len(rasterise_icons()), f"{time.time() - t:.0f}s")
    b = load_train_bank()
    print("bank", b.shape, f"{time.time() - t:.0f}s")
    v = load_val_hr()
    print("val", len(v), f"{time.time() - t:.0f}s")
    os.makedirs(os.path.join(WORK, "preview"), exist_ok=True)
    Image.fromarray(np.concatenate([np.concatenate(list(b[i * 6:(i + 1) * 6]), 1) for i in range(4)], 0)).save(
        os.path.join(WORK, "preview", "train.png"))
    Image.fromarray(np.concatenate([np.concatenate([a for _, a in v[i * 5:(i + 1) * 5]], 1) for i in range(2)], 0)).save(
        os.path.join(WORK, "preview", "val.png"))
