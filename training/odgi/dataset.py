"""Frozen train/val/test tiles (JPEG + JSON labels) and the torch Dataset.

    /usr/bin/python3 training/odgi/dataset.py --split test --n 300
    /usr/bin/python3 training/odgi/dataset.py --split val --n 300
    /usr/bin/python3 training/odgi/dataset.py --split train --n 3000

Tile i of a split is generated from seed SPLIT_SEED[split] + i, so any subset
can be regenerated and the splits never overlap. Output:
training/data/cache/odgi/tiles/<split>/<seed>.jpg and <seed>.json
({"seed", "gsd", "size", "boxes": [[x1,y1,x2,y2],...] px, "classes": [...], "sensor"}).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen import CLASSES, DEFAULT_PACK  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
TILES = os.path.join(REPO, "training", "data", "cache", "odgi", "tiles")
SPLIT_SEED = {"train": 1_000_000, "val": 2_000_000, "test": 3_000_000}
# generator version per frozen split: the train split was made with v1 (about 40% empty
# tiles); val/test with v2 (about 25%); see gen.GEN_VERSION
SPLIT_VERSION = {"train": 1, "val": 2, "test": 2}


def generate(split, n, start=0, size=1024, out=TILES, stride=1, offset=0, version=None):
    from gen import Assets, make_tile

    torch.set_num_threads(1)
    A = Assets(DEFAULT_PACK)
    d = os.path.join(out, split)
    os.makedirs(d, exist_ok=True)
    t0 = time.time()
    done = 0
    for i in range(start + offset, start + n, stride):
        seed = SPLIT_SEED[split] + i
        jp = os.path.join(d, f"{seed}.jpg")
        if os.path.exists(jp) and os.path.exists(jp[:-4] + ".json"):
            continue
        u8, boxes, cls, meta = make_tile(A, seed, size, jpeg="pil", version=version or SPLIT_VERSION[split])
        with open(jp + ".tmp", "wb") as f:
            f.write(meta.pop("jpeg_bytes"))
        os.replace(jp + ".tmp", jp)
        with open(jp[:-4] + ".json", "w") as f:
            json.dump({"seed": seed, "gsd": meta["gsd"], "size": size, "boxes": [[round(v, 2) for v in b] for b in boxes],
                       "classes": cls, "class_names": CLASSES, "sensor": meta["sensor"], "gen_version": meta["version"]}, f)
        done += 1
        if done % 50 == 0:
            print(f"{split}: {done} tiles, {(time.time() - t0) / done:.2f} s/tile", flush=True)
    print(f"{split}: generated {done} tiles in {time.time() - t0:.0f}s", flush=True)


def list_split(split, root=TILES):
    return sorted(glob.glob(os.path.join(root, split, "*.json")))


def load_item(json_path):
    """-> uint8 (3,H,W) tensor, boxes float (N,4), classes long (N,)"""
    from PIL import Image
    import numpy as np

    with open(json_path) as f:
        lab = json.load(f)
    im = np.asarray(Image.open(json_path[:-5] + ".jpg").convert("RGB"))
    img = torch.from_numpy(im.copy()).permute(2, 0, 1).contiguous()
    boxes = torch.tensor(lab["boxes"], dtype=torch.float32).view(-1, 4)
    cls = torch.tensor(lab["classes"], dtype=torch.long)
    return img, boxes, cls


class TileFolder(torch.utils.data.Dataset):
    def __init__(self, split, root=TILES, limit=None):
        self.split, self.root, self.limit = split, root, limit
        self.rescan()

    def rescan(self):
        self.items = list_split(self.split, self.root)
        if self.limit:
            self.items = self.items[:self.limit]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return load_item(self.items[i])


class OnTheFly(torch.utils.data.Dataset):
    """Generates tiles from the asset pack (used on the GPU machine). Torch only."""

    def __init__(self, pack=DEFAULT_PACK, base_seed=SPLIT_SEED["train"], n=10 ** 7, size=1024):
        self.pack, self.base, self.n, self.size = pack, base_seed, n, size
        self.A = None

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        from gen import Assets, make_tile

        if self.A is None:
            torch.set_num_threads(1)
            self.A = Assets(self.pack)
        u8, boxes, cls, _ = make_tile(self.A, self.base + i, self.size, jpeg="torch")
        return u8, torch.tensor(boxes, dtype=torch.float32).view(-1, 4), torch.tensor(cls, dtype=torch.long)


def downsample_u8(u8, k):
    """(3,H,W) uint8 -> (3,H/k,W/k) uint8 box (area) average; PIL if available, else torch."""
    try:
        import numpy as np
        from PIL import Image

        im = Image.fromarray(u8.permute(1, 2, 0).numpy()).reduce(k)
        return torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1).contiguous()
    except ImportError:
        x = torch.nn.functional.avg_pool2d(u8.float()[None], k)[0]
        return (x + 0.5).clamp(0, 255).to(torch.uint8)


class Augmented(torch.utils.data.Dataset):
    """Random flips / transpose and occasional zero padding (edge tiles) applied to the
    uint8 tile and its boxes in the loader workers; also returns the stage-1 input (uint8,
    area-downsampled by s1_down)."""

    def __init__(self, ds, s1_down=4, seed=0):
        self.ds, self.k, self.seed = ds, s1_down, seed
        self.calls = 0

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        import random as _r

        from train import augment

        self.calls += 1
        wi = torch.utils.data.get_worker_info()
        rng = _r.Random((self.seed * 1000003 + i * 7919 + self.calls * 104729 + (wi.id if wi else 0)) & 0x7FFFFFFF)
        img, boxes, cls = self.ds[i]
        img, boxes, keep = augment(img, boxes, rng)
        if keep is not None:
            boxes, cls = boxes[keep], cls[keep]
        return img.contiguous(), downsample_u8(img.contiguous(), self.k), boxes, cls


def collate_aug(batch):
    return torch.stack([b[0] for b in batch]), torch.stack([b[1] for b in batch]), [b[2] for b in batch], [b[3] for b in batch]


def collate(batch):
    imgs = torch.stack([b[0] for b in batch])
    return imgs, [b[1] for b in batch], [b[2] for b in batch]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True, choices=list(SPLIT_SEED))
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--out", default=TILES)
    ap.add_argument("--stride", type=int, default=1, help="with --offset: split work between processes")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--version", type=int, default=None, help="generator version (default: the split's, SPLIT_VERSION)")
    a = ap.parse_args()
    generate(a.split, a.n, a.start, a.size, a.out, a.stride, a.offset, a.version)


if __name__ == "__main__":
    main()
