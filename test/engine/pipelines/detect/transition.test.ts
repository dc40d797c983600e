/**
 * The stage transition and merge on hand-made cases: what is kept, which
 * crops are made (square, learned offsets, min side, shifted inside the image
 * rather than the tile in a large image), crop NMS with γ, mapping back to
 * image pixels, final NMS and merging of boxes cut by crop borders; plus the
 * tile/window planning and the metrics used by the tests and the benchmark.
 */
import { describe, expect, it } from 'vitest';
import { finalMerge, isCut, mergedLabels, refineCascade, transitionParams, type CascadeState } from '../../../../electron/engine/pipelines/detect/cascade';
import { imageBoundsInTile, mapBack, squareCrop, tileToPixels, transition, unionAreaFraction, type Stage1Tile } from '../../../../electron/engine/pipelines/detect/crops';
import { averagePrecision, coverage, recallAtPrecision, recallPrecision } from '../../../../electron/engine/pipelines/detect/metrics';
import { FALLBACK_THRESHOLDS, checkYoloOutputShape } from '../../../../electron/engine/pipelines/detect/models';
import { iou, ios, mergeCut, nms, type XYXY } from '../../../../electron/engine/pipelines/detect/nms';
import { axisPositions, validPart } from '../../../../electron/engine/pipelines/detect/patches';
import { planStage1Tiles } from '../../../../electron/engine/pipelines/detect/stage1-tiles';
import { planWindows } from '../../../../electron/engine/pipelines/detect/tiled-baseline';
import { ctx, detectorCfg, noSource, recordedDetector, stage1Cfg } from '../../../helpers/detect';

const P = { tauLow: 0.1, tauHigh: 0.8, gamma: 6, cropNms: 0.25, minCropSide: 0.125, groupThreshold: 0.5 };

/** A 4x4-cell tile with the given cells set (others empty). */
function tile(cells: Record<number, { box: XYXY; conf: number; group?: number; off?: [number, number]; cls?: number }>, at: Partial<Stage1Tile> = {}): Stage1Tile {
  const n = 16;
  const t: Stage1Tile = {
    index: 0, x: 0, y: 0, size: 1024, cells: n, classes: 3,
    boxes: new Float32Array(n * 4), conf: new Float32Array(n), group: new Float32Array(n), offsets: new Float32Array(n * 2).fill(0.5), classProb: new Float32Array(n * 3),
    ...at,
  };
  for (const [k, c] of Object.entries(cells)) {
    const i = Number(k);
    t.boxes.set(c.box, i * 4);
    t.conf[i] = c.conf;
    t.group[i] = c.group ?? 0;
    t.offsets.set(c.off ?? [0.5, 0.5], i * 2);
    t.classProb[i * 3 + (c.cls ?? 0)] = 0.9;
  }
  return t;
}

