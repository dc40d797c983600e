import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IriscopeError } from '../../common/errors';
import { fsError, isDiskFull } from '../fs/fs-errors';
import { sniffSignature } from './integrity';

export const SUPPORTED_FORMATS_HINT = 'Iriscope reads JPEG, PNG, WebP, TIFF/BigTIFF and GeoTIFF, GIF, AVIF/HEIF, SVG and JPEG 2000 files.';

const CORRUPT_PATTERNS = [
  /premature end/i,
  /truncat/i,
  /corrupt/i,
  /bad huffman/i,
  /invalid (sos|marker|png|jpeg)/i,
  /not a jpeg/i,
  /read error/i,
  /tiff(fill|read)/i,
  /unexpected end/i,
  /crc error/i,
  /incorrect data check/i,
  /out of order/i,
  /bad (tile|strip)/i,
  /decode/i,
  /decompress/i,
  /was not defined/i,
  /read error|scanline/i,
];

/** Turns a sharp/libvips failure on `file` into a typed error the user can act on. */
export async function imageError(error: unknown, file: string): Promise<IriscopeError> {
  if (error instanceof IriscopeError) return error;
  if ((error as NodeJS.ErrnoException)?.code) return fsError(error, file);
  const name = path.basename(file);
  const detail = error instanceof Error ? error.message : String(error);
  if (isDiskFull(error)) return fsError(error, file, 'write');
  if (/unsupported image format|no loader|is not a known file format/i.test(detail)) {
    // The first bytes say it is an image, yet no decoder can read it: a damaged
    // header or directory (a TIFF cut before its IFD), not a foreign format.
    const signature = await sniffSignature(file);
    if (signature) {
      return new IriscopeError({
        code: 'CORRUPT_IMAGE',
        message: `"${name}" is damaged: it starts like a ${signature.toUpperCase()} file, but its header or directory cannot be read.`,
        detail,
        hint: 'The file may have been cut off while copying or downloading. Try the original again.',
      });
    }
    const kind = await sniffNonImage(file);
    return new IriscopeError({
      code: 'UNSUPPORTED_FORMAT',
      message: `"${name}" is not an image Iriscope can read${kind ? `: it contains ${kind}` : ''}.`,
      detail,
      hint: SUPPORTED_FORMATS_HINT,
    });
  }
  if (/pixel limit/i.test(detail)) {
    return new IriscopeError({ code: 'IMAGE_TOO_LARGE', message: `"${name}" is larger than Iriscope is set to open.`, detail });
  }
  if (CORRUPT_PATTERNS.some((re) => re.test(detail))) {
    return new IriscopeError({
      code: 'CORRUPT_IMAGE',
      message: `"${name}" is damaged or incomplete: its image data ends early or cannot be decoded.`,
      detail,
      hint: 'The file may have been cut off while copying or downloading. Try the original again.',
    });
  }
  return new IriscopeError({ code: 'CORRUPT_IMAGE', message: `"${name}" could not be decoded.`, detail });
}

/** A short description of what a non-image file holds, from its first bytes. */
async function sniffNonImage(file: string): Promise<string | null> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
      const head = buffer.subarray(0, bytesRead);
      if (bytesRead === 0) return 'no data (the file is empty)';
      if (head.subarray(0, 4).toString('latin1') === '%PDF') return 'a PDF document';
      if (head[0] === 0x50 && head[1] === 0x4b) return 'a ZIP archive';
      const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128).length;
      if (printable / bytesRead > 0.95) return 'text, not image data';
      return null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}
