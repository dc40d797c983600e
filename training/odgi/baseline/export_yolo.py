"""Exports the baseline's EMA weights as an Ultralytics-layout detection ONNX and its model folder.

    /usr/bin/python3 training/odgi/baseline/export_yolo.py --ckpt training/runs/aerial-yolo --out models/aerial-yolo-baseline

detector.onnx: input `images` float32 [N,3,S,S] RGB in [0,1]; output `output0` [N, 4+3, anchors]
(cx, cy, w, h in input px, then sigmoid class scores), opset 17, Ultralytics metadata_props
(names, imgsz, stride, task), so the app's bring-your-own-YOLO path reads it. manifest.json
declares the same GSD as odgi-cpu (its training data) and SAHI-style window settings.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from yolo import Detector, Export, count_params  # noqa: E402

CLASSES = ["vehicle", "boat", "plane"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--command", default="")
    ap.add_argument("--threshold", type=float, default=0.35, help="operating score threshold (eval_yolo.py's best F1 on val)")
    a = ap.parse_args()
    import onnx

    from manifest import rehash

    ck = torch.load(os.path.join(a.ckpt, "ckpt.pt"), map_location="cpu")
    det = Detector()
    det.load_state_dict(ck["ema"])
    det.eval()
    m = ck["meta"]
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "detector.onnx")
    x = torch.rand(1, 3, a.imgsz, a.imgsz)
    tmp = path + ".tmp"
    torch.onnx.export(Export(det), x, tmp, opset_version=17, input_names=["images"], output_names=["output0"],
                      dynamic_axes={"images": {0: "N"}, "output0": {0: "N"}}, do_constant_folding=True)
    g = onnx.load(tmp)
    props = {"description": "aerial-yolo-baseline (Iriscope, YOLOv8-style single-shot baseline)", "author": "Iriscope training/odgi/baseline",
             "task": "detect", "stride": "32", "batch": "1", "imgsz": f"[{a.imgsz}, {a.imgsz}]",
             "names": "{" + ", ".join(f"{i}: '{n}'" for i, n in enumerate(CLASSES)) + "}", "license": "Apache-2.0"}
    del g.metadata_props[:]
    for k, v in props.items():
        e = g.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(g, tmp)
    os.replace(tmp, path)
    anchors = sum((a.imgsz // s) ** 2 for s in (8, 16, 32))
    phases = ", ".join(f"{p['minutes']:.1f} min (lr {p['lr']}, crop {p['crop']}, batch {p['batch']})" for p in m["phases"])
    manifest = {
        "schemaVersion": 1,
        "id": "aerial-yolo-baseline",
        "name": "Aerial single-shot baseline (YOLOv8-style, 2.8 M)",
        "task": "detection",
        "version": "0.1.0",
        "description": "A standard anchor-free single-shot detector (YOLOv8-style CSP backbone, PAN neck, decoupled heads at strides 8/16/32) trained on ODGI's own synthetic training tiles, "
                       "to be run tiled (SAHI-style windows) as the baseline the ODGI cascade is compared with. Vehicles, boats, light aircraft at ~10-16 cm/px.",
        "license": "Apache-2.0",
        "source": f"trained by training/odgi/baseline/train_yolo.py: {m['total_minutes']:.1f} min, {m['steps']} steps, {m['crops_seen']} crops of {m['phases'][-1]['crop']} px "
                  f"from {m['tiles']} ODGI train tiles (phases: {phases}); data from training/odgi/gen.py (FlightGear textures and 3-D models, Debian flightgear-data-base 1:2020.3.16+dfsg-1, GPL-2+)",
        "files": [{"path": "detector.onnx", "sha256": "", "bytes": 0}],
        "graphs": {"detector": {"file": "detector.onnx",
                                "inputs": [{"name": "images", "type": "float32", "shape": ["N", 3, a.imgsz, a.imgsz]}],
                                "outputs": [{"name": "output0", "type": "float32", "shape": ["N", 4 + len(CLASSES), anchors]}]}},
        "labels": CLASSES,
        "gsd": {"min": 0.10, "max": 0.16, "native": 0.125},
        "preprocessing": {"format": "ultralytics-yolo", "imgsz": a.imgsz, "color": "RGB", "layout": "NCHW", "range": [0, 1], "letterbox": {"pad": 114}, "stride": 32},
        "thresholds": {"scoreMin": 0.05, "nms": 0.5, "scoreThreshold": a.threshold, "overlap": 0.2, "mergeIos": 0},
        "training": {"params": count_params(det), "minutes": m["total_minutes"], "steps": m["steps"], "crops": m["crops_seen"], "tiles": m["tiles"],
                     "phases": m["phases"], "torch": m["torch"], "threads": m["threads"], "command": a.command},
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    rehash(a.out)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {count_params(det)} params, {m['total_minutes']:.1f} min of training")


if __name__ == "__main__":
    main()
