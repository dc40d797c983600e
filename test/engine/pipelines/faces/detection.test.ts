import { describe, expect, it } from 'vitest';
import { DETECTION_COLUMNS, decodeDetections, mapDetection } from '../../../../electron/engine/pipelines/faces/detection';

/** Rows for `n` anchors, all zero (score 0) except those given. */
function rows(n: number, set: Record<number, number[]>): Float32Array {
  const out = new Float32Array(n * DETECTION_COLUMNS);
  for (const [i, values] of Object.entries(set)) out.set(values, Number(i) * DETECTION_COLUMNS);
  return out;
}

describe('decoding detector rows', () => {
  const anchors = Float32Array.from([8, 8, 24, 8, 100, 50]);

  it('adds the box centre and keypoint offsets to the anchor centre; width and height are pixels', () => {
    const kp = [-5, -4, 5, -4, 0, 0, 0, 6, -9, -2, 9, -2];
    const [d] = decodeDetections(rows(3, { 2: [0.9, 2, -3, 20, 30, ...kp] }), anchors, 0.5);
    expect(d.score).toBeCloseTo(0.9);
    expect([d.x0, d.y0, d.x1, d.y1]).toEqual([102 - 10, 47 - 15, 102 + 10, 47 + 15]);
    expect(d.keypoints).toEqual([95, 46, 105, 46, 100, 50, 100, 56, 91, 48, 109, 48]);
  });

  it('keeps scores at or above the threshold only, and drops empty boxes', () => {
    const found = decodeDetections(rows(3, { 0: [0.65, 0, 0, 10, 10], 1: [0.6499, 0, 0, 10, 10], 2: [0.99, 0, 0, 0, 10] }), anchors, 0.65);
    expect(found).toHaveLength(1);
    expect(found[0].x0).toBe(3);
  });

  it('refuses an output whose size does not match the anchors', () => {
    expect(() => decodeDetections(new Float32Array(10), anchors, 0.5)).toThrow(/expected 3 anchors/);
  });

  it('maps window pixels to image pixels: image = offset + input / scale', () => {
    const d = { x0: 10, y0: 20, x1: 30, y1: 60, keypoints: [10, 20, 30, 60], score: 0.8 };
    const m = mapDetection(d, 100, -50, 0.5);
    expect([m.x0, m.y0, m.x1, m.y1]).toEqual([120, -10, 160, 70]);
    expect(m.keypoints).toEqual([120, -10, 160, 70]);
    expect(m.score).toBe(0.8);
  });
});
