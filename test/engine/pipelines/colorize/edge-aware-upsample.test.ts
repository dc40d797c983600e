/**
 * Edge-aware upsampling of the chroma grid: on a synthetic photo whose
 * colour changes exactly where its luminance steps (a dark boat on bright
 * water, say), the guided upsampling puts the colour edge back on the
 * luminance edge; plain bilinear upsampling smears it over a grid cell.
 */
import { describe, expect, it } from 'vitest';
import { applyGuided, bilinearUpsample, fullResPlan, guidedCoefficients, workingSize } from '../../../../electron/engine/pipelines/colorize/edge-aware-upsample';

/** A W×H photo: L = 80 left of a slanted edge, 30 right of it; true a = +40 / −40, b = −20 / +30. */
function stepScene(W: number, H: number) {
  const L = new Float32Array(W * H);
  const a = new Float32Array(W * H);
  const b = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const left = x < W * 0.37 + (y - H / 2) * 0.2;
      L[y * W + x] = left ? 80 : 30;
      a[y * W + x] = left ? 40 : -40;
      b[y * W + x] = left ? -20 : 30;
    }
  }
  return { L, a, b };
}

/** Area average of a full-resolution channel onto a g×g grid (what the sampler's grid represents). */
function areaDown(v: Float32Array, W: number, H: number, g: number): Float32Array {
  const out = new Float32Array(g * g);
  const count = new Float32Array(g * g);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = Math.min(g - 1, Math.floor((y * g) / H)) * g + Math.min(g - 1, Math.floor((x * g) / W));
      out[i] += v[y * W + x];
      count[i]++;
    }
  }
  return out.map((s, i) => s / count[i]);
}

/** Box downsampling of L to the working size. */
function resize(v: Float32Array, W: number, H: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.floor((y * H) / h); yy < Math.ceil(((y + 1) * H) / h); yy++) {
        for (let xx = Math.floor((x * W) / w); xx < Math.ceil(((x + 1) * W) / w); xx++) {
          s += v[yy * W + xx];
          n++;
        }
      }
      out[y * w + x] = s / n;
    }
  }
  return out;
}

