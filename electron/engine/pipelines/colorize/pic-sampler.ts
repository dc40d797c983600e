/**
 * The PIC sampler (training/pic/README.md, "Sampler contract"): the gray L
 * goes through the `embed` graph once; then the conditional PixelCNN++
 * decoder samples the low-resolution ab grid pixel by pixel, N samples in
 * one batch, through the cached `row` and `pixel` graphs (O(1) work per
 * pixel). All randomness comes from a seeded generator here, so one seed
 * reproduces one set of colorizations exactly.
 *
 * `sampleNaive` is the reference the cached sampler is tested against and
 * timed against: for every pixel it recomputes the decoder from nothing —
 * zero caches, every earlier row through the row graph and every earlier
 * pixel through the pixel graph, reading the canvas sampled so far — which
 * is the uncached, full-decoder-per-pixel path the exported graphs allow.
 */
import * as ort from 'onnxruntime-node';
import { cancelledError } from '../../../common/errors';
import type { InferenceSession } from '../../runtime/session-manager';
import type { PicConfig } from './pic-model';
import { Xoshiro128 } from './rng';

export interface PicSessions {
  embed: InferenceSession;
  row: InferenceSession;
  pixel: InferenceSession;
}

export interface Embedded {
  /** Embedding [1,E,h,w] (fed to the row graph). */
  emb: ort.Tensor;
  /** Avg-pooled normalised L on the grid [1,1,h,w]. */
  lLow: ort.Tensor;
  /** The embedding head's one-pass prediction, Lab ab units, [2,h,w]. */
  previewAb: Float32Array;
  ms: number;
}

export interface SampleOptions {
  samples: number;
  seed: number;
  /** 0 (the mode of the likeliest component) … 1 (the trained distribution) … more. */
  temperature: number;
  signal?: AbortSignal;
  /** Called after each grid row with rows done (of cfg.grid). */
  onRow?: (done: number, total: number) => void;
}

export interface SampledAb {
  /** Sampled ab in Lab units, [N,2,h,w] (each value on the model's 256-level grid × abScale). */
  ab: Float32Array;
  /** The same values normalised as the model sees them (ab / abScale), [N,2,h,w]. */
  abNormalised: Float32Array;
  samples: number;
  grid: number;
  ms: number;
  /** Pixel-graph runs made (h·w for the cached sampler). */
  pixelRuns: number;
  rowRuns: number;
}

const f32 = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);

/** Runs the embedding once. `L` is the photo's Lab L (0..100) resized to S×S, row-major. */
export async function embedL(sessions: PicSessions, cfg: PicConfig, L: Float32Array): Promise<Embedded> {
  const S = cfg.inputSize;
  if (L.length !== S * S) throw new RangeError(`L must hold ${S}×${S} values`);
  const started = performance.now();
  const Ln = new Float32Array(S * S);
  for (let i = 0; i < Ln.length; i++) Ln[i] = L[i] / 50 - 1;
  const out = await sessions.embed.run({ L: f32(Ln, [1, 1, S, S]) });
  const preview = out.preview_ab.data as Float32Array;
  const previewAb = new Float32Array(preview.length);
  for (let i = 0; i < preview.length; i++) previewAb[i] = preview[i] * cfg.abScale;
  return { emb: out.emb, lLow: out.L_low, previewAb, ms: performance.now() - started };
}

/** Constant inputs shared by both samplers: one-hot rows/columns, zero states, temperature. */
function constants(cfg: PicConfig, N: number, temperature: number) {
  const h = cfg.grid;
  const w = cfg.grid;
  const lC = cfg.blocks * cfg.channels;
  const rowHot = Array.from({ length: h }, (_, r) => {
    const d = new Float32Array(h);
    d[r] = 1;
    return f32(d, [1, 1, h, 1]);
  });
  const colHot = Array.from({ length: w }, (_, c) => {
    const d = new Float32Array(w);
    d[c] = 1;
    return f32(d, [1, 1, 1, w]);
  });
  return {
    h,
    w,
    rowHot,
    colHot,
    zeroCache: () => f32(new Float32Array(N * lC * 2 * w), [N, lC, 2, w]),
    zeroRow: f32(new Float32Array(N * lC * w), [N, lC, 1, w]),
    zeroCanvas: () => f32(new Float32Array(N * 4 * h * w), [N, 4, h, w]),
    temperature: f32(new Float32Array([temperature]), [1]),
  };
}

