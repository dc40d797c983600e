"""Synthetic overhead imagery: scene layout + renderer (torch only at run time).

A *scene* is a plain description (textures, roads, parking lots, water, piers,
buildings, trees, objects with poses) in global pixel coordinates at one
ground sample distance (GSD). `render_region` draws any window of it, so the
same code makes 1024 px training tiles and 20,000 px GeoTIFF scenes (rendered
strip by strip). Everything is deterministic given the seed.

Labels: classes 0 vehicle, 1 boat, 2 plane; axis-aligned boxes [x1, y1, x2, y2]
in pixels (tight box of the object's top-down silhouette, shadows excluded).
Objects less than 40% visible (under tree crowns, or cut by the tile border)
are dropped; hard negatives (containers, bales, buildings, sheds, rocks, dark
rectangles) are never labelled.
"""
from __future__ import annotations

import math
import os
import random

import torch
import torch.nn.functional as F

from pack import read_pack

CLASSES = ["vehicle", "boat", "plane"]
CLS_ID = {c: i for i, c in enumerate(CLASSES)}
MIP_GSD = 0.10  # sprites are stored at 5 cm/px and pooled once to 10 cm/px


# --------------------------------------------------------------------------- assets
class Assets:
    def __init__(self, pack_dir):
        index, items = read_pack(pack_dir)
        self.ground, self.water, self.paved = [], [], []
        self.sprites = {"vehicle": [], "boat": [], "plane": [], "negative": []}
        for e, t in items:
            if e["key"].startswith("tex/"):
                x = t.permute(2, 0, 1).float().div(255.0).contiguous()
                {"ground": self.ground, "water": self.water, "paved": self.paved}[e["kind"]].append(x)
            else:
                sp = t.permute(2, 0, 1).float()  # r g b a h(dm)
                a = sp[3:4] / 255.0
                rgb_pm = sp[:3] / 255.0 * a
                h = sp[4:5] / 10.0
                # 5 cm -> 10 cm: area-average premultiplied colour and alpha, max height
                rgba = F.avg_pool2d(torch.cat([rgb_pm, a])[None], 2, ceil_mode=True)[0]
                hh = F.max_pool2d(h[None], 2, ceil_mode=True)[0]
                ys, xs = torch.nonzero(rgba[3] > 0.5, as_tuple=True)
                pts = torch.stack([xs.float() + 0.5, ys.float() + 0.5], 1)
                if len(pts) > 600:
                    pts = pts[torch.linspace(0, len(pts) - 1, 600).long()]
                self.sprites[e["cls"]].append({
                    "img": torch.cat([rgba, hh]).contiguous(), "pts": pts, "name": e["key"],
                    "length_m": e["length_m"], "width_m": e["width_m"], "height_m": e["height_m"]})
        self.index = index
        # cars (short vehicles) are most of what parks and queues
        self.cars = [s for s in self.sprites["vehicle"] if s["length_m"] <= 6.2]
        self.trucks = [s for s in self.sprites["vehicle"] if s["length_m"] > 6.2]
        self.small_boats = [s for s in self.sprites["boat"] if s["length_m"] <= 14]


# --------------------------------------------------------------------------- helpers
def value_noise(rng: random.Random, cells_x, cells_y):
    g = torch.Generator().manual_seed(rng.randrange(1 << 30))
    return torch.rand(1, 1, cells_y + 3, cells_x + 3, generator=g)


def sample_lattice(lat, X, Y, cell):
    """Bicubic-ish sample of a lattice (1,1,gy,gx) at global pixel coords X,Y (H,W)."""
    gy, gx = lat.shape[-2:]
    u = (X / cell + 1.0 + 0.5) / gx * 2 - 1
    v = (Y / cell + 1.0 + 0.5) / gy * 2 - 1
    grid = torch.stack([u, v], -1)[None]
    return F.grid_sample(lat, grid, mode="bicubic", padding_mode="border", align_corners=False)[0, 0]


def sample_texture(tex, X, Y, scale, angle, off):
    """Tiles texture (3,S,S) over global coords: texture px = R(angle)(X,Y)/scale + off."""
    S = tex.shape[-1]
    c, s = math.cos(angle), math.sin(angle)
    tx = (c * X - s * Y) / scale + off[0]
    ty = (s * X + c * Y) / scale + off[1]
    u = torch.remainder(tx, S) / S * 2 - 1
    v = torch.remainder(ty, S) / S * 2 - 1
    grid = torch.stack([u, v], -1)[None]
    return F.grid_sample(tex[None], grid, mode="bilinear", padding_mode="reflection", align_corners=False)[0]


def gauss_kernel(sigma):
    r = max(1, int(math.ceil(sigma * 2.5)))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(img, sigma):
    """Approximate Gaussian blur (sigma <= ~1.6) from 3x3 box filters (fast on CPU)."""
    if sigma <= 0.05:
        return img
    x = img[None]
    box = lambda t: F.avg_pool2d(t, 3, 1, 1, count_include_pad=False)  # noqa: E731  variance 2/3 per axis
    v = sigma * sigma
    b1 = box(x)
    if v <= 2 / 3:
        wgt = v / (2 / 3)
        return (x * (1 - wgt) + b1 * wgt)[0]
    b2 = box(b1)
    if v <= 4 / 3:
        wgt = (v - 2 / 3) / (2 / 3)
        return (b1 * (1 - wgt) + b2 * wgt)[0]
    b3 = box(b2)
    wgt = min(1.0, (v - 4 / 3) / (2 / 3))
    return (b2 * (1 - wgt) + b3 * wgt)[0]


def rect_mask(X, Y, cx, cy, L, W, ang, soft=0.7):
    """Soft mask of a rotated rectangle (length L along angle ang, width W)."""
    c, s = math.cos(ang), math.sin(ang)
    dx, dy = X - cx, Y - cy
    u = c * dx + s * dy
    v = -s * dx + c * dy
    du = L / 2 - u.abs()
    dv = W / 2 - v.abs()
    return torch.clamp(torch.minimum(du, dv) / soft + 0.5, 0, 1), u, v


def poly_distance(X, Y, pts):
    """Distance from every pixel to a polyline [(x,y),...]."""
    d = None
    for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:]):
        vx, vy = bx - ax, by - ay
        L2 = vx * vx + vy * vy + 1e-9
        t = torch.clamp(((X - ax) * vx + (Y - ay) * vy) / L2, 0, 1)
        dd = torch.hypot(X - (ax + t * vx), Y - (ay + t * vy))
        d = dd if d is None else torch.minimum(d, dd)
    return d


def polyline_along(X, Y, pts):
    """Returns (distance, signed side, arc length) of each pixel to a polyline."""
    best_d = best_side = best_s = None
    acc = 0.0
    for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:]):
        vx, vy = bx - ax, by - ay
        L = math.hypot(vx, vy) + 1e-9
        t = torch.clamp(((X - ax) * vx + (Y - ay) * vy) / (L * L), 0, 1)
        px, py = X - (ax + t * vx), Y - (ay + t * vy)
        dd = torch.hypot(px, py)
        side = torch.sign(vx * (Y - ay) - vy * (X - ax))
        s = acc + t * L
        if best_d is None:
            best_d, best_side, best_s = dd, side, s
        else:
            m = dd < best_d
            best_d = torch.where(m, dd, best_d)
            best_side = torch.where(m, side, best_side)
            best_s = torch.where(m, s, best_s)
        acc += L
    return best_d, best_side, best_s


