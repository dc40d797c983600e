/**
 * sRGB ↔ Lab: the constants the model was trained with (scikit-image's),
 * exact round trips, and the fast strip paths against the exact ones.
 */
import { describe, expect, it } from 'vitest';
import { GRAY_TO_L, fyabToSrgb8, labToRgb, labToSrgb8, lToFy, rawToL, rgb8ToL, rgbToLab } from '../../../../electron/engine/pipelines/colorize/lab';
import { Xoshiro128 } from '../../../../electron/engine/pipelines/colorize/rng';

describe('Lab', () => {
  it('matches known values (scikit-image constants, D65)', () => {
    const white = rgbToLab(1, 1, 1);
    expect(white[0]).toBeCloseTo(100, 4);
    expect(Math.abs(white[1])).toBeLessThan(1e-3);
    expect(Math.abs(white[2])).toBeLessThan(1e-3);
    expect(rgbToLab(0, 0, 0)).toEqual([0, 0, 0]);
    // training/pic/model.py rgb_to_lab (float64): red → 53.24059, 80.09418, 67.20153
    const red = rgbToLab(1, 0, 0);
    expect(red[0]).toBeCloseTo(53.24059, 4);
    expect(red[1]).toBeCloseTo(80.09418, 4);
    expect(red[2]).toBeCloseTo(67.20153, 4);
    // … and (0.2, 0.6, 0.9) → 60.929534, −3.058549, −46.841822
    const blue = rgbToLab(0.2, 0.6, 0.9);
    expect(blue[0]).toBeCloseTo(60.929534, 4);
    expect(blue[1]).toBeCloseTo(-3.058549, 4);
    expect(blue[2]).toBeCloseTo(-46.841822, 4);
    // Gray has no chroma; its L rises with v.
    for (let v = 0; v < 256; v++) {
      const [L, a, b] = rgbToLab(v / 255, v / 255, v / 255);
      expect(Math.abs(a) + Math.abs(b)).toBeLessThan(1e-3);
      expect(GRAY_TO_L[v]).toBeCloseTo(L, 4);
      if (v) expect(GRAY_TO_L[v]).toBeGreaterThan(GRAY_TO_L[v - 1]);
    }
  });

  it('round-trips every 8-bit gray and 20,000 random colours exactly (float), and to the same 8-bit value', () => {
    const rng = new Xoshiro128(7);
    let worst = 0;
    let wrong8 = 0;
    for (let i = 0; i < 20_256; i++) {
      const rgb = i < 256 ? [i, i, i] : [rng.nextUint32() & 255, rng.nextUint32() & 255, rng.nextUint32() & 255];
      const [L, a, b] = rgbToLab(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255);
      const back = labToRgb(L, a, b);
      for (let c = 0; c < 3; c++) {
        worst = Math.max(worst, Math.abs(back[c] - rgb[c] / 255));
        if (Math.round(back[c] * 255) !== rgb[c]) wrong8++;
      }
    }
    expect(worst).toBeLessThan(1e-9);
    expect(wrong8).toBe(0);
  });

  it('fast strip paths agree with the exact conversion (L exactly, 8-bit sRGB within one level)', () => {
    const rng = new Xoshiro128(11);
    const n = 50_000;
    const raw = new Uint8Array(n * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = rng.nextUint32() & 255;
    const L = new Float32Array(n);
    rawToL(raw, 3, n, L);
    const fy = new Float32Array(n);
    const Y = new Float32Array(n);
    lToFy(L, n, fy, Y);
    const out = new Uint8Array(3);
    const out2 = new Uint8Array(3);
    let exact = 0;
    let worstL = 0;
    let worstLevel = 0;
    let fastMismatch = 0;
    for (let i = 0; i < n; i++) {
      const [r, g, b] = [raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]];
      worstL = Math.max(worstL, Math.abs(L[i] - rgbToLab(r / 255, g / 255, b / 255)[0]), Math.abs(rgb8ToL(r, g, b) - L[i]));
      // A chroma drawn at random, possibly out of gamut: both paths clip the same way.
      const a = (rng.nextOpen01() - 0.5) * 200;
      const bb = (rng.nextOpen01() - 0.5) * 200;
      const want = labToRgb(L[i], a, bb).map((v) => Math.round(v * 255));
      labToSrgb8(L[i], a, bb, out, 0);
      fyabToSrgb8(fy[i], Y[i], a, bb, out2, 0);
      for (let c = 0; c < 3; c++) {
        worstLevel = Math.max(worstLevel, Math.abs(out[c] - want[c]));
        if (out2[c] !== out[c]) fastMismatch++;
      }
      if (out[0] === want[0] && out[1] === want[1] && out[2] === want[2]) exact++;
    }
    expect(worstL).toBeLessThan(1e-4);
    expect(worstLevel).toBeLessThanOrEqual(1);
    expect(fastMismatch).toBe(0);
    expect(exact / n).toBeGreaterThan(0.99);
  });

  it('keeps L when a colour photo is desaturated and colourised again with zero chroma', () => {
    const out = new Uint8Array(3);
    for (const rgb of [[200, 30, 40], [20, 120, 240], [90, 200, 70]]) {
      const L = rgb8ToL(rgb[0], rgb[1], rgb[2]);
      labToSrgb8(L, 0, 0, out, 0);
      expect(out[0]).toBe(out[1]);
      expect(out[1]).toBe(out[2]);
      expect(GRAY_TO_L[out[0]]).toBeCloseTo(L, 0);
    }
  });
});
