"""Training data for PIC: the corpus (training/corpus) as random multi-scale crops, and the GPU pack."""
from __future__ import annotations

import json
import os
import random

import torch
import torch.nn.functional as F

# numpy and PIL are imported lazily: the GPU job (GpuPackSampler) needs only torch.

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(REPO, "training", "data", "cache", "corpus")
GPU_PACK = os.path.join(REPO, "training", "data", "cache", "gpu", "pic", "pack.pt")
IMG_EXT = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")


def corpus_paths(split: str, corpus: str = CORPUS):
    man = os.path.join(corpus, "manifest.json")
    if not os.path.exists(man):
        raise SystemExit(f"{man} missing: run `/usr/bin/python3 training/corpus/build.py` first")
    m = json.load(open(man))
    return [os.path.join(corpus, r["file"]) for r in m["images"] if r["split"] == split]


def folder_paths(d: str):
    out = []
    for root, _dirs, files in os.walk(d):
        out += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMG_EXT)]
    return out


def load_images(paths, short_side: int):
    """Decode to RGB uint8 arrays with the short side resized to `short_side` (never upscaled much)."""
    import numpy as np
    from PIL import Image
    ims = []
    for p in paths:
        im = Image.open(p).convert("RGB")
        s = short_side / min(im.size)
        if s < 1.0 or min(im.size) < short_side:
            im = im.resize((max(short_side, round(im.size[0] * s)), max(short_side, round(im.size[1] * s))),
                           Image.BICUBIC if s > 1 else Image.LANCZOS)
        ims.append(np.asarray(im, dtype=np.uint8))
    return ims


class CropSampler:
    """Random multi-scale square crops + horizontal flips + mild brightness/saturation jitter (CPU, PIL)."""

    def __init__(self, images, size: int, min_frac: float = 0.25, seed: int = 0):
        import numpy as np
        from PIL import Image
        self.np, self.Image = np, Image
        self.images, self.size, self.min_frac = images, size, min_frac
        self.rng = random.Random(seed)

    def one(self):
        np, Image = self.np, self.Image
        r = self.rng
        a = self.images[r.randrange(len(self.images))]
        H, W = a.shape[:2]
        short = min(H, W)
        lo = max(self.size * 0.75, self.min_frac * short)
        s = int(round(np.exp(r.uniform(np.log(min(lo, short)), np.log(short)))))
        y, x = r.randint(0, H - s), r.randint(0, W - s)
        im = Image.fromarray(a[y:y + s, x:x + s]).resize((self.size, self.size), Image.BILINEAR if s <= self.size
                                                         else Image.LANCZOS)
        if r.random() < 0.5:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        t = np.asarray(im, dtype=np.float32) / 255.0
        gray = t.mean(-1, keepdims=True)
        t = gray + (t - gray) * r.uniform(0.85, 1.15)                    # saturation jitter
        t = t * r.uniform(0.9, 1.1)                                       # brightness jitter
        return np.clip(t, 0, 1)

    def batch(self, n):
        return torch.from_numpy(self.np.stack([self.one() for _ in range(n)])).permute(0, 3, 1, 2).contiguous()


def center_crops(images, size):
    import numpy as np
    from PIL import Image
    out = []
    for a in images:
        H, W = a.shape[:2]
        s = min(H, W)
        y, x = (H - s) // 2, (W - s) // 2
        im = Image.fromarray(a[y:y + s, x:x + s]).resize((size, size), Image.LANCZOS)
        out.append(np.asarray(im, dtype=np.float32) / 255.0)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous()


class GpuPackSampler:
    """Whole uint8 pack on the device; random crops/flips/jitter with affine_grid + grid_sample on the device."""

    def __init__(self, pack_path: str, size: int, device, seed: int = 0, min_frac: float = 0.6):
        z = torch.load(pack_path, map_location="cpu")                 # dict of uint8 tensors (no numpy needed)
        self.train = z["train"].to(device)                            # [M,S,S,3] uint8
        self.val = z["val"].to(device)                                # [V,size,size,3] uint8
        self.size, self.device, self.min_frac = size, device, min_frac
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)

    def _rand(self, *shape):
        return torch.rand(*shape, generator=self.gen, device=self.device)

    def batch(self, n):
        M, S = self.train.shape[0], self.train.shape[1]
        idx = torch.randint(0, M, (n,), generator=self.gen, device=self.device)
        img = self.train[idx].permute(0, 3, 1, 2).float() / 255.0       # [n,3,S,S]
        lo = max(self.min_frac, self.size / S * 0.75)
        scale = torch.exp(torch.log(torch.tensor(lo, device=self.device)) * self._rand(n))   # crop side / S in [lo, 1]
        cx = (self._rand(n) * 2 - 1) * (1 - scale)
        cy = (self._rand(n) * 2 - 1) * (1 - scale)
        flip = torch.where(self._rand(n) < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=self.device)
        theta[:, 0, 0] = scale * flip
        theta[:, 0, 2] = cx
        theta[:, 1, 1] = scale
        theta[:, 1, 2] = cy
        grid = F.affine_grid(theta, (n, 3, self.size, self.size), align_corners=False)
        out = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
        gray = out.mean(1, keepdim=True)
        out = gray + (out - gray) * (0.85 + 0.3 * self._rand(n, 1, 1, 1))
        out = out * (0.9 + 0.2 * self._rand(n, 1, 1, 1))
        return out.clamp(0, 1)

    def val_batch(self):
        return self.val.permute(0, 3, 1, 2).float() / 255.0
