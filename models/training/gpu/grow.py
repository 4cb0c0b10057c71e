"""Start a bigger CompactSR from a smaller trained one (the shipped models), so a GPU job begins
where the CPU-trained model left off instead of at the nearest-upsampling plateau.

Why: a plain stack of 11-24 convolutions started from scratch (the residual's last conv near
zero) sits on the nearest-upsampling solution for thousands of steps: the first GPU run
(2026-11-27, README.md "Runs") trained 64x11 for 1,531 and 64x24 for 4,593 steps of 64 crops
without leaving it, and on the CPU a 64x3 already stalls where 64x1 learns (gpu/diagnose.py and
the notes in README.md). Growing a trained network sidesteps the plateau:

  * wider (F -> F'): the new channels get small random incoming weights and zero outgoing
    weights, so the grown network computes exactly what the small one did, and the new
    channels still receive gradients (their outgoing weights do, through their activations);
  * deeper (N -> N' body convs): the extra convs are identities (a centred Dirac kernel, zero
    bias) inserted after the existing ones. After a LeakyReLU an identity conv and its
    LeakyReLU pass positive values unchanged and scale negative ones by 0.1 once more, so the
    function changes a little (grow() reports by how much on a test input); fine-tuning starts
    from there.
"""
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from model import CompactSR      # noqa: E402

NEW_WEIGHT_STD = 1e-3            # incoming weights of added channels


def _convs(net):
    return [m for m in net.body if isinstance(m, nn.Conv2d)]


@torch.no_grad()
def grow(small: CompactSR, features: int, blocks: int, seed: int = 0) -> CompactSR:
    """A CompactSR(small.scale, features, blocks) that starts as `small` (see the module doc)."""
    if features < small.features or blocks < small.blocks:
        raise ValueError(f"cannot shrink {small.features}x{small.blocks} to {features}x{blocks}")
    g = torch.Generator().manual_seed(seed)
    big = CompactSR(small.scale, features, blocks)
    src, dst = _convs(small), _convs(big)
    f0 = small.features
    for c in dst:
        c.weight.zero_()
        c.bias.zero_()
    # first conv: 4 -> F
    dst[0].weight[:f0] = src[0].weight
    dst[0].bias[:f0] = src[0].bias
    dst[0].weight[f0:] = torch.randn(dst[0].weight[f0:].shape, generator=g) * NEW_WEIGHT_STD
    # the small net's body convs, then identities
    for i in range(1, blocks + 1):
        w = dst[i].weight
        if i <= small.blocks:
            w[:f0, :f0] = src[i].weight
            dst[i].bias[:f0] = src[i].bias
        else:
            for k in range(features):
                w[k, k, 1, 1] = 1.0
        w[f0:, :] += torch.randn(w[f0:, :].shape, generator=g) * NEW_WEIGHT_STD    # new rows only
    # last conv: F -> 3 s^2, the new channels' outgoing weights stay zero
    dst[-1].weight[:, :f0] = src[-1].weight
    dst[-1].bias[:] = src[-1].bias
    return big


@torch.no_grad()
def change_db(small: CompactSR, big: CompactSR, size: int = 48, seed: int = 0) -> float:
    """PSNR (dB) between the two networks' outputs on a smooth random input: how far growing moved
    the function (inf when exact)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.interpolate(torch.rand(1, 3, size // 4, size // 4, generator=g), size=(size, size),
                                        mode="bicubic", align_corners=False).clamp(0, 1)
    d = torch.tensor([0.5])
    a, b = small.eval()(x, d), big.eval()(x, d)
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)