def quad_table(q, luma=True):
    base_l = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
              14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
              49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
    base_c = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
              47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32
    q = max(1, min(100, int(q)))
    sc = 5000 / q if q < 50 else 200 - 2 * q
    t = torch.tensor(base_l if luma else base_c, dtype=torch.float32)
    return torch.clamp(torch.floor((t * sc + 50) / 100), 1, 255).view(8, 8)


_DCT = None


def dct_mat():
    global _DCT
    if _DCT is None:
        m = torch.zeros(8, 8)
        for k in range(8):
            for n in range(8):
                m[k, n] = (math.sqrt(1 / 8) if k == 0 else math.sqrt(2 / 8)) * math.cos(math.pi * (2 * n + 1) * k / 16)
        _DCT = m
    return _DCT


def _jpeg_plane(p, Q):
    H, W = p.shape
    Hp, Wp = (H + 7) // 8 * 8, (W + 7) // 8 * 8
    x = F.pad(p[None, None], (0, Wp - W, 0, Hp - H), mode="replicate")[0, 0] - 128
    b = x.view(Hp // 8, 8, Wp // 8, 8).permute(0, 2, 1, 3)
    D = dct_mat()
    c = D @ b @ D.T
    c = torch.round(c / Q) * Q
    r = D.T @ c @ D
    return (r.permute(0, 2, 1, 3).reshape(Hp, Wp) + 128)[:H, :W]


def jpeg_like(img01, q, subsample=True):
    """JPEG round trip approximation (YCbCr, 4:2:0, DCT quantisation) in torch."""
    x = img01.clamp(0, 1) * 255
    r, g, b = x[0], x[1], x[2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    y = _jpeg_plane(y, quad_table(q, True))
    H, W = y.shape
    out_c = []
    for ch in (cb, cr):
        if subsample:
            small = F.avg_pool2d(ch[None, None], 2, ceil_mode=True)[0, 0]
            small = _jpeg_plane(small, quad_table(q, False))
            ch2 = F.interpolate(small[None, None], scale_factor=2, mode="bilinear", align_corners=False)[0, 0][:H, :W]
        else:
            ch2 = _jpeg_plane(ch, quad_table(q, False))
        out_c.append(ch2)
    cb, cr = out_c
    r = y + 1.402 * (cr - 128)
    g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128)
    b = y + 1.772 * (cb - 128)
    return (torch.stack([r, g, b]) / 255).clamp(0, 1)


# --------------------------------------------------------------------------- scene layout
class Scene:
    """Plain scene description in global pixel coordinates."""

    def __init__(self, W, H, gsd, rng: random.Random):
        self.W, self.H, self.gsd = W, H, gsd
        self.rng = rng
        self.sun_az = rng.uniform(0, 2 * math.pi)
        self.sun_el = math.radians(rng.uniform(25, 65))
        # shadow offset in pixels per metre of height
        k = 1.0 / math.tan(self.sun_el) / gsd
        self.shadow_dx, self.shadow_dy = k * math.cos(self.sun_az), k * math.sin(self.sun_az)
        self.shadow_dark = rng.uniform(0.42, 0.62)
        self.ground = []  # dicts: tex, scale, angle, off, tint
        self.ground_mode = "noise"
        self.parcels = None
        self.noise_cell = rng.uniform(180, 500)
        self.noise = None
        self.detail_amp = rng.uniform(0.03, 0.08)
        self.water = []  # dicts: kind, params
        self.paved = []  # rotated rects: cx,cy,L,W,ang,tex,tint,stalls
        self.roads = []  # polylines: pts,width,tex,tint,marks
        self.piers = []
        self.buildings = []
        self.trees = []  # (cx,cy,r,h,colour)
        self.objects = []  # dicts
        self.sensor = {}
        # large scenes keep land things off the water; training tiles were generated
        # without this check (kept so the frozen splits stay reproducible)
        self.strict = False

    def on_water(self, x, y, margin=0.0):
        return self.strict and any(water_depth(w, x, y) > -margin for w in self.water)

    # ---- occupancy for placement
    def free(self, box, margin=2.0):
        x1, y1, x2, y2 = box
        if x2 < 0 or y2 < 0 or x1 > self.W or y1 > self.H:
            return False
        for o in self.objects:
            b = o["box"]
            if x1 < b[2] + margin and b[0] < x2 + margin and y1 < b[3] + margin and b[1] < y2 + margin:
                return False
        return True


def sprite_box(sp, cx, cy, ang, scale):
    """Tight axis-aligned box (global px) of a sprite placed at (cx,cy), angle, scale (px/sprite px)."""
    img = sp["img"]
    h, w = img.shape[-2:]
    p = sp["pts"]
    px = (p[:, 0] - w / 2) * scale
    py = (p[:, 1] - h / 2) * scale
    c, s = math.cos(ang), math.sin(ang)
    X = c * px - s * py + cx
    Y = s * px + c * py + cy
    hw = 0.5 * scale
    return [float(X.min()) - hw, float(Y.min()) - hw, float(X.max()) + hw, float(Y.max()) + hw], torch.stack([X, Y], 1)


def add_object(scene, sp, cls, cx, cy, ang, recolor=None, check=True):
    scale = MIP_GSD / scene.gsd
    box, pts = sprite_box(sp, cx, cy, ang, scale)
    if check and not scene.free(box):
        return False
    scene.objects.append({"sp": sp, "cls": cls, "cx": cx, "cy": cy, "ang": ang, "scale": scale,
                          "box": box, "pts": pts, "recolor": recolor})
    return True


def car_recolor(rng):
    """Most real cars are white, black, grey or silver: desaturate many sprites."""
    r = rng.random()
    if r < 0.45:
        return None
    if r < 0.62:
        return ("grey", rng.uniform(1.15, 1.5))  # white/silver
    if r < 0.8:
        return ("grey", rng.uniform(0.25, 0.5))  # black/dark grey
    if r < 0.9:
        return ("grey", rng.uniform(0.7, 1.0))
    return ("hue", rng.randrange(3))  # channel permutation


def pick(rng, lst):
    return lst[rng.randrange(len(lst))]


def layout_ground(scene, A, rng, x0=0, y0=0, w=None, h=None):
    n = rng.choice([1, 2, 2, 3, 3, 4])
    scene.ground = []
    for _ in range(n):
        scene.ground.append({"tex": rng.randrange(len(A.ground)), "scale": rng.uniform(1.2, 4.0),
                             "angle": rng.uniform(0, 2 * math.pi), "off": (rng.uniform(0, 400), rng.uniform(0, 400)),
                             "tint": [rng.uniform(0.88, 1.12) for _ in range(3)], "gain": rng.uniform(0.8, 1.15)})
    if n > 1 and rng.random() < 0.5:
        # agricultural parcels: Voronoi cells with straight borders
        scene.ground_mode = "parcels"
        k = max(3, int(scene.W * scene.H / (rng.uniform(250, 700) ** 2)))
        scene.parcels = [(rng.uniform(0, scene.W), rng.uniform(0, scene.H), rng.randrange(n)) for _ in range(min(k, 4000))]
    else:
        scene.ground_mode = "noise"
    cells_x = int(scene.W / scene.noise_cell) + 2
    cells_y = int(scene.H / scene.noise_cell) + 2
    scene.noise = [value_noise(rng, cells_x, cells_y) for _ in range(n)]
    scene.detail = value_noise(rng, int(scene.W / 6) + 2, int(scene.H / 6) + 2) if scene.W * scene.H <= 4096 * 4096 else None


def add_road(scene, A, rng, pts=None, with_traffic=True, traffic_p=0.7):
    g = scene.gsd
    if pts is None:
        # straight or gently bent road crossing the scene
        ang = rng.uniform(0, math.pi)
        cx, cy = rng.uniform(0.15, 0.85) * scene.W, rng.uniform(0.15, 0.85) * scene.H
        Lh = math.hypot(scene.W, scene.H)
        bend = rng.uniform(-0.25, 0.25)
        pts = []
        for t in torch.linspace(-1, 1, 5).tolist():
            a = ang + bend * t
            pts.append((cx + t * Lh * math.cos(a), cy + t * Lh * math.sin(a)))
    lanes = rng.choice([1, 2, 2, 2, 4])
    lane_w = rng.uniform(3.0, 3.7) / g
    road = {"pts": pts, "width": lanes * lane_w + rng.uniform(0.5, 1.5) / g, "lanes": lanes, "lane_w": lane_w,
            "tex": rng.randrange(len(A.paved)), "tint": rng.uniform(0.45, 0.8), "marks": rng.random() < 0.8,
            "dirt": False}
    if lanes == 1 and rng.random() < 0.5:
        road["dirt"] = True
        road["marks"] = False
        road["width"] = rng.uniform(3, 4.5) / g
    scene.roads.append(road)
    if with_traffic and rng.random() < traffic_p:
        add_traffic(scene, A, rng, road)
    return road


def _along(pts, s):
    """Point and heading at arc length s along polyline."""
    acc = 0.0
    for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:]):
        L = math.hypot(bx - ax, by - ay)
        if acc + L >= s:
            t = (s - acc) / max(L, 1e-9)
            return ax + t * (bx - ax), ay + t * (by - ay), math.atan2(by - ay, bx - ax)
        acc += L
    return None


