/**
 * The ODGI cascade over a large image (reference: training/odgi/cascade.py):
 *
 *   stage 1 on every stage-1 tile (reduced pyramid level, batched)
 *   → per tile: strong individuals kept, groups and weak boxes turned into
 *     square crops with the learned offsets, crop NMS, at most γ crops
 *   → stage 2 on the crops read at full resolution (batched)
 *   → boxes mapped back to image pixels, kept + refined merged by NMS
 *     (optionally merging boxes cut by crop borders by IOS).
 *
 * Stage-1 outputs and stage-2 results per crop are kept in a `CascadeState`,
 * so new thresholds are applied without running stage 1 again and stage 2
 * runs only on crops it has not seen.
 */
import type { DetectThresholds } from '../../../common/detect-contract';
import { imageBoundsInTile, mapBack, tileToPixels, transition, unionAreaFraction, type Stage1Tile, type TransitionParams } from './crops';
import type { RawDetection } from './decode';
import type { DetectorRunner } from './detector';
import type { DetectorConfig, GateConfig, Stage1Config } from './models';
import { mergeCut, nms, type XYXY } from './nms';
import type { PatchSource } from './patches';
import { planStage1Tiles, runStage1, type RunContext, type SessionLike, type TileGrid } from './stage1-tiles';
import { runGate, type GateOutcome } from './tile-gate';

export interface FinalDetection {
  /** Full-resolution pixels, xyxy. */
  box: XYXY;
  score: number;
  /** Index into the output's labels. */
  cls: number;
  stage: 'shortcut' | 'refined' | 'tiled';
  /** Index into the output's crops (refined), or null. */
  crop: number | null;
}

export interface OutputCrop {
  box: XYXY;
  score: number;
  tile: number;
  group: boolean;
}

export interface PipelineOutput {
  labels: string[];
  detections: FinalDetection[];
  crops: OutputCrop[];
  /** The tile gate's outcome (cascade with a gate), or null. */
  gate: { model: string; threshold: number; tiles: number; skipped: number[]; ms: number } | null;
  stats: {
    tiles: number;
    tileColumns: number;
    tileRows: number;
    tileSize: number;
    crops: number;
    cropsComputed: number;
    cropsPerTile: number;
    areaFullRes: number;
    candidates: number;
    shortcut: number;
    stage1Ms: number;
    stage2Ms: number;
    readMs: number;
    mergeMs: number;
    totalMs: number;
  };
}

interface CachedCrop {
  floor: number;
  dets: RawDetection[];
}

export interface CascadeState {
  width: number;
  height: number;
  grid: TileGrid;
  /** Stage-1 tiles that ran (all of the grid's, less those the gate skipped). */
  tiles: Stage1Tile[];
  gate: (GateOutcome & { model: string }) | null;
  stage1Ms: number;
  stage1ReadMs: number;
  /** Detector results per crop (key: detector id + crop in pixels). */
  cropCache: Map<string, CachedCrop>;
}

/** What the cascade needs of its stage-2 detector (DetectorRunner; tests pass recorded outputs). */
export type CropDetector = Pick<DetectorRunner, 'cfg' | 'S' | 'readMs' | 'runMs' | 'runRegions'>;

