"""Stage transition (keep / crop / crop NMS / map back / final NMS) on hand-made cases."""
import unittest

import torch

from ._path import load

cascade, _train = load("cascade", "train")
square_crops_from_pred = _train.square_crops_from_pred


def s1(rows):
    """rows: (box, conf, group_prob, offsets, class_prob)"""
    return {"boxes": [r[0] for r in rows], "conf": [r[1] for r in rows], "group_prob": [r[2] for r in rows],
            "offsets": [r[3] for r in rows], "class_prob": [r[4] for r in rows]}


P = {"tau_low": 0.1, "tau_high": 0.8, "gamma": 2, "crop_nms": 0.25, "min_side": 0.0}


class SquareCrop(unittest.TestCase):
    def test_side_from_offsets(self):
        c = cascade.square_crop([0.40, 0.40, 0.50, 0.45], [0.5, 0.5])
        # side = max(0.1/0.5, 0.05/0.5) = 0.2 around centre (0.45, 0.425)
        for a, b in zip(c, [0.35, 0.325, 0.55, 0.525]):
            self.assertAlmostEqual(a, b, places=6)

    def test_shifted_inside_not_clipped(self):
        c = cascade.square_crop([0.0, 0.9, 0.05, 1.0], [0.5, 0.5])
        self.assertAlmostEqual(c[2] - c[0], 0.2, places=6)
        self.assertAlmostEqual(c[3] - c[1], 0.2, places=6)
        self.assertEqual(c[0], 0.0)
        self.assertAlmostEqual(c[3], 1.0, places=6)

    def test_min_side_and_max_one(self):
        c = cascade.square_crop([0.5, 0.5, 0.51, 0.51], [1.0, 1.0], min_side=0.125)
        self.assertAlmostEqual(c[2] - c[0], 0.125, places=6)
        c = cascade.square_crop([0.2, 0.2, 0.8, 0.8], [0.1, 0.1])
        self.assertEqual(c, [0.0, 0.0, 1.0, 1.0])

    def test_vectorised_training_version_matches(self):
        boxes = [[0.40, 0.40, 0.50, 0.45], [0.0, 0.9, 0.05, 1.0], [0.5, 0.5, 0.51, 0.51]]
        offs = [[0.5, 0.5], [0.5, 0.25], [0.9, 0.3]]
        v = square_crops_from_pred(torch.tensor(boxes), torch.tensor(offs), 0.125)
        for b, o, row in zip(boxes, offs, v.tolist()):
            ref = cascade.square_crop(b, o, 0.125)
            for a, r in zip(row, ref):
                self.assertAlmostEqual(a, r, places=5)