def polyline_length(pts):
    return sum(math.hypot(bx - ax, by - ay) for (ax, ay), (bx, by) in zip(pts[:-1], pts[1:]))


def add_traffic(scene, A, rng, road):
    g = scene.gsd
    total = polyline_length(road["pts"])
    lanes = road["lanes"]
    for lane in range(lanes):
        if rng.random() < 0.35:
            continue
        offset = (lane - (lanes - 1) / 2) * road["lane_w"]
        direction = 0 if lane >= lanes / 2 else math.pi
        if lanes == 1:
            direction = rng.choice([0, math.pi])
        s = rng.uniform(0, total)
        # a queue (at a junction / jam) or sparse traffic
        if rng.random() < 0.55:
            n = rng.randint(2, 10)
            gap_m = (1.5, 4.5)
        else:
            n = rng.randint(1, 3)
            gap_m = (20, 90)
        for _ in range(n):
            p = _along(road["pts"], s)
            if p is None:
                break
            x, y, hd = p
            nx, ny = -math.sin(hd), math.cos(hd)
            sp = pick(rng, A.cars) if rng.random() < 0.82 else pick(rng, A.trucks)
            ang = hd + direction + rng.uniform(-0.04, 0.04)
            lat = offset + rng.uniform(-0.3, 0.3) / g
            if 0 <= x < scene.W and 0 <= y < scene.H:
                add_object(scene, sp, CLS_ID["vehicle"], x + nx * lat, y + ny * lat, ang, car_recolor(rng))
            s += (sp["length_m"] + rng.uniform(*gap_m)) / g


def add_parking(scene, A, rng, cx=None, cy=None, occupancy=None, full_size=None):
    g = scene.gsd
    ang = rng.choice([0, math.pi / 2, rng.uniform(0, math.pi)])
    stall_w, stall_d, aisle = rng.uniform(2.4, 2.8) / g, rng.uniform(4.8, 5.5) / g, rng.uniform(5.5, 7) / g
    nrow_pairs = rng.randint(1, 4)
    nstall = rng.randint(4, 18)
    L = nstall * stall_w + rng.uniform(2, 6) / g
    Wd = nrow_pairs * (2 * stall_d + aisle) + aisle
    if full_size:
        L, Wd = full_size
        nstall = int((L - 4 / g) / stall_w)
        nrow_pairs = max(1, int((Wd - aisle) / (2 * stall_d + aisle)))
    if cx is None:
        cx, cy = rng.uniform(0.1, 0.9) * scene.W, rng.uniform(0.1, 0.9) * scene.H
    lot = {"cx": cx, "cy": cy, "L": L, "W": Wd, "ang": ang, "tex": rng.randrange(len(A.paved)),
           "tint": rng.uniform(0.5, 0.95), "stall_w": stall_w, "stall_d": stall_d, "aisle": aisle,
           "rows": [], "lines": rng.random() < 0.85}
    occ = occupancy if occupancy is not None else rng.choice([rng.uniform(0.05, 0.4), rng.uniform(0.4, 0.95), 1.0])
    c, s = math.cos(ang), math.sin(ang)
    for rp in range(nrow_pairs):
        for side in (0, 1):
            # row centre line (v coordinate across the lot)
            v = -Wd / 2 + aisle + rp * (2 * stall_d + aisle) + (stall_d / 2 if side == 0 else 1.5 * stall_d)
            lot["rows"].append(v)
            for k in range(nstall):
                u = -L / 2 + (k + 0.5) * stall_w + 2 / g
                if u > L / 2 - stall_w / 2:
                    break
                if rng.random() > occ:
                    continue
                sp = pick(rng, A.cars) if rng.random() < 0.93 else pick(rng, A.trucks)
                if sp["length_m"] / g > stall_d * 1.6:
                    continue
                du = u + rng.uniform(-0.25, 0.25) / g
                dv = v + rng.uniform(-0.3, 0.3) / g
                x = cx + c * du - s * dv
                y = cy + s * du + c * dv
                heading = ang + math.pi / 2 + (math.pi if (side == 0) ^ (rng.random() < 0.2) else 0) + rng.uniform(-0.06, 0.06)
                add_object(scene, sp, CLS_ID["vehicle"], x, y, heading, car_recolor(rng))
    scene.paved.append(lot)
    return lot


