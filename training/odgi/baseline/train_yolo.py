"""Trains the single-shot baseline (yolo.py) on ODGI's own training data, time-bounded and resumable.

    # ODGI's frozen train split (training/data/cache/odgi/tiles/train, seeds 1,000,000+, generator v1),
    # the same tiles train.py --config cpu reads; the list is re-scanned every epoch
    nice -n 5 /usr/bin/python3 training/odgi/baseline/train_yolo.py --minutes 40 --out training/runs/aerial-yolo
    # later: another phase from that checkpoint (budget adds up in ckpt meta "total_minutes")
    nice -n 5 /usr/bin/python3 training/odgi/baseline/train_yolo.py --minutes 95 --resume training/runs/aerial-yolo --out training/runs/aerial-yolo

Random square crops (--crop px, full resolution, half of them centred on an object) of the 1024 px
tiles after train.py's augment (flips, transpose, edge padding) and colour jitter; YOLOv8's
task-aligned assigner (top 10 anchors per box inside it by cls^1 x IoU^6) with IoU-aware soft class
targets (BCE) and GIoU box loss; AdamW, warm-up + cosine over this phase's --minutes, EMA weights.
Checkpoints (OUT/ckpt.pt, atomic) every --ckpt-minutes and at the end; SIGTERM finishes the step and
saves. One torch thread (the machine is shared).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import signal
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from yolo import Detector, anchor_points, count_params, decode_xyxy, flatten  # noqa: E402


def box_iou(a, b):
    """(M,4) x (A,4) xyxy -> (M,A)."""
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = lambda x: (x[..., 2] - x[..., 0]).clamp(min=0) * (x[..., 3] - x[..., 1]).clamp(min=0)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter + 1e-9)


def giou_pairs(a, b):
    lt, rb = torch.max(a[:, :2], b[:, :2]), torch.min(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    union = area_a + area_b - inter + 1e-9
    c = (torch.max(a[:, 2:], b[:, 2:]) - torch.min(a[:, :2], b[:, :2])).clamp(min=0).prod(-1) + 1e-9
    return inter / union - (c - union) / c


@torch.no_grad()
def assign(scores, boxes, pts, gt, gcls, topk=10, alpha=1.0, beta=6.0):
    """Task-aligned assignment for one image. scores (A,nc) sigmoid, boxes (A,4) px, gt (M,4),
    gcls (M,). -> target scores (A,nc), target boxes (A,4), positive mask (A,)."""
    A, nc = scores.shape
    tscore = torch.zeros(A, nc)
    tbox = torch.zeros(A, 4)
    pos = torch.zeros(A, dtype=torch.bool)
    if len(gt) == 0:
        return tscore, tbox, pos
    inside = (pts[None, :, 0] > gt[:, None, 0]) & (pts[None, :, 0] < gt[:, None, 2]) & (pts[None, :, 1] > gt[:, None, 1]) & (pts[None, :, 1] < gt[:, None, 3])
    iou = box_iou(gt, boxes)  # (M,A)
    align = scores[:, gcls].T.pow(alpha) * iou.pow(beta) * inside
    k = min(topk, A)
    top = align.topk(k, 1).indices
    cand = torch.zeros_like(inside)
    cand.scatter_(1, top, True)
    cand &= inside
    # tiny boxes with no anchor centre inside: their nearest anchor
    empty = cand.sum(1) == 0
    if empty.any():
        c = (gt[empty, :2] + gt[empty, 2:]) / 2
        near = torch.cdist(c, pts).argmin(1)
        cand[empty.nonzero()[:, 0], near] = True
    # an anchor claimed by several boxes goes to the one it overlaps most
    multi = cand.sum(0) > 1
    if multi.any():
        best = (iou * cand).argmax(0)
        cand[:, multi] = False
        cand[best[multi], multi.nonzero()[:, 0]] = True
    pos = cand.any(0)
    gi = cand.float().argmax(0)
    tbox = gt[gi]
    align = align * cand
    norm = align / (align.amax(1, keepdim=True) + 1e-9) * (iou * cand).amax(1, keepdim=True)
    q = norm.amax(0)  # (A,)
    tscore[pos, gcls[gi[pos]]] = q[pos]
    return tscore, tbox, pos


def detection_loss(outs, gts, gcls):
    ltrb, logits, shapes = flatten(outs)
    pts, _ = anchor_points(shapes, ltrb.device)
    boxes = decode_xyxy(ltrb, pts)
    B = ltrb.shape[0]
    ts, tb, ps = [], [], []
    for i in range(B):
        a, b, p = assign(logits[i].detach().sigmoid(), boxes[i].detach(), pts, gts[i], gcls[i])
        ts.append(a), tb.append(b), ps.append(p)
    ts, tb, ps = torch.stack(ts), torch.stack(tb), torch.stack(ps)
    norm = max(ts.sum().item(), 1.0)
    l_cls = F.binary_cross_entropy_with_logits(logits, ts, reduction="sum") / norm
    if ps.any():
        w = ts.sum(-1)[ps]
        l_box = ((1 - giou_pairs(boxes[ps], tb[ps])) * w).sum() / norm
    else:
        l_box = logits.sum() * 0
    return 7.5 * l_box + 0.5 * l_cls, l_box.item(), l_cls.item(), int(ps.sum())


def random_crop(img, boxes, cls, size, rng, min_vis=0.4):
    """A size x size crop of a (3,H,W) uint8 tile (half of the time centred near a random box);
    boxes less than min_vis visible are dropped (as gen.py labels), the rest clipped."""
    H, W = img.shape[-2:]
    if len(boxes) and rng.random() < 0.5:
        b = boxes[rng.randrange(len(boxes))]
        cx = (b[0] + b[2]).item() / 2 + rng.uniform(-size / 3, size / 3)
        cy = (b[1] + b[3]).item() / 2 + rng.uniform(-size / 3, size / 3)
        x0, y0 = int(cx - size / 2), int(cy - size / 2)
    else:
        x0, y0 = rng.randrange(0, W - size + 1), rng.randrange(0, H - size + 1)
    x0, y0 = max(0, min(W - size, x0)), max(0, min(H - size, y0))
    crop = img[:, y0:y0 + size, x0:x0 + size]
    if len(boxes) == 0:
        return crop, boxes.view(0, 4), cls
    b = boxes - torch.tensor([x0, y0, x0, y0], dtype=boxes.dtype)
    c = b.clamp(0, size)
    area = lambda x: (x[:, 2] - x[:, 0]).clamp(min=0) * (x[:, 3] - x[:, 1]).clamp(min=0)  # noqa: E731
    keep = area(c) >= min_vis * area(b).clamp(min=1e-6)
    keep &= ((c[:, 2] - c[:, 0]) >= 2) & ((c[:, 3] - c[:, 1]) >= 2)
    return crop, c[keep], cls[keep]


def lr_at(frac, base, warm=0.03):
    if frac < warm:
        return base * (0.1 + 0.9 * frac / warm)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - warm) / (1 - warm)))))


class EMA:
    def __init__(self, model, decay=0.999, updates=0):
        self.model = copy.deepcopy(model).eval()
        self.decay, self.updates = decay, updates
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / 300))
        msd = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def save(out, model, ema, opt, meta):
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "ckpt.pt.tmp")
    torch.save({"model": model.state_dict(), "ema": ema.model.state_dict(), "ema_updates": ema.updates, "opt": opt.state_dict(), "meta": meta}, tmp)
    os.replace(tmp, os.path.join(out, "ckpt.pt"))
    with open(os.path.join(out, "meta.json.tmp"), "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(os.path.join(out, "meta.json.tmp"), os.path.join(out, "meta.json"))


def main():
    from dataset import TileFolder
    from train import augment, colour_jitter, jitter_params

    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=40.0, help="wall-time budget of this phase's training loop")
    ap.add_argument("--out", required=True)
    ap.add_argument("--resume", default=None, help="checkpoint folder: continue its weights, optimizer, EMA and budget")
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crops-per-tile", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    model = Detector()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=5e-4)
    ema = EMA(model)
    prev = {"total_minutes": 0.0, "steps": 0, "crops_seen": 0, "phases": []}
    phase_elapsed = 0.0
    if a.resume:
        ck = torch.load(os.path.join(a.resume, "ckpt.pt"), map_location="cpu")
        model.load_state_dict(ck["model"])
        ema = EMA(model, updates=ck["ema_updates"])
        ema.model.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        prev = ck["meta"]
        if not prev.get("final", True):  # interrupted phase: continue its schedule
            phase_elapsed = prev["phase_elapsed_s"]
            a.minutes = prev["phase_minutes"]
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "train.log"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    ds = TileFolder("train")
    if len(ds) == 0:
        raise SystemExit("no training tiles: run training/odgi/dataset.py --split train --n 1247 first")
    log(f"baseline detector {count_params(model)} params; {len(ds)} train tiles; crop {a.crop}, batch {a.batch}; phase {a.minutes} min "
        f"(resumed {prev['total_minutes']:.1f} min, {prev['steps']} steps)" + (f", phase at {phase_elapsed / 60:.1f} min" if phase_elapsed else ""))
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
    budget = a.minutes * 60
    t0 = time.time() - phase_elapsed
    last_ck = time.time()
    step, seen = prev["steps"], prev["crops_seen"]
    order, pos = [], 0
    epoch = 0
    run_loss = None

    def meta(final):
        el = time.time() - t0
        phases = list(prev.get("phases", []))
        if prev.get("final", True) or not a.resume:
            phases.append({"minutes": round(el / 60, 2), "lr": a.lr, "crop": a.crop, "batch": a.batch})
        else:
            phases[-1] = {**phases[-1], "minutes": round(el / 60, 2)}
        base_total = prev["total_minutes"] - (prev["phase_elapsed_s"] / 60 if (a.resume and not prev.get("final", True)) else 0)
        return {"total_minutes": round(base_total + el / 60, 2), "steps": step, "crops_seen": seen, "phase_elapsed_s": el, "phase_minutes": a.minutes,
                "final": final, "phases": phases, "params": count_params(model), "tiles": len(ds), "torch": torch.__version__, "threads": a.threads}

    while not stop["flag"]:
        el = time.time() - t0
        if el >= budget or (a.max_steps and step >= a.max_steps):
            break
        imgs, gts, gcls = [], [], []
        while len(imgs) < a.batch:
            if pos >= len(order):
                ds.rescan()  # tiles still being generated join at each epoch
                order = list(range(len(ds)))
                rng.shuffle(order)
                pos, epoch = 0, epoch + 1
            img, boxes, cls = ds[order[pos]]
            pos += 1
            img, boxes, keep = augment(img, boxes, rng)
            if keep is not None:
                boxes, cls = boxes[keep], cls[keep]
            for _ in range(a.crops_per_tile):
                c, b, k = random_crop(img, boxes, cls, a.crop, rng)
                imgs.append(colour_jitter(c.float() / 255.0, jitter_params(rng)))
                gts.append(b)
                gcls.append(k)
        x = torch.stack(imgs[:a.batch])
        lr = lr_at(el / budget, a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        loss, lb, lc, npos = detection_loss(model(x), gts[:a.batch], gcls[:a.batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        seen += len(x)
        run_loss = loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * loss.item()
        if step % 20 == 0:
            log(f"step {step} crops {seen} epoch {epoch} phase {el / 60:.1f}/{a.minutes:.0f} min lr {lr:.2e} loss {run_loss:.3f} (box {lb:.3f} cls {lc:.3f}, {npos} pos)")
        if time.time() - last_ck > a.ckpt_minutes * 60:
            save(a.out, model, ema, opt, meta(False))
            last_ck = time.time()
    m = meta(not stop["flag"] or time.time() - t0 >= budget)
    save(a.out, model, ema, opt, m)
    log(f"saved: {m['steps']} steps, {m['crops_seen']} crops, this phase {m['phase_elapsed_s'] / 60:.1f} min, total {m['total_minutes']:.1f} min (final {m['final']})")


if __name__ == "__main__":
    main()
