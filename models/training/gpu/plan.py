"""What the GPU kit trains: the two network sizes (tiers) and the job list (one job per shipped model).

Tiers (CompactSR: features x body convs; LeakyReLU 0.1, denoise strength as the 4th input channel,
receptiveField = blocks + 2, exact). Chosen from the engine's measured CPU speed (measure_tiers.py;
numbers in README.md "Tiers"):
  * fast:    at most 2x the FLOPs per pixel of today's 48x10 (the drop-in replacements, same ids);
  * quality: at most 8x (new ids with -hq, and the sharp model).

Jobs share the GPU in one loop (train_all.py). `weight` = optimiser steps per round, `start` =
fraction of the training time after which a job begins (specialists are fine-tuned from a general
job's weights at that moment, unless --resume finds their own checkpoint), `init_from` = the job
whose current weights a late job starts from.
"""
from dataclasses import dataclass, field, replace

TIERS = {"fast": (64, 11), "quality": (64, 24)}      # (features, blocks); see README.md "Tiers"
SMOKE_TIERS = {"fast": (8, 2), "quality": (12, 3)}


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str                 # general | face | text | sharp
    scale: int
    tier: str                 # fast | quality
    lr_patch: int             # LR crop side
    batch: int
    lr: float = 5e-4
    lr_min: float = 1e-6
    weight: int = 1
    start: float = 0.0
    init_from: str = None
    extra: dict = field(default_factory=dict)

    @property
    def domain(self):
        """The data a job's batches come from (jobs with equal domain keys share batches)."""
        return (self.kind, self.scale, self.lr_patch, self.batch)


# The host sets the pace on an H100/H200: a fast step is ~1,900 PyTorch ops (6.5 ms at batch 64 on the
# H200 in the first run, about what the host needs to issue them), so a larger batch adds samples at
# almost no cost in steps per second (README.md "Runs").
BATCH = 128

JOBS = [
    JobSpec("general-x4", "general", 4, "fast", lr_patch=64, batch=BATCH),
    JobSpec("general-x2", "general", 2, "fast", lr_patch=96, batch=BATCH),
    JobSpec("general-x4-hq", "general", 4, "quality", lr_patch=64, batch=BATCH, weight=3),
    JobSpec("general-x2-hq", "general", 2, "quality", lr_patch=96, batch=BATCH, weight=2),
    JobSpec("face-x4", "face", 4, "fast", lr_patch=64, batch=BATCH, lr=2e-4, start=0.4, init_from="general-x4"),
    JobSpec("face-x2", "face", 2, "fast", lr_patch=96, batch=BATCH, lr=2e-4, start=0.4, init_from="general-x2"),
    JobSpec("text-x4", "text", 4, "fast", lr_patch=48, batch=BATCH, lr=3e-4, start=0.4, init_from="general-x4"),
    JobSpec("text-x2", "text", 2, "fast", lr_patch=96, batch=BATCH, lr=3e-4, start=0.4, init_from="general-x2"),
    # photos (GAN + distillation + FFT) and text (pixel loss only) in every step; see sharp.py
    JobSpec("sharp-x4", "sharp", 4, "quality", lr_patch=64, batch=24, lr=1e-4, weight=2, start=0.5,
            init_from="general-x4-hq", extra={"text_batch": 8, "text_lr_patch": 48}),
]

FACE_GENERAL_SHARE = 0.15     # photo patches in each face batch (keeps non-face behaviour)
FACE_TARGET_DB = 0.8          # issue #17: a face model's PSNR-Y gain over general-x{s} on held-out aligned crops
DATA_REUSE = 4                # each degraded batch serves this many rounds, turned (banks.Reused)
TEXT_BANK = 6000              # rendered text/UI/icon scenes (bundle.TEXT_VAL_SIZE px)
RESUME_LR_FACTOR = 0.5        # a resumed job restarts its cosine from half its peak LR
START_AFTER_RESUMED_SOURCE = 0.1   # a late job whose init_from job was resumed starts this early


def smoke_jobs():
    """Tiny sizes for the CPU smoke run: same jobs, same code paths."""
    out = []
    for j in JOBS:
        lp = {4: 12, 2: 16}[j.scale]
        extra = dict(j.extra)
        if j.kind == "sharp":
            extra.update(text_batch=1, text_lr_patch=12)
        out.append(replace(j, lr_patch=lp, batch=2 if j.kind != "sharp" else 2, weight=1,
                           start=min(j.start, 0.3), extra=extra))
    return out


def jobs(smoke=False, only=None):
    js = smoke_jobs() if smoke else list(JOBS)
    if only:
        want = set(only)
        unknown = want - {j.id for j in js}
        if unknown:
            raise ValueError(f"unknown job(s) {sorted(unknown)}; known: {[j.id for j in js]}")
        js = [j for j in js if j.id in want]
        ids = {j.id for j in js}
        js = [replace(j, init_from=j.init_from if j.init_from in ids else None,
                      start=j.start if j.init_from in ids else 0.0) for j in js]
    return js


def tier(spec, smoke=False):
    return (SMOKE_TIERS if smoke else TIERS)[spec.tier]
