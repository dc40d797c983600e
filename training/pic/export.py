#!/usr/bin/env python3
"""Export a PIC checkpoint to ONNX (opset 17): embed.onnx, row.onnx, pixel.onnx + manifest.json.

    /usr/bin/python3 training/pic/export.py CKPT models/pic-cpu64 [--id pic-cpu64] [--raw] [--metrics eval.json]

Uses the EMA weights unless --raw. The batch axis "N" (samples per photo) is dynamic.
The manifest's `files` hashes are (re)computed by manifest_files.py (called at the end).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import PIC, PICConfig, AB_SCALE, AB_LEVELS, LOG_SCALE_MIN  # noqa: E402
from cached import EmbedGraph, RowGraph, PixelGraph, zero_state  # noqa: E402
import manifest_files  # noqa: E402

OPSET = 17
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_checkpoint(path: str, use_ema: bool = True) -> PIC:
    ck = torch.load(path, map_location="cpu")
    cfg = PICConfig.from_dict(ck["config"])
    model = PIC(cfg)
    sd = ck["ema"] if (use_ema and "ema" in ck) else ck.get("model", ck)
    model.load_state_dict(sd)
    return model.eval()


def example_inputs(model: PIC, N: int = 2):
    cfg = model.cfg
    h = w = cfg.grid
    g = torch.Generator().manual_seed(0)
    L = torch.rand(1, 1, cfg.size, cfg.size, generator=g) * 2 - 1
    emb, L_low, _, _ = EmbedGraph(model)(L)
    st = zero_state(model, N)
    for k in st:
        st[k] = torch.randn(st[k].shape, generator=g) * 0.5
    r_onehot = torch.zeros(1, 1, h, 1)
    r_onehot[0, 0, min(2, h - 1), 0] = 1
    c_onehot = torch.zeros(1, 1, 1, w)
    c_onehot[0, 0, 0, min(3, w - 1)] = 1
    row_in = (emb, st["canvas"], r_onehot, st["cache_u"], st["cache_c"], st["hist_ul"], st["hist_c1"],
              st["row_ul"], st["row_c1"])
    ul0, p1, p2, *_ = RowGraph(model)(*row_in)
    u_mix = torch.rand(N, cfg.mixtures, 1, 1, generator=g)
    u_log = torch.rand(N, 2, 1, 1, generator=g)
    pix_in = (ul0, p1, p2, st["canvas"], st["row_ul"], st["row_c1"], L_low, r_onehot, c_onehot, u_mix, u_log,
              torch.tensor([0.8]))
    return (L,), row_in, pix_in


EMBED_IN = ["L"]
EMBED_OUT = ["emb", "L_low", "aux_params", "preview_ab"]
ROW_IN = ["emb", "canvas", "r_onehot", "cache_u", "cache_c", "hist_ul", "hist_c1", "row_ul", "row_c1"]
ROW_OUT = ["ul0", "p1", "p2", "cache_u_out", "cache_c_out", "hist_ul_out", "hist_c1_out"]
PIX_IN = ["ul0", "p1", "p2", "canvas", "row_ul", "row_c1", "L_low", "r_onehot", "c_onehot", "u_mix", "u_log",
          "temperature"]
PIX_OUT = ["canvas_out", "row_ul_out", "row_c1_out", "ab", "params"]
BATCHLESS = {"emb", "L_low", "r_onehot", "c_onehot", "temperature", "L", "aux_params", "preview_ab"}


def _spec(names, tensors, dynamic_n=True):
    out = []
    for n, t in zip(names, tensors):
        shape = list(t.shape)
        if dynamic_n and n not in BATCHLESS:
            shape[0] = "N"
        out.append({"name": n, "type": "float32", "shape": shape})
    return out


def export(model: PIC, out_dir: str):
    os.makedirs(out_dir, exist_ok=True)
    emb_in, row_in, pix_in = example_inputs(model)
    graphs = {}
    with torch.no_grad():
        for name, mod, ins, in_names, out_names in [
            ("embed", EmbedGraph(model), emb_in, EMBED_IN, EMBED_OUT),
            ("row", RowGraph(model), row_in, ROW_IN, ROW_OUT),
            ("pixel", PixelGraph(model), pix_in, PIX_IN, PIX_OUT),
        ]:
            outs = mod(*ins)
            dyn = {n: {0: "N"} for n in in_names + out_names if n not in BATCHLESS}
            path = os.path.join(out_dir, f"{name}.onnx")
            torch.onnx.export(mod, ins, path, input_names=in_names, output_names=out_names, opset_version=OPSET,
                              dynamic_axes=dyn, do_constant_folding=True)
            graphs[name] = {"file": f"{name}.onnx", "inputs": _spec(in_names, ins), "outputs": _spec(out_names, outs),
                            "preferProviders": ["cpu"]}
    return graphs


def preprocessing(cfg: PICConfig):
    K, C, l, h = cfg.mixtures, cfg.dec_channels, cfg.dec_blocks, cfg.grid
    return {
        "colorSpace": "CIE Lab (D65), sRGB companding; L in [0,100]",
        "inputSize": cfg.size,
        "grid": h,
        "downsample": cfg.ds,
        "embedDim": cfg.emb_dim,
        "decoderChannels": C,
        "decoderBlocks": l,
        "mixtures": K,
        "paramsPerMixture": 8,
        "L": {"tensor": "L [1,1,S,S]", "normalise": "L_n = L/50 - 1",
              "howToMake": "gray photo -> per pixel treat value v as sRGB gray (R=G=B=v), take Lab L; resize the "
                           "L image (or the gray image) to S x S (the whole photo, aspect not preserved)"},
        "ab": {"normalise": f"ab_n = clamp(ab/{AB_SCALE}, -1, 1), snapped to {AB_LEVELS} levels: "
                            "round((ab_n+1)*127.5)/127.5 - 1", "denormalise": f"ab = ab_n * {AB_SCALE}",
               "levels": AB_LEVELS, "scale": AB_SCALE},
        "paramsLayout": {
            "logits": [0, K], "m_a": [K, 2 * K], "m_b": [2 * K, 3 * K],
            "log_s_a": [3 * K, 4 * K], "log_s_b": [4 * K, 5 * K],
            "c0_L_to_a": [5 * K, 6 * K], "c1_L_to_b": [6 * K, 7 * K], "c2_a_to_b": [7 * K, 8 * K],
            "notes": f"half-open channel ranges; log_s clamped >= {LOG_SCALE_MIN}; c* through tanh; "
                     "mu_a = m_a + c0*L_low, mu_b = m_b + c1*L_low + c2*a",
        },
        "sampling": {
            "order": "raster: rows r = 0..h-1, columns c = 0..w-1; per pixel a then b (both inside one pixel call)",
            "uniforms": "per pixel (r,c): u_mix [N,K,1,1] then u_log [N,2,1,1] (u_log[:,0] for a, u_log[:,1] for b); "
                        "values in (0,1); the graph clamps to [1e-5, 1-1e-5]",
            "component": "k = argmax_j( logits_j / max(T,1e-4) - log(-log(u_mix_j)) )  (Gumbel-max)",
            "a": "a = clamp(mu_a,k + exp(log_s_a,k) * T * (log(u) - log(1-u)), -1, 1), snapped to the 256-level grid",
            "b": "b likewise with mu_b,k = m_b,k + c1,k*L_low + c2,k*a (sampled, snapped a)",
            "temperature": "T scales the logistic noise and divides the logits; T = 0 gives the mode of the "
                           "chosen (argmax-logit) component; T = 1 is the trained distribution",
            "state": "zero-initialise canvas [N,4,h,w], cache_u, cache_c, hist_ul, hist_c1 [N,l*C,2,w], "
                     "row_ul, row_c1 [N,l*C,1,w]. Per row r: r_onehot[0,0,r,0]=1 (else 0); "
                     "row(emb, canvas, r_onehot, cache_u, cache_c, hist_ul, hist_c1, row_ul, row_c1) -> "
                     "ul0, p1, p2, cache_u_out, cache_c_out, hist_ul_out, hist_c1_out; feed the *_out back as the "
                     "next row's inputs; then reset row_ul, row_c1 to zeros. Per column c: c_onehot[0,0,0,c]=1; "
                     "pixel(ul0, p1, p2, canvas, row_ul, row_c1, L_low, r_onehot, c_onehot, u_mix, u_log, "
                     "temperature) -> canvas_out, row_ul_out, row_c1_out, ab, params; feed canvas_out, row_ul_out, "
                     "row_c1_out back. Note: the row graph must receive the row_ul/row_c1 of the previous row "
                     "(as left by its last pixel call) BEFORE they are reset.",
            "result": "canvas[:,1:3] = sampled ab_n on the h x w grid (canvas[:,0] = L_low, canvas[:,3] = 1)",
        },
        "embedOutputs": {
            "emb": "conditioning for the row graph", "L_low": "avg-pooled L_n on the grid (pixel graph input)",
            "aux_params": "embedding-head mixture parameters (same layout), non-autoregressive",
            "preview_ab": "mixture mean of aux_params, ab_n [1,2,h,w]: instant one-pass preview",
        },
        "postprocessing": "upsample ab (x AB_SCALE) from h x w to the photo size (edge-aware, guided by full-res L), "
                          "combine with the photo's own L, Lab -> sRGB",
    }


def write_manifest(model: PIC, out_dir: str, graphs: dict, model_id: str, name: str, source: str, metrics: dict,
                   description: str):
    man_path = os.path.join(out_dir, "manifest.json")
    old = json.load(open(man_path)) if os.path.exists(man_path) else {}
    man = {
        "schemaVersion": 1,
        "id": model_id,
        "name": name,
        "task": "colorization",
        "version": "1.0.0",
        "description": description,
        "license": "Apache-2.0",
        "source": source,
        "files": [],
        "graphs": graphs,
        "preprocessing": preprocessing(model.cfg),
        "metrics": metrics or old.get("metrics", {}),
    }
    with open(man_path, "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    manifest_files.update(out_dir)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt")
    ap.add_argument("out_dir")
    ap.add_argument("--id", default=None)
    ap.add_argument("--raw", action="store_true", help="export the raw (non-EMA) weights")
    ap.add_argument("--metrics", default="", help="JSON file with evaluation metrics for the manifest")
    ap.add_argument("--source", default="")
    args = ap.parse_args(argv)

    model = load_checkpoint(args.ckpt, use_ema=not args.raw)
    cfg = model.cfg
    model_id = args.id or os.path.basename(os.path.normpath(args.out_dir))
    ck = torch.load(args.ckpt, map_location="cpu")
    cname = ck.get("args", {}).get("config", "?")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    source = args.source or (f"trained by training/pic/train.py --config {cname} (commit {commit}); "
                             f"{ck.get('step', '?')} steps, {round(ck.get('elapsed_s', 0) / 60, 1)} min, "
                             f"torch {ck.get('torch', '?')}; exported by training/pic/export.py (EMA weights, opset {OPSET})")
    metrics = json.load(open(args.metrics)) if args.metrics else {}
    graphs = export(model, args.out_dir)
    name = f"PIC colorizer ({cname} config, {cfg.size}² → {cfg.grid}²)"
    desc = ("Probabilistic Image Colorization (PIC): embedding network on gray L + conditional PixelCNN++ over "
            f"the {cfg.grid}x{cfg.grid} ab grid with a mixture of {cfg.mixtures} discretised logistics. "
            "Sample with embed once, then row/pixel graphs (cached, O(1) per pixel); see preprocessing.sampling.")
    write_manifest(model, args.out_dir, graphs, model_id, name, source, metrics, desc)
    print(f"[export] wrote {args.out_dir}: " + ", ".join(sorted(os.listdir(args.out_dir))))


if __name__ == "__main__":
    main()
