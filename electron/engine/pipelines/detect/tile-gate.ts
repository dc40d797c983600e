/**
 * The tile gate (after MSViT's gating): before stage 1, every stage-1 tile is
 * read at 1/16 (64 px for a 1024 px tile: pyramid level 4, a few reads for a
 * whole 20,000 px image) and scored by the model's tiny `gate` graph in
 * batches; stage 1 then runs only on tiles scoring at or above the threshold
 * (uniform ground, water and fields are skipped). It reads from the same patch
 * source as stage 1, so on a resampled run (ground resolution) it sees the
 * tiles at the model's GSD, as it was trained.
 */
import * as ort from 'onnxruntime-node';
import type { GateConfig } from './models';
import { forEachWindow, writeWindow, type PatchSource } from './patches';
import type { RunContext, SessionLike, TileGrid } from './stage1-tiles';

export interface GateOutcome {
  /** object_prob per tile, row-major. */
  probs: Float32Array;
  threshold: number;
  /** Row-major indices of tiles below the threshold. */
  skipped: number[];
  /** Reading the thumbnails and running the graph. */
  ms: number;
}

/** Scores every tile of `grid`; at most `batch` thumbnails per session run (64 px: 48 KB each). */
export async function runGate(source: PatchSource, cfg: GateConfig, session: SessionLike, grid: TileGrid, threshold: number, ctx: RunContext, batch = 256): Promise<GateOutcome> {
  const started = performance.now();
  const S = cfg.inputSize;
  const plane = 3 * S * S;
  const probs = new Float32Array(grid.count);
  let input = new Float32Array(Math.min(batch, grid.count) * plane);
  let slots: number[] = [];
  const flush = async () => {
    if (!slots.length) return;
    ctx.throwIfCancelled();
    const n = slots.length;
    const out = await session.run({ [cfg.inputName]: new ort.Tensor('float32', input.subarray(0, n * plane), [n, 3, S, S]) });
    const p = out[cfg.output].data as Float32Array;
    slots.forEach((index, k) => (probs[index] = p[k]));
    slots = [];
    input = new Float32Array(input.length);
  };
  await forEachWindow(source, grid.xs, grid.ys, grid.size, S, async (w, patch, px, py, valid) => {
    writeWindow(patch, px, py, S, input, slots.length, 0, valid);
    slots.push(w.index);
    if (slots.length * plane === input.length) await flush();
  });
  await flush();
  const skipped: number[] = [];
  probs.forEach((p, i) => {
    if (p < threshold) skipped.push(i);
  });
  return { probs, threshold, skipped, ms: performance.now() - started };
}
