"""The face crops of prepare.ts and the teacher outputs of teacher.ts, as arrays.

Splits (decided in prepare.ts, checked here):
- fairface-dev: evaluation only;
- london/canada: by person (hash of set:person), both photos of a person in one split;
- pixabay: training;
- corpus (face-free photos): the colour corpus's own split, train -> training
  negatives, val/test -> evaluation.
`check_disjoint` refuses to go on if any evaluation source image (by sha256 of
its bytes, or a near-identical 8x8 average hash of its crop) is also a
training image.
"""
import json
import os
from collections import Counter

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_CACHE = os.path.join(ROOT, "training", "data", "cache", "faces")

FAIRFACE_GROUPS = ["0-2", "3-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70+"]
GROUP_EDGES = [3, 10, 20, 30, 40, 50, 60, 70]  # lower bound of groups 1..8


def age_group(age):
    """Index into FAIRFACE_GROUPS of an age in years."""
    return int(np.searchsorted(GROUP_EDGES, age, side="right"))


def load_records(cache=DEFAULT_CACHE):
    recs = [json.loads(line) for line in open(os.path.join(cache, "records.jsonl")) if line.strip()]
    last = {}
    for r in recs:  # a redone set (prepare.ts --redo) supersedes its earlier records
        last[r["key"]] = r
    return list(last.values())


def load_teacher(cache=DEFAULT_CACHE):
    """{framing: {key: {pMale, age, ageDist, emb}}} from teacher.ts."""
    path = os.path.join(cache, "teacher.jsonl")
    if not os.path.exists(path):
        return {}
    rows = [json.loads(line) for line in open(path) if line.strip()]
    out = {}
    for framing in sorted({r["framing"] for r in rows}):
        mine = [r for r in rows if r["framing"] == framing]
        emb = np.fromfile(os.path.join(cache, f"teacher-{framing}.f32"), dtype=np.float32).reshape(-1, 1024)
        assert emb.shape[0] == len(mine), (framing, emb.shape, len(mine))
        out[framing] = {r["key"]: dict(r, emb=emb[i]) for i, r in enumerate(mine)}
    return out


def crop(cache, key):
    """The 128 px attribute crop, uint8 HxWx3."""
    return np.asarray(Image.open(os.path.join(cache, "crops", f"{key}.png")).convert("RGB"))


def ahash(img):
    g = np.asarray(Image.fromarray(img).convert("L").resize((8, 8), Image.BILINEAR), dtype=np.float32)
    return (g > g.mean()).flatten()


def is_eval(r):
    return r["split"] in ("eval", "test")


def check_disjoint(records, cache=DEFAULT_CACHE, hamming=3):
    """Raises if an evaluation image is also a training image; returns a short report."""
    train = [r for r in records if not is_eval(r)]
    evals = [r for r in records if is_eval(r)]
    train_sha = {r["sourceSha256"] for r in train}
    clash = sorted({r["source"] for r in evals if r["sourceSha256"] in train_sha})
    if clash:
        raise SystemExit(f"evaluation images are also training images (sha256): {clash[:5]}")
    # Persons: no London/Canada person in both splits.
    by_person = {}
    for r in records:
        if r["set"] in ("london", "canada"):
            by_person.setdefault((r["set"], r.get("person")), set()).add(r["split"])
    mixed = [p for p, s in by_person.items() if len(s) > 1]
    if mixed:
        raise SystemExit(f"persons in both splits: {mixed[:5]}")
    # Near-duplicates: the 8x8 average hash of the face crops (catches re-encoded copies).
    tf = [r for r in train if r["kind"] == "face" and r.get("detection")]
    ef = [r for r in evals if r["kind"] == "face" and r.get("detection")]
    th = np.stack([ahash(crop(cache, r["key"])) for r in tf]) if tf else np.zeros((0, 64), bool)
    # aHash hits are only candidates (aligned frontal faces on plain backgrounds look alike at 8x8):
    # a pair is a duplicate when its 32x32 gray crops also correlate above 0.97.
    hits, dups = 0, []
    for r in ef:
        d = (th != ahash(crop(cache, r["key"]))[None]).sum(1)
        for j in np.flatnonzero(d <= hamming):
            hits += 1
            if gray_corr(crop(cache, r["key"]), crop(cache, tf[j]["key"])) > 0.97:
                dups.append((r["source"], tf[j]["source"]))
    if dups:
        raise SystemExit(f"evaluation faces nearly identical to training faces: {dups[:5]}")
    return (f"disjoint: {len(evals)} evaluation crops vs {len(train)} training crops; no shared sha256; "
            f"{len(by_person)} London/Canada persons each in one split; {len(ef)} x {len(tf)} face crops: "
            f"{hits} aHash (<= {hamming} bits) candidates, none a duplicate (32x32 gray correlation <= 0.97)")


def gray_corr(a, b):
    ga = np.asarray(Image.fromarray(a).convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64).ravel()
    gb = np.asarray(Image.fromarray(b).convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64).ravel()
    ga, gb = ga - ga.mean(), gb - gb.mean()
    return float(ga @ gb / (np.linalg.norm(ga) * np.linalg.norm(gb) + 1e-9))


def summary(records):
    return Counter((r["set"], r["split"], r["kind"]) for r in records)
