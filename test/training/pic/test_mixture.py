"""Discretised logistic mixture likelihood and sampler sanity; Lab conversion; config groups."""
import math
import unittest

import torch

from test.training.pic._util import random_model  # noqa: F401  (sets sys.path)
from model import (AB_LEVELS, CONFIGS, PIC, bits_per_dim, lab_to_rgb, mixture_logprob, mixture_mean,  # noqa: E402
                   quantise, rgb_to_inputs, rgb_to_lab, sample_pixel, _disc_logistic_logprob)

GRID = torch.arange(AB_LEVELS, dtype=torch.float64) / ((AB_LEVELS - 1) / 2.0) - 1.0


class MixtureTest(unittest.TestCase):
    def test_single_channel_sums_to_one(self):
        for mu, ls in [(0.0, -3.0), (0.97, -5.0), (-1.2, -2.0), (0.3, -6.9), (0.0, 1.0)]:
            x = GRID.float()
            lp = _disc_logistic_logprob(x, torch.tensor(mu), torch.tensor(ls))
            total = lp.double().exp().sum().item()
            self.assertAlmostEqual(total, 1.0, delta=2e-3, msg=f"mu={mu} log_s={ls}: sum={total}")

    def test_joint_ab_sums_to_one(self):
        K = 3
        g = torch.Generator().manual_seed(0)
        params = torch.randn(1, 8 * K, 1, 1, generator=g)
        params[:, 3 * K:5 * K] = -2.5 + 0.3 * torch.randn(1, 2 * K, 1, 1, generator=g)
        L_low = torch.tensor(0.3).reshape(1, 1, 1, 1)
        a, b = torch.meshgrid(GRID.float(), GRID.float(), indexing="ij")
        ab = torch.stack([a.reshape(-1), b.reshape(-1)], 1).reshape(-1, 2, 1, 1)
        lp = mixture_logprob(params.expand(ab.shape[0], -1, -1, -1), ab, L_low.expand(ab.shape[0], -1, -1, -1), K)
        total = lp.double().exp().sum().item()
        self.assertAlmostEqual(total, 1.0, delta=5e-3)

    def test_bits_per_dim_of_uniform_and_peaked(self):
        K = 2
        B, h = 2, 4
        ab = quantise(torch.rand(B, 2, h, h) * 2 - 1)
        L = torch.zeros(B, 1, h, h)
        params = torch.zeros(B, 8 * K, h, h)
        params[:, 3 * K:5 * K] = -1.0          # wide logistic: compare with an independent float64 formula
        s = math.exp(-1.0)
        x = ab.double().clamp(-0.99, 0.99)
        ab = x.float()
        sig = torch.sigmoid
        p_bin = sig((x + 1 / 255) / s) - sig((x - 1 / 255) / s)
        ref = -(p_bin.log().sum(1)).mean().item() / (2 * math.log(2))
        self.assertAlmostEqual(bits_per_dim(params, ab, L, K).item(), ref, delta=1e-3)
        peaked = torch.zeros(B, 8 * K, h, h)
        peaked[:, K:2 * K] = ab[:, 0:1]
        peaked[:, 2 * K:3 * K] = ab[:, 1:2]
        peaked[:, 3 * K:5 * K] = -7.0
        self.assertLess(bits_per_dim(peaked, ab, L, K).item(), 0.05)

    def test_sampler_temperature_zero_gives_component_mean(self):
        K = 4
        params = torch.zeros(3, 8 * K, 1, 1)
        params[:, 0] = 5.0                               # component 0 dominates
        params[:, K] = 0.25                              # m_a
        params[:, 2 * K] = -0.5                          # m_b
        params[:, 7 * K] = 10.0                          # c2 -> tanh = 1: b follows a
        L = torch.zeros(1, 1, 1, 1)
        ab = sample_pixel(params, L, torch.full((3, K, 1, 1), 0.5), torch.rand(3, 2, 1, 1), torch.tensor([0.0]), K)
        self.assertTrue(torch.allclose(ab[:, 0], quantise(torch.tensor(0.25)).expand(3, 1, 1), atol=1e-6))
        self.assertTrue(torch.allclose(ab[:, 1], quantise(quantise(torch.tensor(0.25)) - 0.5).expand(3, 1, 1),
                                       atol=1e-6))

    def test_sampler_matches_distribution(self):
        # empirical histogram of sampled a vs the discretised logistic probabilities
        K = 2
        n = 20000
        params = torch.zeros(1, 8 * K, 1, 1)
        params[:, 0], params[:, 1] = 0.0, 0.0            # equal weights
        params[:, K], params[:, K + 1] = -0.5, 0.4         # m_a of both components
        params[:, 3 * K:5 * K] = -3.0
        g = torch.Generator().manual_seed(1)
        ab = sample_pixel(params.expand(n, -1, -1, -1), torch.zeros(1, 1, 1, 1), torch.rand(n, K, 1, 1, generator=g),
                          torch.rand(n, 2, 1, 1, generator=g), torch.tensor([1.0]), K)
        a = ab[:, 0, 0, 0]
        self.assertAlmostEqual((a < 0).float().mean().item(), 0.5, delta=0.02)
        self.assertAlmostEqual(a[a < 0].mean().item(), -0.5, delta=0.01)
        self.assertAlmostEqual(a[a > 0].mean().item(), 0.4, delta=0.01)
        s = math.exp(-3.0)
        self.assertAlmostEqual(a[a > 0].std().item(), s * math.pi / math.sqrt(3), delta=0.01)

    def test_mixture_mean(self):
        K = 2
        params = torch.zeros(1, 8 * K, 1, 1)
        params[:, 1] = math.log(3.0)                     # weights 1/4, 3/4
        params[:, K], params[:, K + 1] = 0.4, -0.4
        m = mixture_mean(params, torch.zeros(1, 1, 1, 1), K)
        self.assertAlmostEqual(m[0, 0, 0, 0].item(), 0.25 * 0.4 - 0.75 * 0.4, places=5)


