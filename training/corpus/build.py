#!/usr/bin/env python3
"""Build the Iriscope colour-photo corpus from Debian packages (and optional user photos).

One command, reproducible:

    /usr/bin/python3 training/corpus/build.py [--photos DIR ...]

Steps: `apt-get download PKG=VERSION` into the cache (never installed), `dpkg -x`
into the cache, enumerate the raster images we selected per package (plain files,
Qt .rcc bundle entries, Enlightenment .edj JPEG entries), decode, filter
(too small, gray, drawing/render-like, transparent cut-outs, near-duplicates),
record package / version / path / licence, split train/val/test by source image,
write the images to training/data/cache/corpus/images/ and the manifest to
training/corpus/manifest.json (package images only; committed) and
training/data/cache/corpus/manifest.json (everything, incl. --photos; not committed).

See training/corpus/README.md for the output layout.
"""
from __future__ import annotations

import argparse
import fnmatch
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from containers import carve_jpegs, read_rcc  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CACHE = os.path.join(REPO, "training", "data", "cache", "corpus")
COMMITTED_MANIFEST = os.path.join(REPO, "training", "corpus", "manifest.json")
MAX_SIDE = 1024          # stored images: long side at most this (big wallpapers keep detail for crops)
MIN_SHORT_SIDE = 120     # smaller sources are dropped
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # train / val / test, per package group, by source image
# Well-known test images (what others evaluate on): kept in the manifest as split "reference",
# never trained on and never our own evaluation (issue 10; checked by training/pic/eval_sets.py).
REFERENCE_PACKAGES = {
    "python3-skimage": "scikit-image sample data (astronaut, chelsea, coffee, rocket, ...)",
    "python3-scipy": "scipy.datasets / scipy.misc (face, ascent)",
    "python-matplotlib-data": "matplotlib sample_data (grace_hopper, ...)",
    "python3-imageio": "imageio standard images",
    "libjxl-testdata": "JPEG XL test images (flower, the wesaturate 500px set)",
}

Image.MAX_IMAGE_PIXELS = 200_000_000


# --------------------------------------------------------------------------------------
# Sources (Debian bookworm main). Versions pinned so the corpus is reproducible.
# --------------------------------------------------------------------------------------
@dataclass
class Source:
    package: str
    version: str
    kind: str                      # "files" | "rcc" | "edj"
    include: list                  # glob patterns on the installed path ("usr/share/...")
    exclude: list = field(default_factory=list)
    licence_override: dict = field(default_factory=dict)  # basename -> (licence, copyright)
    default_licence: str | None = None   # used when debian/copyright has no better match
    largest_per_dir: bool = False         # several resolutions of one picture: keep the biggest file
    note: str = ""


SCRATCH_DRAWN = ["party-room", "room1", "room2", "room3", "spotlight-stage", "woods-and-bench", "school2", "moon"]
LOMIRI_DROP = ["analogpattern", "umang", "greentock", "Painting-Colors"]
PLASMA_PHOTOS = ["BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
                 "Grey", "Kite", "OneStandsOut", "Path", "summer_1am", "Autumn"]
LXQT_PHOTOS = ["after-the-rain", "appleflower", "beam", "butterfly", "cloud", "drop", "flowers", "fog",
               "this-is-not-windows", "Butterfly-Kenneth-Wimer", "Valendas"]
E_PHOTOS = ["Bamboo", "Dunes", "Foggy-Trees", "God-Rays", "Green-Maple", "Lichen-Branches", "Mountain",
            "Paper-Flower", "Peaks", "Red-Maple", "Sea-of-Lanterns", "Snow-Trees", "Spruce-Needles",
            "Sunset-Clouds", "Sunset-Hills", "White-Flower", "Yellow-Flower"]
GCOMPRIS_BUNDLES = ["categorization", "explore_monuments", "explore_world_animals", "explore_farm_animals",
                    "explore_world_music", "erase", "clickgame", "lang"]
# skimage.data photographs; licences as stated in skimage/data/_fetchers.py docstrings
SKIMAGE = {
    "astronaut.png": ("public-domain", "NASA (Eileen Collins portrait)"),
    "chelsea.png": ("CC0-1.0", "Stefan van der Walt"),
    "coffee.png": ("CC0-1.0", "Rachel Michetti"),
    "rocket.jpg": ("public-domain", "SpaceX"),
}

