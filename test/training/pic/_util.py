import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PIC_DIR = os.path.join(ROOT, "training", "pic")
if PIC_DIR not in sys.path:
    sys.path.insert(0, PIC_DIR)

import torch  # noqa: E402

torch.set_num_threads(1)


def random_model(name="test", seed=0, noise=0.05):
    """Small PIC model with perturbed weights/biases (so zero-vs-bias mistakes show up)."""
    from model import CONFIGS, PIC
    torch.manual_seed(seed)
    m = PIC(CONFIGS[name]).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(noise * torch.randn_like(p))
    return m
