"""Colorization quality metrics on 8-bit sRGB images (numpy only; evaluate.py and its tests use them).

All images are float arrays [H, W, 3] in 0..1 (or stacks [N, H, W, 3]) unless said otherwise.
"""
from __future__ import annotations

import math

import numpy as np

PSNR_CAP = 100.0  # dB for identical images (mse = 0)

# sRGB (D65) -> XYZ, and the D65 white point, as in skimage / the app's lab.ts
_M = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 [..., 3] -> CIE Lab [..., 3] (L 0..100)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    lin = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = lin @ _M.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], -1)


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    """PSNR in dB of two images in 0..1; identical images give PSNR_CAP."""
    mse = float(np.mean((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2))
    return PSNR_CAP if mse <= 1e-10 else min(PSNR_CAP, 10 * math.log10(1.0 / mse))


def _gauss_filter(img: np.ndarray, sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    """Separable Gaussian 11x11 'valid' filter over the first two axes of [H, W, C]."""
    t = np.arange(-radius, radius + 1)
    g = np.exp(-t ** 2 / (2 * sigma ** 2))
    g /= g.sum()
    H, W = img.shape[:2]
    k = 2 * radius + 1
    rows = sum(g[i] * img[i:H - k + 1 + i] for i in range(k))
    return sum(g[i] * rows[:, i:W - k + 1 + i] for i in range(k))


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM over the 3 sRGB channels (Gaussian 11x11, sigma 1.5; Wang et al. 2004 constants)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    C1, C2 = 0.01 ** 2, 0.03 ** 2
    mx, my = _gauss_filter(x), _gauss_filter(y)
    sxx = _gauss_filter(x * x) - mx ** 2
    syy = _gauss_filter(y * y) - my ** 2
    sxy = _gauss_filter(x * y) - mx * my
    s = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx ** 2 + my ** 2 + C1) * (sxx + syy + C2))
    return float(s.mean())


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk (2003) M on sRGB 0..255: sqrt(sd_rg² + sd_yb²) + 0.3·sqrt(mu_rg² + mu_yb²)."""
    v = np.asarray(rgb, np.float64) * 255.0
    R, G, B = v[..., 0], v[..., 1], v[..., 2]
    rg = R - G
    yb = 0.5 * (R + G) - B
    return float(math.sqrt(rg.var() + yb.var()) + 0.3 * math.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


def diversity(grids: np.ndarray) -> float:
    """Mean pairwise ab distance (Lab units, per grid cell) between N samples' ab grids [N, 2, h, w]."""
    g = np.asarray(grids, np.float64)
    N = g.shape[0]
    if N < 2:
        return 0.0
    d = np.sqrt(((g[:, None] - g[None, :]) ** 2).sum(2)).mean(axis=(2, 3))
    return float(d.sum() / (N * (N - 1)))


def hue_chroma(lab: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Hue angle (degrees 0..360, of the mean a, b) and mean chroma of the Lab pixels under mask."""
    a = lab[..., 1][mask]
    b = lab[..., 2][mask]
    if a.size == 0:
        return float("nan"), float("nan")
    hue = math.degrees(math.atan2(float(b.mean()), float(a.mean()))) % 360.0
    return hue, float(np.sqrt(a ** 2 + b ** 2).mean())


def hue_in(h: float, lo: float, hi: float) -> bool:
    return lo <= h <= hi


# Skin: real skin of every ethnicity sits at Lab hue ~30-80° (orange-red to yellow) with chroma ~8-40.
SKIN_HUE = (15.0, 90.0)
SKIN_MIN_CHROMA = 6.0


def skin_plausible(hue: float, chroma: float) -> bool:
    return hue_in(hue, *SKIN_HUE) and chroma >= SKIN_MIN_CHROMA


def colour_regions(real_lab: np.ndarray) -> dict[str, np.ndarray]:
    """Pixels the *real* photo says are vegetation (green-yellow hue, chroma > 12) or sky (blue hue,
    chroma > 8, L > 40, top half). These stand in for segmentation: no pretrained segmenter is used."""
    L, a, b = real_lab[..., 0], real_lab[..., 1], real_lab[..., 2]
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    chroma = np.sqrt(a ** 2 + b ** 2)
    H = real_lab.shape[0]
    top = np.zeros(real_lab.shape[:2], bool)
    top[: H // 2] = True
    return {
        "vegetation": (hue >= 95) & (hue <= 150) & (chroma > 12),
        "sky": (hue >= 220) & (hue <= 290) & (chroma > 8) & (L > 40) & top,
    }


def region_agreement(out_lab: np.ndarray, mask: np.ndarray, lo: float, hi: float, min_chroma: float) -> float:
    """Fraction of the masked pixels whose output hue lies in [lo, hi] with chroma >= min_chroma."""
    if not mask.any():
        return float("nan")
    a, b = out_lab[..., 1][mask], out_lab[..., 2][mask]
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    ok = (hue >= lo) & (hue <= hi) & (np.sqrt(a ** 2 + b ** 2) >= min_chroma)
    return float(ok.mean())


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """The gray photo the colorizer sees and returns without colour: sRGB with R = G = B and the same Lab L."""
    L = srgb_to_lab(rgb)[..., 0]
    fy = (L + 16) / 116
    Y = np.where(fy > 6 / 29, fy ** 3, (fy - 4 / 29) * 3 * (6 / 29) ** 2)
    v = np.where(Y > 0.0031308, 1.055 * np.power(np.clip(Y, 0, None), 1 / 2.4) - 0.055, 12.92 * Y)
    return np.repeat(np.clip(v, 0, 1)[..., None], 3, axis=-1)


def skin_mask(real_lab: np.ndarray, box) -> np.ndarray:
    """Skin pixels of one face: the centre of the face box (cheeks, nose, mouth; x 25-75 %, y 40-85 %)
    where the real photo's colour is skin-like (leaves out beards, glasses, background)."""
    H, W = real_lab.shape[:2]
    x, y, w, h = box[:4]
    m = np.zeros((H, W), bool)
    x0, x1 = int(max(0, x + 0.25 * w)), int(min(W, x + 0.75 * w))
    y0, y1 = int(max(0, y + 0.40 * h)), int(min(H, y + 0.85 * h))
    m[y0:y1, x0:x1] = True
    a, b = real_lab[..., 1], real_lab[..., 2]
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    return m & (hue >= SKIN_HUE[0]) & (hue <= SKIN_HUE[1]) & (np.sqrt(a ** 2 + b ** 2) >= 4)
