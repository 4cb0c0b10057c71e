"""Side by side: every model the engine lists (ours and the bundled open models), run through the
product itself (`upscaler DIR --out-dir OUT --model ID`, the command line of this checkout), on the
same held-out inputs.

    dotnet build src/Upscaler.Cli -c Release            # the command line this uses
    /usr/bin/python3 models/eval/compare_models.py        # everything; results/compare.json + cards
    /usr/bin/python3 models/eval/compare_models.py --models general-x4,realcugan-x4 --parts val

Sets (LR = MATLAB-bicubic downscale; PSNR on Y with `scale` px shaved, metrics.py):
  * Set5/Set14 at x4 (all models at --scale 4: x2 models run twice, x3 models twice and the engine
    resamples down, exactly as a user asking for x4 gets) and at x2 (the x2 models); reporting only;
  * val / valdeg: every third crop of our validation split (data.load_val_hr: never trained on),
    clean, and degraded like evaluate.py (blur 0.8 + noise 10/255 + JPEG 60, same seeds); models
    with a denoise control run at 0 on clean input and at 0, auto and 1 on degraded input;
  * faces: every seventh held-out face (faces.load_val_hr), x4;
  * OCR: evaluate_text.py's sentences in its held-out fonts at 20/24/28 px (HR), lines Tesseract
    reads perfectly at HR only; lines are stacked into one page per size (16 px white between them)
    so each model starts once per size; CER = edit distance / reference characters;
  * speed: seconds per megapixel of input, one photo crop at each model's own scale, three copies in
    one batch; the first copy loads the model and is not counted (the CLI prints each file's time);
  * strips (models/cards/open-*.png): HR | bicubic | every model at x4 on public-domain pictures
    (samples/coffee.png; scikit-image's astronaut.png, a NASA portrait: --astronaut), and an OCR line.
The machine's CPU is recorded with the results; runs are cached in models/eval/work/compare/, so a
second call only recomputes the metrics (--fresh reruns everything).
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "training"))
from imresize import imresize                                   # noqa: E402
from metrics import psnr_y, to_uint8                             # noqa: E402
from evaluate import load_bench                                  # noqa: E402
from evaluate_text import FONTS, SENTENCES, levenshtein, render_line, tesseract  # noqa: E402
from strips import COFFEE_CROP, strip                             # noqa: E402
import data                                                      # noqa: E402
import faces                                                     # noqa: E402

WORK = os.path.join(HERE, "work", "compare")
CLI = os.path.join(ROOT, "src", "Upscaler.Cli", "bin", "Release", "net10.0", "upscaler")
ASTRONAUT = os.path.join(HERE, "work", "skdeb", "ex", "usr", "lib", "python3", "dist-packages", "skimage", "data", "astronaut.png")
OCR_SIZES = (20, 24, 28)
OCR_GAP = 16


# ------------------------------------------------------------------------------ catalog
def catalog(models_dir, user_dir):
    """(id, kind, scale, has_denoise, origin) of every model, in the engine's order."""
    out = []
    for path, origin in ((os.path.join(models_dir, "manifest.json"), "ours"),
                         (os.path.join(models_dir, "open", "manifest.json"), "bundled"),
                         (os.path.join(user_dir, "manifest.json") if user_dir else None, "yours")):
        if path and os.path.exists(path):
            for e in json.load(open(path))["models"]:
                out.append({"id": e["id"], "kind": e["kind"], "scale": e["scale"], "denoise": "denoise" in e,
                            "origin": origin, "flops": e.get("flopsPerPixel"), "params": e.get("params")})
    return out


