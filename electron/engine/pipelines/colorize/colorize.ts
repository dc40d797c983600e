/**
 * Colorizing one photo, start to finish, with bounded memory whatever its size:
 *
 *   1. the whole photo (any size, any aspect ratio: resized, never cropped)
 *      is read from its pyramid at the model's S×S, as Lab L (a colour photo
 *      is desaturated: only its L is used);
 *   2. `embed` runs once; N samples of the ab grid are drawn in one batch
 *      (pic-sampler.ts); the embedding head's mean is the instant preview;
 *   3. per sample, guided-filter coefficients are fitted against the photo's
 *      L at a small working resolution (edge-aware-upsample.ts);
 *   4. the full-resolution join runs strip by strip over the pyramid's
 *      full-resolution level: each strip's L is read once, turned into every
 *      sample's ab (A↑·L + B↑), joined with that same L, converted to sRGB
 *      and appended to one PNG per sample (png-stream-writer.ts); sharp then
 *      reads those files back sequentially to encode JPEG, PNG, TIFF or a
 *      viewer pyramid, without ever holding a whole image.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { cancelledError } from '../../../common/errors';
import type { PyramidReader } from '../../images/pyramid/pyramid-reader';
import { releaseTemp, trackTemp } from '../../fs/temp-files';
import { openImageFile } from '../../images/sharp-setup';
import type { ModelRegistry } from '../../models/model-registry';
import { applyGuided, fullResPlan, guidedCoefficients, workingSize, type GuidedCoefficients } from './edge-aware-upsample';
import { fyabToSrgb8, labToSrgb8, lToFy, rawToL } from './lab';
import type { PicConfig } from './pic-model';
import { embedL, sampleCached, type Embedded, type PicSessions } from './pic-sampler';
import { PngStreamWriter } from '../../images/png-stream-writer';

export interface ColorizeParams {
  samples: number;
  seed: number;
  temperature: number;
}

/** What sampling produced for one photo: everything needed to render any sample at any size. */
export interface SampledPhoto {
  config: PicConfig;
  width: number;
  height: number;
  params: ColorizeParams;
  /** Per sample: its ab grid in Lab units, [2, h, w]. */
  grids: Float32Array[];
  /** The embedding head's one-pass prediction, [2, h, w]. */
  previewGrid: Float32Array;
  /** The photo's L at the working resolution (the upsampling guide). */
  guide: { width: number; height: number; L: Float32Array };
  timing: { readMs: number; embedMs: number; sampleMs: number };
}

export async function picSessions(registry: ModelRegistry, cfg: PicConfig): Promise<PicSessions> {
  return {
    embed: await registry.session(cfg.modelId, 'embed'),
    row: await registry.session(cfg.modelId, 'row'),
    pixel: await registry.session(cfg.modelId, 'pixel'),
  };
}

/** The whole photo resized to width × height (aspect not kept), as Lab L 0..100. */
export async function readL(reader: PyramidReader, width: number, height: number): Promise<Float32Array> {
  const raw = await reader.readRegion({ x: 0, y: 0, width: reader.width, height: reader.height }, { width, height });
  const L = new Float32Array(width * height);
  rawToL(raw.data, raw.channels, width * height, L);
  return L;
}

/** Working-resolution guide for the edge-aware upsampling. */
export async function readGuide(reader: PyramidReader, grid: number): Promise<SampledPhoto['guide']> {
  const size = workingSize(reader.width, reader.height, grid);
  return { ...size, L: await readL(reader, size.width, size.height) };
}

/** Steps 1–2: embed once, N samples in one batch. */
export async function samplePhoto(
  reader: PyramidReader,
  sessions: PicSessions,
  cfg: PicConfig,
  params: ColorizeParams,
  options: { signal?: AbortSignal; onRow?: (done: number, total: number) => void } = {},
): Promise<SampledPhoto & { embedded: Embedded }> {
  const t0 = performance.now();
  const S = cfg.inputSize;
  const L = await readL(reader, S, S);
  const guide = await readGuide(reader, cfg.grid);
  const readMs = performance.now() - t0;
  if (options.signal?.aborted) throw cancelledError('Colorizing');
  const embedded = await embedL(sessions, cfg, L);
  const sampled = await sampleCached(sessions, cfg, embedded, { ...params, signal: options.signal, onRow: options.onRow });
  const hw = cfg.grid * cfg.grid;
  const grids = Array.from({ length: params.samples }, (_, n) => sampled.ab.slice(n * 2 * hw, (n + 1) * 2 * hw));
  return {
    config: cfg,
    width: reader.width,
    height: reader.height,
    params,
    grids,
    previewGrid: embedded.previewAb,
    guide,
    embedded,
    timing: { readMs, embedMs: embedded.ms, sampleMs: sampled.ms },
  };
}