describe('edge-aware upsampling', () => {
  const W = 1200;
  const H = 900;
  const g = 16;
  const { L, a, b } = stepScene(W, H);
  const grid = new Float32Array([...areaDown(a, W, H, g), ...areaDown(b, W, H, g)]);
  const work = workingSize(W, H, g);
  const guide = resize(L, W, H, work.width, work.height);
  const coeffs = guidedCoefficients(grid, g, g, guide, work.width, work.height);
  const outA = new Float32Array(W * H);
  const outB = new Float32Array(W * H);
  applyGuided(coeffs, fullResPlan(coeffs, W, H), L, 0, H, outA, outB);
  const linA = bilinearUpsample(grid.subarray(0, g * g), g, g, W, H);
  const linB = bilinearUpsample(grid.subarray(g * g), g, g, W, H);

  /** Mean absolute error (a and b) over the pixels within `band` px of the edge. */
  const errorNearEdge = (pa: Float32Array, pb: Float32Array, band: number) => {
    let sum = 0;
    let n = 0;
    for (let y = 0; y < H; y++) {
      const edge = W * 0.37 + (y - H / 2) * 0.2;
      for (let x = Math.max(0, Math.floor(edge - band)); x < Math.min(W, Math.ceil(edge + band)); x++) {
        sum += Math.abs(pa[y * W + x] - a[y * W + x]) + Math.abs(pb[y * W + x] - b[y * W + x]);
        n += 2;
      }
    }
    return sum / n;
  };

  it('keeps a step edge far better than bilinear upsampling', () => {
    const cell = W / g;
    const guided = errorNearEdge(outA, outB, cell);
    const bilinear = errorNearEdge(linA, linB, cell);
    expect(bilinear).toBeGreaterThan(10);
    expect(guided).toBeLessThan(bilinear * 0.25);
    // Right at the edge (3 px either side), bilinear is half-way between the colours; guided is not.
    expect(errorNearEdge(outA, outB, 3)).toBeLessThan(errorNearEdge(linA, linB, 3) * 0.35);
  });

  it('gives the flat parts their own colour and invents no chroma beyond the grid', () => {
    const at = (x: number, y: number) => [outA[y * W + x], outB[y * W + x]];
    const [la, lb] = at(100, 450);
    const [ra, rb] = at(1100, 450);
    expect(la).toBeCloseTo(40, 0);
    expect(lb).toBeCloseTo(-20, 0);
    expect(ra).toBeCloseTo(-40, 0);
    expect(rb).toBeCloseTo(30, 0);
    const [minA, maxA] = [Math.min(...grid.subarray(0, g * g)), Math.max(...grid.subarray(0, g * g))];
    let outside = 0;
    for (const v of outA) if (v < minA - 1e-4 || v > maxA + 1e-4) outside++;
    expect(outside).toBe(0);
  });

  it('is the identity on a flat chroma field, whatever the luminance does', () => {
    // A uniform grid must come out uniform: the L edges steer where colour changes, never add any.
    const flat = new Float32Array(2 * g * g);
    flat.fill(23, 0, g * g);
    flat.fill(-17, g * g);
    const c = guidedCoefficients(flat, g, g, guide, work.width, work.height);
    const fa = new Float32Array(W * H);
    const fb = new Float32Array(W * H);
    applyGuided(c, fullResPlan(c, W, H), L, 0, H, fa, fb);
    let worst = 0;
    for (let i = 0; i < W * H; i++) worst = Math.max(worst, Math.abs(fa[i] - 23), Math.abs(fb[i] + 17));
    expect(worst).toBeLessThan(1e-3);
  });

  it('keeps the chroma step sharp across the L edge (a few px, not a grid cell)', () => {
    // 4 px either side of the edge: full colour on each side, as in the true photo.
    const y = 450;
    const edge = Math.round(W * 0.37 + (y - H / 2) * 0.2);
    expect(outA[y * W + edge - 4]).toBeGreaterThan(30);
    expect(outA[y * W + edge + 4]).toBeLessThan(-30);
    expect(linA[y * W + edge - 4] - linA[y * W + edge + 4]).toBeLessThan(40);
  });

  it('renders strips that equal the whole-image result', () => {
    const stripA = new Float32Array(W * 100);
    const stripB = new Float32Array(W * 100);
    const plan = fullResPlan(coeffs, W, H);
    for (const y0 of [0, 333, 800]) {
      applyGuided(coeffs, plan, L.subarray(y0 * W, (y0 + 100) * W), y0, 100, stripA, stripB);
      let differ = 0;
      for (let i = 0; i < W * 100; i++) if (stripA[i] !== outA[y0 * W + i] || stripB[i] !== outB[y0 * W + i]) differ++;
      expect(differ).toBe(0);
    }
  });

  it('handles a photo smaller than the grid (1×1) and extreme aspect ratios', () => {
    for (const [w, h] of [[1, 1], [3, 2000], [5000, 4]] as const) {
      const size = workingSize(w, h, g);
      expect(size.width).toBeGreaterThanOrEqual(1);
      expect(size.height).toBeGreaterThanOrEqual(1);
      expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(Math.max(w, h));
      const lum = new Float32Array(size.width * size.height).fill(50);
      const c = guidedCoefficients(grid, g, g, lum, size.width, size.height);
      const oa = new Float32Array(w * h);
      const ob = new Float32Array(w * h);
      applyGuided(c, fullResPlan(c, w, h), new Float32Array(w * h).fill(50), 0, h, oa, ob);
      expect([...oa, ...ob].every((v) => Number.isFinite(v))).toBe(true);
    }
  });
});