describe('stage transition', () => {
  it('keeps strong individuals, crops groups and weak boxes, ignores the rest', () => {
    const t = tile({
      0: { box: [0.1, 0.1, 0.15, 0.12], conf: 0.9, cls: 2 }, // strong individual → kept, class 2
      1: { box: [0.3, 0.3, 0.4, 0.35], conf: 0.9, group: 0.8 }, // strong but a group → crop
      2: { box: [0.6, 0.6, 0.62, 0.61], conf: 0.5 }, // weak individual → crop
      3: { box: [0.8, 0.8, 0.9, 0.9], conf: 0.05 }, // below tau_low → nothing
    });
    const { keep, crops } = transition(t, P);
    expect(keep).toEqual([{ box: [t.boxes[0], t.boxes[1], t.boxes[2], t.boxes[3]], score: t.conf[0], cls: 2, idx: 0 }]);
    expect(crops.map((c) => [c.idx, c.group])).toEqual([[1, true], [2, false]]);
  });

  it('makes square crops from the learned offsets: side max(w/ox, h/oy, min side), capped at the tile, centred', () => {
    // w = 0.1, ox = 0.25 → side 0.4 centred on (0.35, 0.325).
    const c = squareCrop([0.3, 0.3, 0.4, 0.35], 0.25, 0.5, 0.125);
    expect(c[0]).toBeCloseTo(0.15, 6);
    expect(c[1]).toBeCloseTo(0.125, 6);
    expect(c[2] - c[0]).toBeCloseTo(0.4, 6);
    expect(c[3] - c[1]).toBeCloseTo(0.4, 6);
    // A tiny box gets the min side (128 px of a 1024 px tile: read at native resolution for a 128 px stage 2).
    const small = squareCrop([0.5, 0.5, 0.51, 0.505], 0.9, 0.9, 0.125);
    expect(small[2] - small[0]).toBeCloseTo(0.125, 9);
    // Huge side: capped at 1.
    expect(squareCrop([0.2, 0.2, 0.8, 0.8], 0.1, 0.1, 0.125)).toEqual([0, 0, 1, 1]);
  });

  it('shifts crops inside the tile for one tile, inside the image (across tile borders) in a large image', () => {
    // A group at the right edge of the first tile of a 1500 px wide image.
    const box: XYXY = [0.95, 0.5, 1.0, 0.55];
    const inTile = squareCrop(box, 0.25, 0.25, 0.125);
    expect(inTile[2]).toBeCloseTo(1, 9); // shifted back inside [0, 1]
    const t = { x: 0, y: 0, size: 1024 };
    const bounds = imageBoundsInTile(t, 1500, 1024);
    const inImage = squareCrop(box, 0.25, 0.25, 0.125, bounds);
    expect(inImage[0]).toBeCloseTo(0.975 - 0.1, 6); // centred on the box, reaching into the next tile
    expect(inImage[2]).toBeGreaterThan(1);
    // At the right edge of the image it is shifted back inside the image.
    const last = { x: 1024, y: 0, size: 1024 };
    const edge = squareCrop([0.44, 0.5, 0.46, 0.52], 0.1, 0.1, 0.125, imageBoundsInTile(last, 1500, 1024));
    expect(tileToPixels(last, edge)[2]).toBeCloseTo(1500, 6);
  });

  it('suppresses overlapping crops (IoU > cropNms), best first, at most γ, ties by cell order', () => {
    const t = tile({
      5: { box: [0.4, 0.4, 0.5, 0.5], conf: 0.6 },
      6: { box: [0.41, 0.41, 0.51, 0.51], conf: 0.7 }, // overlaps 5 → 5 suppressed
      9: { box: [0.05, 0.8, 0.1, 0.85], conf: 0.5 },
      10: { box: [0.85, 0.05, 0.9, 0.1], conf: 0.5 }, // same score as 9: 9 first
      12: { box: [0.85, 0.85, 0.9, 0.9], conf: 0.4 },
    });
    expect(transition(t, { ...P, gamma: 10 }).crops.map((c) => c.idx)).toEqual([6, 9, 10, 12]);
    expect(transition(t, { ...P, gamma: 2 }).crops.map((c) => c.idx)).toEqual([6, 9]);
    expect(transition(t, { ...P, gamma: 0 }).crops).toEqual([]);
    expect(transition(t, { ...P, cropNms: 0.99 }).crops.map((c) => c.idx)).toEqual([6, 5, 9, 10, 12].slice(0, 5));
  });

  it('crops are never smaller than the detector input (native resolution)', () => {
    expect(transitionParams(FALLBACK_THRESHOLDS, stage1Cfg, detectorCfg).minCropSide).toBe(0.125);
    expect(transitionParams(FALLBACK_THRESHOLDS, stage1Cfg, { ...detectorCfg, inputSize: 640 }).minCropSide).toBe(0.625);
  });

  it('maps stage-2 boxes back through the crop and merges by NMS, kept boxes first', async () => {
    expect(mapBack([0.5, 0.25, 0.75, 0.5], [100, 200, 228, 328])).toEqual([164, 232, 196, 264]);
    const t = tile({
      0: { box: [0.1, 0.1, 0.14, 0.12], conf: 0.9 }, // kept: 102.4..143.36 px
      5: { box: [0.11, 0.1, 0.13, 0.12], conf: 0.5 }, // weak: a 128 px crop around the kept box
    });
    const crop = squareCrop(t.boxes.subarray(20, 24), 0.5, 0.5, 0.125);
    const px = tileToPixels(t, crop);
    const key = (r: { x: number; y: number; width: number }) => `${Math.round(r.x)},${Math.round(r.y)}`;
    // Stage 2 sees two objects: one also kept by stage 1 (duplicate across stages) and one new.
    const kept = [102.4, 102.4, 143.36, 122.88];
    const dupe = [(kept[0] - px[0]) / 128, (kept[1] - px[1]) / 128, (kept[2] - px[0]) / 128, (kept[3] - px[1]) / 128];
    const stage2 = { boxes: [[0.4, 0.4, 0.6, 0.5], dupe.map((v) => Math.min(1, Math.max(0, v)))], scores: [0.7, 0.95], class_prob: [[0.1, 0.8, 0.1], [0.9, 0.05, 0.05]] };
    const det = recordedDetector(new Map([[key({ x: px[0], y: px[1], width: 128 }), stage2]]), key);
    const state: CascadeState = { width: 1024, height: 1024, grid: { xs: [0], ys: [0], size: 1024, count: 1 }, tiles: [t], gate: null, stage1Ms: 0, stage1ReadMs: 0, cropCache: new Map() };
    const out = await refineCascade(state, noSource, { stage1: stage1Cfg, stage1Session: { run: () => Promise.reject(new Error('x')) }, detector: det }, { ...FALLBACK_THRESHOLDS }, ctx);
    expect(out.crops).toHaveLength(1);
    expect(out.detections.map((d) => [d.stage, d.cls, d.score])).toEqual([['refined', 0, 0.95], ['refined', 1, 0.7]]);
    // The far-off stage-2 box maps to pixels through the crop.
    const boat = out.detections.find((d) => d.cls === 1)!;
    expect(boat.box[0]).toBeCloseTo(px[0] + 0.4 * 128, 6);
    expect(boat.box[3]).toBeCloseTo(px[1] + 0.5 * 128, 6);
    // The duplicate: stage 2 scored higher than the kept box, so it wins the NMS; the kept one is gone.
    expect(out.detections).toHaveLength(2);
    expect(out.detections.filter((d) => d.stage === 'shortcut')).toHaveLength(0);
    expect(out.stats.candidates).toBe(3);
  });

  it('merges boxes cut by crop borders by intersection over the smaller box (only when enabled, only cut boxes)', () => {
    const whole = { box: [100, 100, 140, 118] as XYXY, score: 0.9, cls: 0, stage: 'refined' as const, crop: 0, cut: false };
    const half = { box: [120, 100, 141, 118] as XYXY, score: 0.6, cls: 0, stage: 'refined' as const, crop: 1, cut: true };
    const neighbour = { box: [142, 100, 182, 118] as XYXY, score: 0.8, cls: 0, stage: 'refined' as const, crop: 0, cut: false };
    expect(iou(whole.box, half.box)).toBeLessThan(0.5);
    expect(ios(whole.box, half.box)).toBeGreaterThan(0.9);
    expect(finalMerge([whole, half, neighbour], { nms: 0.5, mergeIos: 0 })).toHaveLength(3);
    const merged = finalMerge([whole, half, neighbour], { nms: 0.5, mergeIos: 0.5 });
    expect(merged.map((d) => d.score)).toEqual([0.9, 0.8]);
    expect(merged[0].box).toEqual([100, 100, 141, 118]);
    // Two whole boxes that touch are never merged.
    expect(mergeCut([{ box: [0, 0, 10, 10], score: 1, cut: false }, { box: [2, 2, 8, 8], score: 0.5, cut: false }], 0.5)).toHaveLength(2);
  });

  it('marks boxes touching an inner crop border as cut, not those at the image border', () => {
    expect(isCut([0, 0.2, 0.3, 0.4], [500, 500, 628, 628], 128, 128, 2000, 2000)).toBe(true);
    expect(isCut([0, 0.2, 0.3, 0.4], [0, 500, 128, 628], 128, 128, 2000, 2000)).toBe(false);
    expect(isCut([0.2, 0.2, 1, 0.4], [1872, 500, 2000, 628], 128, 128, 2000, 2000)).toBe(false);
    expect(isCut([0.2, 0.2, 0.5, 0.4], [500, 500, 628, 628], 128, 128, 2000, 2000)).toBe(false);
  });

  it('labels: a YOLO stage 2 keeps its own classes, stage-1 classes it lacks are appended', () => {
    const { labels, fromStage1 } = mergedLabels(stage1Cfg, { ...detectorCfg, labels: ['car', 'vehicle', 'truck'] });
    expect(labels).toEqual(['car', 'vehicle', 'truck', 'boat', 'plane']);
    expect(fromStage1).toEqual([1, 3, 4]);
  });
});

