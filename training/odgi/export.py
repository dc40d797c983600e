"""Export a checkpoint to ONNX (opset 17), write manifest.json and the parity fixture.

    /usr/bin/python3 training/odgi/export.py --ckpt training/runs/odgi-cpu --out models/odgi-cpu \
        [--thresholds training/runs/odgi-cpu/thresholds.json] [--metrics training/runs/odgi-cpu/metrics_test.json]

The checkpoint may come from the GPU machine (torch 2.x): checkpoints are in the
portable format of checkpoint.py, so export always runs here with torch 1.13.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from cascade import DEFAULTS  # noqa: E402
from checkpoint import load_checkpoint  # noqa: E402
from gen import CLASSES  # noqa: E402
from manifest import rehash  # noqa: E402
from model import build  # noqa: E402

OPSET = 17
S1_OUT = ["boxes", "conf", "group_prob", "offsets", "class_prob"]
S2_OUT = ["boxes", "scores", "class_prob"]


def load_models(ckpt):
    meta, sd1, sd2 = load_checkpoint(ckpt)
    s1, s2 = build(meta["config"])
    s1.load_state_dict(sd1)
    s2.load_state_dict(sd2)
    return meta, s1.eval(), s2.eval()


def export_onnx(model, size, path, out_names):
    x = torch.rand(1, 3, size, size)
    dyn = {"image": {0: "N"}}
    for n in out_names:
        dyn[n] = {0: "N"}
    torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["image"], output_names=out_names,
                      dynamic_axes=dyn, do_constant_folding=True)
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def git_commit():
    try:
        return subprocess.check_output(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


def b64(t_u8):
    return base64.b64encode(t_u8.contiguous().numpy().tobytes()).decode()


def write_fixture(s1, s2, meta, model_id, path):
    """Real test-tile inputs as uint8 (float input = u8 / 255) + PyTorch outputs."""
    from dataset import TILES, load_item
    from train import crop_resize, stage1_input

    cfg = meta["model"]
    js = sorted(os.listdir(os.path.join(TILES, "test")))
    js = [os.path.join(TILES, "test", j) for j in js if j.endswith(".json")]
    # pick a tile with several objects
    item = None
    for j in js:
        with open(j) as f:
            if len(json.load(f)["boxes"]) >= 6:
                item = j
                break
    img, boxes, _ = load_item(item or js[0])
    x = img.float() / 255.0
    s1_in = stage1_input(x[None], cfg["s1_size"])
    s1_u8 = (s1_in[0] * 255).round().clamp(0, 255).to(torch.uint8)
    s1_x = s1_u8.float()[None] / 255.0
    b = boxes[0] / img.shape[-1] if len(boxes) else torch.tensor([0.4, 0.4, 0.5, 0.5])
    cx, cy = float(b[0] + b[2]) / 2, float(b[1] + b[3]) / 2
    crops = torch.tensor([[max(0, cx - 0.1), max(0, cy - 0.1), max(0, cx - 0.1) + 0.2, max(0, cy - 0.1) + 0.2], [0.0, 0.0, 0.125, 0.125]])
    s2_u8 = (crop_resize(x, crops, cfg["s2_size"]) * 255).round().clamp(0, 255).to(torch.uint8)
    s2_x = s2_u8.float() / 255.0
    with torch.no_grad():
        o1 = s1(s1_x)
        o2 = s2(s2_x)
    fx = {
        "model": model_id,
        "note": "inputs are uint8 NCHW (base64); the float32 input is u8 / 255. Expected outputs from PyTorch; compare with max abs diff <= 1e-4.",
        "source_tile": os.path.relpath(item or js[0], REPO),
        "stage1": {"input_shape": list(s1_x.shape), "input_u8_b64": b64(s1_u8),
                   "outputs": {n: {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]} for n, t in zip(S1_OUT, o1)}},
        "stage2": {"input_shape": list(s2_x.shape), "input_u8_b64": b64(s2_u8),
                   "outputs": {n: {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]} for n, t in zip(S2_OUT, o2)}},
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(fx, f, separators=(",", ":"))
    return path


def recipe_note(meta):
    """Describes continuation runs (train.py --init): this run's recipe, then the chain of runs it started from."""
    i = meta.get("init")
    if not i:
        return ""
    t = meta.get("train", {})
    note = (f": continued for {meta.get('elapsed_s', 0) / 60:.1f} min / {meta.get('step')} steps (crops k_pred={t.get('k_pred')} "
            f"k_gt={t.get('k_gt')} k_rand={t.get('k_rand')}, lr {t.get('lr')})")
    chain = []
    while i:
        chain.append(f"{(i.get('elapsed_s') or 0) / 60:.1f} min / {i.get('step')} steps")
        i = i.get("previous")
    return note + " from a run of " + ", itself continued from a run of ".join(chain)


def thresholds_for_manifest(th):
    th = {**DEFAULTS, **(th or {})}
    return {
        "gamma": int(th["gamma"]), "tauLow": th["tau_low"], "tauHigh": th["tau_high"], "cropNms": th["crop_nms"],
        "nms": th["final_nms"], "scoreMin": th["score_min"], "minCropSide": th["min_side"],
        "groupThreshold": th["group_threshold"], "scoreThreshold": th.get("score_threshold", 0.3),
    }