class ColourTest(unittest.TestCase):
    def test_lab_roundtrip_and_gray(self):
        rgb = torch.rand(2, 3, 8, 8)
        back = lab_to_rgb(rgb_to_lab(rgb))
        self.assertLess((back - rgb).abs().max().item(), 1e-3)
        gray = torch.rand(1, 1, 8, 8).expand(1, 3, 8, 8)
        lab = rgb_to_lab(gray)
        self.assertLess(lab[:, 1:].abs().max().item(), 1e-2)   # gray has a = b = 0

    def test_inputs_are_normalised_and_quantised(self):
        L, ab = rgb_to_inputs(torch.rand(2, 3, 16, 16), 4)
        self.assertEqual(tuple(L.shape), (2, 1, 16, 16))
        self.assertEqual(tuple(ab.shape), (2, 2, 4, 4))
        self.assertLessEqual(L.abs().max().item(), 1.0)
        self.assertTrue(torch.equal(quantise(ab), ab))


class ConfigTest(unittest.TestCase):
    def test_configs(self):
        for name, cfg in CONFIGS.items():
            self.assertEqual(cfg.size % cfg.ds, 0)
            self.assertGreaterEqual(cfg.emb_dim, 8 * cfg.mixtures)
        self.assertEqual((CONFIGS["cpu"].size, CONFIGS["cpu"].grid), (64, 16))
        self.assertEqual((CONFIGS["gpu"].size, CONFIGS["gpu"].grid), (128, 32))

    def test_forward_and_backward(self):
        m = PIC(CONFIGS["test"]).train()
        L, ab = rgb_to_inputs(torch.rand(3, 3, 16, 16), 4)
        p, aux = m(L, ab)
        self.assertEqual(p.shape, aux.shape)
        from model import lowres_L
        loss = bits_per_dim(p, ab, lowres_L(L, 4), 3) + bits_per_dim(aux, ab, lowres_L(L, 4), 3)
        loss.backward()
        self.assertTrue(all(q.grad is not None for q in m.parameters()))
        self.assertTrue(4.0 < loss.item() / 2 < 12.0)


if __name__ == "__main__":
    unittest.main()
