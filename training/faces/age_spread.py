"""Calibrates the half-width of the age range the app shows for faceres-deep
(models/face-age-gender): the 80th percentile of |predicted - true age| on the
London/Canada *training* split (faces faceres-deep never saw, and not the
held-out split the card reports), then its coverage on the held-out split.

    /usr/bin/python3 training/faces/age_spread.py [--cache training/data/cache/faces]
"""
import argparse
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COVER = 0.8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(ROOT, "training", "data", "cache", "faces"))
    args = ap.parse_args()
    records = {}
    for line in open(os.path.join(args.cache, "records.jsonl")):
        if line.strip():
            r = json.loads(line)
            records[r["key"]] = r  # the last record per key wins, as in prepare.ts --redo
    teacher = {}
    for line in open(os.path.join(args.cache, "teacher.jsonl")):
        if line.strip():
            t = json.loads(line)
            if t["framing"] == "t224":
                teacher[t["key"]] = t["age"]
    err = {"train": [], "test": []}
    for k, r in records.items():
        if r["set"] in ("london", "canada") and r.get("detection") and r.get("age") is not None and k in teacher and r["split"] in err:
            err[r["split"]].append(abs(teacher[k] - float(r["age"])))
    tr, te = np.array(err["train"]), np.array(err["test"])
    spread = float(np.ceil(np.quantile(tr, COVER)))
    print(f"train: n={len(tr)} MAE {tr.mean():.2f} y, {int(COVER * 100)}th percentile {np.quantile(tr, COVER):.2f} y -> spread {spread:.0f} y")
    print(f"held-out: n={len(te)} MAE {te.mean():.2f} y, true age within +-{spread:.0f} y: {np.mean(te <= spread):.3f}")


if __name__ == "__main__":
    main()
