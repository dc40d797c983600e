#!/usr/bin/env python3
"""(Re)generate the `files` list (path, sha256, bytes) of models/<id>/manifest.json.

    /usr/bin/python3 training/pic/manifest_files.py models/pic-cpu64 [more dirs]

Lists every file the app loads: the graph files named in `graphs` plus any other *.onnx / *.json
data file in the folder (not manifest.json itself, not MODEL_CARD.md or images).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

LOADED_EXT = (".onnx", ".bin", ".json")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def update(model_dir: str) -> dict:
    man_path = os.path.join(model_dir, "manifest.json")
    man = json.load(open(man_path))
    names = {g["file"] for g in man.get("graphs", {}).values()}
    names |= {f for f in os.listdir(model_dir) if f.endswith(LOADED_EXT) and f != "manifest.json"}
    man["files"] = [{"path": n, "sha256": sha256(os.path.join(model_dir, n)),
                     "bytes": os.path.getsize(os.path.join(model_dir, n))} for n in sorted(names)]
    with open(man_path, "w") as f:
        json.dump(man, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return man


if __name__ == "__main__":
    for d in sys.argv[1:] or ["models/pic-cpu64"]:
        m = update(d)
        print(d, [(x["path"], x["bytes"]) for x in m["files"]])
