"""Group-target derivation (intersect rule), offset targets and stage-2 assignment on hand-made cases."""
import unittest

import torch

from ._path import load

_t = load("targets")
cell_overlap, group_targets, offset_targets, stage2_targets = _t.cell_overlap, _t.group_targets, _t.offset_targets, _t.stage2_targets


def T(x):
    return torch.tensor(x, dtype=torch.float32)


class GroupTargets(unittest.TestCase):
    G = 4  # cells of 0.25

    def test_single_box_inside_one_cell(self):
        t = group_targets(T([[0.30, 0.55, 0.40, 0.60]]), torch.tensor([0]), self.G, 3)
        self.assertEqual(int(t["mask"].sum()), 1)
        self.assertTrue(bool(t["mask"][2, 1]))  # row 2 (y 0.5-0.75), col 1 (x 0.25-0.5)
        self.assertTrue(torch.allclose(t["union"][2, 1], T([0.30, 0.55, 0.40, 0.60])))
        self.assertEqual(float(t["group"][2, 1]), 0.0)
        self.assertEqual(t["cls"][2, 1].tolist(), [1.0, 0.0, 0.0])

    def test_box_belongs_to_every_cell_it_intersects(self):
        # spans columns 0 and 1 and rows 0 and 1: four cells, each with the same single box
        b = [0.20, 0.20, 0.30, 0.30]
        t = group_targets(T([b]), torch.tensor([1]), self.G, 3)
        self.assertEqual(sorted(map(tuple, t["mask"].nonzero().tolist())), [(0, 0), (0, 1), (1, 0), (1, 1)])
        for r, c in [(0, 0), (0, 1), (1, 0), (1, 1)]:
            self.assertTrue(torch.allclose(t["union"][r, c], T(b)))
            self.assertEqual(float(t["group"][r, c]), 0.0)

    def test_touching_edge_is_not_an_intersection(self):
        ov = cell_overlap(T([[0.10, 0.10, 0.25, 0.20]]), self.G)  # x2 exactly on the cell border
        self.assertEqual(ov[0].nonzero().tolist(), [[0, 0]])

    def test_two_boxes_make_a_group_with_union_box(self):
        boxes = T([[0.05, 0.05, 0.10, 0.12], [0.15, 0.02, 0.20, 0.08]])
        t = group_targets(boxes, torch.tensor([0, 2]), self.G, 3)
        self.assertEqual(int(t["count"][0, 0]), 2)
        self.assertEqual(float(t["group"][0, 0]), 1.0)
        self.assertTrue(torch.allclose(t["union"][0, 0], T([0.05, 0.02, 0.20, 0.12])))
        self.assertEqual(t["cls"][0, 0].tolist(), [1.0, 0.0, 1.0])  # multi-hot

    def test_group_flag_depends_on_the_cell(self):
        # box A in cell (0,0) only, box B spans cells (0,0) and (0,1): (0,0) is a group, (0,1) is not
        boxes = T([[0.02, 0.02, 0.08, 0.08], [0.20, 0.02, 0.30, 0.08]])
        t = group_targets(boxes, torch.tensor([0, 0]), self.G, 3)
        self.assertEqual(float(t["group"][0, 0]), 1.0)
        self.assertEqual(float(t["group"][0, 1]), 0.0)
        self.assertTrue(torch.allclose(t["union"][0, 0], T([0.02, 0.02, 0.30, 0.08])))
        self.assertTrue(torch.allclose(t["union"][0, 1], T([0.20, 0.02, 0.30, 0.08])))

    def test_empty_image(self):
        t = group_targets(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), self.G, 3)
        self.assertEqual(int(t["mask"].sum()), 0)
        self.assertEqual(tuple(t["union"].shape), (4, 4, 4))


class OffsetTargets(unittest.TestCase):
    def test_offsets_cover_target_from_predicted_centre(self):
        # predicted centre (0.5, 0.5), size (0.1, 0.1); target box [0.4, 0.45, 0.7, 0.55]
        o = offset_targets(T([0.5, 0.5, 0.1, 0.1]), T([0.4, 0.45, 0.7, 0.55]))
        # x: max distance 0.2 -> scale 2*(0.2+0.025)=0.45 -> 0.1/0.45 ; y: 0.05 -> 0.15 -> 0.1/0.15
        self.assertAlmostEqual(float(o[0]), 0.1 / 0.45, places=5)
        self.assertAlmostEqual(float(o[1]), 0.1 / 0.15, places=5)
        # the crop side w / o then covers the target: 0.45 >= 2 * 0.2
        self.assertGreaterEqual(0.1 / float(o[0]), 0.4)

    def test_offsets_clamped_to_one(self):
        o = offset_targets(T([0.5, 0.5, 0.5, 0.5]), T([0.49, 0.49, 0.51, 0.51]))
        self.assertEqual(o.tolist(), [1.0, 1.0])


class Stage2Assignment(unittest.TestCase):
    def test_centre_cell_positive_and_ignore(self):
        G = 4
        pos, box, cls, ign = stage2_targets(T([[0.30, 0.30, 0.45, 0.45]]), torch.tensor([2]), T([[0.80, 0.80, 1.0, 1.0]]), G, radius=0.0)
        self.assertEqual(pos.nonzero()[:, 0].tolist(), [1 * G + 1])  # centre (0.375, 0.375) -> cell (1,1)
        self.assertEqual(int(cls[1 * G + 1]), 2)
        self.assertTrue(torch.allclose(box[1 * G + 1], T([0.30, 0.30, 0.45, 0.45])))
        self.assertTrue(bool(ign[3 * G + 3]))  # cell centre (0.875, 0.875) inside the ignore box
        self.assertFalse(bool(ign[1 * G + 1]))

    def test_conflict_goes_to_smaller_box(self):
        G = 2
        big, small = [0.0, 0.0, 1.0, 1.0], [0.05, 0.05, 0.45, 0.45]
        pos, box, _, _ = stage2_targets(T([big, small]), torch.tensor([0, 1]), None, G, radius=1.0)
        self.assertTrue(torch.allclose(box[0], T(small)))


if __name__ == "__main__":
    unittest.main()
