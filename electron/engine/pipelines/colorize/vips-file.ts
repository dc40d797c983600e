/**
 * Writes an 8-bit image to libvips' native `.v` format strip by strip, so a
 * full-resolution colorization never sits whole in memory: the strips go to
 * disk as they are computed, and sharp (libvips) then reads the file
 * memory-mapped to encode JPEG, PNG, TIFF or a viewer pyramid.
 *
 * The format: a 64-byte header (magic, size, bands, band format, coding,
 * interpretation, resolution), the pixels row by row, then an XML block with
 * metadata. EXIF, XMP and ICC travel in that block as base64 blobs, so an
 * export keeps the original's EXIF while its pixels come from here.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import sharp from 'sharp';

const INTERPRETATION_B_W = 1;
const INTERPRETATION_SRGB = 22;

export interface VipsMetadata {
  exif?: Buffer;
  xmp?: Buffer;
  icc?: Buffer;
  /** Written as the image's orientation (libvips updates EXIF from it on save). */
  orientation?: number;
}

export class VipsFileWriter {
  private rowsWritten = 0;
  private offset = 64;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly width: number,
    readonly height: number,
    readonly bands: 1 | 3,
  ) {}

  static async create(file: string, width: number, height: number, bands: 1 | 3): Promise<VipsFileWriter> {
    const handle = await fs.open(file, 'w');
    const header = Buffer.alloc(64);
    header.writeUInt32BE(0xb6a6f208, 0); // magic, Intel byte order
    header.writeInt32LE(width, 4);
    header.writeInt32LE(height, 8);
    header.writeInt32LE(bands, 12);
    header.writeInt32LE(8, 16); // bits per band (legacy)
    header.writeInt32LE(0, 20); // band format: uchar
    header.writeInt32LE(0, 24); // coding: none
    header.writeInt32LE(bands === 1 ? INTERPRETATION_B_W : INTERPRETATION_SRGB, 28);
    header.writeFloatLE(1, 32); // x resolution, pixels per mm
    header.writeFloatLE(1, 36);
    try {
      await handle.write(header, 0, 64, 0);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new VipsFileWriter(file, handle, width, height, bands);
  }

  /** Appends whole rows (width × bands bytes each). */
  async writeRows(data: Uint8Array, rows: number): Promise<void> {
    const bytes = rows * this.width * this.bands;
    if (data.length < bytes) throw new RangeError('not enough pixel data for the rows');
    if (this.rowsWritten + rows > this.height) throw new RangeError('more rows than the image has');
    await this.handle.write(data, 0, bytes, this.offset);
    this.offset += bytes;
    this.rowsWritten += rows;
  }

  /** Writes the metadata block and closes the file; all rows must have been written. */
  async finish(meta: VipsMetadata = {}): Promise<void> {
    try {
      if (this.rowsWritten !== this.height) throw new Error(`only ${this.rowsWritten} of ${this.height} rows were written`);
      const fields: string[] = [];
      const blob = (name: string, data: Buffer | undefined) => {
        if (data?.length) fields.push(`    <field type="VipsBlob" name="${name}">${data.toString('base64')}</field>`);
      };
      blob('exif-data', meta.exif);
      blob('xmp-data', meta.xmp);
      blob('icc-profile-data', meta.icc);
      if (meta.orientation) fields.push(`    <field type="gint" name="orientation">${meta.orientation}</field>`);
      const xml = `<?xml version="1.0"?>\n<root xmlns="http://www.vips.ecs.soton.ac.uk/vips/${sharp.versions.vips}">\n  <header>\n  </header>\n  <meta>\n${fields.join('\n')}${fields.length ? '\n' : ''}  </meta>\n</root>\n`;
      await this.handle.write(Buffer.from(xml, 'utf8'), 0, Buffer.byteLength(xml), this.offset);
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without finishing (on failure or cancel); the caller removes the file. */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
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
