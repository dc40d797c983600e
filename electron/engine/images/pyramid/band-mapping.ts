/**
 * Rasters that are not plain 8-bit gray or RGB photographs — multispectral
 * TIFFs with 4, 5 or more bands, 16-bit and floating-point data — are shown
 * the way GIS tools (QGIS) show them: chosen bands as red, green and blue (or
 * one as gray), each stretched linearly from its 2nd to its 98th percentile
 * (the cumulative count cut) into 0–255 — unless the data already fills its
 * type's range (16-bit photographs) or lies in 0–1 (float reflectance), which
 * is scaled linearly so it keeps its look.
 *
 * libvips' own conversions do not fit such data (it flattens a "fifth band"
 * as alpha, scales 12-bit data in 16-bit containers to near black, treats
 * float RGB as scRGB), so these rasters are read with geotiff.js in their
 * native sample values, strip by strip, and written as an 8-bit PNG that the
 * pyramid is then built from. Memory stays bounded: one strip at a time.
 */
import { fromFile } from 'geotiff';
import { PngStreamWriter } from '../png-stream-writer';

export interface BandMapping {
  /** 0-based source bands shown as gray (one) or red, green, blue (three). */
  bands: number[];
  /** Per shown band, the native values mapped to 0 and 255. */
  stretch: Array<{ low: number; high: number }>;
}

/** What the TIFF structure says that decides whether libvips can show it as it is. */
export interface RasterKind {
  bands: number;
  bitsPerSample: number;
  /** TIFF SampleFormat: 1 unsigned, 2 signed, 3 float. */
  sampleFormat: number;
  /** Some extra sample is declared alpha (TIFF ExtraSamples 1 or 2). */
  declaredAlpha: boolean;
}

/**
 * Whether an image needs mapping: any explicit choice of bands, or a TIFF
 * that is not 8-bit unsigned, or has more than 4 bands, or 2 or 4 bands
 * whose extra band is not declared alpha (an RGB+NIR raster is not RGBA).
 */
export function needsMapping(kind: RasterKind | null, requested: number[] | null | undefined): boolean {
  if (requested?.length) return true;
  if (!kind) return false;
  if (kind.bitsPerSample !== 8 || kind.sampleFormat !== 1) return true;
  if (kind.bands > 4) return true;
  return (kind.bands === 2 || kind.bands === 4) && !kind.declaredAlpha;
}

/** The bands shown by default: the first three as RGB, or the first as gray. */
export function defaultBands(bandCount: number): number[] {
  return bandCount >= 3 ? [0, 1, 2] : [0];
}

/** Reads what `needsMapping` needs from a TIFF's first directory. */
export async function rasterKind(file: string): Promise<RasterKind> {
  const tiff = await fromFile(file);
  try {
    const image = await tiff.getImage(0);
    const dir = image.getFileDirectory();
    const extra = (await dir.loadValue('ExtraSamples').catch(() => undefined)) as ArrayLike<number> | number | undefined;
    const extras = extra === undefined ? [] : typeof extra === 'number' ? [extra] : Array.from(extra);
    return { bands: image.getSamplesPerPixel(), bitsPerSample: image.getBitsPerSample(0), sampleFormat: image.getSampleFormat(0), declaredAlpha: extras.some((e) => e === 1 || e === 2) };
  } finally {
    await (tiff as unknown as { close?: () => Promise<void> | void }).close?.();
  }
}

/** The k-th smallest of values (a copy is sorted), ignoring NaN. */
function percentile(values: ArrayLike<number>, fraction: number): number {
  const finite = Float64Array.from(values).filter((v) => Number.isFinite(v)).sort();
  if (!finite.length) return 0;
  return finite[Math.min(finite.length - 1, Math.max(0, Math.round(fraction * (finite.length - 1))))];
}

