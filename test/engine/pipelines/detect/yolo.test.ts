/**
 * Bring-your-own detector: an Ultralytics YOLOv8/11-layout ONNX (made here
 * from the shipped stage-2 graph, so it finds real objects) is imported from
 * the bare .onnx (names and image size from its metadata_props), scans an
 * aerial tile as the tiled detector and refines ODGI crops as stage 2. Wrong
 * layouts and tasks are refused with typed, explained errors.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../../electron/engine/engine';
import { decodeYolo } from '../../../../electron/engine/pipelines/detect/decode';
import { iou } from '../../../../electron/engine/pipelines/detect/nms';
import { parseImgsz, parsePythonNames, readOnnxMetadata } from '../../../../electron/engine/pipelines/detect/onnx-metadata';
import { AERIAL, detectEngine, detectorCfg, odgiModelDirs } from '../../../helpers/detect';
import { tempDir } from '../../../helpers/fixtures';
import { writeYoloFromStage2 } from '../../../helpers/yolo-model';

let root: string;
let engine: Engine;
let yolo: string;
const odgi = odgiModelDirs()[0];

beforeAll(async () => {
  root = await tempDir('iriscope-yolo-');
  engine = await detectEngine(root);
  if (!odgi) return;
  yolo = path.join(root, 'aerial-yolo.onnx');
  await writeYoloFromStage2(path.join(odgi, 'stage2.onnx'), yolo);
});
afterAll(async () => {
  await engine?.dispose();
});

describe('Ultralytics metadata', () => {
  it('parses Python-literal names and image sizes', () => {
    expect(parsePythonNames("{0: 'person', 1: 'bicycle', 2: \"it's\", 10: 'x\\'y'}")).toEqual(['person', 'bicycle', "it's", "x'y"]);
    expect(parsePythonNames("['car', 'truck']")).toEqual(['car', 'truck']);
    expect(parsePythonNames('')).toEqual([]);
    expect(parseImgsz('[640, 640]')).toEqual([640, 640]);
    expect(parseImgsz('1024')).toEqual([1024, 1024]);
    expect(parseImgsz(undefined)).toBeNull();
  });

  it('decodes [1, 4 + nc, N]: centre/size in input pixels, best class, class-aware NMS', () => {
    // 3 anchors, 2 classes; anchors 0 and 1 overlap (same class: one survives), anchor 2 is another class.
    const N = 3;
    const rows = [
      [64, 66, 20], // cx
      [64, 64, 20], // cy
      [32, 32, 10], // w
      [16, 16, 10], // h
      [0.9, 0.6, 0.1], // class 0
      [0.1, 0.2, 0.7], // class 1
    ];
    const tensor = new ort.Tensor('float32', Float32Array.from(rows.flat()), [1, 6, N]);
    const [dets] = decodeYolo({ ...detectorCfg, kind: 'yolo', inputSize: 128, labels: ['a', 'b'] }, tensor, 1, 0.25, 0.5);
    expect(dets.map((d) => [d.cls, d.score])).toEqual([[0, expect.closeTo(0.9, 6)], [1, expect.closeTo(0.7, 6)]]);
    expect(dets[0].box).toEqual([48 / 128, 56 / 128, 80 / 128, 72 / 128]);
    expect(() => decodeYolo({ ...detectorCfg, kind: 'yolo', inputSize: 128, labels: ['a', 'b', 'c'] }, tensor, 1, 0.25, 0.5)).toThrow(/returned \[1, 6, 3\]/);
  });
});

describe.skipIf(!odgi)('a user YOLO detector', () => {
  it('reads names and imgsz from the ONNX metadata_props without loading the graph', async () => {
    const meta = await readOnnxMetadata(yolo);
    expect(meta).toMatchObject({ task: 'detect', imgsz: '[128, 128]', names: "{0: 'vehicle', 1: 'boat', 2: 'plane'}" });
    await expect(readOnnxMetadata(path.join(AERIAL, 'boxes.json'))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('imports from the bare .onnx and scans a tile like the stage-2 network it wraps', async () => {
    const info = await engine.importModel({ path: yolo });
    expect(info).toMatchObject({ id: 'aerial-yolo', task: 'detection', valid: true, builtin: false });
    const manifest = engine.models.get('aerial-yolo').manifest;
    expect(manifest.labels).toEqual(['vehicle', 'boat', 'plane']);
    expect(manifest.graphs.detector.inputs[0]).toMatchObject({ name: 'images', shape: [1, 3, 128, 128] });

    const image = await engine.openImage({ path: path.join(AERIAL, 'tile-3000012.jpg') });
    const asYolo = await engine.detection.start({ imageId: image.id, mode: 'tiled', modelId: 'aerial-yolo', thresholds: { scoreMin: 0.2, nms: 0.5 } }).done;
    const asOdgi = await engine.detection.start({ imageId: image.id, mode: 'tiled', thresholds: { scoreMin: 0.2, nms: 0.5 } }).done;
    expect(asYolo.models).toEqual({ stage1: null, detector: 'aerial-yolo' });
    expect(asYolo.labels).toEqual(['vehicle', 'boat', 'plane']);
    // The fixed batch of 1 ran window by window; same windows as the ODGI run.
    expect(asYolo.stats.tiles).toBe(asOdgi.stats.tiles);
    // The best YOLO detections (scores depend on the model's training; compare the top ones).
    const strong = asYolo.detections.slice(0, 12);
    expect(strong.length).toBeGreaterThan(0);
    // YOLO score = objectness x class probability; each strong YOLO box is an object the ODGI run found too.
    let twins = 0;
    for (const d of strong) {
      const b = [d.box[0], d.box[1], d.box[0] + d.box[2], d.box[1] + d.box[3]] as [number, number, number, number];
      const twin = asOdgi.detections.find((o) => iou(b, [o.box[0], o.box[1], o.box[0] + o.box[2], o.box[1] + o.box[3]]) > 0.5);
      if (twin) twins++;
    }
    expect(twins / strong.length).toBeGreaterThan(0.9);
  });

  it('refines ODGI crops as stage 2 of the cascade', async () => {
    const image = await engine.openImage({ path: path.join(AERIAL, 'tile-3000001.jpg') });
    const result = await engine.detection.start({ imageId: image.id, mode: 'cascade', modelId: 'aerial-yolo' }).done;
    expect(result.models.detector).toBe('aerial-yolo');
    expect(result.models.stage1).toMatch(/^odgi-/);
    expect(result.stats.crops).toBeGreaterThan(0);
    // YOLO inputs are 128 px here: crops are at least that, so read at native resolution.
    for (const c of result.crops) expect(c.box[2]).toBeGreaterThanOrEqual(127.9);
    for (const d of result.detections.filter((x) => x.stage === 'refined')) expect(d.crop).not.toBeNull();
  });

  it('refuses a YOLOv5-layout export and a segmentation model with clear errors', async () => {
    const v5 = path.join(root, 'yolov5-layout.onnx');
    await writeYoloFromStage2(path.join(odgi, 'stage2.onnx'), v5, { layout: 'v5' });
    const error = await engine.importModel({ path: v5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_SIGNATURE_MISMATCH' });
    expect((error as Error).message).toMatch(/output is \[1, 256, 7\], but 3 class names need \[1, 7, anchors\]/);
    expect((error as { hint: string }).hint).toMatch(/YOLOv5/);
    const seg = path.join(root, 'seg.onnx');
    await writeYoloFromStage2(path.join(odgi, 'stage2.onnx'), seg, { task: 'segment' });
    await expect(engine.importModel({ path: seg })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/segment model/) });
    // Nothing was installed for them.
    expect(engine.models.list().map((m) => m.id)).not.toContain('yolov5-layout');
    await fs.rm(v5);
  });

  it('refuses a tampered model and a model of another task for detection', async () => {
    const image = await engine.openImage({ path: path.join(AERIAL, 'tile-3000002.jpg') });
    expect(() => engine.detection.start({ imageId: image.id, modelId: 'face-detector' })).toThrow(/not a detection model|No model/);
    expect(() => engine.detection.start({ imageId: image.id, modelId: 'no-such-model' })).toThrow(/No model "no-such-model"/);
  });
});
