/**
 * Image files made by the tests themselves: real files, written with sharp
 * or by hand where a malformed header is the point.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SAMPLES_DIR = path.join(REPO_ROOT, 'assets', 'samples');
export const SAMPLE_PHOTO = path.join(SAMPLES_DIR, 'nagasaki-boats.jpg');

export async function tempDir(prefix = 'iriscope-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A JPEG cut off at 60% of its bytes: the header is intact, the pixels are not. */
export async function writeTruncatedJpeg(file: string): Promise<void> {
  const jpeg = await sharp(SAMPLE_PHOTO).jpeg({ quality: 90 }).toBuffer();
  await fs.writeFile(file, jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
}

export async function writeTextAsPng(file: string): Promise<void> {
  await fs.writeFile(file, 'These are meeting notes, not a picture.\nSaved with the wrong extension.\n');
}

/**
 * A little-endian TIFF whose header claims width × height pixels of 8-bit
 * gray in one strip, but whose data is 16 bytes long.
 */
export async function writeLyingTiffHeader(file: string, width: number, height: number): Promise<void> {
  const entries: Array<[number, number, number, number]> = [
    // tag, type (3 short, 4 long), count, value
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 1, 8],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 8 + 2 + 10 * 12 + 4],
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, width * height > 0xffffffff ? 0xffffffff : width * height],
    [284, 3, 1, 1],
  ];
  const buffer = Buffer.alloc(8 + 2 + entries.length * 12 + 4 + 16);
  buffer.write('II', 0, 'latin1');
  buffer.writeUInt16LE(42, 2);
  buffer.writeUInt32LE(8, 4);
  buffer.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    buffer.writeUInt16LE(tag, at);
    buffer.writeUInt16LE(type, at + 2);
    buffer.writeUInt32LE(count, at + 4);
    if (type === 3) buffer.writeUInt16LE(value, at + 8);
    else buffer.writeUInt32LE(value >>> 0, at + 8);
  });
  await fs.writeFile(file, buffer);
}

/**
 * A width × height tiled, JPEG-compressed TIFF with recognisable content at
 * every zoom level: a mosaic of the sample photos with a coloured grid.
 */
export async function writeMosaicTiff(file: string, width: number, height: number, options: { tiled?: boolean; compression?: 'jpeg' | 'deflate' } = {}): Promise<void> {
  const names = (await fs.readdir(SAMPLES_DIR)).filter((n) => n.endsWith('.jpg')).sort();
  const cols = 4;
  const rows = 4;
  const cellW = Math.ceil(width / cols);
  const cellH = Math.ceil(height / rows);
  const cells = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const name = names[(r * cols + c) % names.length];
      const input = await sharp(path.join(SAMPLES_DIR, name))
        .resize(cellW - 16, cellH - 16, { fit: 'cover' })
        .modulate({ hue: (r * cols + c) * 22, saturation: 2.2 })
        .tint({ r: 128 + 60 * Math.sin(c), g: 128 + 60 * Math.cos(r), b: 160 })
        .png({ compressionLevel: 0 })
        .toBuffer();
      cells.push({ input, left: c * cellW + 8, top: r * cellH + 8 });
    }
  }
  await sharp({ create: { width, height, channels: 3, background: { r: 24, g: 26, b: 32 } }, limitInputPixels: false })
    .composite(cells)
    .tiff({ tile: options.tiled ?? true, tileWidth: 512, tileHeight: 512, compression: options.compression ?? 'jpeg', quality: 85 })
    .toFile(file);
}

/** Raw pixels of a region read straight from a file (the reference for pyramid reads). */
export async function readRegionDirect(file: string, region: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
  return sharp(file, { limitInputPixels: false }).extract({ left: region.x, top: region.y, width: region.width, height: region.height }).raw().toBuffer();
}

export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}