SOURCES = [
    Source("gcompris-qt-data", "3.1-2", "rcc",
           [f"usr/share/gcompris-qt/rcc/{b}.rcc" for b in GCOMPRIS_BUNDLES],
           note="webp entries of Qt resource bundles; per-file credits from the bundles' README files"),
    Source("scratch", "1.4.0.6~dfsg1-6.1", "files",
           ["usr/share/scratch/Media/Backgrounds/*/*.jpg"],
           [f"*/{n}.jpg" for n in SCRATCH_DRAWN]),
    Source("mate-backgrounds", "1.26.0-1", "files", ["usr/share/backgrounds/mate/nature/*.jpg"]),
    Source("lomiri-wallpapers-16.04", "20.04.0-2", "files", ["usr/share/backgrounds/*.jpg"],
           [f"*/{n}_*" for n in LOMIRI_DROP]),
    Source("lomiri-wallpapers-20.04", "20.04.0-2", "files", ["usr/share/backgrounds/*.jpg"],
           [f"*/{n}_*" for n in LOMIRI_DROP]),
    Source("plasma-workspace-wallpapers", "4:5.27.5-2", "files",
           [f"usr/share/wallpapers/{n}/contents/images/*" for n in PLASMA_PHOTOS],
           default_licence="GPL-2+", largest_per_dir=True),
    Source("lxqt-themes", "1.2.0-1", "files",
           [f"usr/share/lxqt/wallpapers/{n}.*" for n in LXQT_PHOTOS],
           default_licence="CC-BY-SA-3.0",
           note="licence from the upstream usr/share/lxqt/wallpapers/License file (CC-BY-SA-3.0)"),
    Source("enlightenment-data", "0.25.4-2", "edj",
           [f"usr/share/enlightenment/data/backgrounds/{n}.edj" for n in E_PHOTOS],
           note="largest JPEG entry of each Eet (.edj) archive"),
    Source("palapeli-data", "4:22.12.3-1", "files", ["usr/share/palapeli/collection/*.jpg"]),
    Source("libjxl-testdata", "0.0~git20230110.d6168ff-1", "files",
           ["usr/share/libjxl-testdata/jxl/flower/flower.png",
            "usr/share/libjxl-testdata/external/wesaturate/500px/*_srgb8.png"]),
    Source("tuxpaint-data", "1:0.9.28-sdl2-1", "files", ["usr/share/tuxpaint/templates/*.jpg"]),
    Source("python3-skimage", "0.19.3-8", "files",
           [f"usr/lib/python3/dist-packages/skimage/data/{n}" for n in SKIMAGE],
           licence_override=SKIMAGE),
    Source("gnome-control-center-data", "1:43.6-2~deb12u1", "files", ["usr/share/pixmaps/faces/*.jpg"],
           note="account pictures; no per-image credit, package-wide licence only"),
]


# --------------------------------------------------------------------------------------
# Licences: DEP-5 debian/copyright parsing (last matching stanza wins) + README credits.
# --------------------------------------------------------------------------------------
def parse_dep5(text: str):
    stanzas, cur, key = [], {}, None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if cur:
                stanzas.append(cur)
            cur, key = {}, None
            continue
        if line[0] in " \t" and key:
            cur[key] += "\n" + line.strip()
            continue
        m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
        if m:
            key = m.group(1).lower()
            cur[key] = m.group(2)
    out = []
    for s in stanzas:
        if "files" in s and "license" in s:
            out.append((s["files"].split(), s["license"].split("\n")[0].strip(), s.get("copyright", "").strip()))
    return out


def dep5_lookup(stanzas, installed_path: str):
    parts = installed_path.split("/")
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    found = None
    for pats, lic, cop in stanzas:
        for p in pats:
            if any(fnmatch.fnmatchcase(t, p) for t in tails) or (
                    "*" not in p and "?" not in p and os.path.basename(p) == parts[-1]):
                found = (lic, cop)
    return found