describe('NMS', () => {
  it('is greedy by score with ties by index, and the grid version equals the plain one', () => {
    const boxes: XYXY[] = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]];
    expect(nms(boxes, [0.5, 0.9, 0.5, 0.5], 0.5)).toEqual([1, 2]);
    expect(nms(boxes, [0.5, 0.5, 0.5, 0.5], 0.5)).toEqual([0, 2]);
    expect(nms(boxes, [0.5, 0.9, 0.5, 0.5], 0.5, 1)).toEqual([1]);
    // Random boxes over a large image: the grid-accelerated path (n > 64) against a plain greedy loop.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const many: XYXY[] = [];
    const scores: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const x = rnd() * 5000;
      const y = rnd() * 5000;
      const w = 10 + rnd() * 60;
      many.push([x, y, x + w, y + w * (0.4 + rnd())]);
      scores.push(Math.round(rnd() * 100) / 100);
    }
    const order = many.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    const plain: number[] = [];
    for (const i of order) if (plain.every((j) => iou(many[i], many[j]) <= 0.3)) plain.push(i);
    expect(nms(many, scores, 0.3)).toEqual(plain);
  });

  it('takes the millions of candidates of a tiled run over a 20,000 px image', () => {
    // 400 tiles x 100 windows x ~16 cells above the floor: about 600,000 boxes.
    const n = 600_000;
    const boxes: XYXY[] = new Array(n);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = (i * 5) % 20_000;
      const y = Math.floor(i / 30) % 20_000;
      boxes[i] = [x, y, x + 20, y + 8]; // neighbours overlap with IoU 0.6
      scores[i] = ((i * 7919) % 1000) / 1000;
    }
    const kept = nms(boxes, scores, 0.5);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(n);
  });
});

