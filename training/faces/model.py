"""An InterroGate-style gated multi-task network for face crops.

Reconstruction from ../shared/notes/faces.md §1.3 (the paper body was not
retrieved; symbols there are marked unverified), written for this app:

- a shared stem, then L gated layers. Layer l has a shared conv block S^l and,
  per task t, a task-specific conv block F_t^l;
- per layer l, task t and channel c a learnable gate G_t^l[c] = sigmoid(alpha)
  (input independent) mixes task and shared features:
      phi_hat_t^l = G_t^l * F_t^l(phi_hat_t^{l-1}) + (1 - G_t^l) * psi^l
- the shared block reads a learned mixture of the tasks' gated features:
      psi^l = S^l( sum_t softmax(beta^l)_t * phi_hat_t^{l-1} )
- the budget loss is a hinge on the expected FLOPs of the network that the
  gates imply (task filters with G = 1, shared filters some task takes with
  G = 0), relative to the ungated network: max(0, E[FLOPs]/FLOPs_full - tau);
- training: soft gates first, then hard gates with a straight-through
  estimator; at export the gates are binary and fixed, unused filters pruned.

Tasks (heads on each task's last gated features): faceness (logit), gender
(logit, male), age (mean years + log sigma: a Gaussian, "value + spread"),
smile (logit). An auxiliary head on the shared features regresses the
teacher's 1024-d face descriptor (distillation, training only).

Input: [N, 3, 128, 128] RGB in [0, 1], the app's attribute crop
(models/face-attributes/manifest.json preprocessing.crop); the network sees
it at 64 px (2x2 average pooling in the graph).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

TASKS = ("face", "gender", "age", "smile")
# (in, out, stride) of the gated layers; the stem makes 16 channels at 32x32.
LAYERS = ((16, 24, 2), (24, 32, 1), (32, 48, 2), (48, 64, 1), (64, 96, 1))
STEM = 16
EMB = 1024


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class HardGate(torch.autograd.Function):
    """Binary gate forward (G >= 0.5), sigmoid gradient backward (straight-through)."""

    @staticmethod
    def forward(ctx, g):
        return (g >= 0.5).to(g.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


class InterroGateFaces(nn.Module):
    def __init__(self, tasks=TASKS, layers=LAYERS, gate_init=1.0):
        super().__init__()
        self.tasks = tuple(tasks)
        self.layers_cfg = tuple(layers)
        self.stem = conv_bn(3, STEM, 2)
        self.shared = nn.ModuleList(conv_bn(i, o, s) for i, o, s in layers)
        self.specific = nn.ModuleDict({t: nn.ModuleList(conv_bn(i, o, s) for i, o, s in layers) for t in self.tasks})
        self.alpha = nn.ParameterDict({t: nn.Parameter(torch.full((len(layers), max(o for _, o, _ in layers)), gate_init)) for t in self.tasks})
        self.beta = nn.Parameter(torch.zeros(len(layers), len(self.tasks)))
        last = layers[-1][1]
        self.heads = nn.ModuleDict({
            "face": nn.Linear(last, 1),
            "gender": nn.Linear(last, 1),
            "age": nn.Linear(last, 2),
            "smile": nn.Linear(last, 1),
        })
        self.embed = nn.Linear(last, EMB)
        self.hard = False
        # Multiply-accumulates of each gated layer's full conv at 64 px input (32x32 after the stem).
        macs, side = [], 32
        for i, o, s in layers:
            side = side // s
            macs.append(9 * i * o * side * side)
        self.register_buffer("layer_macs", torch.tensor(macs, dtype=torch.float32))
        self.stem_macs = 9 * 3 * STEM * 32 * 32
        self.head_macs = sum(m.in_features * m.out_features for m in self.heads.values())

    def gates(self, t, l, hard=None):
        c = self.layers_cfg[l][1]
        g = torch.sigmoid(self.alpha[t][l, :c])
        if self.hard if hard is None else hard:
            g = HardGate.apply(g)
        return g

    def features(self, x):
        x = F.avg_pool2d(x, 2)
        x = (x - 0.5) / 0.25
        psi = self.stem(x)
        phi = {t: psi for t in self.tasks}
        for l in range(len(self.layers_cfg)):
            w = torch.softmax(self.beta[l], 0)
            mix = sum(w[k] * phi[t] for k, t in enumerate(self.tasks))
            psi = self.shared[l](mix)
            new = {}
            for t in self.tasks:
                g = self.gates(t, l).view(1, -1, 1, 1)
                new[t] = g * self.specific[t][l](phi[t]) + (1 - g) * psi
            phi = new
        return psi, phi

    def forward(self, x):
        psi, phi = self.features(x)
        pooled = {t: phi[t].mean((2, 3)) for t in self.tasks}
        out = {
            "face": self.heads["face"](pooled["face"])[:, 0],
            "gender": self.heads["gender"](pooled["gender"])[:, 0],
            "smile": self.heads["smile"](pooled["smile"])[:, 0],
        }
        a = self.heads["age"](pooled["age"])
        out["age_mu"] = 35.0 + 15.0 * a[:, 0]
        out["age_logsigma"] = a[:, 1] + 1.5
        out["embed"] = self.embed(psi.mean((2, 3)))
        return out

    def full_macs(self):
        return float(self.stem_macs + (1 + len(self.tasks)) * self.layer_macs.sum() + self.head_macs)

    def expected_macs(self, hard=False):
        """MACs the gates imply: task filters where G = 1, shared filters where some task has G = 0."""
        total = torch.tensor(float(self.stem_macs + self.head_macs))
        for l in range(len(self.layers_cfg)):
            gs = torch.stack([self.gates(t, l, hard=hard) if hard else torch.sigmoid(self.alpha[t][l, : self.layers_cfg[l][1]]) for t in self.tasks])
            task_frac = gs.mean(1).sum()
            shared_frac = (1 - gs.prod(0)).mean()
            total = total + self.layer_macs[l] * (task_frac + shared_frac)
        return total

    def budget_loss(self, tau):
        return F.relu(self.expected_macs() / self.full_macs() - tau)

    @torch.no_grad()
    def sharing_pattern(self):
        """Per task and layer: the fraction of channels taken from the task's own branch (binary gates)."""
        return {t: [float((torch.sigmoid(self.alpha[t][l, :c]) >= 0.5).float().mean()) for l, (_, c, _) in enumerate(self.layers_cfg)] for t in self.tasks}


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
