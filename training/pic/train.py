#!/usr/bin/env python3
"""Train PIC (time-bounded).

CPU config (64^2 -> 16^2), about an hour on 2 cores:
    nice -n 10 /usr/bin/python3 training/pic/train.py --config cpu --minutes 60 --out training/runs/pic-cpu
GPU config (128^2 -> 32^2) from the packed data set (see pack_gpu.py, gpu_job.sh):
    python3 training/pic/train.py --config gpu --device cuda --pack training/data/cache/gpu/pic/pack.pt \
        --minutes 6 --out OUTDIR

The learning-rate schedule follows the elapsed fraction of the time budget (warm-up, then cosine
decay), so the run ends annealed whatever the hardware speed. Checkpoints (`ckpt.pt`: config, EMA
state_dict (+ raw weights with --save-raw), log) are written every --ckpt-every seconds and at the end; `log.jsonl` has
one line per log step. Works with torch 1.13 and 2.x (no 2.x-only APIs).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import CONFIGS, PIC, PICConfig, bits_per_dim, lowres_L, rgb_to_inputs  # noqa: E402
import data as D  # noqa: E402


def evaluate_bpd(model, rgb, cfg, device, bs=32):
    """Mean decoder and embedding-head bits/dim over a fixed set of RGB images [V,3,S,S] in [0,1]."""
    model.eval()
    tot_d = tot_e = 0.0
    with torch.no_grad():
        for i in range(0, rgb.shape[0], bs):
            x = rgb[i:i + bs].to(device)
            L, ab = rgb_to_inputs(x, cfg.ds)
            L = L.contiguous(memory_format=torch.channels_last)
            ab = ab.contiguous(memory_format=torch.channels_last)
            p, aux = model(L, ab)
            Ll = lowres_L(L, cfg.ds)
            tot_d += bits_per_dim(p.float(), ab, Ll, cfg.mixtures).item() * x.shape[0]
            tot_e += bits_per_dim(aux.float(), ab, Ll, cfg.mixtures).item() * x.shape[0]
    model.train()
    return tot_d / rgb.shape[0], tot_e / rgb.shape[0]


def save_ckpt(path, model, ema, cfg, step, log, args, elapsed):
    tmp = path + ".tmp"
    ck = {"config": cfg.to_dict(), "ema": {k: v.detach().cpu().contiguous() for k, v in ema.state_dict().items()},
          "step": step, "elapsed_s": elapsed, "log": log, "args": vars(args), "torch": torch.__version__}
    if args.save_raw:
        ck["model"] = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save(ck, tmp)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="cpu", choices=sorted(CONFIGS))
    ap.add_argument("--minutes", type=float, default=60.0, help="wall-clock training budget")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = time only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=0, help="default: 32 (cpu) / 64 (gpu)")
    ap.add_argument("--lr", type=float, default=0.0, help="peak LR; default 2e-3 (cpu) / 1e-3 (gpu)")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--pack", default="", help="packed uint8 data set (npz with train/val) for device-side crops")
    ap.add_argument("--photos", action="append", default=[], help="extra folder(s) of colour photos for training")
    ap.add_argument("--corpus", default=D.CORPUS)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--val-every", type=float, default=300.0, help="seconds between validation passes")
    ap.add_argument("--ckpt-every", type=float, default=120.0, help="seconds between checkpoints")
    ap.add_argument("--bf16", action="store_true", help="autocast bf16 on CUDA (loss in fp32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save-raw", action="store_true", help="also store the raw (non-EMA) weights in ckpt.pt")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    cfg: PICConfig = CONFIGS[args.config]
    bs = args.batch or (64 if args.config == "gpu" else 32)
    lr_max = args.lr or (1e-3 if args.config == "gpu" else 2e-3)
    os.makedirs(args.out, exist_ok=True)

    # data
    if args.pack:
        sampler = D.GpuPackSampler(args.pack, cfg.size, device, seed=args.seed)
        val_rgb = sampler.val_batch()
        print(f"[pic] pack {args.pack}: train {tuple(sampler.train.shape)} val {tuple(sampler.val.shape)} on {device}",
              flush=True)
    else:
        paths = D.corpus_paths("train", args.corpus)
        for d in args.photos:
            paths += D.folder_paths(d)
        short = max(4 * cfg.size, 256)
        t0 = time.time()
        train_imgs = D.load_images(paths, short)
        val_imgs = D.load_images(D.corpus_paths("val", args.corpus), cfg.size * 2)
        sampler = D.CropSampler(train_imgs, cfg.size, seed=args.seed)
        val_rgb = D.center_crops(val_imgs, cfg.size)
        print(f"[pic] {len(train_imgs)} train images (short side {short}), {len(val_imgs)} val; "
              f"loaded in {time.time() - t0:.1f}s", flush=True)

    # channels_last: ~10x faster convolutions on CPU (oneDNN) with torch 1.13; also fine on CUDA
    model = PIC(cfg).to(device).to(memory_format=torch.channels_last)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    n_emb = sum(p.numel() for p in model.embed.parameters())
    n_dec = sum(p.numel() for p in model.decoder.parameters())
    print(f"[pic] config {args.config}: {cfg.to_dict()}; params embed {n_emb/1e6:.3f}M decoder {n_dec/1e6:.3f}M; "
          f"batch {bs}; lr {lr_max}; budget {args.minutes} min; torch {torch.__version__}", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr_max, betas=(0.95, 0.9995), eps=1e-6)

    budget = args.minutes * 60.0
    log, step = [], 0
    ckpt = os.path.join(args.out, "ckpt.pt")
    logf = open(os.path.join(args.out, "log.jsonl"), "a")
    t_start = time.time()
    last_val = last_ckpt = t_start
    win_t, win_steps, run_loss, run_bpd, run_aux = time.time(), 0, 0.0, 0.0, 0.0
    use_bf16 = args.bf16 and device.type == "cuda"
    while True:
        elapsed = time.time() - t_start
        if elapsed >= budget or (args.max_steps and step >= args.max_steps):
            break
        frac = elapsed / budget
        lr = lr_max * min(1.0, (step + 1) / args.warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        rgb = sampler.batch(bs).to(device, non_blocking=True)
        with torch.no_grad():
            L, ab = rgb_to_inputs(rgb, cfg.ds)
            L = L.contiguous(memory_format=torch.channels_last)
            ab = ab.contiguous(memory_format=torch.channels_last)
        Ll = lowres_L(L, cfg.ds)
        if use_bf16:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                p, aux = model(L, ab)
        else:
            p, aux = model(L, ab)
        bpd = bits_per_dim(p.float(), ab, Ll, cfg.mixtures)
        bpd_aux = bits_per_dim(aux.float(), ab, Ll, cfg.mixtures)
        loss = bpd + bpd_aux
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        win_steps += 1
        run_loss += loss.item()
        run_bpd += bpd.item()
        run_aux += bpd_aux.item()
        now = time.time()
        if step % args.log_every == 0:
            sps = win_steps / (now - win_t)
            rec = {"step": step, "t": round(now - t_start, 1), "loss": run_loss / win_steps,
                   "bpd": run_bpd / win_steps, "bpd_aux": run_aux / win_steps, "lr": lr, "steps_per_s": sps}
            print(f"[pic] step {step} t {rec['t']:.0f}s loss {rec['loss']:.4f} bits/dim {rec['bpd']:.4f} "
                  f"(aux {rec['bpd_aux']:.4f}) lr {lr:.2e} {sps:.2f} steps/s", flush=True)
            log.append(rec)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            win_t, win_steps, run_loss, run_bpd, run_aux = now, 0, 0.0, 0.0, 0.0
        if now - last_val >= args.val_every:
            vd, ve = evaluate_bpd(ema, val_rgb, cfg, device)
            rec = {"step": step, "t": round(now - t_start, 1), "val_bpd": vd, "val_bpd_aux": ve}
            print(f"[pic] val step {step}: bits/dim {vd:.4f} (embedding head {ve:.4f})", flush=True)
            log.append(rec)
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            last_val = time.time()
        if now - last_ckpt >= args.ckpt_every:
            save_ckpt(ckpt, model, ema, cfg, step, log, args, now - t_start)
            last_ckpt = time.time()

    total = time.time() - t_start
    vd, ve = evaluate_bpd(ema, val_rgb, cfg, device)
    rec = {"step": step, "t": round(total, 1), "val_bpd": vd, "val_bpd_aux": ve, "final": True,
           "s_per_step": total / max(step, 1)}
    log.append(rec)
    logf.write(json.dumps(rec) + "\n")
    logf.close()
    save_ckpt(ckpt, model, ema, cfg, step, log, args, total)
    print(f"[pic] done: {step} steps in {total:.0f}s ({total / max(step, 1):.3f} s/step); "
          f"val bits/dim {vd:.4f} (embedding head {ve:.4f}); checkpoint {ckpt}", flush=True)


if __name__ == "__main__":
    main()