def add_water(scene, A, rng, marina=True, boats=True):
    g = scene.gsd
    kind = rng.choice(["half", "half", "blob"])
    wat = {"tex": rng.randrange(len(A.water)), "tint": [rng.uniform(0.8, 1.1) for _ in range(3)],
           "scale": rng.uniform(1.0, 3.0), "angle": rng.uniform(0, 6.28), "kind": kind,
           "noise": value_noise(rng, int(scene.W / 150) + 2, int(scene.H / 150) + 2), "wobble": rng.uniform(20, 70) / g * 0.1}
    if kind == "half":
        a = rng.uniform(0, 2 * math.pi)
        wat["n"] = (math.cos(a), math.sin(a))
        wat["d"] = rng.uniform(0.3, 0.7) * (abs(wat["n"][0]) * scene.W + abs(wat["n"][1]) * scene.H) + \
            min(0, wat["n"][0]) * scene.W + min(0, wat["n"][1]) * scene.H
    else:
        wat["c"] = (rng.uniform(0.3, 0.7) * scene.W, rng.uniform(0.3, 0.7) * scene.H)
        wat["r"] = rng.uniform(0.25, 0.45) * min(scene.W, scene.H)
    scene.water.append(wat)
    # a shore-side pier: find a point on the shore and the direction into the water
    if marina and kind == "half" and rng.random() < 0.8:
        nx, ny = wat["n"]
        for _ in range(rng.randint(1, 3)):
            # shore line: nx*x + ny*y = d ; walk along tangent
            tx, ty = -ny, nx
            px0 = nx * wat["d"] + tx * rng.uniform(-0.4, 0.4) * max(scene.W, scene.H) + scene.W * 0.0
            py0 = ny * wat["d"] + ty * rng.uniform(-0.4, 0.4) * max(scene.W, scene.H)
            # keep inside the scene roughly
            px0 = min(max(px0, 0.1 * scene.W), 0.9 * scene.W)
            py0 = min(max(py0, 0.1 * scene.H), 0.9 * scene.H)
            # project back onto the shore line
            dd = nx * px0 + ny * py0 - wat["d"]
            px0, py0 = px0 - dd * nx, py0 - dd * ny
            add_marina(scene, A, rng, px0, py0, math.atan2(ny, nx))
    if boats:
        for _ in range(rng.randint(0, 4)):
            for _t in range(10):
                x, y = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
                if water_depth(wat, x, y) > 12 / g:
                    sp = pick(rng, A.sprites["boat"])
                    ang = rng.uniform(0, 2 * math.pi)
                    if add_object(scene, sp, CLS_ID["boat"], x, y, ang, None):
                        if rng.random() < 0.5:
                            scene.objects[-1]["wake"] = rng.uniform(1.5, 5.0)
                        break
    return wat


def water_depth(wat, x, y):
    """Positive inside water (approximate distance to shore in px)."""
    if wat["kind"] == "half":
        return wat["n"][0] * x + wat["n"][1] * y - wat["d"]
    return wat["r"] - math.hypot(x - wat["c"][0], y - wat["c"][1])


def add_marina(scene, A, rng, x0, y0, into):
    g = scene.gsd
    L = rng.uniform(25, 90) / g
    Wp = rng.uniform(2.0, 3.5) / g
    c, s = math.cos(into), math.sin(into)
    cx, cy = x0 + c * (L / 2 - 2 / g), y0 + s * (L / 2 - 2 / g)
    scene.piers.append({"cx": cx, "cy": cy, "L": L, "W": Wp, "ang": into,
                        "colour": [rng.uniform(0.45, 0.75)] * 3 if rng.random() < 0.5 else [rng.uniform(0.45, 0.6), rng.uniform(0.35, 0.45), rng.uniform(0.25, 0.32)]})
    occ = rng.uniform(0.4, 1.0)
    for side in (-1, 1):
        u = 6 / g
        while u < L - 3 / g:
            sp = pick(rng, A.small_boats if rng.random() < 0.8 else A.sprites["boat"])
            bw = sp["width_m"] / g
            bl = sp["length_m"] / g
            if rng.random() < occ:
                off = Wp / 2 + bl / 2 + rng.uniform(0.3, 1.0) / g
                bx = x0 + c * u - s * side * off
                by = y0 + s * u + c * side * off
                heading = into + side * math.pi / 2 + (math.pi if rng.random() < 0.5 else 0) + rng.uniform(-0.08, 0.08)
                add_object(scene, sp, CLS_ID["boat"], bx, by, heading, None)
            u += bw + rng.uniform(0.8, 2.5) / g


def add_apron(scene, A, rng):
    g = scene.gsd
    ang = rng.uniform(0, math.pi)
    L, Wd = rng.uniform(60, 140) / g, rng.uniform(35, 70) / g
    cx, cy = rng.uniform(0.2, 0.8) * scene.W, rng.uniform(0.2, 0.8) * scene.H
    scene.paved.append({"cx": cx, "cy": cy, "L": L, "W": Wd, "ang": ang, "tex": rng.randrange(len(A.paved)),
                        "tint": rng.uniform(0.7, 1.05), "rows": [], "lines": False, "stall_w": 0, "stall_d": 0, "aisle": 0})
    c, s = math.cos(ang), math.sin(ang)
    u = -L / 2 + 8 / g
    heading = ang + math.pi / 2 * rng.choice([1, -1])
    while u < L / 2 - 8 / g:
        sp = pick(rng, A.sprites["plane"])
        span = sp["length_m"] / g
        if rng.random() < 0.75:
            v = -Wd / 4
            add_object(scene, sp, CLS_ID["plane"], cx + c * u - s * v, cy + s * u + c * v, heading + rng.uniform(-0.1, 0.1))
        u += span + rng.uniform(3, 12) / g
    for _ in range(rng.randint(0, 5)):  # service vehicles
        sp = pick(rng, A.sprites["vehicle"])
        uu, vv = rng.uniform(-L / 2, L / 2), rng.uniform(0, Wd / 2)
        add_object(scene, sp, CLS_ID["vehicle"], cx + c * uu - s * vv, cy + s * uu + c * vv, rng.uniform(0, 6.28), car_recolor(rng))


def add_buildings(scene, A, rng, n=None, near=None):
    g = scene.gsd
    n = n if n is not None else rng.randint(1, 6)
    for _ in range(n):
        L, Wd = rng.uniform(6, 30) / g, rng.uniform(5, 16) / g
        if near:
            cx, cy = near[0] + rng.uniform(-60, 60) / g, near[1] + rng.uniform(-60, 60) / g
        else:
            cx, cy = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
        box = [cx - max(L, Wd) / 2, cy - max(L, Wd) / 2, cx + max(L, Wd) / 2, cy + max(L, Wd) / 2]
        if not scene.free(box, 4 / g) or scene.on_water(cx, cy, max(L, Wd)):
            continue
        roof = rng.choice([(0.55, 0.25, 0.2), (0.6, 0.6, 0.62), (0.35, 0.35, 0.38), (0.75, 0.74, 0.7), (0.45, 0.3, 0.25), (0.3, 0.4, 0.5)])
        j = rng.uniform(0.8, 1.2)
        scene.buildings.append({"cx": cx, "cy": cy, "L": L, "W": Wd, "ang": rng.uniform(0, math.pi), "h": rng.uniform(2.5, 12),
                                "colour": [min(1, c * j) for c in roof], "ridge": rng.random() < 0.5,
                                "hvac": [(rng.uniform(-0.4, 0.4), rng.uniform(-0.35, 0.35)) for _ in range(rng.randint(0, 4))]})
        # keep placement free of later objects
        scene.objects.append({"sp": None, "cls": -2, "box": box})


