/**
 * Crop sampling for stage 2, as training/odgi/train.py crop_resize samples
 * crops under 2S px: bilinear on a 2S grid, pixel centres at +0.5, averaged
 * 2 x 2, clamped at the window border.
 */
import { describe, expect, it } from 'vitest';
import { nativeWindow } from '../../../../electron/engine/pipelines/detect/detector';
import { sampleCrop, type Patch } from '../../../../electron/engine/pipelines/detect/patches';

/** A w x h RGB patch whose red channel is the column index, green the row index, blue constant. */
function ramp(w: number, h: number): Patch {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 200], (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3 };
}

describe('stage-2 crop sampling', () => {
  it('reproduces a linear ramp at the centres of the output pixels (bilinear is exact on ramps)', () => {
    const S = 8;
    const pixels = ramp(60, 60);
    const origin = { x: 100, y: 200 };
    const region = { x: 110.5, y: 205.25, width: 12.8, height: 12.8 };
    const out = new Float32Array(3 * S * S);
    sampleCrop(pixels, origin, region, S, out, 0);
    for (let oy = 0; oy < S; oy++) {
      for (let ox = 0; ox < S; ox++) {
        const cx = region.x + ((ox + 0.5) / S) * region.width - origin.x - 0.5;
        const cy = region.y + ((oy + 0.5) / S) * region.height - origin.y - 0.5;
        expect(out[oy * S + ox] * 255).toBeCloseTo(cx, 3);
        expect(out[S * S + oy * S + ox] * 255).toBeCloseTo(cy, 3);
        expect(out[2 * S * S + oy * S + ox] * 255).toBeCloseTo(200, 3);
      }
    }
  });

  it('clamps samples to the window border and writes the given batch slot only', () => {
    const S = 4;
    const pixels = ramp(4, 4);
    const out = new Float32Array(2 * 3 * S * S);
    // The crop starts half a pixel left of the window: the first samples clamp to column 0.
    sampleCrop(pixels, { x: 0, y: 0 }, { x: -0.5, y: 0, width: 4, height: 4 }, S, out, 1);
    expect(out.subarray(0, 3 * S * S).every((v) => v === 0)).toBe(true);
    const slot = out.subarray(3 * S * S);
    expect(slot[0] * 255).toBeCloseTo(0, 5);
    expect(slot[S - 1] * 255).toBeCloseTo(2.5, 5);
  });

  it('gray patches fill all three channels', () => {
    const pixels: Patch = { data: new Uint8Array(16).fill(51), width: 4, height: 4, channels: 1 };
    const out = new Float32Array(3 * 4);
    sampleCrop(pixels, { x: 0, y: 0 }, { x: 0, y: 0, width: 4, height: 4 }, 2, out, 0);
    expect([...out].every((v) => Math.abs(v - 0.2) < 1e-6)).toBe(true);
  });

  it('samples crops under 2S px inside the image from a 2 px margin window; others go through the pyramid', () => {
    const image = { width: 1000, height: 800 };
    expect(nativeWindow({ x: 10.4, y: 20.6, width: 150, height: 150 }, 128, image)).toEqual({ x: 8, y: 18, width: 155, height: 155 });
    expect(nativeWindow({ x: 0, y: 0, width: 150, height: 150 }, 128, image)).toEqual({ x: 0, y: 0, width: 152, height: 152 });
    expect(nativeWindow({ x: 10, y: 10, width: 256, height: 256 }, 128, image)).toBeNull();
    expect(nativeWindow({ x: 900, y: 10, width: 150, height: 150 }, 128, image)).toBeNull();
  });
});
