"""Minimal AC3D (.ac) reader and an orthographic top-down rasteriser (numpy).

Used offline (locally) to turn FlightGear's 3-D models into top-down sprites:
RGBA colour plus a height map (metres above ground) used for cast shadows.

AC3D conventions: text format, y axis is up, every OBJECT has an optional
`rot` (3x3, row-major) and `loc` relative to its parent, vertices are local.
Surfaces are polygons (type 0) or lines (types 1, 2; skipped); `refs` lines are
`vertex_index u v`.
"""
from __future__ import annotations

import os
import re

import numpy as np
from PIL import Image


class Material:
    __slots__ = ("rgb", "trans")

    def __init__(self, rgb, trans):
        self.rgb = np.asarray(rgb, np.float32)
        self.trans = float(trans)


class Poly:
    """One OBJECT poly flattened to world coordinates."""

    def __init__(self):
        self.texture = None
        self.texrep = (1.0, 1.0)
        self.texoff = (0.0, 0.0)
        self.verts = None  # (V, 3) world
        self.tris = []  # list of (mat, (i0,u0,v0), (i1,u1,v1), (i2,u2,v2))


def _tok(line):
    return line.strip().split()


def parse_ac(path):
    """Returns (materials, polys, names) with vertices in world coordinates."""
    with open(path, "r", encoding="latin-1") as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith("AC3D"):
        raise ValueError(f"not an AC3D file: {path}")
    mats = []
    polys = []
    names = []
    pos = 1
    mat_re = re.compile(r'MATERIAL\s+"?(.*?)"?\s+rgb\s+([-\d.e]+)\s+([-\d.e]+)\s+([-\d.e]+).*?trans\s+([-\d.e]+)')

    def read_object(M):
        nonlocal pos
        header = _tok(lines[pos])
        assert header[0] == "OBJECT", (path, pos, lines[pos])
        otype = header[1] if len(header) > 1 else "poly"
        pos += 1
        rot = np.eye(3)
        loc = np.zeros(3)
        poly = Poly()
        verts_local = None
        name = ""
        kids = 0
        while pos < len(lines):
            t = _tok(lines[pos])
            if not t:
                pos += 1
                continue
            k = t[0]
            if k == "name":
                name = lines[pos].strip()[5:].strip().strip('"')
                pos += 1
            elif k == "data":
                n = int(t[1])
                pos += 1
                # data may span several lines; consume characters
                consumed = 0
                while consumed < n and pos < len(lines):
                    consumed += len(lines[pos]) + 1
                    pos += 1
            elif k == "texture":
                poly.texture = lines[pos].strip()[8:].strip().strip('"')
                pos += 1
            elif k == "texrep":
                poly.texrep = (float(t[1]), float(t[2]))
                pos += 1
            elif k == "texoff":
                poly.texoff = (float(t[1]), float(t[2]))
                pos += 1
            elif k == "rot":
                rot = np.array([float(x) for x in t[1:10]]).reshape(3, 3)
                pos += 1
            elif k == "loc":
                loc = np.array([float(x) for x in t[1:4]])
                pos += 1
            elif k == "numvert":
                n = int(t[1])
                pos += 1
                arr = np.array([[float(x) for x in lines[pos + i].split()[:3]] for i in range(n)], np.float64) if n else np.zeros((0, 3))
                pos += n
                verts_local = arr
            elif k == "numsurf":
                n = int(t[1])
                pos += 1
                for _ in range(n):
                    st = _tok(lines[pos])
                    assert st[0] == "SURF", (path, pos)
                    flags = int(st[1], 16)
                    pos += 1
                    mat = 0
                    refs = []
                    while True:
                        tt = _tok(lines[pos])
                        if tt[0] == "mat":
                            mat = int(tt[1])
                            pos += 1
                        elif tt[0] == "refs":
                            nr = int(tt[1])
                            pos += 1
                            for j in range(nr):
                                r = lines[pos + j].split()
                                refs.append((int(r[0]), float(r[1]) if len(r) > 1 else 0.0, float(r[2]) if len(r) > 2 else 0.0))
                            pos += nr
                            break
                        else:
                            pos += 1
                    if (flags & 0xF) != 0 or len(refs) < 3:
                        continue
                    for j in range(1, len(refs) - 1):  # fan triangulation
                        poly.tris.append((mat, refs[0], refs[j], refs[j + 1]))
            elif k == "kids":
                kids = int(t[1])
                pos += 1
                break
            else:
                pos += 1
        # AC3D: child transform = parent @ [rot | loc]
        T = np.eye(4)
        T[:3, :3] = rot
        T[:3, 3] = loc
        Mw = M @ T
        names.append(name)
        if otype == "poly" and verts_local is not None and len(verts_local) and poly.tris:
            vh = np.c_[verts_local, np.ones(len(verts_local))]
            poly.verts = (vh @ Mw.T)[:, :3]
            polys.append(poly)
        for _ in range(kids):
            while pos < len(lines) and not lines[pos].strip():
                pos += 1
            if pos >= len(lines) or not lines[pos].startswith("OBJECT"):
                break  # truncated or inconsistent kids count
            read_object(Mw)

    while pos < len(lines):
        line = lines[pos]
        if line.startswith("MATERIAL"):
            m = mat_re.match(line)
            if m:
                mats.append(Material([float(m.group(i)) for i in (2, 3, 4)], float(m.group(5))))
            else:
                mats.append(Material([0.7, 0.7, 0.7], 0.0))
            pos += 1
        elif line.startswith("OBJECT"):
            read_object(np.eye(4))
        else:
            pos += 1
    return mats, polys, names


_tex_cache: dict = {}