def add_trees(scene, A, rng, n=None, cluster=True):
    g = scene.gsd
    n = n if n is not None else rng.randint(0, 40)
    cx, cy = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
    spread = rng.uniform(10, 60) / g
    base = (rng.uniform(0.12, 0.25), rng.uniform(0.2, 0.33), rng.uniform(0.08, 0.16))
    for _ in range(n):
        if cluster:
            x, y = rng.gauss(cx, spread), rng.gauss(cy, spread)
        else:
            x, y = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
        r = rng.uniform(1.5, 5) / g
        j = rng.uniform(0.75, 1.25)
        if scene.on_water(x, y, r):
            continue
        scene.trees.append((x, y, r, rng.uniform(4, 18), [min(1, b * j) for b in base], rng.randrange(1 << 20)))


def add_negatives(scene, A, rng, n=None):
    g = scene.gsd
    n = n if n is not None else rng.randint(0, 6)
    for _ in range(n):
        x, y = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
        r = rng.random()
        if scene.on_water(x, y, 10 / g) and r < 0.8:
            continue
        if r < 0.55 and A.sprites["negative"]:
            sp = pick(rng, A.sprites["negative"])
            # containers often come in rows
            k = rng.randint(1, 5) if rng.random() < 0.5 else 1
            ang = rng.uniform(0, 2 * math.pi)
            for i in range(k):
                dx = math.cos(ang + math.pi / 2) * i * (sp["width_m"] + 0.3) / g
                dy = math.sin(ang + math.pi / 2) * i * (sp["width_m"] + 0.3) / g
                add_object(scene, sp, -1, x + dx, y + dy, ang, ("hue", rng.randrange(3)) if rng.random() < 0.5 else None)
        elif r < 0.8:
            # dark or bright rectangles (sheds, tarps, pools)
            L, Wd = rng.uniform(2, 7) / g, rng.uniform(1.5, 3.5) / g
            col = rng.choice([(0.1, 0.1, 0.12), (0.8, 0.8, 0.78), (0.2, 0.35, 0.55), (0.5, 0.3, 0.2)])
            scene.buildings.append({"cx": x, "cy": y, "L": L, "W": Wd, "ang": rng.uniform(0, math.pi), "h": rng.uniform(0.3, 2.5),
                                    "colour": list(col), "ridge": False, "hvac": []})
        else:
            # rocks / bushes
            for _ in range(rng.randint(1, 6)):
                scene.trees.append((x + rng.uniform(-8, 8) / g, y + rng.uniform(-8, 8) / g, rng.uniform(0.8, 2.5) / g, rng.uniform(0.3, 1.5),
                                    [rng.uniform(0.35, 0.55)] * 3, rng.randrange(1 << 20)))


def add_lone(scene, A, rng, n=None):
    g = scene.gsd
    n = n if n is not None else rng.randint(1, 3)
    for _ in range(n):
        cls = rng.choices(["vehicle", "plane", "boat"], [0.85, 0.1, 0.05])[0]
        if cls == "boat" and not scene.water:
            cls = "vehicle"
        for _t in range(15):
            x, y = rng.uniform(0, scene.W), rng.uniform(0, scene.H)
            inwater = any(water_depth(w, x, y) > 0 for w in scene.water)
            if (cls == "boat") != inwater:
                continue
            sp = pick(rng, A.sprites[cls])
            if add_object(scene, sp, CLS_ID[cls], x, y, rng.uniform(0, 2 * math.pi), car_recolor(rng) if cls == "vehicle" else None):
                break


def sample_sensor(rng, jpeg=True):
    return {"blur": rng.uniform(0.3, 1.2), "noise": rng.uniform(0.004, 0.02), "gamma": rng.uniform(0.8, 1.2),
            "wb": [rng.uniform(0.92, 1.08) for _ in range(3)], "haze": rng.uniform(0, 0.15) if rng.random() < 0.4 else 0.0,
            "haze_col": [rng.uniform(0.75, 0.9)] * 2 + [rng.uniform(0.8, 0.95)], "contrast": rng.uniform(0.85, 1.15),
            "bright": rng.uniform(-0.06, 0.06), "jpeg": rng.randint(60, 95) if jpeg else 0}


GEN_VERSION = 2  # v1 made the frozen train split (see dataset.py); v2 val/test and on-the-fly tiles


def make_tile_scene(A, seed, size=1024, gsd=None, empty_p=0.25, version=GEN_VERSION):
    """Random layout for one training tile."""
    rng = random.Random(seed)
    gsd = gsd or rng.uniform(0.10, 0.16)
    sc = Scene(size, size, gsd, rng)
    layout_ground(sc, A, rng)
    empty = rng.random() < empty_p
    r = rng.random()
    theme = "rural" if r < 0.30 else "road" if r < 0.55 else "parking" if r < 0.78 else "water" if r < 0.93 else "airfield"
    if theme == "water" or (theme == "rural" and rng.random() < 0.2):
        add_water(sc, A, rng, marina=not empty, boats=not empty)
    if theme in ("road", "parking") or rng.random() < 0.3:
        for _ in range(rng.choice([1, 1, 2])):
            add_road(sc, A, rng, with_traffic=not empty)
    if theme == "parking":
        for _ in range(rng.choice([1, 1, 2, 3])):
            add_parking(sc, A, rng, occupancy=0.0 if empty else None)
    if theme == "airfield":
        if not empty:
            add_apron(sc, A, rng)
    if rng.random() < 0.45:
        add_buildings(sc, A, rng)
    if not empty and rng.random() < 0.5:
        add_lone(sc, A, rng)
    add_negatives(sc, A, rng, rng.randint(0, 4) if not empty else rng.randint(0, 8))
    if rng.random() < 0.6:
        for _ in range(rng.randint(1, 3)):
            add_trees(sc, A, rng)
    if empty:
        sc.objects = [o for o in sc.objects if o.get("cls", -1) < 0]
    elif version >= 2 and not any(o.get("cls", -1) >= 0 for o in sc.objects):
        # v2: a non-empty layout that ended up without objects gets lone individuals,
        # so that about 25% of tiles are empty (v1: ~40%)
        add_lone(sc, A, rng, rng.randint(1, 3))
    sc.sensor = sample_sensor(rng)
    sc.version = version
    return sc


