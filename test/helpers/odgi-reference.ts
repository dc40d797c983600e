/**
 * A patch source that resamples exactly as the Python reference does
 * (training/odgi/train.py): stage-1 tiles by a box average (`stage1_input`,
 * avg_pool2d), stage-2 crops by `crop_resize` (integer box pooling down to
 * <= 2x the output, then bilinear sampling with 2x2 supersampling, border
 * padding, align_corners=False). Pixels are floats in [0, 1], so the
 * TypeScript cascade sees the very inputs the PyTorch reference saw.
 */
import sharp from 'sharp';
import type { Patch, PatchSource, PixelRegion } from '../../electron/engine/pipelines/detect/patches';

export interface FloatImage {
  /** CHW floats in [0, 1]. */
  data: Float32Array;
  width: number;
  height: number;
}

export async function loadFloatImage(file: string): Promise<FloatImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const out = new Float32Array(3 * width * height);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) out[c * width * height + i] = data[i * info.channels + c] / 255;
  return { data: out, width, height };
}

/** avg_pool2d(kernel k, ceil_mode) over a CHW plane window; divisor = valid elements (no padding). */
function avgPool(src: Float32Array, w: number, h: number, k: number): { data: Float32Array; w: number; h: number } {
  const ow = Math.ceil(w / k);
  const oh = Math.ceil(h / k);
  const out = new Float32Array(3 * ow * oh);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        let n = 0;
        for (let yy = y * k; yy < Math.min(h, y * k + k); yy++) for (let xx = x * k; xx < Math.min(w, x * k + k); xx++) {
          s += src[c * w * h + yy * w + xx];
          n++;
        }
        out[c * ow * oh + y * ow + x] = s / n;
      }
    }
  }
  return { data: out, w: ow, h: oh };
}

/** grid_sample(bilinear, padding_mode='border', align_corners=False) at pixel coordinates (ix, iy). */
function bilinear(src: Float32Array, w: number, h: number, c: number, ix: number, iy: number): number {
  const x = Math.min(Math.max(ix, 0), w - 1);
  const y = Math.min(Math.max(iy, 0), h - 1);
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => (xx < w && yy < h ? src[c * w * h + yy * w + xx] : 0);
  return at(x0, y0) * (1 - fx) * (1 - fy) + at(x0 + 1, y0) * fx * (1 - fy) + at(x0, y0 + 1) * (1 - fx) * fy + at(x0 + 1, y0 + 1) * fx * fy;
}

function cropOf(img: FloatImage, x1: number, y1: number, x2: number, y2: number): { data: Float32Array; w: number; h: number } {
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Float32Array(3 * w * h);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[c * w * h + y * w + x] = img.data[c * img.width * img.height + (y1 + y) * img.width + x1 + x];
  return { data: out, w, h };
}

/** train.crop_resize for one normalised square crop `c` of a square image of side H. */
export function cropResize(img: FloatImage, c: [number, number, number, number], out: number): Float32Array {
  const H = img.width;
  const trunc = Math.trunc;
  const x1 = Math.max(0, trunc(c[0] * H) - 2);
  const y1 = Math.max(0, trunc(c[1] * H) - 2);
  const x2 = Math.min(H, trunc(c[2] * H + 0.999) + 2);
  const y2 = Math.min(H, trunc(c[3] * H + 0.999) + 2);
  let sub = cropOf(img, x1, y1, x2, y2);
  const sidePx = (c[2] - c[0]) * H;
  const f = Math.max(1, trunc(sidePx / (2 * out)));
  if (f > 1) sub = avgPool(sub.data, sub.w, sub.h, f);
  const n = out * 2;
  const result = new Float32Array(3 * out * out);
  for (let ch = 0; ch < 3; ch++) {
    for (let y = 0; y < out; y++) {
      for (let x = 0; x < out; x++) {
        let s = 0;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
          const ax = (2 * x + dx + 0.5) / n;
          const ay = (2 * y + dy + 0.5) / n;
          // Grid coordinate in [-1, 1] over f * w, then to pooled pixel coordinates (align_corners=False).
          const gx = (((c[0] + ax * (c[2] - c[0])) * H - x1) / (f * sub.w)) * 2 - 1;
          const gy = (((c[1] + ay * (c[3] - c[1])) * H - y1) / (f * sub.h)) * 2 - 1;
          s += bilinear(sub.data, sub.w, sub.h, ch, ((gx + 1) * sub.w - 1) / 2, ((gy + 1) * sub.h - 1) / 2);
        }
        result[ch * out * out + y * out + x] = s / 4;
      }
    }
  }
  return result;
}

/** CHW planes → interleaved HWC patch. */
function toPatch(chw: Float32Array, w: number, h: number): Patch {
  const data = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = chw[c * w * h + i];
  return { data, width: w, height: h, channels: 3 };
}

/**
 * `mode` 'stage1': regions are box-averaged by their integer factor;
 * 'crop': regions go through cropResize (the image must be a square tile).
 */
export function referenceSource(img: FloatImage): PatchSource & { mode: 'stage1' | 'crop' } {
  return {
    width: img.width,
    height: img.height,
    mode: 'stage1',
    async readPatch(region: PixelRegion, outWidth: number, outHeight: number): Promise<Patch> {
      if (this.mode === 'crop') {
        const H = img.width;
        const c: [number, number, number, number] = [region.x / H, region.y / H, (region.x + region.width) / H, (region.y + region.height) / H];
        return toPatch(cropResize(img, c, outWidth), outWidth, outHeight);
      }
      const k = region.width / outWidth;
      if (!Number.isInteger(k) || region.x < 0 || region.y < 0 || region.x + region.width > img.width || region.y + region.height > img.height) {
        throw new Error(`reference stage-1 read must be an integer reduction inside the image: ${JSON.stringify(region)} -> ${outWidth}`);
      }
      const sub = cropOf(img, region.x, region.y, region.x + region.width, region.y + region.height);
      const pooled = avgPool(sub.data, sub.w, sub.h, k);
      return toPatch(pooled.data, pooled.w, pooled.h);
    },
  };
}
