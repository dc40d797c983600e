/**
 * The PIC sampler on the shipped model (models/pic-cpu64) through
 * onnxruntime-node: the cached row/pixel path equals the naive
 * full-recomputation path for the same seed; seeds reproduce and differ;
 * temperature 0 is deterministic; a cancel stops sampling.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../../electron/engine/models/model-registry';
import { chooseColorizer, colorizers, picConfig, type PicConfig } from '../../../../electron/engine/pipelines/colorize/pic-model';
import { embedL, sampleCached, sampleNaive, type Embedded, type PicSessions } from '../../../../electron/engine/pipelines/colorize/pic-sampler';
import { Xoshiro128 } from '../../../../electron/engine/pipelines/colorize/rng';
import { SessionManager } from '../../../../electron/engine/runtime/session-manager';
import { REPO_ROOT, tempDir } from '../../../helpers/fixtures';

let registry: ModelRegistry;
let cfg: PicConfig;
let sessions: PicSessions;
let embedded: Embedded;

beforeAll(async () => {
  const sessionManager = new SessionManager(() => ({ provider: 'auto', deviceId: 0, intraOpThreads: 0 }), path.join(REPO_ROOT, 'assets', 'onnx', 'probe-conv.onnx'));
  registry = new ModelRegistry(path.join(REPO_ROOT, 'models'), path.join(await tempDir('iriscope-pic-'), 'models'), sessionManager);
  await registry.scan();
  // The small model (quick); the other installed ones get a shorter check below.
  cfg = picConfig(registry.get('pic-cpu64'));
  sessions = await sessionsOf(cfg);
  embedded = await embedL(sessions, cfg, scene(cfg.inputSize));
});

async function sessionsOf(c: PicConfig): Promise<PicSessions> {
  return { embed: await registry.session(c.modelId, 'embed'), row: await registry.session(c.modelId, 'row'), pixel: await registry.session(c.modelId, 'pixel') };
}

/** A gray "photo": a bright sky over a darker, textured ground, as L at S×S. */
function scene(S: number): Float32Array {
  return new Float32Array(S * S).map((_, i) => (Math.floor(i / S) < S * 0.4 ? 85 : 35 + 15 * Math.sin(i * 0.7)));
}

const hw = () => cfg.grid * cfg.grid;

describe('PIC model', () => {
  it('is found and checked against its manifest; the largest installed model is the default', () => {
    const all = colorizers(registry).flatMap((c) => ('config' in c ? [c.config] : []));
    expect(all.map((c) => c.modelId)).toContain('pic-cpu64');
    expect(chooseColorizer(registry).inputSize).toBe(Math.max(...all.map((c) => c.inputSize)));
    expect(cfg.grid * 4).toBe(cfg.inputSize);
    expect(picConfig(registry.get(cfg.modelId))).toEqual(cfg);
    expect(embedded.previewAb).toHaveLength(2 * hw());
    // The preview is a colour, not NaN, within the ab range.
    expect(embedded.previewAb.every((v) => Number.isFinite(v) && Math.abs(v) <= 128)).toBe(true);
  });
});

describe('seeded randomness', () => {
  it('xoshiro128**: same seed → same stream, open interval, roughly uniform', () => {
    const a = new Xoshiro128(42);
    const b = new Xoshiro128(42);
    const c = new Xoshiro128(43);
    const xs = Array.from({ length: 20_000 }, () => a.nextOpen01());
    expect(Array.from({ length: 20_000 }, () => b.nextOpen01())).toEqual(xs);
    expect(c.nextOpen01()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThan(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(() => new Xoshiro128(-1)).toThrow();
    expect(() => new Xoshiro128(2 ** 32)).toThrow();
  });
});

describe('cached sampler', () => {
  it('equals the naive sampler (decoder rebuilt from nothing for every pixel) on the first rows, same seed', async () => {
    // Three full rows and a few pixels: every cache case (no row above, one, two) is exercised.
    const maxPixels = 3 * cfg.grid + 5;
    const cached = await sampleCached(sessions, cfg, embedded, { samples: 2, seed: 1234, temperature: 1 });
    const naive = await sampleNaive(sessions, cfg, embedded, { samples: 2, seed: 1234, temperature: 1, maxPixels });
    expect(naive.pixelRuns).toBe((maxPixels * (maxPixels + 1)) / 2);
    expect(cached.pixelRuns).toBe(hw());
    let worst = 0;
    const distinct = new Set<number>();
    for (let n = 0; n < 2; n++) {
      for (let ch = 0; ch < 2; ch++) {
        for (let p = 0; p < maxPixels; p++) {
          const i = (n * 2 + ch) * hw() + p;
          worst = Math.max(worst, Math.abs(cached.abNormalised[i] - naive.abNormalised[i]));
          distinct.add(cached.abNormalised[i]);
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    // Not trivially equal: the samples vary.
    expect(distinct.size).toBeGreaterThan(10);
    // Values lie on the model's 256-level grid.
    for (const v of cached.abNormalised) expect(Math.abs((v + 1) * 127.5 - Math.round((v + 1) * 127.5))).toBeLessThan(1e-3);
  });

  it('same seed → identical samples; another seed → different ones; samples of a batch differ', async () => {
    const a = await sampleCached(sessions, cfg, embedded, { samples: 4, seed: 7, temperature: 1 });
    const b = await sampleCached(sessions, cfg, embedded, { samples: 4, seed: 7, temperature: 1 });
    const c = await sampleCached(sessions, cfg, embedded, { samples: 4, seed: 8, temperature: 1 });
    expect(b.ab).toEqual(a.ab);
    const diff = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;
    expect(diff(a.ab, c.ab)).toBeGreaterThan(1);
    const per = 2 * hw();
    for (let n = 1; n < 4; n++) expect(diff(a.ab.subarray(0, per), a.ab.subarray(n * per, (n + 1) * per))).toBeGreaterThan(0.5);
  });

  it('temperature 0 gives the same (mode) colorization for every sample and seed', async () => {
    const a = await sampleCached(sessions, cfg, embedded, { samples: 3, seed: 1, temperature: 0 });
    const b = await sampleCached(sessions, cfg, embedded, { samples: 3, seed: 99, temperature: 0 });
    const per = 2 * hw();
    expect(a.ab.subarray(per, 2 * per)).toEqual(a.ab.subarray(0, per));
    expect(b.ab.subarray(0, per)).toEqual(a.ab.subarray(0, per));
  });

  it('works the same with every other installed colorization model (cached = naive on the first row and a half)', async () => {
    const others = colorizers(registry).flatMap((c) => ('config' in c && c.config.modelId !== 'pic-cpu64' ? [c.config] : []));
    for (const other of others) {
      const s = await sessionsOf(other);
      const e = await embedL(s, other, scene(other.inputSize));
      const maxPixels = other.grid + Math.ceil(other.grid / 2);
      const cached = await sampleCached(s, other, e, { samples: 1, seed: 21, temperature: 1 });
      const naive = await sampleNaive(s, other, e, { samples: 1, seed: 21, temperature: 1, maxPixels });
      const n = other.grid * other.grid;
      let worst = 0;
      for (let ch = 0; ch < 2; ch++) for (let p = 0; p < maxPixels; p++) worst = Math.max(worst, Math.abs(cached.abNormalised[ch * n + p] - naive.abNormalised[ch * n + p]));
      expect(worst).toBeLessThanOrEqual(1e-5);
    }
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const run = sampleCached(sessions, cfg, embedded, { samples: 2, seed: 3, temperature: 1, signal: controller.signal, onRow: (done) => done === 2 && controller.abort() });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
