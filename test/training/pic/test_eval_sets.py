"""Evaluation photos never appear in training (training/pic/eval_sets.py): on today's manifests, and
on small synthetic corpora where each kind of leak is planted and must be found."""
import json
import os
import tempfile
import unittest
from unittest import mock

import numpy as np
from PIL import Image

from test.training.pic import _util  # noqa: F401  (sets sys.path)
import eval_sets as E  # noqa: E402

HAVE_FACES = os.path.exists(os.path.join(E.FACES, "manifest.json"))


def rec(id_, split, sha, package="scratch", file=None):
    return {"id": id_, "split": split, "source_sha256": sha, "package": package, "file": file or f"images/{id_}.jpg"}


class TodayTest(unittest.TestCase):
    def test_committed_corpus_and_faces_are_clean(self):
        res = E.check(faces_dir=E.FACES if HAVE_FACES else "/nonexistent", near_duplicates=False)
        self.assertEqual(res["problems"], [])
        self.assertGreaterEqual(res["corpus"]["test"], 30)
        # the scikit-image sample photos are in the corpus, listed, and not trained on
        self.assertIn("skimage-astronaut", res["well_known_in_corpus"])
        self.assertEqual(res["well_known_in_training"], [])

    @unittest.skipUnless(HAVE_FACES, "../shared/data/faces not present")
    def test_people_held_out_by_person_and_fairface_never_trained(self):
        train = E.people_training_files()
        self.assertFalse([f for f in train if f.startswith("fairface-dev/")])
        held = E.people_eval_records()
        persons = {(r["set"], r["person"]) for r in held if r.get("person")}
        self.assertGreater(len(persons), 5)
        recs = {r["file"]: r for r in E.faces_records()}
        self.assertFalse([f for f in train if (recs[f]["set"], recs[f].get("person")) in persons])

    def test_the_committed_split_file_matches_the_rule(self):
        split = json.load(open(E.SPLIT_FILE))
        man = json.load(open(E.CORPUS_MANIFEST))
        self.assertEqual([r["id"] for r in split["corpus_test"]], [r["id"] for r in man["images"] if r["split"] == "test"])
        if HAVE_FACES:
            self.assertEqual([p["file"] for p in split["people"]], [r["file"] for r in E.people_eval_records()])


class PlantedLeakTest(unittest.TestCase):
    def run_check(self, images, files=None, well_known=None):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "images"))
            for name, arr in (files or {}).items():
                Image.fromarray(arr).save(os.path.join(tmp, name), quality=80)
            man = os.path.join(tmp, "manifest.json")
            json.dump({"images": images}, open(man, "w"))
            wk = os.path.join(tmp, "wk.json")
            json.dump({"images": well_known or []}, open(wk, "w"))
            with mock.patch.object(E, "WELL_KNOWN_SHA256_FILE", wk):
                return E.check(man, "/nonexistent", tmp, near_duplicates=bool(files))

    def test_clean_synthetic_corpus_passes(self):
        self.assertEqual(self.run_check([rec("a", "train", "1" * 64), rec("b", "test", "2" * 64)])["problems"], [])

    def test_same_bytes_in_train_and_test_is_found(self):
        res = self.run_check([rec("a", "train", "1" * 64), rec("b", "test", "1" * 64)])
        self.assertEqual(len(res["problems"]), 1)
        self.assertIn("same bytes", res["problems"][0])

    def test_well_known_package_or_sha_in_training_is_found(self):
        res = self.run_check([rec("astro", "train", "3" * 64, package="python3-skimage"),
                              rec("x", "train", "4" * 64), rec("b", "test", "2" * 64)],
                             well_known=[{"name": "scipy face", "sha256": "4" * 64}])
        self.assertEqual(sorted(res["well_known_in_training"]), ["astro", "x"])

    def test_reencoded_copy_of_a_well_known_image_is_found_by_its_pixels(self):
        rng = np.random.default_rng(0)
        base = (np.kron(rng.random((8, 8, 3)), np.ones((32, 32, 1))) * 255).astype(np.uint8)
        other = (np.kron(rng.random((8, 8, 3)), np.ones((32, 32, 1))) * 255).astype(np.uint8)
        copy = np.asarray(Image.fromarray(base).resize((200, 200)))  # resized + JPEG: other bytes, same picture
        wk = [{"name": "famous.png", "sha256": "f" * 64, "dhash256": "%064x" % E.dhash(Image.fromarray(base))}]
        res = self.run_check([rec("c", "train", "5" * 64, file="images/c.jpg"), rec("o", "train", "6" * 64, file="images/o.jpg"),
                              rec("t", "test", "7" * 64, file="images/t.jpg")],
                             files={"images/c.jpg": copy, "images/o.jpg": other, "images/t.jpg": other[::-1]}, well_known=wk)
        self.assertEqual(len(res["problems"]), 1, res["problems"])
        self.assertIn("images/c.jpg looks like well-known test image famous.png", res["problems"][0])


if __name__ == "__main__":
    unittest.main()
