"""The tile gate (issue 11 item 5, after MSViT's gating): a tiny CNN that sees a 1024 px
stage-1 tile at 1/16 (64 x 64, pyramid level 4) and says whether stage 1 needs to run on
it at all. Multiple-instance style: a logit per 8 x 8 cell, the tile's logit is their max
(an object anywhere in the tile makes it positive).

Data: scripts/odgi/gate-data.ts (scenes of scripts/bench/aerial-scene.ts reduced to 1/16).

    nice -n 10 npx tsx scripts/odgi/gate-data.ts --out training/data/cache/odgi/gate \
        --split train:8192:10:100-123 --split train:8192:default:124-131 \
        --split val:20000:default:2 --split val:8192:default:4-5
    nice -n 5 /usr/bin/python3 training/odgi/gate.py train --data training/data/cache/odgi/gate \
        --out training/runs/odgi-gate --epochs 30
    /usr/bin/python3 training/odgi/gate.py export --data training/data/cache/odgi/gate \
        --ckpt training/runs/odgi-gate --model models/odgi-cpu

Labels (per window, full-resolution boxes): positive when some box has >= 25% of its area
inside the tile; negative when no box touches it; windows holding only slivers (< 25%) are
left out of the loss. Hard negatives come from the ground itself: every window of the
object tiles' own background (water, piers, aprons, roads) and of the ground tiles' houses,
containers and bales that holds no box is a negative.

Seeds: train 100-131, validation (threshold) 2, 4, 5; evaluation 1 (bench and its test)
and 3 (the gate's engine test) are never read here.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from manifest import rehash  # noqa: E402

TILE = 1024
FACTOR = 16
S = TILE // FACTOR
POS_FRAC = 0.25
EVAL_SEEDS = {1, 3}
OPSET = 17


class Gate(nn.Module):
    def __init__(self, width=16):
        super().__init__()

        def block(i, o, s):
            return nn.Sequential(nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

        self.body = nn.Sequential(block(3, 8, 2), block(8, width, 2), block(width, width, 1), block(width, width, 2))
        self.head = nn.Conv2d(width, 1, 1)

    def cell_logits(self, x):
        return self.head(self.body(x))[:, 0]

    def forward(self, x):
        return self.cell_logits(x).flatten(1).max(1).values


class GateOnnx(nn.Module):
    """The exported graph: object_prob [N] = sigmoid of the tile logit."""

    def __init__(self, gate):
        super().__init__()
        self.gate = gate

    def forward(self, image):
        return torch.sigmoid(self.gate(image))


def axis_positions(length, window, stride):
    # Same as electron/engine/pipelines/detect/patches.ts axisPositions.
    if length <= window:
        return [0]
    out, p = [], 0
    while p + window < length:
        out.append(p)
        p += stride
    out.append(length - window)
    return sorted(set(out))


def load_scenes(data, split):
    scenes = []
    for meta_path in sorted(glob.glob(os.path.join(data, f"{split}-*.json"))):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta["seed"] in EVAL_SEEDS:
            raise SystemExit(f"{meta_path}: seed {meta['seed']} is an evaluation seed")
        n = meta["size"] // FACTOR
        img = np.fromfile(meta_path[:-5] + ".rgb", dtype=np.uint8).reshape(n, n, 3)
        boxes = np.array(meta["boxes"], dtype=np.float64).reshape(-1, 4)
        scenes.append({"meta": meta, "img": img, "boxes": boxes})
    return scenes


def label(boxes, x, y):
    """1 positive, 0 negative, -1 left out (slivers only). x, y: tile origin in full-res px."""
    if not len(boxes):
        return 0
    ix = np.clip(np.minimum(boxes[:, 2], x + TILE) - np.maximum(boxes[:, 0], x), 0, None)
    iy = np.clip(np.minimum(boxes[:, 3], y + TILE) - np.maximum(boxes[:, 1], y), 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    frac = ix * iy / np.maximum(area, 1e-6)
    if frac.max() >= POS_FRAC:
        return 1
    return -1 if frac.max() > 0 else 0


def window(scene, x, y):
    return scene["img"][y // FACTOR:y // FACTOR + S, x // FACTOR:x // FACTOR + S]


def grid_windows(scene):
    size = scene["meta"]["size"]
    xs = axis_positions(size, TILE, TILE)
    return [(x, y) for y in xs for x in xs]


def sample_train(scenes, per_scene, rng):
    xs, ys = [], []
    for sc in scenes:
        size = sc["meta"]["size"]
        spots = grid_windows(sc) + [(FACTOR * rng.randrange((size - TILE) // FACTOR + 1), FACTOR * rng.randrange((size - TILE) // FACTOR + 1)) for _ in range(per_scene)]
        for x, y in spots:
            lab = label(sc["boxes"], x, y)
            if lab < 0:
                continue
            xs.append(window(sc, x, y))
            ys.append(lab)
    return np.stack(xs), np.array(ys, dtype=np.float32)


def to_tensor(batch):
    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float() / 255.0


def augment(x):
    # x: N,3,S,S in [0,1]; flips / transposes (the ground has no up) and a mild exposure / colour jitter.
    if random.random() < 0.5:
        x = x.flip(3)
    if random.random() < 0.5:
        x = x.flip(2)
    if random.random() < 0.5:
        x = x.transpose(2, 3)
    gain = 1 + 0.15 * (torch.rand(x.shape[0], 3, 1, 1) - 0.5)
    bias = 0.06 * (torch.rand(x.shape[0], 1, 1, 1) - 0.5)
    return (x * gain + bias).clamp(0, 1)


def save(out, model, opt, meta):
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "gate.pt.tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "meta": meta}, tmp)
    os.replace(tmp, os.path.join(out, "gate.pt"))


def evaluate(model, scenes):
    """Grid tiles as the engine plans them: probabilities and labels (-1 slivers kept as such)."""
    probs, labs = [], []
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for sc in scenes:
            spots = grid_windows(sc)
            x = to_tensor(np.stack([window(sc, a, b) for a, b in spots]))
            probs.append(torch.sigmoid(model(x)).numpy())
            labs.append(np.array([label(sc["boxes"], a, b) for a, b in spots]))
    model.train(was_training)
    return np.concatenate(probs), np.concatenate(labs)


def choose_threshold(probs, labs, recall=0.99, margin=1.0):
    """The highest threshold keeping >= `recall` of the positive tiles (times `margin`: 1, a slack of 0.5 skipped almost nothing)."""
    pos = np.sort(probs[labs == 1])
    k = int(np.floor((1 - recall) * len(pos)))  # positives that may fall below
    t99 = float(pos[k]) if len(pos) else 0.5
    return t99 * margin, t99


def report(probs, labs, t):
    pos, neg = labs == 1, labs == 0
    keep = probs >= t
    return {
        "threshold": round(float(t), 6),
        "tiles": int(len(labs)),
        "positive_tiles": int(pos.sum()),
        "sliver_tiles": int((labs < 0).sum()),
        "tile_recall": round(float(keep[pos].mean()) if pos.any() else 1.0, 4),
        "negatives_skipped": round(float((~keep[neg]).mean()) if neg.any() else 0.0, 4),
        "tiles_skipped": round(float((~keep).mean()), 4),
    }


def train(args):
    torch.set_num_threads(2)
    rng = random.Random(args.seed)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    tr = load_scenes(args.data, "train")
    va = load_scenes(args.data, "val")
    print(f"train scenes {len(tr)} (seeds {[s['meta']['seed'] for s in tr]}), val scenes {len(va)} (seeds {[s['meta']['seed'] for s in va]})", flush=True)
    x_np, y_np = sample_train(tr, args.per_scene, rng)
    print(f"train windows {len(y_np)}: {int(y_np.sum())} positive, {int((1 - y_np).sum())} negative", flush=True)
    X, Y = to_tensor(x_np), torch.from_numpy(y_np)
    model = Gate(args.width)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    start, meta = 0, {}
    ck = os.path.join(args.out, "gate.pt")
    if os.path.exists(ck):
        state = torch.load(ck)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start, meta = state["meta"]["epoch"], state["meta"]
        print(f"resumed at epoch {start}", flush=True)
    elif args.init:
        state = torch.load(os.path.join(args.init, "gate.pt"))
        model.load_state_dict(state["model"])
        meta = {"init": {"from": args.init, "epochs": state["meta"]["epoch"], "elapsed_s": state["meta"]["elapsed_s"]}}
        print(f"initialised from {args.init} (epoch {state['meta']['epoch']})", flush=True)
    params = sum(p.numel() for p in model.parameters())
    pos_weight = torch.tensor((len(Y) - Y.sum()) / max(1.0, Y.sum()))
    t0 = time.time() - meta.get("elapsed_s", 0)
    init = meta.get("init")
    for epoch in range(start, args.epochs):
        lr = args.lr * 0.5 * (1 + np.cos(np.pi * epoch / args.epochs))
        for g in opt.param_groups:
            g["lr"] = lr
        perm = torch.randperm(len(Y))
        total = 0.0
        for i in range(0, len(Y), args.batch):
            idx = perm[i:i + args.batch]
            logits = model(augment(X[idx]))
            loss = F.binary_cross_entropy_with_logits(logits, Y[idx], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        probs, labs = evaluate(model, va)
        t, t99 = choose_threshold(probs, labs)
        rep = report(probs, labs, t)
        meta = {"init": init, "epoch": epoch + 1, "elapsed_s": time.time() - t0, "params": params, "width": args.width, "loss": total / len(Y), "val": rep, "t99": t99,
                "train_seeds": [s["meta"]["seed"] for s in tr], "val_seeds": [s["meta"]["seed"] for s in va], "train_windows": int(len(Y)), "train_positive": int(Y.sum())}
        save(args.out, model, opt, meta)
        print(f"epoch {epoch + 1}/{args.epochs} loss {meta['loss']:.4f} lr {lr:.5f} val {rep} t99 {t99:.4f} ({meta['elapsed_s']:.0f} s)", flush=True)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


def load_gate(ckpt):
    state = torch.load(os.path.join(ckpt, "gate.pt"))
    model = Gate(state["meta"]["width"])
    model.load_state_dict(state["model"])
    return model.eval(), state["meta"]


def export(args):
    from PIL import Image

    model, meta = load_gate(args.ckpt)
    va = load_scenes(args.data, "val")
    probs, labs = evaluate(model, va)
    t, t99 = choose_threshold(probs, labs)
    path = os.path.join(args.model, "gate.onnx")
    torch.onnx.export(GateOnnx(model), torch.rand(1, 3, S, S), path, opset_version=OPSET, input_names=["image"], output_names=["object_prob"],
                      dynamic_axes={"image": {0: "N"}, "object_prob": {0: "N"}}, do_constant_folding=True)
    # Parity fixture: a few validation thumbnails (lossless PNG, stacked) with PyTorch's probabilities.
    picks = []
    for want in (1, 0):
        order = np.argsort(-probs if want else probs)
        picks += [int(i) for i in order if labs[i] == want][:3]
    spots = [(sc, a, b) for sc in va for a, b in grid_windows(sc)]
    thumbs = np.stack([window(sc, a, b) for sc, a, b in (spots[i] for i in picks)])
    Image.fromarray(np.concatenate(list(thumbs), axis=0)).save(os.path.join(REPO, "test", "fixtures", "detect", "gate-thumbnails.png"))
    model.eval()
    with torch.no_grad():
        ref = torch.sigmoid(model(to_tensor(thumbs))).tolist()
    with open(os.path.join(REPO, "test", "fixtures", "detect", "gate-parity.json"), "w") as f:
        json.dump({"description": "tile-gate parity: thumbnails stacked vertically in gate-thumbnails.png (64 px each), PyTorch object_prob; made by training/odgi/gate.py export",
                   "size": S, "labels": [int(labs[i]) for i in picks], "object_prob": ref}, f, indent=1)
    mp = os.path.join(args.model, "manifest.json")
    with open(mp) as f:
        man = json.load(f)
    man["graphs"]["gate"] = {"file": "gate.onnx", "inputs": [{"name": "image", "type": "float32", "shape": ["N", 3, S, S]}],
                             "outputs": [{"name": "object_prob", "type": "float32", "shape": ["N"]}]}
    man["preprocessing"]["gate"] = {
        "inputSize": S, "tileFullResPx": TILE, "downsample": FACTOR, "threshold": round(t, 6),
        "resample": "area (box) average, pyramid level 4 (1/16) of a 2x box pyramid; tiles past the image edge padded with 0",
        "output": "object_prob = probability that the tile holds an object (>= 25% of a box); stage 1 is skipped on tiles below threshold",
        "threshold_rule": f"highest threshold keeping >= 99% of the positive validation tiles ({t99:.4f})",
    }
    man.setdefault("metrics", {})["gate"] = {"params": meta["params"], "epochs": meta["epoch"], "train_s": round(meta["elapsed_s"], 1),
                                            "train_seeds": meta["train_seeds"], "val_seeds": meta["val_seeds"], "train_windows": meta["train_windows"],
                                            "train_positive": meta["train_positive"], "val": report(probs, labs, t), "val_t99": round(t99, 6)}
    with open(mp, "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    rehash(args.model)
    print(json.dumps(man["metrics"]["gate"], indent=1))
    q = [0, 0.01, 0.05, 0.25, 0.5]
    print("val positive prob quantiles", np.quantile(probs[labs == 1], q).round(4).tolist())
    print("val negative prob quantiles", np.quantile(probs[labs == 0], [0.5, 0.75, 0.9, 0.99, 1]).round(4).tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["train", "export"])
    ap.add_argument("--data", default=os.path.join(REPO, "training", "data", "cache", "odgi", "gate"))
    ap.add_argument("--out", default=os.path.join(REPO, "training", "runs", "odgi-gate"))
    ap.add_argument("--ckpt", default=os.path.join(REPO, "training", "runs", "odgi-gate"))
    ap.add_argument("--model", default=os.path.join(REPO, "models", "odgi-cpu"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--per-scene", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", default=None, help="start from this run's weights (fresh optimizer and schedule)")
    args = ap.parse_args()
    train(args) if args.cmd == "train" else export(args)


if __name__ == "__main__":
    main()
