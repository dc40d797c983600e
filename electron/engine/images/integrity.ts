/**
 * Cheap checks that catch damaged files before minutes are spent on them:
 * what a file's first bytes say it is, whether a TIFF's strips or tiles lie
 * inside the file, and whether a header's pixel count fits in the bytes the
 * file holds. Decoding itself fails on damaged data (`failOn: 'error'` in
 * sharp-setup.ts); these checks name the damage early and precisely.
 */
import { promises as fs } from 'node:fs';

export type Signature = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'jp2' | 'heif' | 'avif';

/** The image container a file's first bytes announce, or null. */
export async function sniffSignature(file: string): Promise<Signature | null> {
  let head: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(16), 0, 16, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  return signatureOf(head);
}

export function signatureOf(head: Buffer): Signature | null {
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if ((ascii(0, 2) === 'II' && (head[2] === 42 || head[2] === 43) && head[3] === 0) || (ascii(0, 2) === 'MM' && head[2] === 0 && (head[3] === 42 || head[3] === 43))) return 'tiff';
  if (head.subarray(4, 12).toString('latin1') === 'jP  \r\n\x87\n' || (head[0] === 0xff && head[1] === 0x4f && head[2] === 0xff && head[3] === 0x51)) return 'jp2';
  if (ascii(4, 8) === 'ftyp') return /avi[fs]/.test(ascii(8, 12)) ? 'avif' : 'heif';
  return null;
}

/** What a TIFF's first directory says about where its pixel data lies. */
export interface TiffLayout {
  fileBytes: number;
  width: number;
  height: number;
  /** 1 = none; others compress (then byte counts cannot be checked against the pixel count). */
  compression: number;
  bytesPerPixel: number;
  tiled: boolean;
  /** Strip or tile width/height in pixels (strips: the image width × RowsPerStrip). */
  blockWidth: number;
  blockHeight: number;
  offsets: ArrayLike<number>;
  byteCounts: ArrayLike<number>;
  planar: boolean;
}

/**
 * Damage in a TIFF's layout, in words, or null when every strip or tile lies
 * inside the file (and, uncompressed, holds all its pixels). Sparse blocks
 * (offset and count both 0, as GDAL writes for empty tiles) are allowed.
 */
export function tiffLayoutDamage(layout: TiffLayout): string | null {
  const { offsets, byteCounts, fileBytes } = layout;
  const across = Math.ceil(layout.width / layout.blockWidth);
  const down = Math.ceil(layout.height / layout.blockHeight);
  const expectedBlocks = across * down * (layout.planar ? Math.max(1, layout.bytesPerPixel) : 1);
  if (offsets.length < across * down || byteCounts.length < offsets.length) {
    return `its directory lists ${offsets.length} ${layout.tiled ? 'tiles' : 'strips'} where ${layout.width.toLocaleString('en-US')} × ${layout.height.toLocaleString('en-US')} px need ${expectedBlocks}`;
  }
  let beyond = 0;
  let short = 0;
  let end = 0;
  for (let i = 0; i < offsets.length; i++) {
    const offset = Number(offsets[i]);
    const count = Number(byteCounts[i]);
    if (offset === 0 && count === 0) continue;
    end = Math.max(end, offset + count);
    if (offset + count > fileBytes) beyond++;
    else if (layout.compression === 1 && !layout.planar) {
      const row = Math.floor(i / across);
      const rows = Math.min(layout.blockHeight, layout.height - row * layout.blockHeight);
      const blockRows = layout.tiled ? layout.blockHeight : rows;
      if (count < layout.blockWidth * blockRows * layout.bytesPerPixel) short++;
    }
  }
  const what = layout.tiled ? 'tiles' : 'strips';
  if (beyond) return `its pixel data runs to byte ${end.toLocaleString('en-US')} but the file ends at ${fileBytes.toLocaleString('en-US')} (${beyond} of ${offsets.length} ${what} missing): it was cut off`;
  if (short) return `${short} of its ${offsets.length} ${what} hold fewer bytes than their pixels need`;
  return null;
}

/**
 * The fewest bytes a file of this format can hold for width × height pixels,
 * from each codec's best possible compression, or null where a codec can
 * compress without practical bound (GIF's LZW, WebP's back-references).
 *   JPEG: every 8 × 8 block of the first component costs at least 2 bits.
 *   PNG: deflate stores at most 1032 bytes in one (plus a filter byte a row).
 */
export function minimumFileBytes(format: string, width: number, height: number, channels: number): number | null {
  if (format === 'jpeg') return (width * height) / 256;
  if (format === 'png') return (height * (1 + width * Math.max(1, channels))) / 1032;
  return null;
}
