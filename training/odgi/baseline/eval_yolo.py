"""AP@0.5 / recall of the baseline on ODGI's frozen val or test tiles (whole 1024 px tile in one pass,
class-agnostic NMS 0.5), with eval.py's metrics; optionally the exported ONNX's parity with PyTorch.

    /usr/bin/python3 training/odgi/baseline/eval_yolo.py --ckpt training/runs/aerial-yolo --split val --n 100
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from yolo import Detector, Export  # noqa: E402


def detect(model, u8, score_min=0.05, nms=0.5):
    from eval import fast_nms

    with torch.no_grad():
        y = Export(model)(u8[None].float() / 255.0)[0].T  # (A, 4+nc)
    s, c = y[:, 4:].max(1)
    k = s >= score_min
    y, s, c = y[k], s[k], c[k]
    b = torch.cat([y[:, :2] - y[:, 2:4] / 2, y[:, :2] + y[:, 2:4] / 2], 1)
    top = s.argsort(descending=True)[:3000]
    b, s, c = b[top], s[top], c[top]
    keep = fast_nms(b.tolist(), s.tolist(), nms, limit=300)
    return [(b[i].tolist(), float(s[i]), int(c[i])) for i in keep]


def main():
    from dataset import list_split, load_item
    from eval import average_precision, precision_at, recall_at

    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--threshold", type=float, default=0.35)
    ap.add_argument("--raw", action="store_true", help="the raw weights instead of the EMA")
    a = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(os.path.join(a.ckpt, "ckpt.pt"), map_location="cpu")
    m = Detector()
    m.load_state_dict(ck["model" if a.raw else "ema"])
    m.eval()
    dets, gts = [], []
    for jp in list_split(a.split)[:a.n]:
        img, boxes, cls = load_item(jp)
        dets.append(detect(m, img))
        gts.append(list(zip(boxes.tolist(), cls.tolist())))
    ap50 = average_precision(dets, gts)[0]
    # operating threshold: best F1 over a sweep (chosen on val, never on test or the bench scenes)
    best = (0.0, a.threshold)
    for t in [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]:
        r, p = recall_at(dets, gts, t), precision_at(dets, gts, t)
        f1 = 2 * r * p / max(r + p, 1e-9)
        print(f"  score >= {t:.2f}: recall {r:.4f} precision {p:.4f} F1 {f1:.4f}")
        best = max(best, (f1, t))
    print(f"best F1 {best[0]:.4f} at score >= {best[1]:.2f}")
    print(f"{a.split} {len(gts)} tiles, {sum(len(g) for g in gts)} objects, {ck['meta']['total_minutes']:.1f} min / {ck['meta']['steps']} steps: "
          f"AP@0.5 {ap50:.4f}, recall@{a.threshold} {recall_at(dets, gts, a.threshold):.4f}, precision {precision_at(dets, gts, a.threshold):.4f}")


if __name__ == "__main__":
    main()
