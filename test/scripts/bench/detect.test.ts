/**
 * The detection benchmark measures something: on a scene generated the way
 * `npm run bench -- detect` makes its scenes (a small one, so the test stays
 * short), the real engine with each installed ODGI model finds the objects in
 * both modes, cascade and tiled, with AP@0.5 and recall above floors measured
 * on that scene (with a margin). A garbled scene, broken boxes or a bench that
 * reads the wrong pixels scores near 0.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../electron/engine/engine';
import { writeAerialScene, type SceneTruth } from '../../../scripts/bench/aerial-scene';
import { detectEngine, odgiModelDirs, scoreOnScene } from '../../helpers/detect';
import { tempDir } from '../../helpers/fixtures';

/**
 * Measured on this scene (4096², seed 1, 4 object tiles, 71 objects) with odgi-cpu, CPU provider,
 * 2026-12-02: cascade AP@0.5 0.661, recall@0.35 0.648 (precision 0.575); tiled AP@0.5 0.629,
 * recall@0.35 0.718 (precision 0.490). Floors: about 0.1 below (resampling or provider differences
 * move a few boxes; a broken scene or pipeline scores near 0). Any other model: AP > 0 is the claim.
 */
const FLOORS: Record<string, Record<'cascade' | 'tiled', { ap50: number; recall: number }>> = {
  'odgi-cpu': { cascade: { ap50: 0.55, recall: 0.55 }, tiled: { ap50: 0.52, recall: 0.6 } },
};
const ANY_MODEL = { ap50: 0.05, recall: 0.05 };

let dir: string;
let scene: string;
let truth: SceneTruth;
let engine: Engine;

beforeAll(async () => {
  dir = await tempDir('iriscope-bench-detect-');
  scene = path.join(dir, 'scene-4096.tif');
  truth = await writeAerialScene(scene, { size: 4096, seed: 1, objectTiles: 4 });
  engine = await detectEngine(dir);
});
afterAll(async () => {
  await engine?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('detection benchmark on a generated scene', () => {
  it('the scene is the known one: 71 objects on 4 object tiles', () => {
    expect(truth.boxes).toHaveLength(71);
    expect(truth.objects).toHaveLength(4);
  });

  it('at least one ODGI model is installed', () => {
    expect(odgiModelDirs().length, 'no models/odgi-* installed').toBeGreaterThan(0);
  });

  for (const dir of odgiModelDirs()) {
    const id = (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { id: string }).id;
    for (const mode of ['cascade', 'tiled'] as const) {
      it(`${id}, ${mode}: AP@0.5 and recall at or above the floors`, async () => {
        const image = await engine.openImage({ path: scene });
        await engine.images.whenReady(image.id);
        try {
          const result = await engine.detection.start({ imageId: image.id, mode, modelId: id, thresholds: { scoreThreshold: 0.05 } }).done;
          const threshold = engine.detection.resolve({ mode, modelId: id }).thresholds.scoreThreshold;
          const { ap, recall, precision } = scoreOnScene(result.detections, truth.boxes, threshold);
          const floor = FLOORS[id]?.[mode] ?? ANY_MODEL;
          // Printed so a CI log shows the margin to each floor.
          console.info(`${id} ${mode}: AP@0.5 ${ap.toFixed(3)} (floor ${floor.ap50}), recall@${threshold} ${recall.toFixed(3)} (floor ${floor.recall}), precision ${precision.toFixed(3)}, ${result.detections.length} detections`);
          expect(ap).toBeGreaterThanOrEqual(floor.ap50);
          expect(recall).toBeGreaterThanOrEqual(floor.recall);
        } finally {
          await engine.closeImage({ imageId: image.id });
        }
      });
    }
  }
});
