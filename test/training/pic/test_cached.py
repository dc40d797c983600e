"""The cached row/pixel decomposition equals the full teacher-forced decoder; cached == naive sampling."""
import unittest

import torch

from test.training.pic._util import random_model  # noqa: F401  (sets sys.path)
from model import lowres_L, make_canvas, quantise  # noqa: E402
from cached import EmbedGraph, RowGraph, PixelGraph, cached_sample, naive_sample, zero_state  # noqa: E402


def _inputs(m, N, seed):
    g = torch.Generator().manual_seed(seed)
    cfg = m.cfg
    h = cfg.grid
    L = torch.rand(1, 1, cfg.size, cfg.size, generator=g) * 2 - 1
    ab = quantise(torch.randn(N, 2, h, h, generator=g) * 0.4)
    um = torch.rand(h, h, N, cfg.mixtures, generator=g)
    ul = torch.rand(h, h, N, 2, generator=g)
    return L, ab, um, ul


class CachedDecoderTest(unittest.TestCase):
    def test_teacher_forced_params_match_full_decoder(self):
        for seed in (0, 1):
            m = random_model("test", seed)
            N = 3
            L, ab, um, ul = _inputs(m, N, seed)
            with torch.no_grad():
                full = m.decoder(make_canvas(lowres_L(L, m.cfg.ds).expand(N, -1, -1, -1), ab), m.embed(L))
            _, cached = cached_sample(m, L, um, ul, 1.0, return_params=True, teacher_ab=ab)
            err = (cached - full).abs().max().item()
            self.assertLessEqual(err, 1e-5, f"cached vs full decoder max abs err {err}")
            self.assertGreater(full.abs().max().item(), 0.1)

    def test_negative_control_detects_a_broken_cache(self):
        # dropping the horizontal history must break the equality (the test above has teeth)
        m = random_model("test", 2)
        N = 2
        L, ab, um, ul = _inputs(m, N, 2)
        with torch.no_grad():
            full = m.decoder(make_canvas(lowres_L(L, m.cfg.ds).expand(N, -1, -1, -1), ab), m.embed(L))
        rg = RowGraph(m)
        orig = rg.forward

        def broken(emb, canvas, r, cu, cc, hu, hc, ru, rc):
            return orig(emb, canvas, r, cu, cc, torch.zeros_like(hu), hc, torch.zeros_like(ru), rc)

        import cached as C
        saved = C.RowGraph
        try:
            class Broken(saved):
                def forward(self, *a):
                    return broken(*a)
            C.RowGraph = Broken
            _, bad = C.cached_sample(m, L, um, ul, 1.0, return_params=True, teacher_ab=ab)
        finally:
            C.RowGraph = saved
        self.assertGreater((bad - full).abs().max().item(), 1e-3)

    def test_cached_sampler_equals_naive_sampler(self):
        m = random_model("test", 3)
        L, _, um, ul = _inputs(m, 4, 3)
        for T in (1.0, 0.6, 0.0):
            a = cached_sample(m, L, um, ul, T)
            b = naive_sample(m, L, um, ul, T)
            self.assertTrue(torch.equal(a, b), f"T={T}: cached and naive samples differ")

    def test_seeds(self):
        m = random_model("test", 4)
        L, _, um, ul = _inputs(m, 4, 4)
        a1 = cached_sample(m, L, um, ul, 1.0)
        a2 = cached_sample(m, L, um.clone(), ul.clone(), 1.0)
        self.assertTrue(torch.equal(a1, a2), "same uniforms must give identical samples")
        _, _, um2, ul2 = _inputs(m, 4, 5)
        a3 = cached_sample(m, L, um2, ul2, 1.0)
        self.assertFalse(torch.equal(a1, a3), "different uniforms must give different samples")
        # the N samples of one call differ from each other
        self.assertFalse(torch.equal(a1[0], a1[1]))
        # values lie on the 256-level grid in [-1, 1]
        self.assertTrue(torch.equal(quantise(a1), a1))

    def test_causality(self):
        m = random_model("test", 6)
        cfg = m.cfg
        h = cfg.grid
        L, ab, _, _ = _inputs(m, 1, 6)
        emb = m.embed(L)
        xp = make_canvas(lowres_L(L, cfg.ds), ab)
        with torch.no_grad():
            base = m.decoder(xp, emb)
            for (r, c) in [(0, 0), (1, 2), (h - 1, h - 1)]:
                x2 = xp.clone()
                x2[:, 1:3, r, c] += 0.5
                out = m.decoder(x2, emb)
                d = (out - base).abs().sum(1)[0]
                idx = torch.arange(h * h).reshape(h, h)
                k = r * h + c
                self.assertEqual(d[idx <= k].max().item(), 0.0, f"pixel ({r},{c}) leaks into itself or the past")
                if k + 1 < h * h:
                    self.assertGreater(d[idx > k].max().item(), 0.0)

    def test_graph_shapes(self):
        for name in ("test", "cpu"):
            m = random_model(name, 7)
            cfg = m.cfg
            h, K, E, C, l = cfg.grid, cfg.mixtures, cfg.emb_dim, cfg.dec_channels, cfg.dec_blocks
            N = 2
            L = torch.zeros(1, 1, cfg.size, cfg.size)
            with torch.no_grad():
                emb, L_low, aux, prev = EmbedGraph(m)(L)
                self.assertEqual(tuple(emb.shape), (1, E, h, h))
                self.assertEqual(tuple(L_low.shape), (1, 1, h, h))
                self.assertEqual(tuple(aux.shape), (1, 8 * K, h, h))
                self.assertEqual(tuple(prev.shape), (1, 2, h, h))
                st = zero_state(m, N)
                self.assertEqual(tuple(st["cache_u"].shape), (N, l * C, 2, h))
                r = torch.zeros(1, 1, h, 1)
                r[0, 0, 0, 0] = 1
                ro = RowGraph(m)(emb, st["canvas"], r, st["cache_u"], st["cache_c"], st["hist_ul"], st["hist_c1"],
                                 st["row_ul"], st["row_c1"])
                self.assertEqual([tuple(t.shape) for t in ro],
                                 [(N, C, 1, h), (N, l * C, 1, h), (N, 2 * l * C, 1, h), (N, l * C, 2, h),
                                  (N, l * C, 2, h), (N, l * C, 2, h), (N, l * C, 2, h)])
                c = torch.zeros(1, 1, 1, h)
                c[0, 0, 0, 0] = 1
                po = PixelGraph(m)(ro[0], ro[1], ro[2], st["canvas"], st["row_ul"], st["row_c1"], L_low, r, c,
                                   torch.rand(N, K, 1, 1), torch.rand(N, 2, 1, 1), torch.tensor([1.0]))
                self.assertEqual([tuple(t.shape) for t in po],
                                 [(N, 4, h, h), (N, l * C, 1, h), (N, l * C, 1, h), (N, 2, 1, 1), (N, 8 * K, 1, 1)])
                # the pixel call wrote exactly one canvas position (with the ones channel set)
                self.assertEqual(int((po[0][:, 3] != 0).sum().item()), N)


if __name__ == "__main__":
    unittest.main()
