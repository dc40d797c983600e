"""Trains the InterroGate face model (model.py) on the crops of prepare.ts.

    nice -n 5 /usr/bin/python3 training/faces/train.py --run training/runs/faces-uniform [--epochs 30] [--cache ...]

Resumable: --run holds last.pt (model, optimiser, epoch, RNG) and train.log
(one JSON line per epoch); running the same command again continues.

Data (see data.py for the splits; fairface-dev and the London/Canada test
persons are never read here, and check_disjoint refuses overlapping sources):
- faces: London/Canada training persons (age, gender, smile labels), Pixabay
  (gender; age from the teacher as a pseudo-label at half weight);
- non-faces: the detector's own candidates on the training split of the
  face-free colour-corpus photos, and random squares of them;
- distillation: faceres-deep's 1024-d descriptor of every training face
  (cosine loss on the shared branch), the framing picked on training labels.
Loss: uniform average of the task losses (faceness BCE, gender BCE, age
Gaussian NLL, smile BCE, descriptor cosine) + lambda * budget hinge.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment import augment  # noqa: E402
from data import DEFAULT_CACHE, check_disjoint, crop, is_eval, load_records, load_teacher, summary  # noqa: E402
from model import InterroGateFaces, parameter_count  # noqa: E402


def choose_framing(records, teacher):
    """The teacher framing with the better gender accuracy on labelled training faces (male if p >= 0.6)."""
    best, report = None, {}
    for framing, rows in teacher.items():
        ok = [(rows[r["key"]]["pMale"] >= 0.6) == (r["gender"] == "male") for r in records
              if not is_eval(r) and r["kind"] == "face" and r.get("gender") and r["key"] in rows]
        report[framing] = float(np.mean(ok)) if ok else 0.0
        if best is None or report[framing] > report[best]:
            best = framing
    return best, report


def val_key(key):
    return hashlib.sha256(f"faces-v2-val:{key}".encode()).digest()[0] < 26  # ~10 % of Pixabay


def build(cache):
    records = load_records(cache)
    print(check_disjoint(records, cache), flush=True)
    teacher = load_teacher(cache)
    framing, framing_report = choose_framing(records, teacher)
    t = teacher.get(framing, {})
    items = []
    for r in records:
        if is_eval(r) or r.get("noCrop"):
            continue
        if r["kind"] == "face":
            if not r.get("detection"):
                continue
            tr = t.get(r["key"])
            item = {"key": r["key"], "set": r["set"], "face": 1.0,
                    "gender": {"male": 1.0, "female": 0.0}.get(r.get("gender"), -1.0),
                    "age": r["age"] if r.get("age") is not None else (tr["age"] if tr else -1.0),
                    "age_w": 1.0 if r.get("age") is not None else (0.5 if tr else 0.0),
                    "smile": {"smiling": 1.0, "neutral": 0.0}.get(r.get("expression"), -1.0) if r["set"] == "london" else -1.0,
                    "emb": tr["emb"] / (np.linalg.norm(tr["emb"]) + 1e-8) if tr else None,
                    "t_male": tr["pMale"] if tr else -1.0,
                    "t_age": np.asarray(tr["ageDist"], np.float32) if tr else None,
                    "val": r["set"] == "pixabay" and val_key(r["key"])}
        else:
            item = {"key": r["key"], "set": r["set"], "face": 0.0, "gender": -1.0, "age": -1.0, "age_w": 0.0, "smile": -1.0, "emb": None,
                    "t_male": -1.0, "t_age": None, "val": False}
        items.append(item)
    return items, framing, framing_report, records


def batch_tensors(items, imgs, rng, train):
    x = np.stack([augment(imgs[i], rng) if train else imgs[i] for i in items])
    x = torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0
    return x


TEACHER_MALE_AT = 0.6  # faceres-deep's upstream decision point: its p = 0.6 is our 0.5
AGE_BINS = torch.arange(100, dtype=torch.float32) + 1.0  # faceres-deep bin i = age i + 1 (as hseAge)


def soft_terms(out, meta):
    """Teacher soft targets: gender BCE to its re-centred probability, age cross-entropy of its 100-bin
    distribution under our Gaussian (so the spread learns the teacher's uncertainty too)."""
    m = meta["t_male"] >= 0
    p = meta["t_male"].clamp(1e-4, 1 - 1e-4)
    shift = float(np.log(TEACHER_MALE_AT / (1 - TEACHER_MALE_AT)))
    target = torch.sigmoid(torch.log(p / (1 - p)) - shift)
    g = F.binary_cross_entropy_with_logits(out["gender"], target, reduction="none")
    ls = out["age_logsigma"].clamp(-1.0, 4.0)
    z = (AGE_BINS[None] - out["age_mu"][:, None]) / ls.exp()[:, None]
    a = (meta["t_age_dist"] * (0.5 * z ** 2)).sum(1) / meta["t_age_dist"].sum(1).clamp(min=1e-6) + ls
    return m, g, a


def losses(out, meta, teacher_soft=0.0):
    face = meta["face"]
    L = {"face": F.binary_cross_entropy_with_logits(out["face"], face)}
    m = (meta["gender"] >= 0).float()
    g_real = F.binary_cross_entropy_with_logits(out["gender"], meta["gender"].clamp(min=0), reduction="none")
    w = meta["age_w"]
    ls = out["age_logsigma"].clamp(-1.0, 4.0)
    nll = 0.5 * ((meta["age"] - out["age_mu"]) / ls.exp()) ** 2 + ls
    if teacher_soft > 0:
        # Real labels weigh 1, the teacher's soft targets `teacher_soft`; real ages only (no point pseudo-ages).
        tm, g_soft, a_soft = soft_terms(out, meta)
        tw = tm.float() * teacher_soft
        L["gender"] = ((g_real * m).sum() + (g_soft * tw).sum()) / (m.sum() + tw.sum()).clamp(min=1e-6)
        real = (meta["real_age"]).float()
        L["age"] = ((nll * real).sum() + (a_soft * tw).sum()) / (real.sum() + tw.sum()).clamp(min=1e-6)
    else:
        L["gender"] = (g_real * m).sum() / m.sum().clamp(min=1e-6)
        L["age"] = (nll * w).sum() / w.sum().clamp(min=1e-6)
    m = meta["smile"] >= 0
    L["smile"] = F.binary_cross_entropy_with_logits(out["smile"][m], meta["smile"][m]) if m.any() else out["smile"].sum() * 0
    m = meta["has_emb"]
    L["embed"] = (1 - F.cosine_similarity(out["embed"][m], meta["emb"][m], dim=1)).mean() if m.any() else out["embed"].sum() * 0
    return L


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--run", required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--gate-lr", type=float, default=2e-2, help="gates move ~lr per step under Adam: they need to cross 0 within the run")
    ap.add_argument("--tau", type=float, default=0.5, help="budget: expected MACs / ungated MACs")
    ap.add_argument("--lambda-budget", type=float, default=1.0)
    ap.add_argument("--soft-epochs", type=float, default=0.3, help="fraction of epochs with soft gates before hard (STE) gates")
    ap.add_argument("--neg-ratio", type=float, default=1.0, help="non-face crops per face crop in an epoch")
    ap.add_argument("--teacher-soft", type=float, default=0.0, help="weight of the teacher's soft gender/age targets inside those tasks (0: real labels + point pseudo-ages for Pixabay)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)

    items, framing, framing_report, records = build(args.cache)
    print(f"records: {dict(summary(records))}", flush=True)
    print(f"teacher framing {framing} (gender accuracy on training faces {framing_report})", flush=True)
    imgs = np.stack([crop(args.cache, it["key"]) for it in items])
    train_idx = [i for i, it in enumerate(items) if not it["val"]]
    val_idx = [i for i, it in enumerate(items) if it["val"]]
    faces = [i for i in train_idx if items[i]["face"] == 1]
    negs = [i for i in train_idx if items[i]["face"] == 0]
    print(f"training crops: {len(faces)} faces, {len(negs)} non-faces; validation (Pixabay): {len(val_idx)}", flush=True)

    def meta(idx):
        its = [items[i] for i in idx]
        emb = np.stack([it["emb"] if it["emb"] is not None else np.zeros(1024, np.float32) for it in its])
        return {
            "face": torch.tensor([it["face"] for it in its]),
            "gender": torch.tensor([it["gender"] for it in its]),
            "age": torch.tensor([it["age"] for it in its], dtype=torch.float32),
            "age_w": torch.tensor([it["age_w"] for it in its], dtype=torch.float32),
            "smile": torch.tensor([it["smile"] for it in its]),
            "emb": torch.from_numpy(emb).float(),
            "has_emb": torch.tensor([it["emb"] is not None for it in its]),
            "t_male": torch.tensor([it["t_male"] for it in its], dtype=torch.float32),
            "t_age_dist": torch.from_numpy(np.stack([it["t_age"] if it["t_age"] is not None else np.zeros(100, np.float32) for it in its])),
            "real_age": torch.tensor([it["age_w"] == 1.0 for it in its]),
        }

    torch.manual_seed(args.seed)
    model = InterroGateFaces()
    gate_params = list(model.alpha.parameters()) + [model.beta]
    gate_ids = {id(p) for p in gate_params}
    others = [p for p in model.parameters() if id(p) not in gate_ids]
    opt = torch.optim.AdamW([{"params": others, "weight_decay": 1e-4}, {"params": gate_params, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = int(np.ceil(len(faces) * (1 + args.neg_ratio) / args.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[args.lr, args.gate_lr], total_steps=args.epochs * steps_per_epoch, pct_start=0.1)
    start_epoch = 0
    ckpt_path = os.path.join(args.run, "last.pt")
    rng = np.random.default_rng(args.seed)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        start_epoch = ck["epoch"]
        rng = np.random.default_rng(args.seed + 1000 * start_epoch)
        print(f"resumed from {ckpt_path} at epoch {start_epoch}", flush=True)
    print(f"model: {parameter_count(model)} parameters, {model.full_macs() / 1e6:.1f} M MACs ungated", flush=True)
    log = open(os.path.join(args.run, "train.log"), "a")

    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        model.train()
        model.hard = epoch >= args.soft_epochs * args.epochs
        n_neg = int(len(faces) * args.neg_ratio)
        order = np.array(faces + list(rng.choice(negs, n_neg, replace=n_neg > len(negs))))
        rng.shuffle(order)
        sums = {}
        for b in range(0, len(order), args.batch):
            idx = order[b : b + args.batch]
            x = batch_tensors(idx, imgs, rng, True)
            out = model(x)
            L = losses(out, meta(idx), args.teacher_soft)
            task = sum(L.values()) / len(L)
            budget = model.budget_loss(args.tau)
            loss = task + args.lambda_budget * budget
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            for k, v in list(L.items()) + [("budget", budget), ("loss", loss)]:
                sums[k] = sums.get(k, 0.0) + float(v) * len(idx)
        row = {k: round(v / len(order), 4) for k, v in sums.items()}
        # Validation on held-out Pixabay faces (gender) — never the evaluation sets.
        model.eval()
        with torch.no_grad():
            correct, n = 0, 0
            for b in range(0, len(val_idx), 128):
                idx = val_idx[b : b + 128]
                out = model(batch_tensors(idx, imgs, rng, False))
                g = torch.tensor([items[i]["gender"] for i in idx])
                correct += int(((out["gender"] > 0).float() == g).sum())
                n += len(idx)
        row.update(epoch=epoch + 1, hard=model.hard, val_gender=round(correct / max(1, n), 4),
                   macs_frac=round(float(model.expected_macs(hard=True)) / model.full_macs(), 4),
                   sharing={t: [round(v, 2) for v in vs] for t, vs in model.sharing_pattern().items()},
                   seconds=round(time.time() - t0, 1))
        print(json.dumps(row), flush=True)
        log.write(json.dumps(row) + "\n")
        log.flush()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch + 1,
                    "args": vars(args), "framing": framing}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)
    model.hard = True
    torch.save({"model": model.state_dict(), "epoch": args.epochs, "args": vars(args), "framing": framing,
                "framing_report": framing_report}, os.path.join(args.run, "final.pt"))
    print("done", flush=True)


if __name__ == "__main__":
    main()
