"""Fixes the trained gates, prunes what they leave unused, and writes one static ONNX.

    /usr/bin/python3 training/faces/export.py --checkpoint training/runs/faces-uniform/final.pt --out models/face-interrogate

With binary, input-independent gates, channel c of task t at layer l comes
either from the task's own filter (G = 1) or from the shared one (G = 0).
So per layer: each task keeps only its G = 1 filters, the shared block keeps
only the filters some task takes, and the gated sum becomes a concatenation
plus a fixed channel gather. BatchNorm is folded into the convs. A task whose
gates are all 0 at a layer has no filters there (it shares the layer).

Writes model.onnx, parity.json (a few real crops' inputs hashed + PyTorch
outputs, for the ONNX-vs-PyTorch test in test/models/face-interrogate.test.ts)
and pruning.json (sharing pattern, MACs and parameters before/after).
"""
import argparse
import base64
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import InterroGateFaces, parameter_count  # noqa: E402


def fold(block, keep):
    """Conv+BN+ReLU -> one Conv (output channels `keep`) with the BN folded in."""
    conv, bn = block[0], block[1]
    w = conv.weight.detach()[keep]
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()[keep]
    bias = (bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()[keep]
    out = nn.Conv2d(conv.in_channels, len(keep), 3, conv.stride, 1, bias=True)
    out.weight.data = w * scale.view(-1, 1, 1, 1)
    out.bias.data = bias
    return out


class Pruned(nn.Module):
    def __init__(self, m: InterroGateFaces):
        super().__init__()
        self.tasks = m.tasks
        self.stem = fold(m.stem, list(range(m.stem[0].out_channels)))
        self.mix_w = []
        self.shared = nn.ModuleList()
        self.specific = nn.ModuleList()
        self.gathers = []
        self.pattern = {}
        self.macs = m.stem_macs + m.head_macs
        side = 32
        for l, (cin, cout, s) in enumerate(m.layers_cfg):
            side //= s
            G = {t: (torch.sigmoid(m.alpha[t][l, :cout]) >= 0.5) for t in self.tasks}
            shared_keep = [c for c in range(cout) if any(not G[t][c] for t in self.tasks)]
            self.mix_w.append(torch.softmax(m.beta[l], 0).detach())
            self.shared.append(fold(m.shared[l], shared_keep) if shared_keep else nn.Identity())
            self.macs += 9 * cin * len(shared_keep) * side * side
            per_task, gathers = nn.ModuleDict(), {}
            for t in self.tasks:
                keep = [c for c in range(cout) if G[t][c]]
                if keep:
                    per_task[t] = fold(m.specific[t][l], keep)
                    self.macs += 9 * cin * len(keep) * side * side
                # Output channel c: from the task's filters (index among keep) or the shared ones (after them).
                idx = [keep.index(c) if G[t][c] else len(keep) + shared_keep.index(c) for c in range(cout)]
                gathers[t] = torch.tensor(idx, dtype=torch.long)
                self.pattern.setdefault(t, []).append(len(keep) / cout)
            self.specific.append(per_task)
            self.gathers.append(gathers)
            self.pattern.setdefault("shared", []).append(len(shared_keep) / cout)
        self.heads = nn.ModuleDict({k: v for k, v in m.heads.items()})

    def forward(self, faces):
        x = F.avg_pool2d(faces, 2)
        x = (x - 0.5) / 0.25
        psi = F.relu(self.stem(x))
        phi = {t: psi for t in self.tasks}
        same = True  # all tasks hold the same tensor (the mixture is that tensor)
        for l in range(len(self.shared)):
            mix = psi if same else sum(float(self.mix_w[l][k]) * phi[t] for k, t in enumerate(self.tasks))
            s = F.relu(self.shared[l](mix)) if not isinstance(self.shared[l], nn.Identity) else None
            new = {}
            for t in self.tasks:
                parts = []
                if t in self.specific[l]:
                    parts.append(F.relu(self.specific[l][t](phi[t])))
                if s is not None:
                    parts.append(s)
                cat = torch.cat(parts, 1) if len(parts) > 1 else parts[0]
                g = self.gathers[l][t]
                new[t] = cat if torch.equal(g, torch.arange(len(g))) and cat.shape[1] == len(g) else cat[:, g]
            same = all(t not in self.specific[l] for t in self.tasks)
            phi = new
            psi = s if s is not None else psi
        pooled = {t: phi[t].mean((2, 3)) for t in self.tasks}
        a = self.heads["age"](pooled["age"])
        return (
            torch.sigmoid(self.heads["face"](pooled["face"])),
            torch.sigmoid(self.heads["gender"](pooled["gender"])),
            35.0 + 15.0 * a[:, :1],
            torch.exp(torch.clamp(a[:, 1:2] + 1.5, -1.0, 4.0)),
            torch.sigmoid(self.heads["smile"](pooled["smile"])),
        )


OUTPUTS = ["faceness", "male", "age", "age_sigma", "smile"]


def reference(m, x):
    with torch.no_grad():
        o = m(x)
    return [torch.sigmoid(o["face"])[:, None], torch.sigmoid(o["gender"])[:, None], o["age_mu"][:, None],
            o["age_logsigma"].clamp(-1, 4).exp()[:, None], torch.sigmoid(o["smile"])[:, None]]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    ck = torch.load(args.checkpoint)
    m = InterroGateFaces()
    m.load_state_dict(ck["model"])
    m.hard = True
    m.eval()
    p = Pruned(m).eval()
    os.makedirs(args.out, exist_ok=True)

    # Parity input: smooth random images (no third-party photo is committed) plus noise.
    g = torch.Generator().manual_seed(5)
    base = F.interpolate(torch.rand(3, 3, 8, 8, generator=g), size=(128, 128), mode="bilinear", align_corners=False)
    u8 = ((base + 0.05 * torch.randn(3, 3, 128, 128, generator=g)).clamp(0, 1) * 255).round().to(torch.uint8)
    x = u8.float() / 255.0  # what the app feeds: 8-bit pixels / 255
    ref = reference(m, x)
    with torch.no_grad():
        got = p(x)
    err = max(float((a - b).abs().max()) for a, b in zip(ref, got))
    assert err < 1e-4, f"pruned network differs from the gated one: {err}"

    path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(p, (x,), path, input_names=["faces"], output_names=OUTPUTS, opset_version=13,
                      dynamic_axes={"faces": {0: "N"}, **{o: {0: "N"} for o in OUTPUTS}})
    json.dump({"seed": 5, "input_shape": list(x.shape), "input_u8_b64": base64.b64encode(u8.numpy().tobytes()).decode(),
               "outputs": {n: [round(v, 7) for v in r.flatten().tolist()] for n, r in zip(OUTPUTS, ref)}},
              open(os.path.join(args.out, "parity.json"), "w"))
    info = {
        "checkpoint_epoch": ck.get("epoch"),
        "pattern": {k: [round(v, 3) for v in vs] for k, vs in p.pattern.items()},
        "macs_ungated": m.full_macs(), "macs_pruned": float(p.macs),
        "params_training": parameter_count(m), "params_pruned": parameter_count(p),
        "pruned_vs_gated_max_abs_diff": err,
        "onnx_sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(), "onnx_bytes": os.path.getsize(path),
    }
    json.dump(info, open(os.path.join(args.out, "pruning.json"), "w"), indent=1)
    write_manifest(args.out, path, ck, info)
    print(json.dumps(info, indent=1))


def write_manifest(out, onnx_path, ck, info):
    blob = open(onnx_path, "rb").read()
    manifest = {
        "schemaVersion": 1,
        "id": "face-interrogate",
        "name": "Face multi-task (InterroGate): faceness, gender, age with spread, smile",
        "task": "face-multitask",
        "version": "0.1.0",
        "description": "One gated multi-task network (shared backbone, per-task branches, learned per-channel gates fixed and pruned after training). "
                       "Not the app's default: see MODEL_CARD.md for where it stands against the shipped heads.",
        "license": "Apache-2.0",
        "source": "trained by training/faces/train.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in (ck.get("args") or {}).items() if k != "cache")
                  + f" (epoch {ck.get('epoch')}), exported by training/faces/export.py; data and licences: MODEL_CARD.md",
        "files": [{"path": "model.onnx", "sha256": hashlib.sha256(blob).hexdigest(), "bytes": len(blob)}],
        "graphs": {"main": {"file": "model.onnx",
                            "inputs": [{"name": "faces", "type": "float32", "shape": ["N", 3, 128, 128]}],
                            "outputs": [{"name": o, "type": "float32", "shape": ["N", 1]} for o in OUTPUTS]}},
        "preprocessing": {"crop": "as models/face-attributes (preprocessing.crop): RGB in [0,1], square of 1.8 x the detector box, eyes level, 128 px; "
                                  "the graph averages 2x2 to 64 px and normalises (x - 0.5) / 0.25 itself"},
        "outputs": {"faceness": "P(face) of the detection", "male": "P(male)", "age": "years (Gaussian mean)",
                    "age_sigma": "years (Gaussian spread)", "smile": "P(smiling)"},
        "thresholds": {"faceness": 0.5, "male": 0.5, "smile": 0.5},
        "metrics": {"macs_pruned": info["macs_pruned"], "macs_ungated": info["macs_ungated"], "params_pruned": info["params_pruned"]},
    }
    json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