def load_texture(model_dir, name):
    """Loads a texture as float32 RGBA (H, W, 4) in [0,1]; None if missing."""
    if not name:
        return None
    cands = [os.path.join(model_dir, name), os.path.join(model_dir, os.path.basename(name))]
    base, _ = os.path.splitext(os.path.basename(name))
    for ext in (".png", ".rgb", ".rgba", ".sgi", ".jpg", ".bmp"):
        cands.append(os.path.join(model_dir, base + ext))
    for c in cands:
        if os.path.isfile(c):
            if c in _tex_cache:
                return _tex_cache[c]
            try:
                im = Image.open(c).convert("RGBA")
            except Exception:
                continue
            arr = np.asarray(im, np.float32) / 255.0
            _tex_cache[c] = arr
            return arr
    return None


def render_topdown(path, gsd=0.05, sun=(0.3, 1.0, 0.2), margin=2):
    """Rasterises a model seen from above (looking down -y).

    Image axes: column = +x, row = +z. Returns dict with
      rgba: (H, W, 4) float32, height: (H, W) float32 metres above the model's
      lowest point, extent: (xmin, xmax, ymin, ymax, zmin, zmax) metres.
    """
    model_dir = os.path.dirname(path)
    mats, polys, _ = parse_ac(path)
    if not polys:
        raise ValueError("no polygons")
    allv = np.concatenate([p.verts for p in polys])
    mn, mx = allv.min(0), allv.max(0)
    W = int(np.ceil((mx[0] - mn[0]) / gsd)) + 2 * margin
    H = int(np.ceil((mx[2] - mn[2]) / gsd)) + 2 * margin
    if W * H > 4000 * 4000:
        raise ValueError(f"too large: {W}x{H}")
    color = np.zeros((H, W, 3), np.float32)
    alpha = np.zeros((H, W), np.float32)
    zbuf = np.full((H, W), -np.inf, np.float32)
    sunv = np.asarray(sun, np.float64)
    sunv /= np.linalg.norm(sunv)
    for p in polys:
        tex = load_texture(model_dir, p.texture)
        v = p.verts
        px = (v[:, 0] - mn[0]) / gsd + margin  # column
        py = (v[:, 2] - mn[2]) / gsd + margin  # row
        h = v[:, 1] - mn[1]
        for (mi, r0, r1, r2) in p.tris:
            i0, i1, i2 = r0[0], r1[0], r2[0]
            if max(i0, i1, i2) >= len(v):
                continue
            mat = mats[mi] if mi < len(mats) else Material([0.7, 0.7, 0.7], 0)
            if mat.trans > 0.85:
                continue
            x0, x1, x2 = px[i0], px[i1], px[i2]
            y0, y1, y2 = py[i0], py[i1], py[i2]
            den = (y1 - y2) * (x0 - x2) + (x2 - x1) * (y0 - y2)
            if abs(den) < 1e-9:
                continue  # vertical face seen edge-on
            cmin = max(int(np.floor(min(x0, x1, x2))), 0)
            cmax = min(int(np.ceil(max(x0, x1, x2))), W - 1)
            rmin = max(int(np.floor(min(y0, y1, y2))), 0)
            rmax = min(int(np.ceil(max(y0, y1, y2))), H - 1)
            if cmax < cmin or rmax < rmin:
                continue
            gx, gy = np.meshgrid(np.arange(cmin, cmax + 1) + 0.5, np.arange(rmin, rmax + 1) + 0.5)
            w0 = ((y1 - y2) * (gx - x2) + (x2 - x1) * (gy - y2)) / den
            w1 = ((y2 - y0) * (gx - x2) + (x0 - x2) * (gy - y2)) / den
            w2 = 1.0 - w0 - w1
            inside = (w0 >= -1e-6) & (w1 >= -1e-6) & (w2 >= -1e-6)
            if not inside.any():
                continue
            z = w0 * h[i0] + w1 * h[i1] + w2 * h[i2]
            sub_z = zbuf[rmin:rmax + 1, cmin:cmax + 1]
            upd = inside & (z > sub_z)
            if not upd.any():
                continue
            # flat Lambert shading from the face normal (y up)
            a, b, c = v[i0], v[i1], v[i2]
            n = np.cross(b - a, c - a)
            nn = np.linalg.norm(n)
            n = n / nn if nn > 0 else np.array([0, 1.0, 0])
            if n[1] < 0:
                n = -n
            shade = 0.55 + 0.45 * max(0.0, float(n @ sunv))
            if tex is not None:
                th, tw = tex.shape[:2]
                u = (w0 * r0[1] + w1 * r1[1] + w2 * r2[1]) * p.texrep[0] + p.texoff[0]
                vv = (w0 * r0[2] + w1 * r1[2] + w2 * r2[2]) * p.texrep[1] + p.texoff[1]
                tx = np.mod(np.floor(u * tw), tw).astype(np.int64)
                ty = np.mod(np.floor((1.0 - vv) * th), th).astype(np.int64)
                s = tex[ty, tx]
                col = s[..., :3]
                upd = upd & (s[..., 3] > 0.4)
                if not upd.any():
                    continue
            else:
                col = np.broadcast_to(mat.rgb, gx.shape + (3,))
            sub_c = color[rmin:rmax + 1, cmin:cmax + 1]
            sub_c[upd] = np.clip(col[upd] * shade, 0, 1)
            sub_z[upd] = z[upd]
            alpha[rmin:rmax + 1, cmin:cmax + 1][upd] = 1.0
    height = np.where(alpha > 0, zbuf, 0).astype(np.float32)
    rgba = np.dstack([color, alpha])
    return {"rgba": rgba, "height": height,
            "extent": [float(mn[0]), float(mx[0]), float(mn[1]), float(mx[1]), float(mn[2]), float(mx[2])]}
