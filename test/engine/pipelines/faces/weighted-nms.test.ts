import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../../electron/engine/pipelines/faces/detection';
import { iou, weightedNms } from '../../../../electron/engine/pipelines/faces/weighted-nms';

const det = (x0: number, y0: number, x1: number, y1: number, score: number, kp = [x0, y0]): Detection => ({ x0, y0, x1, y1, score, keypoints: kp });

describe('IoU', () => {
  it('is 1 for equal boxes, 0 for disjoint or touching ones, and exact for partial overlaps', () => {
    expect(iou(det(0, 0, 10, 10, 1), det(0, 0, 10, 10, 1))).toBe(1);
    expect(iou(det(0, 0, 10, 10, 1), det(10, 0, 20, 10, 1))).toBe(0);
    expect(iou(det(0, 0, 10, 10, 1), det(50, 50, 60, 60, 1))).toBe(0);
    // 5×10 overlap = 50; union 100 + 100 - 50 = 150
    expect(iou(det(0, 0, 10, 10, 1), det(5, 0, 15, 10, 1))).toBeCloseTo(1 / 3, 12);
    // a box inside another: 4 / 100
    expect(iou(det(0, 0, 10, 10, 1), det(2, 2, 4, 4, 1))).toBeCloseTo(0.04, 12);
  });

  it('is 0 for empty boxes', () => {
    expect(iou(det(5, 5, 5, 5, 1), det(0, 0, 10, 10, 1))).toBe(0);
  });
});

describe('weighted NMS (MediaPipe WeightedNonMaxSuppression)', () => {
  it('merges a cluster into the score-weighted mean of corners and keypoints, keeping the best score', () => {
    const a = det(0, 0, 10, 10, 0.9, [2, 3, 8, 3]);
    const b = det(2, 0, 12, 10, 0.6, [4, 3, 10, 5]); // IoU 80/120 = 0.67 with a
    const [m] = weightedNms([b, a], 0.3);
    expect(m.score).toBe(0.9);
    expect(m.x0).toBeCloseTo((0.9 * 0 + 0.6 * 2) / 1.5, 12);
    expect(m.x1).toBeCloseTo((0.9 * 10 + 0.6 * 12) / 1.5, 12);
    expect(m.y0).toBe(0);
    expect(m.keypoints[0]).toBeCloseTo((0.9 * 2 + 0.6 * 4) / 1.5, 12);
    expect(m.keypoints[3]).toBeCloseTo((0.9 * 3 + 0.6 * 5) / 1.5, 12);
    expect(m.support).toBe(2);
  });

  it('keeps separate faces apart and returns them best first', () => {
    const out = weightedNms([det(0, 0, 10, 10, 0.7), det(100, 0, 110, 10, 0.95), det(50, 50, 60, 60, 0.8)], 0.3);
    expect(out.map((d) => d.score)).toEqual([0.95, 0.8, 0.7]);
    expect(out.every((d) => d.support === 1)).toBe(true);
  });

  it('uses a strict "IoU above the threshold": exactly 1/3 does not merge at 1/3', () => {
    const a = det(0, 0, 10, 10, 0.9);
    const b = det(5, 0, 15, 10, 0.8); // IoU exactly 1/3
    expect(weightedNms([a, b], 1 / 3 + 1e-12)).toHaveLength(2);
    expect(weightedNms([a, b], 0.3)).toHaveLength(1);
  });

  it('clusters around the best remaining box only (no chaining through a middle box)', () => {
    // b overlaps a and c, but a and c do not overlap each other enough
    const a = det(0, 0, 10, 10, 0.9);
    const b = det(4, 0, 14, 10, 0.85); // IoU(a,b) = 60/140 = 0.43
    const c = det(9, 0, 19, 10, 0.8); // IoU(a,c) = 10/190 = 0.05, IoU(b,c) = 0.43
    const out = weightedNms([a, b, c], 0.3);
    expect(out).toHaveLength(2);
    expect(out[1].score).toBe(0.8);
    expect(out[1].x0).toBe(9);
  });

  it('returns nothing for nothing and does not modify its input', () => {
    expect(weightedNms([], 0.3)).toEqual([]);
    const input = [det(0, 0, 10, 10, 0.9, [1, 1]), det(1, 1, 11, 11, 0.8, [2, 2])];
    const copy = structuredClone(input);
    weightedNms(input, 0.3);
    expect(input).toEqual(copy);
  });
});