# ------------------------------------------------------------------------------- inputs
def save(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(arr).save(path)


def png(name):
    return os.path.splitext(name)[0] + ".png"


def load(path):
    return np.asarray(Image.open(path))


def prepare():
    """Writes every LR input (WORK/in/<set>/) and HR reference (WORK/hr/<set>/) once."""
    done = os.path.join(WORK, "inputs.json")
    if os.path.exists(done):
        return json.load(open(done))
    sets = {}

    def add(name, scale, items):
        sets[name] = {"scale": scale, "files": []}
        for fname, hr, lr in items:
            save(os.path.join(WORK, "hr", name, fname), hr)
            save(os.path.join(WORK, "in", name, fname), lr)
            sets[name]["files"].append(fname)

    for bench in ("Set5", "Set14"):
        for s in (4, 2):
            items = []
            for fname, hr in load_bench(bench):
                hr = hr[: hr.shape[0] // s * s, : hr.shape[1] // s * s]
                rgb = np.stack([hr] * 3, -1) if hr.ndim == 2 else hr
                items.append((fname, hr, imresize(rgb, 1.0 / s)))
            add(f"{bench}x{s}", s, items)

    val = list(enumerate(data.load_val_hr()))[::3]
    for s in (4, 2):
        add(f"val-x{s}", s, [(png(n), hr, data.clean_lr(hr, s)) for _, (n, hr) in val])
        add(f"valdeg-x{s}", s, [(png(n), hr,
                                 to_uint8(data.degrade_fixed(hr, s, seed=1000 + i).permute(1, 2, 0).numpy()))
                                for i, (n, hr) in val])
    add("faces-x4", 4, [(f"face{k:02d}.png", hr, data.clean_lr(hr, 4))
                        for k, (_, hr) in enumerate(faces.load_val_hr()[::7])])

    # OCR pages: one per size, lines Tesseract reads perfectly at HR, 16 px of white between them.
    sets["ocr"] = {}
    for size in OCR_SIZES:
        lines = []
        for font in FONTS:
            for sent in SENTENCES:
                hr = render_line(sent, font, size, 4)
                if tesseract(hr) == " ".join(sent.split()):
                    lines.append((sent, hr))
        width = max(hr.shape[1] for _, hr in lines)
        page, boxes, y = [], [], 0
        for sent, hr in lines:
            page.append(np.pad(hr, ((0, OCR_GAP), (0, width - hr.shape[1]), (0, 0)), constant_values=255))
            boxes.append((sent, y, hr.shape[0], hr.shape[1]))
            y += hr.shape[0] + OCR_GAP
        page = np.concatenate(page, 0)
        add(f"ocr{size}-x4", 4, [("page.png", page, imresize(page, 0.25))])
        sets["ocr"][str(size)] = boxes
        print(f"OCR {size} px: {len(lines)} of {len(FONTS) * len(SENTENCES)} lines read perfectly at HR", flush=True)

    coffee = load(os.path.join(ROOT, "samples", "coffee.png"))[:, :, :3]
    coffee = coffee[: coffee.shape[0] // 4 * 4, : coffee.shape[1] // 4 * 4]
    strips = [("coffee.png", coffee, imresize(coffee, 0.25))]
    if os.path.exists(ASTRONAUT):
        astro = load(ASTRONAUT)[:, :, :3]
        strips.append(("astronaut.png", astro, imresize(astro, 0.25)))
    else:
        print(f"no {ASTRONAUT}: the face strip is left out (apt-get download python3-skimage; dpkg-deb -x it "
              f"into models/eval/work/skdeb/ex)", flush=True)
    add("strips-x4", 4, strips)

    # speed: a validation photo (not a benchmark), a 512x384 crop (256x192 for the slowest models)
    photo = np.asarray(Image.open(data.list_images("val")[0]).convert("RGB"))
    h, w = photo.shape[:2]
    for name, (cw, ch) in (("speed", (512, 384)), ("speed-small", (256, 192))):
        crop = photo[(h - ch) // 2:(h + ch) // 2, (w - cw) // 2:(w + cw) // 2]
        add(name, 1, [(f"{k}.png", crop, crop) for k in "abc"])

    json.dump(sets, open(done, "w"), indent=1)
    return sets


# --------------------------------------------------------------------------------- runs
def run(model, set_name, scale, denoise, cli, env, fresh):
    """Upscales every input of a set with one CLI call; returns (out dir, {file: seconds}, wall s)."""
    src = os.path.join(WORK, "in", set_name)
    strength = denoise if isinstance(denoise, str) else f"{denoise:g}"
    out = os.path.join(WORK, "out", model, f"{set_name}-s{scale}-d{strength}")
    log = out + ".log"
    files = sorted(os.listdir(src))
    if not fresh and os.path.exists(log) and all(os.path.exists(os.path.join(out, f[:-4] + f"_x{scale}.png")) for f in files):
        text, wall = open(log).read(), None
        m = re.search(r"^wall (\S+)$", text, re.M)
        wall = float(m.group(1)) if m else None
    else:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        t0 = time.time()
        r = subprocess.run([cli, src, "--out-dir", out, "--scale", str(scale), "--model", model,
                            "--denoise", strength, "--device", "cpu", "--overwrite",
                            "--faces", "off"],   # each model alone, not the general model's face restoration
                           capture_output=True, text=True, env=env)
        wall = time.time() - t0
        if r.returncode != 0:
            raise SystemExit(f"{model} on {set_name}: exit {r.returncode}: {r.stderr.strip()[-400:]}")
        text = r.stdout + f"wall {wall:.2f}\n"
        open(log, "w").write(text)
    seconds = {os.path.basename(m.group(1)): float(m.group(2))
               for m in re.finditer(r"^(\S+) -> \S+ \(\d+x\d+, ([\d.]+) s\)$", text, re.M)}
    return out, seconds, wall


def output(out_dir, fname, scale):
    return load(os.path.join(out_dir, fname[:-4] + f"_x{scale}.png"))[:, :, :3]


def gray_if(hr, sr):
    """Set14's grayscale images are compared on gray values, as evaluate.bench does."""
    if hr.ndim == 2:
        return np.clip(np.round(sr.astype(np.float64).mean(-1)), 0, 255).astype(np.uint8)
    return sr


def psnr_set(set_name, scale, sr_of):
    hr_dir = os.path.join(WORK, "hr", set_name)
    values = []
    for f in sorted(os.listdir(hr_dir)):
        hr = load(os.path.join(hr_dir, f))
        values.append(psnr_y(gray_if(hr, sr_of(f)), hr, scale))
    return round(float(np.mean(values)), 3)


def ocr_cer(size, boxes, page_sr):
    errors = chars = 0
    for sent, y, h, w in boxes:
        ref = " ".join(sent.split())
        errors += levenshtein(tesseract(page_sr[y:y + h, :w]), ref)
        chars += len(ref)
    return round(errors / chars, 4)


def bicubic(set_name, scale):
    return lambda f: imresize(load(os.path.join(WORK, "in", set_name, f)), scale)


# ------------------------------------------------------------------------------- strips
def label(model_id):
    """A panel label that fits over a 128 px panel (the long animevideov3 ids lose their family prefix)."""
    return model_id.replace("realesr-animevideov3", "animevideov3")


# ----------------------------------------------------------------------------- markdown
PURPOSE = {"general": "faithful: photos", "face": "faithful: portraits", "text": "faithful: text, UI",
           "sharp": "sharp & detailed", "anime": "anime & art"}


def markdown(results):
    """The side-by-side tables of models/README.md, from the results file."""
    bic = results.get("bicubic", {})
    kinds = ["general", "face", "text", "sharp", "anime"]
    # ours first (general, face, text; x4 before x2), then the bundled models in catalog order
    order = sorted(enumerate(results["models"].items()),
                   key=lambda t: (t[1][1]["origin"] != "ours", kinds.index(t[1][1]["kind"]) if t[1][1]["origin"] == "ours" else t[0],
                                  -t[1][1]["scale"]))
    ms = {mid: r for _, (mid, r) in order if r.get("origin") != "yours"}
    f = lambda v, d=2: "–" if v is None else f"{v:.{d}f}"
    cer = lambda r: " / ".join("–" if r.get(f"cer{s}") is None else f"{100 * r[f'cer{s}']:.1f}" for s in OCR_SIZES)
    base = ms.get("general-x4", {}).get("s_per_mp")

    def degraded(r, s):
        if f"valdeg-x{s}-d1" not in r:
            return f(r.get(f"valdeg-x{s}"))
        return " / ".join(f(r.get(k)) for k in (f"valdeg-x{s}", f"valdeg-x{s}-auto", f"valdeg-x{s}-d1"))

    def speed(r):
        v = r.get("s_per_mp")
        if v is None:
            return "–"
        ratio = v / base if base else None
        return f"{v:.3g}" + ("" if ratio is None else f" ({ratio:.0f}×)" if ratio >= 10 else f" ({ratio:.2g}×)")

    print("| model | for | params | Set5 ×4 | Set14 ×4 | val ×4 clean | val ×4 degraded (d 0 / auto / 1) | faces ×4 "
          "| OCR CER % 20 / 24 / 28 px | s / MP (× general-x4) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| bicubic | | | {f(bic.get('Set5x4'))} | {f(bic.get('Set14x4'))} | {f(bic.get('val-x4'))} | {f(bic.get('valdeg-x4'))} | "
          f"{f(bic.get('faces-x4'))} | {cer(bic)} | |")
    for mid, r in ms.items():
        params = "–" if not r.get("params") else f"{r['params'] / 1e6:.2g} M"
        print(f"| `{mid}` | {PURPOSE[r['kind']]} | {params} | {f(r.get('Set5x4'))} | {f(r.get('Set14x4'))} | {f(r.get('val-x4'))} | "
              f"{degraded(r, 4)} | {f(r.get('faces-x4'))} | {cer(r)} | {speed(r)} |")
    print()
    print("| model (×2) | Set5 ×2 | Set14 ×2 | val ×2 clean | val ×2 degraded (d 0 / auto / 1) |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| bicubic | {f(bic.get('Set5x2'))} | {f(bic.get('Set14x2'))} | {f(bic.get('val-x2'))} | {f(bic.get('valdeg-x2'))} |")
    for mid, r in ms.items():
        if r.get("scale") == 2:
            print(f"| `{mid}` | {f(r.get('Set5x2'))} | {f(r.get('Set14x2'))} | {f(r.get('val-x2'))} | {degraded(r, 2)} |")


# --------------------------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=CLI)
    p.add_argument("--models", default=None, help="comma list of ids (default: every model the catalogs list)")
    p.add_argument("--user-models", default=None, help="also list the models in this folder (e.g. variants to compare)")
    p.add_argument("--parts", default="bench,val,faces,ocr,speed,strips")
    p.add_argument("--fresh", action="store_true", help="rerun the upscales even where outputs exist")
    p.add_argument("--out", default=os.path.join(HERE, "results", "compare.json"))
    p.add_argument("--cards", default=os.path.join(ROOT, "models", "cards"))
    p.add_argument("--markdown", action="store_true", help="only print the tables of the results file")
    a = p.parse_args()
    if a.markdown:
        markdown(json.load(open(a.out)))
        return
    if not os.path.exists(a.cli):
        raise SystemExit(f"{a.cli} not found: dotnet build src/Upscaler.Cli -c Release")

    models_dir = os.path.join(ROOT, "models")
    env = {**os.environ, "UPSCALER_MODELS_DIR": models_dir,
           "UPSCALER_USER_MODELS_DIR": os.path.abspath(a.user_models) if a.user_models else os.path.join(WORK, "no-user-models")}
    models = catalog(models_dir, a.user_models)
    if a.models:
        wanted = a.models.split(",")
        models = [m for m in models if m["id"] in wanted]
    parts = set(a.parts.split(","))
    sets = prepare()
    results = json.load(open(a.out)) if os.path.exists(a.out) else {}
    results["cpu"] = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    results["cores"] = os.cpu_count()
    results.pop("load_average_at_start", None)   # per run, so meaningless here: speed rows carry their own
    res = results.setdefault("models", {})
    bic = results.setdefault("bicubic", {})

    def sr(model, set_name, scale, d=0.0):
        out, _, _ = run(model["id"], set_name, scale, d, a.cli, env, a.fresh)
        return lambda f: output(out, f, scale)

    for m in models:
        r = res.setdefault(m["id"], {})
        r.update({k: m[k] for k in ("kind", "scale", "origin", "params", "flops", "denoise")})
        t0 = time.time()
        if "bench" in parts:
            for bench in ("Set5", "Set14"):
                r[f"{bench}x4"] = psnr_set(f"{bench}x4", 4, sr(m, f"{bench}x4", 4))
                if m["scale"] == 2:
                    r[f"{bench}x2"] = psnr_set(f"{bench}x2", 2, sr(m, f"{bench}x2", 2))
        if "val" in parts:
            scales = [4] + ([2] if m["scale"] == 2 else [])
            for s in scales:
                r[f"val-x{s}"] = psnr_set(f"val-x{s}", s, sr(m, f"val-x{s}", s))
                r[f"valdeg-x{s}"] = psnr_set(f"valdeg-x{s}", s, sr(m, f"valdeg-x{s}", s))
                if m["denoise"]:
                    r[f"valdeg-x{s}-d1"] = psnr_set(f"valdeg-x{s}", s, sr(m, f"valdeg-x{s}", s, 1.0))
                    r[f"valdeg-x{s}-auto"] = psnr_set(f"valdeg-x{s}", s, sr(m, f"valdeg-x{s}", s, "auto"))
        if "faces" in parts:
            r["faces-x4"] = psnr_set("faces-x4", 4, sr(m, "faces-x4", 4))
        if "ocr" in parts:
            for size in OCR_SIZES:
                page = sr(m, f"ocr{size}-x4", 4)("page.png")
                r[f"cer{size}"] = ocr_cer(size, sets["ocr"][str(size)], page)
        if "strips" in parts:
            run(m["id"], "strips-x4", 4, 0.0, a.cli, env, a.fresh)
        if "speed" in parts:
            speed_set = "speed-small" if (m["flops"] or 0) > 1e7 else "speed"
            _, seconds, _ = run(m["id"], speed_set, m["scale"], 0.0, a.cli, env, a.fresh)
            mp = (256 * 192 if speed_set == "speed-small" else 512 * 384) / 1e6
            timed = [seconds[f] for f in ("b.png", "c.png")]
            r["s_per_mp"] = round(float(np.mean(timed)) / mp, 2)
            r["speed_input"] = "256x192" if speed_set == "speed-small" else "512x384"
            # the machine is shared: the 1-minute load average when the timing ended says how shared
            r["speed_load_average"] = round(os.getloadavg()[0], 1)
        print(m["id"], json.dumps({k: v for k, v in r.items() if k not in ("kind", "origin", "params", "flops")}),
              f"({time.time() - t0:.0f} s)", flush=True)
        json.dump(results, open(a.out, "w"), indent=1)

    if "bench" in parts:
        for bench in ("Set5", "Set14"):
            for s in (4, 2):
                bic[f"{bench}x{s}"] = psnr_set(f"{bench}x{s}", s, bicubic(f"{bench}x{s}", s))
    if "val" in parts:
        for s in (4, 2):
            bic[f"val-x{s}"] = psnr_set(f"val-x{s}", s, bicubic(f"val-x{s}", s))
            bic[f"valdeg-x{s}"] = psnr_set(f"valdeg-x{s}", s, bicubic(f"valdeg-x{s}", s))
    if "faces" in parts:
        bic["faces-x4"] = psnr_set("faces-x4", 4, bicubic("faces-x4", 4))
    if "ocr" in parts:
        for size in OCR_SIZES:
            bic[f"cer{size}"] = ocr_cer(size, sets["ocr"][str(size)], bicubic(f"ocr{size}-x4", 4)("page.png"))

    if "strips" in parts and not a.models and not a.user_models:
        listed = [m["id"] for m in catalog(models_dir, None)]
        crops = {"coffee.png": COFFEE_CROP, "astronaut.png": (slice(36, 164), slice(160, 288))}
        for fname, (ys, xs) in crops.items():
            if fname not in sets["strips-x4"]["files"]:
                continue
            hr = load(os.path.join(WORK, "hr", "strips-x4", fname))
            panels = [("HR", hr[ys, xs]), ("bicubic", bicubic("strips-x4", 4)(fname)[ys, xs])]
            for mid in listed:
                out = os.path.join(WORK, "out", mid, "strips-x4-s4-d0")
                panels.append((label(mid), output(out, fname, 4)[ys, xs]))
            strip(panels, os.path.join(a.cards, f"open-{fname[:-4]}.png"), columns=5)
        # text: the first line of the 24 px page (Liberation Sans), 320 px wide
        sent, y, h, w = sets["ocr"]["24"][0]
        hr = load(os.path.join(WORK, "hr", "ocr24-x4", "page.png"))
        ys, xs = slice(y, y + h), slice(0, min(w, 320))
        panels = [("HR", hr[ys, xs]), ("bicubic", bicubic("ocr24-x4", 4)("page.png")[ys, xs])]
        for mid in listed:
            panels.append((label(mid), output(os.path.join(WORK, "out", mid, "ocr24-x4-s4-d0"), "page.png", 4)[ys, xs]))
        strip(panels, os.path.join(a.cards, "open-text.png"), label_width=150)

    json.dump(results, open(a.out, "w"), indent=1)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
