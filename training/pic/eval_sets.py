#!/usr/bin/env python3
"""The colorizer's evaluation photos, kept out of every training set, and the check that they are.

    /usr/bin/python3 training/pic/eval_sets.py [--faces ../shared/data/faces] [--corpus DIR] [--write]

Evaluation photos (fixed, listed in `training/pic/eval_split.json`, written by `--write`):

* **corpus test split** (`training/corpus/manifest.json`, `split == "test"`): split by source image
  and near-duplicate group before training; v1 (`pic-cpu64`, `pic-gpu128`) never saw them.
* **people, held out by person** from `../shared/data/faces`: London and Canada persons whose
  `sha1("<set>/<person>")` falls in the first 1/8 (all their photos are out of training), Pixabay
  photos (no person ids) by `sha1(file)` in the first 1/16, and `fairface-dev`, which is
  evaluation-only for every model.

Training sets any colorizer may use: corpus `train` (and `val` for early stopping), and the
faces' `london`/`canada`/`pixabay` photos *minus* the held-out ones (`people_training_files`).

The check (also `test/training/pic/test_eval_sets.py`) fails when
1. an evaluation photo's sha256 (corpus: `source_sha256` of the original bytes; faces: the file)
   is in a training list;
2. an evaluation photo is a near-duplicate (256-bit dHash distance <= 8, as the corpus builder) of a training photo
   (only with the image files at hand);
3. anything under `fairface-dev` is in a training list;
4. a well-known test image (sample images shipped with scientific Python packages and codec test
   suites: `WELL_KNOWN`) is in the corpus `train`/`val` split: the corpus marks them
   `split: "reference"` (kept for provenance, never trained on, never our evaluation either).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS_MANIFEST = os.path.join(REPO, "training", "corpus", "manifest.json")
CORPUS_CACHE = os.path.join(REPO, "training", "data", "cache", "corpus")
FACES = os.path.abspath(os.path.join(REPO, "..", "shared", "data", "faces"))
SPLIT_FILE = os.path.join(HERE, "eval_split.json")
TRAIN_SPLITS = ("train", "val")
NEAR_DUP_BITS = 8  # of 256, as training/corpus/build.py

sys.path.insert(0, os.path.join(REPO, "training", "corpus"))
from build import REFERENCE_PACKAGES as WELL_KNOWN_PACKAGES  # noqa: E402  (the corpus owns the rule)
from manifest_files import sha256 as sha256_file  # noqa: E402

# sha256 of the original bytes of well-known test images, as Debian bookworm ships them
# (scikit-image 0.19.3 skimage/data; extend with `--well-known-dir DIR`).
WELL_KNOWN_SHA256_FILE = os.path.join(HERE, "well_known_images.json")


def _frac(key: str) -> float:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 2 ** 32


def held_out_person(rec: dict) -> bool:
    """Is this faces record one of the people held out for evaluation (all photos of that person)?"""
    s = rec["set"]
    if s == "fairface-dev":
        return True
    if s in ("london", "canada"):
        return _frac(f"{s}/{rec['person']}") < 1 / 8
    if s == "pixabay":
        return _frac(rec["file"]) < 1 / 16
    return False


def faces_records(faces_dir: str = FACES) -> list[dict]:
    return json.load(open(os.path.join(faces_dir, "manifest.json")))["images"]


def people_eval_records(faces_dir: str = FACES) -> list[dict]:
    return [r for r in faces_records(faces_dir) if held_out_person(r)]


def people_training_files(faces_dir: str = FACES) -> list[str]:
    """Faces photos a colorizer may train on: london/canada/pixabay, minus the held-out persons."""
    return [r["file"] for r in faces_records(faces_dir)
            if r["set"] in ("london", "canada", "pixabay") and not held_out_person(r)]


def well_known_sha256() -> dict[str, str]:
    if not os.path.exists(WELL_KNOWN_SHA256_FILE):
        return {}
    return {x["sha256"]: x["name"] for x in json.load(open(WELL_KNOWN_SHA256_FILE))["images"]}


def is_well_known(rec: dict, known: dict[str, str]) -> bool:
    return rec.get("package") in WELL_KNOWN_PACKAGES or rec.get("source_sha256") in known


def dhash(path_or_image, n: int = 16) -> int:
    """256-bit difference hash (the corpus builder's near-duplicate rule uses the same size)."""
    from PIL import Image
    im = path_or_image if isinstance(path_or_image, Image.Image) else Image.open(path_or_image)
    im = im.convert("L").resize((n + 1, n), Image.BILINEAR)
    px = list(im.getdata())
    bits = 0
    for y in range(n):
        for x in range(n):
            bits = (bits << 1) | (px[y * (n + 1) + x] > px[y * (n + 1) + x + 1])
    return bits


IMAGE_EXT = ("png", "jpg", "jpeg", "tif", "tiff", "gif", "bmp")
WELL_KNOWN_DIRS = ("skimage/data/", "mpl-data/sample_data/", "scipy/misc/", "imageio/resources/images/")


def _scipy_dat(path: str):
    """scipy.misc's face.dat (bz2 raw 768x1024x3) and ascent.dat (pickled 512x512) as PIL images."""
    import bz2
    import pickle
    import numpy as np
    from PIL import Image
    raw = open(path, "rb").read()
    if os.path.basename(path) == "face.dat":
        return Image.fromarray(np.frombuffer(bz2.decompress(raw), np.uint8).reshape(768, 1024, 3))
    if os.path.basename(path) == "ascent.dat":
        return Image.fromarray(np.asarray(pickle.loads(raw)).astype(np.uint8))
    return None


def hash_well_known(debs: list[str]) -> dict:
    """sha256 + dHash of the sample images inside the given .debs (unpacked with dpkg-deb -x)."""
    import subprocess
    import tempfile
    from PIL import Image
    out = []
    for deb in debs:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
            for root, _, files in os.walk(tmp):
                for fn in sorted(files):
                    p = os.path.join(root, fn)
                    rel = os.path.relpath(p, tmp)
                    if not any(d in rel + "/" for d in WELL_KNOWN_DIRS) and not any(d in rel for d in WELL_KNOWN_DIRS):
                        continue
                    ext = fn.lower().rsplit(".", 1)[-1]
                    try:
                        im = _scipy_dat(p) if ext == "dat" else (Image.open(p) if ext in IMAGE_EXT else None)
                        if im is None or min(im.size) < 32:
                            continue
                        dh = "%064x" % dhash(im)
                    except Exception:  # noqa: BLE001  (npz/fits/odd files are not images)
                        continue
                    out.append({"name": "/" + rel, "package": os.path.basename(deb).split("_")[0],
                                "sha256": sha256_file(p), "dhash256": dh})
    return {"description": "Well-known test images (sample data of scientific Python packages) as Debian bookworm "
                           "ships them: never train on these. Made by `training/pic/eval_sets.py --well-known-debs "
                           + " ".join(os.path.basename(d) for d in debs) + "` (apt-get download PKG).",
            "images": out}


def check(corpus_manifest: str = CORPUS_MANIFEST, faces_dir: str = FACES, corpus_cache: str = CORPUS_CACHE,
          near_duplicates: bool = True) -> dict:
    """Runs the checks; returns counts and a list of problems (empty = clean)."""
    man = json.load(open(corpus_manifest))
    imgs = man["images"]
    known = well_known_sha256()
    problems: list[str] = []
    corpus_train = [r for r in imgs if r["split"] in TRAIN_SPLITS]
    corpus_test = [r for r in imgs if r["split"] == "test"]
    train_sha = {r["source_sha256"]: r["id"] for r in corpus_train}
    for r in corpus_train:
        for d in r.get("duplicates") or []:
            if d.get("source_sha256"):
                train_sha[d["source_sha256"]] = r["id"]
    wk_in_train = [r["id"] for r in corpus_train if is_well_known(r, known)]
    wk_dhash = {}
    if os.path.exists(WELL_KNOWN_SHA256_FILE):
        wk_dhash = {int(x["dhash256"], 16): x["name"] for x in json.load(open(WELL_KNOWN_SHA256_FILE))["images"]
                    if x.get("dhash256")}
    wk_listed = [r["id"] for r in imgs if is_well_known(r, known)]
    for i in wk_in_train:
        problems.append(f"well-known test image in the corpus training split: {i}")
    for r in corpus_test:
        if r["source_sha256"] in train_sha:
            problems.append(f"corpus test photo {r['id']} has the same bytes as training photo {train_sha[r['source_sha256']]}")
        if is_well_known(r, known):
            problems.append(f"well-known test image in our evaluation split: {r['id']}")

    faces_ok = os.path.exists(os.path.join(faces_dir, "manifest.json"))
    people_eval, people_train = [], []
    if faces_ok:
        recs = faces_records(faces_dir)
        people_eval = [r for r in recs if held_out_person(r)]
        train_files = set(people_training_files(faces_dir))
        people_train = [r for r in recs if r["file"] in train_files]
        for f in train_files:
            if f.startswith("fairface-dev/"):
                problems.append(f"fairface-dev photo in a training list: {f}")
        eval_persons = {(r["set"], r.get("person")) for r in people_eval if r.get("person")}
        for r in people_train:
            if r.get("person") and (r["set"], r["person"]) in eval_persons:
                problems.append(f"person {r['set']}/{r['person']} is in both evaluation and training")
        sha_train = {sha256_file(os.path.join(faces_dir, r["file"])): r["file"] for r in people_train}
        for r in people_eval:
            s = sha256_file(os.path.join(faces_dir, r["file"]))
            if s in sha_train:
                problems.append(f"people eval photo {r['file']} has the same bytes as training photo {sha_train[s]}")
            if s in train_sha:
                problems.append(f"people eval photo {r['file']} is in the corpus training split ({train_sha[s]})")
        for r in corpus_test:
            if r["source_sha256"] in sha_train:
                problems.append(f"corpus test photo {r['id']} is a faces training photo")

    n_near = None
    if near_duplicates and os.path.isdir(corpus_cache):
        train_paths = [os.path.join(corpus_cache, r["file"]) for r in corpus_train]
        train_paths += [os.path.join(faces_dir, r["file"]) for r in people_train]
        eval_paths = [os.path.join(corpus_cache, r["file"]) for r in corpus_test]
        # London/Canada: same studio, pose and background for every person, so a coarse hash cannot tell
        # people apart; their person ids (checked above) are what keeps them disjoint.
        eval_paths += [os.path.join(faces_dir, r["file"]) for r in people_eval if r["set"] in ("pixabay", "fairface-dev")]
        if all(os.path.exists(p) for p in train_paths + eval_paths):
            th = [(p, dhash(p)) for p in train_paths]
            for p, g in th:  # a re-encoded copy of a well-known image has other bytes: compare pixels
                for k, name in wk_dhash.items():
                    if bin(k ^ g).count("1") <= NEAR_DUP_BITS:
                        problems.append(f"training photo {os.path.relpath(p, REPO)} looks like well-known test image {name}")
            n_near = 0
            for p in eval_paths:
                h = dhash(p)
                for q, g in th:
                    if bin(h ^ g).count("1") <= NEAR_DUP_BITS:
                        n_near += 1
                        problems.append(f"eval photo {os.path.relpath(p, REPO)} is a near-duplicate of training photo "
                                        f"{os.path.relpath(q, REPO)}")
                        break
    return {
        "corpus": {"train": sum(r["split"] == "train" for r in imgs), "val": sum(r["split"] == "val" for r in imgs),
                   "test": len(corpus_test), "reference": sum(r["split"] == "reference" for r in imgs)},
        "well_known_in_corpus": wk_listed, "well_known_in_training": wk_in_train,
        "people_eval": {s: sum(r["set"] == s for r in people_eval) for s in ("london", "canada", "pixabay", "fairface-dev")},
        "people_eval_persons": len({(r["set"], r.get("person")) for r in people_eval if r.get("person")}),
        "people_training": {s: sum(r["set"] == s for r in people_train) for s in ("london", "canada", "pixabay", "fairface-dev")},
        "near_duplicate_pairs": n_near, "faces_available": faces_ok, "problems": problems,
    }


def write_split(corpus_manifest: str = CORPUS_MANIFEST, faces_dir: str = FACES) -> dict:
    man = json.load(open(corpus_manifest))
    out = {
        "description": "Colorizer evaluation photos (training/pic/eval_sets.py). Never train on these.",
        "corpus_test": [{"id": r["id"], "source_sha256": r["source_sha256"]} for r in man["images"] if r["split"] == "test"],
        "people": [{"file": r["file"], "set": r["set"], "person": r.get("person"),
                    "sha256": sha256_file(os.path.join(faces_dir, r["file"]))} for r in people_eval_records(faces_dir)],
        "reference_not_trained": [{"id": r["id"], "package": r["package"], "path": r["path"],
                                   "source_sha256": r["source_sha256"]}
                                  for r in man["images"] if is_well_known(r, well_known_sha256())],
    }
    with open(SPLIT_FILE, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", default=FACES)
    ap.add_argument("--corpus-manifest", default=CORPUS_MANIFEST)
    ap.add_argument("--corpus", default=CORPUS_CACHE, help="the corpus image cache (for the near-duplicate check)")
    ap.add_argument("--write", action="store_true", help="(re)write training/pic/eval_split.json")
    ap.add_argument("--well-known-debs", nargs="*", default=None,
                    help="(re)write training/pic/well_known_images.json from these .deb files")
    args = ap.parse_args(argv)
    if args.well_known_debs:
        wk = hash_well_known(args.well_known_debs)
        with open(WELL_KNOWN_SHA256_FILE, "w") as f:
            json.dump(wk, f, indent=1)
            f.write("\n")
        print(f"wrote {WELL_KNOWN_SHA256_FILE}: {len(wk['images'])} images")
    if args.write:
        w = write_split(args.corpus_manifest, args.faces)
        print(f"wrote {SPLIT_FILE}: {len(w['corpus_test'])} corpus test, {len(w['people'])} people, "
              f"{len(w['reference_not_trained'])} well-known reference images")
    res = check(args.corpus_manifest, args.faces, args.corpus)
    print(json.dumps({k: v for k, v in res.items() if k != "problems"}, indent=1))
    for p in res["problems"]:
        print("PROBLEM:", p)
    print("clean" if not res["problems"] else f"{len(res['problems'])} problems")
    return 0 if not res["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
