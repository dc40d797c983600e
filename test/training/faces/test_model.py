"""The InterroGate face network: what the gates mean, and what pruning keeps."""
import unittest

import torch

from ._path import load

model_mod, export = load("model", "export")
InterroGateFaces = model_mod.InterroGateFaces


def trained_like(seed, open_frac=0.5):
    """A network with BatchNorm statistics and gates as after training: some channels task-specific, some shared."""
    torch.manual_seed(seed)
    m = InterroGateFaces()
    with torch.no_grad():
        for t in m.tasks:
            m.alpha[t].copy_(torch.where(torch.rand_like(m.alpha[t]) < open_frac, 2.0, -2.0))
        m.beta.normal_()
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
        for head in m.heads.values():
            head.weight.mul_(20)
    m.hard = True
    return m.eval()


class GatesTest(unittest.TestCase):
    def test_closed_gates_make_every_task_read_the_shared_features(self):
        m = trained_like(0)
        with torch.no_grad():
            for t in m.tasks:
                m.alpha[t].fill_(-5.0)
            # Task branches are then never read: scrambling their weights changes nothing.
            ref = m(torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(1)))
            for t in m.tasks:
                for block in m.specific[t]:
                    block[0].weight.normal_()
            got = m(torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(1)))
        for k in ("face", "gender", "age_mu", "smile"):
            self.assertTrue(torch.allclose(ref[k], got[k]), k)

    def test_the_budget_loss_is_zero_under_budget_and_grows_with_open_gates(self):
        m = trained_like(0)
        with torch.no_grad():
            for t in m.tasks:
                m.alpha[t].fill_(-8.0)
        shared_only = float(m.expected_macs() / m.full_macs())
        self.assertLess(shared_only, 0.25)  # one branch of five, plus stem and heads
        self.assertEqual(float(m.budget_loss(0.5)), 0.0)
        with torch.no_grad():
            for t in m.tasks:
                m.alpha[t].fill_(8.0)
        self.assertGreater(float(m.budget_loss(0.5)), 0.25)


class PruningTest(unittest.TestCase):
    def test_the_pruned_static_network_computes_what_the_gated_one_does(self):
        for seed, frac in ((0, 0.5), (1, 0.1), (2, 0.9), (3, 0.0)):
            m = trained_like(seed, frac)
            p = export.Pruned(m).eval()
            x = torch.rand(3, 3, 128, 128, generator=torch.Generator().manual_seed(seed))
            ref = export.reference(m, x)
            with torch.no_grad():
                got = p(x)
            for name, a, b in zip(export.OUTPUTS, ref, got):
                self.assertLess(float((a - b).abs().max() / a.abs().max().clamp(min=1)), 1e-4, f"seed {seed} {name}")
            # Outputs depend on the input (a constant graph would match a constant reference too).
            self.assertGreater(float(ref[2].std()), 0.0)

    def test_pruned_compute_is_what_the_hard_gates_predict(self):
        m = trained_like(4, 0.3)
        p = export.Pruned(m)
        self.assertAlmostEqual(float(p.macs), float(m.expected_macs(hard=True)), delta=1.0)
        self.assertLess(p.macs, m.full_macs())


if __name__ == "__main__":
    unittest.main()