/**
 * Plans the mapping of `bands` (0-based) of a TIFF: the 2–98% stretch of each
 * band, from a decimated read of the whole image (at most 512 px a side).
 * 8-bit unsigned bands are not stretched (0–255 stays 0–255).
 */
export async function planMapping(file: string, bands: number[]): Promise<BandMapping> {
  const tiff = await fromFile(file);
  try {
    const image = await tiff.getImage(0);
    const count = image.getSamplesPerPixel();
    const bad = bands.find((b) => !Number.isInteger(b) || b < 0 || b >= count);
    if (bad !== undefined) throw Object.assign(new Error(`band ${bad + 1} does not exist: the image has ${count} band${count === 1 ? '' : 's'}`), { code: 'BAD_BANDS' });
    const plain = image.getBitsPerSample(0) === 8 && image.getSampleFormat(0) === 1;
    if (plain) return { bands, stretch: bands.map(() => ({ low: 0, high: 255 })) };
    const scale = Math.min(1, 512 / Math.max(image.getWidth(), image.getHeight()));
    const sample = (await image.readRasters({
      samples: bands,
      width: Math.max(1, Math.round(image.getWidth() * scale)),
      height: Math.max(1, Math.round(image.getHeight() * scale)),
      resampleMethod: 'nearest',
      interleave: false,
    })) as unknown as ArrayLike<number>[];
    const format = image.getSampleFormat(0);
    const bits = image.getBitsPerSample(0);
    const typeMax = format === 1 ? 2 ** bits - 1 : null;
    const stretch = bands.map((_, i) => {
      const low = percentile(sample[i], 0.02);
      const high = percentile(sample[i], 0.98);
      // Data that fills its type's range (a 16-bit photograph) or lies in 0–1 (float
      // reflectance) keeps its meaning: scaled linearly, not stretched.
      if (typeMax !== null && high > typeMax / 2) return { low: 0, high: typeMax };
      if (format === 3 && low >= 0 && high <= 1 && high > 0.25) return { low: 0, high: 1 };
      return { low, high: high > low ? high : low + 1 };
    });
    return { bands, stretch };
  } finally {
    await (tiff as unknown as { close?: () => Promise<void> | void }).close?.();
  }
}

/**
 * Writes the mapped image as an 8-bit PNG (gray for one band, RGB for
 * three), strip by strip; `onRows` reports progress and may throw to stop.
 */
export async function writeMapped(file: string, target: string, mapping: BandMapping, onRows: (done: number, total: number) => void): Promise<void> {
  const tiff = await fromFile(file);
  let writer: PngStreamWriter | null = null;
  let finished = false;
  try {
    const image = await tiff.getImage(0);
    const width = image.getWidth();
    const height = image.getHeight();
    const bands = mapping.bands.length === 3 ? 3 : 1;
    writer = await PngStreamWriter.create(target, { width, height, bands });
    const rows = Math.max(1, Math.min(height, Math.floor(4_000_000 / (width * Math.max(1, image.getSamplesPerPixel())))));
    const out = new Uint8Array(width * rows * bands);
    const scales = mapping.stretch.map(({ low, high }) => ({ low, k: 255 / (high - low) }));
    for (let y = 0; y < height; y += rows) {
      const n = Math.min(rows, height - y);
      const data = (await image.readRasters({ window: [0, y, width, y + n], samples: mapping.bands.slice(0, bands), interleave: true })) as unknown as ArrayLike<number>;
      for (let i = 0; i < width * n * bands; i++) {
        const { low, k } = scales[i % bands];
        const v = (data[i] - low) * k;
        out[i] = v > 255 ? 255 : v > 0 ? v : 0; // NaN (no data) becomes 0
      }
      await writer.writeRows(out, n);
      onRows(y + n, height);
    }
    await writer.finish();
    finished = true;
  } finally {
    if (writer && !finished) await writer.abandon();
    await (tiff as unknown as { close?: () => Promise<void> | void }).close?.();
  }
}
