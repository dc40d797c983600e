"""Cached O(1)-per-pixel sampling for the PIC decoder: the `embed` / `row` / `pixel` graphs.

Exact re-arrangement of Decoder.forward (pic.md §2.2 option B): convolution is linear over
kernel rows, so for every horizontal-stream conv the row graph pre-computes the contribution of
the two rows above (plus bias, plus the conditioning term) and the pixel graph only applies the
last kernel row to a 3-column window of the current row.

All state is explicit tensors with static shapes (batch axis N); the caller feeds the outputs
of one call back as inputs of the next (see README.md "Sampler contract"):

  embed(L[1,1,S,S])                     -> emb[1,E,h,w], L_low[1,1,h,w], aux_params[1,8K,h,w], preview_ab[1,2,h,w]
  row(emb, canvas, r_onehot, cache_u, cache_c, hist_ul, hist_c1, row_ul, row_c1)
                                        -> ul0, p1, p2, cache_u_out, cache_c_out, hist_ul_out, hist_c1_out
  pixel(ul0, p1, p2, canvas, row_ul, row_c1, L_low, r_onehot, c_onehot, u_mix, u_log, temperature)
                                        -> canvas_out, row_ul_out, row_c1_out, ab, params
Row/column selection uses one-hot masks (multiply + ReduceSum: exact, no Gather/ScatterND).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from model import PIC, concat_elu, lowres_L, mixture_mean, sample_pixel


def _shift_mask(onehot, k, dim):
    """mask[j] = onehot[j + k] along dim (zeros shifted in): marks index (i - k) when onehot marks i."""
    n = onehot.shape[dim]
    sl = onehot.narrow(dim, k, n - k)
    pad = [0, 0] * (onehot.dim() - 1 - dim) + [0, k]
    return F.pad(sl, pad)


class EmbedGraph(nn.Module):
    def __init__(self, model: PIC):
        super().__init__()
        self.model = model

    def forward(self, L):
        K = self.model.cfg.mixtures
        emb = self.model.embed(L)
        L_low = lowres_L(L, self.model.cfg.ds)
        aux = emb[:, :8 * K]
        return emb, L_low, aux, mixture_mean(aux, L_low, K)


class RowGraph(nn.Module):
    def __init__(self, model: PIC):
        super().__init__()
        self.dec = model.decoder
        self.C = model.cfg.dec_channels
        self.l = model.cfg.dec_blocks

    def forward(self, emb, canvas, r_onehot, cache_u, cache_c, hist_ul, hist_c1, row_ul, row_c1):
        d, C = self.dec, self.C
        N = canvas.shape[0]
        m1 = _shift_mask(r_onehot, 1, 2)      # marks row r-1
        m2 = _shift_mask(r_onehot, 2, 2)      # marks row r-2
        xr1 = (canvas * m1).sum(2, keepdim=True)                  # [N,4,1,w]
        xr2 = (canvas * m2).sum(2, keepdim=True)
        valid = m1.sum(dim=(2, 3), keepdim=True)                  # 0 at r = 0 (down_shift inserts zeros)
        emb_r = (emb * r_onehot).sum(2, keepdim=True)             # [1,E,1,w]
        emb_rN = emb_r.expand(N, -1, -1, -1)

        # stream initialisations
        u = F.conv2d(F.pad(torch.cat([xr2, xr1], 2), (1, 1, 0, 0)), d.u_init.weight, d.u_init.bias) * valid
        ulv = F.conv2d(F.pad(xr1, (1, 1, 0, 0)), d.ulv_init.weight, d.ulv_init.bias) * valid
        ulh_up = F.conv2d(xr1, d.ulh_init.weight[:, :, 0:1, :], d.ulh_init.bias)
        ul0 = ulv + F.pad(ulh_up, (1, 0, 0, 0))[:, :, :, :-1]      # right shift: zero (no bias) at c = 0

        # horizontal history: rows r-2, r-1 of each block's conv inputs
        hist_ul_out = torch.cat([hist_ul[:, :, 1:2], row_ul], 2)
        hist_c1_out = torch.cat([hist_c1[:, :, 1:2], row_c1], 2)

        cu_out, cc_out, p1s, p2s = [], [], [], []
        for i, (ub, lb) in enumerate(zip(d.u_blocks, d.ul_blocks)):
            sl = slice(i * C, (i + 1) * C)
            cu = cache_u[:, sl]
            cc = cache_c[:, sl]
            stack = torch.cat([cu, u], 2)                          # rows r-2, r-1, r of the block input
            c1 = F.conv2d(F.pad(concat_elu(stack), (1, 1, 0, 0)), ub.conv1.weight, ub.conv1.bias) \
                + ub.aux(concat_elu(emb_r))
            cstack = torch.cat([cc, c1], 2)
            c2 = F.conv2d(F.pad(concat_elu(cstack), (1, 1, 0, 0)), ub.conv2.weight, ub.conv2.bias)
            a, b = c2.chunk(2, dim=1)
            cu_out.append(torch.cat([cu[:, :, 1:2], u], 2))
            cc_out.append(torch.cat([cc[:, :, 1:2], c1], 2))
            u = u + a * torch.sigmoid(b)
            # horizontal block i: upper-row partial sums (+bias, +conditioning on (u_i, emb))
            hu = hist_ul_out[:, sl]
            hc = hist_c1_out[:, sl]
            p1 = F.conv2d(F.pad(concat_elu(hu), (2, 0, 0, 0)), lb.conv1.weight[:, :, 0:2, :], lb.conv1.bias) \
                + lb.aux(concat_elu(torch.cat([u, emb_rN], 1)))
            p2 = F.conv2d(F.pad(concat_elu(hc), (2, 0, 0, 0)), lb.conv2.weight[:, :, 0:2, :], lb.conv2.bias)
            p1s.append(p1)
            p2s.append(p2)
        return (ul0, torch.cat(p1s, 1), torch.cat(p2s, 1), torch.cat(cu_out, 1), torch.cat(cc_out, 1),
                hist_ul_out, hist_c1_out)


class PixelGraph(nn.Module):
    def __init__(self, model: PIC):
        super().__init__()
        self.dec = model.decoder
        self.C = model.cfg.dec_channels
        self.K = model.cfg.mixtures

    def forward(self, ul0, p1, p2, canvas, row_ul, row_c1, L_low, r_onehot, c_onehot, u_mix, u_log, temperature):
        d, C, K = self.dec, self.C, self.K
        m1 = _shift_mask(c_onehot, 1, 3)      # column c-1
        m2 = _shift_mask(c_onehot, 2, 3)      # column c-2

        def col(t, m):
            return (t * m).sum(3, keepdim=True)

        rc = r_onehot * c_onehot                                       # [1,1,h,w]
        x_left = (canvas * (r_onehot * m1)).sum(dim=(2, 3), keepdim=True)  # [N,4,1,1]; zeros at c = 0
        L_px = (L_low * rc).sum(dim=(2, 3), keepdim=True)              # [1,1,1,1]

        ul = col(ul0, c_onehot) + F.conv2d(x_left, d.ulh_init.weight[:, :, 1:2, :])
        new_ul, new_c1 = [], []
        for i, lb in enumerate(d.ul_blocks):
            sl = slice(i * C, (i + 1) * C)
            ru, rc1 = row_ul[:, sl], row_c1[:, sl]
            win = torch.cat([concat_elu(col(ru, m2)), concat_elu(col(ru, m1)), concat_elu(ul)], 3)   # [N,2C,1,3]
            c1 = col(p1[:, sl], c_onehot) + F.conv2d(win, lb.conv1.weight[:, :, 2:3, :])
            win2 = torch.cat([concat_elu(col(rc1, m2)), concat_elu(col(rc1, m1)), concat_elu(c1)], 3)
            c2 = col(p2[:, 2 * i * C:2 * (i + 1) * C], c_onehot) + F.conv2d(win2, lb.conv2.weight[:, :, 2:3, :])
            a, b = c2.chunk(2, dim=1)
            new_ul.append(ru + ul * c_onehot)
            new_c1.append(rc1 + c1 * c_onehot)
            ul = ul + a * torch.sigmoid(b)
        params = d.out(F.elu(ul))                                      # [N,8K,1,1]
        ab = sample_pixel(params, L_px, u_mix, u_log, temperature, K)
        N = canvas.shape[0]
        val = torch.cat([L_px.expand(N, -1, -1, -1), ab, torch.ones_like(ab[:, 0:1])], 1)   # [N,4,1,1]
        canvas_out = canvas + rc * val
        return canvas_out, torch.cat(new_ul, 1), torch.cat(new_c1, 1), ab, params


def zero_state(model: PIC, N: int, dtype=torch.float32):
    cfg = model.cfg
    h = w = cfg.grid
    lC = cfg.dec_blocks * cfg.dec_channels
    z = lambda *s: torch.zeros(*s, dtype=dtype)  # noqa: E731
    return {"canvas": z(N, 4, h, w), "cache_u": z(N, lC, 2, w), "cache_c": z(N, lC, 2, w),
            "hist_ul": z(N, lC, 2, w), "hist_c1": z(N, lC, 2, w), "row_ul": z(N, lC, 1, w), "row_c1": z(N, lC, 1, w)}


def onehot(n, i, dim_shape):
    v = torch.zeros(n)
    v[i] = 1.0
    return v.reshape(dim_shape)


@torch.no_grad()
def cached_sample(model: PIC, L, uniforms_mix, uniforms_log, temperature=1.0, return_params=False, teacher_ab=None):
    """Sample N colourisations with the row/pixel decomposition (what the TS sampler does).

    L [1,1,S,S] normalised; uniforms_mix [h,w,N,K]; uniforms_log [h,w,N,2]. Returns ab [N,2,h,w].
    teacher_ab [N,2,h,w]: if given, the canvas gets these values instead of the samples (teacher forcing),
    so the returned params can be compared with the full decoder pass."""
    cfg = model.cfg
    h = w = cfg.grid
    N = uniforms_mix.shape[2]
    eg, rg, pg = EmbedGraph(model), RowGraph(model), PixelGraph(model)
    emb, L_low, _, _ = eg(L)
    st = zero_state(model, N)
    temp = torch.tensor([float(temperature)])
    all_params = torch.zeros(N, 8 * cfg.mixtures, h, w)
    for r in range(h):
        ro = onehot(h, r, (1, 1, h, 1))
        ul0, p1, p2, st["cache_u"], st["cache_c"], st["hist_ul"], st["hist_c1"] = rg(
            emb, st["canvas"], ro, st["cache_u"], st["cache_c"], st["hist_ul"], st["hist_c1"], st["row_ul"], st["row_c1"])
        st["row_ul"] = torch.zeros_like(st["row_ul"])
        st["row_c1"] = torch.zeros_like(st["row_c1"])
        for c in range(w):
            co = onehot(w, c, (1, 1, 1, w))
            um = uniforms_mix[r, c].reshape(N, cfg.mixtures, 1, 1)
            ulg = uniforms_log[r, c].reshape(N, 2, 1, 1)
            prev = st["canvas"]
            st["canvas"], st["row_ul"], st["row_c1"], _ab, params = pg(
                ul0, p1, p2, st["canvas"], st["row_ul"], st["row_c1"], L_low, ro, co, um, ulg, temp)
            if teacher_ab is not None:
                st["canvas"] = prev.clone()
                st["canvas"][:, 0, r, c] = L_low[0, 0, r, c]
                st["canvas"][:, 1:3, r, c] = teacher_ab[:, :, r, c]
                st["canvas"][:, 3, r, c] = 1.0
            all_params[:, :, r, c] = params[:, :, 0, 0]
    ab = st["canvas"][:, 1:3]
    return (ab, all_params) if return_params else ab


@torch.no_grad()
def naive_sample(model: PIC, L, uniforms_mix, uniforms_log, temperature=1.0):
    """Reference sampler: full decoder on the whole canvas for every pixel."""
    cfg = model.cfg
    h = w = cfg.grid
    N = uniforms_mix.shape[2]
    emb = model.embed(L)
    L_low = lowres_L(L, cfg.ds)
    canvas = torch.zeros(N, 4, h, w)
    temp = torch.tensor([float(temperature)])
    for r in range(h):
        for c in range(w):
            params = model.decoder(canvas, emb)[:, :, r:r + 1, c:c + 1]
            ab = sample_pixel(params, L_low[:, :, r:r + 1, c:c + 1], uniforms_mix[r, c].reshape(N, -1, 1, 1),
                              uniforms_log[r, c].reshape(N, 2, 1, 1), temp, cfg.mixtures)
            canvas[:, 0:1, r, c] = L_low[:, :, r, c]
            canvas[:, 1:3, r:r + 1, c:c + 1] = ab
            canvas[:, 3, r, c] = 1.0
    return canvas[:, 1:3]