describe('planning', () => {
  it('covers a 20,000 px image with 400 stage-1 tiles of 1024 px, the last shifted back inside', () => {
    const g = planStage1Tiles(20_000, 20_000, 1024);
    expect(g.count).toBe(400);
    expect(g.xs[0]).toBe(0);
    expect(g.xs[19]).toBe(20_000 - 1024);
    expect(planStage1Tiles(600, 400, 1024)).toMatchObject({ xs: [0], ys: [0], count: 1 });
    expect(axisPositions(2048, 1024, 1024)).toEqual([0, 1024]);
  });

  it('lays SAHI-like windows with the asked overlap', () => {
    const { xs } = planWindows(1024, 1024, 128, 0.2);
    expect(xs[1] - xs[0]).toBe(102);
    expect(xs[xs.length - 1]).toBe(1024 - 128);
    expect(xs.length).toBe(10);
  });

  it('knows which part of a patch lies inside the image', () => {
    expect(validPart({ x: -100, y: 50, width: 400, height: 400 }, 250, 1000, 0.5)).toEqual({ x: 50, y: 0, width: 125, height: 200 });
  });

  it('measures the area read at full resolution as the union of crops', () => {
    expect(unionAreaFraction([[0, 0, 500, 500], [250, 0, 750, 500]], 1000, 1000)).toBeCloseTo(0.375, 3);
    expect(unionAreaFraction([], 1000, 1000)).toBe(0);
  });
});

describe('YOLO output layout check', () => {
  const fail = (why: string, hint?: string) => Object.assign(new Error(why), { hint });
  it('accepts [1, 4 + nc, anchors] and refuses other layouts with a reason', () => {
    expect(() => checkYoloOutputShape([1, 84, 8400], 80, fail)).not.toThrow();
    expect(() => checkYoloOutputShape(['batch', 7, 'anchors'], 3, fail)).not.toThrow();
    expect(() => checkYoloOutputShape([1, 25200, 85], 80, fail)).toThrow(/80 class names need \[1, 84, anchors\]/);
    try {
      checkYoloOutputShape([1, 25200, 85], 80, fail);
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/YOLOv5/);
    }
    expect(() => checkYoloOutputShape([1, 300, 6], 2, fail)).toThrow(/\[1, 6, anchors\]/);
    expect(() => checkYoloOutputShape([1, 84], 80, fail)).toThrow(/output is \[1, 84\]/);
  });
});

describe('metrics', () => {
  it('AP@0.5 (VOC all-point), recall at a threshold and coverage on a small case', () => {
    const gts = [[{ box: [0, 0, 10, 10] as XYXY }, { box: [20, 20, 30, 30] as XYXY }], [{ box: [0, 0, 10, 10] as XYXY }]];
    const dets = [
      [{ box: [0, 0, 10, 10] as XYXY, score: 0.9 }, { box: [50, 50, 60, 60] as XYXY, score: 0.8 }, { box: [21, 21, 31, 31] as XYXY, score: 0.3 }],
      [{ box: [0, 0, 10, 9] as XYXY, score: 0.7 }],
    ];
    // Ranked: TP(0.9), FP(0.8), TP(0.7), TP(0.3): precision 1, .5, .67, .75 at recall 1/3, 1/3, 2/3, 1.
    expect(averagePrecision(dets, gts).ap).toBeCloseTo(1 / 3 + (1 / 3) * 0.75 + (1 / 3) * 0.75, 6);
    expect(recallPrecision(dets, gts, 0.5)).toMatchObject({ recall: 2 / 3, precision: 2 / 3 });
    expect(coverage(gts[0], [[0, 0, 12, 12]])).toEqual({ hit: 1, total: 2 });
    expect(Number.isNaN(averagePrecision([[]], [[]]).ap)).toBe(true);
    // The best recall at a precision floor, and the threshold that reaches it.
    expect(recallAtPrecision(dets, gts, 0.75)).toEqual({ recall: 1, threshold: 0.3 });
    expect(recallAtPrecision(dets, gts, 0.8)).toEqual({ recall: 1 / 3, threshold: 0.9 });
    expect(recallAtPrecision(dets, gts, 1.01).recall).toBe(0);
  });
});