function checkOptions(options: SampleOptions): void {
  if (!Number.isInteger(options.samples) || options.samples < 1) throw new RangeError('samples must be a positive integer');
  if (!(options.temperature >= 0) || !Number.isFinite(options.temperature)) throw new RangeError('temperature must be a number ≥ 0');
}

const ROW_FETCHES = ['ul0', 'p1', 'p2', 'cache_u_out', 'cache_c_out', 'hist_ul_out', 'hist_c1_out'] as const;
const PIXEL_FETCHES = ['canvas_out', 'row_ul_out', 'row_c1_out'] as const;
const PIXEL_STATE_FETCHES = ['row_ul_out', 'row_c1_out'] as const;

/** Uniforms for one pixel, in the contract's order: u_mix [N][K], then u_log [N][2]. */
function drawUniforms(rng: Xoshiro128, N: number, K: number) {
  return { uMix: f32(rng.fill(new Float32Array(N * K)), [N, K, 1, 1]), uLog: f32(rng.fill(new Float32Array(N * 2)), [N, 2, 1, 1]) };
}

function result(canvas: ort.Tensor, cfg: PicConfig, N: number, ms: number, pixelRuns: number, rowRuns: number): SampledAb {
  const h = cfg.grid;
  const hw = h * h;
  const data = canvas.data as Float32Array;
  const abNormalised = new Float32Array(N * 2 * hw);
  for (let n = 0; n < N; n++) abNormalised.set(data.subarray((n * 4 + 1) * hw, (n * 4 + 3) * hw), n * 2 * hw);
  const ab = abNormalised.map((v) => v * cfg.abScale);
  return { ab, abNormalised, samples: N, grid: h, ms, pixelRuns, rowRuns };
}

/**
 * N colorizations of the ab grid in one batch through the cached row and
 * pixel graphs: h row runs and h·w pixel runs in all.
 */
export async function sampleCached(sessions: PicSessions, cfg: PicConfig, embedded: Embedded, options: SampleOptions): Promise<SampledAb> {
  checkOptions(options);
  const started = performance.now();
  const N = options.samples;
  const k = constants(cfg, N, options.temperature);
  const rng = new Xoshiro128(options.seed);
  let canvas = k.zeroCanvas();
  let cacheU = k.zeroCache();
  let cacheC = k.zeroCache();
  let histUl = k.zeroCache();
  let histC1 = k.zeroCache();
  let rowUl = k.zeroRow;
  let rowC1 = k.zeroRow;
  for (let r = 0; r < k.h; r++) {
    if (options.signal?.aborted) throw cancelledError('Colorizing');
    const row = await sessions.row.run(
      { emb: embedded.emb, canvas, r_onehot: k.rowHot[r], cache_u: cacheU, cache_c: cacheC, hist_ul: histUl, hist_c1: histC1, row_ul: rowUl, row_c1: rowC1 },
      ROW_FETCHES,
    );
    cacheU = row.cache_u_out;
    cacheC = row.cache_c_out;
    histUl = row.hist_ul_out;
    histC1 = row.hist_c1_out;
    rowUl = k.zeroRow;
    rowC1 = k.zeroRow;
    for (let c = 0; c < k.w; c++) {
      if (options.signal?.aborted) throw cancelledError('Colorizing');
      const { uMix, uLog } = drawUniforms(rng, N, cfg.mixtures);
      const px = await sessions.pixel.run(
        {
          ul0: row.ul0, p1: row.p1, p2: row.p2, canvas, row_ul: rowUl, row_c1: rowC1, L_low: embedded.lLow,
          r_onehot: k.rowHot[r], c_onehot: k.colHot[c], u_mix: uMix, u_log: uLog, temperature: k.temperature,
        },
        PIXEL_FETCHES,
      );
      canvas = px.canvas_out;
      rowUl = px.row_ul_out;
      rowC1 = px.row_c1_out;
    }
    options.onRow?.(r + 1, k.h);
  }
  return result(canvas, cfg, N, performance.now() - started, k.h * k.w, k.h);
}

