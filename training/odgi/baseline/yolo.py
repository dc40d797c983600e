"""A standard single-shot detector for the aerial baseline (issue 11 item 2): YOLOv8-style,
anchor-free, ~2.4 M parameters. CSP backbone (C2f blocks, SPPF), PAN neck, decoupled heads at
strides 8/16/32 regressing left/top/right/bottom distances (no DFL: plain distances keep the
head small), sigmoid class scores.

`Export` wraps it in Ultralytics' ONNX output layout, [N, 4 + nc, anchors] with rows
cx, cy, w, h in input pixels followed by the class probabilities, so the app runs it through
its bring-your-own-YOLO path (electron/engine/pipelines/detect/decode.ts, decodeYolo).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)


class Conv(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1):
        super().__init__(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.03), nn.SiLU(inplace=True))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.a, self.b, self.add = Conv(c, c), Conv(c, c), shortcut

    def forward(self, x):
        y = self.b(self.a(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, cin, cout, n=1, shortcut=True):
        super().__init__()
        self.h = cout // 2
        self.cv1 = Conv(cin, 2 * self.h, 1)
        self.cv2 = Conv((2 + n) * self.h, cout, 1)
        self.m = nn.ModuleList(Bottleneck(self.h, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1, self.cv2 = Conv(c, c // 2, 1), Conv(c * 2, c, 1)

    def forward(self, x):
        x = self.cv1(x)
        y1 = F.max_pool2d(x, 5, 1, 2)
        y2 = F.max_pool2d(y1, 5, 1, 2)
        return self.cv2(torch.cat([x, y1, y2, F.max_pool2d(y2, 5, 1, 2)], 1))


class Head(nn.Module):
    """Decoupled box / class branches for one level."""

    def __init__(self, cin, nc, cb=48, cc=48):
        super().__init__()
        self.box = nn.Sequential(Conv(cin, cb), Conv(cb, cb), nn.Conv2d(cb, 4, 1))
        self.cls = nn.Sequential(Conv(cin, cc), Conv(cc, cc), nn.Conv2d(cc, nc, 1))

    def forward(self, x):
        return self.box(x), self.cls(x)


class Detector(nn.Module):
    def __init__(self, nc=3, w=(16, 32, 64, 128, 256), n=(1, 2, 2, 1)):
        super().__init__()
        self.nc = nc
        self.stem = nn.Sequential(Conv(3, w[0], 3, 2), Conv(w[0], w[1], 3, 2), C2f(w[1], w[1], n[0]))
        self.p3 = nn.Sequential(Conv(w[1], w[2], 3, 2), C2f(w[2], w[2], n[1]))
        self.p4 = nn.Sequential(Conv(w[2], w[3], 3, 2), C2f(w[3], w[3], n[2]))
        self.p5 = nn.Sequential(Conv(w[3], w[4], 3, 2), C2f(w[4], w[4], n[3]), SPPF(w[4]))
        # PAN neck (YOLOv8)
        self.up4 = C2f(w[4] + w[3], w[3], 1, False)
        self.up3 = C2f(w[3] + w[2], w[2], 1, False)
        self.down3 = Conv(w[2], w[2], 3, 2)
        self.dn4 = C2f(w[2] + w[3], w[3], 1, False)
        self.down4 = Conv(w[3], w[3], 3, 2)
        self.dn5 = C2f(w[3] + w[4], w[4], 1, False)
        self.heads = nn.ModuleList([Head(w[2], nc), Head(w[3], nc), Head(w[4], nc)])
        prior = -4.6  # sigmoid ~ 0.01: most anchors are background
        for h in self.heads:
            nn.init.constant_(h.cls[-1].bias, prior)
            nn.init.constant_(h.box[-1].bias, 0.5)

    def forward(self, x):
        """-> list per level of (ltrb raw (B,4,H,W), class logits (B,nc,H,W))."""
        c3 = self.p3(self.stem(x))
        c4 = self.p4(c3)
        c5 = self.p5(c4)
        t4 = self.up4(torch.cat([F.interpolate(c5, scale_factor=2.0, mode="nearest"), c4], 1))
        n3 = self.up3(torch.cat([F.interpolate(t4, scale_factor=2.0, mode="nearest"), c3], 1))
        n4 = self.dn4(torch.cat([self.down3(n3), t4], 1))
        n5 = self.dn5(torch.cat([self.down4(n4), c5], 1))
        return [h(f) for h, f in zip(self.heads, (n3, n4, n5))]


def anchor_points(shapes, device):
    """Centres (A,2) in input px and strides (A,) for the feature maps (H,W) of each level."""
    pts, st = [], []
    for (h, w), s in zip(shapes, STRIDES):
        ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
        pts.append(torch.stack([xs, ys], -1).view(-1, 2).float().add(0.5).mul(s))
        st.append(torch.full((h * w,), float(s), device=device))
    return torch.cat(pts), torch.cat(st)


def flatten(outs):
    """Level outputs -> ltrb distances in px (B,A,4) (softplus x stride), class logits (B,A,nc), shapes."""
    shapes = [o[0].shape[-2:] for o in outs]
    ltrb = torch.cat([F.softplus(b).mul(s).flatten(2) for (b, _), s in zip(outs, STRIDES)], 2).transpose(1, 2)
    cls = torch.cat([c.flatten(2) for _, c in outs], 2).transpose(1, 2)
    return ltrb, cls, shapes


def decode_xyxy(ltrb, pts):
    return torch.cat([pts - ltrb[..., :2], pts + ltrb[..., 2:]], -1)


class Export(nn.Module):
    """Ultralytics detect-head layout: (N, 4 + nc, A), boxes cx, cy, w, h in input px."""

    def __init__(self, det):
        super().__init__()
        self.det = det

    def forward(self, image):
        ltrb, cls, shapes = flatten(self.det(image))
        pts, _ = anchor_points(shapes, image.device)
        xy1 = pts - ltrb[..., :2]
        xy2 = pts + ltrb[..., 2:]
        box = torch.cat([(xy1 + xy2) / 2, xy2 - xy1], -1)
        return torch.cat([box, cls.sigmoid()], -1).transpose(1, 2)


def count_params(m):
    return sum(p.numel() for p in m.parameters())


if __name__ == "__main__":
    import time

    torch.set_num_threads(1)
    m = Detector()
    print("params", count_params(m))
    for s in (320, 640):
        x = torch.rand(1, 3, s, s)
        with torch.no_grad():
            m.eval()
            t = time.time()
            y = Export(m)(x)
            print(s, tuple(y.shape), f"{time.time() - t:.3f}s fwd")