# --------------------------------------------------------------------------- rendering
def _paste_sprite(canvas, o, x0, y0, scene, idmap=None):
    """Composites object o (with its cast shadow) into canvas (3,h,w) whose origin is global (x0,y0)."""
    sp = o["sp"]
    img = sp["img"]
    sh, sw = img.shape[-2:]
    scale = o["scale"]
    b = o["box"]
    hmax = sp["height_m"]
    sdx, sdy = scene.shadow_dx * hmax, scene.shadow_dy * hmax
    bx1 = math.floor(min(b[0], b[0] + sdx)) - 2
    by1 = math.floor(min(b[1], b[1] + sdy)) - 2
    bx2 = math.ceil(max(b[2], b[2] + sdx)) + 2
    by2 = math.ceil(max(b[3], b[3] + sdy)) + 2
    H, W = canvas.shape[-2:]
    cx1, cy1 = max(bx1, x0), max(by1, y0)
    cx2, cy2 = min(bx2, x0 + W), min(by2, y0 + H)
    if cx2 <= cx1 or cy2 <= cy1:
        return
    # patch over the full (unclipped) extent so shadows are computed correctly, then clip
    px = torch.arange(bx1, bx2, dtype=torch.float32) + 0.5
    py = torch.arange(by1, by2, dtype=torch.float32) + 0.5
    Y, X = torch.meshgrid(py, px, indexing="ij")
    c, s = math.cos(o["ang"]), math.sin(o["ang"])
    dx, dy = X - o["cx"], Y - o["cy"]
    u = (c * dx + s * dy) / scale + sw / 2
    v = (-s * dx + c * dy) / scale + sh / 2
    grid = torch.stack([u / sw * 2 - 1, v / sh * 2 - 1], -1)[None]
    smp = F.grid_sample(img[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0]
    rgb, a, hgt = smp[:3], smp[3:4], smp[4]
    rc = o.get("recolor")
    if rc is not None:
        if rc[0] == "grey":
            lum = (0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2])[None]
            rgb = torch.minimum(lum.expand(3, -1, -1) * rc[1], a.expand(3, -1, -1))
        elif rc[0] == "hue":
            perm = [(1, 2, 0), (2, 0, 1), (0, 2, 1)][rc[1]]
            rgb = rgb[list(perm)]
    # shadow: union of silhouettes at increasing heights shifted along the sun direction
    hh = hgt * a[0]
    sh_mask = torch.zeros_like(hh)
    ph, pw = hh.shape
    steps = 6
    for k in range(steps):
        hk = hmax * (k + 0.5) / steps
        m = (hh >= hk * 0.999).float() * a[0]
        ox, oy = int(round(scene.shadow_dx * hk)), int(round(scene.shadow_dy * hk))
        if abs(ox) >= pw or abs(oy) >= ph:
            continue
        shifted = torch.zeros_like(m)
        shifted[max(oy, 0):ph + min(oy, 0), max(ox, 0):pw + min(ox, 0)] = m[max(-oy, 0):ph - max(oy, 0), max(-ox, 0):pw - max(ox, 0)]
        sh_mask = torch.maximum(sh_mask, shifted)
    sh_mask = blur(sh_mask[None], 0.8)[0]
    # clip to canvas
    ix1, iy1 = cx1 - bx1, cy1 - by1
    ix2, iy2 = ix1 + (cx2 - cx1), iy1 + (cy2 - cy1)
    dst = canvas[:, cy1 - y0:cy2 - y0, cx1 - x0:cx2 - x0]
    shm = sh_mask[iy1:iy2, ix1:ix2]
    dst.mul_(1 - shm * (1 - scene.shadow_dark))
    aa = a[:, iy1:iy2, ix1:ix2]
    dst.mul_(1 - aa).add_(rgb[:, iy1:iy2, ix1:ix2])


def _win(x0, y0, w, h, bx1, by1, bx2, by2):
    """Slices of the window [x0,x0+w)x[y0,y0+h) covered by the global box, or None."""
    ix1, iy1 = max(int(math.floor(bx1)) - x0, 0), max(int(math.floor(by1)) - y0, 0)
    ix2, iy2 = min(int(math.ceil(bx2)) - x0, w), min(int(math.ceil(by2)) - y0, h)
    if ix2 <= ix1 or iy2 <= iy1:
        return None
    return slice(iy1, iy2), slice(ix1, ix2)


def _rect_reach(cx, cy, L, W, extra=0.0):
    r = 0.5 * math.hypot(L, W) + extra + 2
    return cx - r, cy - r, cx + r, cy + r


def render_ground(A, sc, X, Y):
    """Ground colour at coordinates X, Y (any resolution)."""
    h, w = X.shape
    layers = []
    for gl in sc.ground:
        t = sample_texture(A.ground[gl["tex"] % len(A.ground)], X, Y, gl["scale"] * (0.125 / sc.gsd), gl["angle"], gl["off"])
        layers.append(t * torch.tensor(gl["tint"]).view(3, 1, 1) * gl["gain"])
    if len(layers) == 1:
        img = layers[0]
    elif sc.ground_mode == "parcels":
        P = torch.tensor([(p[0], p[1]) for p in sc.parcels])
        ids = torch.tensor([p[2] for p in sc.parcels])
        best = torch.full((h, w), float("inf"))
        lab = torch.zeros((h, w), dtype=torch.long)
        xa, xb, ya, yb = float(X.min()), float(X.max()), float(Y.min()), float(Y.max())
        margin = 1500
        sel = ((P[:, 0] > xa - margin) & (P[:, 0] < xb + margin) & (P[:, 1] > ya - margin) & (P[:, 1] < yb + margin)).nonzero()[:, 0]
        if len(sel) == 0:
            sel = torch.arange(len(P))
        for i in sel.tolist():
            d = (X - P[i, 0]) ** 2 + (Y - P[i, 1]) ** 2
            m = d < best
            best = torch.where(m, d, best)
            lab = torch.where(m, ids[i], lab)
        img = torch.zeros(3, h, w)
        for k, t in enumerate(layers):
            img = torch.where((lab == k)[None], t, img)
        nz = sample_lattice(sc.noise[0], X, Y, sc.noise_cell)
        img = img * (0.9 + 0.2 * nz[None])
    else:
        ws = [torch.exp(4.0 * sample_lattice(nl, X, Y, sc.noise_cell)) for nl in sc.noise]
        tot = sum(ws)
        img = sum(wi / tot * t for wi, t in zip(ws, layers))
    for wat in sc.water:
        if wat["kind"] == "half":
            dep = wat["n"][0] * X + wat["n"][1] * Y - wat["d"]
        else:
            dep = wat["r"] - torch.hypot(X - wat["c"][0], Y - wat["c"][1])
        dep = dep + (sample_lattice(wat["noise"], X, Y, 150) - 0.5) * wat["wobble"] * 10
        m = torch.clamp(dep / 3.0 + 0.5, 0, 1)
        if m.max() <= 0:
            continue
        wt = sample_texture(A.water[wat["tex"] % len(A.water)], X, Y, wat["scale"], wat["angle"], (0, 0))
        wt = wt * torch.tensor(wat["tint"]).view(3, 1, 1)
        shore = torch.exp(-(dep / (2.0 / sc.gsd)) ** 2) * 0.25  # lighter shallow band
        wt = wt + shore[None] * torch.tensor([0.5, 0.45, 0.3]).view(3, 1, 1)
        img = img * (1 - m[None]) + wt * m[None]
    return img