export function coefficientsFor(photo: Pick<SampledPhoto, 'config' | 'guide'>, grid: Float32Array): GuidedCoefficients {
  const { guide, config } = photo;
  return guidedCoefficients(grid, config.grid, config.grid, guide.L, guide.width, guide.height);
}

/** Rows per strip: about a megapixel, a whole number of 256-row pyramid tiles when the photo is wide enough. */
export function stripRows(width: number, height: number): number {
  const rows = Math.max(16, Math.floor(1_048_576 / width));
  const aligned = rows >= 256 ? Math.floor(rows / 256) * 256 : rows;
  return Math.min(height, aligned);
}

/**
 * Step 4 for several samples at once: renders each grid at full resolution
 * into its own `.v` file (one read of the photo's L per strip for all of them).
 * A cancel stops between strips; the caller removes the files.
 */
export async function renderFullResolution(
  reader: PyramidReader,
  coefficients: GuidedCoefficients[],
  targets: string[],
  options: { signal?: AbortSignal; onProgress?: (fraction: number) => void; metadata?: RenderMetadata } = {},
): Promise<void> {
  const W = reader.width;
  const H = reader.height;
  const rows = stripRows(W, H);
  const plan = fullResPlan(coefficients[0], W, H);
  const writers: PngStreamWriter[] = [];
  let finished = false;
  try {
    const { exif, xmp, icc } = options.metadata ?? {};
    for (const target of targets) writers.push(await PngStreamWriter.create(target, { width: W, height: H, bands: 3, exif, xmp, icc }));
    const L = new Float32Array(W * rows);
    const a = new Float32Array(W * rows);
    const b = new Float32Array(W * rows);
    const fy = new Float32Array(W * rows);
    const Y = new Float32Array(W * rows);
    const rgb = new Uint8Array(W * rows * 3);
    for (let y0 = 0; y0 < H; y0 += rows) {
      if (options.signal?.aborted) throw cancelledError('Colorizing');
      const n = Math.min(rows, H - y0);
      const raw = await reader.readRegion({ x: 0, y: y0, width: W, height: n });
      rawToL(raw.data, raw.channels, W * n, L);
      lToFy(L, W * n, fy, Y);
      for (const [i, coeffs] of coefficients.entries()) {
        applyGuided(coeffs, plan, L, y0, n, a, b);
        for (let p = 0, o = 0; p < W * n; p++, o += 3) fyabToSrgb8(fy[p], Y[p], a[p], b[p], rgb, o);
        await writers[i].writeRows(rgb, n);
      }
      options.onProgress?.(Math.min(1, (y0 + n) / H));
    }
    for (const writer of writers) await writer.finish();
    finished = true;
  } finally {
    if (!finished) for (const writer of writers) await writer.abandon();
  }
}

export const OUTPUT_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const OUTPUT_EXTENSION: Record<OutputFormat, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };

/** The output format matching a photo's own (JPEG stays JPEG; others PNG unless TIFF/WebP). */
export function formatFor(sourceFormat: string): OutputFormat {
  if (sourceFormat === 'jpeg' || sourceFormat === 'jpg') return 'jpeg';
  if (sourceFormat === 'tiff') return 'tiff';
  if (sourceFormat === 'webp') return 'webp';
  return 'png';
}

/** What a rendered sample carries into its exports: the original's EXIF and XMP, and an sRGB profile. */
export interface RenderMetadata {
  exif?: Buffer;
  xmp?: Buffer;
  icc?: Buffer;
}

/**
 * EXIF and XMP of the original for an export (orientation set to 1: the
 * pixels are upright), and an sRGB ICC profile: the colorized pixels are
 * sRGB whatever the original's profile was (gray, CMYK and wide-gamut
 * sources are converted to sRGB when their pyramid is built).
 */
export async function exportMetadata(original: string): Promise<RenderMetadata & { hadIcc: boolean }> {
  const meta = await openImageFile(original).metadata().catch(() => null);
  let exif = meta?.exif;
  if (exif && meta?.orientation && meta.orientation !== 1) {
    // libvips rewrites the orientation tag of the EXIF it writes: a 1×1 copy yields the blob with 1.
    exif = await openImageFile(original).resize(1, 1).keepExif().withMetadata({ orientation: 1 }).jpeg().toBuffer().then((b) => sharp(b).metadata()).then((m) => m.exif).catch(() => undefined);
  }
  return { exif, xmp: meta?.xmp, icc: await srgbIccProfile(), hadIcc: Boolean(meta?.icc) };
}

