"""Evaluate the ODGI cascade (reference implementation in cascade.py) on a frozen split.

    # choose thresholds on the validation split (writes RUN/thresholds.json + RUN/sweep_val.json)
    /usr/bin/python3 training/odgi/eval.py --ckpt training/runs/odgi-cpu --split val --sweep
    # metrics on the frozen test split with those thresholds (writes RUN/metrics_test.json)
    /usr/bin/python3 training/odgi/eval.py --ckpt training/runs/odgi-cpu --split test --thresholds training/runs/odgi-cpu/thresholds.json --baseline

Metrics: dataset-level AP@0.5 (VOC all-point interpolation; class-agnostic, and
per class with class-aware matching), recall at the operating score threshold and
maximum recall, stage-1 coverage (share of ground-truth centres inside kept boxes
or crops), crops per tile, share of the tile area read at full resolution.
--baseline adds the same stage-2 network run as a plain tiled detector over the
whole tile at full resolution (128 px windows, 20% overlap, NMS 0.5).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cascade  # noqa: E402
from dataset import TILES, list_split, load_item  # noqa: E402
from export import load_models  # noqa: E402
from gen import CLASSES  # noqa: E402
from train import crop_resize, stage1_input  # noqa: E402

SWEEP = {"tau_low": [0.1, 0.2, 0.3, 0.4, 0.5], "tau_high": [0.8, 0.9, 1.01], "gamma": [2, 4, 8, 12, 16]}


def fast_nms(boxes, scores, thr, limit=None):
    """Same result as cascade.nms (greedy, score descending, ties by index), vectorised."""
    n = len(boxes)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    M = iou_matrix([boxes[i] for i in order], [boxes[i] for i in order]) if n > 1 else torch.zeros(1, 1)
    sup = torch.zeros(n, dtype=torch.bool)
    keep = []
    for a in range(n):
        if sup[a]:
            continue
        keep.append(order[a])
        if limit is not None and len(keep) >= limit:
            break
        sup |= M[a] > thr
    return keep


# --------------------------------------------------------------------------- metrics
def iou_matrix(a, b):
    if not len(a) or not len(b):
        return torch.zeros(len(a), len(b))
    a = torch.tensor(a, dtype=torch.float32)
    b = torch.tensor(b, dtype=torch.float32)
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + ab[None] - inter + 1e-9)


def average_precision(dets, gts, iou_thr=0.5, cls=None):
    """dets: list per image of [(box, score, cls)], gts: list per image of [(box, cls)].
    VOC all-point AP; cls=None is class-agnostic. Returns (ap, recall_curve, precision_curve, scores)."""
    recs = []
    npos = 0
    for i, (d, g) in enumerate(zip(dets, gts)):
        gb = [b for b, c in g if cls is None or c == cls]
        npos += len(gb)
        dd = [x for x in d if cls is None or x[2] == cls]
        if not dd:
            continue
        M = iou_matrix([x[0] for x in dd], gb)
        for j, x in enumerate(dd):
            recs.append((x[1], i, j))
        # greedy matching in score order within the image
    recs.sort(key=lambda r: -r[0])
    matched = {}
    tp = []
    cache = {}
    for s, i, j in recs:
        if i not in cache:
            gb = [b for b, c in gts[i] if cls is None or c == cls]
            dd = [x for x in dets[i] if cls is None or x[2] == cls]
            cache[i] = (iou_matrix([x[0] for x in dd], gb), len(gb))
        M, ng = cache[i]
        ok = 0
        if ng:
            ious = M[j].clone()
            used = matched.setdefault(i, set())
            for u in used:
                ious[u] = -1
            k = int(torch.argmax(ious))
            if ious[k] >= iou_thr:
                used.add(k)
                ok = 1
        tp.append(ok)
    if npos == 0:
        return float("nan"), [], [], []
    tp_c = torch.cumsum(torch.tensor(tp, dtype=torch.float32), 0) if tp else torch.zeros(0)
    n = torch.arange(1, len(tp) + 1, dtype=torch.float32)
    rec = tp_c / npos
    prec = tp_c / n if len(tp) else torch.zeros(0)
    # all-point interpolation
    mrec = torch.cat([torch.tensor([0.0]), rec, torch.tensor([1.0])])
    mpre = torch.cat([torch.tensor([0.0]), prec, torch.tensor([0.0])])
    for k in range(len(mpre) - 2, -1, -1):
        mpre[k] = max(mpre[k], mpre[k + 1])
    idx = torch.nonzero(mrec[1:] != mrec[:-1])[:, 0]
    ap = float(((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]).sum())
    return ap, rec.tolist(), prec.tolist(), [r[0] for r in recs]


def recall_at(dets, gts, thr, iou_thr=0.5):
    hit = tot = 0
    for d, g in zip(dets, gts):
        gb = [b for b, _ in g]
        tot += len(gb)
        db = [x[0] for x in d if x[1] >= thr]
        if not gb or not db:
            continue
        M = iou_matrix(db, gb)
        used = set()
        order = sorted(range(len(db)), key=lambda k: -[x[1] for x in d if x[1] >= thr][k])
        for k in order:
            ious = M[k].clone()
            for u in used:
                ious[u] = -1
            j = int(torch.argmax(ious))
            if ious[j] >= iou_thr:
                used.add(j)
        hit += len(used)
    return hit / max(tot, 1)


def precision_at(dets, gts, thr, iou_thr=0.5):
    tp = n = 0
    for d, g in zip(dets, gts):
        db = [x[0] for x in d if x[1] >= thr]
        n += len(db)
        gb = [b for b, _ in g]
        if not db or not gb:
            continue
        M = iou_matrix(db, gb)
        used = set()
        for k in range(len(db)):
            ious = M[k].clone()
            for u in used:
                ious[u] = -1
            j = int(torch.argmax(ious))
            if ious[j] >= iou_thr:
                used.add(j)
        tp += len(used)
    return tp / max(n, 1)


def union_area(regions, res=128):
    if not regions:
        return 0.0
    m = torch.zeros(res, res, dtype=torch.bool)
    for r in regions:
        x1, y1, x2, y2 = [int(round(v * res)) for v in r]
        m[max(0, y1):min(res, y2), max(0, x1):min(res, x2)] = True
    return float(m.float().mean())


# --------------------------------------------------------------------------- running the models
class Runner:
    def __init__(self, ckpt, threads=2):
        torch.set_num_threads(threads)
        self.meta, self.s1, self.s2 = load_models(ckpt)
        self.cfg = self.meta["model"]
        self.s2_cache = {}

    @torch.no_grad()
    def stage1(self, imgs_f):
        b, c, g, o, cp = self.s1(stage1_input(imgs_f, self.cfg["s1_size"]))
        out = []
        for i in range(imgs_f.shape[0]):
            out.append({"boxes": b[i].tolist(), "conf": c[i].tolist(), "group_prob": g[i].tolist(),
                        "offsets": o[i].tolist(), "class_prob": cp[i].tolist()})
        return out

    def has_all(self, key, crops):
        return all((key, tuple(round(v, 5) for v in c)) in self.s2_cache for c in crops)

    @torch.no_grad()
    def stage2(self, key, img_f, crops):
        """crops: list of [x1,y1,x2,y2]; cached per (tile key, rounded crop)."""
        res = [None] * len(crops)
        todo = []
        for k, c in enumerate(crops):
            ck = (key, tuple(round(v, 5) for v in c))
            if ck in self.s2_cache:
                res[k] = self.s2_cache[ck]
            else:
                todo.append(k)
        if todo:
            x = crop_resize(img_f, torch.tensor([crops[k] for k in todo]), self.cfg["s2_size"])
            for s in range(0, len(todo), 64):
                b, sc, cp = self.s2(x[s:s + 64])
                for j in range(b.shape[0]):
                    k = todo[s + j]
                    keep = (sc[j] >= cascade.DEFAULTS["score_min"] * 0.5).nonzero()[:, 0]
                    out = {"boxes": b[j][keep].tolist(), "scores": sc[j][keep].tolist(), "class_prob": cp[j][keep].tolist()}
                    self.s2_cache[(key, tuple(round(v, 5) for v in crops[k]))] = out
                    res[k] = out
        return res


def load_split(split, limit=None, root=TILES):
    items = list_split(split, root)
    if limit:
        items = items[:limit]
    return items


def run_cascade_split(runner, items, params, s1_cache=None):
    """Returns per-tile detections [(box px, score, cls, stage)], gts, stats."""
    dets, gts = [], []
    n_crops = cov_hit = cov_tot = 0
    area = 0.0
    n_keep = 0
    for it in items:
        lab = json.load(open(it))
        boxes = torch.tensor(lab["boxes"], dtype=torch.float32).view(-1, 4)
        cls = torch.tensor(lab["classes"], dtype=torch.long)
        H = lab["size"]
        x = None
        if s1_cache is not None and it in s1_cache:
            s1o = s1_cache[it]
        else:
            x = load_item(it)[0].float()[None] / 255.0
            s1o = runner.stage1(x)[0]
            if s1_cache is not None:
                s1_cache[it] = s1o
        keep, crops = cascade.transition(s1o, params)
        if crops and x is None and not runner.has_all(it, [c["box"] for c in crops]):
            x = load_item(it)[0].float()[None] / 255.0
        s2o = runner.stage2(it, x[0] if x is not None else None, [c["box"] for c in crops]) if crops else []
        fin = cascade.merge(keep, crops, s2o, params)
        dets.append([([v * H for v in d["box"]], d["score"], d["cls"], d["stage"]) for d in fin])
        gts.append([(b.tolist(), int(c)) for b, c in zip(boxes, cls)])
        h, t = cascade.coverage([[v / H for v in b.tolist()] for b in boxes], keep, crops)
        cov_hit += h
        cov_tot += t
        n_crops += len(crops)
        n_keep += len(keep)
        area += union_area([c["box"] for c in crops])
    stats = {"tiles": len(items), "objects": cov_tot, "crops_per_tile": n_crops / max(len(items), 1),
             "kept_per_tile": n_keep / max(len(items), 1), "stage1_coverage": cov_hit / max(cov_tot, 1),
             "area_fraction_full_res": area / max(len(items), 1)}
    return dets, gts, stats


def run_tiled_baseline(runner, items, win=None, overlap=0.2, nms=0.5, score_min=0.05):
    """Stage 2 as a plain full-resolution tiled detector over the whole tile."""
    dets, gts = [], []
    t0 = time.time()
    for it in items:
        img, boxes, cls = load_item(it)
        H = img.shape[-1]
        win = win or runner.cfg["s2_size"]
        step = int(win * (1 - overlap))
        pos = list(range(0, H - win + 1, step))
        if pos[-1] != H - win:
            pos.append(H - win)
        crops = [[x0 / H, y0 / H, (x0 + win) / H, (y0 + win) / H] for y0 in pos for x0 in pos]
        x = img.float() / 255.0
        outs = runner.stage2(("tiled", it), x, crops)
        cand = []
        for c, o in zip(crops, outs):
            for b, s, cp in zip(o["boxes"], o["scores"], o["class_prob"]):
                if s >= score_min:
                    cand.append({"box": cascade.map_back(b, c), "score": s, "cls": max(range(len(cp)), key=lambda k: cp[k])})
        sel = cascade.nms([d["box"] for d in cand], [d["score"] for d in cand], nms)
        dets.append([([v * H for v in cand[k]["box"]], cand[k]["score"], cand[k]["cls"], "tiled") for k in sel])
        gts.append([(b.tolist(), int(c)) for b, c in zip(boxes, cls)])
    return dets, gts, {"windows_per_tile": len(crops), "seconds": time.time() - t0}


def summarize(dets, gts, score_threshold=None):
    d3 = [[(b, s, c) for b, s, c, _ in d] for d in dets]
    ap, rec, prec, scores = average_precision(d3, gts)
    per_class = {}
    for k, name in enumerate(CLASSES):
        apk = average_precision(d3, gts, cls=k)[0]
        per_class[name] = None if apk != apk else round(apk, 4)
    out = {"ap50": round(ap, 4), "ap50_per_class": per_class, "max_recall": round(max(rec) if rec else 0.0, 4)}
    if score_threshold is None:
        # operating point: best F1 on this split
        best = (0, 0.3)
        for t in [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7]:
            r, p = recall_at(d3, gts, t), precision_at(d3, gts, t)
            f1 = 2 * r * p / max(r + p, 1e-9)
            if f1 > best[0]:
                best = (f1, t)
        score_threshold = best[1]
    out["score_threshold"] = score_threshold
    out["recall"] = round(recall_at(d3, gts, score_threshold), 4)
    out["precision"] = round(precision_at(d3, gts, score_threshold), 4)
    return out


# --------------------------------------------------------------------------- visualisation
def draw_examples(runner, items, params, path, n=4, size=512, window=0):
    from PIL import Image, ImageDraw

    cols = [(255, 60, 60), (60, 170, 255), (255, 220, 0)]
    tiles = []
    for it in items[:n]:
        img, boxes, cls = load_item(it)
        H = img.shape[-1]
        x = img.float()[None] / 255.0
        s1o = runner.stage1(x)[0]
        keep, crops = cascade.transition(s1o, params)
        s2o = runner.stage2(it, x[0], [c["box"] for c in crops]) if crops else []
        fin = cascade.merge(keep, crops, s2o, params)
        im = Image.fromarray(img.permute(1, 2, 0).numpy()).convert("RGB")
        d = ImageDraw.Draw(im)
        for c in crops:
            b = [v * H for v in c["box"]]
            d.rectangle(b, outline=(255, 255, 255), width=2)
        for b in boxes.tolist():
            d.rectangle(b, outline=(0, 255, 0), width=1)
        for det in fin:
            if det["score"] < params.get("score_threshold", 0.3):
                continue
            b = [v * H for v in det["box"]]
            d.rectangle(b, outline=cols[det["cls"] % 3], width=3 if det["stage"] == "shortcut" else 2)
        if window:
            # a native-resolution window around the ground-truth centroid
            if len(boxes):
                c = boxes.mean(0)
                cx, cy = float(c[0] + c[2]) / 2, float(c[1] + c[3]) / 2
            else:
                cx = cy = H / 2
            x0 = int(min(max(cx - window / 2, 0), H - window))
            y0 = int(min(max(cy - window / 2, 0), H - window))
            im = im.crop((x0, y0, x0 + window, y0 + window))
        tiles.append(im.resize((size, size), Image.LANCZOS))
    cols_n = 2
    rows = (len(tiles) + 1) // 2
    sheet = Image.new("RGB", (cols_n * size, rows * size), "white")
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols_n) * size, (i // cols_n) * size))
    sheet.save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--thresholds", default=None)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--tiles", default=TILES)
    ap.add_argument("--viz", default=None)
    ap.add_argument("--out", default=None, help="metrics JSON (default CKPT/metrics_<split>.json)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=0.01, help="sweep: AP within this of the best, fewest crops")
    ap.add_argument("--baseline-limit", type=int, default=0, help="tiled baseline on the first N tiles only")
    a = ap.parse_args()
    cascade.nms = fast_nms  # identical results (test_eval_nms), much faster than the plain reference loop
    runner = Runner(a.ckpt, a.threads)
    items = load_split(a.split, a.limit or None, a.tiles)
    if not items:
        raise SystemExit(f"no tiles for split {a.split} in {a.tiles}")
    params = dict(cascade.DEFAULTS)
    if a.thresholds:
        params.update(json.load(open(a.thresholds)))
    t0 = time.time()
    if a.sweep:
        s1_cache = {}
        rows = []
        for tl, th, g in itertools.product(SWEEP["tau_low"], SWEEP["tau_high"], SWEEP["gamma"]):
            p = {**params, "tau_low": tl, "tau_high": th, "gamma": g}
            dets, gts, st = run_cascade_split(runner, items, p, s1_cache)
            d3 = [[(b, s, c) for b, s, c, _ in d] for d in dets]
            apv = average_precision(d3, gts)[0]
            rows.append({"tau_low": tl, "tau_high": th, "gamma": g, "ap50": round(apv, 4), **{k: round(v, 4) for k, v in st.items()}})
            print(json.dumps(rows[-1]), flush=True)
        best_ap = max(r["ap50"] for r in rows)
        ok = [r for r in rows if r["ap50"] >= best_ap - a.tolerance]
        choice = min(ok, key=lambda r: (r["crops_per_tile"], -r["ap50"]))
        params.update({"tau_low": choice["tau_low"], "tau_high": choice["tau_high"], "gamma": choice["gamma"]})
        dets, gts, st = run_cascade_split(runner, items, params, s1_cache)
        summ = summarize(dets, gts)
        params["score_threshold"] = summ["score_threshold"]
        rule = f"fewest crops per tile among settings within {a.tolerance * 100:.0f} AP points of the best val AP@0.5 ({best_ap:.4f})"
        json.dump({**params, "chosen_on": f"{a.split} ({len(items)} tiles)", "rule": rule}, open(os.path.join(a.ckpt, "thresholds.json"), "w"), indent=1)
        json.dump({"rows": rows, "choice": choice, "rule": rule}, open(os.path.join(a.ckpt, f"sweep_{a.split}.json"), "w"), indent=1)
        print("chosen:", json.dumps(choice), "score_threshold", summ["score_threshold"])
    dets, gts, st = run_cascade_split(runner, items, params)
    t_casc = time.time() - t0
    summ = summarize(dets, gts, params.get("score_threshold"))
    res = {"split": a.split, "tiles": len(items), "params": params, "cascade": {**summ, **{k: round(v, 4) if isinstance(v, float) else v for k, v in st.items()}}}
    if a.baseline:
        bitems = items[:a.baseline_limit] if a.baseline_limit else items
        bd, bg, bst = run_tiled_baseline(runner, bitems)
        res["tiled_baseline"] = {**summarize(bd, bg, params.get("score_threshold")), **bst, "tiles": len(bitems)}
        if a.baseline_limit:
            cd, cg, cst = run_cascade_split(runner, bitems, params)
            res["cascade_on_baseline_tiles"] = {**summarize(cd, cg, params.get("score_threshold")), **cst}
    res["eval_seconds"] = round(time.time() - t0, 1)
    out = a.out or os.path.join(a.ckpt, f"metrics_{a.split}.json")
    json.dump(res, open(out, "w"), indent=1)
    print(json.dumps(res, indent=1))
    if a.viz:
        draw_examples(runner, [i for i in items if len(json.load(open(i))["boxes"]) > 0], params, a.viz)


if __name__ == "__main__":
    main()
