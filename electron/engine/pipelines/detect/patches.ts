/**
 * Reading image patches for the detection graphs: a small interface over the
 * pyramid reader (any region, any output size, bounded memory), grids of
 * equal windows read block by block (one region read per block, not per
 * window), and NCHW float tensors in [0, 1] with gray images replicated to RGB.
 */
import type { PyramidReader } from '../../images/pyramid/pyramid-reader';

export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Pixels of a patch: 8-bit (0..255) or float (0..1), interleaved, 1 or 3+ channels. */
export interface Patch {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  channels: number;
}

export interface PatchSource {
  readonly width: number;
  readonly height: number;
  /**
   * `region` (full-resolution pixels, may reach outside the image: black
   * there) resampled to outWidth x outHeight, antialiased.
   */
  readPatch(region: PixelRegion, outWidth: number, outHeight: number): Promise<Patch>;
  /** Full-resolution pixels of an integer rectangle inside the image (decoded blocks shared between calls). */
  readPixels?(rect: PixelRegion): Promise<Patch>;
}

/** The engine's pyramid reader as a patch source. */
export function pyramidSource(reader: Pick<PyramidReader, 'width' | 'height' | 'readRegion' | 'readPixels'>): PatchSource {
  return {
    width: reader.width,
    height: reader.height,
    async readPatch(region, outWidth, outHeight) {
      const raw = await reader.readRegion(region, { width: outWidth, height: outHeight });
      return { data: raw.data, width: raw.width, height: raw.height, channels: raw.channels };
    },
    async readPixels(rect) {
      const raw = await reader.readPixels({ left: rect.x, top: rect.y, width: rect.width, height: rect.height });
      return { data: raw.data, width: raw.width, height: raw.height, channels: raw.channels };
    },
  };
}

/**
 * Writes the S x S window at (px, py) of `patch` into slot `slot` of an NCHW
 * batch tensor. Pixels outside `valid` (patch coordinates, the part inside the
 * image) get `pad` instead.
 */
export function writeWindow(patch: Patch, px: number, py: number, S: number, target: Float32Array, slot: number, pad = 0, valid?: PixelRegion): void {
  const plane = S * S;
  const base = slot * 3 * plane;
  const { data, width, channels } = patch;
  const scale = data instanceof Float32Array ? 1 : 1 / 255;
  const gray = channels < 3;
  const vx0 = valid ? valid.x : -Infinity;
  const vy0 = valid ? valid.y : -Infinity;
  const vx1 = valid ? valid.x + valid.width : Infinity;
  const vy1 = valid ? valid.y + valid.height : Infinity;
  for (let y = 0; y < S; y++) {
    const sy = py + y;
    const rowInside = sy >= vy0 && sy < vy1 && sy >= 0 && sy < patch.height;
    for (let x = 0; x < S; x++) {
      const sx = px + x;
      const o = base + y * S + x;
      if (!rowInside || sx < vx0 || sx >= vx1 || sx < 0 || sx >= width) {
        target[o] = pad;
        target[o + plane] = pad;
        target[o + 2 * plane] = pad;
        continue;
      }
      const i = (sy * width + sx) * channels;
      if (gray) {
        const v = data[i] * scale;
        target[o] = v;
        target[o + plane] = v;
        target[o + 2 * plane] = v;
      } else {
        target[o] = data[i] * scale;
        target[o + plane] = data[i + 1] * scale;
        target[o + 2 * plane] = data[i + 2] * scale;
      }
    }
  }
}

/**
 * Samples a square crop (`region`, full-resolution pixels, fractional) from
 * `pixels` (which hold the full-resolution rectangle at `origin`) into slot
 * `slot` of an NCHW batch at S x S, as training/odgi/train.py crop_resize
 * does for crops under 2S px: bilinear samples on a 2S x 2S grid (pixel
 * centres at +0.5, clamped to the rectangle's border) averaged 2 x 2, in [0, 1].
 */
