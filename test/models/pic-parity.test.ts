// ONNX (onnxruntime-node) vs PyTorch parity for the committed PIC colorizer graphs.
// The fixture is written by `training/pic/make_fixture.py` (see training/pic/README.md): inputs are
// regenerated here with the same integer formula, outputs are compared on a strided subset plus sums,
// and a complete cached sampling run (embed -> row/pixel loop) is replayed with the same uniforms.
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'models', 'pic');

type Gen = { seed?: number; offset?: number; scale?: number; onehot?: number; shape?: number[] };
type Summary = { shape: number[]; stride: number; values: number[]; sum: number; absSum: number };
type Fixture = {
  model: string;
  N: number;
  atol: number;
  graphs: Record<string, { inputs: Record<string, Gen & { shape: number[] }>; outputs: Record<string, Summary> }>;
  sampling: { N: number; temperature: number; L: Gen; u_mix: Gen; u_log: Gen; ab: number[]; preview_ab: number[] };
};

/** x[i] = ((i*2654435761 + seed*97531) mod 2^32) / 2^32, value = offset + scale*x (exact in float64). */
function det(n: number, seed: number, offset: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = ((i * 2654435761 + seed * 97531) % 4294967296) / 4294967296;
    out[i] = offset + scale * x;
  }
  return out;
}

function gen(spec: Gen, shape: number[]): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (spec.onehot !== undefined) {
    data = new Float32Array(n);
    data[spec.onehot] = 1;
  } else {
    data = det(n, spec.seed!, spec.offset!, spec.scale!);
  }
  return new ort.Tensor('float32', data, shape);
}

function zeros(shape: number[]): ort.Tensor {
  return new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

function compare(name: string, got: ort.Tensor, ref: Summary, atol: number): number {
  expect(Array.from(got.dims), `${name} shape`).toEqual(ref.shape);
  const d = got.data as Float32Array;
  let maxErr = 0;
  ref.values.forEach((v, j) => {
    maxErr = Math.max(maxErr, Math.abs(d[j * ref.stride] - v));
  });
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i];
  expect(maxErr, `${name} max abs err`).toBeLessThanOrEqual(atol);
  expect(Math.abs(sum - ref.sum), `${name} sum`).toBeLessThanOrEqual(1e-5 * ref.absSum + 1e-3);
  return maxErr;
}

const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.json')) : [];

