"""ODGI stage 1 (group proposals) and stage 2 (fine detector), decoding inside the graph.

Stage 1 ("group stage", ODGI paper / reference code `get_detection_outputs_with_groups`):
  input  image      float32 [N, 3, S1, S1]  RGB in [0, 1] (the stage-1 tile, 4x downsampled)
  outputs boxes      [N, G*G, 4]  xyxy normalised to the input, clipped to [0, 1]
          conf       [N, G*G]     sigmoid confidence (trained to predict IoU with the target)
          group_prob [N, G*G]     sigmoid probability that the box is a group (>= 2 objects)
          offsets    [N, G*G, 2]  sigmoid crop offsets (o_x, o_y) in (0, 1)
          class_prob [N, G*G, C]  sigmoid per-class presence
  with G = S1 / 16 (output stride 16; a stride-32 level adds context and is upsampled back), K = 1 box per cell, cells in row-major order (index = row * G + col).

Stage 2 (final stage, fine detector run on crops):
  input  image      float32 [N, 3, S2, S2]  RGB in [0, 1]
  outputs boxes      [N, M, 4]  xyxy normalised to the crop, clipped to [0, 1]
          scores     [N, M]     sigmoid objectness (class-agnostic detection score)
          class_prob [N, M, C]  softmax over classes
  with M = (S2 / 8)^2 (one anchor-free prediction per stride-8 cell).

Decoding (both stages): centre = (cell + 0.5 + R * tanh(t_xy)) * cell_size,
size = exp(clamp(t_wh, max=log(G))) cells. R = 1.5 cells for stage 1 (a cell's
group box may be centred outside the cell), 1.0 for stage 2.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 3

CONFIGS = {
    # trains in about an hour on a shared 2-core CPU
    "cpu": {"s1_size": 256, "s2_size": 128, "s1_widths": [24, 48, 64, 96], "s2_widths": [24, 32, 48, 64, 96], "s2_neck": 48},
    # larger, for the GPU run (same tensor contract)
    "gpu": {"s1_size": 256, "s2_size": 128, "s1_widths": [48, 96, 160, 256], "s2_widths": [48, 64, 128, 192, 256], "s2_neck": 128},
}


def cbl(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1, inplace=True))


def stem(cin, cout):
    """4x4 patchify convolution, stride 4 (cheap on CPU, no information dropped)."""
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 4, 0, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.1, inplace=True))


class Stage1(nn.Module):
    """Small YOLO-like backbone, output stride 16, K=1 box per cell with group flag and offsets."""

    R = 1.5

    def __init__(self, widths, size=256, num_classes=NUM_CLASSES):
        super().__init__()
        w = widths
        self.size = size
        self.C = num_classes
        self.c3 = nn.Sequential(stem(3, w[0]), cbl(w[0], w[1], 3, 2), cbl(w[1], w[1]))      # /8
        self.c4 = nn.Sequential(cbl(w[1], w[2], 3, 2), cbl(w[2], w[2]), cbl(w[2], w[2]))    # /16
        self.c5 = nn.Sequential(cbl(w[2], w[3], 3, 2), cbl(w[3], w[3]))                     # /32 context
        self.up = cbl(w[3] + w[2], w[2], 1)
        self.post = cbl(w[2], w[2])
        self.head = nn.Conv2d(w[2], 8 + num_classes, 1)
        with torch.no_grad():
            self.head.bias.zero_()
            self.head.bias[4] = -4.0  # confidence starts low (most cells are empty)

    def raw(self, x):
        c4 = self.c4(self.c3(x))
        c5 = self.c5(c4)
        p = self.up(torch.cat([c4, F.interpolate(c5, scale_factor=2.0, mode="nearest")], 1))
        return self.head(self.post(p))

    def decode(self, t):
        N, _, G, _ = t.shape
        t = t.permute(0, 2, 3, 1).reshape(N, G * G, -1)
        ar = torch.arange(G, dtype=t.dtype, device=t.device)
        gy, gx = torch.meshgrid(ar, ar, indexing="ij")
        gx = gx.reshape(1, G * G)
        gy = gy.reshape(1, G * G)
        cx = (gx + 0.5 + self.R * torch.tanh(t[..., 0])) / G
        cy = (gy + 0.5 + self.R * torch.tanh(t[..., 1])) / G
        lim = math.log(G)
        w = torch.exp(torch.clamp(t[..., 2], max=lim)) / G
        h = torch.exp(torch.clamp(t[..., 3], max=lim)) / G
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1).clamp(0, 1)
        return {
            "boxes": boxes,
            "conf": torch.sigmoid(t[..., 4]),
            "group_prob": torch.sigmoid(t[..., 5]),
            "offsets": torch.sigmoid(t[..., 6:8]),
            "class_prob": torch.sigmoid(t[..., 8:]),
            # unclipped centre/size (for the loss)
            "cxcywh": torch.stack([cx, cy, w, h], -1),
            "raw": t,
        }

    def forward(self, x):
        d = self.decode(self.raw(x))
        return d["boxes"], d["conf"], d["group_prob"], d["offsets"], d["class_prob"]


class Stage2(nn.Module):
    """Small FPN-lite detector, one anchor-free prediction per stride-8 cell."""

    R = 1.0
    STRIDE = 8

    def __init__(self, widths, neck, size=256, num_classes=NUM_CLASSES):
        super().__init__()
        w = widths
        self.size = size
        self.C = num_classes
        self.c3 = nn.Sequential(stem(3, w[0]), cbl(w[0], w[1]), cbl(w[1], w[2], 3, 2), cbl(w[2], w[2]))  # /8
        self.c4 = nn.Sequential(cbl(w[2], w[3], 3, 2), cbl(w[3], w[3]))  # /16
        self.c5 = nn.Sequential(cbl(w[3], w[4], 3, 2), cbl(w[4], w[4]))  # /32
        self.lat5 = cbl(w[4], neck, 1)
        self.lat4 = cbl(w[3] + neck, neck, 1)
        self.lat3 = cbl(w[2] + neck, neck, 1)
        self.out = nn.Sequential(cbl(neck, neck), cbl(neck, neck))
        self.head = nn.Conv2d(neck, 5 + num_classes, 1)
        with torch.no_grad():
            self.head.bias.zero_()
            self.head.bias[0] = -4.6  # prior ~1% objectness

    def raw(self, x):
        c3 = self.c3(x)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p5 = self.lat5(c5)
        p4 = self.lat4(torch.cat([c4, F.interpolate(p5, scale_factor=2.0, mode="nearest")], 1))
        p3 = self.lat3(torch.cat([c3, F.interpolate(p4, scale_factor=2.0, mode="nearest")], 1))
        return self.head(self.out(p3))

    def decode(self, t):
        N, _, G, _ = t.shape
        t = t.permute(0, 2, 3, 1).reshape(N, G * G, -1)
        ar = torch.arange(G, dtype=t.dtype, device=t.device)
        gy, gx = torch.meshgrid(ar, ar, indexing="ij")
        gx = gx.reshape(1, G * G)
        gy = gy.reshape(1, G * G)
        cx = (gx + 0.5 + self.R * torch.tanh(t[..., 1])) / G
        cy = (gy + 0.5 + self.R * torch.tanh(t[..., 2])) / G
        lim = math.log(G)
        w = torch.exp(torch.clamp(t[..., 3], max=lim)) / G
        h = torch.exp(torch.clamp(t[..., 4], max=lim)) / G
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)
        return {
            "boxes": boxes.clamp(0, 1),
            "boxes_unclipped": boxes,
            "scores": torch.sigmoid(t[..., 0]),
            "class_prob": torch.softmax(t[..., 5:], -1),
            "raw": t,
        }

    def forward(self, x):
        d = self.decode(self.raw(x))
        return d["boxes"], d["scores"], d["class_prob"]


def build(config):
    c = CONFIGS[config]
    return Stage1(c["s1_widths"], c["s1_size"]), Stage2(c["s2_widths"], c["s2_neck"], c["s2_size"])


def count_params(m):
    return sum(p.numel() for p in m.parameters())
