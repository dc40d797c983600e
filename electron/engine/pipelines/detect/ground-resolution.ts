/**
 * Matching an image's ground resolution to the model's (as Deepness does with
 * its models' resolution metadata): an image whose GSD lies outside the
 * model's trained range is read at the model's native GSD instead. The
 * pipelines then run on a *scaled* patch source, a virtual image of
 * `scale` model pixels per image pixel whose regions come from the pyramid
 * level nearest the needed factor (the reader picks it; sharp resamples the
 * rest), and their boxes are divided by `scale` on the way out, so NMS,
 * results and exports stay in the image's own pixels.
 */
import type { DetectGsd, DetectWarning } from '../../../common/detect-contract';
import { formatGsd, formatGsdRange, type GsdRange } from '../../../common/ground-resolution';
import type { Patch, PatchSource, PixelRegion } from './patches';

/**
 * Upsampling beyond 4x enlarges a blur: objects are found far less often
 * (odgi-cpu on the CI tiles: recall 0.67-0.72 up to 3x, 0.62 at 3.2-5x, 0.47
 * at 4.8-7.5x, 0.36 at 6.4-8x; models/odgi-cpu/MODEL_CARD.md), so a run
 * needing more says so (GSD_TOO_COARSE).
 */
export const WARN_UPSAMPLE = 4;
/**
 * Largest upsampling: the work grows with its square (8x: 64 times the tiles)
 * and beyond it small objects are a few pixels no model resolves.
 */
export const MAX_UPSAMPLE = 8;
/** Smallest reduction (1/32): a GSD needing more is more likely wrong than a 3 mm survey. */
export const MIN_SCALE = 1 / 32;

export interface GsdPlan extends DetectGsd {
  warnings: DetectWarning[];
}

/**
 * The scale a run reads the image at. `image` is the image's GSD (metres per
 * pixel) with its source, `model` the model's declared range.
 */
export function planGsd(image: { gsd: number; source: 'user' | 'geotiff' } | null, model: GsdRange | null, modelName: string): GsdPlan {
  const base = { image: image?.gsd ?? null, source: image?.source ?? null, model };
  if (!model) {
    const warnings: DetectWarning[] = image
      ? [{ code: 'GSD_NOT_DECLARED', message: `The model (${modelName}) declares no ground resolution, so the image is read at its own pixels (${formatGsd(image.gsd)}${image.source === 'geotiff' ? ' from the GeoTIFF' : ''} is not matched).` }]
      : [];
    return { ...base, scale: 1, readAt: image?.gsd ?? null, warnings };
  }
  const range = formatGsdRange(model);
  if (!image) {
    return {
      ...base, scale: 1, readAt: null,
      warnings: [{ code: 'GSD_UNKNOWN', message: `The image's ground resolution is unknown, so it is read as is; the model (${modelName}) was trained on ${range}. Give the GSD (metres per pixel) if the image is not in that range.` }],
    };
  }
  if (image.gsd >= model.min && image.gsd <= model.max) return { ...base, scale: 1, readAt: image.gsd, warnings: [] };
  const wanted = image.gsd / model.native;
  const scale = Math.min(MAX_UPSAMPLE, Math.max(MIN_SCALE, wanted));
  const warnings: DetectWarning[] = [];
  if (wanted > MAX_UPSAMPLE) {
    warnings.push({
      code: 'GSD_TOO_COARSE',
      message: `The image (${formatGsd(image.gsd)}) is ${wanted.toFixed(1)}× coarser than the model's ${formatGsd(model.native)} (${modelName}): it was enlarged ${MAX_UPSAMPLE}× (the most Iriscope does), so objects are still ${(wanted / MAX_UPSAMPLE).toFixed(1)}× smaller than the model knows them and most will be missed. Use a model trained at this resolution.`,
    });
  } else if (wanted > WARN_UPSAMPLE) {
    warnings.push({
      code: 'GSD_TOO_COARSE',
      message: `The image (${formatGsd(image.gsd)}) is ${wanted.toFixed(1)}× coarser than the model's ${formatGsd(model.native)} (${modelName}): it was enlarged ${wanted.toFixed(1)}× to match, but enlarging adds no detail, so many objects will be missed. Use a model trained at this resolution.`,
    });
  } else if (wanted < MIN_SCALE) {
    warnings.push({
      code: 'GSD_TOO_FINE',
      message: `Reducing the image (${formatGsd(image.gsd)}) to the model's ${formatGsd(model.native)} (${modelName}) would shrink it ${(1 / wanted).toFixed(0)}×; it was reduced ${1 / MIN_SCALE}× only. Check the ground resolution given.`,
    });
  }
  return { ...base, scale, readAt: image.gsd / scale, warnings };
}

/**
 * `inner` seen at `scale` model pixels per image pixel. A region of the
 * virtual image is read as the whole-pixel region of the image around it at
 * the matching output size (the pyramid reader picks the level), then cut to
 * the exact sub-pixel position: boxes map back within half an output pixel.
 */
export function scaledSource(inner: PatchSource, scale: number): PatchSource {
  if (scale === 1) return inner;
  const width = Math.max(1, Math.round(inner.width * scale));
  const height = Math.max(1, Math.round(inner.height * scale));
  const readPatch = async (region: PixelRegion, outWidth: number, outHeight: number): Promise<Patch> => {
    const fx = (outWidth / region.width) * scale; // output pixels per image pixel
    const fy = (outHeight / region.height) * scale;
    const sx0 = region.x / scale;
    const sy0 = region.y / scale;
    const ix0 = Math.floor(sx0);
    const iy0 = Math.floor(sy0);
    const ix1 = Math.max(ix0 + 1, Math.ceil((region.x + region.width) / scale));
    const iy1 = Math.max(iy0 + 1, Math.ceil((region.y + region.height) / scale));
    const big = await inner.readPatch({ x: ix0, y: iy0, width: ix1 - ix0, height: iy1 - iy0 }, Math.max(1, Math.round((ix1 - ix0) * fx)), Math.max(1, Math.round((iy1 - iy0) * fy)));
    return cut(big, Math.round((sx0 - ix0) * fx), Math.round((sy0 - iy0) * fy), outWidth, outHeight);
  };
  return {
    width,
    height,
    readPatch,
    // Crops sampled as in training (sampleCrop) from the virtual image's pixels.
    readPixels: (rect) => readPatch(rect, rect.width, rect.height),
  };
}

/** The w x h window at (x, y) of `p`; what lies beyond `p` is 0. */
function cut(p: Patch, x: number, y: number, w: number, h: number): Patch {
  if (x === 0 && y === 0 && w === p.width && h === p.height) return p;
  const c = p.channels;
  const data = p.data instanceof Float32Array ? new Float32Array(w * h * c) : new Uint8Array(w * h * c);
  const cols = Math.max(0, Math.min(w, p.width - x));
  for (let row = 0; row < h; row++) {
    const sy = y + row;
    if (sy < 0 || sy >= p.height || cols === 0) continue;
    const from = (sy * p.width + x) * c;
    data.set(p.data.subarray(from, from + cols * c), row * w * c);
  }
  return { data, width: w, height: h, channels: c };
}

/** A box (xyxy) of the virtual image in the image's pixels. */
export function toImagePixels<T extends ArrayLike<number>>(box: T, scale: number): [number, number, number, number] {
  return [box[0] / scale, box[1] / scale, box[2] / scale, box[3] / scale];
}
