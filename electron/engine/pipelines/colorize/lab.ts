/**
 * sRGB ↔ CIE Lab (D65), with exactly the constants the PIC model was trained
 * with (training/pic/model.py, the same as scikit-image): the sRGB → XYZ
 * matrix of Rec. 709 primaries, white (0.950456, 1, 1.088754), the CIE
 * threshold 0.008856 and slope 7.787. `rgbToLab`/`labToRgb` are the exact
 * float64 conversions; the fast paths used on full-resolution strips
 * (`GRAY_TO_L`, `rawToL`, `labToSrgb8`) use tables built from them; their
 * 8-bit results are within one level of the exact path (tested).
 */

const M_RGB2XYZ = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
] as const;
const WHITE = [0.950456, 1.0, 1.088754] as const;

/** Inverse of a 3×3 matrix (float64), so the round trip is exact up to rounding. */
function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
const M_XYZ2RGB = invert3(M_RGB2XYZ);

/** sRGB companding, value in 0..1. */
export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.max(v, 1e-12) ** (1 / 2.4) - 0.055;
}

const f = (t: number) => (t > 0.008856 ? Math.cbrt(Math.max(t, 1e-12)) : 7.787 * t + 16 / 116);
const fInv = (t: number) => (t > 0.206893 ? t * t * t : (t - 16 / 116) / 7.787);

/** sRGB in 0..1 → Lab (L in 0..100, a and b about −128..127). L is clamped to 0..100 as in training. */
export function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const lr = srgbToLinear(r);
  const lg = srgbToLinear(g);
  const lb = srgbToLinear(b);
  const x = (M_RGB2XYZ[0][0] * lr + M_RGB2XYZ[0][1] * lg + M_RGB2XYZ[0][2] * lb) / WHITE[0];
  const y = (M_RGB2XYZ[1][0] * lr + M_RGB2XYZ[1][1] * lg + M_RGB2XYZ[1][2] * lb) / WHITE[1];
  const z = (M_RGB2XYZ[2][0] * lr + M_RGB2XYZ[2][1] * lg + M_RGB2XYZ[2][2] * lb) / WHITE[2];
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [Math.min(100, Math.max(0, 116 * fy - 16)), 500 * (fx - fy), 200 * (fy - fz)];
}

/** Lab → sRGB in 0..1 (clipped to the gamut, as in training's `lab_to_rgb`). */
export function labToRgb(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const x = fInv(fy + a / 500) * WHITE[0];
  const y = fInv(fy) * WHITE[1];
  const z = fInv(fy - b / 200) * WHITE[2];
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const lin = Math.min(1, Math.max(0, M_XYZ2RGB[i][0] * x + M_XYZ2RGB[i][1] * y + M_XYZ2RGB[i][2] * z));
    out[i] = Math.min(1, Math.max(0, linearToSrgb(lin)));
  }
  return out;
}

// ---------------------------------------------------------------- fast paths for full-resolution strips

/** L of an 8-bit sRGB gray value v (R = G = B = v): 256 entries. */
export const GRAY_TO_L: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = rgbToLab(v / 255, v / 255, v / 255)[0];
  return t;
})();

/** Linear light of an 8-bit sRGB value: 256 entries (float64 for exact sums). */
const LINEAR8 = (() => {
  const t = new Float64Array(256);
  for (let v = 0; v < 256; v++) t[v] = srgbToLinear(v / 255);
  return t;
})();

/** Lab L (0..100) of 8-bit sRGB: what "desaturate a colour photo, keep its L" means here. */
export function rgb8ToL(r: number, g: number, b: number): number {
  const y = M_RGB2XYZ[1][0] * LINEAR8[r] + M_RGB2XYZ[1][1] * LINEAR8[g] + M_RGB2XYZ[1][2] * LINEAR8[b];
  return Math.min(100, Math.max(0, 116 * f(y) - 16));
}

/**
 * Writes L (0..100) of `count` pixels of an 8-bit raw buffer (1 band gray or
 * ≥ 3 bands sRGB) into `out` starting at `outOffset`.
 */
