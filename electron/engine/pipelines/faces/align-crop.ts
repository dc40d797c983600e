/**
 * The face crop the attribute models expect (see `models/face-attributes/
 * manifest.json`, preprocessing.crop): a square of 1.8 × the detector box
 * side, centred on the box, from the image rotated so the eyes are level,
 * resampled bilinearly; outside the image is black.
 */
import { LEFT_EYE, RIGHT_EYE, type Detection } from './detection';

export interface CropGeometry {
  /** Centre of the crop in image pixels. */
  cx: number;
  cy: number;
  /** Side of the square crop in image pixels. */
  side: number;
  /** Roll of the face in radians: the direction from the right eye to the left eye (y down). */
  angle: number;
}

export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Crop side over the detector box side: a 40 % margin on each side, as the SSR-Net demo crops. */
export const CROP_MARGIN = 1.8;

export function cropGeometry(d: Detection, margin = CROP_MARGIN): CropGeometry {
  const k = d.keypoints;
  const dx = k[2 * LEFT_EYE] - k[2 * RIGHT_EYE];
  const dy = k[2 * LEFT_EYE + 1] - k[2 * RIGHT_EYE + 1];
  return {
    cx: (d.x0 + d.x1) / 2,
    cy: (d.y0 + d.y1) / 2,
    side: margin * Math.max(d.x1 - d.x0, d.y1 - d.y0),
    angle: dx === 0 && dy === 0 ? 0 : Math.atan2(dy, dx),
  };
}

/** Maps a point of the crop (u, v in [0, 1], v down) to image pixels. */
export function cropToImage(g: CropGeometry, u: number, v: number): [number, number] {
  const a = (u - 0.5) * g.side;
  const b = (v - 0.5) * g.side;
  const cos = Math.cos(g.angle);
  const sin = Math.sin(g.angle);
  return [g.cx + a * cos - b * sin, g.cy + a * sin + b * cos];
}

/** The axis-aligned square of image pixels the rotated crop covers (plus one pixel for interpolation). */
export function cropSourceRegion(g: CropGeometry): PixelRegion {
  const half = (g.side * (Math.abs(Math.cos(g.angle)) + Math.abs(Math.sin(g.angle)))) / 2 + 1;
  return { x: g.cx - half, y: g.cy - half, width: 2 * half, height: 2 * half };
}

/**
 * Samples the crop (size × size, RGB, 8-bit, interleaved) from `raw`, which
 * holds the image pixels of `region` (scaled to raw's size). Gray sources are
 * repeated into R, G and B; points outside `raw` are black.
 */
export function sampleCrop(raw: RawPixels, region: PixelRegion, g: CropGeometry, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const sx = raw.width / region.width;
  const sy = raw.height / region.height;
  const cos = Math.cos(g.angle);
  const sin = Math.sin(g.angle);
  const step = g.side / size;
  const { data, width, height, channels } = raw;
  const rgb = channels >= 3;
  const value = (x: number, y: number, c: number): number => {
    if (x < 0 || y < 0 || x >= width || y >= height) return 0;
    return data[(y * width + x) * channels + (rgb ? c : 0)];
  };
  for (let i = 0; i < size; i++) {
    const b = (i + 0.5) * step - g.side / 2;
    for (let j = 0; j < size; j++) {
      const a = (j + 0.5) * step - g.side / 2;
      // Image point, then raw pixel coordinates (pixel centres at +0.5).
      const px = g.cx + a * cos - b * sin;
      const py = g.cy + a * sin + b * cos;
      const fx = (px - region.x) * sx - 0.5;
      const fy = (py - region.y) * sy - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const wx = fx - x0;
      const wy = fy - y0;
      const o = (i * size + j) * 3;
      for (let c = 0; c < 3; c++) {
        const top = value(x0, y0, c) * (1 - wx) + value(x0 + 1, y0, c) * wx;
        const bottom = value(x0, y0 + 1, c) * (1 - wx) + value(x0 + 1, y0 + 1, c) * wx;
        out[o + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}

/** Writes an interleaved RGB crop into slot `index` of an NCHW float batch, as pixel / 255. */
export function writeCropTensor(crop: Uint8Array, size: number, batch: Float32Array, index: number): void {
  const plane = size * size;
  const base = index * 3 * plane;
  for (let p = 0; p < plane; p++) {
    batch[base + p] = crop[3 * p] / 255;
    batch[base + plane + p] = crop[3 * p + 1] / 255;
    batch[base + 2 * plane + p] = crop[3 * p + 2] / 255;
  }
}
