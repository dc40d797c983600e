/**
 * The shipped single-shot baseline (models/aerial-yolo-baseline, issue 11 item 2) is a real
 * Ultralytics-layout detector: the bring-your-own-YOLO importer accepts its ONNX as it stands
 * (names, image size and [N, 4 + nc, anchors] read from the file), and run tiled through the
 * real engine on a scene generated for this test (the bench's generator, from the committed CI
 * tiles, which training never read) it finds the objects: AP@0.5 and recall above a floor set
 * well below what it measured. A model with shuffled outputs or boxes in the wrong units scores 0.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../electron/engine/engine';
import { ultralyticsManifest } from '../../electron/engine/pipelines/detect/yolo-import';
import { writeAerialScene, type SceneTruth } from '../../scripts/bench/aerial-scene';
import { detectEngine, scoreOnScene } from '../helpers/detect';
import { REPO_ROOT, tempDir } from '../helpers/fixtures';

const MODEL = path.join(REPO_ROOT, 'models', 'aerial-yolo-baseline');
/** Measured on this scene (3072², seed 3, 2 object tiles, 54 objects), 40-min model, CPU: AP@0.5 0.353, recall@0.1 0.444 (precision 0.414). Floors about 0.1 below: the claim is "it detects", not "it is good". */
const FLOOR = { ap50: 0.25, recall: 0.3 };

let dir: string;
let scene: string;
let truth: SceneTruth;
let engine: Engine;

beforeAll(async () => {
  dir = await tempDir('iriscope-yolo-baseline-');
  scene = path.join(dir, 'scene-3072.tif');
  truth = await writeAerialScene(scene, { size: 3072, seed: 3, objectTiles: 2 });
  engine = await detectEngine(dir);
});
afterAll(async () => {
  await engine?.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('aerial-yolo-baseline', () => {
  it('is accepted by the Ultralytics importer as a 3-class detection model', async () => {
    const m = (await ultralyticsManifest(path.join(MODEL, 'detector.onnx'))) as { labels: string[]; preprocessing: { imgsz: number } };
    expect(m.labels).toEqual(['vehicle', 'boat', 'plane']);
    expect(m.preprocessing.imgsz).toBe(640);
  });

  it('run tiled on a generated scene, finds its objects (AP@0.5 and recall above the floor)', async () => {
    expect(truth.boxes.length).toBeGreaterThan(10);
    const image = await engine.openImage({ path: scene });
    await engine.images.whenReady(image.id);
    const result = await engine.detection.start({ imageId: image.id, mode: 'tiled', modelId: 'aerial-yolo-baseline', thresholds: { scoreThreshold: 0.05 } }).done;
    expect(result.models.detector).toBe('aerial-yolo-baseline');
    const threshold = engine.detection.resolve({ mode: 'tiled', modelId: 'aerial-yolo-baseline' }).thresholds.scoreThreshold;
    const { ap, recall, precision } = scoreOnScene(result.detections, truth.boxes, threshold);
    console.info(`aerial-yolo-baseline tiled: ${truth.boxes.length} objects, AP@0.5 ${ap.toFixed(3)}, recall@${threshold} ${recall.toFixed(3)}, precision ${precision.toFixed(3)}, ${result.stats.tiles} windows`);
    expect(ap).toBeGreaterThan(FLOOR.ap50);
    expect(recall).toBeGreaterThan(FLOOR.recall);
  });
});
