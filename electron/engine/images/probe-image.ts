import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseIcc } from 'icc';
import type { ImageMeta } from '../../common/contract';
import { IriscopeError } from '../../common/errors';
import { fsError } from '../fs/fs-errors';
import { readTiffStructure } from './geotiff-info';
import { imageError } from './image-errors';
import { minimumFileBytes } from './integrity';
import { bitDepthOf, openImageFile } from './sharp-setup';

export interface ProbeOptions {
  /** Images above this many megapixels are refused before any pixel is decoded. */
  maxMegapixels: number;
  /**
   * Decode the pixels to catch truncated or corrupt data now rather than
   * later. 'small' does it for images up to 50 Mpx (a fraction of a second),
   * where it is cheap; 'always' for any size.
   */
  verify?: 'never' | 'small' | 'always';
}

const VERIFY_SMALL_LIMIT = 50e6;

/** Everything Iriscope needs to know about an image file before opening it. */
export async function probeImage(file: string, options: ProbeOptions): Promise<ImageMeta> {
  const absolute = path.resolve(file);
  const name = path.basename(absolute);
  let stat;
  try {
    stat = await fs.stat(absolute);
  } catch (error) {
    throw fsError(error, absolute);
  }
  if (stat.isDirectory()) throw new IriscopeError({ code: 'NOT_A_FILE', message: `"${name}" is a folder, not an image.` });
  if (stat.size === 0) throw new IriscopeError({ code: 'CORRUPT_IMAGE', message: `"${name}" is empty (0 bytes).` });

  let meta;
  try {
    meta = await openImageFile(absolute).metadata();
  } catch (error) {
    throw await imageError(error, absolute);
  }

  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new IriscopeError({ code: 'CORRUPT_IMAGE', message: `"${name}" has no image size in its header.` });

  // A header claiming more pixels than the file's bytes can encode is damage, found here in
  // milliseconds rather than after minutes of decoding.
  const minimum = minimumFileBytes(meta.format, width, height, meta.channels);
  if (minimum !== null && stat.size < minimum) {
    throw new IriscopeError({
      code: 'CORRUPT_IMAGE',
      message: `"${name}" is damaged: its header claims ${width.toLocaleString('en-US')} × ${height.toLocaleString('en-US')} px, more than its ${stat.size.toLocaleString('en-US')} bytes can hold.`,
      detail: `${meta.format}: at least ${Math.ceil(minimum).toLocaleString('en-US')} bytes needed`,
      hint: 'The file may have been cut off or its header altered. Try the original again.',
    });
  }

  checkPixelLimit(name, width, height, stat.size, options.maxMegapixels);

  let tiled = false;
  let geo: ImageMeta['geo'] = null;
  if (meta.format === 'tiff') {
    let structure: Awaited<ReturnType<typeof readTiffStructure>> | null = null;
    try {
      structure = await readTiffStructure(absolute, stat.size);
    } catch {
      // Unusual TIFF variants that geotiff.js cannot parse still open through sharp.
    }
    if (structure?.damage) {
      throw new IriscopeError({
        code: 'CORRUPT_IMAGE',
        message: `"${name}" is damaged or incomplete: ${structure.damage}.`,
        hint: 'The file may have been cut off while copying or downloading. Try the original again.',
      });
    }
    if (structure) ({ tiled, geo } = structure);
  }

  const verify = options.verify ?? 'small';
  if (verify === 'always' || (verify === 'small' && width * height <= VERIFY_SMALL_LIMIT)) {
    await verifyDecodes(absolute, meta.format);
  }

  return {
    path: absolute,
    name,
    format: meta.format,
    fileBytes: stat.size,
    width,
    height,
    bands: meta.channels,
    bitDepth: meta.bitsPerSample && meta.depth === 'uchar' ? Math.max(meta.bitsPerSample, 8) : bitDepthOf(meta.depth),
    colourSpace: meta.space,
    hasAlpha: meta.hasAlpha,
    orientation: meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1,
    icc: { present: Boolean(meta.hasProfile), description: describeIcc(meta.icc) },
    hasExif: Boolean(meta.exif?.length),
    pages: meta.pages ?? 1,
    tiled,
    geo,
  };
}

export function checkPixelLimit(name: string, width: number, height: number, fileBytes: number, maxMegapixels: number): void {
  const megapixels = (width * height) / 1e6;
  if (megapixels <= maxMegapixels) return;
  const side = Math.floor(Math.sqrt(maxMegapixels * 1e6));
  // A header far bigger than the file can hold is almost always damage, not a real image.
  const implausible = fileBytes < (width * height) / 2000;
  throw new IriscopeError({
    code: 'IMAGE_TOO_LARGE',
    message: `"${name}" claims ${width.toLocaleString('en-US')} × ${height.toLocaleString('en-US')} px (${formatMegapixels(megapixels)}); Iriscope opens images up to ${formatMegapixels(maxMegapixels)} (about ${side.toLocaleString('en-US')} px a side).`,
    detail: `file size ${fileBytes} bytes`,
    hint: implausible
      ? `The file is only ${formatBytes(fileBytes)}, far too small for that many pixels: its header is probably damaged.`
      : 'If the image is real, raise the limit in Settings → Images (it needs disk space for the pyramid cache).',
  });
}

async function verifyDecodes(file: string, format: string): Promise<void> {
  try {
    // Shrink-on-load still walks every compressed byte, so truncation shows up.
    await openImageFile(file, format === 'jpeg' ? { failOn: 'warning' } : {}).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    // libjpeg only *warns* about damaged scan data ("Corrupt JPEG data: premature end of data
    // segment", "bad Huffman code") and fills in garbage: that is damage. Stray bytes before a
    // marker, which many cameras write, are harmless.
    if (format === 'jpeg' && /extraneous bytes/i.test(String((error as Error)?.message))) return;
    throw await imageError(error, file);
  }
}

function describeIcc(icc: Buffer | undefined): string | null {
  if (!icc?.length) return null;
  try {
    return parseIcc(icc).description ?? null;
  } catch {
    return null;
  }
}

export function formatMegapixels(mpx: number): string {
  return mpx >= 1000 ? `${(mpx / 1000).toFixed(1)} gigapixels` : `${mpx.toFixed(mpx < 10 ? 1 : 0)} megapixels`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
