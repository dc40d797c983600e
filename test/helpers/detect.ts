/**
 * Shared pieces of the detection tests: the Python reference's record types,
 * stage-1 tiles built from them, model configs and a stage-2 "detector" that
 * answers with recorded outputs.
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { Engine } from '../../electron/engine/engine';
import { argmax, type Stage1Tile } from '../../electron/engine/pipelines/detect/crops';
import type { CropDetector } from '../../electron/engine/pipelines/detect/cascade';
import type { Detection } from '../../electron/common/detect-contract';
import { averagePrecision, recallPrecision } from '../../electron/engine/pipelines/detect/metrics';
import type { XYXY } from '../../electron/engine/pipelines/detect/nms';
import type { RawDetection } from '../../electron/engine/pipelines/detect/decode';
import type { DetectorConfig, Stage1Config } from '../../electron/engine/pipelines/detect/models';
import type { PatchSource } from '../../electron/engine/pipelines/detect/patches';
import { REPO_ROOT } from './fixtures';

export interface PyStage1 {
  boxes: number[][];
  conf: number[];
  group_prob: number[];
  offsets: number[][];
  class_prob: number[][];
}
export interface PyStage2 {
  boxes: number[][];
  scores: number[];
  class_prob: number[][];
}
export interface PyCase {
  name: string;
  params: { gamma: number; tauLow: number; tauHigh: number; cropNms: number; nms: number; scoreMin: number; minCropSide: number; groupThreshold: number };
  stage1: PyStage1;
  keep: Array<{ box: number[]; score: number; cls: number; idx: number }>;
  crops: Array<{ box: number[]; score: number; idx: number }>;
  stage2: PyStage2[];
  final: Array<{ box: number[]; score: number; cls: number; stage: string }>;
}

export const LABELS = ['vehicle', 'boat', 'plane'];
export const T = 1024;

export function tileFrom(s: PyStage1, size = T): Stage1Tile {
  const cells = s.conf.length;
  const classes = s.class_prob[0]?.length ?? 3;
  return {
    index: 0, x: 0, y: 0, size, cells, classes,
    boxes: Float32Array.from(s.boxes.flat()),
    conf: Float32Array.from(s.conf),
    group: Float32Array.from(s.group_prob),
    offsets: Float32Array.from(s.offsets.flat()),
    classProb: Float32Array.from(s.class_prob.flat()),
  };
}

export const stage1Cfg: Stage1Config = {
  modelId: 'ref', name: 'reference', graph: 'stage1', inputName: 'image', inputSize: 256, tilePx: T, cells: 256, classes: 3, labels: LABELS,
  outputs: { boxes: 'boxes', conf: 'conf', group: 'group_prob', offsets: 'offsets', classProb: 'class_prob' },
};
export const detectorCfg: DetectorConfig = {
  modelId: 'ref', name: 'reference', graph: 'stage2', kind: 'odgi-stage2', inputName: 'image', inputSize: 128, maxBatch: 32, labels: LABELS, pad: 0, outputs: ['boxes', 'scores', 'class_prob'],
};

/** A stage-2 "detector" that returns the recorded outputs of the crop it is asked about. */
export function recordedDetector(byCrop: Map<string, PyStage2>, keyOf: (r: { x: number; y: number; width: number }) => string): CropDetector & { asked: number } {
  const det = {
    cfg: detectorCfg,
    S: 128,
    readMs: 0,
    runMs: 0,
    asked: 0,
    async runRegions(_source: PatchSource, regions: Array<{ x: number; y: number; width: number; height: number }>) {
      det.asked += regions.length;
      return regions.map((r): RawDetection[] => {
        const out = byCrop.get(keyOf(r));
        if (!out) throw new Error(`no recorded stage-2 output for crop ${keyOf(r)}`);
        return out.scores.map((score, k) => ({ box: out.boxes[k] as [number, number, number, number], score, cls: argmax(out.class_prob[k]) }));
      });
    },
  };
  return det;
}

export const noSource: PatchSource = { width: T, height: T, readPatch: () => Promise.reject(new Error('not read')) };
export const ctx = { progress: () => undefined, throwIfCancelled: () => undefined };


