import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { faceOverlays, placeLabels } from '../../../../electron/engine/pipelines/faces/export-faces';
import type { Face } from '../../../../electron/common/faces-contract';

const overlap = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('labels of the annotated faces export', () => {
  it('never writes one label over another, even for faces side by side, and stays inside the image', () => {
    // Five faces in a row, 60 px apart, each label 150 px wide: above, below, then stacked.
    const boxes = [0, 1, 2, 3, 4].map((i) => ({ x: 40 + i * 60, y: 200, w: 50, h: 50 }));
    const spots = placeLabels(boxes, boxes.map(() => ({ w: 150, h: 20 })), 500, 400);
    for (let i = 0; i < spots.length; i++) {
      expect(spots[i].x + spots[i].w).toBeLessThanOrEqual(500);
      expect(spots[i].y).toBeGreaterThanOrEqual(0);
      for (let j = i + 1; j < spots.length; j++) expect(overlap(spots[i], spots[j]), `${i} and ${j}`).toBe(false);
    }
    // The first label sits right above its face.
    expect(spots[0]).toEqual({ x: 40, y: 180, w: 150, h: 20 });
  });

  it('composites boxes and labels onto a photo', async () => {
    const face = (id: number, x: number): Face => ({
      id, box: [x, 100, 60, 60], score: 0.9, keypoints: [[x + 20, 120], [x + 40, 120], [x + 30, 135], [x + 30, 145], [x + 5, 125], [x + 55, 125]], roll: 0,
      age: 30, gender: { label: 'female', p: 0.9 }, emotion: { label: 'sad', p: 0.6, all: { sad: 0.6, neutral: 0.4 } }, thumbnail: null,
    } as unknown as Face);
    const overlays = faceOverlays([face(1, 50), face(2, 130), face(3, 210)], 400, 300);
    expect(overlays).toHaveLength(6);
    const out = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#777' } }).composite(overlays).png().toBuffer();
    expect((await sharp(out).metadata()).width).toBe(400);
  });
});
