"""Builds the ODGI asset pack from Debian's flightgear-data-base (run locally once).

    /usr/bin/python3 training/odgi/prepare.py            # fetch + extract + pack

1. `apt-get download flightgear-data-base` into training/data/cache/debs/ and
   extracts only the needed folders (dpkg-deb --fsys-tarfile | tar, equivalent to
   `dpkg -x` restricted to those paths) into training/data/cache/fg/. Nothing is
   installed system-wide.
2. Ground textures (natural/agricultural only: urban textures contain real,
   unlabelled cars), water and paved textures -> 384 px squares.
3. AC3D models of road/airport vehicles, small boats and light aircraft (plus
   containers and bales as hard negatives) rendered top-down at 5 cm/px by our
   own rasteriser (ac3d.py): RGBA + height map (decimetres).
4. Everything goes into a pack (pack.py) at training/data/cache/gpu/odgi/
   (< 25 MiB), which is the only input of the generator, locally and on the GPU.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from ac3d import render_topdown  # noqa: E402
from pack import PackWriter  # noqa: E402

CACHE = os.path.join(REPO, "training", "data", "cache")
FG_ROOT = os.path.join(CACHE, "fg")
FG = os.path.join(FG_ROOT, "usr", "share", "games", "flightgear")
PACK_DIR = os.path.join(CACHE, "gpu", "odgi")
DEB_NAME = "flightgear-data-base"
DEB_VERSION = "1:2020.3.16+dfsg-1"
EXTRACT = [
    "Textures/Terrain", "Textures/Runway", "Scenery/Models/Transport", "Scenery/Models/Maritime",
    "Scenery/Models/Aircraft", "Scenery/Models/Airport", "Scenery/Models/Agriculture",
]
TEX_SIZE = 384
SPRITE_GSD = 0.05  # metres per sprite pixel

# Natural / agricultural ground (no settlements), chosen by eye from a contact sheet.
GROUND = [
    "australia-bush-dense-hires", "australia-drycrop-1", "australia-drypasture-winter-1",
    "australia-grassland-green-1", "australia-outback-scrub-hires", "california-grass-hires",
    "california-shrub", "cerrado-crop", "cropgrass-hires", "cropgrass1", "cropwood", "deciduous-hires",
    "dirtrock", "drycrop2", "forest1a", "grass_dry2", "grass_green_hires", "grass_hires", "gravel_brown",
    "gravel_gray", "herbtundra", "iceland_grass", "irrcrop1", "marsh4a", "mixedcrop3", "mixedforest-hires",
    "mud", "naturalcrop1", "pampas-grass-hires", "rice1", "sand_hires", "sand5", "savanna", "shrub1",
    "shrub-southwest", "tundra2", "wash", "drycrop4",
]
WATER = ["water", "water-lake", "water-inland", "tidal"]
PAVED = ["Runway/pa_taxiway", "Runway/pc_taxiway", "Terrain/asphalt", "Runway/lakebed_taxiway"]

NEG_PAT = re.compile(r"container|barrel|kontener|hay_bale|straw_bale|caisses|contain-ba|cargocontainergroup|LuggCartGroup", re.I)
SKIP_PAT = re.compile(
    r"ICE3|Hitachi|metro|Tram|coach|locomotive|wagon|flatcar|switcher|Class_66|LINT|diesel_T153|tender-A4|AirTrain|"
    r"voyager|SRN4|Station|gare|TunnelPortal|carpark_surf|EDDI-Flugverkehr|consbrooms|Volocopter|BlueFlash|"
    r"passerelle|elevator|vehicules_T1|traffic-ba|chariot3curve|lock1|dam|Lighthouse|Shipyard|Ponton|Footbridge|"
    r"pier|digue|palplanche|Buoy|buoy|phare|Phare|PhVieille|PhTouquet|crane|kran|Port-CT|Bruecke|NewportCastle|"
    r"Signal_Tower|beacon|amarre|FeuSaintPol|Oberfeuer|liferaft|Spierentonne|Spitztonne|ODAS|DART|"
    r"glider-trailer|sailplane_trailer|supacat|services|ASK-13_Trailer|Ulm_",
    re.I)
# Rejected after looking at the contact sheet (broken geometry, not top-down-able, odd).
DENY: set = set()


def sh(cmd, **kw):
    print("+", cmd if isinstance(cmd, str) else " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def fetch():
    if all(os.path.isdir(os.path.join(FG, p)) for p in EXTRACT):
        return
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    found = glob.glob(os.path.join(debs, DEB_NAME + "_*.deb"))
    if not found:
        sh(["apt-get", "download", f"{DEB_NAME}={DEB_VERSION}"], cwd=debs)
        found = glob.glob(os.path.join(debs, DEB_NAME + "_*.deb"))
    os.makedirs(FG_ROOT, exist_ok=True)
    pats = " ".join(f"'./usr/share/games/flightgear/{p}/*'" for p in EXTRACT)
    sh(f"dpkg-deb --fsys-tarfile '{found[0]}' | tar -x -C '{FG_ROOT}' --wildcards {pats} './usr/share/doc/*'", shell=True)


def load_tex(path):
    im = Image.open(path).convert("RGB")
    if im.size != (TEX_SIZE, TEX_SIZE):
        im = im.resize((TEX_SIZE, TEX_SIZE), Image.LANCZOS)
    return np.asarray(im, np.uint8)


def classify(rel):
    name = os.path.basename(rel)
    if SKIP_PAT.search(rel) or rel in DENY:
        return None
    if NEG_PAT.search(name):
        return "negative"
    if rel.startswith("Transport/") or rel.startswith("Airport/Vehicle/") or rel.startswith("Airport/Pushback/"):
        return "vehicle"
    if rel.startswith("Maritime/Civilian/") or rel.startswith("Maritime/Misc/Narrowboat"):
        return "boat"
    if rel.startswith("Aircraft/"):
        return "plane"
    if rel.startswith("Agriculture/") and NEG_PAT.search(name):
        return "negative"
    return None


SIZE_LIMITS = {  # (min length, max length, max width) metres
    "vehicle": (2.2, 19.0, 4.0),
    "boat": (3.0, 24.0, 8.0),
    "plane": (4.0, 22.0, 22.0),
    "negative": (1.0, 13.0, 4.0),
}


def render_all(limit=None):
    files = sorted(glob.glob(os.path.join(FG, "Scenery", "Models", "**", "*.ac"), recursive=True))
    out = []
    t0 = time.time()
    for f in files:
        rel = os.path.relpath(f, os.path.join(FG, "Scenery", "Models"))
        cls = classify(rel)
        if cls is None:
            continue
        try:
            r = render_topdown(f, gsd=SPRITE_GSD)
        except Exception as e:  # broken or huge model
            print("skip", rel, e)
            continue
        a = r["rgba"][..., 3]
        ys, xs = np.nonzero(a > 0)
        if len(xs) < 50:
            continue
        rgba = r["rgba"][ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        hgt = r["height"][ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        if rgba.shape[0] > rgba.shape[1]:  # long axis along x (columns)
            rgba = np.transpose(rgba, (1, 0, 2))[:, ::-1]
            hgt = np.transpose(hgt, (1, 0))[:, ::-1]
        L, Wd = rgba.shape[1] * SPRITE_GSD, rgba.shape[0] * SPRITE_GSD
        lo, hi, wmax = SIZE_LIMITS[cls]
        if not (lo <= L <= hi and Wd <= wmax):
            continue
        fill = float((rgba[..., 3] > 0).mean())
        if fill < 0.12:
            print("skip sparse", rel, fill)
            continue
        hgt_dm = np.clip(np.round(hgt * 10), 0, 255).astype(np.uint8)
        sprite = np.dstack([np.clip(rgba * 255 + 0.5, 0, 255).astype(np.uint8), hgt_dm])
        out.append((rel, cls, sprite, L, Wd, float(hgt.max())))
        if limit and len(out) >= limit:
            break
    print(f"rendered {len(out)} sprites in {time.time() - t0:.1f}s")
    return out


def contact_sheet(sprites, path, scale=0.5):
    tiles = []
    for rel, cls, sp, *_ in sprites:
        im = Image.fromarray(sp[..., :4], "RGBA")
        im = im.resize((max(1, int(im.width * scale)), max(1, int(im.height * scale))), Image.LANCZOS)
        bg = Image.new("RGBA", im.size, {"vehicle": (90, 90, 90, 255), "boat": (40, 70, 110, 255), "plane": (120, 120, 100, 255), "negative": (110, 60, 60, 255)}[cls])
        tiles.append(Image.alpha_composite(bg, im).convert("RGB"))
    W = 1800
    x = y = rowh = 0
    pos = []
    for t in tiles:
        if x + t.width > W:
            x, y = 0, y + rowh + 4
            rowh = 0
        pos.append((x, y))
        x += t.width + 4
        rowh = max(rowh, t.height)
    sheet = Image.new("RGB", (W, y + rowh), (255, 255, 255))
    for t, p in zip(tiles, pos):
        sheet.paste(t, p)
    sheet.save(path)
    return pos


def main():
    fetch()
    sprites = render_all()
    if "--sheet" in sys.argv:
        contact_sheet(sprites, "/tmp/odgi_sprites.png")
    w = PackWriter(PACK_DIR)
    tex_dir = os.path.join(FG, "Textures")
    for kind, names in (("ground", GROUND), ("water", WATER), ("paved", PAVED)):
        for n in names:
            p = os.path.join(tex_dir, n + ".png") if "/" in n else os.path.join(tex_dir, "Terrain", n + ".png")
            w.add(f"tex/{kind}/{os.path.basename(n)}", load_tex(p), kind=kind, source=os.path.relpath(p, FG_ROOT))
    counts = {}
    for rel, cls, sp, L, Wd, Hm in sprites:
        counts[cls] = counts.get(cls, 0) + 1
        w.add(f"sprite/{cls}/{rel}", sp, kind="sprite", cls=cls, length_m=round(L, 3), width_m=round(Wd, 3),
              height_m=round(Hm, 3), gsd=SPRITE_GSD, source="usr/share/games/flightgear/Scenery/Models/" + rel)
    w.close(package=f"{DEB_NAME} {DEB_VERSION}", license="GPL-2+ (FlightGear data; see usr/share/doc/flightgear-data-base/copyright)",
            sprite_counts=counts, tex_size=TEX_SIZE)
    tot = sum(os.path.getsize(os.path.join(PACK_DIR, f)) for f in os.listdir(PACK_DIR))
    print("pack", PACK_DIR, f"{tot / 2**20:.1f} MiB", counts)


if __name__ == "__main__":
    main()