/**
 * The reference sampler: the same samples (same seed, same uniforms in the
 * same order), but for every pixel the decoder state is rebuilt from zero
 * over everything sampled so far. O(h·w) graph runs per pixel.
 * `maxPixels` stops early (raster order), for quick checks of a prefix.
 */
export async function sampleNaive(sessions: PicSessions, cfg: PicConfig, embedded: Embedded, options: SampleOptions & { maxPixels?: number }): Promise<SampledAb> {
  checkOptions(options);
  const started = performance.now();
  const N = options.samples;
  const k = constants(cfg, N, options.temperature);
  const rng = new Xoshiro128(options.seed);
  const limit = Math.min(k.h * k.w, options.maxPixels ?? Infinity);
  // Replayed pixels' own samples are discarded, so their uniforms do not matter.
  const idle = { uMix: f32(new Float32Array(N * cfg.mixtures).fill(0.5), [N, cfg.mixtures, 1, 1]), uLog: f32(new Float32Array(N * 2).fill(0.5), [N, 2, 1, 1]) };
  let canvas = k.zeroCanvas();
  let pixelRuns = 0;
  let rowRuns = 0;
  for (let target = 0; target < limit; target++) {
    const tr = Math.floor(target / k.w);
    const tc = target % k.w;
    // Rebuild the decoder state from nothing, up to the target pixel.
    let cacheU = k.zeroCache();
    let cacheC = k.zeroCache();
    let histUl = k.zeroCache();
    let histC1 = k.zeroCache();
    let rowUl = k.zeroRow;
    let rowC1 = k.zeroRow;
    for (let r = 0; r <= tr; r++) {
      if (options.signal?.aborted) throw cancelledError('Colorizing');
      const row = await sessions.row.run(
        { emb: embedded.emb, canvas, r_onehot: k.rowHot[r], cache_u: cacheU, cache_c: cacheC, hist_ul: histUl, hist_c1: histC1, row_ul: rowUl, row_c1: rowC1 },
        ROW_FETCHES,
      );
      rowRuns++;
      cacheU = row.cache_u_out;
      cacheC = row.cache_c_out;
      histUl = row.hist_ul_out;
      histC1 = row.hist_c1_out;
      rowUl = k.zeroRow;
      rowC1 = k.zeroRow;
      const lastC = r < tr ? k.w - 1 : tc;
      for (let c = 0; c <= lastC; c++) {
        const isTarget = r === tr && c === tc;
        const u = isTarget ? drawUniforms(rng, N, cfg.mixtures) : idle;
        const px = await sessions.pixel.run(
          {
            ul0: row.ul0, p1: row.p1, p2: row.p2, canvas, row_ul: rowUl, row_c1: rowC1, L_low: embedded.lLow,
            r_onehot: k.rowHot[r], c_onehot: k.colHot[c], u_mix: u.uMix, u_log: u.uLog, temperature: k.temperature,
          },
          isTarget ? PIXEL_FETCHES : PIXEL_STATE_FETCHES,
        );
        pixelRuns++;
        rowUl = px.row_ul_out;
        rowC1 = px.row_c1_out;
        if (isTarget) canvas = px.canvas_out;
      }
    }
    if (tc === k.w - 1) options.onRow?.(tr + 1, k.h);
  }
  return result(canvas, cfg, N, performance.now() - started, pixelRuns, rowRuns);
}
