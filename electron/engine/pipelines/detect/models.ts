/**
 * What the detection pipeline reads from model manifests.
 *
 * - An **ODGI model** (task "detection", graphs `stage1` + `stage2`, see
 *   training/odgi/README.md "Model contract"): stage 1 sees a stage-1 tile
 *   (`tileFullResPx` full-resolution pixels downsampled to its input size),
 *   stage 2 a square crop. Its `thresholds` are the cascade defaults.
 * - A **plain detector**: an Ultralytics YOLO ONNX (graph `detector`, output
 *   [1, 4+nc, N], `preprocessing.format: "ultralytics-yolo"`), imported by the
 *   user. It can scan windows (tiled mode) or refine ODGI crops (stage 2).
 */
import type { ModelInfo } from '../../../common/contract';
import type { DetectThresholds } from '../../../common/detect-contract';
import { IriscopeError } from '../../../common/errors';
import type { GraphSpec, TensorSpec } from '../../models/manifest-schema';
import type { LoadedModel } from '../../models/model-registry';

export const YOLO_FORMAT = 'ultralytics-yolo';

export interface Stage1Config {
  modelId: string;
  name: string;
  graph: 'stage1';
  inputName: string;
  inputSize: number;
  /** Full-resolution pixels one stage-1 tile covers. */
  tilePx: number;
  cells: number;
  classes: number;
  labels: string[];
  outputs: { boxes: string; conf: string; group: string; offsets: string; classProb: string };
}

/** The optional tile gate of an ODGI model (graph `gate`, `preprocessing.gate`). */
export interface GateConfig {
  modelId: string;
  graph: 'gate';
  inputName: string;
  /** Thumbnail side: one stage-1 tile at 1/downsample. */
  inputSize: number;
  tilePx: number;
  output: string;
  /** Tiles scoring below it are skipped (manifest, chosen on validation for >= 99% tile recall). */
  threshold: number;
}

export interface DetectorConfig {
  modelId: string;
  name: string;
  graph: string;
  kind: 'odgi-stage2' | 'yolo';
  inputName: string;
  inputSize: number;
  /** Items per session run; fixed-batch exports (batch dimension 1) run one at a time. */
  maxBatch: number;
  labels: string[];
  /** Value (0..1) for pixels outside the image: black for ODGI, YOLO's letterbox grey. */
  pad: number;
  outputs: string[];
}

/** Built-in defaults where a manifest names none (the reference's, training/odgi/cascade.py). */
export const FALLBACK_THRESHOLDS: DetectThresholds = {
  gamma: 6,
  tauLow: 0.1,
  tauHigh: 0.8,
  cropNms: 0.25,
  nms: 0.5,
  mergeIos: 0,
  scoreMin: 0.05,
  minCropSide: 0.125,
  groupThreshold: 0.5,
  scoreThreshold: 0.3,
  overlap: 0.2,
};

function invalid(model: LoadedModel, why: string): IriscopeError {
  return new IriscopeError({
    code: 'MODEL_INVALID',
    message: `The model "${model.info.name}" cannot be used for detection: ${why}.`,
    hint: 'Use an ODGI model (stage1 + stage2 graphs) or an Ultralytics YOLO detection ONNX.',
  });
}

function mismatch(model: LoadedModel, graph: string, why: string, hint?: string): IriscopeError {
  return new IriscopeError({
    code: 'MODEL_SIGNATURE_MISMATCH',
    message: `The graph "${graph}" of the model "${model.info.name}" does not have the layout detection needs: ${why}.`,
    hint: hint ?? 'Export the model again in the expected layout, or fix its manifest.',
  });
}

const isOdgiManifest = (m: LoadedModel['manifest']) => m.task === 'detection' && !!m.graphs.stage1 && !!m.graphs.stage2;
const isYoloManifest = (m: LoadedModel['manifest']) => m.task === 'detection' && !!m.graphs.detector && (m.preprocessing as { format?: string } | undefined)?.format === YOLO_FORMAT;

export function isOdgi(model: LoadedModel): boolean {
  return isOdgiManifest(model.manifest);
}

export function isPlainDetector(model: LoadedModel): boolean {
  return isYoloManifest(model.manifest);
}