let srgbProfile: Promise<Buffer> | null = null;
/** The sRGB ICC profile libvips ships, as bytes (attached to colour outputs). */
export function srgbIccProfile(): Promise<Buffer> {
  srgbProfile ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .withIccProfile('srgb')
    .png()
    .toBuffer()
    .then(async (png) => (await sharp(png).metadata()).icc as Buffer);
  return srgbProfile;
}

/**
 * Encodes a rendered sample (a PNG from renderFullResolution, read
 * sequentially) to `target` (the caller makes it atomic), keeping its EXIF,
 * XMP and profile. JPEG is written without Huffman optimisation: optimising
 * makes libjpeg buffer every DCT coefficient of the image (140 MB at 12 Mpx,
 * 4:4:4) for about 10% smaller files; without it the encoder streams. WebP
 * encodes the whole picture at once (and is limited to 16,383 px a side).
 */
export async function encodeRendered(rendered: string, target: string, format: OutputFormat): Promise<void> {
  let image = sharp(rendered, { limitInputPixels: false, sequentialRead: true }).keepExif().keepIccProfile().keepXmp();
  if (format === 'jpeg') image = image.jpeg({ quality: 92, chromaSubsampling: '4:4:4', optimiseCoding: false });
  else if (format === 'png') image = image.png({ compressionLevel: 6 });
  else if (format === 'webp') image = image.webp({ quality: 92 });
  else image = image.tiff({ compression: 'deflate', predictor: 'horizontal' });
  await image.toFile(target);
}

/** A viewer pyramid (tiled, multi-page TIFF, as the pyramid builder writes) of a rendered sample. */
export async function encodePyramid(rendered: string, target: string, compression: 'jpeg' | 'deflate', quality: number): Promise<Array<{ width: number; height: number }>> {
  await sharp(rendered, { limitInputPixels: false, sequentialRead: true })
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression, quality, predictor: compression === 'deflate' ? 'horizontal' : 'none' })
    .toFile(target);
  const first = await sharp(target, { limitInputPixels: false }).metadata();
  const levels: Array<{ width: number; height: number }> = [];
  for (let page = 0; page < (first.pages ?? 1); page++) {
    const meta = await sharp(target, { limitInputPixels: false, page }).metadata();
    levels.push({ width: meta.width, height: meta.height });
  }
  return levels;
}

/** A small JPEG data URL of a rendered sample (gallery card), read sequentially. */
export async function thumbnailOf(rendered: string, size = 320): Promise<string> {
  const jpeg = await sharp(rendered, { limitInputPixels: false, sequentialRead: true }).resize(size, size, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 82 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

/**
 * A small colorization straight from a grid (no full-resolution pass):
 * the instant preview, and quick looks in tests. Returns JPEG bytes.
 */
export async function renderSmall(reader: PyramidReader, photo: Pick<SampledPhoto, 'config' | 'guide'>, grid: Float32Array, longSide = 480): Promise<Buffer> {
  const s = Math.min(1, longSide / Math.max(reader.width, reader.height));
  const W = Math.max(1, Math.round(reader.width * s));
  const H = Math.max(1, Math.round(reader.height * s));
  const rgb = await renderRgb(reader, photo, grid, W, H);
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/**
 * A grid rendered whole at W × H (8-bit sRGB, interleaved): the photo's L read
 * at that size, the grid's ab upsampled along it. For small renders only; the
 * full-resolution join goes strip by strip.
 */
export async function renderRgb(reader: PyramidReader, photo: Pick<SampledPhoto, 'config' | 'guide'>, grid: Float32Array, W: number, H: number): Promise<Uint8Array> {
  const L = await readL(reader, W, H);
  const coeffs = coefficientsFor(photo, grid);
  const a = new Float32Array(W * H);
  const b = new Float32Array(W * H);
  applyGuided(coeffs, fullResPlan(coeffs, W, H), L, 0, H, a, b);
  const rgb = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) labToSrgb8(L[p], a[p], b[p], rgb, 3 * p);
  return rgb;
}

export async function removeQuietly(...files: string[]): Promise<void> {
  for (const file of files) {
    await fs.rm(file, { force: true, recursive: true }).catch(() => undefined);
    releaseTemp(file);
  }
}

/** A temporary rendered sample: `.<name>.<pid>.<random>.render.png` (swept when its process is gone; tracked, so a signal can remove it: see fs/temp-files.ts). */
export function tempRenderPath(dir: string, name: string): string {
  return trackTemp(path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.render.png`));
}
