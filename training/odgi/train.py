"""Joint training of ODGI stage 1 and stage 2 (as in the paper: one optimizer per stage,
both from step 0, stage-2 inputs produced online from stage-1 predictions).

    # CPU config on the frozen tiles (training/data/cache/odgi/tiles/train)
    nice -n 10 /usr/bin/python3 training/odgi/train.py --config cpu --minutes 60 --out training/runs/odgi-cpu
    # GPU config, tiles generated on the fly from the asset pack
    python3 training/odgi/train.py --config gpu --minutes 7 --data onthefly --device cuda --workers 14 --out OUT

Writes OUT/ckpt.json + OUT/ckpt.bin (portable state dicts, see checkpoint.py) and
OUT/train.log. Works with torch 1.13 and 2.x; needs only torch (+PIL/numpy for
--data tiles).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoint import save_checkpoint  # noqa: E402
from model import CONFIGS, NUM_CLASSES, build, count_params  # noqa: E402
from targets import box_iou_pairs, giou_pairs, group_targets, offset_targets, stage2_targets  # noqa: E402

TILE = 1024          # full-resolution px covered by one stage-1 tile
S1_DOWN = 4          # stage-1 input = tile downsampled 4x (256 px)
MIN_SIDE = 0.125     # minimum crop side (of the tile) = 128 full-res px = stage-2 input at native resolution
TRAIN = {
    "cpu": {"batch": 4, "k_pred": 3, "k_gt": 1, "k_rand": 1, "lr": 2e-3},
    "gpu": {"batch": 32, "k_pred": 6, "k_gt": 2, "k_rand": 1, "lr": 2e-3},
}


# --------------------------------------------------------------------------- augmentation
def augment(img, boxes, rng):
    """Random flips / 90-degree rotation of a (3,H,W) tile and its pixel boxes; occasional
    constant padding of the right/bottom part (edge tiles of a large image are padded with 0)."""
    H, W = img.shape[-2:]
    if rng.random() < 0.5:
        img = img.flip(-1)
        boxes = torch.stack([W - boxes[:, 2], boxes[:, 1], W - boxes[:, 0], boxes[:, 3]], 1) if len(boxes) else boxes
    if rng.random() < 0.5:
        img = img.flip(-2)
        boxes = torch.stack([boxes[:, 0], H - boxes[:, 3], boxes[:, 2], H - boxes[:, 1]], 1) if len(boxes) else boxes
    if rng.random() < 0.5:
        img = img.transpose(-1, -2)
        boxes = boxes[:, [1, 0, 3, 2]] if len(boxes) else boxes
    keep = None
    if rng.random() < 0.08:
        img = img.clone()
        if rng.random() < 0.5:
            cut = rng.randrange(W // 4, W - 64)
            img[:, :, cut:] = 0
            if len(boxes):
                vis = (boxes[:, 2].clamp(max=cut) - boxes[:, 0]) / (boxes[:, 2] - boxes[:, 0])
                keep = vis >= 0.5
                boxes = boxes.clone()
                boxes[:, 2] = boxes[:, 2].clamp(max=cut)
        else:
            cut = rng.randrange(H // 4, H - 64)
            img[:, cut:, :] = 0
            if len(boxes):
                vis = (boxes[:, 3].clamp(max=cut) - boxes[:, 1]) / (boxes[:, 3] - boxes[:, 1])
                keep = vis >= 0.5
                boxes = boxes.clone()
                boxes[:, 3] = boxes[:, 3].clamp(max=cut)
    return img, boxes, keep


def flip_batch(tiles, s1u8, boxes, rng):
    """Same random flip / transpose for a whole device batch (used for --reuse passes)."""
    W = tiles.shape[-1]
    if rng.random() < 0.5:
        tiles, s1u8 = tiles.flip(-1), s1u8.flip(-1)
        boxes = [torch.stack([W - b[:, 2], b[:, 1], W - b[:, 0], b[:, 3]], 1) if len(b) else b for b in boxes]
    if rng.random() < 0.5:
        tiles, s1u8 = tiles.flip(-2), s1u8.flip(-2)
        boxes = [torch.stack([b[:, 0], W - b[:, 3], b[:, 2], W - b[:, 1]], 1) if len(b) else b for b in boxes]
    if rng.random() < 0.5:
        tiles, s1u8 = tiles.transpose(-1, -2), s1u8.transpose(-1, -2)
        boxes = [b[:, [1, 0, 3, 2]] if len(b) else b for b in boxes]
    return tiles, s1u8, boxes


def jitter_params(rng):
    return ([rng.uniform(0.93, 1.07) for _ in range(3)], rng.uniform(0.9, 1.1), rng.uniform(-0.04, 0.04))


def colour_jitter(x, p):
    """x (...,3,H,W) float in [0,1]: mild channel gains / contrast / brightness (params from jitter_params)."""
    g = torch.tensor(p[0], device=x.device).view(3, 1, 1)
    return (((x - 0.5) * p[1] + 0.5 + p[2]) * g).clamp(0, 1)


def stage1_input(x, size):
    """Full-resolution tiles (B,3,H,W) -> stage-1 input: area (box) downsampling, like a pyramid level."""
    k = x.shape[-1] // size
    return F.avg_pool2d(x, k) if k > 1 else x


# --------------------------------------------------------------------------- stage 1 loss
def stage1_loss(d, tg):
    """ODGI group-stage loss (loss_utils.get_odgi_loss), per image means over cells."""
    mask = tg["mask"]                      # (B, M)
    cxcywh = d["cxcywh"]                   # (B, M, 4)
    G = int(round(math.sqrt(mask.shape[1])))
    union = tg["union"]
    tc = (union[..., :2] + union[..., 2:]) / 2
    twh = (union[..., 2:] - union[..., :2]).clamp(min=1e-4)
    pos = mask.float()
    npos = pos.sum().clamp(min=1)
    l_center = (((cxcywh[..., :2] - tc) * G) ** 2).sum(-1)
    l_scale = ((torch.log(cxcywh[..., 2:].clamp(min=1e-6) * G) - torch.log(twh * G)) ** 2).sum(-1)
    pred_xyxy = torch.cat([cxcywh[..., :2] - cxcywh[..., 2:] / 2, cxcywh[..., :2] + cxcywh[..., 2:] / 2], -1)
    iou = box_iou_pairs(pred_xyxy, union).detach()
    # Confidence: the paper regresses the IoU with the target by a squared error on the
    # sigmoid. On a CPU budget that never separated full from empty cells (gradients
    # vanish while IoUs are small), so we use a binary cross-entropy on the logit with a
    # soft target.
    # The target for a non-empty cell is 0.5 + 0.5 * IoU: always above any empty cell
    # (so the ranking used to pick crops is learned first), and higher for better boxes
    # (so tau_high still means "well-localised individual").
    logit = d["raw"][..., 4]
    l_conf_pos = 5.0 * F.binary_cross_entropy_with_logits(logit, 0.5 + 0.5 * iou, reduction="none")
    l_conf_neg = F.binary_cross_entropy_with_logits(logit, torch.zeros_like(iou), reduction="none")
    l_group = F.binary_cross_entropy_with_logits(d["raw"][..., 5], tg["group"], reduction="none")
    off_t = offset_targets(cxcywh.detach(), union)
    l_off = ((d["offsets"] - off_t) ** 2).sum(-1)
    l_cls = F.binary_cross_entropy_with_logits(d["raw"][..., 8:], tg["cls"], reduction="none").sum(-1)
    neg = 1 - pos
    parts = {
        "center": (l_center * pos).sum() / npos,
        "scale": (l_scale * pos).sum() / npos,
        "conf_pos": (l_conf_pos * pos).sum() / npos,
        "conf_neg": (l_conf_neg * neg).sum() / neg.sum().clamp(min=1),
        "group": (l_group * pos).sum() / npos,
        "offsets": (l_off * pos).sum() / npos,
        "cls": (l_cls * pos).sum() / npos,
    }
    return sum(parts.values()), parts


def build_s1_targets(boxes_n, classes, G, device):
    tgs = [group_targets(b.to(device), c.to(device), G, NUM_CLASSES) for b, c in zip(boxes_n, classes)]
    M = G * G
    return {
        "mask": torch.stack([t["mask"].reshape(M) for t in tgs]),
        "union": torch.stack([t["union"].reshape(M, 4) for t in tgs]),
        "group": torch.stack([t["group"].reshape(M) for t in tgs]),
        "cls": torch.stack([t["cls"].reshape(M, NUM_CLASSES) for t in tgs]),
    }


# --------------------------------------------------------------------------- crops
def square_crops_from_pred(boxes, offsets, min_side):
    """Vectorised cascade.square_crop: (K,4),(K,2) -> (K,4) squares inside [0,1]."""
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    side = torch.maximum((boxes[:, 2] - boxes[:, 0]) / (offsets[:, 0] + 1e-8), (boxes[:, 3] - boxes[:, 1]) / (offsets[:, 1] + 1e-8))
    side = side.clamp(min=min_side, max=1.0)
    left = torch.minimum((cx - side / 2).clamp(min=0), 1 - side)
    top = torch.minimum((cy - side / 2).clamp(min=0), 1 - side)
    return torch.stack([left, top, left + side, top + side], 1)


def nms_t(boxes, scores, thr, limit):
    order = torch.argsort(scores, descending=True)
    keep = []
    for i in order.tolist():
        if keep:
            ious = box_iou_pairs(boxes[i][None], boxes[keep])
            if (ious > thr).any():
                continue
        keep.append(i)
        if len(keep) >= limit:
            break
    return keep


def training_crops(d1, gt_boxes_n, tp, rng, min_side=MIN_SIDE):
    """Per image: top stage-1 crops (offset-rescaled, NMS 0.5 for diversity), crops
    around ground-truth boxes, and random crops. Returns list of (K,4) normalised squares."""
    out = []
    B = d1["boxes"].shape[0]
    for b in range(B):
        crops = []
        bx, cf, off = d1["boxes"][b].detach(), d1["conf"][b].detach(), d1["offsets"][b].detach()
        sq = square_crops_from_pred(bx, off, min_side)
        top = torch.argsort(cf, descending=True)[: 4 * tp["k_pred"]]
        keep = nms_t(sq[top], cf[top], 0.5, tp["k_pred"])
        crops += [sq[top[k]] for k in keep]
        gt = gt_boxes_n[b]
        for _ in range(tp["k_gt"]):
            if len(gt):
                g = gt[rng.randrange(len(gt))]
                w, h = float(g[2] - g[0]), float(g[3] - g[1])
                side = min(1.0, max(min_side * rng.uniform(1.0, 2.5), max(w, h) * rng.uniform(1.1, 2.0)))
                cx = float(g[0] + g[2]) / 2 + rng.uniform(-0.35, 0.35) * side
                cy = float(g[1] + g[3]) / 2 + rng.uniform(-0.35, 0.35) * side
            else:
                side = min_side * rng.uniform(1.0, 2.5)
                cx, cy = rng.random(), rng.random()
            crops.append(_square(cx, cy, side))
        for _ in range(tp["k_rand"]):
            side = min_side * rng.uniform(1.0, 2.5)
            crops.append(_square(rng.random(), rng.random(), side))
        out.append(torch.stack([c.cpu() if torch.is_tensor(c) else c for c in crops]))
    return out


def _square(cx, cy, side):
    side = min(side, 1.0)
    left = min(max(cx - side / 2, 0.0), 1.0 - side)
    top = min(max(cy - side / 2, 0.0), 1.0 - side)
    return torch.tensor([left, top, left + side, top + side])


def crop_resize(img, crops, out):
    """img (3,H,W) uint8 or float in [0,1]; crops (K,4) normalised squares -> (K,3,out,out) float.

    Antialiased like an area resize: the crop region (a small window of the tile) is
    box-averaged by an integer factor down to <= 2x the output size, then sampled
    bilinearly with 2x2 supersampling. Only the crop window is converted to float."""
    H = img.shape[-1]
    res = []
    for k in range(crops.shape[0]):
        c = [float(v) for v in crops[k]]
        x1, y1 = max(0, int(c[0] * H) - 2), max(0, int(c[1] * H) - 2)
        x2, y2 = min(H, int(c[2] * H + 0.999) + 2), min(H, int(c[3] * H + 0.999) + 2)
        sub = img[:, y1:y2, x1:x2]
        sub = sub.float() / 255.0 if sub.dtype == torch.uint8 else sub
        side_px = (c[2] - c[0]) * H
        f = max(1, int(side_px / (2 * out)))
        if f > 1:
            sub = F.avg_pool2d(sub[None], f, ceil_mode=True)[0]
        h, w = sub.shape[-2:]
        n = out * 2
        ar = (torch.arange(n, dtype=torch.float32, device=img.device) + 0.5) / n
        # global normalised coords -> window-normalised grid coordinates in [-1, 1]
        gxs = ((c[0] + ar * (c[2] - c[0])) * H - x1) / (f * w) * 2 - 1
        gys = ((c[1] + ar * (c[3] - c[1])) * H - y1) / (f * h) * 2 - 1
        gy, gx = torch.meshgrid(gys, gxs, indexing="ij")
        grid = torch.stack([gx, gy], -1)[None]
        smp = F.grid_sample(sub[None], grid, mode="bilinear", padding_mode="border", align_corners=False)
        res.append(F.avg_pool2d(smp, 2)[0])
    return torch.stack(res)


def crop_targets(gt_px, cls, crop, tile):
    """GT boxes (px) -> boxes normalised to the crop; kept when >= 50% of the box area is
    inside (then clipped), else 'ignore' regions when partly inside."""
    if len(gt_px) == 0:
        z = torch.zeros(0, 4, device=gt_px.device)
        return z, torch.zeros(0, dtype=torch.long, device=gt_px.device), z
    c = (crop * tile).to(gt_px.device)
    side = float(c[2] - c[0])
    b = (gt_px - torch.stack([c[0], c[1], c[0], c[1]])) / side
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    cl = b.clamp(0, 1)
    vis = ((cl[:, 2] - cl[:, 0]).clamp(min=0) * (cl[:, 3] - cl[:, 1]).clamp(min=0)) / area.clamp(min=1e-9)
    keep = vis >= 0.5
    ign = (vis > 0) & ~keep
    return cl[keep], cls[keep], cl[ign]


# --------------------------------------------------------------------------- stage 2 loss
def focal_bce(logits, target, gamma=2.0, alpha=0.25):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    pt = p * target + (1 - p) * (1 - target)
    a = alpha * target + (1 - alpha) * (1 - target)
    return a * (1 - pt) ** gamma * ce


def stage2_loss(d2, pos, tbox, tcls, ign):
    raw = d2["raw"]
    obj_t = pos.float()
    w = (~ign).float()
    npos = pos.float().sum().clamp(min=1)
    l_obj = (focal_bce(raw[..., 0], obj_t) * w).sum() / npos
    if pos.any():
        pb = d2["boxes_unclipped"][pos]
        l_box = (1 - giou_pairs(pb, tbox[pos])).mean()
        l_cls = F.cross_entropy(raw[..., 5:][pos], tcls[pos])
    else:
        l_box = raw.sum() * 0
        l_cls = raw.sum() * 0
    parts = {"obj": l_obj, "box": 2.0 * l_box, "cls": 0.5 * l_cls}
    return sum(parts.values()), parts


# --------------------------------------------------------------------------- loop
def lr_at(frac, base, warm=0.03):
    if frac < warm:
        return base * (0.1 + 0.9 * frac / warm)
    return base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - warm) / (1 - warm)))))


def _worker_ignore_signals(_):
    """Loader workers ignore SIGTERM/SIGINT (e.g. from `timeout` signalling the whole process
    group): the main process then finishes its step, saves and shuts the workers down."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_loader(args, batch):
    from dataset import Augmented, OnTheFly, TileFolder, collate_aug

    if args.data == "tiles":
        ds = TileFolder(args.train_split, root=args.tiles) if args.tiles else TileFolder(args.train_split)
        if len(ds) == 0:
            raise SystemExit("no training tiles: run training/odgi/dataset.py --split train --n N first")
        shuffle = True
    else:
        ds = OnTheFly(pack=args.pack, base_seed=1_000_000 + args.seed_offset)
        shuffle = False
    kw = {}
    if args.workers > 0:
        # tiles: workers are re-created each epoch so they see the re-scanned tile list
        kw = {"num_workers": args.workers, "persistent_workers": args.data != "tiles", "prefetch_factor": args.prefetch,
              "pin_memory": args.device.startswith("cuda")}
    g = torch.Generator()
    g.manual_seed(args.seed)
    if args.workers > 0:
        kw["worker_init_fn"] = _worker_ignore_signals
    aug = Augmented(ds, S1_DOWN, seed=args.seed)
    return torch.utils.data.DataLoader(aug, batch_size=batch, shuffle=shuffle, collate_fn=collate_aug, drop_last=True, generator=g, **kw), len(ds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="cpu", choices=list(CONFIGS))
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-time budget for the training loop")
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="tiles", choices=["tiles", "onthefly"])
    ap.add_argument("--tiles", default=None)
    ap.add_argument("--train-split", default="train", help="(sanity checks only) train on another frozen split")
    ap.add_argument("--pack", default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seed-offset", type=int, default=0, help="on-the-fly tile seeds start at 1e6 + this")
    ap.add_argument("--ckpt-every", type=float, default=5.0, help="minutes between checkpoints")
    ap.add_argument("--init", default=None, help="start from this checkpoint (continuation run with a fresh schedule)")
    ap.add_argument("--lr", type=float, default=0.0, help="override the base learning rate")
    ap.add_argument("--k-pred", type=int, default=None, help="crops per tile from stage-1 predictions (override)")
    ap.add_argument("--k-gt", type=int, default=None, help="crops per tile around ground truth (override)")
    ap.add_argument("--k-rand", type=int, default=None, help="random crops per tile (override)")
    ap.add_argument("--prefetch", type=int, default=2, help="batches prefetched per loader worker")
    ap.add_argument("--reuse", type=int, default=1, help="train on each loaded batch this many times (extra passes re-flipped on the device, fresh crops)")
    args = ap.parse_args()
    if args.pack is None:
        from gen import DEFAULT_PACK
        args.pack = DEFAULT_PACK
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "train.log"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    dev = torch.device(args.device)
    cfg = CONFIGS[args.config]
    tp = dict(TRAIN[args.config])
    if args.batch:
        tp["batch"] = args.batch
    s1, s2 = build(args.config)
    prev = None
    if args.init:
        from checkpoint import load_checkpoint

        prev, sd1, sd2 = load_checkpoint(args.init)
        s1.load_state_dict(sd1)
        s2.load_state_dict(sd2)
    if args.lr:
        tp["lr"] = args.lr
    for k in ("k_pred", "k_gt", "k_rand"):
        v = getattr(args, k)
        if v is not None:
            tp[k] = v
    s1.to(dev).train()
    s2.to(dev).train()
    G1 = cfg["s1_size"] // 16
    opt1 = torch.optim.Adam(s1.parameters(), lr=tp["lr"])
    opt2 = torch.optim.Adam(s2.parameters(), lr=tp["lr"])
    loader, n_items = make_loader(args, tp["batch"])
    log(f"config {args.config}: stage1 {count_params(s1)} params, stage2 {count_params(s2)} params; data {args.data} ({n_items} items); "
        f"torch {torch.__version__}; device {dev}; batch {tp['batch']}; budget {args.minutes} min")
    budget = args.minutes * 60.0
    t0 = time.time()
    last_ck = t0
    step = 0
    seen = 0
    avg = {}
    meta = {"config": args.config, "model": cfg, "train": tp, "tile": TILE, "s1_down": S1_DOWN, "min_side": MIN_SIDE,
            "torch": torch.__version__, "device": str(dev), "data": args.data}
    if prev:
        meta["init"] = {"from": os.path.abspath(args.init), "step": prev.get("step"), "tiles_seen": prev.get("tiles_seen"),
                        "elapsed_s": prev.get("elapsed_s"), "previous": prev.get("init")}
    done = False
    epoch = 0
    stop = {"flag": False}

    def _on_signal(signum, frame):  # timeout / Ctrl-C: finish the step, then save
        stop["flag"] = True

    import signal
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not done:
        if epoch and args.data == "tiles":
            loader.dataset.ds.rescan()  # tiles still being generated are picked up at each epoch
        for imgs, s1u8, boxes, classes in loader:
            for rep in range(args.reuse):
                el = time.time() - t0
                if el >= budget or stop["flag"] or (args.max_steps and step >= args.max_steps):
                    done = True
                    break
                frac = el / budget
                for o in (opt1, opt2):
                    for gparam in o.param_groups:
                        gparam["lr"] = lr_at(frac, tp["lr"])
                # ---- batch (augmented in the loader workers; tiles stay uint8)
                if rep == 0:
                    tiles_d, s1_d = imgs.to(dev, non_blocking=True), s1u8.to(dev, non_blocking=True)
                    boxes_d = [b.to(dev) for b in boxes]
                else:
                    tiles_d, s1_d, boxes_d = flip_batch(tiles_d, s1_d, boxes_d, rng)
                tiles, s1u8_b, boxes_b = tiles_d, s1_d, boxes_d
                tile = tiles.shape[-1]
                jp = [jitter_params(rng) for _ in range(tiles.shape[0])]
                x1 = torch.stack([colour_jitter(s1u8_b[i].float() / 255.0, jp[i]) for i in range(tiles.shape[0])])
                bpx, cls_l = boxes_b, [c.to(dev) for c in classes]
                bn = [b / tile for b in bpx]
                # ---- stage 1
                d1 = s1.decode(s1.raw(x1))
                tg = build_s1_targets(bn, cls_l, G1, dev)
                l1, p1 = stage1_loss(d1, tg)
                opt1.zero_grad(set_to_none=True)
                l1.backward()
                torch.nn.utils.clip_grad_norm_(s1.parameters(), 10.0)
                opt1.step()
                # ---- stage 2 on crops produced online from stage-1 predictions
                crops = training_crops({k: v.detach() for k, v in d1.items()}, bn, tp, rng)
                inp, T = [], []
                for i in range(tiles.shape[0]):
                    inp.append(colour_jitter(crop_resize(tiles[i], crops[i], cfg["s2_size"]), jp[i]))
                    for c in crops[i]:
                        T.append(crop_targets(bpx[i], cls_l[i], c, tile))
                inp = torch.cat(inp)
                G2 = cfg["s2_size"] // 8
                tt = [stage2_targets(b.to(dev), c.to(dev), ig.to(dev), G2) for b, c, ig in T]
                pos = torch.stack([t[0] for t in tt])
                tbox = torch.stack([t[1] for t in tt])
                tcls = torch.stack([t[2] for t in tt])
                ign = torch.stack([t[3] for t in tt])
                d2 = s2.decode(s2.raw(inp))
                l2, p2 = stage2_loss(d2, pos, tbox, tcls, ign)
                opt2.zero_grad(set_to_none=True)
                l2.backward()
                torch.nn.utils.clip_grad_norm_(s2.parameters(), 10.0)
                opt2.step()
                step += 1
                seen += tiles.shape[0]
                for k, v in list(p1.items()) + [("s2_" + k, v) for k, v in p2.items()] + [("L1", l1), ("L2", l2)]:
                    avg[k] = 0.95 * avg.get(k, float(v)) + 0.05 * float(v)
                if step % 10 == 0 or step == 1:
                    el = time.time() - t0
                    log(f"step {step} tiles {seen} epoch {epoch} {el / 60:.1f}min {el / step:.2f}s/step lr {lr_at(frac, tp['lr']):.2e} "
                        + " ".join(f"{k} {v:.3f}" for k, v in avg.items()))
                if time.time() - last_ck > args.ckpt_every * 60:
                    save_checkpoint(args.out, s1, s2, {**meta, "step": step, "tiles_seen": seen, "elapsed_s": time.time() - t0, "final": False})
                    last_ck = time.time()
                    log(f"checkpoint at step {step}")
            if done:
                break
        epoch += 1
    el = time.time() - t0
    save_checkpoint(args.out, s1, s2, {**meta, "step": step, "tiles_seen": seen, "elapsed_s": el, "final": True,
                                      "loss_ema": {k: round(v, 4) for k, v in avg.items()}})
    log(f"done: {step} steps, {seen} tiles, {el / 60:.1f} min, {el / max(step, 1):.2f} s/step; checkpoint {args.out}/ckpt.json")


if __name__ == "__main__":
    main()
