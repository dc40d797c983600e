/**
 * The TypeScript cascade against the Python reference (training/odgi/cascade.py),
 * on the cases recorded by scripts/odgi/cascade_fixture.py: hand-made stage-1
 * outputs that pin each rule (strict thresholds, crop NMS with ties, γ, square
 * crops at the border) and seeded random ones. The same stage-1 and stage-2
 * outputs go through the production code path (transition per tile, crop
 * ordering, stage-2 results mapped back, final NMS), and every kept box, crop
 * and final detection must equal the reference's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { refineCascade, type CascadeState } from '../../../../electron/engine/pipelines/detect/cascade';
import { transition } from '../../../../electron/engine/pipelines/detect/crops';
import { FALLBACK_THRESHOLDS } from '../../../../electron/engine/pipelines/detect/models';
import { ctx, noSource, recordedDetector, stage1Cfg, T, tileFrom, type PyCase } from '../../../helpers/detect';
import { REPO_ROOT } from '../../../helpers/fixtures';

const doc = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/detect/cascade-reference.json'), 'utf8')) as { cases: PyCase[] };

describe('cascade vs the Python reference (model-free cases)', () => {
  it('has the recorded cases', () => {
    expect(doc.cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const c of doc.cases) {
    it(`${c.name}: keep, crops and final detections equal the reference`, async () => {
      const t = { ...FALLBACK_THRESHOLDS, ...c.params };
      const tile = tileFrom(c.stage1);
      // Transition on the tile (normalised coordinates, as the reference).
      const { keep, crops } = transition(tile, { ...c.params });
      expect(keep.map((k) => k.idx)).toEqual(c.keep.map((k) => k.idx));
      keep.forEach((k, i) => {
        expect(k.cls).toBe(c.keep[i].cls);
        expect(k.score).toBe(c.keep[i].score);
        expect(k.box).toEqual(c.keep[i].box);
      });
      expect(crops.map((k) => k.idx)).toEqual(c.crops.map((k) => k.idx));
      crops.forEach((k, i) => {
        expect(k.score).toBe(c.crops[i].score);
        k.box.forEach((v, j) => expect(v).toBeCloseTo(c.crops[i].box[j], 12));
      });

      // The production path over a 1024 px image: same crops (in pixels), stage 2 mapped back, final NMS.
      const key = (r: { x: number; y: number; width: number }) => `${Math.round(r.x * 1000)},${Math.round(r.y * 1000)},${Math.round(r.width * 1000)}`;
      const byCrop = new Map(c.crops.map((cr, i) => [key({ x: cr.box[0] * T, y: cr.box[1] * T, width: (cr.box[2] - cr.box[0]) * T }), c.stage2[i]]));
      const detector = recordedDetector(byCrop, key);
      const state: CascadeState = { width: T, height: T, grid: { xs: [0], ys: [0], size: T, count: 1 }, tiles: [tile], gate: null, stage1Ms: 0, stage1ReadMs: 0, cropCache: new Map() };
      const out = await refineCascade(state, noSource, { stage1: stage1Cfg, stage1Session: { run: () => Promise.reject(new Error('no stage 1')) }, detector }, t, ctx);
      expect(out.crops).toHaveLength(c.crops.length);
      expect(out.detections).toHaveLength(c.final.length);
      out.detections.forEach((d, i) => {
        const ref = c.final[i];
        expect(d.stage).toBe(ref.stage);
        expect(d.score).toBe(ref.score);
        expect(d.cls).toBe(ref.cls);
        d.box.forEach((v, j) => expect(v).toBeCloseTo(ref.box[j] * T, 9));
      });
      expect(out.stats.shortcut).toBe(c.final.filter((f) => f.stage === 'shortcut').length);
    });
  }

  it('re-thresholding reuses stage 1 and the crops already refined', async () => {
    const c = doc.cases.find((x) => x.crops.length >= 6)!;
    const tile = tileFrom(c.stage1);
    const key = (r: { x: number; y: number; width: number }) => `${Math.round(r.x * 1000)},${Math.round(r.y * 1000)},${Math.round(r.width * 1000)}`;
    const byCrop = new Map(c.crops.map((cr, i) => [key({ x: cr.box[0] * T, y: cr.box[1] * T, width: (cr.box[2] - cr.box[0]) * T }), c.stage2[i]]));
    const detector = recordedDetector(byCrop, key);
    const state: CascadeState = { width: T, height: T, grid: { xs: [0], ys: [0], size: T, count: 1 }, tiles: [tile], gate: null, stage1Ms: 0, stage1ReadMs: 0, cropCache: new Map() };
    const models = { stage1: stage1Cfg, stage1Session: { run: () => Promise.reject(new Error('stage 1 must not run again')) }, detector };
    const t = { ...FALLBACK_THRESHOLDS, ...c.params };
    const first = await refineCascade(state, noSource, models, t, ctx);
    expect(detector.asked).toBe(c.crops.length);
    // Fewer crops: all cached, nothing runs; a stricter score keeps a subset.
    const fewer = await refineCascade(state, noSource, models, { ...t, gamma: 2, scoreThreshold: 0.9 }, ctx);
    expect(detector.asked).toBe(c.crops.length);
    expect(fewer.stats.cropsComputed).toBe(0);
    expect(fewer.crops.length).toBe(2);
    expect(fewer.crops.map((x) => x.box)).toEqual(first.crops.slice(0, 2).map((x) => x.box));
  });
});
