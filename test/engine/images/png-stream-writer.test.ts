import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PngStreamWriter } from '../../../electron/engine/images/png-stream-writer';
import { tempDir } from '../../helpers/fixtures';

function pattern(width: number, height: number, bands: number): Uint8Array {
  const px = new Uint8Array(width * height * bands);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < bands; c++) px[(y * width + x) * bands + c] = (x * (c + 1) + y * 3 + ((x * y) % 7)) & 0xff;
  return px;
}

describe('streaming PNG writer', () => {
  it('writes RGB and gray images row by row that libvips reads back pixel for pixel', async () => {
    const dir = await tempDir();
    for (const bands of [3, 1] as const) {
      const [width, height] = [1531, 977];
      const px = pattern(width, height, bands);
      const file = path.join(dir, `out-${bands}.png`);
      const writer = await PngStreamWriter.create(file, { width, height, bands });
      // Uneven pieces, as a renderer hands them over.
      for (let y = 0; y < height; ) {
        const rows = Math.min(height - y, 37 + (y % 50));
        await writer.writeRows(px.subarray(y * width * bands), rows);
        y += rows;
      }
      await writer.finish();
      expect((await sharp(file).metadata()).space).toBe(bands === 1 ? 'b-w' : 'srgb');
      // (sharp turns one band into three on output unless told to keep it gray.)
      const { data, info } = await sharp(file, { failOn: 'error' }).toColourspace(bands === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([width, height, bands]);
      expect(Buffer.compare(data, Buffer.from(px))).toBe(0);
      expect((await fs.stat(file)).size).toBeLessThan(px.length / 2);
    }
  });

  it('carries the EXIF, XMP and ICC profile it is given into what libvips writes from it', async () => {
    const dir = await tempDir();
    const source = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .withExif({ IFD0: { Copyright: 'Iriscope test', Artist: 'Ueno Hikoma' } })
      .withIccProfile('srgb')
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
      .jpeg()
      .toBuffer();
    const meta = await sharp(source).metadata();
    const file = path.join(dir, 'meta.png');
    const writer = await PngStreamWriter.create(file, { width: 8, height: 8, bands: 3, exif: meta.exif, xmp: meta.xmp, icc: meta.icc });
    await writer.writeRows(new Uint8Array(8 * 8 * 3), 8);
    await writer.finish();
    const read = await sharp(file).metadata();
    expect(read.icc?.equals(meta.icc!)).toBe(true);
    expect(read.xmp?.toString()).toContain('adobe:ns:meta');
    const jpeg = await sharp(await sharp(file).keepExif().jpeg().toBuffer()).metadata();
    expect(jpeg.exif?.toString('latin1')).toContain('Ueno Hikoma');
  });

  it('refuses to finish an incomplete image and to take more rows than it has', async () => {
    const dir = await tempDir();
    const partial = await PngStreamWriter.create(path.join(dir, 'partial.png'), { width: 8, height: 8, bands: 1 });
    await partial.writeRows(new Uint8Array(8 * 4), 4);
    await expect(partial.writeRows(new Uint8Array(8 * 8), 8)).rejects.toThrow(/more rows/);
    await expect(partial.finish()).rejects.toThrow(/only 4 of 8 rows/);
  });
});
