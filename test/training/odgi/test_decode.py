"""In-graph decoding of both stages on hand-set raw outputs."""
import math
import unittest

import torch

from ._path import load

_m = load("model")
Stage1, Stage2 = _m.Stage1, _m.Stage2


class Decode(unittest.TestCase):
    def test_stage1_zero_raw(self):
        m = Stage1([8, 8, 8, 8], 64)
        G = 4
        t = torch.zeros(1, 11, G, G)
        d = m.decode(t)
        self.assertEqual(tuple(d["boxes"].shape), (1, G * G, 4))
        # cell (row 1, col 2) is index 6: centre ((2+0.5)/4, (1+0.5)/4), size 1 cell
        self.assertTrue(torch.allclose(d["boxes"][0, 6], torch.tensor([2 / 4, 1 / 4, 3 / 4, 2 / 4])))
        self.assertTrue(torch.allclose(d["conf"], torch.full((1, G * G), 0.5)))
        self.assertTrue(torch.allclose(d["offsets"], torch.full((1, G * G, 2), 0.5)))

    def test_stage1_offsets_centre_and_clip(self):
        m = Stage1([8, 8, 8, 8], 64)
        G = 4
        t = torch.zeros(1, 11, G, G)
        t[0, 0, 0, 0] = 100.0                 # tanh -> 1: centre moves R=1.5 cells right
        t[0, 2, 0, 0] = math.log(2.0)        # width 2 cells
        t[0, 4, 0, 0] = 2.0
        t[0, 5, 0, 0] = -2.0
        d = m.decode(t)
        cx = (0 + 0.5 + 1.5) / G
        self.assertAlmostEqual(float(d["cxcywh"][0, 0, 0]), cx, places=5)
        self.assertAlmostEqual(float(d["cxcywh"][0, 0, 2]), 2 / G, places=5)
        self.assertAlmostEqual(float(d["conf"][0, 0]), 1 / (1 + math.exp(-2)), places=6)
        self.assertAlmostEqual(float(d["group_prob"][0, 0]), 1 / (1 + math.exp(2)), places=6)
        # huge size is clamped to the whole image and boxes are clipped to [0, 1]
        t[0, 2, 0, 0] = 50.0
        d = m.decode(t)
        self.assertGreaterEqual(float(d["boxes"].min()), 0.0)
        self.assertLessEqual(float(d["boxes"].max()), 1.0)

    def test_stage1_forward_contract(self):
        m = Stage1([8, 8, 8, 8], 64).eval()
        out = m(torch.rand(2, 3, 64, 64))
        self.assertEqual([tuple(o.shape) for o in out], [(2, 16, 4), (2, 16), (2, 16), (2, 16, 2), (2, 16, 3)])

    def test_stage2_zero_raw_and_contract(self):
        m = Stage2([8, 8, 8, 8, 8], 8, 64).eval()
        G = 8
        d = m.decode(torch.zeros(1, 8, G, G))
        self.assertTrue(torch.allclose(d["boxes"][0, 9], torch.tensor([1 / 8, 1 / 8, 2 / 8, 2 / 8])))
        self.assertTrue(torch.allclose(d["class_prob"].sum(-1), torch.ones(1, G * G)))
        out = m(torch.rand(3, 3, 64, 64))
        self.assertEqual([tuple(o.shape) for o in out], [(3, 64, 4), (3, 64), (3, 64, 3)])


if __name__ == "__main__":
    unittest.main()