export interface CascadeModels {
  stage1: Stage1Config;
  stage1Session: SessionLike;
  detector: CropDetector;
  /** The stage-1 model's tile gate, when the run uses it. */
  gate?: { cfg: GateConfig; session: SessionLike; threshold: number };
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** Stage-1 tiles done, as a share of the whole job's progress. */
const STAGE1_SHARE = 0.45;

export function transitionParams(t: DetectThresholds, stage1: Stage1Config, detector: DetectorConfig): TransitionParams {
  // Crops are never smaller than the detector's input: small crops are then read at native resolution.
  const minSide = Math.min(1, Math.max(t.minCropSide, detector.inputSize / stage1.tilePx));
  return { tauLow: t.tauLow, tauHigh: t.tauHigh, gamma: t.gamma, cropNms: t.cropNms, minCropSide: minSide, groupThreshold: t.groupThreshold };
}

/** Labels of the output: the detector's, then stage-1 classes it does not have. */
export function mergedLabels(stage1: Stage1Config, detector: DetectorConfig): { labels: string[]; fromStage1: number[] } {
  const labels = [...detector.labels];
  const fromStage1 = stage1.labels.map((name) => {
    const at = labels.indexOf(name);
    if (at >= 0) return at;
    labels.push(name);
    return labels.length - 1;
  });
  return { labels, fromStage1 };
}

export async function runStage1Pass(source: PatchSource, models: CascadeModels, ctx: RunContext): Promise<CascadeState> {
  const grid = planStage1Tiles(source.width, source.height, models.stage1.tilePx);
  let runMs = 0;
  let readMs = 0;
  let gate: CascadeState['gate'] = null;
  if (models.gate) {
    ctx.progress(0, `Tile gate: ${grid.count} tiles`);
    gate = { ...(await runGate(source, models.gate.cfg, models.gate.session, grid, models.gate.threshold, ctx)), model: models.gate.cfg.modelId };
  }
  const skipped = new Set(gate?.skipped ?? []);
  const todo = grid.count - skipped.size;
  ctx.progress(0, `Stage 1: 0 of ${todo} tiles`);
  const tiles = await runStage1(source, models.stage1, models.stage1Session, grid, {
    include: (index) => !skipped.has(index),
    ctx,
    onRun: (ms) => (runMs += ms),
    onRead: (ms) => (readMs += ms),
    onTiles: (done) => ctx.progress((STAGE1_SHARE * done) / Math.max(1, todo), `Stage 1: ${done} of ${todo} tiles`),
  });
  return { width: source.width, height: source.height, grid, tiles, gate, stage1Ms: runMs, stage1ReadMs: readMs, cropCache: new Map() };
}

/**
 * The part of the cascade after stage 1: transition per tile, stage 2 on
 * crops not in the cache, mapping back and the final merge.
 */
export async function refineCascade(state: CascadeState, source: PatchSource, models: CascadeModels, t: DetectThresholds, ctx: RunContext, progressFrom = STAGE1_SHARE): Promise<PipelineOutput> {
  const started = performance.now();
  const det = models.detector;
  const params = transitionParams(t, models.stage1, det.cfg);
  const { labels, fromStage1 } = mergedLabels(models.stage1, det.cfg);

  // ---- transition per tile
  const kept: Array<{ box: XYXY; score: number; cls: number }> = [];
  const crops: Array<OutputCrop & { key: string }> = [];
  for (const tile of state.tiles) {
    const { keep, crops: tileCrops } = transition(tile, params, imageBoundsInTile(tile, state.width, state.height));
    for (const k of keep) kept.push({ box: tileToPixels(tile, k.box), score: k.score, cls: fromStage1[k.cls] ?? 0 });
    for (const c of tileCrops) {
      const box = tileToPixels(tile, c.box);
      crops.push({ box, score: c.score, tile: tile.index, group: c.group, key: cropKey(det.cfg.modelId, box) });
    }
  }

  // ---- stage 2 on crops not seen yet (duplicates across tiles run once)
  const todo: number[] = [];
  const queued = new Set<string>();
  for (let i = 0; i < crops.length; i++) {
    const cached = state.cropCache.get(crops[i].key);
    if ((!cached || cached.floor > t.scoreMin) && !queued.has(crops[i].key)) {
      todo.push(i);
      queued.add(crops[i].key);
    }
  }
  const readBefore = det.readMs;
  const runBefore = det.runMs;
  if (todo.length) {
    ctx.progress(progressFrom, `Refining crops: 0 of ${todo.length}`);
    const regions = todo.map((i) => {
      const [x1, y1, x2, y2] = crops[i].box;
      return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
    });
    const results = await det.runRegions(source, regions, {
      scoreMin: t.scoreMin,
      nms: t.nms,
      throwIfCancelled: () => ctx.throwIfCancelled(),
      onBatch: (done) => ctx.progress(progressFrom + ((0.97 - progressFrom) * done) / todo.length, `Refining crops: ${done} of ${todo.length}`),
    });
    todo.forEach((i, k) => state.cropCache.set(crops[i].key, { floor: t.scoreMin, dets: results[k] }));
  }
  ctx.throwIfCancelled();
  ctx.progress(0.98, 'Merging detections');

  // ---- map back and merge (kept first, then refined crop by crop, as the reference)
  const mergeStarted = performance.now();
  const candidates: Array<FinalDetection & { cut: boolean }> = kept.map((k) => ({ ...k, stage: 'shortcut' as const, crop: null, cut: false }));
  crops.forEach((crop, ci) => {
    const side = crop.box[2] - crop.box[0];
    for (const d of state.cropCache.get(crop.key)!.dets) {
      if (d.score < t.scoreMin) continue;
      // Crops are in pixels, so this lands in pixels directly.
      candidates.push({ box: mapBack(d.box, crop.box), score: d.score, cls: d.cls, stage: 'refined', crop: ci, cut: isCut(d.box, crop.box, side, det.S, state.width, state.height) });
    }
  });
  const detections = finalMerge(candidates, t);
  const mergeMs = performance.now() - mergeStarted;

  return {
    labels,
    detections,
    crops: crops.map(({ key: _key, ...c }) => c),
    gate: state.gate ? { model: state.gate.model, threshold: state.gate.threshold, tiles: state.grid.count, skipped: state.gate.skipped, ms: round(state.gate.ms, 1) } : null,
    stats: {
      tiles: state.grid.count,
      tileColumns: state.grid.xs.length,
      tileRows: state.grid.ys.length,
      tileSize: state.grid.size,
      crops: crops.length,
      cropsComputed: todo.length,
      cropsPerTile: round(crops.length / Math.max(1, state.grid.count), 3),
      areaFullRes: round(unionAreaFraction(crops.map((c) => c.box), state.width, state.height), 4),
      candidates: candidates.length,
      shortcut: detections.filter((d) => d.stage === 'shortcut').length,
      stage1Ms: round(state.stage1Ms, 1),
      stage2Ms: round(det.runMs - runBefore, 1),
      readMs: round(state.stage1ReadMs + det.readMs - readBefore, 1),
      mergeMs: round(mergeMs, 1),
      totalMs: round(performance.now() - started, 1),
    },
  };
}

/** Full cascade: stage 1, then refinement. */
export async function runCascade(source: PatchSource, models: CascadeModels, t: DetectThresholds, ctx: RunContext): Promise<{ state: CascadeState; output: PipelineOutput }> {
  const started = performance.now();
  const state = await runStage1Pass(source, models, ctx);
  const output = await refineCascade(state, source, models, t, ctx);
  output.stats.totalMs = round(performance.now() - started, 1);
  return { state, output };
}

function cropKey(detector: string, b: XYXY): string {
  return `${detector}|${b.map((v) => v.toFixed(2)).join(',')}`;
}

/**
 * A box touching a patch edge that is not an image edge may be cut by the
 * patch border. `b` is normalised to the patch `p` (pixels, side `side`).
 */
export function isCut(b: XYXY, p: XYXY, side: number, inputSize: number, width: number, height: number): boolean {
  const eps = 1.5 / inputSize;
  const inner = 0.5;
  return (b[0] <= eps && p[0] > inner) || (b[1] <= eps && p[1] > inner) || (b[2] >= 1 - eps && p[0] + side < width - inner) || (b[3] >= 1 - eps && p[1] + side < height - inner);
}

/**
 * Class-agnostic greedy NMS at `nms` (score descending, ties by order), then,
 * when `mergeIos` > 0, boxes cut by a crop border merged into the box they
 * mostly overlap. Returns the survivors best first.
 */
export function finalMerge(candidates: Array<FinalDetection & { cut: boolean }>, t: Pick<DetectThresholds, 'nms' | 'mergeIos'>): FinalDetection[] {
  const kept = nms(candidates.map((c) => c.box), candidates.map((c) => c.score), t.nms).map((i) => candidates[i]);
  let out: Array<FinalDetection & { cut: boolean }> = kept;
  if (t.mergeIos > 0) {
    out = mergeCut(kept, t.mergeIos).map(({ index, box }) => ({ ...kept[index], box }));
  }
  return out.map(({ cut: _cut, ...d }) => d);
}
