"""A tiny, version-independent asset pack: index.json + blobs.bin (zlib chunks).

Reading needs only the standard library and torch (no numpy, no PIL), so the
same pack works on the GPU machine whatever else is installed there.
"""
from __future__ import annotations

import json
import os
import zlib

PACK_FILES = ("index.json", "blobs.bin")


class PackWriter:
    def __init__(self, root):
        os.makedirs(root, exist_ok=True)
        self.root = root
        self.f = open(os.path.join(root, "blobs.bin"), "wb")
        self.entries = []
        self.meta = {}

    def add(self, key, array_u8, **meta):
        """array_u8: numpy uint8 array (C-contiguous)."""
        import numpy as np

        a = np.ascontiguousarray(array_u8, dtype=np.uint8)
        data = zlib.compress(a.tobytes(), 6)
        off = self.f.tell()
        self.f.write(data)
        self.entries.append({"key": key, "shape": list(a.shape), "offset": off, "length": len(data), **meta})

    def close(self, **meta):
        self.f.close()
        with open(os.path.join(self.root, "index.json"), "w") as f:
            json.dump({"version": 1, "entries": self.entries, **meta}, f, indent=1)


def read_pack(root):
    """Returns (index dict, list of (entry, uint8 torch tensor))."""
    import torch

    with open(os.path.join(root, "index.json")) as f:
        index = json.load(f)
    out = []
    with open(os.path.join(root, "blobs.bin"), "rb") as f:
        blob = f.read()
    for e in index["entries"]:
        raw = zlib.decompress(blob[e["offset"]:e["offset"] + e["length"]])
        t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(e["shape"]).clone()
        out.append((e, t))
    return index, out
