"""Train every model of plan.JOBS at once on one GPU, in one process, one loop; validate, export
fp32 ONNX and checkpoints under --out. run.sh is the entry point (it sets the deadline).

Why one process and one CUDA stream, stepping the jobs in turn: each CompactSR step is a few
milliseconds of GPU work in ~200 kernels, and the host never waits for the device (no .item(),
random numbers shipped with non-blocking copies), so the host queues job B's kernels while the
GPU still runs job A's and the launch cost hides behind the work. Several processes would each
pay CUDA start-up, hold their own copy of the crop banks and compete through time-slicing
(no MPS on the lent machine); several streams would overlap little when every kernel already
fills the GPU. One loop also lets jobs with the same data share each degraded batch, and lets a
specialist start from a general job's weights in the middle of the run.

Time budget (the device's 10-minute command limit): everything is measured from run.sh's start
(--t0). Training gets min(--minutes, deadline - start-up - --reserve-s); checkpoints and ONNX
files are written every --snapshot-min minutes and at the end, so a kill still leaves results.
"""
import argparse
import io
import json
import os
import platform
import sys
import tarfile
import time
import traceback

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(MODELS, "eval"))
import banks                     # noqa: E402
import bundle as bundle_mod      # noqa: E402
import compact_onnx              # noqa: E402
import data                      # noqa: E402
import degrade                   # noqa: E402
import face_crops                # noqa: E402
import grow                      # noqa: E402
import jobs as jobs_mod          # noqa: E402
import plan                      # noqa: E402
from metrics import psnr_y, to_uint8   # noqa: E402
from imresize import imresize    # noqa: E402