def write_manifest(out, model_id, meta, thresholds, metrics):
    cfg = meta["model"]
    g1 = cfg["s1_size"] // 16
    g2 = cfg["s2_size"] // 8
    C = len(CLASSES)
    man = {
        "schemaVersion": 1,
        "id": model_id,
        "name": f"ODGI aerial group cascade ({meta['config']} config)",
        "task": "detection",
        "version": "1.0.0",
        "description": ("Two-stage ODGI cascade for small objects (vehicles, boats, light aircraft) in overhead imagery at ~10-16 cm/px. "
                        "Stage 1 sees a 4x-reduced 1024 px tile and proposes individuals and groups with learned crop offsets; "
                        "stage 2 refines square crops read at full resolution."),
        "license": "Apache-2.0",
        "source": f"trained by training/odgi/train.py --config {meta['config']} (commit {git_commit()}){recipe_note(meta)}; data from training/odgi/gen.py "
                  f"(FlightGear textures and 3-D models, Debian flightgear-data-base 1:2020.3.16+dfsg-1, GPL-2+)",
        "files": [{"path": "stage1.onnx", "sha256": "0" * 64, "bytes": 0}, {"path": "stage2.onnx", "sha256": "0" * 64, "bytes": 0}],
        "graphs": {
            "stage1": {"file": "stage1.onnx",
                       "inputs": [{"name": "image", "type": "float32", "shape": ["N", 3, cfg["s1_size"], cfg["s1_size"]]}],
                       "outputs": [{"name": "boxes", "type": "float32", "shape": ["N", g1 * g1, 4]},
                                   {"name": "conf", "type": "float32", "shape": ["N", g1 * g1]},
                                   {"name": "group_prob", "type": "float32", "shape": ["N", g1 * g1]},
                                   {"name": "offsets", "type": "float32", "shape": ["N", g1 * g1, 2]},
                                   {"name": "class_prob", "type": "float32", "shape": ["N", g1 * g1, C]}]},
            "stage2": {"file": "stage2.onnx",
                       "inputs": [{"name": "image", "type": "float32", "shape": ["N", 3, cfg["s2_size"], cfg["s2_size"]]}],
                       "outputs": [{"name": "boxes", "type": "float32", "shape": ["N", g2 * g2, 4]},
                                   {"name": "scores", "type": "float32", "shape": ["N", g2 * g2]},
                                   {"name": "class_prob", "type": "float32", "shape": ["N", g2 * g2, C]}]},
        },
        "labels": list(CLASSES),
        # Metres per pixel: the range gen.make_tile_scene draws tiles from, and the scale the scenes use.
        "gsd": {"min": 0.10, "max": 0.16, "native": 0.125},
        "preprocessing": {
            "color": "RGB", "layout": "NCHW", "range": [0, 1], "normalization": "x / 255, no mean/std",
            "stage1": {"inputSize": cfg["s1_size"], "tileFullResPx": cfg["s1_size"] * 4, "downsample": 4,
                       "resample": "area (box) average, e.g. pyramid level 2 (1/4) of a 2x box pyramid",
                       "grid": g1, "cellOrder": "row-major (index = row * grid + col)",
                       "padding": "tiles running past the image edge are padded with 0 (black); boxes are normalised to the padded tile",
                       "outputs": "boxes xyxy normalised to the stage-1 tile, clipped to [0,1]; conf = predicted IoU; group_prob > groupThreshold means group; offsets (ox, oy) in (0,1); class_prob sigmoid per class"},
            "stage2": {"inputSize": cfg["s2_size"], "stride": 8, "grid": g2,
                       "crop": "square crop read at full resolution and resized (area/bilinear, antialiased) to inputSize; crop side >= minCropSide * tileFullResPx = 128 px so small crops are native resolution",
                       "outputs": "boxes xyxy normalised to the crop, clipped to [0,1]; scores = sigmoid objectness (class-agnostic); class_prob softmax"},
            "cascade": "see training/odgi/README.md (keep / crop / crop NMS / stage 2 / map back / final NMS); reference implementation training/odgi/cascade.py",
        },
        "thresholds": thresholds_for_manifest(thresholds),
        "metrics": metrics or {},
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    rehash(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", default=None)
    ap.add_argument("--thresholds", default=None)
    ap.add_argument("--metrics", default=None)
    ap.add_argument("--fixture", default=None, help="parity fixture path (default test/fixtures/models/odgi/parity-<id>.json)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    meta, s1, s2 = load_models(a.ckpt)
    model_id = a.id or os.path.basename(os.path.normpath(a.out))
    os.makedirs(a.out, exist_ok=True)
    cfg = meta["model"]
    export_onnx(s1, cfg["s1_size"], os.path.join(a.out, "stage1.onnx"), S1_OUT)
    export_onnx(s2, cfg["s2_size"], os.path.join(a.out, "stage2.onnx"), S2_OUT)
    th = json.load(open(a.thresholds)) if a.thresholds else None
    metrics = json.load(open(a.metrics)) if a.metrics else None
    write_manifest(a.out, model_id, meta, th, metrics)
    fx = a.fixture or os.path.join(REPO, "test", "fixtures", "models", "odgi", f"parity-{model_id}.json")
    write_fixture(s1, s2, meta, model_id, fx)
    print("exported", a.out, "fixture", fx, f"({os.path.getsize(fx) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