describe('PIC ONNX graphs match PyTorch', () => {
  it('has at least one fixture', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const file of fixtures) {
    const fx: Fixture = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
    const dir = join(ROOT, fx.model);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const sessions: Record<string, ort.InferenceSession> = {};
    const session = async (g: string) =>
      (sessions[g] ??= await ort.InferenceSession.create(join(dir, manifest.graphs[g].file), {
        intraOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      }));

    for (const g of ['embed', 'row', 'pixel']) {
      it(`${fx.model}: ${g} graph, max abs err <= ${fx.atol}`, async () => {
        const s = await session(g);
        const spec = fx.graphs[g];
        const feeds: Record<string, ort.Tensor> = {};
        for (const [n, inp] of Object.entries(spec.inputs)) feeds[n] = gen(inp, inp.shape);
        // the manifest describes the same tensors
        expect(manifest.graphs[g].inputs.map((t: { name: string }) => t.name)).toEqual(Object.keys(spec.inputs));
        expect(manifest.graphs[g].outputs.map((t: { name: string }) => t.name)).toEqual(Object.keys(spec.outputs));
        const out = await s.run(feeds);
        const errs: string[] = [];
        for (const [n, ref] of Object.entries(spec.outputs)) errs.push(`${n}=${compare(n, out[n], ref, fx.atol).toExponential(1)}`);
        console.log(`[pic-parity] ${fx.model} ${g}: ${errs.join(' ')}`);
      });
    }

    it(`${fx.model}: full cached sampling run reproduces PyTorch`, async () => {
      const [embed, row, pixel] = [await session('embed'), await session('row'), await session('pixel')];
      const p = manifest.preprocessing;
      const { N, temperature } = fx.sampling;
      const h = p.grid as number;
      const w = h;
      const K = p.mixtures as number;
      const lC = (p.decoderBlocks as number) * (p.decoderChannels as number);
      const S = p.inputSize as number;
      const e = await embed.run({ L: gen(fx.sampling.L, [1, 1, S, S]) });
      compare('preview_ab', e.preview_ab, { shape: [1, 2, h, w], stride: 1, values: fx.sampling.preview_ab, sum: fx.sampling.preview_ab.reduce((a, b) => a + b, 0), absSum: fx.sampling.preview_ab.reduce((a, b) => a + Math.abs(b), 0) }, fx.atol);
      const uMix = det(h * w * N * K, fx.sampling.u_mix.seed!, 0, 1);
      const uLog = det(h * w * N * 2, fx.sampling.u_log.seed!, 0, 1);
      let canvas = zeros([N, 4, h, w]);
      let cacheU = zeros([N, lC, 2, w]);
      let cacheC = zeros([N, lC, 2, w]);
      let histUl = zeros([N, lC, 2, w]);
      let histC1 = zeros([N, lC, 2, w]);
      let rowUl = zeros([N, lC, 1, w]);
      let rowC1 = zeros([N, lC, 1, w]);
      const temp = new ort.Tensor('float32', new Float32Array([temperature]), [1]);
      for (let r = 0; r < h; r++) {
        const rOne = new Float32Array(h);
        rOne[r] = 1;
        const rOnehot = new ort.Tensor('float32', rOne, [1, 1, h, 1]);
        const ro = await row.run({ emb: e.emb, canvas, r_onehot: rOnehot, cache_u: cacheU, cache_c: cacheC, hist_ul: histUl, hist_c1: histC1, row_ul: rowUl, row_c1: rowC1 });
        [cacheU, cacheC, histUl, histC1] = [ro.cache_u_out, ro.cache_c_out, ro.hist_ul_out, ro.hist_c1_out];
        rowUl = zeros([N, lC, 1, w]);
        rowC1 = zeros([N, lC, 1, w]);
        for (let c = 0; c < w; c++) {
          const cOne = new Float32Array(w);
          cOne[c] = 1;
          const k = r * w + c;
          const po = await pixel.run({
            ul0: ro.ul0, p1: ro.p1, p2: ro.p2, canvas, row_ul: rowUl, row_c1: rowC1, L_low: e.L_low, r_onehot: rOnehot,
            c_onehot: new ort.Tensor('float32', cOne, [1, 1, 1, w]),
            u_mix: new ort.Tensor('float32', uMix.slice(k * N * K, (k + 1) * N * K), [N, K, 1, 1]),
            u_log: new ort.Tensor('float32', uLog.slice(k * N * 2, (k + 1) * N * 2), [N, 2, 1, 1]),
            temperature: temp,
          });
          [canvas, rowUl, rowC1] = [po.canvas_out, po.row_ul_out, po.row_c1_out];
        }
      }
      // compare the sampled ab grids: argmax / 256-level rounding can flip on ~1e-6 float differences,
      // so allow a tiny fraction of differing values, but the bulk must be identical
      const cv = canvas.data as Float32Array;
      let same = 0;
      let maxDiff = 0;
      const ref = fx.sampling.ab;
      for (let n = 0; n < N; n++)
        for (let ch = 0; ch < 2; ch++)
          for (let i = 0; i < h * w; i++) {
            const got = cv[((n * 4 + 1 + ch) * h * w) + i];
            const want = ref[(n * 2 + ch) * h * w + i];
            const d = Math.abs(got - want);
            if (d <= 1e-6) same++;
            maxDiff = Math.max(maxDiff, d);
          }
      const frac = same / ref.length;
      console.log(`[pic-parity] ${fx.model} sampling: ${same}/${ref.length} identical ab values (max diff ${maxDiff.toExponential(2)})`);
      expect(frac).toBeGreaterThanOrEqual(0.97);
    });
  }
});