/** [N|1, C, S, S] with S a number; returns S and whether the batch is fixed at 1. */
function squareImageInput(model: LoadedModel, graphName: string, graph: GraphSpec): { name: string; size: number; fixedBatch: boolean } {
  const input = graph.inputs[0];
  const [n, c, h, w] = input?.shape ?? [];
  if (!input || input.shape.length !== 4 || c !== 3 || typeof h !== 'number' || h !== w) {
    throw mismatch(model, graphName, `its input must be one [N, 3, S, S] image, not [${input?.shape.join(', ') ?? ''}]`);
  }
  return { name: input.name, size: h, fixedBatch: typeof n === 'number' };
}

function labelsOf(model: LoadedModel, count: number): string[] {
  const labels = Array.isArray(model.manifest.labels) ? model.manifest.labels : [];
  return Array.from({ length: count }, (_, i) => labels[i] ?? `class ${i}`);
}

function dim(spec: TensorSpec | undefined, i: number): number | null {
  const d = spec?.shape[i];
  return typeof d === 'number' ? d : null;
}

function section(model: LoadedModel, name: string): Record<string, unknown> {
  const pre = model.manifest.preprocessing as Record<string, unknown> | undefined;
  const value = pre?.[name];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

export function stage1Config(model: LoadedModel): Stage1Config {
  if (!isOdgi(model)) throw invalid(model, 'it has no stage1 and stage2 graphs');
  const graph = model.manifest.graphs.stage1;
  const input = squareImageInput(model, 'stage1', graph);
  const out = (name: string) => {
    const spec = graph.outputs.find((o) => o.name === name);
    if (!spec) throw mismatch(model, 'stage1', `it has no "${name}" output (the ODGI contract needs boxes, conf, group_prob, offsets, class_prob)`);
    return spec;
  };
  const boxes = out('boxes');
  out('conf');
  out('group_prob');
  const offsets = out('offsets');
  const classProb = out('class_prob');
  const cells = dim(boxes, 1);
  if (boxes.shape.length !== 3 || dim(boxes, 2) !== 4 || cells === null) throw mismatch(model, 'stage1', `"boxes" must be [N, cells, 4], not [${boxes.shape.join(', ')}]`);
  if (dim(offsets, 2) !== 2) throw mismatch(model, 'stage1', `"offsets" must be [N, cells, 2], not [${offsets.shape.join(', ')}]`);
  const classes = dim(classProb, 2) ?? labelsOf(model, 0).length;
  const s1 = section(model, 'stage1');
  const tilePx = typeof s1.tileFullResPx === 'number' ? s1.tileFullResPx : input.size * (typeof s1.downsample === 'number' ? s1.downsample : 4);
  return {
    modelId: model.manifest.id,
    name: model.manifest.name,
    graph: 'stage1',
    inputName: input.name,
    inputSize: input.size,
    tilePx,
    cells,
    classes,
    labels: labelsOf(model, classes),
    outputs: { boxes: 'boxes', conf: 'conf', group: 'group_prob', offsets: 'offsets', classProb: 'class_prob' },
  };
}

/** The model's tile gate, or null when it has none. */
export function gateConfig(model: LoadedModel): GateConfig | null {
  const graph = model.manifest.graphs.gate;
  if (!graph) return null;
  const input = squareImageInput(model, 'gate', graph);
  if (graph.outputs.length !== 1) throw mismatch(model, 'gate', `it must have one output (object_prob [N]), not ${graph.outputs.length}`);
  const g = section(model, 'gate');
  const tilePx = typeof g.tileFullResPx === 'number' ? g.tileFullResPx : input.size * (typeof g.downsample === 'number' ? g.downsample : 16);
  const threshold = typeof g.threshold === 'number' ? g.threshold : 0.5;
  return { modelId: model.manifest.id, graph: 'gate', inputName: input.name, inputSize: input.size, tilePx, output: graph.outputs[0].name, threshold };
}

export function detectorConfig(model: LoadedModel): DetectorConfig {
  if (isOdgi(model)) {
    const graph = model.manifest.graphs.stage2;
    const input = squareImageInput(model, 'stage2', graph);
    for (const name of ['boxes', 'scores', 'class_prob']) {
      if (!graph.outputs.some((o) => o.name === name)) throw mismatch(model, 'stage2', `it has no "${name}" output (the ODGI contract needs boxes, scores, class_prob)`);
    }
    const classes = dim(graph.outputs.find((o) => o.name === 'class_prob'), 2) ?? labelsOf(model, 0).length;
    return {
      modelId: model.manifest.id, name: model.manifest.name, graph: 'stage2', kind: 'odgi-stage2', inputName: input.name, inputSize: input.size,
      maxBatch: input.fixedBatch ? 1 : 32, labels: labelsOf(model, classes), pad: 0, outputs: ['boxes', 'scores', 'class_prob'],
    };
  }
  if (isPlainDetector(model)) {
    const graph = model.manifest.graphs.detector;
    const input = squareImageInput(model, 'detector', graph);
    const output = graph.outputs[0];
    const labels = Array.isArray(model.manifest.labels) ? model.manifest.labels : [];
    checkYoloOutputShape(output.shape, labels.length, (why, hint) => mismatch(model, 'detector', why, hint));
    const rows = dim(output, 1);
    const nc = labels.length || (rows !== null ? rows - 4 : 0);
    const pad = (section(model, 'letterbox').pad as number | undefined) ?? 114;
    return {
      modelId: model.manifest.id, name: model.manifest.name, graph: 'detector', kind: 'yolo', inputName: input.name, inputSize: input.size,
      maxBatch: input.fixedBatch ? 1 : 16, labels: labelsOf(model, nc), pad: pad / 255, outputs: [output.name],
    };
  }
  throw invalid(model, 'it is neither an ODGI model (stage1 + stage2 graphs) nor an Ultralytics YOLO detector');
}

/**
 * The Ultralytics YOLOv8/11 detect head: [1 or N, 4 + nc, anchors]. Other
 * layouts (YOLOv5's [1, anchors, 5 + nc], end-to-end [1, 300, 6]) are refused.
 */
export function checkYoloOutputShape(shape: ReadonlyArray<number | string>, nc: number, fail: (why: string, hint?: string) => Error): void {
  const rows = typeof shape[1] === 'number' ? shape[1] : null;
  const anchors = typeof shape[2] === 'number' ? shape[2] : null;
  const layout = `[${shape.join(', ')}]`;
  if (shape.length !== 3) throw fail(`its output is ${layout}; an Ultralytics detector outputs [1, 4 + classes, anchors]`);
  const expected = nc ? 4 + nc : null;
  const wrongRows = rows !== null && (expected !== null ? rows !== expected : rows < 5);
  if (wrongRows) {
    const transposed = anchors !== null && (expected !== null ? anchors === expected || anchors === expected + 1 : false);
    const hint = transposed || (rows !== null && anchors !== null && rows > anchors)
      ? 'This looks like a YOLOv5/v7 layout ([1, anchors, 5 + classes]) or an end-to-end export. Export with Ultralytics YOLOv8/11 (`yolo export format=onnx`, nms=False).'
      : undefined;
    throw fail(`its output is ${layout}, but ${expected !== null ? `${nc} class names need [1, ${expected}, anchors]` : 'it needs [1, 4 + classes, anchors]'}`, hint);
  }
}

/** The ODGI model to use by default: the valid one with the best test AP@0.5 in its manifest (then the larger). */
export function pickDefaultOdgi(models: LoadedModel[]): LoadedModel | null {
  const odgi = models.filter((m) => m.info.valid && isOdgi(m));
  const ap = (m: LoadedModel) => {
    const test = (m.manifest.metrics as { test?: { ap50?: unknown } } | undefined)?.test?.ap50;
    return typeof test === 'number' ? test : -1;
  };
  odgi.sort((a, b) => ap(b) - ap(a) || b.info.sizeBytes - a.info.sizeBytes || (a.info.builtin === b.info.builtin ? 0 : a.info.builtin ? -1 : 1) || a.info.id.localeCompare(b.info.id));
  return odgi[0] ?? null;
}

export function noModelError(): IriscopeError {
  return new IriscopeError({
    code: 'MODEL_NOT_FOUND',
    message: 'No aerial detection model is installed.',
    hint: 'Install an ODGI model (models/odgi-*) or import one with `iriscope import-model`.',
  });
}

/** Manifest thresholds merged over the built-in defaults (unknown keys ignored, out-of-range values refused). */
export function manifestThresholds(model: LoadedModel | null): DetectThresholds {
  const out: DetectThresholds = { ...FALLBACK_THRESHOLDS };
  const t = (model?.manifest.thresholds ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(out) as Array<keyof DetectThresholds>) {
    const v = t[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = key === 'gamma' ? Math.round(v) : Math.min(v, key === 'tauHigh' ? 1.01 : key === 'overlap' ? 0.75 : 1);
  }
  return out;
}

/** Models a detection call may use, for listing. */
export function detectionModels(list: ModelInfo[]): ModelInfo[] {
  return list.filter((m) => m.task === 'detection');
}
