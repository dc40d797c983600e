"""PIC (Probabilistic Image Colorization, Royer et al. 2017): our own PyTorch implementation.

* Lab colour space. The embedding network g reads the full-resolution gray L and produces a
  spatial embedding at the chroma grid (h = H / ds). Its first 8K channels are read as an
  auxiliary, non-autoregressive mixture prediction (the "CNN likelihood" head / instant preview).
* A conditional PixelCNN++ decoder (single resolution, gated residual blocks, a vertical stream u
  and a horizontal stream ul, spatial conditioning through 1x1 convs) models
  p(ab | L) = prod_i p(ab_i | ab_<i, L) over the low-resolution ab grid in raster order.
* Output: mixture of K discretised logistics over 256 levels per channel with the PIC Lab
  parametrisation (8 numbers per component): mu_a = m_a + c0 L, mu_b = m_b + c1 L + c2 a.

Channel layout of a parameter vector (8K channels), used everywhere (loss, sampler, ONNX):
    [0, K)      mixture logits
    [K, 2K)     m_a      [2K, 3K)  m_b
    [3K, 4K)    log s_a  [4K, 5K)  log s_b     (clamped >= -7)
    [5K, 6K)    c0 (L->a) [6K, 7K) c1 (L->b)  [7K, 8K) c2 (a->b)   (raw; tanh applied)

Canvas ("xp") fed to the decoder: 4 channels (L_low, a, b, ones), all normalised to [-1, 1];
zero rows/columns (including ones = 0) stand for padding.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

LOG_SCALE_MIN = -7.0
AB_LEVELS = 256
AB_SCALE = 128.0          # normalised ab = Lab ab / 128, clamped to [-1, 1], quantised to 256 levels


@dataclass
class PICConfig:
    size: int = 64               # input (L) resolution, square
    ds: int = 4                  # chroma downsample factor -> grid = size / ds
    emb_channels: tuple = (32, 32, 64)   # stem @size, stage @size/2, stage @size/4 (for ds=4)
    emb_dilations: tuple = (1, 2, 4)     # gated blocks at the grid resolution
    emb_dim: int = 64            # E (>= 8K)
    dec_channels: int = 64       # C
    dec_blocks: int = 3          # l
    mixtures: int = 5            # K
    dropout: float = 0.2

    @property
    def grid(self) -> int:
        return self.size // self.ds

    def to_dict(self):
        d = asdict(self)
        d["emb_channels"] = list(self.emb_channels)
        d["emb_dilations"] = list(self.emb_dilations)
        return d

    @staticmethod
    def from_dict(d):
        d = dict(d)
        d["emb_channels"] = tuple(d["emb_channels"])
        d["emb_dilations"] = tuple(d["emb_dilations"])
        return PICConfig(**d)


CONFIGS = {
    # 64^2 -> 16^2, ~0.8M + 1.4M params: trains in about an hour on 2 CPU cores
    "cpu": PICConfig(),
    # 128^2 -> 32^2 (paper resolution), sized for a short GPU run and desktop sampling:
    # embedding 32@128 -> 64@64 -> 96@32 (+4 dilated blocks), E=96; decoder C=96, l=4, K=10 (~6.6M params)
    "gpu": PICConfig(size=128, ds=4, emb_channels=(32, 64, 96), emb_dilations=(1, 2, 4, 8),
                     emb_dim=96, dec_channels=96, dec_blocks=4, mixtures=10, dropout=0.1),
    # tiny model for unit tests
    "test": PICConfig(size=16, ds=4, emb_channels=(8, 8, 16), emb_dilations=(1, 2), emb_dim=24,
                      dec_channels=8, dec_blocks=2, mixtures=3, dropout=0.0),
}


def concat_elu(x):
    return F.elu(torch.cat([x, -x], dim=1))


# --------------------------------------------------------------------------------------
# Embedding network g(L)
# --------------------------------------------------------------------------------------
class GatedResBlock(nn.Module):
    """PixelCNN++ gated residual block (no masking): concat_elu -> conv -> concat_elu -> dropout -> conv(2C) -> a*sigmoid(b)."""

    def __init__(self, c, dilation=1, dropout=0.0):
        super().__init__()
        self.conv1 = nn.Conv2d(2 * c, c, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(2 * c, 2 * c, 3, padding=dilation, dilation=dilation)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = self.conv1(concat_elu(x))
        h = self.drop(concat_elu(h))
        a, b = self.conv2(h).chunk(2, dim=1)
        return x + a * torch.sigmoid(b)


class Embedding(nn.Module):
    def __init__(self, cfg: PICConfig):
        super().__init__()
        c0, c1, c2 = cfg.emb_channels
        n_down = int(round(math.log2(cfg.ds)))
        assert 2 ** n_down == cfg.ds and n_down == 2, "embedding assumes ds = 4 (two stride-2 stages)"
        self.stem = nn.Conv2d(2, c0, 3, padding=1)              # input: (L, ones)
        self.down1 = nn.Conv2d(c0, c1, 3, stride=2, padding=1)
        self.block1 = GatedResBlock(c1, 1, cfg.dropout)
        self.down2 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.blocks = nn.ModuleList([GatedResBlock(c2, d, cfg.dropout) for d in cfg.emb_dilations])
        self.out = nn.Conv2d(2 * c2, cfg.emb_dim, 3, padding=1)
        assert cfg.emb_dim >= 8 * cfg.mixtures

    def forward(self, L):
        x = torch.cat([L, torch.ones_like(L)], 1)
        x = self.stem(x)
        x = self.block1(self.down1(F.elu(x)))
        x = self.down2(F.elu(x))
        for b in self.blocks:
            x = b(x)
        return self.out(concat_elu(x))


# --------------------------------------------------------------------------------------
# Conditional PixelCNN++ decoder f(ab | emb)
# --------------------------------------------------------------------------------------
def down_shift(x):
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def right_shift(x):
    return F.pad(x, (1, 0, 0, 0))[:, :, :, :-1]


class DownShiftedConv(nn.Conv2d):
    """Output (r, c) sees input rows r-kh+1..r, columns c-(kw-1)/2 .. c+(kw-1)/2."""

    def forward(self, x):
        kh, kw = self.kernel_size
        return super().forward(F.pad(x, ((kw - 1) // 2, (kw - 1) // 2, kh - 1, 0)))


class DownRightShiftedConv(nn.Conv2d):
    """Output (r, c) sees input rows r-kh+1..r, columns c-kw+1..c."""

    def forward(self, x):
        kh, kw = self.kernel_size
        return super().forward(F.pad(x, (kw - 1, 0, kh - 1, 0)))


class CondGatedRes(nn.Module):
    def __init__(self, c, aux_c, conv_cls, dropout):
        super().__init__()
        self.conv1 = conv_cls(2 * c, c, 3)
        self.aux = nn.Conv2d(2 * aux_c, c, 1)
        self.conv2 = conv_cls(2 * c, 2 * c, 3)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, aux):
        c1 = self.conv1(concat_elu(x)) + self.aux(concat_elu(aux))
        h = self.drop(concat_elu(c1))
        a, b = self.conv2(h).chunk(2, dim=1)
        return x + a * torch.sigmoid(b), c1


class Decoder(nn.Module):
    def __init__(self, cfg: PICConfig):
        super().__init__()
        C, E = cfg.dec_channels, cfg.emb_dim
        self.u_init = DownShiftedConv(4, C, (2, 3))
        self.ulv_init = DownShiftedConv(4, C, (1, 3))
        self.ulh_init = DownRightShiftedConv(4, C, (2, 1))
        self.u_blocks = nn.ModuleList([CondGatedRes(C, E, DownShiftedConv, cfg.dropout) for _ in range(cfg.dec_blocks)])
        self.ul_blocks = nn.ModuleList([CondGatedRes(C, C + E, DownRightShiftedConv, cfg.dropout)
                                        for _ in range(cfg.dec_blocks)])
        self.out = nn.Conv2d(C, 8 * cfg.mixtures, 1)

    def forward(self, xp, emb, return_internals=False):
        """xp: [B,4,h,w] canvas (L_low, a, b, ones); emb: [B or 1,E,h,w]. Returns params [B,8K,h,w]."""
        if emb.shape[0] != xp.shape[0]:
            emb = emb.expand(xp.shape[0], -1, -1, -1)
        u = down_shift(self.u_init(xp))
        ul = down_shift(self.ulv_init(xp)) + right_shift(self.ulh_init(xp))
        inter = {"u_in": [], "u_c1": [], "ul_in": [], "ul_c1": [], "ul0": ul}
        for ub, lb in zip(self.u_blocks, self.ul_blocks):
            inter["u_in"].append(u)
            u, uc1 = ub(u, emb)
            inter["u_c1"].append(uc1)
            inter["ul_in"].append(ul)
            ul, lc1 = lb(ul, torch.cat([u, emb], 1))
            inter["ul_c1"].append(lc1)
        params = self.out(F.elu(ul))
        return (params, inter) if return_internals else params


class PIC(nn.Module):
    def __init__(self, cfg: PICConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = Embedding(cfg)
        self.decoder = Decoder(cfg)

    def forward(self, L, ab):
        """Teacher-forced pass. L: [B,1,H,W] normalised; ab: [B,2,h,w] normalised+quantised.
        Returns (decoder params, embedding-head params), both [B,8K,h,w]."""
        emb = self.embed(L)
        L_low = lowres_L(L, self.cfg.ds)
        xp = make_canvas(L_low, ab)
        params = self.decoder(xp, emb)
        return params, emb[:, :8 * self.cfg.mixtures]


def lowres_L(L, ds):
    return F.avg_pool2d(L, ds)


def make_canvas(L_low, ab):
    return torch.cat([L_low, ab, torch.ones_like(L_low)], 1)


# --------------------------------------------------------------------------------------
# Discretised logistic mixture (PIC Lab parametrisation)
# --------------------------------------------------------------------------------------
def split_params(p, K):
    logits = p[:, 0:K]
    m_a, m_b = p[:, K:2 * K], p[:, 2 * K:3 * K]
    ls_a = torch.clamp(p[:, 3 * K:4 * K], min=LOG_SCALE_MIN)
    ls_b = torch.clamp(p[:, 4 * K:5 * K], min=LOG_SCALE_MIN)
    c0, c1, c2 = torch.tanh(p[:, 5 * K:6 * K]), torch.tanh(p[:, 6 * K:7 * K]), torch.tanh(p[:, 7 * K:8 * K])
    return logits, m_a, m_b, ls_a, ls_b, c0, c1, c2


def _disc_logistic_logprob(x, mu, log_s):
    """log P(bin of x) for a logistic(mu, exp(log_s)) discretised to 256 bins on [-1, 1]."""
    half = 1.0 / (AB_LEVELS - 1)
    centered = x - mu
    inv_s = torch.exp(-log_s)
    plus_in = inv_s * (centered + half)
    min_in = inv_s * (centered - half)
    cdf_plus = torch.sigmoid(plus_in)
    cdf_min = torch.sigmoid(min_in)
    log_cdf_plus = plus_in - F.softplus(plus_in)           # log sigmoid(plus_in), for the x = -1 edge
    log_one_minus_cdf_min = -F.softplus(min_in)           # log(1 - sigmoid(min_in)), for the x = +1 edge
    cdf_delta = cdf_plus - cdf_min
    mid_in = inv_s * centered
    log_pdf_mid = mid_in - log_s - 2.0 * F.softplus(mid_in)  # fallback when the bin mass underflows
    inner = torch.where(cdf_delta > 1e-5, torch.log(torch.clamp(cdf_delta, min=1e-12)),
                        log_pdf_mid + math.log(2 * half))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, inner))


def mixture_logprob(params, ab, L_low, K):
    """Per-pixel log p(a, b | params) [B,h,w]. ab [B,2,h,w] ground truth; L_low [B,1,h,w]."""
    logits, m_a, m_b, ls_a, ls_b, c0, c1, c2 = split_params(params, K)
    a, b = ab[:, 0:1], ab[:, 1:2]
    mu_a = m_a + c0 * L_low
    mu_b = m_b + c1 * L_low + c2 * a
    lp = _disc_logistic_logprob(a, mu_a, ls_a) + _disc_logistic_logprob(b, mu_b, ls_b)
    return torch.logsumexp(lp + F.log_softmax(logits, dim=1), dim=1)


def bits_per_dim(params, ab, L_low, K):
    lp = mixture_logprob(params, ab, L_low, K)
    return -lp.mean() / (2.0 * math.log(2.0))


def mixture_mean(params, L_low, K):
    """Mean of the mixture (ignoring discretisation/clamping): the one-pass preview. [B,2,h,w]"""
    logits, m_a, m_b, _, _, c0, c1, c2 = split_params(params, K)
    pi = torch.softmax(logits, dim=1)
    mu_a = m_a + c0 * L_low
    mu_b = m_b + c1 * L_low + c2 * mu_a
    return torch.clamp(torch.cat([(pi * mu_a).sum(1, keepdim=True), (pi * mu_b).sum(1, keepdim=True)], 1), -1, 1)


def quantise(x):
    """Snap normalised values to the 256-level grid on [-1, 1]."""
    return torch.round((torch.clamp(x, -1.0, 1.0) + 1.0) * ((AB_LEVELS - 1) / 2.0)) / ((AB_LEVELS - 1) / 2.0) - 1.0


def sample_pixel(params, L_px, u_mix, u_log, temperature, K):
    """Sample (a, b) at one pixel for N samples.

    params [N,8K,1,1], L_px [N or 1,1,1,1], u_mix [N,K,1,1], u_log [N,2,1,1], temperature [1].
    1. component k = argmax(logits / max(T, 1e-4) - log(-log(u_mix)))   (Gumbel-max; one k for a and b)
    2. a = mu_a,k + exp(log s_a,k) * T * (log u - log(1 - u)), u = u_log[:,0]; clamp to [-1,1]; snap to grid
    3. b likewise with mu_b,k = m_b,k + c1 L + c2 a (using the sampled, snapped a) and u = u_log[:,1]
    Uniforms are clamped to [1e-5, 1 - 1e-5]. Returns ab [N,2,1,1] (normalised, on the 256-level grid).
    """
    logits, m_a, m_b, ls_a, ls_b, c0, c1, c2 = split_params(params, K)
    um = torch.clamp(u_mix, 1e-5, 1.0 - 1e-5)
    ul = torch.clamp(u_log, 1e-5, 1.0 - 1e-5)
    t = temperature.reshape(1, 1, 1, 1)
    g = logits / torch.clamp(t, min=1e-4) - torch.log(-torch.log(um))
    onehot = (g == g.max(dim=1, keepdim=True)[0]).to(params.dtype)
    onehot = onehot / onehot.sum(dim=1, keepdim=True)          # ties (probability ~0) average instead of double-counting

    def pick(v):
        return (v * onehot).sum(dim=1, keepdim=True)

    noise_a = torch.log(ul[:, 0:1]) - torch.log(1.0 - ul[:, 0:1])
    noise_b = torch.log(ul[:, 1:2]) - torch.log(1.0 - ul[:, 1:2])
    a = pick(m_a + c0 * L_px) + torch.exp(pick(ls_a)) * t * noise_a
    a = quantise(a)
    b = pick(m_b + c1 * L_px + c2 * a) + torch.exp(pick(ls_b)) * t * noise_b
    b = quantise(b)
    return torch.cat([a, b], 1)


# --------------------------------------------------------------------------------------
# Colour conversion (torch, differentiable-free)
# --------------------------------------------------------------------------------------
_M_RGB2XYZ = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                           [0.019334, 0.119193, 0.950227]])
_WHITE = torch.tensor([0.950456, 1.0, 1.088754])


def rgb_to_lab(rgb):
    """rgb [B,3,H,W] in [0,1] (sRGB) -> Lab [B,3,H,W] (L in [0,100])."""
    c = torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = torch.einsum("ij,bjhw->bihw", _M_RGB2XYZ.to(rgb), c) / _WHITE.to(rgb).view(1, 3, 1, 1)
    f = torch.where(xyz > 0.008856, xyz.clamp(min=1e-12) ** (1.0 / 3.0), 7.787 * xyz + 16.0 / 116.0)
    L = 116.0 * f[:, 1:2] - 16.0
    a = 500.0 * (f[:, 0:1] - f[:, 1:2])
    b = 200.0 * (f[:, 1:2] - f[:, 2:3])
    return torch.cat([L.clamp(0, 100), a, b], 1)


def lab_to_rgb(lab):
    """Lab [B,3,H,W] -> sRGB [B,3,H,W] clipped to [0,1]."""
    L, a, b = lab[:, 0:1], lab[:, 1:2], lab[:, 2:3]
    fy = (L + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = fy - b / 200.0
    f = torch.cat([fx, fy, fz], 1)
    xyz = torch.where(f > 0.206893, f ** 3, (f - 16.0 / 116.0) / 7.787) * _WHITE.to(lab).view(1, 3, 1, 1)
    rgb_lin = torch.einsum("ij,bjhw->bihw", torch.inverse(_M_RGB2XYZ).to(lab), xyz).clamp(0, 1)
    rgb = torch.where(rgb_lin <= 0.0031308, 12.92 * rgb_lin, 1.055 * rgb_lin.clamp(min=1e-12) ** (1 / 2.4) - 0.055)
    return rgb.clamp(0, 1)


def normalise_L(L):
    return L / 50.0 - 1.0


def normalise_ab(ab):
    return quantise(ab / AB_SCALE)


def rgb_to_inputs(rgb, ds):
    """rgb [B,3,H,W] in [0,1] -> (L_n [B,1,H,W], ab_n low-res quantised [B,2,H/ds,W/ds])."""
    lab = rgb_to_lab(rgb)
    L_n = normalise_L(lab[:, 0:1])
    ab_n = normalise_ab(F.avg_pool2d(lab[:, 1:3], ds))
    return L_n, ab_n
