"""Face-attribute evaluation: today's shipped heads, the teacher, and ours, in one run.

    /usr/bin/python3 training/faces/evaluate.py [--cache ...] [--model NAME=training/runs/faces-uniform/final.pt ...]
                                                [--json out.json] [--markdown out.md]

Every model reads the same crops: the app's own detector, NMS and aligned
crop (prepare.ts). The shipped heads' numbers are the engine's own outputs
for those faces (models/face-attributes, recorded by prepare.ts); the teacher
(faceres-deep, upstream preprocessing, male if p >= 0.6) ran through
onnxruntime-node on 224 px crops of the same detections (teacher.ts; framing
picked on training labels only); ours runs here in PyTorch on the 128 px crops.

Sets:
- FairFace dev (evaluation only; 9 age groups, gender);
- London/Canada held-out persons (age in years, gender; London: neutral vs smiling);
- non-face photos: the colour corpus's val/test photos with no people, at the
  app's default settings (threshold 0.65): false faces per photo. For ours a
  detection counts only if its faceness is >= 0.5 as well.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import DEFAULT_CACHE, FAIRFACE_GROUPS, ROOT, age_group, check_disjoint, crop, load_records, load_teacher  # noqa: E402
from model import InterroGateFaces  # noqa: E402
from train import choose_framing  # noqa: E402

THRESHOLD = 0.65
FACENESS = 0.5


def load_ours(path):
    ck = torch.load(path)
    model = InterroGateFaces()
    model.load_state_dict(ck["model"])
    model.hard = True
    model.eval()
    return model


@torch.no_grad()
def run_ours(model, cache, keys, batch=128):
    out = {}
    for b in range(0, len(keys), batch):
        ks = keys[b : b + batch]
        x = torch.from_numpy(np.stack([crop(cache, k) for k in ks])).permute(0, 3, 1, 2).float() / 255.0
        o = model(x)
        for i, k in enumerate(ks):
            out[k] = {"face": float(torch.sigmoid(o["face"][i])), "male": float(torch.sigmoid(o["gender"][i])),
                      "age": float(o["age_mu"][i]), "age_sigma": float(o["age_logsigma"][i].clamp(-1, 4).exp()),
                      "smile": float(torch.sigmoid(o["smile"][i]))}
    return out


def group_of(r):
    return FAIRFACE_GROUPS.index(r["ageGroup"]) if r.get("ageGroup") else age_group(r["age"])


def fixture_recall(fixtures, cands, faceness, at=FACENESS):
    """Faces of test/fixtures/faces found at the default threshold (a detection's centre inside the face's box;
    'difficult' faces not counted), and detections matching no face; with `faceness`, a detection must also pass it."""
    if not cands:
        return None
    found, total, false = 0, 0, 0
    for name, fx in fixtures.items():
        dets = [r for r in cands if r.get("fixture") == name and r["detection"]["score"] >= THRESHOLD
                and (faceness is None or faceness[r["key"]]["face"] >= at)]
        centres = [(r["detection"]["box"][0] + r["detection"]["box"][2] / 2, r["detection"]["box"][1] + r["detection"]["box"][3] / 2) for r in dets]
        inside = lambda c, b: b[0] <= c[0] <= b[0] + b[2] and b[1] <= c[1] <= b[1] + b[3]  # noqa: E731
        for f in fx["faces"]:
            hit = any(inside(c, f["box"]) for c in centres)
            if not f.get("difficult"):
                total += 1
                found += hit
        false += sum(not any(inside(c, f["box"]) for f in fx["faces"]) for c in centres)
    return {"found": found, "total": total, "false": false}


def metrics(preds, faces, male_at):
    """preds: key -> {male, age, smile?}; faces: records with labels."""
    m = {}
    rows = [r for r in faces if r["key"] in preds]
    g = [(preds[r["key"]]["male"] >= male_at) == (r["gender"] == "male") for r in rows if r.get("gender")]
    m["gender"] = float(np.mean(g)) if g else None
    if any(preds[r["key"]].get("age") is not None for r in rows):
        d = [age_group(preds[r["key"]]["age"]) - group_of(r) for r in rows]
        m["age_exact"] = float(np.mean([x == 0 for x in d]))
        m["age_pm1"] = float(np.mean([abs(x) <= 1 for x in d]))
        real = [abs(preds[r["key"]]["age"] - r["age"]) for r in rows if r.get("age") is not None]
        m["age_mae"] = float(np.mean(real)) if real else None
        per = {}
        for gi, name in enumerate(FAIRFACE_GROUPS):
            sel = [x == 0 for x, r in zip(d, rows) if group_of(r) == gi]
            if sel:
                per[name] = (float(np.mean(sel)), len(sel))
        m["per_group"] = per
    s = [(preds[r["key"]]["smile"] >= 0.5) == (r["expression"] == "smiling") for r in rows
         if r.get("expression") and r["set"] == "london" and preds[r["key"]].get("smile") is not None]
    m["smile"] = float(np.mean(s)) if s else None
    m["n"] = len(rows)
    return m


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--model", action="append", default=[], help="NAME=checkpoint.pt (repeatable)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args(argv)

    records = load_records(args.cache)
    disjoint = check_disjoint(records, args.cache)
    teacher = load_teacher(args.cache)
    framing, framing_report = choose_framing(records, teacher)
    ff = [r for r in records if r["set"] == "fairface-dev"]
    lc = [r for r in records if r["set"] in ("london", "canada") and r["split"] == "test"]
    ff_faces = [r for r in ff if r.get("detection")]
    lc_faces = [r for r in lc if r.get("detection")]
    neg_photos = {}
    for r in records:
        if r["set"] == "corpus" and r["split"] == "eval":
            neg_photos.setdefault(r["source"], []).append(r)
    cands = [r for rs in neg_photos.values() for r in rs if r["kind"] == "candidate" and r.get("detection")]

    fixtures = json.load(open(os.path.join(ROOT, "test", "fixtures", "faces", "faces.json")))["fixtures"]
    fixture_cands = [r for r in records if r["set"] == "fixtures" and r.get("detection")]

    # ---- predictions
    models = {}
    models["shipped heads (face-attributes)"] = ({r["key"]: {"male": r["shipped"]["male"], "age": r["shipped"]["age"],
                                                     "smile": float(max(r["shipped"]["emotion"], key=r["shipped"]["emotion"].get) == "happy")}
                                                 for r in records if r.get("shipped")}, 0.5, None)
    if framing:
        t = teacher[framing]
        models[f"teacher faceres-deep ({framing}, male if p >= 0.6)"] = ({k: {"male": v["pMale"], "age": v["age"]} for k, v in t.items()}, 0.6, None)
    for spec in args.model:
        name, path = spec.split("=", 1)
        model = load_ours(path)
        keys = [r["key"] for r in ff_faces + lc_faces + cands + fixture_cands]
        p = run_ours(model, args.cache, keys)
        models[f"ours: {name}"] = (p, 0.5, model)

    results = {}
    for name, (p, male_at, model) in models.items():
        res = {"fairface": metrics(p, ff_faces, male_at), "heldout": metrics(p, lc_faces, male_at)}
        # False faces on the non-face photos at the default threshold.
        counts = []
        for src, rs in neg_photos.items():
            c = 0
            for r in rs:
                if r["kind"] != "candidate" or not r.get("detection") or r["detection"]["score"] < THRESHOLD:
                    continue
                if model is not None and p[r["key"]]["face"] < FACENESS:
                    continue
                c += 1
            counts.append(c)
        res["false_faces_per_photo"] = float(np.mean(counts)) if counts else None
        res["photos_with_false_faces"] = int(sum(c > 0 for c in counts))
        res["fixtures"] = fixture_recall(fixtures, fixture_cands, p if model is not None else None)
        if model is not None:
            res["faces_kept"] = float(np.mean([p[r["key"]]["face"] >= FACENESS for r in ff_faces + lc_faces if r["detection"]["score"] >= THRESHOLD]))
        if model is not None:
            # The faceness operating curve (reported, not used to pick the shipped threshold: that is 0.5, fixed before evaluation).
            curve = []
            for at in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5):
                ff_c = [sum(1 for r in rs if r["kind"] == "candidate" and r.get("detection") and r["detection"]["score"] >= THRESHOLD
                            and p[r["key"]]["face"] >= at) for rs in neg_photos.values()]
                kept = float(np.mean([p[r["key"]]["face"] >= at for r in ff_faces + lc_faces if r["detection"]["score"] >= THRESHOLD]))
                curve.append({"at": at, "false_faces_per_photo": float(np.mean(ff_c)), "faces_kept": kept,
                              "fixtures": fixture_recall(fixtures, fixture_cands, p, at)})
            res["faceness_curve"] = curve
        results[name] = res

    det = {
        "fairface": (sum(1 for r in ff if r.get("facesFound")), len(ff)),
        "heldout": (sum(1 for r in lc if r.get("facesFound")), len(lc)),
        "nonface_photos": len(neg_photos),
        "nonface_candidates_at_threshold": sum(1 for r in cands if r["detection"]["score"] >= THRESHOLD),
    }
    md = render(results, det, disjoint, framing, framing_report)
    print(md)
    if args.markdown:
        open(args.markdown, "w").write(md)
    if args.json:
        json.dump({"results": results, "detection": det, "framing": framing, "framing_report": framing_report}, open(args.json, "w"), indent=1)


def fmt(v, pct=False):
    if v is None:
        return "—"
    return f"{v:.3f}" if not pct else f"{100 * v:.1f} %"


def render(results, det, disjoint, framing, framing_report):
    L = []
    L.append(f"Crops: the app's detector + alignment. FairFace dev: a face at >= {THRESHOLD} in {det['fairface'][0]}/{det['fairface'][1]} photos; "
             f"London/Canada held-out: {det['heldout'][0]}/{det['heldout'][1]}; each photo's subject (the face nearest the centre) is scored. "
             f"Non-face photos: {det['nonface_photos']} (corpus val/test, no people), {det['nonface_candidates_at_threshold']} detector candidates at >= {THRESHOLD}.")
    L.append(f"Teacher framing: {framing} (gender on training faces: {framing_report}). {disjoint}.")
    L.append("")
    L.append("| model | FF gender | FF age exact | FF age ±1 | held-out gender | held-out age MAE (y) | held-out age exact | held-out age ±1 | smile (London held-out) | false faces / non-face photo | photos with a false face | faces kept by faceness | fixture recall |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        f, h = r["fairface"], r["heldout"]
        L.append(f"| {name} | {fmt(f['gender'])} | {fmt(f.get('age_exact'))} | {fmt(f.get('age_pm1'))} | {fmt(h['gender'])} | "
                 f"{fmt(h.get('age_mae'))} | {fmt(h.get('age_exact'))} | {fmt(h.get('age_pm1'))} | {fmt(h.get('smile'))} | "
                 f"{fmt(r['false_faces_per_photo'])} | {r['photos_with_false_faces']}/{det['nonface_photos']} | {fmt(r.get('faces_kept'))} | "
                 + (f"{r['fixtures']['found']}/{r['fixtures']['total']}, {r['fixtures']['false']} false |" if r.get("fixtures") else "— |"))
    L.append("")
    L.append("FairFace age group exact, per true group (n):")
    L.append("")
    L.append("| model | " + " | ".join(FAIRFACE_GROUPS) + " |")
    L.append("|---|" + "---|" * len(FAIRFACE_GROUPS))
    for name, r in results.items():
        per = r["fairface"].get("per_group", {})
        L.append(f"| {name} | " + " | ".join(f"{per[g][0]:.2f} ({per[g][1]})" if g in per else "—" for g in FAIRFACE_GROUPS) + " |")
    for name, r in results.items():
        if r.get("faceness_curve"):
            L.append("")
            L.append(f"Faceness operating curve, {name} (detector at {THRESHOLD} and faceness >= t):")
            L.append("")
            L.append("| t | false faces / non-face photo | faces kept (FF + held-out) | fixture recall |")
            L.append("|---|---|---|---|")
            for c in r["faceness_curve"]:
                fx = c["fixtures"]
                L.append(f"| {c['at']} | {c['false_faces_per_photo']:.3f} | {c['faces_kept']:.3f} | " + (f"{fx['found']}/{fx['total']}, {fx['false']} false |" if fx else "— |"))
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
