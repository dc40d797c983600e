/**
 * Writes an 8-bit gray or RGB PNG row by row, so an image computed in pieces
 * (a full-resolution colorization, a band-mapped raster) never sits whole in
 * memory, and libvips reads it back with bounded memory (sequentially, one
 * row at a time). A raw `.v` file, which this replaces, is memory-mapped
 * whole by libvips: a 6 GB temp file meant a 6 GB resident set.
 *
 * PNG is chosen because it streams both ways and carries the original's
 * metadata in chunks libvips reads back (eXIf, iTXt XMP, iCCP), so an export
 * from this file keeps EXIF like the original. Rows are "Sub"-filtered and
 * deflated by zlib's stream in libuv's thread pool.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';

export interface PngStreamOptions {
  width: number;
  height: number;
  bands: 1 | 3;
  /** EXIF as sharp reports it (with or without the "Exif\0\0" prefix). */
  exif?: Buffer;
  xmp?: Buffer;
  icc?: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4, 8))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export class PngStreamWriter {
  private rowsWritten = 0;
  private offset = 0;
  private readonly deflate = zlib.createDeflate({ level: 1, chunkSize: 256 * 1024 });
  private readonly output: Buffer[] = [];
  private outputBytes = 0;
  private failed: Error | null = null;

  private constructor(readonly path: string, private readonly handle: FileHandle, private readonly options: PngStreamOptions) {
    this.deflate.on('data', (data: Buffer) => {
      this.output.push(data);
      this.outputBytes += data.length;
    });
    this.deflate.on('error', (error) => (this.failed = error));
  }

  static async create(file: string, options: PngStreamOptions): Promise<PngStreamWriter> {
    if (!(options.width > 0 && options.height > 0)) throw new RangeError('an image needs a positive size');
    const handle = await fs.open(file, 'w');
    const writer = new PngStreamWriter(file, handle, options);
    try {
      await writer.append(Buffer.concat([SIGNATURE, ...writer.headerChunks()]));
    } catch (error) {
      await handle.close();
      throw error;
    }
    return writer;
  }

  /** Appends whole rows (width × bands bytes each). */
  async writeRows(data: Uint8Array, rows: number): Promise<void> {
    const { width, bands, height } = this.options;
    const rowBytes = width * bands;
    if (data.length < rows * rowBytes) throw new RangeError('not enough pixel data for the rows');
    if (this.rowsWritten + rows > height) throw new RangeError('more rows than the image has');
    // Filter type 1 (Sub): each byte minus the same channel of the pixel to its left.
    const filtered = Buffer.alloc(rows * (rowBytes + 1));
    for (let y = 0; y < rows; y++) {
      const src = y * rowBytes;
      const dst = y * (rowBytes + 1);
      filtered[dst] = 1;
      for (let i = 0; i < rowBytes; i++) filtered[dst + 1 + i] = (data[src + i] - (i >= bands ? data[src + i - bands] : 0)) & 0xff;
    }
    await new Promise<void>((resolve, reject) => this.deflate.write(filtered, (error) => (error ? reject(error) : resolve())));
    this.rowsWritten += rows;
    await this.flushData(1024 * 1024);
  }

  /** Ends the compressed stream, writes the last chunks and closes the file; every row must have been written. */
  async finish(): Promise<void> {
    try {
      if (this.rowsWritten !== this.options.height) throw new Error(`only ${this.rowsWritten} of ${this.options.height} rows were written`);
      await new Promise<void>((resolve, reject) => {
        this.deflate.once('end', resolve);
        this.deflate.once('error', reject);
        this.deflate.end();
      });
      await this.flushData(0);
      await this.append(chunk('IEND', Buffer.alloc(0)));
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without finishing (on failure or cancel); the caller removes the file. */
  async abandon(): Promise<void> {
    this.deflate.destroy();
    await this.handle.close().catch(() => undefined);
  }

  private headerChunks(): Buffer[] {
    const { width, height, bands, exif, xmp, icc } = this.options;
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = bands === 3 ? 2 : 0; // truecolour or grayscale
    const chunks = [chunk('IHDR', ihdr)];
    if (icc?.length) chunks.push(chunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), zlib.deflateSync(icc)])));
    if (exif?.length) chunks.push(chunk('eXIf', exif.subarray(0, 6).equals(EXIF_PREFIX) ? exif.subarray(6) : exif));
    if (xmp?.length) chunks.push(chunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), xmp])));
    return chunks;
  }

  /** Writes compressed data as IDAT chunks once at least `threshold` bytes are waiting. */
  private async flushData(threshold: number): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.outputBytes === 0 || this.outputBytes < threshold) return;
    const data = Buffer.concat(this.output.splice(0));
    this.outputBytes = 0;
    await this.append(chunk('IDAT', data));
  }

  private async append(bytes: Buffer): Promise<void> {
    await this.handle.write(bytes, 0, bytes.length, this.offset);
    this.offset += bytes.length;
  }
}
