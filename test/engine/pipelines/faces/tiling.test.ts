import { describe, expect, it } from 'vitest';
import { crossesInnerEdge, planScan, positions } from '../../../../electron/engine/pipelines/faces/tiling';

describe('window positions along one axis', () => {
  it('centres one window when the image fits (negative start = padding)', () => {
    expect(positions(200, 256, 0.5)).toEqual([-28]);
    expect(positions(256, 256, 0.5)).toEqual([0]);
  });

  it('spreads whole-pixel starts with at least 50 % overlap, first at 0, last flush with the far edge', () => {
    const xs = positions(1024, 256, 0.5);
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]).toBe(1024 - 256);
    expect(xs).toEqual([0, 128, 256, 384, 512, 640, 768]);
    const odd = positions(1000, 256, 0.5);
    expect(odd[odd.length - 1]).toBe(744);
    for (let i = 1; i < odd.length; i++) expect(odd[i] - odd[i - 1]).toBeLessThanOrEqual(128);
    expect(odd.every(Number.isInteger)).toBe(true);
  });
});

describe('scan plan', () => {
  it('scans a 1024 × 416 photo at full scale in tiles, then once whole with room for large faces', () => {
    const plan = planScan(1024, 416, { inputSize: 256, minFace: 20 });
    expect(plan.passes.map((p) => [p.columns, p.rows])).toEqual([[7, 3], [1, 1]]);
    expect(plan.passes[0].scale).toBe(1);
    // The whole image fills 3/4 of the input: a face as large as the photo still fits the detector.
    expect(plan.passes[1].scale).toBeCloseTo(192 / 1024, 12);
    const whole = plan.windows[plan.windows.length - 1];
    expect(whole.side).toBeCloseTo(1024 / 0.75, 9);
    expect(whole.x + whole.side / 2).toBeCloseTo(512, 9);
    expect(whole.y + whole.side / 2).toBeCloseTo(208, 9);
    expect(whole.innerEdges).toEqual({ left: false, top: false, right: false, bottom: false });
  });

  it('picks the finest scale so the smallest wanted face is 20 detector pixels, never enlarging', () => {
    expect(planScan(4000, 3000, { inputSize: 256, minFace: 80 }).passes[0].scale).toBe(0.25);
    expect(planScan(4000, 3000, { inputSize: 256, minFace: 10 }).passes[0].scale).toBe(1);
    expect(planScan(4000, 3000, { inputSize: 256, minFace: 10, maxUpscale: 2 }).passes[0].scale).toBe(2);
  });

  it('adds coarser passes, each at most 4× smaller, down to the whole-image pass', () => {
    const plan = planScan(20_000, 20_000, { inputSize: 256, minFace: 20 });
    const scales = plan.passes.map((p) => p.scale);
    for (let i = 1; i < scales.length; i++) expect(scales[i - 1] / scales[i]).toBeLessThanOrEqual(4 + 1e-9);
    expect(scales[scales.length - 1]).toBeCloseTo(192 / 20_000, 12);
    expect(plan.passes[plan.passes.length - 1]).toMatchObject({ columns: 1, rows: 1 });
  });

  it('scans a small image once, centred', () => {
    const plan = planScan(100, 60, { inputSize: 256, minFace: 20 });
    expect(plan.windows).toHaveLength(1);
    expect(plan.windows[0]).toMatchObject({ x: -78, y: -98, side: 256, scale: 1 });
  });

  it('holds every face up to half a tile whole in at least one window of the finest pass', () => {
    const plan = planScan(1500, 900, { inputSize: 256, minFace: 25 });
    const fine = plan.windows.filter((w) => w.pass === 0);
    const face = 128 / plan.passes[0].scale;
    for (let y = 0; y + face <= 900; y += 37) {
      for (let x = 0; x + face <= 1500; x += 41) {
        const box = { x0: x, y0: y, x1: x + face, y1: y + face };
        const holders = fine.filter((w) => box.x0 >= w.x - 1e-6 && box.y0 >= w.y - 1e-6 && box.x1 <= w.x + w.side + 1e-6 && box.y1 <= w.y + w.side + 1e-6);
        expect(holders.length, `face at ${x},${y}`).toBeGreaterThan(0);
        // ...and at least one of them keeps it (it crosses none of that window's inner edges).
        expect(holders.some((w) => !crossesInnerEdge(w, box))).toBe(true);
      }
    }
  });

  it('rejects impossible inputs', () => {
    expect(() => planScan(0, 10, { inputSize: 256, minFace: 20 })).toThrow();
    expect(() => planScan(10, 10, { inputSize: 256, minFace: 0 })).toThrow();
  });
});

describe('inner edges', () => {
  const plan = planScan(1024, 416, { inputSize: 256, minFace: 20 });
  const middle = plan.windows.find((w) => w.pass === 0 && w.row === 1 && w.column === 3)!;
  const corner = plan.windows.find((w) => w.pass === 0 && w.row === 0 && w.column === 0)!;

  it('drops a box cut by an edge shared with a neighbour window, not one cut by the image border', () => {
    expect(middle.innerEdges).toEqual({ left: true, top: true, right: true, bottom: true });
    expect(corner.innerEdges).toEqual({ left: false, top: false, right: true, bottom: true });
    const cutRight = { x0: middle.x + 230, y0: middle.y + 50, x1: middle.x + 270, y1: middle.y + 90 };
    expect(crossesInnerEdge(middle, cutRight)).toBe(true);
    const atImageLeft = { x0: -5, y0: 20, x1: 30, y1: 60 };
    expect(crossesInnerEdge(corner, atImageLeft)).toBe(false);
    const inside = { x0: middle.x + 10, y0: middle.y + 10, x1: middle.x + 50, y1: middle.y + 50 };
    expect(crossesInnerEdge(middle, inside)).toBe(false);
  });

  it('tolerates boxes that overshoot an inner edge by less than the tolerance', () => {
    const overshoot = { x0: middle.x + 200, y0: middle.y + 50, x1: middle.x + 257, y1: middle.y + 90 };
    expect(crossesInnerEdge(middle, overshoot, 0)).toBe(true);
    expect(crossesInnerEdge(middle, overshoot, 2)).toBe(false);
  });
});
