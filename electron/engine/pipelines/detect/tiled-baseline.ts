/**
 * The baseline the cascade must beat: one detector (ODGI's stage 2, or a
 * user's YOLO) run on every window of the image at full resolution, SAHI
 * style — windows of the detector's input size, `overlap` between
 * neighbours, the last window of a row or column shifted back inside the
 * image, read block by block, batched, then merged like the cascade (NMS, and
 * optionally IOS merging of boxes cut by window borders).
 */
import type { DetectThresholds } from '../../../common/detect-contract';
import { finalMerge, isCut, type FinalDetection, type PipelineOutput } from './cascade';
import { mapBack } from './crops';
import type { RawDetection } from './decode';
import type { DetectorRunner } from './detector';
import type { XYXY } from './nms';
import { axisPositions, forEachWindow, writeWindow, type PatchSource } from './patches';
import type { RunContext } from './stage1-tiles';

export interface TiledState {
  width: number;
  height: number;
  xs: number[];
  ys: number[];
  size: number;
  /** Detector boxes per window (normalised to the window), at `floor`. */
  windows: Array<{ box: XYXY; dets: RawDetection[] }>;
  floor: number;
  runMs: number;
  readMs: number;
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export function planWindows(width: number, height: number, size: number, overlap: number): { xs: number[]; ys: number[] } {
  const stride = Math.max(1, Math.round(size * (1 - overlap)));
  return { xs: axisPositions(width, size, stride), ys: axisPositions(height, size, stride) };
}

export async function runTiled(source: PatchSource, det: DetectorRunner, t: DetectThresholds, ctx: RunContext): Promise<{ state: TiledState; output: PipelineOutput }> {
  const wallStarted = performance.now();
  const S = det.S;
  const { xs, ys } = planWindows(source.width, source.height, S, t.overlap);
  const total = xs.length * ys.length;
  const state: TiledState = { width: source.width, height: source.height, xs, ys, size: S, windows: new Array(total), floor: t.scoreMin, runMs: 0, readMs: 0 };
  const batch = Math.max(1, Math.min(32, det.batch === 1 ? 8 : det.batch));
  let input = new Float32Array(batch * det.plane);
  let slots: number[] = [];
  let done = 0;
  const runBefore = det.runMs;
  let readMs = 0;
  ctx.progress(0, `Windows: 0 of ${total}`);
  const flush = async () => {
    if (!slots.length) return;
    ctx.throwIfCancelled();
    const results = await det.run(input, slots.length, { scoreMin: t.scoreMin, nms: t.nms });
    slots.forEach((index, k) => {
      const x = xs[index % xs.length];
      const y = ys[Math.floor(index / xs.length)];
      state.windows[index] = { box: [x, y, x + S, y + S], dets: results[k] };
    });
    done += slots.length;
    slots = [];
    input = new Float32Array(batch * det.plane);
    ctx.progress((0.97 * done) / total, `Windows: ${done} of ${total}`);
  };
  await forEachWindow(source, xs, ys, S, S, async (w, patch, px, py, valid) => {
    writeWindow(patch, px, py, S, input, slots.length, det.cfg.pad, valid);
    slots.push(w.index);
    if (slots.length === batch) await flush();
  }, { onRead: (ms) => (readMs += ms) });
  await flush();
  state.runMs = det.runMs - runBefore;
  state.readMs = readMs;
  const output = mergeTiled(state, det, t);
  output.stats.totalMs = round(performance.now() - wallStarted, 1);
  return { state, output };
}

/** Maps window boxes to the image and merges them (re-run with new thresholds without the detector). */
export function mergeTiled(state: TiledState, det: DetectorRunner, t: DetectThresholds): PipelineOutput {
  const started = performance.now();
  const candidates: Array<FinalDetection & { cut: boolean }> = [];
  for (const w of state.windows) {
    if (!w) continue;
    for (const d of w.dets) {
      if (d.score < t.scoreMin) continue;
      candidates.push({ box: mapBack(d.box, w.box), score: d.score, cls: d.cls, stage: 'tiled', crop: null, cut: isCut(d.box, w.box, state.size, det.S, state.width, state.height) });
    }
  }
  const detections = finalMerge(candidates, t);
  const mergeMs = performance.now() - started;
  return {
    labels: [...det.cfg.labels],
    detections,
    crops: [],
    gate: null,
    stats: {
      tiles: state.xs.length * state.ys.length,
      tileColumns: state.xs.length,
      tileRows: state.ys.length,
      tileSize: state.size,
      crops: 0,
      cropsComputed: 0,
      cropsPerTile: 0,
      areaFullRes: 1,
      candidates: candidates.length,
      shortcut: 0,
      stage1Ms: 0,
      stage2Ms: round(state.runMs, 1),
      readMs: round(state.readMs, 1),
      mergeMs: round(mergeMs, 1),
      totalMs: round(state.runMs + state.readMs + mergeMs, 1),
    },
  };
}