export function rawToL(data: Uint8Array, channels: number, count: number, out: Float32Array, outOffset = 0): void {
  if (channels === 1) {
    for (let i = 0; i < count; i++) out[outOffset + i] = GRAY_TO_L[data[i]];
  } else if (channels === 2) {
    // gray + alpha
    for (let i = 0; i < count; i++) out[outOffset + i] = GRAY_TO_L[data[2 * i]];
  } else {
    for (let i = 0, p = 0; i < count; i++, p += channels) out[outOffset + i] = rgb8ToL(data[p], data[p + 1], data[p + 2]);
  }
}

/** Linear light → 8-bit sRGB through a fine table (65,536 steps; within one level of exact rounding, tested). */
const LIN_STEPS = 65536;
const LIN_TO_SRGB8 = (() => {
  const t = new Uint8Array(LIN_STEPS + 1);
  for (let i = 0; i <= LIN_STEPS; i++) t[i] = Math.round(linearToSrgb(i / LIN_STEPS) * 255);
  return t;
})();

const X0 = M_XYZ2RGB[0];
const X1 = M_XYZ2RGB[1];
const X2 = M_XYZ2RGB[2];

/**
 * The L-only part of Lab → XYZ for a strip (shared by every sample rendered
 * from the same L): fy = (L + 16) / 116 and Y = f⁻¹(fy).
 */
export function lToFy(L: Float32Array, count: number, fyOut: Float32Array, yOut: Float32Array): void {
  for (let i = 0; i < count; i++) {
    const fy = (L[i] + 16) / 116;
    fyOut[i] = fy;
    yOut[i] = fy > 0.206893 ? fy * fy * fy : (fy - 16 / 116) / 7.787;
  }
}

/** `labToSrgb8` with fy and Y precomputed (see `lToFy`). */
export function fyabToSrgb8(fy: number, y: number, a: number, b: number, out: Uint8Array, o: number): void {
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const x = (fx > 0.206893 ? fx * fx * fx : (fx - 16 / 116) / 7.787) * WHITE[0];
  const z = (fz > 0.206893 ? fz * fz * fz : (fz - 16 / 116) / 7.787) * WHITE[2];
  let r = X0[0] * x + X0[1] * y + X0[2] * z;
  let g = X1[0] * x + X1[1] * y + X1[2] * z;
  let bl = X2[0] * x + X2[1] * y + X2[2] * z;
  r = r <= 0 ? 0 : r >= 1 ? 1 : r;
  g = g <= 0 ? 0 : g >= 1 ? 1 : g;
  bl = bl <= 0 ? 0 : bl >= 1 ? 1 : bl;
  out[o] = LIN_TO_SRGB8[(r * LIN_STEPS + 0.5) | 0];
  out[o + 1] = LIN_TO_SRGB8[(g * LIN_STEPS + 0.5) | 0];
  out[o + 2] = LIN_TO_SRGB8[(bl * LIN_STEPS + 0.5) | 0];
}

/**
 * Lab → 8-bit sRGB for one pixel, written at `out[o..o+2]`. The inner loop
 * of the full-resolution join: no allocation, one table lookup per channel.
 */
export function labToSrgb8(L: number, a: number, b: number, out: Uint8Array, o: number): void {
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const x = (fx > 0.206893 ? fx * fx * fx : (fx - 16 / 116) / 7.787) * WHITE[0];
  const y = fy > 0.206893 ? fy * fy * fy : (fy - 16 / 116) / 7.787;
  const z = (fz > 0.206893 ? fz * fz * fz : (fz - 16 / 116) / 7.787) * WHITE[2];
  let r = X0[0] * x + X0[1] * y + X0[2] * z;
  let g = X1[0] * x + X1[1] * y + X1[2] * z;
  let bl = X2[0] * x + X2[1] * y + X2[2] * z;
  r = r <= 0 ? 0 : r >= 1 ? 1 : r;
  g = g <= 0 ? 0 : g >= 1 ? 1 : g;
  bl = bl <= 0 ? 0 : bl >= 1 ? 1 : bl;
  out[o] = LIN_TO_SRGB8[(r * LIN_STEPS + 0.5) | 0];
  out[o + 1] = LIN_TO_SRGB8[(g * LIN_STEPS + 0.5) | 0];
  out[o + 2] = LIN_TO_SRGB8[(bl * LIN_STEPS + 0.5) | 0];
}
