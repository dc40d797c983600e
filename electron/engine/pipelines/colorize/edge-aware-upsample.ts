/**
 * Edge-aware upsampling of the sampled ab grid (e.g. 16×16) to the photo's
 * full size, guided by the photo's own L: a guided filter (He, Sun & Tang,
 * "Guided Image Filtering", 2013) in its fast, subsampled form (He & Sun,
 * "Fast Guided Filter", 2015), with the subsampled resolution being the
 * model's own grid. Per colour channel:
 *
 *   1. on the grid, I is the mean L / 100 of each cell (from the photo at a
 *      small working resolution) and p is the sampled ab: each grid value is
 *      the average chroma of its cell, as the model was trained;
 *   2. in every window of (2r+1)² cells, p is fitted as a linear function of
 *      I: A = cov(I, p) / (var(I) + eps), B = mean(p) − A·mean(I); A and B
 *      are then averaged over the windows covering each cell;
 *   3. at full resolution, ab = A↑·L/100 + B↑ with A↑, B↑ bilinearly
 *      upsampled from the cell centres, clamped to the grid's own range.
 *
 * Where a cell holds a dark boat on bright water, its mean chroma and mean
 * L sit on the line through its neighbours' (area averages of a two-valued
 * scene are collinear), so the fit puts each colour back on its side of the
 * luminance edge instead of smearing it over the cell as bilinear
 * upsampling does. The work at full resolution is a few multiply-adds per
 * pixel, done strip by strip.
 */

export interface GuidedCoefficients {
  /** Resolution of the coefficients (the grid). */
  width: number;
  height: number;
  /** Per channel (a, b): A and B per grid cell, row-major. */
  A: [Float32Array, Float32Array];
  B: [Float32Array, Float32Array];
  /** Per channel: the range of the grid's values; the result is clamped to it (no invented chroma). */
  range: [[number, number], [number, number]];
}

export interface GuidedOptions {
  /** Window radius in grid cells (default 1: 3×3 cells). */
  radius?: number;
  /** Regularisation, in (L/100)² units: larger is smoother (less edge-following). */
  eps?: number;
}

export const DEFAULT_EPS = 2e-3;

/** Working resolution for a photo of width × height and a grid of `grid` cells a side. */
export function workingSize(width: number, height: number, grid: number, perCell = 16): { width: number; height: number } {
  const long = Math.max(width, height);
  const target = Math.min(long, Math.max(grid * perCell, 32));
  const s = target / long;
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/**
 * Bilinear upsampling of one channel of a gh × gw grid to W × H (pixel
 * centres aligned, edges clamped): the baseline, and the filter's input p.
 */
export function bilinearUpsample(grid: Float32Array, gh: number, gw: number, W: number, H: number, out = new Float32Array(W * H)): Float32Array {
  const xs = axis(W, gw);
  const ys = axis(H, gh);
  for (let y = 0; y < H; y++) {
    const y0 = ys.i0[y];
    const y1 = ys.i1[y];
    const fy = ys.f[y];
    for (let x = 0; x < W; x++) {
      const x0 = xs.i0[x];
      const x1 = xs.i1[x];
      const fx = xs.f[x];
      const top = grid[y0 * gw + x0] * (1 - fx) + grid[y0 * gw + x1] * fx;
      const bottom = grid[y1 * gw + x0] * (1 - fx) + grid[y1 * gw + x1] * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Source indices and weights of a centre-aligned resampling from n to `size` samples. */
function axis(size: number, n: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(size);
  const i1 = new Int32Array(size);
  const f = new Float32Array(size);
  const scale = n / size;
  for (let i = 0; i < size; i++) {
    const s = Math.min(n - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    const lo = Math.floor(s);
    i0[i] = lo;
    i1[i] = Math.min(n - 1, lo + 1);
    f[i] = s - lo;
  }
  return { i0, i1, f };
}

/** Mean over a (2r+1)² window, clipped at the borders. */
function boxMean(src: Float64Array, W: number, H: number, r: number): Float64Array {
  const out = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) {
          sum += src[yy * W + xx];
          n++;
        }
      }
      out[y * W + x] = sum / n;
    }
  }
  return out;
}

/** Mean of a W×H image over each cell of a gw×gh grid laid over the whole image. */
export function cellMeans(v: Float32Array, W: number, H: number, gw: number, gh: number): Float64Array {
  const sum = new Float64Array(gw * gh);
  const count = new Float64Array(gw * gh);
  for (let y = 0; y < H; y++) {
    const gy = Math.min(gh - 1, Math.floor(((y + 0.5) * gh) / H));
    for (let x = 0; x < W; x++) {
      const i = gy * gw + Math.min(gw - 1, Math.floor(((x + 0.5) * gw) / W));
      sum[i] += v[y * W + x];
      count[i]++;
    }
  }
  // A photo smaller than the grid leaves cells empty: they take the overall mean.
  let total = 0;
  let n = 0;
  for (let i = 0; i < sum.length; i++) {
    total += sum[i];
    n += count[i];
  }
  return sum.map((s, i) => (count[i] ? s / count[i] : total / Math.max(1, n)));
}

/**
 * Fits the guided filter's coefficients for one sample.
 * @param ab     the sample's grid in Lab units, [2, gh, gw]
 * @param guideL the photo's L (0..100) at a working resolution W × H (see workingSize)
 */
export function guidedCoefficients(ab: Float32Array, gh: number, gw: number, guideL: Float32Array, W: number, H: number, options: GuidedOptions = {}): GuidedCoefficients {
  const r = Math.max(0, Math.round(options.radius ?? 1));
  const eps = options.eps ?? DEFAULT_EPS;
  const n = gw * gh;
  const I = cellMeans(guideL, W, H, gw, gh).map((v) => v / 100);
  const meanI = boxMean(I, gw, gh, r);
  const varI = boxMean(I.map((v) => v * v), gw, gh, r).map((v, i) => Math.max(0, v - meanI[i] * meanI[i]));

  const A: Float32Array[] = [];
  const B: Float32Array[] = [];
  const range: Array<[number, number]> = [];
  for (let ch = 0; ch < 2; ch++) {
    const p = Float64Array.from(ab.subarray(ch * n, (ch + 1) * n));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of p) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    range.push([lo, hi]);
    const meanP = boxMean(p, gw, gh, r);
    const corr = boxMean(p.map((v, i) => v * I[i]), gw, gh, r);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = (corr[i] - meanI[i] * meanP[i]) / (varI[i] + eps);
      b[i] = meanP[i] - a[i] * meanI[i];
    }
    A.push(Float32Array.from(boxMean(a, gw, gh, r)));
    B.push(Float32Array.from(boxMean(b, gw, gh, r)));
  }
  return { width: gw, height: gh, A: [A[0], A[1]], B: [B[0], B[1]], range: [range[0], range[1]] };
}

