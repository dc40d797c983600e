/**
 * The tile gate: its ONNX graph answers as the PyTorch model it was exported
 * from; on a generated scene of an evaluation seed (3, never trained on) the
 * engine's cascade with the gate skips empty ground and runs stage 1 on every
 * tile holding an object, with AP@0.5 within a measured margin of the cascade
 * without it; and the gate keeps every object tile on a resampled read (the
 * same scene 2x coarser with its GSD given).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectResult } from '../../../../electron/common/detect-contract';
import type { Engine } from '../../../../electron/engine/engine';
import { averagePrecision } from '../../../../electron/engine/pipelines/detect/metrics';
import type { XYXY } from '../../../../electron/engine/pipelines/detect/nms';
import { axisPositions } from '../../../../electron/engine/pipelines/detect/patches';
import { writeAerialScene, type SceneTruth } from '../../../../scripts/bench/aerial-scene';
import { detectEngine } from '../../../helpers/detect';
import { REPO_ROOT, tempDir } from '../../../helpers/fixtures';

const MODEL = path.join(REPO_ROOT, 'models', 'odgi-cpu');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'detect');
const SIZE = 6144;
const T = 1024;

/**
 * Measured on this scene (6144², seed 3, 3 object tiles, 36 tiles: 7 with an object, 29 empty) with
 * odgi-cpu on the CPU provider, 2026-12-02: 26 tiles skipped (90% of the empty ones), every object tile
 * kept; AP@0.5 0.642 with the gate, 0.623 without; read 2x coarser with its GSD given (scale 2): 26 skipped, every
 * object tile kept. Floors leave room for provider and resampling differences: at least 70% of the
 * empty tiles skipped, AP at most 2 points below the run without the gate.
 */
const EXPECTED = { emptySkippedAtLeast: 0.7, apDropAtMost: 0.02 };

/** A tile holds an object when some box has at least 25% of its area inside it (the gate's training label). */
function tileLabels(boxes: XYXY[], size: number): Array<'object' | 'empty' | 'sliver'> {
  const xs = axisPositions(size, T, T);
  const out: Array<'object' | 'empty' | 'sliver'> = [];
  for (const y of xs) {
    for (const x of xs) {
      let best = 0;
      for (const b of boxes) {
        const iw = Math.max(0, Math.min(b[2], x + T) - Math.max(b[0], x));
        const ih = Math.max(0, Math.min(b[3], y + T) - Math.max(b[1], y));
        best = Math.max(best, (iw * ih) / ((b[2] - b[0]) * (b[3] - b[1])));
      }
      out.push(best >= 0.25 ? 'object' : best > 0 ? 'sliver' : 'empty');
    }
  }
  return out;
}

const xyxy = (b: readonly number[]): XYXY => [b[0], b[1], b[0] + b[2], b[1] + b[3]];

describe('tile gate graph', () => {
  it('ONNX gives the PyTorch probabilities on validation thumbnails (within 1e-4)', async () => {
    const ref = JSON.parse(readFileSync(path.join(FIXTURES, 'gate-parity.json'), 'utf8')) as { size: number; object_prob: number[]; labels: number[] };
    const S = ref.size;
    const { data, info } = await sharp(path.join(FIXTURES, 'gate-thumbnails.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const n = info.height / S;
    expect(n).toBe(ref.object_prob.length);
    const input = new Float32Array(n * 3 * S * S);
    for (let k = 0; k < n; k++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          for (let c = 0; c < 3; c++) input[((k * 3 + c) * S + y) * S + x] = data[((k * S + y) * S + x) * 3 + c] / 255;
        }
      }
    }
    const session = await ort.InferenceSession.create(path.join(MODEL, 'gate.onnx'), { executionProviders: ['cpu'] });
    const out = await session.run({ image: new ort.Tensor('float32', input, [n, 3, S, S]) });
    const probs = Array.from(out.object_prob.data as Float32Array);
    probs.forEach((p, i) => expect(Math.abs(p - ref.object_prob[i])).toBeLessThan(1e-4));
    // The fixture holds both kinds: object tiles score high, empty ones low.
    expect(Math.min(...probs.filter((_, i) => ref.labels[i] === 1))).toBeGreaterThan(Math.max(...probs.filter((_, i) => ref.labels[i] === 0)));
  });
});

