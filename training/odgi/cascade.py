"""Reference implementation of the ODGI cascade (what the TypeScript engine ports).

All boxes are xyxy. Stage-1 outputs are normalised to the stage-1 tile; crops are
squares in the same normalised coordinates; stage-2 outputs are normalised to
their crop. Everything here is deliberately plain (loops, no vectorised tricks)
so it can be ported line by line.

Per stage-1 tile:
 1. keep   : stage-1 boxes with group_prob <= 0.5 and conf > tau_high
             ("strong individuals") go straight to the output (score = conf,
             class = argmax class_prob).
 2. cands  : the others with conf > tau_low (groups and weak individuals).
 3. crop   : each candidate becomes a SQUARE crop centred on its box centre with
             side = max(w / o_x, h / o_y, min_side), at most 1, shifted (not
             clipped) so that it lies inside [0, 1] (the tile, or in a large image
             the image: see README).
 4. crop NMS: greedy NMS over the crops (score = candidate conf, IoU > crop_nms
             suppressed), keep at most gamma crops.
 5. stage 2: each crop is read at full resolution and resized to the stage-2 input;
             detections with score >= score_min are mapped back with
             b * side + crop_origin.
 6. merge  : kept boxes + mapped stage-2 boxes, class-agnostic greedy NMS at
             IoU > final_nms (score descending, ties: lower index first).
"""
from __future__ import annotations

DEFAULTS = {
    "tau_low": 0.1,
    "tau_high": 0.8,
    "gamma": 6,
    "crop_nms": 0.25,
    "final_nms": 0.5,
    "score_min": 0.05,
    "min_side": 0.125,   # of the stage-1 tile = 128 full-resolution px for a 1024 px tile
    "group_threshold": 0.5,
}


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    ua = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1]) + max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def nms(boxes, scores, thr, limit=None):
    """Greedy NMS. Returns kept indices in descending score order (stable for ties)."""
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep = []
    for i in order:
        if all(iou(boxes[i], boxes[j]) <= thr for j in keep):
            keep.append(i)
            if limit is not None and len(keep) >= limit:
                break
    return keep


def square_crop(box, offsets, min_side=0.0, eps=1e-8):
    """Learned-offset square crop: centre of box, side max(w/ox, h/oy, min_side) <= 1, shifted inside [0,1]."""
    x1, y1, x2, y2 = box
    ox, oy = offsets
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max((x2 - x1) / (ox + eps), (y2 - y1) / (oy + eps), min_side)
    side = min(side, 1.0)
    left = min(max(cx - side / 2, 0.0), 1.0 - side)
    top = min(max(cy - side / 2, 0.0), 1.0 - side)
    return [left, top, left + side, top + side]


def transition(s1, p=None):
    """Stage transition on one stage-1 tile.

    s1: dict of python lists for one tile: boxes [[x1,y1,x2,y2]]*M, conf [M],
        group_prob [M], offsets [[ox,oy]]*M, class_prob [[...C]]*M.
    Returns (keep, crops): keep = list of {box, score, cls, idx};
    crops = list of {box (square), score, idx}.
    """
    p = {**DEFAULTS, **(p or {})}
    keep, cands = [], []
    for i, (b, c, g) in enumerate(zip(s1["boxes"], s1["conf"], s1["group_prob"])):
        if g <= p["group_threshold"] and c > p["tau_high"]:
            cp = s1["class_prob"][i]
            keep.append({"box": list(b), "score": c, "cls": max(range(len(cp)), key=lambda k: cp[k]), "idx": i})
        elif c > p["tau_low"]:
            cands.append(i)
    crop_boxes = [square_crop(s1["boxes"][i], s1["offsets"][i], p["min_side"]) for i in cands]
    crop_scores = [s1["conf"][i] for i in cands]
    sel = nms(crop_boxes, crop_scores, p["crop_nms"], limit=int(p["gamma"]))
    crops = [{"box": crop_boxes[k], "score": crop_scores[k], "idx": cands[k]} for k in sel]
    return keep, crops


def map_back(box, crop):
    """Stage-2 box normalised to the crop -> stage-1 tile coordinates."""
    cx1, cy1, cx2, cy2 = crop
    sw, sh = cx2 - cx1, cy2 - cy1
    return [box[0] * sw + cx1, box[1] * sh + cy1, box[2] * sw + cx1, box[3] * sh + cy1]


def merge(keep, crops, s2_per_crop, p=None):
    """keep: from transition; s2_per_crop: list (same order as crops) of dicts with
    boxes [[...]], scores [...], class_prob [[...]] from stage 2.
    Returns final detections [{box, score, cls, stage}] in stage-1 tile coordinates."""
    p = {**DEFAULTS, **(p or {})}
    dets = [{"box": k["box"], "score": k["score"], "cls": k["cls"], "stage": "shortcut"} for k in keep]
    for crop, out in zip(crops, s2_per_crop):
        for b, s, cp in zip(out["boxes"], out["scores"], out["class_prob"]):
            if s < p["score_min"]:
                continue
            dets.append({"box": map_back(b, crop["box"]), "score": s,
                         "cls": max(range(len(cp)), key=lambda k: cp[k]), "stage": "refined"})
    sel = nms([d["box"] for d in dets], [d["score"] for d in dets], p["final_nms"])
    return [dets[i] for i in sel]


def coverage(gt_boxes, keep, crops):
    """Stage-1 coverage: share of ground-truth centres inside a kept box or a crop."""
    if not gt_boxes:
        return 0, 0
    regions = [k["box"] for k in keep] + [c["box"] for c in crops]
    hit = 0
    for b in gt_boxes:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in regions):
            hit += 1
    return hit, len(gt_boxes)
