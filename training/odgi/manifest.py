"""Regenerates sha256/bytes of every file listed in a model folder's manifest.json.

    /usr/bin/python3 training/odgi/manifest.py models/odgi-cpu [models/odgi-gpu ...]

Also adds any *.onnx in the folder that is not listed yet.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rehash(folder):
    mp = os.path.join(folder, "manifest.json")
    with open(mp) as f:
        man = json.load(f)
    listed = {e["path"] for e in man["files"]}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".onnx") and name not in listed:
            man["files"].append({"path": name, "sha256": "", "bytes": 0})
    for e in man["files"]:
        p = os.path.join(folder, e["path"])
        e["sha256"] = sha256(p)
        e["bytes"] = os.path.getsize(p)
    with open(mp, "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    return man


if __name__ == "__main__":
    for d in sys.argv[1:]:
        m = rehash(d)
        print(d, [(e["path"], e["bytes"], e["sha256"][:12]) for e in m["files"]])
