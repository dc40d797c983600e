import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeImage } from '../../../electron/engine/images/probe-image';
import { SAMPLE_PHOTO, tempDir, writeLyingTiffHeader, writeTextAsPng, writeTruncatedJpeg } from '../../helpers/fixtures';

const limits = { maxMegapixels: 2147 };
let dir: string;

beforeAll(async () => {
  dir = await tempDir();
});

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error('expected the probe to fail');
}

describe('probeImage', () => {
  it('reports size, bands, depth, ICC and EXIF of a real photo', async () => {
    const meta = await probeImage(SAMPLE_PHOTO, limits);
    expect(meta).toMatchObject({ format: 'jpeg', width: 1024, height: 819, bands: 3, bitDepth: 8, orientation: 1, hasAlpha: false, tiled: false, geo: null });
    expect(meta.icc).toEqual({ present: true, description: 'sRGB IEC61966-2.1' });
    expect(meta.hasExif).toBe(true);
  });

  it('reports the displayed size of an EXIF-rotated JPEG (orientation 6 swaps width and height)', async () => {
    const file = path.join(dir, 'rotated.jpg');
    await sharp(SAMPLE_PHOTO).withMetadata({ orientation: 6 }).jpeg().toFile(file);
    const meta = await probeImage(file, limits);
    expect(meta.orientation).toBe(6);
    expect([meta.width, meta.height]).toEqual([819, 1024]);
  });

  it('reads 16-bit PNGs and grayscale images', async () => {
    const png16 = path.join(dir, 'deep.png');
    await sharp(SAMPLE_PHOTO).toColourspace('rgb16').png().toFile(png16);
    expect(await probeImage(png16, limits)).toMatchObject({ bitDepth: 16, bands: 3 });
    const gray = path.join(dir, 'gray.png');
    await sharp(SAMPLE_PHOTO).toColourspace('b-w').png().toFile(gray);
    expect(await probeImage(gray, limits)).toMatchObject({ bands: 1, colourSpace: 'b-w' });
  });

  it('calls a truncated JPEG damaged, naming the file', async () => {
    const file = path.join(dir, 'cut-off.jpg');
    await writeTruncatedJpeg(file);
    const error = await codeOf(probeImage(file, limits));
    expect(error.code).toBe('CORRUPT_IMAGE');
    expect(error.message).toContain('"cut-off.jpg" is damaged or incomplete');
  });

  it('says a text file named .png contains text', async () => {
    const file = path.join(dir, 'notes.png');
    await writeTextAsPng(file);
    const error = await codeOf(probeImage(file, limits));
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.message).toBe('"notes.png" is not an image Iriscope can read: it contains text, not image data.');
  });

  it('refuses a TIFF whose header claims 100,000 × 100,000 px before decoding anything', async () => {
    const file = path.join(dir, 'liar.tif');
    await writeLyingTiffHeader(file, 100_000, 100_000);
    const error = await codeOf(probeImage(file, limits));
    expect(error.code).toBe('IMAGE_TOO_LARGE');
    expect(error.message).toContain('100,000 × 100,000 px (10.0 gigapixels)');
    expect(error.hint).toContain('far too small for that many pixels');
  });

  it('names a missing file and a folder', async () => {
    expect((await codeOf(probeImage(path.join(dir, 'gone.jpg'), limits))).code).toBe('FILE_NOT_FOUND');
    expect((await codeOf(probeImage(dir, limits))).code).toBe('NOT_A_FILE');
  });

  it('calls an empty file empty', async () => {
    const file = path.join(dir, 'empty.jpg');
    await fs.writeFile(file, '');
    expect(await codeOf(probeImage(file, limits))).toMatchObject({ code: 'CORRUPT_IMAGE', message: '"empty.jpg" is empty (0 bytes).' });
  });
});
