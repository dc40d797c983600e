/**
 * Every installed ODGI model, run by the TypeScript cascade through the
 * engine (pyramid reads, batched ONNX runs, the manifest's thresholds) on the
 * frozen CI set test/fixtures/aerial: AP@0.5, recall at the operating
 * threshold and stage-1 coverage must reach the floors its model card states
 * (manifest metrics.ciFloors, measured with the Python reference minus a margin).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../../electron/engine/engine';
import { averagePrecision, coverage, recallPrecision, type ScoredBox } from '../../../../electron/engine/pipelines/detect/metrics';
import type { XYXY } from '../../../../electron/engine/pipelines/detect/nms';
import { AERIAL, aerialTiles, detectEngine, odgiModelDirs } from '../../../helpers/detect';
import { tempDir } from '../../../helpers/fixtures';

let engine: Engine;
beforeAll(async () => {
  engine = await detectEngine(await tempDir('iriscope-shipped-'));
});
afterAll(async () => {
  await engine?.dispose();
});

const xyxy = (b: readonly number[]): XYXY => [b[0], b[1], b[0] + b[2], b[1] + b[3]];

describe('shipped ODGI models on the frozen CI set', () => {
  it('at least one ODGI model is installed', () => {
    expect(odgiModelDirs().length, 'no models/odgi-* installed').toBeGreaterThan(0);
  });

  for (const dir of odgiModelDirs()) {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const floors = manifest.metrics?.ciFloors as { ap50: number; recall: number; stage1_coverage?: number } | undefined;

    it(`${manifest.id}: AP@0.5, recall and stage-1 coverage at or above the model card's floors`, async () => {
      expect(floors, `${manifest.id}: manifest metrics.ciFloors missing`).toBeDefined();
      const tiles = aerialTiles();
      expect(tiles.length).toBeGreaterThanOrEqual(10);
      const dets: ScoredBox[][] = [];
      const gts: Array<Array<{ box: XYXY }>> = [];
      let hit = 0;
      let total = 0;
      let threshold = 0;
      for (const t of tiles) {
        const image = await engine.openImage({ path: path.join(AERIAL, t.file) });
        const result = await engine.detection.start({ imageId: image.id, modelId: manifest.id, thresholds: { scoreThreshold: 0.05 } }).done;
        threshold = manifest.thresholds?.scoreThreshold ?? 0.3;
        dets.push(result.detections.map((d) => ({ box: xyxy(d.box), score: d.score })));
        gts.push(t.boxes.map((b) => ({ box: b })));
        const regions = [...result.crops.map((c) => xyxy(c.box)), ...result.detections.filter((d) => d.stage === 'shortcut').map((d) => xyxy(d.box))];
        const c = coverage(gts[gts.length - 1], regions);
        hit += c.hit;
        total += c.total;
        await engine.closeImage({ imageId: image.id });
      }
      const { ap } = averagePrecision(dets, gts);
      const { recall } = recallPrecision(dets, gts, threshold);
      const cov = hit / total;
      // Printed so a CI log shows the margin to each floor.
      console.info(`${manifest.id}: AP@0.5 ${ap.toFixed(3)} (floor ${floors!.ap50}), recall@${threshold} ${recall.toFixed(3)} (floor ${floors!.recall}), coverage ${cov.toFixed(3)} (floor ${floors!.stage1_coverage ?? '-'})`);
      expect(ap).toBeGreaterThanOrEqual(floors!.ap50);
      expect(recall).toBeGreaterThanOrEqual(floors!.recall);
      if (floors!.stage1_coverage !== undefined) expect(cov).toBeGreaterThanOrEqual(floors!.stage1_coverage);
    });
  }
});
