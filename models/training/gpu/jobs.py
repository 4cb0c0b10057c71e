"""One training job = one model being trained: its network, EMA copy, optimiser, schedule, step,
checkpoint. The loop in train_all.py only calls step() and never waits for the GPU: losses stay
on the device until a log line needs them.

  * Adam (betas 0.9, 0.99), cosine LR over the job's own window (its start to the end of the
    training time) after a 3% linear warm-up; gradient norm clipped at 1;
  * bf16 autocast and channels_last on CUDA (float32 on the CPU smoke run);
  * an exponential moving average of the weights (decay 0.999, shorter at the start) is what
    gets validated, exported and checkpointed;
  * SharpJob adds the discriminator, the teacher and the losses of sharp.py.
"""
import contextlib
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from model import CompactSR       # noqa: E402
import sharp                      # noqa: E402

CKPT_FORMAT = 1
WARMUP = 0.03
EMA_DECAY = 0.999
CLIP = 1.0


def make_adam(params, lr, device):
    kw = dict(lr=lr, betas=(0.9, 0.99))
    if device.type == "cuda":
        try:
            return torch.optim.Adam(params, fused=True, **kw)        # torch >= 2.0
        except (TypeError, RuntimeError):
            pass
    return torch.optim.Adam(params, **kw)


class Job:
    def __init__(self, spec, features, blocks, device):
        self.spec, self.device = spec, device
        self.cuda = device.type == "cuda"
        self.model = CompactSR(spec.scale, features, blocks).to(device)
        self.ema = CompactSR(spec.scale, features, blocks).to(device).eval()
        if self.cuda:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.ema.load_state_dict(self.model.state_dict())
        for q in self.ema.parameters():
            q.requires_grad_(False)
        self.opt = make_adam(self.model.parameters(), spec.lr, device)
        self.peak_lr = spec.lr
        self.active, self.t_start = False, None
        self.steps = 0
        self.samples = 0
        self.history = []             # earlier runs (from a resumed checkpoint)
        self.init_note = "from scratch"
        self.loss_sum = torch.zeros((), device=device)
        self.loss_n = 0

    # -------------------------------------------------------------------- weights
    def load_weights(self, state, note, lr_factor=1.0):
        own = self.model.state_dict()
        missing = [k for k in own if k not in state or state[k].shape != own[k].shape]
        if missing:
            raise ValueError(f"{self.spec.id}: {note} does not fit this network ({missing[:2]} ...)")
        w = {k: state[k].float() for k in own}
        self.model.load_state_dict(w)
        self.ema.load_state_dict(w)
        self.peak_lr = self.spec.lr * lr_factor
        self.init_note = note

    def activate(self, t_start):
        self.active, self.t_start = True, t_start

    def lr_at(self, frac):
        if frac < WARMUP:
            return self.peak_lr * (0.1 + 0.9 * frac / WARMUP)
        f = (frac - WARMUP) / (1 - WARMUP)
        return self.spec.lr_min + 0.5 * (self.peak_lr - self.spec.lr_min) * (1 + math.cos(math.pi * min(1.0, f)))

    def autocast(self):
        if self.cuda:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _prep(self, x):
        return x.contiguous(memory_format=torch.channels_last) if self.cuda else x

    def _update_ema(self):
        n = self.steps
        decay = min(EMA_DECAY, (1 + n) / (10 + n))
        with torch.no_grad():
            e = [p for p in self.ema.parameters()]
            m = [p.detach() for p in self.model.parameters()]
            try:
                torch._foreach_mul_(e, decay)
                torch._foreach_add_(e, m, alpha=1 - decay)
            except (AttributeError, RuntimeError):
                for a, b in zip(e, m):
                    a.mul_(decay).add_(b, alpha=1 - decay)

    def _set_lr(self, opt, frac, scale=1.0):
        lr = self.lr_at(frac) * scale
        for g in opt.param_groups:
            g["lr"] = lr
        return lr

    # ----------------------------------------------------------------------- step
    def step(self, batch, frac):
        lr_img, d, hr = batch
        self._set_lr(self.opt, frac)
        with self.autocast():
            sr = self.model(self._prep(lr_img), d)
            loss = F.l1_loss(sr.float(), hr)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
        self.opt.step()
        self._finish(loss.detach(), hr.shape[0])

    def _finish(self, loss, n):
        self.steps += 1
        self.samples += n
        self.loss_sum += loss
        self.loss_n += 1
        self._update_ema()

    def take_loss(self):
        """Mean loss since the last call (synchronises: for log lines only)."""
        v = float(self.loss_sum) / max(1, self.loss_n)
        self.loss_sum.zero_()
        self.loss_n = 0
        return v

    # ---------------------------------------------------------------- checkpoint
    def checkpoint(self, run_record):
        """What --resume reads: fp16 EMA weights and the training history (small enough to commit)."""
        s = self.spec
        meta = {"id": s.id, "kind": s.kind, "scale": s.scale, "tier": s.tier,
                "features": self.ema.features, "blocks": self.ema.blocks, "history": self.history + [run_record]}
        # metadata as one JSON string: torch 1.13's weights_only loader reads tensors, ints and
        # strings but not floats
        return {"format": CKPT_FORMAT, "meta": json.dumps(meta),
                "ema": {k: v.detach().to("cpu", torch.float16) for k, v in self.ema.state_dict().items()}}