describe('cascade with the tile gate on a generated scene (evaluation seed 3)', () => {
  let dir: string;
  let truth: SceneTruth;
  let engine: Engine;
  let on: DetectResult;
  let off: DetectResult;

  beforeAll(async () => {
    dir = await tempDir('iriscope-tile-gate-');
    const scene = path.join(dir, 'scene.tif');
    truth = await writeAerialScene(scene, { size: SIZE, seed: 3, objectTiles: 3 });
    engine = await detectEngine(dir);
    const image = await engine.openImage({ path: scene });
    await engine.images.whenReady(image.id);
    on = await engine.detection.start({ imageId: image.id, mode: 'cascade', modelId: 'odgi-cpu', gate: true, thresholds: { scoreThreshold: 0.05 } }).done;
    off = await engine.detection.start({ imageId: image.id, mode: 'cascade', modelId: 'odgi-cpu', gate: false, thresholds: { scoreThreshold: 0.05 } }).done;
    await engine.closeImage({ imageId: image.id });
  }, 600_000);
  afterAll(async () => {
    await engine?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs stage 1 on every tile holding an object and skips most empty ground', () => {
    const labels = tileLabels(truth.boxes, SIZE);
    expect(on.gate).not.toBeNull();
    expect(off.gate).toBeNull();
    const skipped = new Set(on.gate!.skippedTiles);
    expect(on.gate!.tiles).toBe(labels.length);
    const objectTiles = labels.flatMap((l, i) => (l === 'object' ? [i] : []));
    const emptyTiles = labels.flatMap((l, i) => (l === 'empty' ? [i] : []));
    expect(objectTiles.length).toBeGreaterThan(0);
    expect(objectTiles.filter((i) => skipped.has(i))).toEqual([]);
    const share = emptyTiles.filter((i) => skipped.has(i)).length / emptyTiles.length;
    console.info(`gate: ${skipped.size} of ${labels.length} tiles skipped; ${objectTiles.length} object tiles all kept; ${(share * 100).toFixed(0)}% of ${emptyTiles.length} empty tiles skipped`);
    expect(share).toBeGreaterThanOrEqual(EXPECTED.emptySkippedAtLeast);
    // Skipped tiles propose no crops.
    expect(on.crops.filter((c) => skipped.has(c.tile))).toEqual([]);
  });

  it('keeps AP@0.5 within the measured margin of the cascade without the gate', () => {
    const gts = [truth.boxes.map((b) => ({ box: b }))];
    const ap = (r: DetectResult) => averagePrecision([r.detections.map((d) => ({ box: xyxy(d.box), score: d.score }))], gts).ap;
    console.info(`AP@0.5 gate on ${ap(on).toFixed(3)}, off ${ap(off).toFixed(3)}; crops ${on.crops.length} / ${off.crops.length}`);
    expect(ap(off)).toBeGreaterThan(0.3);
    expect(ap(on)).toBeGreaterThanOrEqual(ap(off) - EXPECTED.apDropAtMost);
  });

  it('keeps every object tile when the image is read resampled (2x coarser, GSD given)', async () => {
    const coarse = path.join(dir, 'coarse.tif');
    await sharp(path.join(dir, 'scene.tif'), { limitInputPixels: false }).resize(SIZE / 2, SIZE / 2, { kernel: 'lanczos3' }).tiff({ tile: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 90 }).toFile(coarse);
    const image = await engine.openImage({ path: coarse });
    await engine.images.whenReady(image.id);
    try {
      const result = await engine.detection.start({ imageId: image.id, mode: 'cascade', modelId: 'odgi-cpu', gate: true, gsd: 0.25, thresholds: { scoreThreshold: 0.05 } }).done;
      expect(result.gsd.scale).toBe(2);
      // Read at scale 2, the virtual image is the original scene's size: its tiles are the original's.
      const labels = tileLabels(truth.boxes, SIZE);
      expect(result.gate!.tiles).toBe(labels.length);
      const skipped = new Set(result.gate!.skippedTiles);
      console.info(`resampled (scale ${result.gsd.scale}): ${skipped.size} of ${labels.length} tiles skipped`);
      expect(labels.flatMap((l, i) => (l === 'object' && skipped.has(i) ? [i] : []))).toEqual([]);
      const empty = labels.filter((l) => l === 'empty').length;
      expect(skipped.size / empty).toBeGreaterThanOrEqual(EXPECTED.emptySkippedAtLeast);
    } finally {
      await engine.closeImage({ imageId: image.id });
    }
  }, 600_000);
});
