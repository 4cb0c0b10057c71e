"""PSNR / SSIM exactly as super-resolution papers report them.

  * HR is cropped to a multiple of the scale (done by the caller that makes the LR);
  * both images are uint8 RGB, converted to the Y channel of BT.601 YCbCr in [0,255]
    (studio swing 16..235) and rounded to integers, as MATLAB `rgb2ycbcr` does on
    uint8 images; a grayscale image (2-D array, e.g. Set14 "bridge") is compared on
    its gray values directly, as the reference MATLAB scripts do;
  * `scale` pixels are shaved from every border (the upscaler cannot know the
    border well, and every published table does this);
  * SSIM is Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, 'valid' filtering,
    K1=0.01, K2=0.03, L=255, on Y.
"""
import numpy as np
from scipy.ndimage import correlate1d


def rgb_to_y(img_uint8):
    """Y of BT.601 YCbCr in [16, 235], rounded like MATLAB rgb2ycbcr(uint8).

    A 2-D (grayscale) image is returned unchanged: the reference scripts only convert
    3-channel images, and this is what makes bicubic Set14 x4 come out at 26.00.
    """
    x = img_uint8.astype(np.float64)
    if x.ndim == 2:
        return x
    x = x / 255.0
    return np.round(16.0 + 65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2])


def _shave(y, border):
    return y[border:-border, border:-border] if border > 0 else y


def psnr_y(sr_uint8, hr_uint8, shave):
    a = _shave(rgb_to_y(sr_uint8), shave)
    b = _shave(rgb_to_y(hr_uint8), shave)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def _gaussian_window(size=11, sigma=1.5):
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(x, g):
    # separable Gaussian; the window is normalised so the 2-D window sums to 1
    y = correlate1d(x, g, axis=0, mode="constant")
    y = correlate1d(y, g, axis=1, mode="constant")
    r = len(g) // 2
    return y[r:-r, r:-r]                # keep only fully-covered ('valid') positions


def ssim_y(sr_uint8, hr_uint8, shave):
    a = _shave(rgb_to_y(sr_uint8), shave)
    b = _shave(rgb_to_y(hr_uint8), shave)
    g = _gaussian_window()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _filter_valid(a, g), _filter_valid(b, g)
    s_aa = _filter_valid(a * a, g) - mu_a ** 2
    s_bb = _filter_valid(b * b, g) - mu_b ** 2
    s_ab = _filter_valid(a * b, g) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * s_ab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (s_aa + s_bb + c2))
    return float(ssim_map.mean())


def psnr_rgb_float(sr, hr):
    """Quick PSNR-Y for float [0,1] HxWx3 arrays (used during training validation)."""
    return psnr_y(to_uint8(sr), to_uint8(hr), 0)


def to_uint8(x):
    return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)
