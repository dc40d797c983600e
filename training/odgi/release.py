"""From a checkpoint to a shipped model folder, in one command.

    /usr/bin/python3 training/odgi/release.py --ckpt training/runs/odgi-cpu --id odgi-cpu
    /usr/bin/python3 training/odgi/release.py --ckpt OUTDIR_FROM_GPU --id odgi-gpu

1. thresholds (gamma, tau_low, tau_high) chosen on the validation split (eval.py --sweep rule),
2. metrics on the frozen test split (+ the tiled full-resolution baseline on its first tiles),
3. metrics on the committed CI set test/fixtures/aerial and CI floors derived from them,
4. ONNX export (opset 17), manifest.json with hashes, parity fixture,
5. models/<id>/examples.png and models/<id>/MODEL_CARD.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import cascade  # noqa: E402
import eval as ev  # noqa: E402
from dataset import load_item  # noqa: E402

FIXTURE = os.path.join(REPO, "test", "fixtures", "aerial")
HISTORY = None


def py(*args):
    cmd = [sys.executable, *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def fixture_metrics(runner, params):
    doc = json.load(open(os.path.join(FIXTURE, "boxes.json")))
    dets, gts = [], []
    n_crops = hit = tot = 0
    from PIL import Image
    import numpy as np

    for t in doc["tiles"]:
        im = np.asarray(Image.open(os.path.join(FIXTURE, t["file"])).convert("RGB"))
        img = torch.from_numpy(im.copy()).permute(2, 0, 1)
        H = img.shape[-1]
        x = img.float()[None] / 255.0
        s1o = runner.stage1(x)[0]
        keep, crops = cascade.transition(s1o, params)
        s2o = runner.stage2(("fx", t["file"]), x[0], [c["box"] for c in crops]) if crops else []
        fin = cascade.merge(keep, crops, s2o, params)
        dets.append([([v * H for v in d["box"]], d["score"], d["cls"], d["stage"]) for d in fin])
        gts.append([(b, c) for b, c in zip(t["boxes"], t["classes"])])
        h, n = cascade.coverage([[v / H for v in b] for b in t["boxes"]], keep, crops)
        hit += h
        tot += n
        n_crops += len(crops)
    s = ev.summarize(dets, gts, params["score_threshold"])
    return {"tiles": len(doc["tiles"]), "objects": tot, "ap50": s["ap50"], "recall": s["recall"], "precision": s["precision"],
            "stage1_coverage": round(hit / max(tot, 1), 4), "crops_per_tile": round(n_crops / len(doc["tiles"]), 2),
            "score_threshold": params["score_threshold"]}


def init_note(meta):
    i = meta.get("init")
    if not i:
        return ""
    total = meta.get("elapsed_s", 0)
    parts = []
    while i:
        parts.append(f"{i.get('step')} steps / {i.get('tiles_seen')} tiles / {(i.get('elapsed_s') or 0) / 60:.1f} min")
        total += i.get("elapsed_s") or 0
        i = i.get("previous")
    return f", continued from a checkpoint of " + ", itself continued from one of ".join(parts) + f" (total {total / 60:.1f} min)"


def floor_of(v, margin):
    return max(0.0, math.floor((v - margin) * 100) / 100)


def conv_macs(model, size):
    tot = [0]

    def hook(mod, i, o):
        if isinstance(mod, torch.nn.Conv2d):
            tot[0] += o.numel() // o.shape[0] * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]

    hs = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.rand(1, 3, size, size))
    for h in hs:
        h.remove()
    return tot[0] / 1e6


def card(model_id, meta, ck, th, mtest, mval, mfx, floors, pack_sha, mac):
    c = mtest["cascade"]
    b = mtest.get("tiled_baseline", {})
    cb = mtest.get("cascade_on_baseline_tiles", {})
    tr = meta.get("train", {})
    history = open(HISTORY).read().strip() if HISTORY else ""
    lines = f"""# {model_id}: ODGI group cascade for small objects in overhead imagery

