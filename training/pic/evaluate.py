#!/usr/bin/env python3
"""Evaluate a PIC checkpoint on the held-out corpus splits and print the quality table.

    /usr/bin/python3 training/pic/evaluate.py CKPT [--out training/data/cache/pic-eval/cpu] [--json metrics.json]

* validation / test NLL in bits per dimension (teacher-forced, EMA weights, centre square crops)
* on the test photos, at --eval-size (default 256) output resolution: the sampled low-res ab is
  upsampled bilinearly and combined with the photo's real L (as the app does, minus the
  edge-aware upsampling), then compared with the real colours:
  PSNR and SSIM (sRGB, 11x11 Gaussian SSIM) of one sample and of the best of 8,
  Hasler–Süsstrunk colourfulness of the outputs vs the real photos, and diversity
  (mean pairwise ab distance between the 8 samples, Lab units, on the low-res grid).
* baselines from the same script: gray output (ab = 0) and the one-pass embedding-head
  prediction (mixture mean of the auxiliary head, `preview_ab`).
Sampling uses the same cached row/pixel decomposition as the ONNX graphs (PyTorch), with seeded uniforms.
Writes a gallery PNG (gray | real | preview | samples) into --out.

    nice -n 10 /usr/bin/python3 training/pic/evaluate.py --app pic-cpu64,pic-gpu128 [--out DIR]

--app: the installed models exactly as the app runs them (ONNX through onnxruntime-node, the engine's
sampler, guided upsampling and face detector: app_colorize.ts), on the clean corpus test split plus people
photos held out by person (eval_sets.py): PSNR/SSIM gain over gray (best and mean of 8), colourfulness
ratio to the real photos, diversity, vegetation/sky hue agreement and skin hue/chroma in face boxes;
prints the table (also DIR/table.md, DIR/metrics.json) and writes DIR/contact_sheet.png.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from cached import EmbedGraph, cached_sample  # noqa: E402
from export import load_checkpoint  # noqa: E402
from model import AB_SCALE, bits_per_dim, lab_to_rgb, lowres_L, rgb_to_inputs, rgb_to_lab  # noqa: E402


def ssim(x, y):
    """x, y [B,3,H,W] in [0,1] -> SSIM per image [B] (Gaussian 11x11, sigma 1.5)."""
    g = torch.exp(-(torch.arange(11, dtype=torch.float64) - 5) ** 2 / (2 * 1.5 ** 2))
    g = (g / g.sum()).float()
    k = (g[:, None] * g[None, :]).expand(3, 1, 11, 11).contiguous()

    def f(t):
        return F.conv2d(t, k, groups=3)

    C1, C2 = 0.01 ** 2, 0.03 ** 2
    mx, my = f(x), f(y)
    sxx, syy, sxy = f(x * x) - mx ** 2, f(y * y) - my ** 2, f(x * y) - mx * my
    s = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx ** 2 + my ** 2 + C1) * (sxx + syy + C2))
    return s.mean(dim=(1, 2, 3))


def psnr(x, y):
    mse = ((x - y) ** 2).mean(dim=(1, 2, 3)).clamp(min=1e-10)
    return 10 * torch.log10(1.0 / mse)


def colourfulness(rgb):
    """Hasler & Süsstrunk (2003) on sRGB in 0..255: sqrt(s_rg^2 + s_yb^2) + 0.3 sqrt(m_rg^2 + m_yb^2). [B]"""
    R, G, B = (rgb * 255.0).unbind(1)
    rg = R - G
    yb = 0.5 * (R + G) - B
    sd = torch.sqrt(rg.flatten(1).var(1, unbiased=False) + yb.flatten(1).var(1, unbiased=False))
    mu = torch.sqrt(rg.flatten(1).mean(1) ** 2 + yb.flatten(1).mean(1) ** 2)
    return sd + 0.3 * mu


def compose(L_full, ab_low):
    """L_full [1,1,H,W] in 0..100 (real), ab_low [N,2,h,w] normalised -> sRGB [N,3,H,W]."""
    N = ab_low.shape[0]
    ab = F.interpolate(ab_low * AB_SCALE, size=L_full.shape[-2:], mode="bilinear", align_corners=False)
    return lab_to_rgb(torch.cat([L_full.expand(N, -1, -1, -1), ab], 1))


def nll(model, rgb, bs=32):
    cfg = model.cfg
    tot_d = tot_e = 0.0
    with torch.no_grad():
        for i in range(0, rgb.shape[0], bs):
            L, ab = rgb_to_inputs(rgb[i:i + bs], cfg.ds)
            p, aux = model(L, ab)
            Ll = lowres_L(L, cfg.ds)
            tot_d += bits_per_dim(p, ab, Ll, cfg.mixtures).item() * L.shape[0]
            tot_e += bits_per_dim(aux, ab, Ll, cfg.mixtures).item() * L.shape[0]
    return tot_d / rgb.shape[0], tot_e / rgb.shape[0]


def fmt_table(rows):
    hdr = ["method", "PSNR 1", "PSNR best8", "SSIM 1", "SSIM best8", "CF", "|dCF|", "diversity"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in rows:
        cells = [r["method"]] + [("%.2f" % r[k]) if isinstance(r.get(k), (float, int)) else "–"
                                 for k in ("psnr1", "psnr8", "ssim1", "ssim8", "cf", "dcf", "div")]
        cells[3] = "%.3f" % r["ssim1"] if "ssim1" in r else "–"
        cells[4] = "%.3f" % r["ssim8"] if "ssim8" in r else "–"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# --app: the shipped ONNX models exactly as the app runs them (training/pic/app_colorize.ts)
# ---------------------------------------------------------------------------------------------

def _square(path: str, size: int) -> Image.Image:
    im = Image.open(path).convert("RGB")
    s = min(im.size)
    left, top = (im.width - s) // 2, (im.height - s) // 2
    return im.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS)


def app_photos(args) -> list[dict]:
    """Clean corpus test split + people held out by person (training/pic/eval_sets.py)."""
    import hashlib
    import eval_sets as ES
    man = json.load(open(os.path.join(args.corpus, "manifest.json")))
    photos = [{"id": r["id"], "src": os.path.join(args.corpus, r["file"]), "set": "corpus test"}
              for r in man["images"] if r["split"] == "test"][:args.corpus_limit or None]
    per_set: dict[str, list] = {}
    seen_person = set()
    for r in sorted(ES.people_eval_records(args.faces), key=lambda r: hashlib.sha1(r["file"].encode()).hexdigest()):
        key = (r["set"], r.get("person") or r["file"])
        if key in seen_person:  # one photo per person
            continue
        seen_person.add(key)
        lst = per_set.setdefault(r["set"], [])
        if len(lst) < args.people_per_set:
            lst.append({"id": r["set"] + "-" + os.path.splitext(os.path.basename(r["file"]))[0],
                        "src": os.path.join(args.faces, r["file"]), "set": "people", "faces": True})
    for s in ("london", "canada", "pixabay", "fairface-dev"):
        photos += per_set.get(s, [])
    return photos


def app_main(args) -> None:
    import subprocess
    import metrics as M
    models = [m for m in args.app.split(",") if m]
    S, size = args.samples, args.eval_size
    out = args.out
    os.makedirs(os.path.join(out, "photos"), exist_ok=True)
    t0 = time.time()
    photos = app_photos(args)
    for p in photos:
        p["file"] = os.path.join(out, "photos", p["id"] + ".png")
        _square(p["src"], size).save(p["file"])
    # one Node process per model (they run side by side on the 2 cores); faces with the first
    procs = []
    for j, m in enumerate(models):
        job = {"out": os.path.join(out, "app"), "models": [m], "samples": S, "seed": args.seed,
               "temperature": args.app_temperature,
               "photos": [{"id": p["id"], "file": p["file"], "faces": bool(p.get("faces")) and j == 0} for p in photos]}
        jf = os.path.join(out, f"job-{m}.json")
        json.dump(job, open(jf, "w"))
        log = open(os.path.join(out, f"app-{m}.log"), "w")
        procs.append((m, subprocess.Popen(["nice", "-n", "10", "node", "--import", "tsx",
                                           os.path.join(D.REPO, "training", "pic", "app_colorize.ts"), jf],
                                          cwd=D.REPO, stdout=log, stderr=subprocess.STDOUT)))
        os.makedirs(os.path.join(out, "app"), exist_ok=True)
    timing = {}
    for m, pr in procs:
        if pr.wait() != 0:
            raise SystemExit(f"app_colorize.ts failed for {m}: see {out}/app-{m}.log")
        # each process writes its own timing.json after finishing; faces.json only from the first
    faces = json.load(open(os.path.join(out, "app", "faces.json"))) if os.path.exists(os.path.join(out, "app", "faces.json")) else {}

    methods = ["gray"] + [f"{m} {k}" for m in models for k in ("one-pass preview", f"samples T={args.app_temperature}")]
    acc = {(sub, meth): {k: [] for k in ("psnr_best", "psnr_mean", "ssim_best", "ssim_mean", "cf", "div", "veg", "sky",
                                         "skin_ok", "skin_hue", "skin_chroma")}
           for sub in ("corpus test", "people") for meth in methods + ["real"]}
    sheet_rows = []
    for p in photos:
        real = np.asarray(Image.open(p["file"]), np.float64) / 255.0
        real_lab = M.srgb_to_lab(real)
        gray = M.gray_of(real)
        g_psnr, g_ssim = M.psnr(gray, real), M.ssim(gray, real)
        regions = {k: v for k, v in M.colour_regions(real_lab).items() if v.mean() >= 0.02}
        boxes = [b for b in faces.get(p["id"], []) if b[4] >= 0.5]
        skin = None
        if boxes:
            big = max(boxes, key=lambda b: b[2] * b[3])
            skin = M.skin_mask(real_lab, big)
            if skin.sum() < 50:
                skin = None
        outs = {"gray": [gray], "real": [real]}
        grids = {}
        for m in models:
            raw = np.fromfile(os.path.join(out, "app", m, p["id"] + ".rgb"), np.uint8).reshape(1 + S, size, size, 3)
            frames = raw.astype(np.float64) / 255.0
            outs[f"{m} one-pass preview"] = [frames[0]]
            outs[f"{m} samples T={args.app_temperature}"] = list(frames[1:])
            grids[f"{m} samples T={args.app_temperature}"] = np.fromfile(
                os.path.join(out, "app", m, p["id"] + ".grid.f32"), np.float32).reshape(S, 2, -1)
        for meth, imgs in outs.items():
            a = acc[(p["set"], meth)]
            ps = [M.psnr(x, real) - g_psnr for x in imgs]
            ss = [M.ssim(x, real) - g_ssim for x in imgs]
            a["psnr_best"].append(max(ps)); a["psnr_mean"].append(float(np.mean(ps)))
            a["ssim_best"].append(max(ss)); a["ssim_mean"].append(float(np.mean(ss)))
            a["cf"].append(float(np.mean([M.colourfulness(x) for x in imgs])))
            if meth in grids:
                g = grids[meth]
                h = int(round(math.sqrt(g.shape[-1])))
                a["div"].append(M.diversity(g.reshape(S, 2, h, h)))
            labs = [M.srgb_to_lab(x) for x in imgs]
            if "vegetation" in regions:
                a["veg"].append(float(np.mean([M.region_agreement(l, regions["vegetation"], 80, 170, 6) for l in labs])))
            if "sky" in regions:
                a["sky"].append(float(np.mean([M.region_agreement(l, regions["sky"], 200, 300, 5) for l in labs])))
            if skin is not None:
                hc = [M.hue_chroma(l, skin) for l in labs]
                a["skin_ok"].append(float(np.mean([M.skin_plausible(h_, c_) for h_, c_ in hc])))
                a["skin_hue"] += [h_ for h_, _ in hc]
                a["skin_chroma"] += [c_ for _, c_ in hc]
        sheet_rows.append((p["id"], outs))

    # table
    def mean(v):
        return float(np.mean(v)) if len(v) else float("nan")

    table = []
    for sub in ("corpus test", "people"):
        real_cf = mean(acc[(sub, "real")]["cf"])
        n = len(acc[(sub, "real")]["cf"])
        for meth in methods + ["real"]:
            a = acc[(sub, meth)]
            table.append({"set": sub, "n": n, "method": meth,
                          "psnr_best8_gain": mean(a["psnr_best"]), "psnr_mean8_gain": mean(a["psnr_mean"]),
                          "ssim_best8_gain": mean(a["ssim_best"]), "ssim_mean8_gain": mean(a["ssim_mean"]),
                          "cf": mean(a["cf"]), "cf_ratio": mean(a["cf"]) / real_cf if real_cf else float("nan"),
                          "diversity": mean(a["div"]) if a["div"] else 0.0,
                          "veg_ok": mean(a["veg"]), "n_veg": len(a["veg"]), "sky_ok": mean(a["sky"]), "n_sky": len(a["sky"]),
                          "skin_ok": mean(a["skin_ok"]), "n_skin": len(a["skin_ok"]),
                          # hue of the chroma-weighted mean direction (angles wrap at 360°)
                          "skin_hue": (math.degrees(math.atan2(
                              np.mean(np.array(a["skin_chroma"]) * np.sin(np.radians(a["skin_hue"]))),
                              np.mean(np.array(a["skin_chroma"]) * np.cos(np.radians(a["skin_hue"]))))) % 360.0
                              if a["skin_hue"] and mean(a["skin_chroma"]) > 0.5 else float("nan")),
                          "skin_chroma": mean(a["skin_chroma"])})

    def f(v, d=2, pct=False):
        if v != v:  # nan: no such region in this set
            return "–"
        return f"{100 * v:.0f} %" if pct else f"{v:.{d}f}"

    hdr = ["set (photos)", "method", "PSNR gain best8", "PSNR gain mean8", "SSIM gain best8", "SSIM gain mean8",
           "CF ratio", "diversity", "vegetation ok", "sky ok", "skin ok", "skin hue / chroma"]
    lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in table:
        real = r["method"] == "real"
        lines.append("| " + " | ".join([
            f"{r['set']} ({r['n']})", r["method"],
            "–" if real else f"{r['psnr_best8_gain']:+.2f} dB", "–" if real else f"{r['psnr_mean8_gain']:+.2f} dB",
            "–" if real else f"{r['ssim_best8_gain']:+.4f}", "–" if real else f"{r['ssim_mean8_gain']:+.4f}",
            f"{r['cf_ratio']:.2f}", f"{r['diversity']:.1f}" if "samples" in r["method"] else "–",
            f(r["veg_ok"], pct=True) + (f" (n={r['n_veg']})" if r["method"] == "real" else ""),
            f(r["sky_ok"], pct=True) + (f" (n={r['n_sky']})" if r["method"] == "real" else ""),
            f(r["skin_ok"], pct=True) + (f" (n={r['n_skin']})" if r["method"] == "real" else ""),
            ("–" if r["skin_hue"] != r["skin_hue"] else f"{r['skin_hue']:.0f}°") + " / " + f(r["skin_chroma"], 1),
        ]) + " |")
    gray_abs = {sub: mean([M.psnr(M.gray_of(o["real"][0]), o["real"][0]) for pid, o in sheet_rows
                           if next(p for p in photos if p["id"] == pid)["set"] == sub]) for sub in ("corpus test", "people")}
    text = "\n".join(lines)
    print(f"{len(photos)} photos ({sum(p['set'] == 'corpus test' for p in photos)} corpus test, "
          f"{sum(p['set'] == 'people' for p in photos)} people), {S} samples at T={args.app_temperature}, seed {args.seed}, "
          f"{size}² centre squares; gray PSNR {gray_abs['corpus test']:.2f} dB (corpus test), {gray_abs['people']:.2f} dB (people); "
          f"faces found in {sum(1 for p in photos if faces.get(p['id']))} of {sum(1 for p in photos if p.get('faces'))} people photos")
    print(text)
    print(f"[eval] {time.time() - t0:.0f}s total")
    summary = {"photos": [{"id": p["id"], "set": p["set"], "source": os.path.relpath(p["src"], D.REPO)} for p in photos],
               "samples": S, "temperature": args.app_temperature, "seed": args.seed, "eval_size": size,
               "table": table, "gray_psnr": gray_abs, "faces": faces}
    with open(args.json or os.path.join(out, "metrics.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    with open(os.path.join(out, "table.md"), "w") as fh:
        fh.write(text + "\n")

    # contact sheet: gray | real | previews | 4 samples of each model, for a few corpus and people photos
    pick_ids = [i for i in args.sheet_ids.split(",") if i]
    chosen = [r for i in pick_ids for r in sheet_rows if r[0] == i]
    for sub in ("corpus test", "people"):
        extra = [r for r in sheet_rows if r not in chosen and next(p for p in photos if p["id"] == r[0])["set"] == sub]
        chosen += extra[:max(0, args.sheet_per_set - sum(1 for r in chosen if next(p for p in photos if p["id"] == r[0])["set"] == sub))]
    cols = ["gray", "real"] + [f"{m} one-pass preview" for m in models]
    tile, k = 128, min(4, S)
    labels = ["gray", "real"] + [f"{m} preview" for m in models] + [f"{m} s{j + 1}" for m in models for j in range(k)]
    W = tile * len(labels)
    sheet = Image.new("RGB", (W, 14 + len(chosen) * (tile + 12)), "white")
    dr = ImageDraw.Draw(sheet)
    for j, lab in enumerate(labels):
        dr.text((j * tile + 3, 1), lab, fill="black")
    for i, (pid, o) in enumerate(chosen):
        tiles = [o[c][0] for c in cols] + [o[f"{m} samples T={args.app_temperature}"][j] for m in models for j in range(k)]
        for j, t in enumerate(tiles):
            im = Image.fromarray((t * 255 + 0.5).clip(0, 255).astype(np.uint8)).resize((tile, tile), Image.LANCZOS)
            sheet.paste(im, (j * tile, 14 + i * (tile + 12)))
        dr.text((3, 14 + i * (tile + 12) + tile), pid[:70], fill="black")
    sheet.save(os.path.join(out, "contact_sheet.png"), optimize=True)
    print(f"[eval] contact sheet {os.path.join(out, 'contact_sheet.png')} (third-party photos: not for the repository)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt", nargs="?", help="a PyTorch checkpoint (not needed with --app)")
    ap.add_argument("--app", default="", help="comma-separated installed model ids: evaluate them as the app runs them "
                    "(ONNX through onnxruntime-node, training/pic/app_colorize.ts) on the clean corpus test split "
                    "plus people held out by person")
    ap.add_argument("--app-temperature", type=float, default=0.8, help="--app: the app's default temperature")
    ap.add_argument("--faces", default=os.path.abspath(os.path.join(D.REPO, "..", "shared", "data", "faces")))
    ap.add_argument("--people-per-set", type=int, default=8, help="--app: held-out people photos per faces set (one per person)")
    ap.add_argument("--sheet-ids", default="scratch-lake,gcompris-erase-red-panda,gnome-cat",
                    help="--app: photos to show first in the contact sheet")
    ap.add_argument("--corpus-limit", type=int, default=0, help="--app: only the first N corpus test photos (smoke runs)")
    ap.add_argument("--sheet-per-set", type=int, default=3, help="--app: contact-sheet photos per set")
    ap.add_argument("--out", default=os.path.join(D.REPO, "training", "data", "cache", "pic-eval"))
    ap.add_argument("--json", default="", help="write the metrics here (for the model manifest)")
    ap.add_argument("--eval-size", type=int, default=256)
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--temperatures", default="1.0,0.7,0.5")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gallery", type=int, default=8, help="test images in the small gallery")
    ap.add_argument("--gallery-ids", default="gcompris-explore-world-music-music-america,scratch-outdoors-wooden-house,"
                    "scratch-lake,gcompris-erase-red-panda,gnome-cat,gcompris-explore-monuments-france-montstmichel,"
                    "palapeli-citrus-fruits,scratch-outdoors-hallway-outdoors",
                    help="comma-separated test ids for the small gallery (people, streets, landscapes, animals)")
    ap.add_argument("--gallery-temperature", type=float, default=0.7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--corpus", default=D.CORPUS)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    if args.app:
        return app_main(args)
    if not args.ckpt:
        ap.error("a checkpoint, or --app MODEL_IDS")

    model = load_checkpoint(args.ckpt)
    cfg = model.cfg
    t0 = time.time()
    man = json.load(open(os.path.join(args.corpus, "manifest.json")))
    test_recs = [r for r in man["images"] if r["split"] == "test"]
    val_rgb = D.center_crops(D.load_images(D.corpus_paths("val", args.corpus), cfg.size * 2), cfg.size)
    test_imgs = D.load_images([os.path.join(args.corpus, r["file"]) for r in test_recs], args.eval_size)
    test_rgb_in = D.center_crops(test_imgs, cfg.size)
    test_rgb_hi = D.center_crops(test_imgs, args.eval_size)
    val_d, val_e = nll(model, val_rgb)
    test_d, test_e = nll(model, test_rgb_in)

    S = args.samples
    gen = torch.Generator().manual_seed(args.seed)
    h = cfg.grid
    temps = [float(t) for t in args.temperatures.split(",") if t]
    res = {f"T={t}": {"psnr": [], "ssim": [], "cf": [], "div": []} for t in temps}
    base = {"gray": {"psnr": [], "ssim": [], "cf": []}, "embedding head (one pass)": {"psnr": [], "ssim": [], "cf": []}}
    real_cf = []
    gallery = []
    t_sample = 0.0
    for i in range(len(test_recs)):
        rgb_hi = test_rgb_hi[i:i + 1]
        lab_hi = rgb_to_lab(rgb_hi)
        L_hi = lab_hi[:, 0:1]
        gray_rgb = lab_to_rgb(torch.cat([L_hi, torch.zeros_like(lab_hi[:, 1:])], 1))
        L_in, _ = rgb_to_inputs(test_rgb_in[i:i + 1], cfg.ds)
        # the model sees a gray photo: desaturate the input crop through Lab (L only)
        with torch.no_grad():
            _emb, _Ll, _aux, preview = EmbedGraph(model)(L_in)
        real_cf.append(colourfulness(rgb_hi).item())
        for name, ab_low in (("gray", torch.zeros(1, 2, h, h)), ("embedding head (one pass)", preview)):
            out = compose(L_hi, ab_low)
            base[name]["psnr"].append(psnr(out, rgb_hi).item())
            base[name]["ssim"].append(ssim(out, rgb_hi).item())
            base[name]["cf"].append(colourfulness(out).item())
        row = {"gray": gray_rgb, "real": rgb_hi, "preview": compose(L_hi, preview)}
        for t in temps:
            um = torch.rand(h, h, S, cfg.mixtures, generator=gen)
            ul = torch.rand(h, h, S, 2, generator=gen)
            ts = time.time()
            ab = cached_sample(model, L_in, um, ul, t)
            t_sample += time.time() - ts
            outs = compose(L_hi, ab)
            p = psnr(outs, rgb_hi.expand(S, -1, -1, -1))
            s = ssim(outs, rgb_hi.expand(S, -1, -1, -1))
            abl = ab * AB_SCALE
            d = (abl[:, None] - abl[None, :]).pow(2).sum(2).sqrt().mean(dim=(2, 3))
            div = (d.sum() / (S * (S - 1))).item()
            r = res[f"T={t}"]
            r["psnr"].append(p.tolist())
            r["ssim"].append(s.tolist())
            r["cf"].append(colourfulness(outs).tolist())
            r["div"].append(div)
            row[f"T={t}"] = outs
        gallery.append((test_recs[i]["id"], row))

    rows = []
    summary = {}
    for t in temps:
        r = res[f"T={t}"]
        P, Sm, CF = np.array(r["psnr"]), np.array(r["ssim"]), np.array(r["cf"])
        rc = np.array(real_cf)[:, None]
        row = {"method": f"PIC sample, T={t}", "psnr1": float(P[:, 0].mean()), "psnr8": float(P.max(1).mean()),
               "ssim1": float(Sm[:, 0].mean()), "ssim8": float(Sm.max(1).mean()), "cf": float(CF.mean()),
               "dcf": float(np.abs(CF - rc).mean()), "div": float(np.mean(r["div"]))}
        rows.append(row)
    for name, b in base.items():
        P, Sm, CF = np.array(b["psnr"]), np.array(b["ssim"]), np.array(b["cf"])
        rows.append({"method": name, "psnr1": float(P.mean()), "psnr8": float(P.mean()), "ssim1": float(Sm.mean()),
                     "ssim8": float(Sm.mean()), "cf": float(CF.mean()), "dcf": float(np.abs(CF - np.array(real_cf)).mean()),
                     "div": 0.0})
    rows.append({"method": "real photos", "cf": float(np.mean(real_cf))})
    summary = {
        "val_bits_per_dim": round(val_d, 4), "val_bits_per_dim_embedding_head": round(val_e, 4),
        "test_bits_per_dim": round(test_d, 4), "test_bits_per_dim_embedding_head": round(test_e, 4),
        "n_val": int(val_rgb.shape[0]), "n_test": len(test_recs), "samples": S, "eval_size": args.eval_size,
        "model_input": cfg.size, "grid": h,
        "table": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        "sampling_s_per_image_pytorch": round(t_sample / (len(test_recs) * len(temps)), 3),
        "notes": "PSNR/SSIM on sRGB at eval_size with the real L and bilinearly upsampled ab; best8 = max over 8 "
                 "samples per image; CF = Hasler-Süsstrunk colourfulness (no abs), dCF = mean |CF_out - CF_real|; "
                 "diversity = mean pairwise L2 distance between samples' ab (Lab units) on the grid",
    }
    print(f"validation bits/dim {val_d:.4f} (embedding head {val_e:.4f}); test bits/dim {test_d:.4f} "
          f"(embedding head {test_e:.4f}); {len(test_recs)} test photos, {S} samples, eval at {args.eval_size}px")
    print(fmt_table(rows))
    print(f"[eval] {time.time() - t0:.0f}s total; PyTorch cached sampling {summary['sampling_s_per_image_pytorch']}s "
          f"per image for {S} samples")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=1)

    # galleries: all test images (big) and the first --gallery ones (small, for the README)
    def save_gallery(items, path, tile, n_samples):
        t0k = f"T={args.gallery_temperature}" if args.gallery_temperature in temps else f"T={temps[0]}"
        cols = 3 + n_samples
        W, H = cols * tile, len(items) * (tile + 14) + 14
        sheet = Image.new("RGB", (W, H), "white")
        dr = ImageDraw.Draw(sheet)
        for j, lab in enumerate(["gray input", "real", "one-pass"] + [f"sample {k + 1} ({t0k})" for k in range(n_samples)]):
            dr.text((j * tile + 3, 1), lab, fill="black")
        for i, (name, row) in enumerate(items):
            tiles = [row["gray"][0], row["real"][0], row["preview"][0]] + [row[t0k][k] for k in range(n_samples)]
            for j, t in enumerate(tiles):
                im = Image.fromarray((t.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8))
                sheet.paste(im.resize((tile, tile), Image.LANCZOS), (j * tile, 14 + i * (tile + 14)))
            dr.text((3, 14 + i * (tile + 14) + tile), name[:60], fill="black")
        sheet.save(path, optimize=True)

    save_gallery(gallery, os.path.join(args.out, "gallery_all.png"), 160, S)
    want = [i for i in args.gallery_ids.split(",") if i]
    pick = [g for i in want for g in gallery if g[0] == i][:args.gallery]
    pick += [g for g in gallery if g not in pick][:max(0, args.gallery - len(pick))]
    save_gallery(pick, os.path.join(args.out, "gallery_small.png"), 96, 5)
    print(f"[eval] galleries in {args.out}")


if __name__ == "__main__":
    main()