def render_region(A, sc: Scene, x0, y0, w, h, sensor=True):
    """Renders global window [x0,x0+w) x [y0,y0+h) -> float (3,h,w) in [0,1]."""
    # ---- ground and water at half resolution (textures are magnified anyway), then upsampled
    hh, wh = (h + 1) // 2 + 2, (w + 1) // 2 + 2
    Yh, Xh = torch.meshgrid(torch.arange(hh, dtype=torch.float32) * 2 + y0 - 1.0,
                            torch.arange(wh, dtype=torch.float32) * 2 + x0 - 1.0, indexing="ij")
    low = render_ground(A, sc, Xh, Yh)
    img = F.interpolate(low[None], scale_factor=2, mode="bilinear", align_corners=False)[0][:, 2:2 + h, 2:2 + w].contiguous()
    ys = torch.arange(y0, y0 + h, dtype=torch.float32) + 0.5
    xs = torch.arange(x0, x0 + w, dtype=torch.float32) + 0.5
    Y, X = torch.meshgrid(ys, xs, indexing="ij")
    # fine detail so magnified textures do not look smooth
    g = torch.Generator().manual_seed((x0 * 7919 + y0 * 104729 + int(sc.gsd * 1e4)) & 0x7FFFFFFF)
    det = torch.randn(1, 1, h // 3 + 2, w // 3 + 2, generator=g)
    det = F.interpolate(det, size=(h, w), mode="bilinear", align_corners=False)[0]
    img.mul_(1 + sc.detail_amp * det)
    sd = sc.shadow_dark
    # ---- roads
    for rd in sc.roads:
        d, side, s_along = polyline_along(X, Y, rd["pts"])
        m = torch.clamp((rd["width"] / 2 - d) / 0.8 + 0.5, 0, 1)
        if m.max() <= 0:
            continue
        if rd["dirt"]:
            tex = torch.tensor([0.55, 0.48, 0.38]).view(3, 1, 1) * (0.85 + 0.3 * sample_lattice(sc.noise[0], X, Y, 9)[None])
        else:
            tex = sample_texture(A.paved[rd["tex"] % len(A.paved)], X, Y, 0.5, 0.0, (0, 0))
            tex = tex.mean(0, keepdim=True).expand(3, -1, -1) * rd["tint"] * 1.2
        img = img * (1 - m[None]) + tex * m[None]
        if rd["marks"]:
            lw = 0.15 / sc.gsd
            edge = torch.clamp((lw - (d - (rd["width"] / 2 - 0.4 / sc.gsd)).abs()) / 0.7 + 0.5, 0, 1)
            centre_lines = torch.zeros_like(d)
            for li in range(1, rd["lanes"]):
                off = (li - rd["lanes"] / 2) * rd["lane_w"]
                dd = (d * side - off).abs()
                dash = ((s_along * sc.gsd) % 12.0 < 4.0).float() if li != rd["lanes"] // 2 or rd["lanes"] == 2 else 1.0
                centre_lines = torch.maximum(centre_lines, torch.clamp((lw - dd) / 0.7 + 0.5, 0, 1) * dash)
            mk = torch.maximum(edge, centre_lines) * m * 0.85
            img = img * (1 - mk[None]) + mk[None] * torch.tensor([0.92, 0.92, 0.88]).view(3, 1, 1)
    # ---- paved areas (parking lots, aprons) with stall lines
    for lot in sc.paved:
        wv = _win(x0, y0, w, h, *_rect_reach(lot["cx"], lot["cy"], lot["L"], lot["W"]))
        if wv is None:
            continue
        Xs, Ys, dst = X[wv], Y[wv], img[(slice(None),) + wv]
        m, u, v = rect_mask(Xs, Ys, lot["cx"], lot["cy"], lot["L"], lot["W"], lot["ang"])
        tex = sample_texture(A.paved[lot["tex"] % len(A.paved)], Xs, Ys, 0.6, lot["ang"], (0, 0))
        tex = tex.mean(0, keepdim=True).expand(3, -1, -1) * lot["tint"] * 1.1
        dst.mul_(1 - m[None]).add_(tex * m[None])
        if lot["lines"] and lot["rows"]:
            lw = 0.12 / sc.gsd
            sw = lot["stall_w"]
            line = torch.zeros_like(u)
            for rv in lot["rows"]:
                inrow = ((v - rv).abs() < lot["stall_d"] / 2).float()
                du = torch.remainder(u + lot["L"] / 2 - 2 / sc.gsd, sw)
                du = torch.minimum(du, sw - du)
                line = torch.maximum(line, inrow * torch.clamp((lw - du) / 0.6 + 0.5, 0, 1))
            line = line * m * 0.8
            dst.mul_(1 - line[None]).add_(line[None] * 0.9)
    # ---- piers
    for p in sc.piers:
        wv = _win(x0, y0, w, h, *_rect_reach(p["cx"], p["cy"], p["L"], p["W"], 2 * math.hypot(sc.shadow_dx, sc.shadow_dy)))
        if wv is None:
            continue
        Xs, Ys, dst = X[wv], Y[wv], img[(slice(None),) + wv]
        ssm, _, _ = rect_mask(Xs - sc.shadow_dx * 0.8, Ys - sc.shadow_dy * 0.8, p["cx"], p["cy"], p["L"], p["W"], p["ang"])
        dst.mul_(1 - ssm[None] * (1 - sd))
        m, u, v = rect_mask(Xs, Ys, p["cx"], p["cy"], p["L"], p["W"], p["ang"])
        col = torch.tensor(p["colour"]).view(3, 1, 1) * (0.9 + 0.2 * (torch.remainder(u * sc.gsd, 0.5) < 0.25).float()[None])
        dst.mul_(1 - m[None]).add_(col * m[None])
    # ---- buildings (shadow = extruded footprint), hard negatives
    for b in sc.buildings:
        reach = b["h"] * math.hypot(sc.shadow_dx, sc.shadow_dy)
        wv = _win(x0, y0, w, h, *_rect_reach(b["cx"], b["cy"], b["L"], b["W"], reach))
        if wv is None:
            continue
        Xs, Ys, dst = X[wv], Y[wv], img[(slice(None),) + wv]
        shm = torch.zeros_like(Xs)
        for t in torch.linspace(0, 1, 8).tolist():
            mm, _, _ = rect_mask(Xs - sc.shadow_dx * b["h"] * t, Ys - sc.shadow_dy * b["h"] * t, b["cx"], b["cy"], b["L"], b["W"], b["ang"], soft=1.2)
            shm = torch.maximum(shm, mm)
        dst.mul_(1 - shm[None] * (1 - sd))
        m, u, v = rect_mask(Xs, Ys, b["cx"], b["cy"], b["L"], b["W"], b["ang"])
        col = torch.tensor(b["colour"]).view(3, 1, 1).expand(3, *Xs.shape)
        if b["ridge"]:
            col = col * (1 + 0.12 * torch.sign(v)[None])
        for (hu, hv) in b["hvac"]:
            hm, _, _ = rect_mask(Xs, Ys, b["cx"] + math.cos(b["ang"]) * hu * b["L"] - math.sin(b["ang"]) * hv * b["W"],
                                 b["cy"] + math.sin(b["ang"]) * hu * b["L"] + math.cos(b["ang"]) * hv * b["W"],
                                 1.8 / sc.gsd, 1.2 / sc.gsd, b["ang"])
            col = col * (1 - hm[None]) + hm[None] * 0.8
        dst.mul_(1 - m[None]).add_(col * m[None])
    # ---- objects (labelled and negative sprites) with cast shadows
    for o in sc.objects:
        if o.get("sp") is None:
            continue
        b = o["box"]
        if b[2] + 200 < x0 or b[0] - 200 > x0 + w or b[3] + 200 < y0 or b[1] - 200 > y0 + h:
            continue
        if o.get("wake"):
            Lb = o["sp"]["length_m"] / sc.gsd
            wv = _win(x0, y0, w, h, o["cx"] - 3 * o["wake"] * Lb, o["cy"] - 3 * o["wake"] * Lb, o["cx"] + 3 * o["wake"] * Lb, o["cy"] + 3 * o["wake"] * Lb)
            if wv is not None:
                Xs, Ys, dst = X[wv], Y[wv], img[(slice(None),) + wv]
                c, s = math.cos(o["ang"]), math.sin(o["ang"])
                dx, dy = Xs - o["cx"], Ys - o["cy"]
                uu = c * dx + s * dy
                vv = -s * dx + c * dy
                behind = torch.clamp(-(uu + Lb * 0.4), min=0)
                wake = torch.exp(-((vv.abs() - behind * 0.35) / (1.0 / sc.gsd)) ** 2) * torch.exp(-behind / (o["wake"] * Lb)) * (behind > 0)
                wake = wake + torch.exp(-(vv / (0.4 * o["sp"]["width_m"] / sc.gsd)) ** 2) * torch.exp(-behind / (0.8 * o["wake"] * Lb)) * (behind > 0)
                dst.add_(0.35 * wake.clamp(0, 1)[None] * (0.9 - dst))
        _paste_sprite(img, o, x0, y0, sc)
    # ---- trees (crowns over everything) and their shadows
    for (tx, ty, r, th, col, ts) in sc.trees:
        ox, oy = sc.shadow_dx * th * 0.7, sc.shadow_dy * th * 0.7
        wv = _win(x0, y0, w, h, tx + ox - r - 2, ty + oy - r - 2, tx + ox + r + 2, ty + oy + r + 2)
        if wv is None:
            continue
        d = torch.hypot(X[wv] - tx - ox, Y[wv] - ty - oy)
        m = torch.clamp((r - d) / 1.5 + 0.5, 0, 1)
        img[(slice(None),) + wv].mul_(1 - m[None] * (1 - sd))
    sx, sy = -math.cos(sc.sun_az), -math.sin(sc.sun_az)
    for (tx, ty, r, th, col, ts) in sc.trees:
        wv = _win(x0, y0, w, h, tx - r - 2, ty - r - 2, tx + r + 2, ty + r + 2)
        if wv is None:
            continue
        Xs, Ys, dst = X[wv], Y[wv], img[(slice(None),) + wv]
        d = torch.hypot(Xs - tx, Ys - ty)
        m = torch.clamp((r - d) / 1.2 + 0.5, 0, 1)
        lit = 1 + 0.25 * ((Xs - tx) * sx + (Ys - ty) * sy) / max(r, 1)
        colt = torch.tensor(col).view(3, 1, 1) * lit[None]
        dst.mul_(1 - m[None]).add_(colt * m[None])
    img = img.clamp(0, 1)
    if sensor:
        img = apply_sensor(img, sc.sensor, x0, y0)
    return img


def apply_sensor(img, se, x0=0, y0=0):
    g = torch.Generator().manual_seed((x0 * 31 + y0 * 17 + 12345) & 0x7FFFFFFF)
    img = blur(img, se["blur"])
    if se["haze"] > 0:
        img = img * (1 - se["haze"]) + torch.tensor(se["haze_col"]).view(3, 1, 1) * se["haze"]
    img = (img - 0.5) * se["contrast"] + 0.5 + se["bright"]
    img = img * torch.tensor(se["wb"]).view(3, 1, 1)
    img = img.clamp(0, 1) ** se["gamma"]
    img = img + torch.randn(img.shape, generator=g) * se["noise"]
    img = img.clamp(0, 1)
    if se.get("jpeg"):
        img = jpeg_like(img, se["jpeg"])
    return img


def visible_fraction(sc, o, x0, y0, w, h):
    """Share of the object's silhouette inside the window and not under tree crowns."""
    pts = o["pts"]
    inside = (pts[:, 0] >= x0) & (pts[:, 0] < x0 + w) & (pts[:, 1] >= y0) & (pts[:, 1] < y0 + h)
    vis = inside.clone()
    for (tx, ty, r, th, col, ts) in sc.trees:
        if th < 3.0:
            continue  # rocks / bushes do not hide objects
        b = o["box"]
        if tx + r < b[0] or tx - r > b[2] or ty + r < b[1] or ty - r > b[3]:
            continue
        vis &= torch.hypot(pts[:, 0] - tx, pts[:, 1] - ty) > r
    return float(vis.float().mean())


def labels_for(sc, x0, y0, w, h, min_vis=0.4):
    boxes, cls = [], []
    for o in sc.objects:
        if o.get("cls", -1) < 0:
            continue
        b = o["box"]
        if b[2] <= x0 or b[0] >= x0 + w or b[3] <= y0 or b[1] >= y0 + h:
            continue
        if visible_fraction(sc, o, x0, y0, w, h) < min_vis:
            continue
        boxes.append([max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x0 + w) - x0, min(b[3], y0 + h) - y0])
        cls.append(o["cls"])
    return boxes, cls


