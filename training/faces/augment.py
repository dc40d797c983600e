"""Augmentation that looks like our users' photos: old prints (grayscale,
sepia), blur, sensor noise, heavy JPEG, low light, small faces (a face of
12-48 px scaled up to the crop), plus the detector's jitter (small shifts,
scale and roll) and mirror images. Works on the 128 px uint8 crops."""
import io
import math

import numpy as np
from PIL import Image, ImageFilter

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], dtype=np.float32)


def augment(img, rng, strength=1.0):
    """img: HxWx3 uint8; rng: np.random.Generator. Returns HxWx3 uint8."""
    size = img.shape[0]
    im = Image.fromarray(img)
    # Detector jitter: roll +-10 deg, scale 0.9-1.1, shift +-5 %, outside black (as the app's crop).
    a = math.radians(rng.uniform(-10, 10))
    s = rng.uniform(0.9, 1.1)
    tx, ty = rng.uniform(-0.05, 0.05, 2) * size
    c = size / 2
    cos, sin = math.cos(a) / s, math.sin(a) / s
    im = im.transform((size, size), Image.AFFINE, (cos, sin, c - cos * c - sin * c + tx, -sin, cos, c + sin * c - cos * c + ty), resample=Image.BILINEAR)
    if rng.random() < 0.5:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    if rng.random() < 0.25 * strength:  # small faces
        side = int(rng.integers(12, 49))
        im = im.resize((side, side), Image.BILINEAR).resize((size, size), Image.BILINEAR)
    if rng.random() < 0.2 * strength:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    x = np.asarray(im, dtype=np.float32)
    r = rng.random()
    if r < 0.25 * strength:  # black-and-white print
        g = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = np.repeat(g[..., None], 3, axis=2)
    elif r < 0.4 * strength:  # sepia
        x = np.clip(x @ SEPIA.T, 0, 255)
    else:  # mild colour cast / saturation
        g = x.mean(2, keepdims=True)
        x = g + (x - g) * rng.uniform(0.7, 1.3) + rng.uniform(-10, 10, 3).astype(np.float32)
    if rng.random() < 0.2 * strength:  # low light
        x = 255.0 * (np.clip(x, 0, 255) / 255.0) ** rng.uniform(1.0, 2.2) * rng.uniform(0.3, 0.8)
    else:  # contrast / brightness
        x = (x - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
    if rng.random() < 0.2 * strength:
        x = x + rng.normal(0, rng.uniform(3, 15), x.shape)
    out = np.clip(x, 0, 255).astype(np.uint8)
    if rng.random() < 0.3 * strength:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, "JPEG", quality=int(rng.integers(15, 71)))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return out
