"""Large synthetic scenes as tiled, georeferenced GeoTIFFs (+ ground-truth JSON).

    /usr/bin/python3 training/odgi/scenes.py                 # 8192, 16384 and 20000 px scenes
    /usr/bin/python3 training/odgi/scenes.py --size 8192     # one scene

Writes training/data/cache/odgi/scenes/scene-<size>.tif and scene-<size>.json
(not committed: 0.2-1 GB each). The TIFF is RGB uint8, 512x512 tiles, deflate +
horizontal predictor, with reduced-resolution overview pages (2x ... until < 512 px,
NewSubfileType=1) and GeoTIFF georeferencing: ModelPixelScale (gsd, gsd, 0),
ModelTiepoint (0,0,0 -> easting, northing), GeoKeys: projected, PixelIsArea,
EPSG 32633 (WGS 84 / UTM zone 33N). The JSON has the boxes [x1,y1,x2,y2] in
pixels of the full-resolution image, classes, and the georeferencing.

Scenes are *sparse*: mostly fields and forest with a few roads (traffic queues),
parking lots, a shore with marinas and boats, sometimes an apron with light
aircraft, farm buildings, trees, hard negatives and lone vehicles. Same renderer
and assets as the training tiles (gen.py); requires python3-tifffile.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402
from gen import CLASSES, DEFAULT_PACK, Assets, Scene  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "training", "data", "cache", "odgi", "scenes")
SCENES = {8192: 51, 16384: 52, 20000: 53}  # size -> seed
EPSG = 32633
GSD = 0.125
BLOCK = 1024
TILE = 512


def make_scene(A, size, seed):
    rng = random.Random(seed)
    sc = Scene(size, size, GSD, rng)
    sc.strict = True
    gen.layout_ground(sc, A, rng)
    area_km2 = (size * GSD / 1000) ** 2
    # a shore with marinas
    gen.add_water(sc, A, rng, marina=True, boats=True)
    # roads with traffic, parking lots next to some of them
    for _ in range(max(2, int(2 * math.sqrt(area_km2)) + 1)):
        rd = gen.add_road(sc, A, rng, with_traffic=True, traffic_p=0.9)
        if rng.random() < 0.8:
            p = gen._along(rd["pts"], rng.uniform(0.3, 0.7) * gen.polyline_length(rd["pts"]))
            if p:
                x, y, hd = p
                off = rng.uniform(40, 90) / GSD
                cx, cy = x - math.sin(hd) * off, y + math.cos(hd) * off
                if 0.05 * size < cx < 0.95 * size and 0.05 * size < cy < 0.95 * size and not sc.on_water(cx, cy, 80 / GSD):
                    gen.add_parking(sc, A, rng, cx, cy)
                    gen.add_buildings(sc, A, rng, rng.randint(2, 6), near=(cx, cy))
    if rng.random() < 0.7:
        gen.add_apron(sc, A, rng)
    for _ in range(int(6 * area_km2) + 2):
        gen.add_buildings(sc, A, rng, rng.randint(1, 4), near=(rng.uniform(0, size), rng.uniform(0, size)))
    for _ in range(int(25 * area_km2) + 5):
        gen.add_trees(sc, A, rng, rng.randint(5, 40))
    gen.add_negatives(sc, A, rng, int(40 * area_km2) + 5)
    gen.add_lone(sc, A, rng, int(30 * area_km2) + 3)
    sc.sensor = gen.sample_sensor(rng, jpeg=True)
    sc.sensor["jpeg"] = rng.randint(80, 92)
    return sc


def render_strip(A, sc, y0, h):
    """Renders rows [y0, y0+h) block by block -> uint8 (h, W, 3) numpy."""
    W = sc.W
    out = np.zeros((h, W, 3), np.uint8)
    for x0 in range(0, W, BLOCK):
        w = min(BLOCK, W - x0)
        img = gen.render_region(A, sc, x0, y0, w, h)
        out[:, x0:x0 + w] = (img * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    return out


def geokeys(epsg):
    # GeoKeyDirectory: header (1,1,0,N) + (key, location 0, count 1, value)
    keys = [(1024, 0, 1, 1),      # GTModelTypeGeoKey = ModelTypeProjected
            (1025, 0, 1, 1),      # GTRasterTypeGeoKey = RasterPixelIsArea
            (3072, 0, 1, epsg)]   # ProjectedCSTypeGeoKey
    flat = [1, 1, 0, len(keys)]
    for k in keys:
        flat += list(k)
    return flat


def write_scene(A, size, seed, out_dir=OUT):
    import tifffile

    os.makedirs(out_dir, exist_ok=True)
    t0 = time.time()
    sc = make_scene(A, size, seed)
    boxes, cls = gen.labels_for(sc, 0, 0, size, size)
    t_layout = time.time() - t0
    # georeferencing: a UTM 33N position (easting, northing of the top-left corner)
    r = random.Random(seed + 1)
    E0 = round(r.uniform(400000, 600000), 1)
    N0 = round(r.uniform(5500000, 6000000), 1)
    extratags = [
        (33550, "d", 3, (GSD, GSD, 0.0), True),                     # ModelPixelScaleTag
        (33922, "d", 6, (0.0, 0.0, 0.0, E0, N0, 0.0), True),         # ModelTiepointTag
        (34735, "H", len(geokeys(EPSG)), tuple(geokeys(EPSG)), True),  # GeoKeyDirectoryTag
    ]
    levels = []
    n = size
    while n > TILE:
        n = (n + 1) // 2
        levels.append(n)
    ov = [np.zeros((s, s, 3), np.uint8) for s in levels]
    tif_path = os.path.join(out_dir, f"scene-{size}.tif")
    tmp = tif_path + ".tmp"
    ntx = (size + TILE - 1) // TILE

    def tiles():
        for ty in range(ntx):
            y0 = ty * TILE
            h = min(TILE, size - y0)
            strip = render_strip(A, sc, y0, h)
            # overviews by 2x box averaging of the strip
            cur = torch.from_numpy(strip).permute(2, 0, 1).float()[None]
            yy = y0
            for li, s in enumerate(levels):
                cur = F.avg_pool2d(cur, 2, ceil_mode=True)
                yy = yy // 2
                arr = (cur[0] + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
                hh = min(arr.shape[0], s - yy)
                ov[li][yy:yy + hh, :arr.shape[1]] = arr[:hh, :s]
            pad = np.zeros((TILE, ntx * TILE, 3), np.uint8)
            pad[:h, :size] = strip
            for tx in range(ntx):
                yield pad[:, tx * TILE:(tx + 1) * TILE]
            if ty % 4 == 0:
                print(f"scene {size}: row {ty + 1}/{ntx} ({time.time() - t0:.0f}s)", flush=True)

    bigtiff = size * size * 3 * 1.34 > 3.5e9
    with tifffile.TiffWriter(tmp, bigtiff=bigtiff) as tw:
        tw.write(tiles(), shape=(size, size, 3), dtype=np.uint8, tile=(TILE, TILE), photometric="rgb",
                 compression="zlib", predictor=True, extratags=extratags, description=None, metadata=None,
                 software="iriscope training/odgi/scenes.py")
        for arr in ov:
            tw.write(arr, tile=(TILE, TILE) if arr.shape[0] >= TILE else None, photometric="rgb", compression="zlib",
                     predictor=True, subfiletype=1, metadata=None)
    os.replace(tmp, tif_path)
    per_class = {c: sum(1 for k in cls if k == i) for i, c in enumerate(CLASSES)}
    meta = {"image": os.path.basename(tif_path), "width": size, "height": size, "gsd_m": GSD, "epsg": EPSG,
            "origin": [E0, N0], "pixel_scale": [GSD, GSD], "tile": TILE, "overviews": levels, "seed": seed,
            "generator": "training/odgi/scenes.py", "boxes": [[round(v, 2) for v in b] for b in boxes], "classes": cls,
            "class_names": CLASSES, "objects": len(boxes), "objects_per_class": per_class,
            "render_seconds": round(time.time() - t0, 1), "layout_seconds": round(t_layout, 1),
            "bytes": os.path.getsize(tif_path)}
    with open(os.path.join(out_dir, f"scene-{size}.json"), "w") as f:
        json.dump(meta, f)
    print(f"wrote {tif_path}: {len(boxes)} objects {per_class}, {os.path.getsize(tif_path) / 2**20:.0f} MiB, {time.time() - t0:.0f}s")
    return meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, action="append", help="scene size(s); default 8192 16384 20000")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    A = Assets(DEFAULT_PACK)
    for s in a.size or sorted(SCENES):
        write_scene(A, s, SCENES.get(s, s), a.out)


if __name__ == "__main__":
    main()