class Transition(unittest.TestCase):
    def test_keep_crop_drop(self):
        out = s1([
            ([0.1, 0.1, 0.15, 0.15], 0.9, 0.2, [0.5, 0.5], [0.1, 0.8, 0.1]),   # strong individual -> keep, class 1
            ([0.5, 0.5, 0.6, 0.6], 0.9, 0.9, [0.5, 0.5], [0.9, 0.0, 0.0]),     # strong GROUP -> crop, not keep
            ([0.7, 0.1, 0.75, 0.15], 0.5, 0.1, [0.5, 0.5], [0.9, 0.0, 0.0]),   # weak individual -> crop
            ([0.8, 0.8, 0.85, 0.85], 0.05, 0.9, [0.5, 0.5], [0.9, 0.0, 0.0]),  # below tau_low -> dropped
        ])
        keep, crops = cascade.transition(out, P)
        self.assertEqual([k["idx"] for k in keep], [0])
        self.assertEqual(keep[0]["cls"], 1)
        self.assertEqual(keep[0]["box"], [0.1, 0.1, 0.15, 0.15])  # raw stage-1 box, not offset-rescaled
        self.assertEqual(sorted(c["idx"] for c in crops), [1, 2])

    def test_crop_nms_and_gamma(self):
        rows = [([0.40, 0.40, 0.50, 0.50], 0.6, 0.9, [0.5, 0.5], [1, 0, 0]),
                ([0.41, 0.41, 0.51, 0.51], 0.5, 0.9, [0.5, 0.5], [1, 0, 0]),  # overlaps the first -> suppressed
                ([0.05, 0.05, 0.10, 0.10], 0.4, 0.9, [0.5, 0.5], [1, 0, 0]),
                ([0.80, 0.80, 0.85, 0.85], 0.3, 0.9, [0.5, 0.5], [1, 0, 0])]  # beyond gamma=2
        keep, crops = cascade.transition(s1(rows), P)
        self.assertEqual(keep, [])
        self.assertEqual([c["idx"] for c in crops], [0, 2])
        self.assertEqual([c["score"] for c in crops], [0.6, 0.4])

    def test_map_back(self):
        b = cascade.map_back([0.5, 0.5, 1.0, 1.0], [0.2, 0.4, 0.4, 0.6])
        for a, r in zip(b, [0.3, 0.5, 0.4, 0.6]):
            self.assertAlmostEqual(a, r, places=6)

    def test_merge_nms_between_kept_and_refined(self):
        keep = [{"box": [0.10, 0.10, 0.20, 0.20], "score": 0.85, "cls": 0, "idx": 0}]
        crops = [{"box": [0.0, 0.0, 0.5, 0.5], "score": 0.5, "idx": 1}]
        s2 = [{"boxes": [[0.2, 0.2, 0.4, 0.4],      # -> [0.1,0.1,0.2,0.2]: duplicate of the kept box, lower score
                          [0.6, 0.6, 0.8, 0.8],      # -> [0.3,0.3,0.4,0.4]
                          [0.0, 0.0, 0.1, 0.1]],     # below score_min
               "scores": [0.7, 0.9, 0.01], "class_prob": [[1, 0, 0], [0, 0, 1], [1, 0, 0]]}]
        fin = cascade.merge(keep, crops, s2, {"final_nms": 0.5, "score_min": 0.05})
        self.assertEqual([(d["stage"], d["cls"], round(d["score"], 2)) for d in fin], [("refined", 2, 0.9), ("shortcut", 0, 0.85)])
        for a, r in zip(fin[0]["box"], [0.3, 0.3, 0.4, 0.4]):
            self.assertAlmostEqual(a, r, places=6)

    def test_coverage(self):
        keep = [{"box": [0.0, 0.0, 0.2, 0.2]}]
        crops = [{"box": [0.5, 0.5, 0.7, 0.7]}]
        gts = [[0.05, 0.05, 0.1, 0.1], [0.55, 0.55, 0.6, 0.6], [0.9, 0.9, 0.95, 0.95]]
        self.assertEqual(cascade.coverage(gts, keep, crops), (2, 3))

    def test_nms_ties_are_stable(self):
        self.assertEqual(cascade.nms([[0, 0, 1, 1], [0, 0, 1, 1]], [0.5, 0.5], 0.5), [0])


if __name__ == "__main__":
    unittest.main()


class FastNmsMatchesReference(unittest.TestCase):
    def test_random_cases(self):
        import random

        _eval = load("eval")
        rng = random.Random(0)
        for _ in range(50):
            n = rng.randint(0, 25)
            boxes = []
            for _ in range(n):
                x, y = rng.random() * 0.8, rng.random() * 0.8
                boxes.append([x, y, x + rng.uniform(0.02, 0.2), y + rng.uniform(0.02, 0.2)])
            scores = [round(rng.random(), 1) for _ in range(n)]  # ties on purpose
            for thr in (0.25, 0.5):
                for lim in (None, 3):
                    self.assertEqual(_eval.fast_nms(boxes, scores, thr, lim), cascade.nms(boxes, scores, thr, lim))


class CropResize(unittest.TestCase):
    def test_native_crop_equals_slice_on_a_gradient(self):
        _train = load("train")
        H = 512
        yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(H, dtype=torch.float32), indexing="ij")
        img = torch.stack([xx / H, yy / H, (xx + yy) / (2 * H)])
        crop = torch.tensor([[0.25, 0.5, 0.5, 0.75]])  # 128 px square at (128, 256)
        out = _train.crop_resize(img, crop, 128)[0]
        ref = img[:, 256:384, 128:256]
        self.assertLess(float((out - ref).abs().max()), 1e-4)

    def test_downscaled_crop_is_area_average(self):
        _train = load("train")
        img = torch.zeros(3, 512, 512)
        img[:, :, 256:] = 1.0  # right half white
        out = _train.crop_resize(img, torch.tensor([[0.0, 0.0, 1.0, 1.0]]), 128)[0]
        self.assertAlmostEqual(float(out[:, :, :63].max()), 0.0, places=4)
        self.assertAlmostEqual(float(out[:, :, 65:].min()), 1.0, places=4)
        self.assertAlmostEqual(float(out.mean()), 0.5, places=3)
