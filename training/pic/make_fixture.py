#!/usr/bin/env python3
"""Write the ONNX-vs-PyTorch parity fixture for test/models/pic-parity.test.ts.

    /usr/bin/python3 training/pic/make_fixture.py models/pic-cpu64 [CKPT]

Inputs are not stored: both sides generate them with the same integer formula
    x[i] = ((i * 2654435761 + seed * 97531) mod 2^32) / 2^32,   value = offset + scale * x[i]
(exact in float64 on both sides, then rounded to float32). Outputs are stored as a strided
subset (<= 512 values per tensor) plus the sum and the sum of absolute values.
The fixture also holds a complete cached sampling run (embed -> row/pixel loop, N = 2) so the TS
test checks the whole sampler contract. The PyTorch model is rebuilt from the ONNX folder's
checkpoint given as CKPT (default: training/runs/<id>/ckpt.pt is not required — we re-load the
weights from the checkpoint path recorded next to the model, see --ckpt).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cached import EmbedGraph, RowGraph, PixelGraph, zero_state  # noqa: E402
from export import load_checkpoint, EMBED_IN, EMBED_OUT, ROW_IN, ROW_OUT, PIX_IN, PIX_OUT  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def det(n: int, seed: int, offset: float, scale: float) -> np.ndarray:
    i = np.arange(n, dtype=np.int64)
    x = ((i * 2654435761 + seed * 97531) % 4294967296).astype(np.float64) / 4294967296.0
    return (offset + scale * x).astype(np.float32)


def gen(spec, shape):
    n = int(np.prod(shape))
    if "onehot" in spec:
        a = np.zeros(n, np.float32)
        a[spec["onehot"]] = 1.0
        return torch.from_numpy(a.reshape(shape))
    return torch.from_numpy(det(n, spec["seed"], spec["offset"], spec["scale"]).reshape(shape))


def summarise(t: torch.Tensor, max_values: int = 512):
    a = t.detach().numpy().astype(np.float64).ravel()
    stride = max(1, len(a) // max_values)
    return {"shape": list(t.shape), "stride": stride, "values": [float(v) for v in a[::stride][:max_values]],
            "sum": float(a.sum()), "absSum": float(np.abs(a).sum())}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("ckpt")
    ap.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "models", "pic"))
    ap.add_argument("--N", type=int, default=2)
    args = ap.parse_args(argv)

    model = load_checkpoint(args.ckpt)
    cfg = model.cfg
    N, h, w, K = args.N, cfg.grid, cfg.grid, cfg.mixtures
    lC, C, E, S = cfg.dec_blocks * cfg.dec_channels, cfg.dec_channels, cfg.emb_dim, cfg.size
    st = {"offset": -0.5, "scale": 1.0}
    shapes = {
        "L": [1, 1, S, S], "emb": [1, E, h, w], "canvas": [N, 4, h, w], "r_onehot": [1, 1, h, 1],
        "c_onehot": [1, 1, 1, w], "cache_u": [N, lC, 2, w], "cache_c": [N, lC, 2, w], "hist_ul": [N, lC, 2, w],
        "hist_c1": [N, lC, 2, w], "row_ul": [N, lC, 1, w], "row_c1": [N, lC, 1, w], "ul0": [N, C, 1, w],
        "p1": [N, lC, 1, w], "p2": [N, 2 * lC, 1, w], "L_low": [1, 1, h, w], "u_mix": [N, K, 1, 1],
        "u_log": [N, 2, 1, 1], "temperature": [1],
    }
    specs = {
        "L": {"seed": 1, "offset": -1.0, "scale": 2.0}, "emb": {"seed": 2, "offset": -1.0, "scale": 2.0},
        "canvas": {"seed": 3, **st}, "r_onehot": {"onehot": min(2, h - 1)}, "c_onehot": {"onehot": min(3, w - 1)},
        "cache_u": {"seed": 4, **st}, "cache_c": {"seed": 5, **st}, "hist_ul": {"seed": 6, **st},
        "hist_c1": {"seed": 7, **st}, "row_ul": {"seed": 8, **st}, "row_c1": {"seed": 9, **st},
        "ul0": {"seed": 10, **st}, "p1": {"seed": 11, **st}, "p2": {"seed": 12, **st},
        "L_low": {"seed": 13, "offset": -1.0, "scale": 2.0}, "u_mix": {"seed": 14, "offset": 0.05, "scale": 0.9},
        "u_log": {"seed": 15, "offset": 0.05, "scale": 0.9}, "temperature": {"seed": 16, "offset": 0.8, "scale": 0.0},
    }
    fx = {"model": os.path.relpath(args.model_dir, REPO), "N": N, "atol": 1e-4,
          "inputFormula": "x[i] = ((i*2654435761 + seed*97531) mod 2^32) / 2^32; value = offset + scale*x[i]; "
                          "'onehot': k means zeros with a 1 at flat index k",
          "graphs": {}}
    mods = {"embed": (EmbedGraph(model), EMBED_IN, EMBED_OUT), "row": (RowGraph(model), ROW_IN, ROW_OUT),
            "pixel": (PixelGraph(model), PIX_IN, PIX_OUT)}
    with torch.no_grad():
        for g, (mod, ins, outs) in mods.items():
            tensors = [gen(specs[n], shapes[n]) for n in ins]
            res = mod(*tensors)
            fx["graphs"][g] = {"inputs": {n: {"shape": shapes[n], **specs[n]} for n in ins},
                               "outputs": {n: summarise(t) for n, t in zip(outs, res)}}

        # complete cached sampling run
        T = 0.8
        L = gen(specs["L"], shapes["L"])
        emb, L_low, _aux, preview = EmbedGraph(model)(L)
        umix_all = det(h * w * N * K, 21, 0.0, 1.0)
        ulog_all = det(h * w * N * 2, 22, 0.0, 1.0)
        s = zero_state(model, N)
        rg, pg = RowGraph(model), PixelGraph(model)
        for r in range(h):
            ro = torch.zeros(1, 1, h, 1)
            ro[0, 0, r, 0] = 1
            ul0, p1, p2, s["cache_u"], s["cache_c"], s["hist_ul"], s["hist_c1"] = rg(
                emb, s["canvas"], ro, s["cache_u"], s["cache_c"], s["hist_ul"], s["hist_c1"], s["row_ul"], s["row_c1"])
            s["row_ul"] = torch.zeros_like(s["row_ul"])
            s["row_c1"] = torch.zeros_like(s["row_c1"])
            for c in range(w):
                co = torch.zeros(1, 1, 1, w)
                co[0, 0, 0, c] = 1
                k = r * w + c
                um = torch.from_numpy(umix_all[k * N * K:(k + 1) * N * K].reshape(N, K, 1, 1))
                ulg = torch.from_numpy(ulog_all[k * N * 2:(k + 1) * N * 2].reshape(N, 2, 1, 1))
                s["canvas"], s["row_ul"], s["row_c1"], _ab, _p = pg(
                    ul0, p1, p2, s["canvas"], s["row_ul"], s["row_c1"], L_low, ro, co, um, ulg, torch.tensor([T]))
        fx["sampling"] = {
            "N": N, "temperature": T, "L": specs["L"],
            "u_mix": {"seed": 21, "offset": 0.0, "scale": 1.0,
                      "layout": "one array of h*w*N*K values; pixel k = r*w+c uses [k*N*K, (k+1)*N*K) as [N,K,1,1]"},
            "u_log": {"seed": 22, "offset": 0.0, "scale": 1.0,
                      "layout": "one array of h*w*N*2 values; pixel k uses [k*N*2, (k+1)*N*2) as [N,2,1,1]"},
            "ab": [float(v) for v in s["canvas"][:, 1:3].numpy().ravel()],
            "preview_ab": [float(v) for v in preview.numpy().ravel()],
        }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, os.path.basename(os.path.normpath(args.model_dir)) + ".json")
    with open(path, "w") as f:
        json.dump(fx, f, separators=(",", ":"))
    print(f"[fixture] wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