def parse_gcompris_readme(text: str):
    """README credit blocks: Copyright/Source/License then 'Files:' with one name per line."""
    credits = {}
    for block in re.split(r"\n\s*\n", text):
        fields, files, in_files = {}, [], False
        for line in block.splitlines():
            m = re.match(r"^(Copyright|Source|License|Licence|Author|Files)\s*:\s*(.*)$", line.strip(), re.I)
            if m:
                k = m.group(1).lower().replace("licence", "license")
                in_files = k == "files"
                if in_files:
                    files += m.group(2).split()
                else:
                    fields[k] = m.group(2).strip()
            elif in_files and line.strip():
                files += line.split()
        if files and "license" in fields:
            for f in files:
                credits[f.strip(",")] = (fields["license"], fields.get("copyright") or fields.get("author", ""),
                                         fields.get("source", ""))
    return credits


# --------------------------------------------------------------------------------------
# Fetch + extract
# --------------------------------------------------------------------------------------
def ensure_package(src: Source, cache: str, offline: bool) -> str:
    debs = os.path.join(cache, "debs")
    xdir = os.path.join(cache, "x", src.package)
    os.makedirs(debs, exist_ok=True)
    ver_file = os.path.join(xdir, ".version")
    if os.path.exists(ver_file) and open(ver_file).read().strip() == src.version:
        return xdir
    pattern = os.path.join(debs, f"{src.package}_*.deb")
    cands = [d for d in glob.glob(pattern) if _deb_version(d) == src.version]
    if not cands:
        if offline:
            raise SystemExit(f"{src.package}={src.version} not in {debs} and --offline given")
        print(f"[corpus] apt-get download {src.package}={src.version}", flush=True)
        subprocess.run(["apt-get", "download", f"{src.package}={src.version}"], cwd=debs, check=True)
        cands = [d for d in glob.glob(pattern) if _deb_version(d) == src.version]
    if not cands:
        raise SystemExit(f"download of {src.package}={src.version} failed")
    os.makedirs(xdir, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", cands[0], xdir], check=True)
    with open(ver_file, "w") as f:
        f.write(src.version)
    return xdir


def _deb_version(path: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", path, "Version"], capture_output=True, text=True).stdout.strip()


def iter_candidates(src: Source, xdir: str):
    """Yield dicts: path (installed path), entry (inside container or None), data (bytes), credit (or None)."""
    paths = []
    for pat in src.include:
        paths += glob.glob(os.path.join(xdir, pat))
    if src.largest_per_dir:
        best = {}
        for p in paths:
            d = os.path.dirname(p)
            if d not in best or os.path.getsize(p) > os.path.getsize(best[d]):
                best[d] = p
        paths = list(best.values())
    seen = set()
    for full in sorted(paths):
        rel = os.path.relpath(full, xdir)
        if rel in seen or any(fnmatch.fnmatchcase(rel, e) for e in src.exclude):
            continue
        seen.add(rel)
        blob = open(full, "rb").read()
        if src.kind == "files":
            yield {"path": rel, "entry": None, "data": blob, "credit": None}
        elif src.kind == "rcc":
            entries = list(read_rcc(blob))
            credits = {}
            for p, d in entries:
                if p.endswith("/README"):
                    for name, c in parse_gcompris_readme(d.decode("utf-8", "replace")).items():
                        credits[os.path.dirname(p) + "/" + name] = c
            for p, d in entries:
                if p.lower().rsplit(".", 1)[-1] in ("webp", "jpg", "jpeg", "png"):
                    c = credits.get(p) or credits.get(os.path.splitext(p)[0])
                    yield {"path": rel, "entry": p, "data": d, "credit": c}
        elif src.kind == "edj":
            best = None
            for off, j in carve_jpegs(blob):
                with Image.open(io.BytesIO(j)) as im:
                    area = im.size[0] * im.size[1]
                if best is None or area > best[0]:
                    best = (area, off, j)
            if best:
                yield {"path": rel, "entry": f"jpeg@{best[1]}", "data": best[2], "credit": None}


# --------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------
def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8/float sRGB [...,3] in 0..255 -> CIE Lab (D65)."""
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]])
    xyz = c @ m.T / np.array([0.950456, 1.0, 1.088754])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    L = np.where(xyz[..., 1] > 0.008856, 116.0 * f[..., 1] - 16.0, 903.3 * xyz[..., 1])
    return np.stack([L, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])], -1)


def image_stats(im: Image.Image) -> dict:
    small = im.copy()
    small.thumbnail((256, 256), Image.BILINEAR)
    a = np.asarray(small, dtype=np.uint8)
    lab = srgb_to_lab(a)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    g = a.astype(np.int16)
    dx = np.abs(np.diff(g, axis=1)).max(-1)
    dy = np.abs(np.diff(g, axis=0)).max(-1)
    flat_px = (dx[:-1] == 0) & (dy[:, :-1] == 0)                  # exactly-flat pixels: vector art / renders
    core = a[:-1, :-1]
    mid = (core.max(-1) < 245) & (core.min(-1) > 10)   # ignore studio-white / black backgrounds of product photos
    flat = float(flat_px[mid].mean()) if mid.mean() > 0.05 else float(flat_px.mean())
    q = (a // 8).reshape(-1, 3)
    ncol = len(np.unique(q[:, 0].astype(np.int32) * 1024 + q[:, 1] * 32 + q[:, 2]))
    return {"mean_chroma": float(chroma.mean()), "flat": flat, "colours": int(ncol)}


def dhash(im: Image.Image) -> int:
    g = np.asarray(im.convert("L").resize((17, 16), Image.BILINEAR), dtype=np.int16)
    bits = (g[:, 1:] > g[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def decode(data: bytes):
    im = Image.open(io.BytesIO(data))
    im = ImageOps.exif_transpose(im)
    alpha_frac = 0.0
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        al = np.asarray(rgba)[..., 3]
        alpha_frac = float((al < 250).mean())
        bg = Image.new("RGB", rgba.size, (128, 128, 128))
        bg.paste(rgba, mask=rgba.split()[3])
        im = bg
    elif im.mode == "I;16" or im.mode == "I":
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB"), alpha_frac


def classify(stats: dict, alpha_frac: float, size) -> str | None:
    if min(size) < MIN_SHORT_SIDE:
        return "too-small"
    if alpha_frac > 0.02:
        return "cut-out (transparent)"
    if stats["mean_chroma"] < 3.0:
        return "grayscale"
    if stats["flat"] > 0.55 or (stats["flat"] > 0.3 and stats["colours"] < 100):
        return "drawing/render (flat regions)"
    if stats["colours"] < 60:
        return "drawing/render (few colours)"
    return None


# --------------------------------------------------------------------------------------
def slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", s).strip("-").lower()


PKG_SHORT = {"gcompris-qt-data": "gcompris", "scratch": "scratch", "mate-backgrounds": "mate",
             "lomiri-wallpapers-16.04": "lomiri16", "lomiri-wallpapers-20.04": "lomiri20",
             "plasma-workspace-wallpapers": "plasma", "lxqt-themes": "lxqt", "enlightenment-data": "e",
             "palapeli-data": "palapeli", "libjxl-testdata": "jxl", "tuxpaint-data": "tuxpaint",
             "python3-skimage": "skimage", "gnome-control-center-data": "gnome", "user": "user"}


def make_id(pkg: str, path: str, entry: str | None) -> str:
    p = entry if entry and not entry.startswith("jpeg@") else path
    parts = [x for x in re.split(r"[/\\]", os.path.splitext(p)[0]) if x]
    generic = {"usr", "share", "contents", "images", "resource", "src", "activities", "gcompris", "backgrounds",
               "wallpapers", "data", "lib", "python3", "dist-packages", "media", "enlightenment", "mate",
               "nature", "collection", "templates", "pixmaps", "faces", "libjxl-testdata", "skimage", "lxqt",
               "scratch", "palapeli", "tuxpaint"}
    keep = [x for x in parts if x.lower() not in generic]
    return PKG_SHORT.get(pkg, slug(pkg)) + "-" + slug("-".join(keep[-3:]))


def assign_splits(items: list):
    """Deterministic split by source image, stratified per package; near-duplicate groups share a split."""
    by_pkg = {}
    for it in items:
        if it["package"] in REFERENCE_PACKAGES:
            it["split"] = "reference"
            continue
        by_pkg.setdefault(it["package"], []).append(it)
    for pkg, group in by_pkg.items():
        group.sort(key=lambda it: hashlib.sha1(it["id"].encode()).hexdigest())
        n = len(group)
        n_test = int(round(n * SPLIT_FRACTIONS[2]))
        n_val = int(round(n * SPLIT_FRACTIONS[1]))
        if n >= 5:
            n_test, n_val = max(n_test, 1), max(n_val, 1)
        for i, it in enumerate(group):
            it["split"] = "test" if i < n_test else ("val" if i < n_test + n_val else "train")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=DEFAULT_CACHE, help="cache dir (default training/data/cache/corpus)")
    ap.add_argument("--photos", action="append", default=[], help="extra folder of your own colour photos (repeatable)")
    ap.add_argument("--offline", action="store_true", help="never call apt-get; use the .debs already in the cache")
    ap.add_argument("--only", nargs="*", help="only these packages (debugging)")
    ap.add_argument("--no-commit-manifest", action="store_true", help="do not write training/corpus/manifest.json")
    args = ap.parse_args(argv)

    cache = os.path.abspath(args.cache)
    img_dir = os.path.join(cache, "images")
    os.makedirs(img_dir, exist_ok=True)

    records, rejected = [], []
    for src in SOURCES:
        if args.only and src.package not in args.only:
            continue
        xdir = ensure_package(src, cache, args.offline)
        cfile = glob.glob(os.path.join(xdir, "usr/share/doc", src.package, "copyright"))
        stanzas = parse_dep5(open(cfile[0], encoding="utf-8", errors="replace").read()) if cfile else []
        n0 = len(records)
        for cand in iter_candidates(src, xdir):
            try:
                im, alpha = decode(cand["data"])
            except Exception as e:  # noqa: BLE001
                rejected.append({"package": src.package, "path": cand["path"], "entry": cand["entry"],
                                 "reason": f"decode error: {e}"})
                continue
            st = image_stats(im)
            reason = classify(st, alpha, im.size)
            base = os.path.basename(cand["entry"] or cand["path"])
            if base in src.licence_override:
                lic, cop = src.licence_override[base]
                credited = True
            elif cand["credit"]:
                lic, cop = cand["credit"][0], cand["credit"][1]
                credited = True
            else:
                found = dep5_lookup(stanzas, cand["path"])
                if src.default_licence and (found is None or found[0] != src.default_licence):
                    found = (src.default_licence, found[1] if found else "")
                lic, cop = found if found else ("unknown", "")
                credited = src.package not in ("gcompris-qt-data", "gnome-control-center-data")
            rec = {"id": make_id(src.package, cand["path"], cand["entry"]), "package": src.package,
                   "version": src.version, "path": "/" + cand["path"], "entry": cand["entry"],
                   "licence": lic, "copyright": cop,
                   "source_url": cand["credit"][2] if cand["credit"] else None,
                   "per_file_credit": credited,
                   "source_sha256": hashlib.sha256(cand["data"]).hexdigest(),
                   "width": im.size[0], "height": im.size[1],
                   "stats": {k: round(v, 4) if isinstance(v, float) else v for k, v in st.items()}}
            if reason:
                rec["reason"] = reason
                rejected.append(rec)
                continue
            rec["_im"] = im
            records.append(rec)
        print(f"[corpus] {src.package}: {len(records) - n0} kept", flush=True)

    for d in args.photos:
        n0 = len(records)
        for root, _dirs, files in os.walk(d):
            for fn in sorted(files):
                if fn.lower().rsplit(".", 1)[-1] not in ("jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp"):
                    continue
                full = os.path.join(root, fn)
                data = open(full, "rb").read()
                try:
                    im, alpha = decode(data)
                except Exception:  # noqa: BLE001
                    continue
                st = image_stats(im)
                reason = classify(st, alpha, im.size)
                rel = os.path.relpath(full, d)
                rec = {"id": "user-" + slug(os.path.basename(os.path.abspath(d))) + "-" + slug(os.path.splitext(rel)[0]),
                       "package": "user", "version": None, "path": os.path.abspath(full), "entry": None,
                       "licence": "user-supplied", "copyright": "", "source_url": None, "per_file_credit": False,
                       "source_sha256": hashlib.sha256(data).hexdigest(), "width": im.size[0], "height": im.size[1],
                       "stats": st}
                if reason:
                    rec["reason"] = reason
                    rejected.append(rec)
                    continue
                rec["_im"] = im
                records.append(rec)
        print(f"[corpus] --photos {d}: {len(records) - n0} kept", flush=True)

    # unique ids
    seen = {}
    for r in records:
        if r["id"] in seen:
            seen[r["id"]] += 1
            r["id"] = f"{r['id']}-{seen[r['id']]}"
        else:
            seen[r["id"]] = 0

    # near-duplicates: exact source hash, then dHash hamming <= 8 with similar mean colour -> keep largest
    for r in records:
        r["_dh"] = dhash(r["_im"])
        r["_mc"] = np.asarray(r["_im"].resize((8, 8), Image.BILINEAR), dtype=np.float32).mean((0, 1))
    order = sorted(records, key=lambda r: -r["width"] * r["height"])
    kept = []
    for r in order:
        dup = None
        for k in kept:
            if r["source_sha256"] == k["source_sha256"] or (
                    hamming(r["_dh"], k["_dh"]) <= 8 and np.abs(r["_mc"] - k["_mc"]).max() < 20):
                dup = k
                break
        if dup:
            dup.setdefault("duplicates", []).append({"package": r["package"], "path": r["path"], "entry": r["entry"]})
            r["reason"] = f"near-duplicate of {dup['id']}"
            rejected.append(r)
        else:
            kept.append(r)

    assign_splits(kept)
    kept.sort(key=lambda r: r["id"])
    for r in kept:
        im = r.pop("_im")
        r.pop("_dh"), r.pop("_mc")
        if max(im.size) > MAX_SIDE:
            s = MAX_SIDE / max(im.size)
            im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))), Image.LANCZOS)
        r["file"] = f"images/{r['id']}.jpg"
        r["stored_width"], r["stored_height"] = im.size
        im.save(os.path.join(cache, r["file"]), quality=95, subsampling=0)
    for r in rejected:
        for k in ("_im", "_dh", "_mc"):
            r.pop(k, None)

    counts = {}
    for r in kept:
        c = counts.setdefault(r["package"], {"train": 0, "val": 0, "test": 0, "reference": 0})
        c[r["split"]] += 1
    reasons = {}
    for r in rejected:
        key = r["reason"].split(" of ")[0] if r["reason"].startswith("near-duplicate") else r["reason"].split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1

    def manifest(items, rej):
        return {
            "schemaVersion": 1,
            "description": "Iriscope colour-photo corpus (colorization training). Images are NOT committed: "
                           "rebuild them with `/usr/bin/python3 training/corpus/build.py`.",
            "builder": "training/corpus/build.py",
            "image_root": "training/data/cache/corpus",
            "max_side": MAX_SIDE,
            "split_rule": "sha1(id) order within each package: first 10% test, next 10% val, rest train; "
                          "near-duplicates are merged into one source image before splitting; "
                          "well-known test images (REFERENCE_PACKAGES) are split 'reference': never trained on",
            "counts": {"total": len(items), "by_package": {p: c for p, c in counts.items()
                                                          if any(i["package"] == p for i in items)},
                       "by_split": {s: sum(1 for i in items if i["split"] == s) for s in ("train", "val", "test", "reference")},
                       "rejected_by_reason": reasons},
            "sources": [{"package": s.package, "version": s.version, "kind": s.kind, "include": s.include,
                         "exclude": s.exclude, "note": s.note} for s in SOURCES],
            "images": items,
            "rejected": rej,
        }

    full = manifest(kept, rejected)
    with open(os.path.join(cache, "manifest.json"), "w") as f:
        json.dump(full, f, indent=1)
    if not args.no_commit_manifest and not args.only:
        pk = [r for r in kept if r["package"] != "user"]
        pr = [r for r in rejected if r["package"] != "user"]
        with open(COMMITTED_MANIFEST, "w") as f:
            json.dump(manifest(pk, pr), f, indent=1)
    print(f"[corpus] kept {len(kept)} images "
          f"(train {full['counts']['by_split']['train']}, val {full['counts']['by_split']['val']}, "
          f"test {full['counts']['by_split']['test']}); rejected {len(rejected)}: {reasons}")
    print(f"[corpus] images in {img_dir}; manifest {os.path.join(cache, 'manifest.json')}")


if __name__ == "__main__":
    main()