Two ONNX graphs (opset 17) implementing the ODGI cascade (Royer & Lampert, WACV 2020,
reconstructed from the authors' code; see `../../training/odgi/README.md`):

* `stage1.onnx`: input `image` float32 [N,3,{meta['model']['s1_size']},{meta['model']['s1_size']}] RGB in [0,1] = one 1024 px full-resolution
  tile area-downsampled 4x. Outputs per cell of a {meta['model']['s1_size'] // 16}x{meta['model']['s1_size'] // 16} grid (row-major): `boxes` xyxy normalised,
  `conf` (predicted IoU), `group_prob`, `offsets` (crop offsets), `class_prob` (sigmoid).
* `stage2.onnx`: input `image` float32 [N,3,{meta['model']['s2_size']},{meta['model']['s2_size']}] = a square crop read at full resolution.
  Outputs per stride-8 cell: `boxes` xyxy normalised to the crop, `scores` (objectness), `class_prob` (softmax).

Classes: vehicle, boat, plane (light aircraft and helicopters). Ground sample distance: trained on
10-16 cm/px (nominal 12.5 cm/px); resample other imagery to that range first.

## Data
Synthetic only (no aerial data set can be downloaded here): `training/odgi/gen.py`. Ground from
38 natural/agricultural photo-derived overhead textures, 4 water and 4 paved textures of Debian's
`flightgear-data-base` 1:2020.3.16+dfsg-1 (GPL-2+; urban textures excluded because they contain real,
unlabelled cars). Objects: {meta.get('sprites', 'about 400')} FlightGear AC3D models (road and airport vehicles,
small boats, light aircraft; containers and bales as hard negatives) rendered top-down by our own
rasteriser with height maps for cast shadows. Layouts: parking rows, road queues and sparse traffic,
marinas along piers, boats with wakes, aprons with aircraft, lone individuals, buildings, trees
(occluding), hard negatives; empty tiles; blur, noise, haze, colour and JPEG (60-95) effects.
Asset pack sha256 `{pack_sha}`.
Splits (1024 px tiles, frozen seeds): train seeds 1,000,000+ (generator v1, ~40% empty),
val 2,000,000+ (300, v2, ~26% empty), test 3,000,000+ (300, v2).

## Training
`training/odgi/train.py --config {meta['config']}`: both stages trained jointly from step 0 with one Adam
optimizer each (lr {tr.get('lr')}, cosine, time-bounded); stage-1 targets from plain boxes by the
intersect rule (union box of all boxes touching a cell, group flag if >= 2); stage-2 crops produced
online from stage-1 predictions (top {tr.get('k_pred')} offset-rescaled crops per tile, NMS 0.5) plus
{tr.get('k_gt')} crop(s) around ground truth and {tr.get('k_rand')} random crop(s) per tile.
Run: {meta.get('step')} steps, {meta.get('tiles_seen')} tiles (batch {tr.get('batch')}), {meta.get('elapsed_s', 0) / 60:.1f} min on {meta.get('device')}
(torch {meta.get('torch')}, data: {meta.get('data')}){init_note(meta)}.
{(chr(10) + history + chr(10)) if history else ''}
## Cascade thresholds (chosen on val: {th.get('rule', '')})
gamma {th['gamma']}, tau_low {th['tau_low']}, tau_high {th['tau_high']}, crop NMS {th['crop_nms']}, final NMS {th['final_nms']},
stage-2 score_min {th['score_min']}, min crop side {th['min_side']} of the tile (128 px), operating score threshold {th['score_threshold']}.

## Metrics (Python reference cascade, PyTorch; ONNX parity <= 1e-4)
| split | AP@0.5 | recall @ {th['score_threshold']} | precision | max recall | stage-1 coverage | crops/tile | area read at full res |
|---|---|---|---|---|---|---|---|
| test ({c['tiles']} tiles, {c['objects']} objects) | {c['ap50']} | {c['recall']} | {c['precision']} | {c['max_recall']} | {c['stage1_coverage']} | {c['crops_per_tile']} | {c['area_fraction_full_res']} |
| val ({mval['cascade']['tiles']} tiles) | {mval['cascade']['ap50']} | {mval['cascade']['recall']} | {mval['cascade']['precision']} | {mval['cascade']['max_recall']} | {mval['cascade']['stage1_coverage']} | {mval['cascade']['crops_per_tile']} | {mval['cascade']['area_fraction_full_res']} |

Per class AP@0.5 on test: {json.dumps(c['ap50_per_class'])}.
"""
    if b:
        lines += f"""
Tiled full-resolution baseline (the same stage-2 network over the whole tile: {b.get('windows_per_tile')} windows of 128 px,
20% overlap, NMS 0.5) on the first {b.get('tiles')} test tiles: AP@0.5 {b['ap50']}, recall {b['recall']} (cascade on the same
tiles: AP@0.5 {cb.get('ap50')}, recall {cb.get('recall')}, {cb.get('crops_per_tile')} crops/tile).
Compute per 1024 px tile: stage 1 {mac['s1']:.1f} MMAC + {c['crops_per_tile']} crops x {mac['s2']:.1f} MMAC = {mac['s1'] + c['crops_per_tile'] * mac['s2']:.0f} MMAC
for the cascade against {b.get('windows_per_tile')} x {mac['s2']:.1f} = {b.get('windows_per_tile', 0) * mac['s2']:.0f} MMAC for the tiled baseline
({b.get('windows_per_tile', 0) * mac['s2'] / (mac['s1'] + c['crops_per_tile'] * mac['s2']):.1f}x fewer). Wall-time ratios are measured by the app's bench.
"""
    lines += f"""
## CI floors (test/fixtures/aerial: {mfx['tiles']} tiles, {mfx['objects']} objects)
Measured with the Python reference: AP@0.5 {mfx['ap50']}, recall {mfx['recall']} at score >= {mfx['score_threshold']},
stage-1 coverage {mfx['stage1_coverage']}, {mfx['crops_per_tile']} crops/tile.
Floors for the TypeScript cascade (measured minus margin for resampling differences):
**AP@0.5 >= {floors['ap50']}, recall >= {floors['recall']}**, stage-1 coverage >= {floors['stage1_coverage']}.

## Limits
* Synthetic training data only: real imagery will be harder (other sensors, seasons, shadows,
  dense urban scenes with many vehicles, vehicles under partial occlusion). Treat scores as uncalibrated.
* GSD outside 10-16 cm/px is untested; very large objects (airliners, ships > 24 m) were never shown.
* Classes are coarse (vehicle / boat / plane); trucks, vans and buses are all `vehicle`.
* Weights derive from GPL-2+ FlightGear assets (textures, 3-D models); the weights are released under
  the project licence, but check this if redistribution terms matter to you.
"""
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--baseline-limit", type=int, default=60)
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="(dry runs) evaluate on the first N tiles of each split")
    ap.add_argument("--history", default=None, help="text file appended to the card's Training section (earlier runs)")
    ap.add_argument("--fixture-out", default=None, help="parity fixture path (default test/fixtures/models/odgi/parity-<id>.json)")
    a = ap.parse_args()
    global HISTORY
    HISTORY = a.history
    out = a.out or os.path.join(REPO, "models", a.id)
    ck = os.path.abspath(a.ckpt)
    t0 = time.time()
    if not a.skip_sweep or not os.path.exists(os.path.join(ck, "thresholds.json")):
        py("training/odgi/eval.py", "--ckpt", ck, "--split", "val", "--sweep", "--limit", str(a.limit))
    py("training/odgi/eval.py", "--ckpt", ck, "--split", "test", "--thresholds", os.path.join(ck, "thresholds.json"),
       "--baseline", "--baseline-limit", str(a.baseline_limit), "--limit", str(a.limit))
    th = json.load(open(os.path.join(ck, "thresholds.json")))
    mval = json.load(open(os.path.join(ck, "metrics_val.json")))
    mtest = json.load(open(os.path.join(ck, "metrics_test.json")))
    ev.cascade.nms = ev.fast_nms
    runner = ev.Runner(ck)
    params = {**cascade.DEFAULTS, **th}
    mfx = fixture_metrics(runner, params)
    floors = {"ap50": floor_of(mfx["ap50"], 0.08), "recall": floor_of(mfx["recall"], 0.08),
              "stage1_coverage": floor_of(mfx["stage1_coverage"], 0.08)}
    meta = runner.meta
    metrics = {
        "test": {k: mtest["cascade"][k] for k in ("ap50", "ap50_per_class", "recall", "precision", "max_recall", "score_threshold",
                                                 "stage1_coverage", "crops_per_tile", "kept_per_tile", "area_fraction_full_res", "tiles", "objects")},
        "val": {k: mval["cascade"][k] for k in ("ap50", "recall", "stage1_coverage", "crops_per_tile")},
        "tiledBaselineTest": {k: mtest.get("tiled_baseline", {}).get(k) for k in ("ap50", "recall", "windows_per_tile", "tiles")},
        "cascadeOnBaselineTiles": {k: mtest.get("cascade_on_baseline_tiles", {}).get(k) for k in ("ap50", "recall", "crops_per_tile")},
        "ciFixture": {**mfx, "path": "test/fixtures/aerial/boxes.json"},
        "ciFloors": floors,
        "training": {k: meta.get(k) for k in ("config", "step", "tiles_seen", "elapsed_s", "device", "torch", "data")},
        "evaluation": "Python reference cascade (training/odgi/cascade.py) with PyTorch; AP@0.5 VOC all-point, dataset level, class-agnostic",
    }
    mpath = os.path.join(ck, "metrics_release.json")
    json.dump(metrics, open(mpath, "w"), indent=1)
    py("training/odgi/export.py", "--ckpt", ck, "--out", out, "--id", a.id, "--thresholds", os.path.join(ck, "thresholds.json"), "--metrics", mpath,
       *(["--fixture", a.fixture_out] if a.fixture_out else []))
    # examples.png: 512 px windows of test tiles (white: crops, green: ground truth, red/blue/yellow: vehicle/boat/plane
    # detections above the operating threshold; thick = kept by stage 1)
    items = [i for i in ev.load_split("test") if len(json.load(open(i))["boxes"]) >= 5][:4]
    ev.draw_examples(runner, items, params, os.path.join(out, "examples.png"), n=4, size=384, window=512)
    from PIL import Image

    ex = os.path.join(out, "examples.png")
    for colors in (256, 160, 96):
        if os.path.getsize(ex) <= 290_000:
            break
        Image.open(ex).convert("RGB").quantize(colors=colors, method=Image.MEDIANCUT).save(ex, optimize=True)
    from manifest import sha256

    pack_sha = sha256(os.path.join(REPO, "training", "data", "cache", "gpu", "odgi", "blobs.bin"))
    with open(os.path.join(out, "MODEL_CARD.md"), "w") as f:
        mac = {"s1": conv_macs(runner.s1, meta["model"]["s1_size"]), "s2": conv_macs(runner.s2, meta["model"]["s2_size"])}
        f.write(card(a.id, meta, ck, params, mtest, mval, mfx, floors, pack_sha, mac))
    print(json.dumps(metrics, indent=1))
    print(f"release {a.id} done in {time.time() - t0:.0f}s -> {out}")


if __name__ == "__main__":
    main()
