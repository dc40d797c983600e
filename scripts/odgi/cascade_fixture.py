"""Fixtures for the TypeScript cascade, produced by the Python reference (training/odgi/cascade.py).

    /usr/bin/python3 scripts/odgi/cascade_fixture.py                                   # logic cases only
    /usr/bin/python3 scripts/odgi/cascade_fixture.py --ckpt training/runs/odgi-cpu --model models/odgi-cpu

Writes test/fixtures/detect/cascade-reference.json (logic cases: hand-made and
seeded random stage-1/stage-2 outputs -> keep / crops / final, model-free) and,
with --ckpt/--model, test/fixtures/detect/cascade-<id>.json: for committed CI tiles
(test/fixtures/aerial) the PyTorch stage-1 outputs, the reference transition, the
stage-2 outputs of each crop (crop_resize from training/odgi/train.py) and the
final detections. The checkpoint must be the one the ONNX files were exported from:
it is checked against the model's parity fixture (test/fixtures/models/odgi/parity-<id>.json)
when that exists, and the sha256 of the ONNX files is recorded so the test knows
which model the fixture belongs to.

Nothing in training/odgi is modified; this only imports it.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "training", "odgi"))
import cascade  # noqa: E402

OUT_DIR = os.path.join(REPO, "test", "fixtures", "detect")
AERIAL = os.path.join(REPO, "test", "fixtures", "aerial")


def f32(v):
    import struct
    return struct.unpack("f", struct.pack("f", float(v)))[0]


FINAL_FLOOR = 0.1


def round_all(v):
    return [round_all(x) for x in v] if isinstance(v, list) else round(float(v), 6)


def f32_all(v):
    return [f32_all(x) for x in v] if isinstance(v, list) else f32(v)


def params_ts(p):
    return {"gamma": p["gamma"], "tauLow": p["tau_low"], "tauHigh": p["tau_high"], "cropNms": p["crop_nms"], "nms": p["final_nms"],
            "scoreMin": p["score_min"], "minCropSide": p["min_side"], "groupThreshold": p["group_threshold"]}


# --------------------------------------------------------------------------- model-free logic cases
def random_stage1(rng, G=16, C=3, dense=0.3):
    M = G * G
    boxes, conf, group, offsets, cls = [], [], [], [], []
    for i in range(M):
        r, c = divmod(i, G)
        cx, cy = (c + 0.5 + rng.uniform(-1.2, 1.2)) / G, (r + 0.5 + rng.uniform(-1.2, 1.2)) / G
        w, h = rng.uniform(0.2, 3.5) / G, rng.uniform(0.2, 3.5) / G
        boxes.append([f32(min(1, max(0, cx - w / 2))), f32(min(1, max(0, cy - h / 2))), f32(min(1, max(0, cx + w / 2))), f32(min(1, max(0, cy + h / 2)))])
        full = rng.random() < dense
        conf.append(f32(rng.uniform(0.3, 0.99) if full else rng.uniform(0.0, 0.15)))
        group.append(f32(rng.uniform(0.5, 1.0) if full and rng.random() < 0.5 else rng.uniform(0, 0.5)))
        offsets.append([f32(rng.uniform(0.05, 0.98)), f32(rng.uniform(0.05, 0.98))])
        cls.append([f32(rng.random()) for _ in range(C)])
    return {"boxes": boxes, "conf": conf, "group_prob": group, "offsets": offsets, "class_prob": cls}


def random_stage2(rng, n=14, C=3):
    boxes, scores, cls = [], [], []
    for _ in range(n):
        cx, cy, w, h = rng.random(), rng.random(), rng.uniform(0.03, 0.4), rng.uniform(0.03, 0.4)
        b = [f32(min(1, max(0, cx - w / 2))), f32(min(1, max(0, cy - h / 2))), f32(min(1, max(0, cx + w / 2))), f32(min(1, max(0, cy + h / 2)))]
        boxes.append(b)
        scores.append(f32(rng.random()))
        cls.append([f32(rng.random()) for _ in range(C)])
        if rng.random() < 0.3:  # a near duplicate (exercises the final NMS)
            d = [f32(min(1, max(0, v + rng.uniform(-0.01, 0.01)))) for v in b]
            boxes.append(d)
            scores.append(f32(rng.random()))
            cls.append([f32(rng.random()) for _ in range(C)])
    return {"boxes": boxes, "scores": scores, "class_prob": cls}


def hand_made():
    """Small cases that pin each rule (values exactly representable in float32)."""
    G = 4

    def empty():
        M = G * G
        return {"boxes": [[0.0, 0.0, 0.0, 0.0] for _ in range(M)], "conf": [0.0] * M, "group_prob": [0.0] * M,
                "offsets": [[0.5, 0.5] for _ in range(M)], "class_prob": [[0.0, 0.0, 0.0] for _ in range(M)]}

    cases = []
    # 1. a strong individual is kept, a weak one and a group become crops, an empty cell is ignored,
    #    conf exactly tau_low is not a candidate (strict >), conf exactly tau_high is not kept.
    s = empty()
    s["boxes"][0], s["conf"][0], s["group_prob"][0], s["class_prob"][0] = [0.125, 0.125, 0.1875, 0.15625], 0.875, 0.25, [0.25, 0.5, 0.125]
    s["boxes"][5], s["conf"][5], s["group_prob"][5], s["offsets"][5] = [0.3125, 0.3125, 0.4375, 0.375], 0.5, 0.75, [0.5, 0.5]
    s["boxes"][10], s["conf"][10], s["group_prob"][10], s["offsets"][10] = [0.625, 0.625, 0.65625, 0.640625], 0.375, 0.25, [0.75, 0.75]
    s["boxes"][15], s["conf"][15] = [0.9, 0.9, 0.95, 0.95], 0.25      # == tau_low: dropped
    s["boxes"][3], s["conf"][3], s["group_prob"][3] = [0.8, 0.0, 0.9, 0.0625], 0.75, 0.0  # == tau_high: a crop, not kept
    cases.append({"name": "keep, crop, thresholds are strict", "params": {"tau_low": 0.25, "tau_high": 0.75, "gamma": 8}, "stage1": s})
    # 2. crop NMS and gamma: three overlapping crops, gamma 2; ties broken by cell index.
    s = empty()
    for i, b in [(1, [0.4, 0.4, 0.5, 0.5]), (2, [0.41, 0.41, 0.51, 0.51]), (6, [0.0, 0.6, 0.1, 0.7]), (9, [0.8, 0.8, 0.85, 0.85])]:
        s["boxes"][i], s["conf"][i], s["group_prob"][i], s["offsets"][i] = [f32(v) for v in b], 0.5, 0.75, [0.25, 0.25]
    cases.append({"name": "crop NMS, gamma and ties", "params": {"tau_low": 0.1, "tau_high": 0.9, "gamma": 2, "crop_nms": 0.25}, "stage1": s})
    # 3. square crops at the tile border are shifted inside, the side is capped at 1, min side applies.
    s = empty()
    s["boxes"][0], s["conf"][0], s["group_prob"][0], s["offsets"][0] = [0.0, 0.0, 0.0625, 0.03125], 0.5, 0.75, [0.9, 0.9]   # min side
    s["boxes"][15], s["conf"][15], s["group_prob"][15], s["offsets"][15] = [0.75, 0.5, 1.0, 1.0], 0.4, 0.75, [0.1, 0.1]   # side capped
    s["boxes"][12], s["conf"][12], s["group_prob"][12], s["offsets"][12] = [0.0, 0.9, 0.125, 1.0], 0.3, 0.75, [0.5, 0.5]  # shifted
    cases.append({"name": "square crops: min side, cap, shift", "params": {"tau_low": 0.1, "tau_high": 0.9, "gamma": 8, "crop_nms": 0.9}, "stage1": s})
    return cases


def logic_cases():
    rng = random.Random(20261127)
    cases = hand_made()
    for k in range(4):
        p = {"tau_low": rng.choice([0.05, 0.1, 0.2]), "tau_high": rng.choice([0.6, 0.8, 0.9, 1.01]), "gamma": rng.choice([1, 3, 6, 10]),
             "crop_nms": rng.choice([0.25, 0.5]), "final_nms": rng.choice([0.3, 0.5]), "score_min": rng.choice([0.05, 0.2])}
        cases.append({"name": f"random {k}", "params": p, "stage1": random_stage1(rng, dense=rng.choice([0.1, 0.3, 0.6]))})
    out = []
    for case in cases:
        case["stage1"] = {k: f32_all(v) for k, v in case["stage1"].items()}  # the TS side reads Float32Arrays
        p = {**cascade.DEFAULTS, **case["params"]}
        keep, crops = cascade.transition(case["stage1"], p)
        s2 = [random_stage2(random.Random(zlib.crc32(f"{case['name']}/{i}".encode()))) for i in range(len(crops))]
        final = cascade.merge(keep, crops, s2, p)
        out.append({"name": case["name"], "params": params_ts(p), "stage1": case["stage1"], "keep": keep, "crops": crops, "stage2": s2, "final": final})
    return out


# --------------------------------------------------------------------------- real model on CI tiles
def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_cases(ckpt, model_dir, tiles, threads):
    import torch
    import numpy as np
    from PIL import Image
    from export import load_models
    from train import crop_resize, stage1_input

    torch.set_num_threads(threads)
    man = json.load(open(os.path.join(model_dir, "manifest.json")))
    mid = man["id"]
    meta, s1, s2 = load_models(ckpt)
    cfg = meta["model"]
    parity = os.path.join(REPO, "test", "fixtures", "models", "odgi", f"parity-{mid}.json")
    if os.path.exists(parity):
        fx = json.load(open(parity))
        u8 = torch.frombuffer(bytearray(base64.b64decode(fx["stage1"]["input_u8_b64"])), dtype=torch.uint8)
        x = u8.float().reshape(fx["stage1"]["input_shape"]) / 255.0
        with torch.no_grad():
            conf = s1(x)[1].reshape(-1)
        exp = torch.tensor(fx["stage1"]["outputs"]["conf"]["data"])
        err = float((conf - exp).abs().max())
        if err > 1e-4:
            raise SystemExit(f"{ckpt} is not the checkpoint {mid} was exported from (stage-1 conf differs by {err:.2e} on its parity input)")
        print(f"checkpoint matches {parity} (max diff {err:.1e})")
    th = man.get("thresholds", {})
    p = {**cascade.DEFAULTS, "tau_low": th.get("tauLow", 0.1), "tau_high": th.get("tauHigh", 0.8), "gamma": th.get("gamma", 6),
         "crop_nms": th.get("cropNms", 0.25), "final_nms": th.get("nms", 0.5), "score_min": th.get("scoreMin", 0.05),
         "min_side": th.get("minCropSide", 0.125), "group_threshold": th.get("groupThreshold", 0.5)}
    doc = json.load(open(os.path.join(AERIAL, "boxes.json")))
    rows = []
    for t in doc["tiles"]:
        if tiles and t["file"] not in tiles:
            continue
        path = os.path.join(AERIAL, t["file"])
        if not os.path.exists(path):
            continue
        im = np.asarray(Image.open(path).convert("RGB"))
        img = torch.from_numpy(im.copy()).permute(2, 0, 1)
        x = img.float()[None] / 255.0
        with torch.no_grad():
            b, c, g, o, cp = s1(stage1_input(x, cfg["s1_size"]))
        so = {"boxes": b[0].tolist(), "conf": c[0].tolist(), "group_prob": g[0].tolist(), "offsets": o[0].tolist(), "class_prob": cp[0].tolist()}
        keep, crops = cascade.transition(so, p)
        s2o = []
        if crops:
            with torch.no_grad():
                xb = crop_resize(x[0], torch.tensor([cr["box"] for cr in crops]), cfg["s2_size"])
                bb, ss, cc = s2(xb)
            for j in range(len(crops)):
                k = (ss[j] >= p["score_min"]).nonzero()[:, 0]
                s2o.append({"boxes": bb[j][k].tolist(), "scores": ss[j][k].tolist(), "class_prob": cc[j][k].tolist()})
        final = cascade.merge(keep, crops, s2o, p)
        # Stage-1 outputs to 6 decimals (the TS test compares its own ONNX outputs with a tolerance);
        # final detections down to FINAL_FLOOR (the test compares those).
        so = {k: round_all(v) for k, v in so.items()}
        rows.append({"file": t["file"], "size": im.shape[1], "stage1": so, "keep": keep, "crops": crops,
                     "final": [d for d in final if d["score"] >= FINAL_FLOOR], "final_floor": FINAL_FLOOR, "objects": len(t["boxes"])})
        print(f"{t['file']}: {len(keep)} kept, {len(crops)} crops, {len(final)} final", flush=True)
    files = {f["path"]: f["sha256"] for f in man["files"]}
    for name in ("stage1.onnx", "stage2.onnx"):
        assert files.get(name) == sha256(os.path.join(model_dir, name)), f"{name} does not match its manifest"
    return {"model": mid, "files": files, "params": params_ts(p), "stage1_size": cfg["s1_size"], "stage2_size": cfg["s2_size"],
            "note": "stage-1 input: 4x4 box average of the tile (train.stage1_input); crops: train.crop_resize (box pool + 2x2 supersampled bilinear)",
            "tiles": rows}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--model", default=None, help="models/<id> folder the checkpoint was exported to")
    ap.add_argument("--tiles", nargs="*", default=None, help="CI tile file names (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=OUT_DIR, help="output folder (default test/fixtures/detect)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ref = {"generator": "scripts/odgi/cascade_fixture.py", "reference": "training/odgi/cascade.py", "cases": logic_cases()}
    path = os.path.join(a.out, "cascade-reference.json")
    with open(path, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print("wrote", path, f"({os.path.getsize(path) // 1024} KiB, {len(ref['cases'])} cases)")
    if a.ckpt and a.model:
        doc = {"generator": "scripts/odgi/cascade_fixture.py", "reference": "training/odgi/cascade.py", **model_cases(a.ckpt, a.model, a.tiles, a.threads)}
        path = os.path.join(a.out, f"cascade-{doc['model']}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
        print("wrote", path, f"({os.path.getsize(path) // 1024} KiB, {len(doc['tiles'])} tiles)")


if __name__ == "__main__":
    main()
