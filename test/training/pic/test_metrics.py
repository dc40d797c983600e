"""evaluate.py's metrics (training/pic/metrics.py) on inputs whose answers are known."""
import math
import unittest

import numpy as np

from test.training.pic import _util  # noqa: F401  (sets sys.path)
import metrics as M  # noqa: E402


def solid(rgb, size=32):
    return np.broadcast_to(np.asarray(rgb, np.float64), (size, size, 3)).copy()


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.photo = np.random.default_rng(0).random((40, 48, 3))

    def test_psnr_of_identical_images_is_capped_and_known_error_gives_known_db(self):
        self.assertEqual(M.psnr(self.photo, self.photo), M.PSNR_CAP)
        # a uniform error of 0.1 everywhere: mse 0.01 -> 20 dB
        self.assertAlmostEqual(M.psnr(solid([0.5] * 3), solid([0.6] * 3)), 20.0, places=6)

    def test_ssim_is_one_for_identical_images_and_lower_for_noise(self):
        self.assertAlmostEqual(M.ssim(self.photo, self.photo), 1.0, places=9)
        noisy = np.clip(self.photo + np.random.default_rng(1).normal(0, 0.2, self.photo.shape), 0, 1)
        self.assertLess(M.ssim(self.photo, noisy), 0.9)

    def test_colourfulness_of_gray_is_zero_and_of_saturated_colour_is_large(self):
        gray = np.repeat(self.photo[..., :1], 3, axis=2)
        self.assertAlmostEqual(M.colourfulness(gray), 0.0, places=9)
        # solid pure red: rg = 255, yb = 127.5, no spread -> 0.3 * sqrt(255² + 127.5²)
        self.assertAlmostEqual(M.colourfulness(solid([1, 0, 0])), 0.3 * math.hypot(255, 127.5), places=6)

    def test_lab_of_known_colours(self):
        lab = M.srgb_to_lab(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
        np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.05)
        np.testing.assert_allclose(lab[1], [0, 0, 0], atol=1e-9)
        np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.1)  # textbook sRGB red

    def test_hue_and_chroma_of_known_colours(self):
        mask = np.ones((32, 32), bool)
        red_hue, red_chroma = M.hue_chroma(M.srgb_to_lab(solid([1, 0, 0])), mask)
        self.assertAlmostEqual(red_hue, math.degrees(math.atan2(67.20, 80.09)), delta=0.2)  # ~40°
        self.assertAlmostEqual(red_chroma, math.hypot(80.09, 67.20), delta=0.2)
        blue_hue, _ = M.hue_chroma(M.srgb_to_lab(solid([0, 0, 1])), mask)
        self.assertAlmostEqual(blue_hue, 306.3, delta=0.5)
        skin = M.srgb_to_lab(solid([224 / 255, 172 / 255, 105 / 255]))  # a typical light-brown skin tone
        self.assertTrue(M.skin_plausible(*M.hue_chroma(skin, mask)))
        teal = M.srgb_to_lab(solid([0.3, 0.6, 0.6]))
        self.assertFalse(M.skin_plausible(*M.hue_chroma(teal, mask)))
        gray = M.srgb_to_lab(solid([0.5, 0.5, 0.5]))
        self.assertFalse(M.skin_plausible(*M.hue_chroma(gray, mask)))  # no chroma: not skin

    def test_regions_follow_the_real_colours(self):
        img = np.zeros((20, 20, 3))
        img[:10] = [0.35, 0.55, 0.9]   # sky blue on top
        img[10:] = [0.2, 0.5, 0.1]     # grass green below
        reg = M.colour_regions(M.srgb_to_lab(img))
        self.assertTrue(reg["sky"][:10].all() and not reg["sky"][10:].any())
        self.assertTrue(reg["vegetation"][10:].all() and not reg["vegetation"][:10].any())
        lab = M.srgb_to_lab(img)
        self.assertEqual(M.region_agreement(lab, reg["vegetation"], 80, 170, 6), 1.0)
        swapped = M.srgb_to_lab(img[::-1])  # grass where the sky was
        self.assertEqual(M.region_agreement(swapped, reg["sky"], 200, 300, 5), 0.0)

    def test_diversity_is_zero_for_equal_samples_and_the_mean_pairwise_distance_otherwise(self):
        g = np.zeros((3, 2, 4, 4))
        self.assertEqual(M.diversity(g), 0.0)
        g[1, 0] = 3.0   # sample 1 differs from 0 and 2 by |Δa| = 3
        g[2, 1] = 4.0   # sample 2 differs from 0 by |Δb| = 4, from 1 by 5
        self.assertAlmostEqual(M.diversity(g), (3 + 4 + 5) / 3, places=9)

    def test_gray_keeps_l_and_drops_colour(self):
        g = M.gray_of(self.photo)
        np.testing.assert_allclose(M.srgb_to_lab(g)[..., 0], M.srgb_to_lab(self.photo)[..., 0], atol=1e-6)
        self.assertAlmostEqual(M.colourfulness(g), 0.0, places=9)
        already_gray = np.repeat(self.photo[..., :1], 3, axis=2)
        np.testing.assert_allclose(M.gray_of(already_gray), already_gray, atol=1e-9)

    def test_skin_mask_is_inside_the_face_box_and_on_skin_coloured_pixels(self):
        img = np.full((40, 40, 3), [0.3, 0.6, 0.6])         # teal background
        img[10:30, 10:30] = [224 / 255, 172 / 255, 105 / 255]  # a skin-coloured face
        m = M.skin_mask(M.srgb_to_lab(img), [5, 5, 30, 30])
        self.assertTrue(m.any())
        ys, xs = np.nonzero(m)
        self.assertTrue((ys >= 17).all() and (ys < 30).all() and (xs >= 12).all() and (xs < 28).all())


if __name__ == "__main__":
    unittest.main()