def make_tile(A, seed, size=1024, gsd=None, empty_p=0.25, jpeg="torch", version=GEN_VERSION):
    """-> (uint8 tensor (3,size,size), boxes [[x1,y1,x2,y2]...] px, classes [int], meta)

    jpeg: "torch" (DCT approximation, no extra dependency), "pil" (real JPEG via
    PIL; meta["jpeg_bytes"] holds the file) or "none".
    """
    sc = make_tile_scene(A, seed, size, gsd, empty_p, version)
    q = sc.sensor["jpeg"]
    if jpeg != "torch":
        sc.sensor["jpeg"] = 0
    img = render_region(A, sc, 0, 0, size, size)
    sc.sensor["jpeg"] = q
    boxes, cls = labels_for(sc, 0, 0, size, size)
    meta = {"seed": seed, "gsd": sc.gsd, "sensor": sc.sensor, "version": version}
    u8 = (img * 255 + 0.5).clamp(0, 255).to(torch.uint8)
    if jpeg == "pil":
        import io

        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(u8.permute(1, 2, 0).numpy()).save(buf, "JPEG", quality=int(q))
        meta["jpeg_bytes"] = buf.getvalue()
        u8 = torch.from_numpy(__import__("numpy").asarray(Image.open(io.BytesIO(meta["jpeg_bytes"])).convert("RGB")).copy()).permute(2, 0, 1).contiguous()
    return u8, boxes, cls, meta


DEFAULT_PACK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "cache", "gpu", "odgi")