export function sampleCrop(pixels: Patch, origin: { x: number; y: number }, region: PixelRegion, S: number, target: Float32Array, slot: number): void {
  const plane = S * S;
  const base = slot * 3 * plane;
  const { data, width, height, channels } = pixels;
  const scale = data instanceof Float32Array ? 1 : 1 / 255;
  const n = 2 * S;
  // Per sample column/row: the two source indices and the weight of the second.
  const axis = (start: number, side: number, offset: number, limit: number) => {
    const i0 = new Int32Array(n);
    const i1 = new Int32Array(n);
    const w = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const u = start + ((k + 0.5) / n) * side - offset - 0.5;
      const f = Math.floor(u);
      w[k] = u - f;
      i0[k] = Math.min(limit - 1, Math.max(0, f));
      i1[k] = Math.min(limit - 1, Math.max(0, f + 1));
    }
    return { i0, i1, w };
  };
  const ax = axis(region.x, region.width, origin.x, width);
  const ay = axis(region.y, region.height, origin.y, height);
  const gray = channels < 3;
  const acc = new Float32Array(3);
  for (let oy = 0; oy < S; oy++) {
    for (let ox = 0; ox < S; ox++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let sy = 2 * oy; sy < 2 * oy + 2; sy++) {
        const r0 = ay.i0[sy] * width;
        const r1 = ay.i1[sy] * width;
        const wy = ay.w[sy];
        for (let sx = 2 * ox; sx < 2 * ox + 2; sx++) {
          const c0 = ax.i0[sx];
          const c1 = ax.i1[sx];
          const wx = ax.w[sx];
          const w00 = (1 - wx) * (1 - wy);
          const w01 = wx * (1 - wy);
          const w10 = (1 - wx) * wy;
          const w11 = wx * wy;
          for (let c = 0; c < 3; c++) {
            const ch = gray ? 0 : c;
            acc[c] += w00 * data[(r0 + c0) * channels + ch] + w01 * data[(r0 + c1) * channels + ch] + w10 * data[(r1 + c0) * channels + ch] + w11 * data[(r1 + c1) * channels + ch];
          }
        }
      }
      const o = base + oy * S + ox;
      target[o] = acc[0] * 0.25 * scale;
      target[o + plane] = acc[1] * 0.25 * scale;
      target[o + 2 * plane] = acc[2] * 0.25 * scale;
    }
  }
}

/** The part of `region` inside the image, in the coordinates of its patch scaled by `scale`. */
export function validPart(region: PixelRegion, imageWidth: number, imageHeight: number, scale: number): PixelRegion {
  const x0 = Math.max(0, -region.x) * scale;
  const y0 = Math.max(0, -region.y) * scale;
  const x1 = (Math.min(imageWidth, region.x + region.width) - region.x) * scale;
  const y1 = (Math.min(imageHeight, region.y + region.height) - region.y) * scale;
  return { x: Math.floor(x0), y: Math.floor(y0), width: Math.max(0, Math.ceil(x1) - Math.floor(x0)), height: Math.max(0, Math.ceil(y1) - Math.floor(y0)) };
}

/** Window origins along one axis: from 0 by `stride`, the last one shifted back inside (SAHI), or one window when the image is smaller. */
export function axisPositions(length: number, window: number, stride: number): number[] {
  if (length <= window) return [0];
  const out: number[] = [];
  for (let p = 0; p + window < length; p += stride) out.push(p);
  out.push(length - window);
  return [...new Set(out)];
}

export interface GridWindow {
  /** Row-major index in the grid. */
  index: number;
  column: number;
  row: number;
  /** Full-resolution pixels. */
  x: number;
  y: number;
  size: number;
}

/**
 * Reads a grid of equal square windows (full-resolution side `size`, model
 * input side `S`) block by block, each block at most `maxBlock` output pixels
 * a side, and hands each window to `visit` with its patch (only the windows
 * `include` accepts, when given).
 */
export async function forEachWindow(
  source: PatchSource,
  xs: number[],
  ys: number[],
  size: number,
  S: number,
  visit: (window: GridWindow, patch: Patch, px: number, py: number, valid: PixelRegion) => Promise<void> | void,
  options: { maxBlock?: number; onRead?: (ms: number) => void; include?: (index: number) => boolean } = {},
): Promise<void> {
  const include = options.include ?? (() => true);
  const scale = S / size;
  const maxBlock = options.maxBlock ?? 2048;
  const groups = (positions: number[]) => {
    const out: number[][] = [];
    let current: number[] = [];
    for (const p of positions) {
      if (current.length && (p + size - current[0]) * scale > maxBlock) {
        out.push(current);
        current = [];
      }
      current.push(p);
    }
    if (current.length) out.push(current);
    return out;
  };
  const colGroups = groups(xs);
  const rowGroups = groups(ys);
  for (const rows of rowGroups) {
    for (const cols of colGroups) {
      // A block whose windows are all left out (the tile gate) is not read.
      if (!rows.some((y) => cols.some((x) => include(ys.indexOf(y) * xs.length + xs.indexOf(x))))) continue;
      const region = { x: cols[0], y: rows[0], width: cols[cols.length - 1] + size - cols[0], height: rows[rows.length - 1] + size - rows[0] };
      const started = performance.now();
      const patch = await source.readPatch(region, Math.round(region.width * scale), Math.round(region.height * scale));
      options.onRead?.(performance.now() - started);
      const valid = validPart(region, source.width, source.height, scale);
      for (const y of rows) {
        for (const x of cols) {
          const row = ys.indexOf(y);
          const column = xs.indexOf(x);
          if (!include(row * xs.length + column)) continue;
          await visit({ index: row * xs.length + column, column, row, x, y, size }, patch, Math.round((x - region.x) * scale), Math.round((y - region.y) * scale), valid);
        }
      }
    }
  }
}