// ---------------------------------------------------------------- engines with the installed models


/**
 * A model folder to add to the user's models (DETECT_EXTRA_MODEL), for trying
 * the tests with a model that is not installed in models/ yet.
 */
const EXTRA = process.env.DETECT_EXTRA_MODEL;

/** Folders of the ODGI models the tests can use: models/odgi-* (and DETECT_EXTRA_MODEL). */
export function odgiModelDirs(): string[] {
  const dir = path.join(REPO_ROOT, 'models');
  const builtin = existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('odgi-') && existsSync(path.join(dir, d, 'manifest.json'))).map((d) => path.join(dir, d)) : [];
  return [...builtin, ...(EXTRA ? [EXTRA] : [])];
}

/** An engine with its own data and cache folders (and DETECT_EXTRA_MODEL imported as a user model). */
export async function detectEngine(root: string): Promise<Engine> {
  if (EXTRA) await fs.cp(EXTRA, path.join(root, 'data', 'models', path.basename(EXTRA)), { recursive: true });
  return Engine.create({ paths: { dataDir: path.join(root, 'data'), cacheDir: path.join(root, 'cache') } });
}

/**
 * AP@0.5 over all scores, and recall/precision at `threshold`, of one run's detections (xywh)
 * against a generated scene's truth (xyxy pixels).
 */
export function scoreOnScene(detections: readonly Detection[], truth: readonly XYXY[], threshold: number): { ap: number; recall: number; precision: number } {
  const dets = [detections.map((d): { box: XYXY; score: number } => ({ box: [d.box[0], d.box[1], d.box[0] + d.box[2], d.box[1] + d.box[3]], score: d.score }))];
  const gts = [truth.map((box) => ({ box }))];
  const { recall, precision } = recallPrecision(dets, gts, threshold);
  return { ap: averagePrecision(dets, gts).ap, recall, precision };
}

export const AERIAL = path.join(REPO_ROOT, 'test', 'fixtures', 'aerial');

export interface AerialTile {
  file: string;
  width: number;
  height: number;
  boxes: Array<[number, number, number, number]>;
  classes: number[];
}

/** The frozen CI tiles whose JPEG is present. */
export function aerialTiles(): AerialTile[] {
  const doc = JSON.parse(readFileSync(path.join(AERIAL, 'boxes.json'), 'utf8')) as { tiles: AerialTile[] };
  return doc.tiles.filter((t) => existsSync(path.join(AERIAL, t.file)));
}

/** Georeferencing of the GeoTIFFs the tests write: UTM 33N, 12.5 cm pixels. */
export const GEO_ORIGIN: [number, number] = [595_000, 5_527_000];
export const GEO_GSD = 0.125;

/** A fixture tile written as a GeoTIFF (UTM 33N, 12.5 cm pixels unless `gsd` says otherwise) with geotiff.js, in the given form. */
export async function writeGeoTiff(file: string, source: string, form: 'rgb' | 'gray' | 'rgb16', gsd = GEO_GSD): Promise<void> {
  const { data, info } = await sharp(source).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  let values: Uint8Array | Uint16Array;
  if (form === 'gray') {
    values = new Uint8Array(width * height);
    for (let i = 0; i < width * height; i++) values[i] = Math.round(0.299 * data[i * 3] + 0.587 * data[i * 3 + 1] + 0.114 * data[i * 3 + 2]);
  } else if (form === 'rgb16') {
    values = Uint16Array.from(data, (v) => v * 257);
  } else {
    values = new Uint8Array(data);
  }
  const buffer = writeArrayBuffer(values as unknown as number[], {
    width, height,
    ...(form === 'gray' ? {} : { PhotometricInterpretation: 2 }),
    ModelPixelScale: [gsd, gsd, 0],
    ModelTiepoint: [0, 0, 0, GEO_ORIGIN[0], GEO_ORIGIN[1], 0],
    GTModelTypeGeoKey: 1,
    GTRasterTypeGeoKey: 1,
    ProjectedCSTypeGeoKey: 32633,
  } as Parameters<typeof writeArrayBuffer>[1]);
  await fs.writeFile(file, Buffer.from(buffer));
}