def read_checkpoint(path):
    """(meta dict, fp16 state dict) of a checkpoint written by Job.checkpoint."""
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:                      # a torch without weights_only
        ck = torch.load(path, map_location="cpu")
    if ck.get("format") != CKPT_FORMAT:
        raise ValueError(f"{path}: checkpoint format {ck.get('format')}, this kit reads {CKPT_FORMAT}")
    return json.loads(ck["meta"]), ck["ema"]


class SharpJob(Job):
    """Adversarial fine-tune of a fidelity network (sharp.py)."""
    W_PIXEL, W_KD, W_FFT, W_GAN = 1.0, 1.0, 0.05, 0.1
    D_WARMUP = 0.1       # fraction of the job's window in which only the discriminator learns

    def __init__(self, spec, features, blocks, device, teacher=None):
        super().__init__(spec, features, blocks, device)
        self.teacher = teacher
        self.disc = sharp.UNetDiscriminator().to(device)
        if self.cuda:
            self.disc = self.disc.to(memory_format=torch.channels_last)
        self.opt_d = make_adam(self.disc.parameters(), spec.lr, device)
        self.parts = {k: torch.zeros((), device=device) for k in ("pix", "kd", "fft", "gan", "d")}

    def _disc(self, x):
        """The discriminator in float32 (TF32 on CUDA), outside autocast: spectral norm's power
        iteration under bf16 autocast broke in some torch releases (pytorch#125544), and the
        discriminator is small next to the generator's work."""
        ctx = torch.autocast(device_type="cuda", enabled=False) if self.cuda else contextlib.nullcontext()
        with ctx:
            return self.disc(self._prep(x.float()))

    def step(self, batch, frac):
        lr_img, d, hr = batch["photo"]
        self._set_lr(self.opt, frac)
        self._set_lr(self.opt_d, frac)
        gan_on = frac >= self.D_WARMUP
        with self.autocast():
            sr = self.model(self._prep(lr_img), d)
            pix = F.l1_loss(sr.float(), sharp.usm_sharp(hr))
            loss = self.W_PIXEL * pix
            if self.teacher is not None:
                with torch.no_grad():
                    target = self.teacher(self._prep(lr_img)).float().clamp(0, 1)
                kd = F.l1_loss(sr.float(), target)
                loss = loss + self.W_KD * kd
                self.parts["kd"] += kd.detach()
            fft = sharp.fft_amplitude_l1(sr, hr)
            loss = loss + self.W_FFT * fft
            if gan_on:
                for q in self.disc.parameters():
                    q.requires_grad_(False)
                gan = sharp.bce_logits(self._disc(sr), True)
                loss = loss + self.W_GAN * gan
                self.parts["gan"] += gan.detach()
            if batch["text"] is not None:
                t_lr, t_d, t_hr = batch["text"]
                t_sr = self.model(self._prep(t_lr), t_d)
                loss = loss + self.W_PIXEL * F.l1_loss(t_sr.float(), t_hr) * t_hr.shape[0] / hr.shape[0]
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
        self.opt.step()
        for q in self.disc.parameters():
            q.requires_grad_(True)
        d_loss = sharp.bce_logits(self._disc(hr), True) + sharp.bce_logits(self._disc(sr.detach()), False)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        self.parts["pix"] += pix.detach()
        self.parts["fft"] += fft.detach()
        self.parts["d"] += d_loss.detach()
        self._finish(loss.detach(), hr.shape[0] + (batch["text"][2].shape[0] if batch["text"] else 0))

    def take_loss(self):
        n = max(1, self.loss_n)
        parts = {k: round(float(v) / n, 4) for k, v in self.parts.items()}
        for v in self.parts.values():
            v.zero_()
        return {"total": super().take_loss(), **parts}
