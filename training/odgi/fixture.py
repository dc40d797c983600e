"""Frozen CI test set for the app: a handful of test-split tiles (JPEG) + boxes JSON.

    /usr/bin/python3 training/odgi/fixture.py     # -> test/fixtures/aerial/

Copies the JPEG files of the frozen test split byte for byte (they are what the
generator wrote: training/odgi/dataset.py --split test --n 300, seeds 3000000+i)
and writes test/fixtures/aerial/boxes.json. Selection is deterministic: in seed
order, tiles with at least 4 objects until 10 are taken, plus the first 2 empty
tiles and the first tile of any class still missing; total size < 2 MB. The tiles are 1024 px: exactly one stage-1 tile of the
ODGI models at their operating point (4x reduction to the 256 px stage-1 input).
"""
from __future__ import annotations

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dataset import SPLIT_SEED, TILES, list_split  # noqa: E402
from gen import CLASSES  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "test", "fixtures", "aerial")
N_OBJ, N_EMPTY, MIN_OBJECTS, MAX_BYTES = 10, 2, 4, 2_000_000


def select(items):
    full, empty, total = [], [], 0
    for j in items:
        lab = json.load(open(j))
        size = os.path.getsize(j[:-5] + ".jpg")
        n = len(lab["boxes"])
        if n >= MIN_OBJECTS and len(full) < N_OBJ and total + size < MAX_BYTES - 300_000:
            full.append(j)
            total += size
        elif n == 0 and len(empty) < N_EMPTY:
            empty.append(j)
            total += size
        if len(full) >= N_OBJ and len(empty) >= N_EMPTY:
            break
    # every class present at least once
    have = {c for j in full for c in json.load(open(j))["classes"]}
    for k in range(len(CLASSES)):
        if k in have:
            continue
        for j in items:
            if j not in full and k in json.load(open(j))["classes"]:
                full.append(j)
                have |= set(json.load(open(j))["classes"])
                break
    return sorted(full + empty)


def main():
    items = list_split("test", TILES)
    if not items:
        raise SystemExit("generate the test split first: training/odgi/dataset.py --split test --n 300")
    sel = select(items)
    if os.path.isdir(OUT):
        for f in os.listdir(OUT):
            if f.endswith(".jpg"):
                os.remove(os.path.join(OUT, f))
    os.makedirs(OUT, exist_ok=True)
    tiles = []
    for j in sel:
        lab = json.load(open(j))
        name = f"tile-{lab['seed']}.jpg"
        shutil.copyfile(j[:-5] + ".jpg", os.path.join(OUT, name))
        tiles.append({"file": name, "width": lab["size"], "height": lab["size"], "seed": lab["seed"], "gsd_m": round(lab["gsd"], 4),
                      "boxes": lab["boxes"], "classes": lab["classes"]})
    doc = {
        "description": "Frozen ODGI CI set: synthetic overhead tiles from the frozen test split, boxes [x1,y1,x2,y2] in pixels, classes index class_names.",
        "class_names": CLASSES,
        "generation": {"command": "/usr/bin/python3 training/odgi/dataset.py --split test --n 300 && /usr/bin/python3 training/odgi/fixture.py",
                       "generator": "training/odgi/gen.py (assets: training/odgi/prepare.py from Debian flightgear-data-base 1:2020.3.16+dfsg-1, GPL-2+)",
                       "seeds": f"test split seed = {SPLIT_SEED['test']} + i; tile seed in each entry",
                       "selection": f"seed order: first {N_OBJ} tiles with >= {MIN_OBJECTS} objects, first {N_EMPTY} empty tiles, plus the first tile of any class still missing"},
        "tiles": tiles,
        "objects": sum(len(t["boxes"]) for t in tiles),
    }
    with open(os.path.join(OUT, "boxes.json"), "w") as f:
        json.dump(doc, f, indent=1)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{OUT}: {len(tiles)} tiles, {doc['objects']} objects, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