/**
 * Precomputed horizontal resampling of the coefficients for a full width,
 * reused by every strip.
 */
export interface FullResPlan {
  width: number;
  height: number;
  xs: ReturnType<typeof axis>;
  ys: ReturnType<typeof axis>;
}

export function fullResPlan(coeffs: Pick<GuidedCoefficients, 'width' | 'height'>, width: number, height: number): FullResPlan {
  return { width, height, xs: axis(width, coeffs.width), ys: axis(height, coeffs.height) };
}

/**
 * ab at full resolution for the rows y0 … y0+rows−1: ab = A↑·L + B↑, clamped
 * to the grid's range. `L` holds those rows (0..100); `outA`/`outB` receive
 * the same number of values.
 */
export function applyGuided(coeffs: GuidedCoefficients, plan: FullResPlan, L: Float32Array, y0: number, rows: number, outA: Float32Array, outB: Float32Array): void {
  const { width: W } = plan;
  const cw = coeffs.width;
  const { i0: xi0, i1: xi1, f: xf } = plan.xs;
  const rowA0 = new Float32Array(cw);
  const rowB0 = new Float32Array(cw);
  for (let ch = 0; ch < 2; ch++) {
    const A = coeffs.A[ch];
    const B = coeffs.B[ch];
    const [lo, hi] = coeffs.range[ch];
    const out = ch === 0 ? outA : outB;
    for (let j = 0; j < rows; j++) {
      const y = y0 + j;
      const ya = plan.ys.i0[y] * cw;
      const yb = plan.ys.i1[y] * cw;
      const fy = plan.ys.f[y];
      // The coefficient row at this y, interpolated vertically once.
      for (let x = 0; x < cw; x++) {
        rowA0[x] = A[ya + x] * (1 - fy) + A[yb + x] * fy;
        rowB0[x] = B[ya + x] * (1 - fy) + B[yb + x] * fy;
      }
      const base = j * W;
      for (let x = 0; x < W; x++) {
        const a0 = xi0[x];
        const a1 = xi1[x];
        const fx = xf[x];
        const a = rowA0[a0] + (rowA0[a1] - rowA0[a0]) * fx;
        const b = rowB0[a0] + (rowB0[a1] - rowB0[a0]) * fx;
        let v = a * (L[base + x] / 100) + b;
        v = v < lo ? lo : v > hi ? hi : v;
        out[base + x] = v;
      }
    }
  }
}
