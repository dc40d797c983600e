"""Portable checkpoints: ckpt.json (metadata + tensor index) + ckpt.bin (raw little-endian
float32/int64 bytes). Independent of torch's pickle format, so a checkpoint written by
torch 2.x on the GPU machine loads in torch 1.13 here (and vice versa)."""
from __future__ import annotations

import json
import os

import torch

DTYPES = {"float32": torch.float32, "int64": torch.int64}


def _dump(f, state, prefix, index):
    for k, v in state.items():
        t = v.detach().to("cpu").contiguous()
        if t.dtype == torch.float32:
            dt = "float32"
        elif t.dtype in (torch.int64, torch.long):
            dt = "int64"
        else:
            t = t.float()
            dt = "float32"
        try:
            b = t.numpy().tobytes()
        except Exception:  # torch without numpy
            b = bytes(t.reshape(-1).view(torch.uint8).tolist())
        index.append({"key": prefix + k, "dtype": dt, "shape": list(t.shape), "offset": f.tell(), "length": len(b)})
        f.write(b)


def save_checkpoint(out_dir, s1, s2, meta):
    os.makedirs(out_dir, exist_ok=True)
    tmp_bin = os.path.join(out_dir, "ckpt.bin.tmp")
    index = []
    with open(tmp_bin, "wb") as f:
        _dump(f, s1.state_dict(), "stage1.", index)
        _dump(f, s2.state_dict(), "stage2.", index)
    tmp_json = os.path.join(out_dir, "ckpt.json.tmp")
    with open(tmp_json, "w") as f:
        json.dump({"format": "odgi-portable-1", "meta": meta, "tensors": index}, f)
    os.replace(tmp_bin, os.path.join(out_dir, "ckpt.bin"))
    os.replace(tmp_json, os.path.join(out_dir, "ckpt.json"))


def load_checkpoint(path):
    """path: ckpt.json or its folder. Returns (meta, stage1_state, stage2_state)."""
    if os.path.isdir(path):
        path = os.path.join(path, "ckpt.json")
    with open(path) as f:
        ck = json.load(f)
    with open(path[:-5] + ".bin", "rb") as f:
        blob = f.read()
    s1, s2 = {}, {}
    for e in ck["tensors"]:
        raw = bytearray(blob[e["offset"]:e["offset"] + e["length"]])
        t = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).clone() if e["length"] else torch.zeros(e["shape"], dtype=DTYPES[e["dtype"]])
        if e["key"].startswith("stage1."):
            s1[e["key"][7:]] = t
        else:
            s2[e["key"][7:]] = t
    return ck["meta"], s1, s2
