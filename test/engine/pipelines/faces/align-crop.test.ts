import { describe, expect, it } from 'vitest';
import { cropGeometry, cropSourceRegion, cropToImage, sampleCrop, writeCropTensor, type RawPixels } from '../../../../electron/engine/pipelines/faces/align-crop';
import type { Detection } from '../../../../electron/engine/pipelines/faces/detection';

/** A detection with the eyes at the given points (other keypoints at the centre). */
function face(box: [number, number, number, number], rightEye: [number, number], leftEye: [number, number]): Detection {
  const [x0, y0, x1, y1] = box;
  const c = [(x0 + x1) / 2, (y0 + y1) / 2];
  return { x0, y0, x1, y1, score: 0.9, keypoints: [...rightEye, ...leftEye, ...c, ...c, ...c, ...c] };
}

/** A w × h RGB image whose pixel (x, y) is (x, y, 200). */
function ramp(w: number, h: number): RawPixels {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 200], (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3 };
}

describe('crop geometry', () => {
  it('is a square of 1.8 × the box side, centred on the box, level for level eyes', () => {
    const g = cropGeometry(face([100, 50, 140, 100], [110, 70], [130, 70]));
    expect(g).toEqual({ cx: 120, cy: 75, side: 1.8 * 50, angle: 0 });
  });

  it('turns with the eyes: the line from the right eye (image left) to the left eye', () => {
    expect(cropGeometry(face([0, 0, 40, 40], [10, 10], [30, 30])).angle).toBeCloseTo(Math.PI / 4, 12);
    expect(cropGeometry(face([0, 0, 40, 40], [10, 30], [30, 10])).angle).toBeCloseTo(-Math.PI / 4, 12);
    // an upside-down face: left eye to the image left of the right eye
    expect(Math.abs(cropGeometry(face([0, 0, 40, 40], [30, 20], [10, 20])).angle)).toBeCloseTo(Math.PI, 12);
  });

  it('maps crop corners through the rotation, and covers them with the source region', () => {
    const g = { cx: 50, cy: 50, side: 20, angle: Math.PI / 2 };
    // Rotated 90°: the crop's top-left corner comes from the image's top-right.
    const [x, y] = cropToImage(g, 0, 0);
    expect(x).toBeCloseTo(60, 12);
    expect(y).toBeCloseTo(40, 12);
    const r = cropSourceRegion({ cx: 50, cy: 50, side: 20, angle: Math.PI / 4 });
    expect(r.width).toBeCloseTo(20 * Math.SQRT2 + 2, 9);
    expect(r.x + r.width / 2).toBeCloseTo(50, 12);
  });
});

describe('sampling the crop', () => {
  it('copies pixels exactly when the crop is axis-aligned at 1:1', () => {
    const raw = ramp(10, 10);
    const crop = sampleCrop(raw, { x: 0, y: 0, width: 10, height: 10 }, { cx: 5, cy: 5, side: 4, angle: 0 }, 4);
    // crop pixel (i, j) is image pixel (3 + j, 3 + i)
    expect([crop[0], crop[1], crop[2]]).toEqual([3, 3, 200]);
    const last = (3 * 4 + 3) * 3;
    expect([crop[last], crop[last + 1]]).toEqual([6, 6]);
  });

  it('rotates: at 90° the crop\'s x axis runs down the image', () => {
    const raw = ramp(10, 10);
    const crop = sampleCrop(raw, { x: 0, y: 0, width: 10, height: 10 }, { cx: 5, cy: 5, side: 4, angle: Math.PI / 2 }, 4);
    // crop (i=0, j=0) -> image (x = 6, y = 3); moving right in the crop moves down in the image
    expect([crop[0], crop[1]]).toEqual([6, 3]);
    expect([crop[3], crop[4]]).toEqual([6, 4]);
    expect([crop[4 * 3], crop[4 * 3 + 1]]).toEqual([5, 3]);
  });

  it('reads a region given at another scale, interpolating bilinearly', () => {
    // raw holds image pixels x,y in [0, 20) at half resolution: raw pixel k covers image 2k..2k+2
    const raw = ramp(10, 10);
    const crop = sampleCrop(raw, { x: 0, y: 0, width: 20, height: 20 }, { cx: 10, cy: 10, side: 2, angle: 0 }, 2);
    // image point (9.5, 9.5) -> raw (4.25, 4.25) -> 4.25 after interpolation
    expect(crop[0]).toBe(Math.round(4.25));
    // image point (10.5, 9.5) -> raw x 4.75
    expect(crop[3]).toBe(Math.round(4.75));
  });

  it('is black outside the source, and repeats gray into R, G and B', () => {
    const gray: RawPixels = { data: new Uint8Array(16).fill(90), width: 4, height: 4, channels: 1 };
    const crop = sampleCrop(gray, { x: 0, y: 0, width: 4, height: 4 }, { cx: 0, cy: 0, side: 8, angle: 0 }, 8);
    expect([crop[0], crop[1], crop[2]]).toEqual([0, 0, 0]); // image (-3.5, -3.5)
    const inside = (7 * 8 + 7) * 3; // image (3.5, 3.5): the last pixel's centre
    expect([crop[inside], crop[inside + 1], crop[inside + 2]]).toEqual([90, 90, 90]);
  });

  it('writes a crop into an NCHW batch as pixel / 255', () => {
    const crop = Uint8Array.from([255, 0, 51]); // one RGB pixel (a 1 × 1 crop)
    const batch = new Float32Array(2 * 3);
    writeCropTensor(crop, 1, batch, 1);
    expect([...batch.subarray(0, 3)]).toEqual([0, 0, 0]); // slot 0 untouched
    expect(batch[3]).toBe(1);
    expect(batch[4]).toBe(0);
    expect(batch[5]).toBeCloseTo(0.2, 6);
  });
});
