#!/usr/bin/env python3
"""Pack the corpus train/val images into one file of uint8 tensors (torch.save) for device-side training (gpu_job.sh).

    /usr/bin/python3 training/pic/pack_gpu.py [--out training/data/cache/gpu/pic/pack.pt] [--max-mib 24]

train: square crops of side S (1 per image, 2 for images with aspect >= 1.7: both ends), resized with
Lanczos from the short side; S is the largest of 160/152/144/136/128 that keeps the pack under
--max-mib. val: one centre crop per image at 128x128. Arrays are NHWC uint8 RGB.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402


def square_crops(path, S):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)
    boxes = [((w - s) // 2, (h - s) // 2)]
    if max(w, h) / s >= 1.7:
        boxes = [(0, 0), (w - s, h - s)]
    return [np.asarray(im.crop((x, y, x + s, y + s)).resize((S, S), Image.LANCZOS), dtype=np.uint8) for x, y in boxes]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=D.GPU_PACK)
    ap.add_argument("--corpus", default=D.CORPUS)
    ap.add_argument("--max-mib", type=float, default=24.5)
    ap.add_argument("--val-size", type=int, default=128)
    args = ap.parse_args(argv)
    train_paths = D.corpus_paths("train", args.corpus)
    val_paths = D.corpus_paths("val", args.corpus)
    vc = D.center_crops([np.asarray(Image.open(p).convert("RGB")) for p in val_paths], args.val_size)
    val = np.ascontiguousarray((vc.permute(0, 2, 3, 1).numpy() * 255.0 + 0.5).astype(np.uint8))
    for S in (160, 152, 144, 136, 128):
        n_crops = sum(len(square_crops(p, 8)) for p in train_paths)
        if (n_crops * S * S * 3 + val.nbytes) / 2 ** 20 <= args.max_mib:
            break
    train = np.stack([c for p in train_paths for c in square_crops(p, S)])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    import torch
    torch.save({"train": torch.from_numpy(train), "val": torch.from_numpy(val)}, args.out)
    meta = {"train": list(train.shape), "val": list(val.shape), "S": S, "bytes": os.path.getsize(args.out),
            "source": "training/corpus manifest (split train / val)", "n_train_images": len(train_paths),
            "n_val_images": len(val_paths)}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print(f"[pack] {args.out}: train {train.shape} val {val.shape} ({meta['bytes'] / 2 ** 20:.1f} MiB)")


if __name__ == "__main__":
    main()
