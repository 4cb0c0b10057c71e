"""The sharp model's extra parts: a U-Net discriminator with spectral norm, unsharp-masked
targets, and the frequency loss.

Generator losses on photo crops (all L1-type, per-pixel means):
  * pixel: L1 to the unsharp-masked HR (Real-ESRGAN's "gt_usm": the target itself is a bit crisper);
  * distillation: L1 to the teacher's output on the same LR (realesr-general-x4v3, GAN-trained:
    it stands in for the perceptual loss, since no pretrained VGG can be fetched here);
  * frequency: L1 between the FFT amplitude spectra of output and HR (rewards high-frequency
    energy where the HR has it, without asking for pixel-exact phase);
  * adversarial: the discriminator's per-pixel real/fake logits (BCE), after a warm-up in which
    only the discriminator learns.
On text crops: the pixel loss to the plain HR only, so strokes and letter shapes are held to
the truth and never to what a GAN or the teacher would invent.

The discriminator (after Real-ESRGAN's UNetDiscriminatorSN, written anew): three stride-2
convolutions down, bilinear upsampling with skip connections back to full resolution, spectral
norm on every inner convolution, one logit per pixel; `ch` = 32 keeps it at 1.1M parameters.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from torch.nn.utils.parametrizations import spectral_norm
except ImportError:               # older torch
    from torch.nn.utils import spectral_norm


class UNetDiscriminator(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        sn = spectral_norm
        self.c0 = nn.Conv2d(3, ch, 3, 1, 1)
        self.d1 = sn(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False))
        self.d2 = sn(nn.Conv2d(ch * 2, ch * 4, 4, 2, 1, bias=False))
        self.d3 = sn(nn.Conv2d(ch * 4, ch * 8, 4, 2, 1, bias=False))
        self.u1 = sn(nn.Conv2d(ch * 8, ch * 4, 3, 1, 1, bias=False))
        self.u2 = sn(nn.Conv2d(ch * 4, ch * 2, 3, 1, 1, bias=False))
        self.u3 = sn(nn.Conv2d(ch * 2, ch, 3, 1, 1, bias=False))
        self.e1 = sn(nn.Conv2d(ch, ch, 3, 1, 1, bias=False))
        self.e2 = sn(nn.Conv2d(ch, ch, 3, 1, 1, bias=False))
        self.out = nn.Conv2d(ch, 1, 3, 1, 1)

    def forward(self, x):
        act = lambda t: F.leaky_relu(t, 0.2)
        up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        x0 = act(self.c0(x))
        x1 = act(self.d1(x0))
        x2 = act(self.d2(x1))
        x3 = act(self.d3(x2))
        y = act(self.u1(up(x3))) + x2
        y = act(self.u2(up(y))) + x1
        y = act(self.u3(up(y))) + x0
        y = act(self.e2(act(self.e1(y))))
        return self.out(y)


def _gauss1d(size, sigma, device):
    r = torch.arange(size, device=device, dtype=torch.float32) - size // 2
    g = torch.exp(-0.5 * (r / sigma) ** 2)
    return g / g.sum()


def _sep_blur(x, g):
    C, p = x.shape[1], g.numel() // 2
    x = F.pad(x, (p, p, p, p), mode="reflect")
    x = F.conv2d(x, g.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C)
    return F.conv2d(x, g.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)


def usm_sharp(img, radius=50, weight=0.5, threshold=10):
    """Unsharp mask as Real-ESRGAN sharpens its GT (OpenCV's sigma for a 51-tap kernel), with a
    soft mask that leaves flat areas alone. img (B, 3, H, W) in [0, 1]."""
    k = radius + 1 if radius % 2 == 0 else radius
    k = min(k, 2 * (min(img.shape[-2:]) // 2) - 1)         # reflect padding needs pad < size
    sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8
    g = _gauss1d(k, sigma, img.device)
    residual = img - _sep_blur(img, g)
    mask = (residual.abs() * 255 > threshold).float()
    soft = _sep_blur(mask, g)
    sharp = (img + weight * residual).clamp(0, 1)
    return soft * sharp + (1 - soft) * img


def fft_amplitude_l1(sr, hr):
    """Mean |(|F(sr)| - |F(hr)|)| over the 2-D spectra (orthonormal FFT, float32)."""
    a = torch.fft.rfft2(sr.float(), norm="ortho").abs()
    b = torch.fft.rfft2(hr.float(), norm="ortho").abs()
    return (a - b).abs().mean()


def bce_logits(logits, real):
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits.float(), target)
