"""ODGI training targets derived from plain instance boxes (torch only).

Group targets (stage 1), the `intersect` rule of the reference code:
  * a ground-truth box belongs to EVERY grid cell it intersects with positive area
    (not the YOLO centre-in-cell rule);
  * a non-empty cell's target box is the union (min of mins, max of maxs) of all
    ground-truth boxes intersecting it;
  * its group flag is 1 when at least 2 boxes intersect it (max(min(n,2)-1,0));
  * its class target is multi-hot: every class present among those boxes.

Offset targets (stage 1): with the predicted centre c and size s (normalised),
  target_scale = 2 * (max |c - target_edge| + margin) per axis, margin = 0.025,
  target_offset = min(1, s / target_scale),
so that the crop side s / o covers the whole target box from the predicted
centre with a margin.
"""
from __future__ import annotations

import torch

OFFSETS_MARGIN = 0.025


def cell_overlap(boxes, G):
    """boxes (N,4) normalised xyxy -> bool (N, G, G): box intersects cell [row, col] with positive area."""
    edges = torch.arange(G + 1, dtype=boxes.dtype, device=boxes.device) / G
    lo, hi = edges[:-1], edges[1:]
    ox = (boxes[:, None, 0] < hi[None]) & (boxes[:, None, 2] > lo[None])  # (N, G) columns
    oy = (boxes[:, None, 1] < hi[None]) & (boxes[:, None, 3] > lo[None])  # (N, G) rows
    return oy[:, :, None] & ox[:, None, :]


def group_targets(boxes, classes, G, num_classes):
    """Intersect-rule group targets for one image.

    boxes: (N,4) normalised xyxy; classes: (N,) long.
    Returns dict of tensors shaped (G, G, ...): mask (bool), union (4), count (long),
    group (float 0/1), cls (num_classes multi-hot).
    """
    dev = boxes.device
    union = torch.zeros(G, G, 4, device=dev)
    cls = torch.zeros(G, G, num_classes, device=dev)
    if boxes.numel() == 0:
        z = torch.zeros(G, G, dtype=torch.long, device=dev)
        return {"mask": z.bool(), "union": union, "count": z, "group": z.float(), "cls": cls}
    ov = cell_overlap(boxes, G)  # (N,G,G)
    count = ov.sum(0)
    big = 1e4
    ovf = ov[..., None]
    b = boxes[:, None, None, :]
    mins = torch.where(ovf, b[..., :2], torch.full_like(b[..., :2], big)).amin(0)
    maxs = torch.where(ovf, b[..., 2:], torch.full_like(b[..., 2:], -big)).amax(0)
    mask = count > 0
    union = torch.where(mask[..., None], torch.cat([mins, maxs], -1), union)
    onehot = torch.nn.functional.one_hot(classes, num_classes).float()  # (N,C)
    cls = (ov[..., None].float() * onehot[:, None, None, :]).amax(0)
    group = (torch.clamp(count, max=2) - 1).clamp(min=0).float()
    return {"mask": mask, "union": union, "count": count, "group": group, "cls": cls}


def offset_targets(pred_cxcywh, target_xyxy, margin=OFFSETS_MARGIN):
    """pred (...,4) cx,cy,w,h; target (...,4) xyxy -> (...,2) offsets in (0,1]."""
    cx, cy, w, h = pred_cxcywh.unbind(-1)
    x1, y1, x2, y2 = target_xyxy.unbind(-1)
    sx = 2 * (torch.maximum((cx - x1).abs(), (cx - x2).abs()) + margin)
    sy = 2 * (torch.maximum((cy - y1).abs(), (cy - y2).abs()) + margin)
    ox = torch.clamp(w / sx, max=1.0)
    oy = torch.clamp(h / sy, max=1.0)
    return torch.stack([ox, oy], -1)


def box_iou_pairs(a, b):
    """Element-wise IoU of (...,4) xyxy boxes."""
    iw = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    ih = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    return inter / (area_a + area_b - inter + 1e-9)


def giou_pairs(a, b):
    iou = box_iou_pairs(a, b)
    cw = torch.maximum(a[..., 2], b[..., 2]) - torch.minimum(a[..., 0], b[..., 0])
    ch = torch.maximum(a[..., 3], b[..., 3]) - torch.minimum(a[..., 1], b[..., 1])
    area_c = cw * ch + 1e-9
    iw = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    ih = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter + 1e-9
    return iou - (area_c - union) / area_c


def stage2_targets(boxes, classes, ignore, G, radius=1.0):
    """Anchor-free assignment for the fine detector on one crop.

    boxes (N,4) normalised to the crop (already clipped), classes (N,), ignore (K,4)
    boxes of objects mostly outside the crop (their cells are not negatives).
    A cell is positive for a box when its centre lies inside the box and within
    `radius` cells of the box centre (per axis; the cell holding the centre is
    always positive). Conflicts go to the smallest box.
    Returns pos (G*G bool), box (G*G,4), cls (G*G long), neg_ignore (G*G bool).
    """
    dev = boxes.device
    M = G * G
    ar = (torch.arange(G, dtype=torch.float32, device=dev) + 0.5) / G
    gy, gx = torch.meshgrid(ar, ar, indexing="ij")
    gx, gy = gx.reshape(M), gy.reshape(M)
    pos = torch.zeros(M, dtype=torch.bool, device=dev)
    tbox = torch.zeros(M, 4, device=dev)
    tcls = torch.zeros(M, dtype=torch.long, device=dev)
    ign = torch.zeros(M, dtype=torch.bool, device=dev)
    if boxes.numel():
        cx = (boxes[:, 0] + boxes[:, 2]) / 2
        cy = (boxes[:, 1] + boxes[:, 3]) / 2
        r = radius / G
        inside = (gx[None] > boxes[:, 0:1]) & (gx[None] < boxes[:, 2:3]) & (gy[None] > boxes[:, 1:2]) & (gy[None] < boxes[:, 3:4])
        near = ((gx[None] - cx[:, None]).abs() <= r) & ((gy[None] - cy[:, None]).abs() <= r)
        cand = inside & near
        # the cell containing the centre is always a candidate
        ci = (cy * G).long().clamp(0, G - 1) * G + (cx * G).long().clamp(0, G - 1)
        cand[torch.arange(len(boxes), device=dev), ci] = True
        area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[:, None].expand(-1, M)
        area = torch.where(cand, area, torch.full_like(area, 1e9))
        best_area, best = area.min(0)
        pos = best_area < 1e9
        tbox = boxes[best]
        tcls = classes[best]
    if ignore is not None and ignore.numel():
        ign = ((gx[None] > ignore[:, 0:1]) & (gx[None] < ignore[:, 2:3]) & (gy[None] > ignore[:, 1:2]) & (gy[None] < ignore[:, 3:4])).any(0)
    return pos, tbox, tcls, ign & ~pos