DEFAULT_RESUME = os.path.join(HERE, "checkpoints")
FILE_LIMIT = 15_000_000          # bytes per returned file (the device returns files of <= 16 MiB)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=7.0)
    p.add_argument("--smoke", action="store_true", help="tiny sizes, CPU, a tiny bundle built on the fly")
    p.add_argument("--out", required=True)
    p.add_argument("--bundle", default=bundle_mod.DEFAULT_DIR)
    p.add_argument("--resume", nargs="?", const=DEFAULT_RESUME, default=None,
                   help="folder of <id>.pt checkpoints (default models/training/gpu/checkpoints); a job "
                        "without one starts from the shipped ONNX of its id if the sizes match")
    p.add_argument("--jobs", default=None, help="comma list of job ids (default: all of plan.JOBS)")
    p.add_argument("--t0", type=float, default=None, help="epoch seconds the command started (run.sh)")
    p.add_argument("--deadline-s", type=float, default=570, help="everything written by t0 + this")
    p.add_argument("--reserve-s", type=float, default=60, help="kept for the final validation and export")
    p.add_argument("--snapshot-min", type=float, default=2.0)
    p.add_argument("--log-s", type=float, default=30)
    p.add_argument("--batch", type=int, default=None,
                   help="override every job's batch size (a CPU check of the real plan, e.g. --batch 1)")
    p.add_argument("--reuse", type=int, default=plan.DATA_REUSE,
                   help="serve each degraded batch this many times, turned (banks.Reused; 1 = never)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ----------------------------------------------------------------------------- data
class Data:
    """CPU arrays of every domain (built before CUDA starts) and the validation sets."""

    def __init__(self, b, specs, smoke):
        t = time.time()
        self.photos = b.photos()
        # face jobs: the engine's aligned crops of every training size, per scale (each scale's LR
        # has its own detections), and the held-out ones for the device validation
        face_scales = sorted({j.scale for j in specs if j.kind == "face"})
        self.faces = {s: b.aligned("train", s) for s in face_scales}
        self.faces_val = {s: b.aligned("val", s) for s in face_scales}
        self.text = None
        text_specs = [j for j in specs if j.kind == "text" or j.kind == "sharp"]
        if text_specs:
            size = max([j.lr_patch * j.scale for j in specs if j.kind == "text"] +
                       [j.extra.get("text_lr_patch", 0) * j.scale for j in specs if j.kind == "sharp"])
            n = 16 if smoke else plan.TEXT_BANK
            size = max(size, 96)            # text_data.Renderer lays out scenes for >= 96 px
            self.text = banks.text_bank(b.fonts(), b.icons(), self.photos, n, size, procs=1 if smoke else None)
        self.val = {k: b.val(k) for k in ("general", "text")}
        faces = {f"x{s}": (len(v), len(self.faces_val[s])) for s, v in self.faces.items()}
        log(f"data: photos {self.photos.shape}, aligned faces (train, val) {faces}, "
            f"text {None if self.text is None else self.text.shape}, val "
            f"{ {k: len(v) for k, v in self.val.items()} } in {time.time() - t:.1f}s")
        for s, v in self.faces.items():
            if not v:
                log(f"no aligned faces at x{s} in the bundle: face-x{s} trains on photo crops and validates on them")


VAL_SET = {"general": "general", "face": "aligned", "text": "text", "sharp": "general"}


class Validation:
    """Fixed LR inputs per (val set, scale): clean MATLAB bicubic at d = 0 and the requirement's
    degraded input (data.degrade_fixed) at d = 0 and 1, PSNR-Y with `scale` px shaved."""

    def __init__(self, val_sets):
        self.sets, self.cache = val_sets, {}

    def inputs(self, name, s):
        key = (name, s)
        if key not in self.cache:
            items = []
            for i, (_, hr) in enumerate(self.sets[name]):
                hr = hr[: hr.shape[0] // s * s, : hr.shape[1] // s * s]
                clean = data.clean_lr(hr, s)
                deg = to_uint8(data.degrade_fixed(hr, s, seed=1000 + i).permute(1, 2, 0).numpy())
                items.append((hr, clean, deg))
            self.cache[key] = items
        return self.cache[key]

    @torch.no_grad()
    def run(self, net, name, s, device):
        res = {"clean_d0": [], "deg_d0": [], "deg_d1": []}
        was_training = net.training
        net.eval()
        with degrade.no_autotune():             # every image has its own size
            self._run(net, name, s, device, res)
        net.train(was_training)
        return {k: round(float(np.mean(v)), 3) for k, v in res.items() if v}

    def _run(self, net, name, s, device, res):
        for hr, clean, deg in self.inputs(name, s):
            for key, lr, dv in (("clean_d0", clean, 0.0), ("deg_d0", deg, 0.0), ("deg_d1", deg, 1.0)):
                x = torch.from_numpy(lr.astype(np.float32) / 255).permute(2, 0, 1)[None].to(device)
                y = net(x, torch.tensor([dv], device=device)).float()[0].clamp(0, 1).permute(1, 2, 0).cpu().numpy()
                res[key].append(psnr_y(to_uint8(y), hr, s))

    def bicubic(self, name, s):
        return round(float(np.mean([psnr_y(imresize(c, s), hr, s) for hr, c, _ in self.inputs(name, s)])), 3)


class AlignedValidation:
    """Face jobs: face_crops.validate on the bundle's held-out aligned crops (clean d = 0, fixed
    degraded input at d = 0 and 1), its inputs made once per scale."""

    def __init__(self, items):
        self.items, self.cache = items, {}

    def inputs(self, s):
        if s not in self.cache:
            self.cache[s] = face_crops.validation_inputs(self.items[s], s)
        return self.cache[s]

    @torch.no_grad()
    def run(self, net, s, device):
        with degrade.no_autotune():             # every crop has its own size
            v = face_crops.validate(net, self.items[s], s, device, inputs=self.inputs(s))
        return {k: round(x, 3) for k, x in v.items()}

    def bicubic(self, s):
        return round(float(np.mean([psnr_y(imresize(to_uint8(c.permute(1, 2, 0).numpy()), s), ref, s)
                                    for c, _, ref in self.inputs(s)])), 3)


# ---------------------------------------------------------------------- resume/init
def shipped_entry(model_id):
    with open(os.path.join(MODELS, "manifest.json")) as f:
        return next((m for m in json.load(f)["models"] if m["id"] == model_id), None)


def shipped_net(model_id, device):
    """The shipped ONNX of model_id as a CompactSR, or None."""
    e = shipped_entry(model_id)
    if e is None:
        return None
    import onnx
    import model as model_mod
    return model_mod.from_onnx(onnx.load(os.path.join(MODELS, e["file"]))).to(device).eval()


def baseline_id(spec):
    """What a job is compared with on the device: its own shipped model, else the general one."""
    return spec.id if shipped_entry(spec.id) else f"general-x{spec.scale}"


def grow_source(spec):
    """The shipped model a job grows from when it has no checkpoint: its own id, else (general jobs,
    the -hq tier) the fast general model of its scale. The sharp job has none: it starts from the
    quality general job's weights (plan.START_AFTER_RESUMED_SOURCE)."""
    if shipped_entry(spec.id):
        return spec.id
    return f"general-x{spec.scale}" if spec.kind == "general" and shipped_entry(f"general-x{spec.scale}") else None


def resume(job, folder):
    """Weights from folder/<id>.pt, else from the shipped ONNX of the same id and size, else grown
    from a smaller shipped model (grow.py: training from scratch stalls at the nearest-upsampling
    plateau for longer than a GPU session lasts)."""
    path = os.path.join(folder, f"{job.spec.id}.pt")
    if os.path.exists(path):
        meta, ema = jobs_mod.read_checkpoint(path)
        where = os.path.relpath(path, MODELS) if os.path.abspath(path).startswith(MODELS + os.sep) else path
        job.load_weights(ema, f"resumed from {where}", plan.RESUME_LR_FACTOR)
        job.history = list(meta.get("history", []))
        return True
    source = grow_source(job.spec)
    if source is None:
        return False
    net = shipped_net(source, torch.device("cpu"))       # grow_source keeps the job's scale
    size = (job.model.features, job.model.blocks)
    if (net.features, net.blocks) == size:
        job.load_weights(net.state_dict(), f"resumed from the shipped {source}.onnx", plan.RESUME_LR_FACTOR)
        return True
    if net.features > size[0] or net.blocks > size[1]:
        return False
    big = grow.grow(net, *size)
    job.load_weights(big.state_dict(), f"grown from the shipped {source}.onnx ({net.features}x{net.blocks} -> "
                                       f"{size[0]}x{size[1]}, {grow.change_db(net, big):.1f} dB from it)",
                     plan.RESUME_LR_FACTOR)
    return True


def bundle_info(b):
    m = b.manifest
    if m.get("tiny"):
        return {"tiny": True, "used": m.get("used")}
    faces, text = m.get("faces") or {}, m.get("text") or {}     # absent from a bundle built --jobs without them
    return {"photo_crops": m["photos"]["crops"], "debian_photo_crops": m["photos"]["debian"]["crops"],
            "faces_train": faces.get("train"), "faces_aligned": faces.get("aligned", {}).get("train"),
            "fonts": text.get("fonts"), "icons": text.get("icons"), "bytes": m.get("bytes"),
            "teacher": bool(m.get("teacher")), "parts": sorted(b.parts), "built_for": m.get("jobs", "every job")}


# --------------------------------------------------------------------------- output
def pack(out_dir, prefix, members):
    """Write (name, bytes) members into prefix-1.tar, prefix-2.tar, ... of <= FILE_LIMIT each,
    atomically (a kill leaves the previous snapshot). Returns the file names."""
    groups, cur, size = [], [], 0
    for name, blob in members:
        if cur and size + len(blob) + 1024 > FILE_LIMIT:
            groups.append(cur)
            cur, size = [], 0
        cur.append((name, blob))
        size += len(blob) + 1024
    if cur:
        groups.append(cur)
    names = []
    for i, g in enumerate(groups, 1):
        name = f"{prefix}-{i}.tar"
        tmp = os.path.join(out_dir, f"{name}.partial")
        with tarfile.open(tmp, "w") as tf:
            for n, blob in g:
                info = tarfile.TarInfo(n)
                info.size, info.mtime = len(blob), int(time.time())
                tf.addfile(info, io.BytesIO(blob))
        os.replace(tmp, os.path.join(out_dir, name))
        names.append(name)
    for old in os.listdir(out_dir):          # fewer parts than last time: drop the stale ones
        if old.startswith(prefix + "-") and old.endswith(".tar") and old not in names:
            os.remove(os.path.join(out_dir, old))
    return names


def write_json(path, obj):
    with open(path + ".partial", "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(path + ".partial", path)


# ----------------------------------------------------------------------------- main
def main():
    a = parse_args()
    t0 = a.t0 or time.time()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    specs = plan.jobs(a.smoke, a.jobs.split(",") if a.jobs else None)
    if a.batch:
        from dataclasses import replace
        specs = [replace(j, batch=a.batch, extra={**j.extra, **({"text_batch": 1} if "text_batch" in j.extra else {})})
                 for j in specs]

    if a.smoke:
        torch.set_num_threads(2)
        tiny = os.path.join(a.out, "tiny-bundle")
        if not os.path.exists(os.path.join(tiny, "manifest.json")):
            try:
                log("smoke: tiny bundle from", bundle_mod.build_tiny(tiny))
            except FileNotFoundError as e:
                print(f"train_all: smoke run SKIPPED: no images to build a tiny bundle from ({e})")
                return
        b = bundle_mod.Bundle(tiny)
    else:
        try:
            b = bundle_mod.Bundle(a.bundle)
            b.require(specs)
        except (FileNotFoundError, ValueError) as e:
            sys.exit(f"train_all: {e}")
    dat = Data(b, specs, a.smoke)                 # forks the text renderers: before CUDA

    device = torch.device("cuda" if torch.cuda.is_available() and not a.smoke else "cpu")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        log(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
            f"{torch.cuda.get_device_properties(0).total_memory / 2 ** 30:.0f} GiB")
    else:
        log(f"device: CPU ({platform.processor() or platform.machine()}), torch {torch.__version__}")

    photo_bank = banks.DeviceBank(dat.photos, device)
    text_bank = banks.DeviceBank(dat.text, device) if dat.text is not None else None
    sources = {}
    for j in specs:
        if j.domain in sources:
            continue
        if j.kind == "general" or (j.kind == "face" and not dat.faces[j.scale]):
            sources[j.domain] = banks.PairSource(photo_bank, degrade.PhotoDegrader(j.scale, device), j.scale,
                                                 j.lr_patch, j.batch)
        elif j.kind == "face":
            # upright faces (mirrored, never turned) plus a fixed share of photo patches
            deg = degrade.PhotoDegrader(j.scale, device)
            n_photo = int(round(j.batch * plan.FACE_GENERAL_SHARE))
            photos = banks.PairSource(photo_bank, deg, j.scale, j.lr_patch, n_photo) if n_photo else None
            sources[j.domain] = banks.AlignedFaceSource(banks.AlignedFaces(dat.faces[j.scale], j.scale, device), deg,
                                                        j.lr_patch, j.batch, photos)
        elif j.kind == "text":
            sources[j.domain] = banks.PairSource(text_bank, degrade.TextDegrader(j.scale, device), j.scale,
                                                 j.lr_patch, j.batch, dihedral=False)
        else:
            tb = j.extra.get("text_batch", 0)
            sources[j.domain] = banks.SharpSource(
                banks.PairSource(photo_bank, degrade.PhotoDegrader(j.scale, device), j.scale, j.lr_patch, j.batch),
                banks.PairSource(text_bank, degrade.TextDegrader(j.scale, device), j.scale,
                                 j.extra["text_lr_patch"], tb, dihedral=False) if tb else None)

    teacher, teacher_note = None, "none (no teacher in the bundle): sharp trains without distillation"
    if any(j.kind == "sharp" for j in specs) and b.teacher():
        import ncnn_teacher
        teacher = ncnn_teacher.load_teacher(*b.teacher(), device)
        if device.type == "cuda":
            teacher = teacher.to(memory_format=torch.channels_last)
        teacher_note = "realesr-general-x4v3 (ncnn, bundle/teacher)"

    jobs = []
    for s in specs:
        f, bl = plan.tier(s, a.smoke)
        job = (jobs_mod.SharpJob(s, f, bl, device, teacher) if s.kind == "sharp" else jobs_mod.Job(s, f, bl, device))
        job.resumed = bool(a.resume) and resume(job, a.resume)
        jobs.append(job)
    by_id = {j.spec.id: j for j in jobs}
    for j in jobs:
        log(f"job {j.spec.id}: {j.spec.kind} x{j.spec.scale} {j.spec.tier} {j.model.features}x{j.model.blocks} "
            f"({j.model.params():,} params, {j.model.flops_per_lr_pixel() / 1e6:.2f} MFLOP/px), {j.init_note}")

    val = Validation(dat.val)
    aligned_val = AlignedValidation(dat.faces_val)
    elapsed = time.time() - t0
    budget = min(a.minutes * 60, a.deadline_s - elapsed - a.reserve_s)
    if budget < 10:
        sys.exit(f"train_all: only {budget:.0f} s left for training after {elapsed:.0f} s of start-up")
    served = ", ".join(f"{d[0]}-x{d[1]} {banks.Reused(src, a.reuse).times}x" for d, src in sources.items())
    log(f"start-up took {elapsed:.0f} s; training for {budget / 60:.2f} min; each degraded batch served ({served})")

    def run_record():
        return {"date": time.strftime("%Y-%m-%d"), "device": (torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"),
                "torch": str(torch.__version__)}

    def snapshot(final, table=None):
        t = time.time()
        ck, onx = [], []
        for j in jobs:
            if j.t_start is None or j.steps == 0:
                continue
            # the final snapshot comes after validation: count training time only
            window = (t_train + train_s if final else time.time()) - t_train - j.t_start
            rec = {**run_record(), "minutes": round(window / 60, 2), "steps": j.steps, "samples": j.samples,
                   "init": j.init_note, "smoke": a.smoke}
            buf = io.BytesIO()
            torch.save(j.checkpoint(rec), buf)
            ck.append((f"{j.spec.id}.pt", buf.getvalue()))
            m = compact_onnx.build(j.ema.state_dict(), j.spec.scale,
                                   doc=f"CompactSR x{j.spec.scale}: features {j.ema.features}, blocks {j.ema.blocks}, "
                                       f"receptiveField {j.ema.receptive_field}; {j.spec.id} ({j.spec.kind}), GPU kit")
            onx.append((f"{j.spec.id}.onnx", m.SerializeToString()))
        files = pack(a.out, "checkpoints", ck) + pack(a.out, "onnx", onx)
        if a.smoke and final:       # loose copies too (the device's 8-file limit does not apply here)
            os.makedirs(os.path.join(a.out, "onnx"), exist_ok=True)
            for name, blob in onx:
                with open(os.path.join(a.out, "onnx", name), "wb") as f:
                    f.write(blob)
        failed = {j.spec.id: j.failed for j in jobs if getattr(j, "failed", None)}
        summary = {"smoke": a.smoke, "final": final, "failed": failed, "minutes_planned": a.minutes, "train_s": round(budget, 1),
                   "reuse": a.reuse, "teacher": teacher_note, "bundle": bundle_info(b),
                   "device": run_record(), "jobs": table or {}, "files": files}
        write_json(os.path.join(a.out, "summary.json"), summary)
        log(f"snapshot ({'final' if final else 'periodic'}): {', '.join(files)} in {time.time() - t:.1f}s")

    # ------------------------------------------------------------------ the loop
    t_train = time.time()
    for j in jobs:
        if j.spec.start == 0 or j.resumed or not j.spec.init_from:
            j.activate(0.0)
    last_log = last_snap = time.time()
    marks = {j.spec.id: (0, 0.0) for j in jobs}
    reused = {}
    rounds = 0
    while True:
        now = time.time() - t_train
        if now >= budget:
            break
        for j in jobs:
            start = j.spec.start
            if j.spec.init_from and by_id[j.spec.init_from].resumed:
                start = min(start, plan.START_AFTER_RESUMED_SOURCE)   # its source is trained already
            if j.t_start is None and now >= start * budget:
                src = by_id[j.spec.init_from]
                j.load_weights(src.ema.state_dict(), f"fine-tuned from {src.spec.id} at {now / 60:.1f} min")
                j.activate(now)
                log(f"job {j.spec.id} starts ({j.init_note})")
        batches = {}
        for j in jobs:
            if not j.active:
                continue
            frac = (now - j.t_start) / max(1e-6, budget - j.t_start)
            try:
                for r in range(j.spec.weight):
                    key = (j.spec.domain, r)
                    if key not in batches:
                        if key not in reused:     # one per key: a job's r-th steps never see one batch twice in a round
                            reused[key] = banks.Reused(sources[j.spec.domain], a.reuse)
                        batches[key] = reused[key].next(rng)
                    j.step(batches[key], frac)
            except Exception as e:      # one broken job must not cost the others their run
                j.active, j.failed = False, f"{type(e).__name__}: {e}"
                log(f"job {j.spec.id} FAILED at step {j.steps} and stops; the others go on:\n"
                    + traceback.format_exc())
        rounds += 1
        if rounds == 1:
            log(f"first round queued after {time.time() - t_train:.1f} s")
        if time.time() - last_log >= a.log_s:
            if device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.time() - last_log
            parts = []
            for j in jobs:
                if j.active:
                    s0, _ = marks[j.spec.id]
                    parts.append(f"{j.spec.id} {(j.steps - s0) / dt:.1f} st/s loss {j.take_loss()}")
                    marks[j.spec.id] = (j.steps, 0.0)
            mem = f", GPU mem {torch.cuda.max_memory_allocated() / 2 ** 30:.1f} GiB" if device.type == "cuda" else ""
            log(f"t={now / 60:.2f} min, {rounds} rounds{mem}: " + "; ".join(parts))
            last_log = time.time()
        if time.time() - last_snap >= a.snapshot_min * 60:
            snapshot(False)
            last_snap = time.time()
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_s = time.time() - t_train

    # ---------------------------------------------------------- validation, export
    table = {}
    for j in jobs:
        if j.t_start is None or j.steps == 0:
            continue
        vs = VAL_SET[j.spec.kind]
        if vs == "aligned" and not dat.faces_val.get(j.spec.scale):
            vs = "general"                       # a bundle without faces (samples only)
        if vs == "aligned":
            measure, bicubic = (lambda net: aligned_val.run(net, j.spec.scale, device)), aligned_val.bicubic(j.spec.scale)
        else:
            measure, bicubic = (lambda net: val.run(net, vs, j.spec.scale, device)), val.bicubic(vs, j.spec.scale)
        row = {"kind": j.spec.kind, "scale": j.spec.scale, "tier": j.spec.tier,
               "features": j.ema.features, "blocks": j.ema.blocks, "params": j.ema.params(),
               "flops_per_lr_px": j.ema.flops_per_lr_pixel(), "steps": j.steps, "samples": j.samples,
               "minutes": round((train_s - j.t_start) / 60, 2),
               "steps_per_s": round(j.steps / max(1e-6, train_s - j.t_start), 2),
               "samples_per_s": round(j.samples / max(1e-6, train_s - j.t_start), 1),
               "init": j.init_note, "failed": getattr(j, "failed", None),
               "val_set": vs, "val": measure(j.ema), "bicubic_clean": bicubic}
        base = shipped_net(baseline_id(j.spec), device)
        if base is not None:
            row["shipped"] = {"id": baseline_id(j.spec), **measure(base)}
        if j.spec.kind == "face" and baseline_id(j.spec) != f"general-x{j.spec.scale}":
            general = shipped_net(f"general-x{j.spec.scale}", device)     # the target is against it
            if general is not None:
                row["general"] = {"id": f"general-x{j.spec.scale}", **measure(general)}
        table[j.spec.id] = row
    snapshot(True, table)
    print()
    print(f"{'job':15} {'tier':7} {'size':6} {'steps':>6} {'st/s':>6} {'val':8} {'clean d0':>8} {'deg d0':>7} "
          f"{'deg d1':>7} | {'shipped':13} {'clean d0':>8} {'deg d1':>7} | {'bicubic':>7}")
    for k, r in table.items():
        sh = r.get("shipped", {})
        print(f"{k:15} {r['tier']:7} {r['features']}x{r['blocks']:<3} {r['steps']:>6} {r['steps_per_s']:>6} "
              f"{r['val_set']:8} {r['val']['clean_d0']:>8} {r['val']['deg_d0']:>7} {r['val']['deg_d1']:>7} | "
              f"{sh.get('id', '-'):13} {sh.get('clean_d0', '-'):>8} {sh.get('deg_d1', '-'):>7} | {r['bicubic_clean']:>7}")
    for k, r in table.items():
        if "general" in r:
            gain = round(r["val"]["clean_d0"] - r["general"]["clean_d0"], 3)
            print(f"{k}: {r['val_set']} crops clean d0 {r['val']['clean_d0']} dB, shipped {r['shipped']['id']} "
                  f"{r['shipped']['clean_d0']}, {r['general']['id']} {r['general']['clean_d0']} "
                  f"(over general {gain:+.3f} dB; issue #17's target +{plan.FACE_TARGET_DB}; import.py decides)")
    log(f"done: {train_s / 60:.2f} min of training, {time.time() - t0:.0f} s since the command started; "
        f"results in {a.out}")


if __name__ == "__main__":
    main()
