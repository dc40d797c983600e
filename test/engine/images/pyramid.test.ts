import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { JobQueue } from '../../../electron/engine/jobs/job-queue';
import { ImageStore } from '../../../electron/engine/images/image-store';
import { PyramidCache } from '../../../electron/engine/images/pyramid/pyramid-cache';
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/defaults';
import type { JobInfo, Settings } from '../../../electron/common/contract';
import { meanAbsDiff, readRegionDirect, SAMPLE_PHOTO, tempDir, writeMosaicTiff } from '../../helpers/fixtures';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

function storeWith(settings: Settings['images'], cacheDir: string) {
  const events: JobInfo[] = [];
  const jobs = new JobQueue((job) => events.push(job));
  const store = new ImageStore(new PyramidCache(cacheDir), jobs, () => ({ ...DEFAULT_SETTINGS, images: settings }), () => undefined);
  return { store, jobs, events };
}

const REGIONS = [
  { x: 0, y: 0, width: 256, height: 256 },
  { x: 130, y: 77, width: 300, height: 211 },
  { x: 700, y: 600, width: 324, height: 219 },
];

describe('pyramid', () => {
  it('serves lossless regions identical to reading the original directly', async () => {
    const png = path.join(dir, 'boats.png');
    await sharp(SAMPLE_PHOTO).png().toFile(png);
    const { store } = storeWith({ ...DEFAULT_SETTINGS.images, pyramidCompression: 'deflate' }, path.join(dir, 'cache-lossless'));
    const image = await store.open(png);
    const reader = await store.whenReady(image.id);
    expect(reader.layout.levels[0]).toEqual({ width: 1024, height: 819 });
    for (const region of REGIONS) {
      const fromPyramid = await reader.readRegion(region);
      expect(fromPyramid.data.equals(await readRegionDirect(png, region))).toBe(true);
    }
  });

  it('serves JPEG-pyramid regions within compression noise of the original', async () => {
    const { store } = storeWith(DEFAULT_SETTINGS.images, path.join(dir, 'cache-jpeg'));
    const image = await store.open(SAMPLE_PHOTO);
    const reader = await store.whenReady(image.id);
    for (const region of REGIONS) {
      const diff = meanAbsDiff((await reader.readRegion(region)).data, await readRegionDirect(SAMPLE_PHOTO, region));
      expect(diff).toBeLessThan(2.5);
    }
  });

  it('reads full-resolution regions of a tiled TIFF straight from the original', async () => {
    const tif = path.join(dir, 'mosaic.tif');
    await writeMosaicTiff(tif, 3000, 2000);
    const { store } = storeWith(DEFAULT_SETTINGS.images, path.join(dir, 'cache-tiled'));
    const image = await store.open(tif);
    expect(image.tiled).toBe(true);
    const reader = await store.whenReady(image.id);
    const region = { x: 1234, y: 567, width: 1024, height: 1024 };
    expect((await reader.readRegion(region)).data.equals(await readRegionDirect(tif, region))).toBe(true);
    // The shared decoded-block path gives the same pixels, across block borders, from a cold and a warm cache.
    for (const rect of [{ left: 500, top: 500, width: 30, height: 40 }, { left: 1000, top: 1020, width: 300, height: 190 }, { left: 2900, top: 1900, width: 100, height: 100 }]) {
      const direct = await readRegionDirect(tif, { x: rect.left, y: rect.top, width: rect.width, height: rect.height });
      expect((await reader.readPixels(rect)).data.equals(direct)).toBe(true);
      expect((await reader.readPixels(rect)).data.equals(direct)).toBe(true);
    }
    await expect(reader.readPixels({ left: 2950, top: 0, width: 100, height: 10 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('names the cause when the original is deleted while open: FILE_NOT_FOUND, not "something went wrong"', async () => {
    const tif = path.join(dir, 'vanishing.tif');
    await writeMosaicTiff(tif, 2000, 1500);
    const { store } = storeWith(DEFAULT_SETTINGS.images, path.join(dir, 'cache-vanish'));
    const image = await store.open(tif);
    const reader = await store.whenReady(image.id);
    await fs.rm(tif);
    // Full-resolution pixels of a tiled original come from the original itself.
    await expect(reader.readPixels({ left: 700, top: 700, width: 64, height: 64 })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: '"vanishing.tif" was moved or deleted while Iriscope was reading it.' });
    await expect(reader.readRegion({ x: 1000, y: 900, width: 300, height: 200 })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    // Coarser levels come from the cached pyramid and still work.
    expect((await reader.readRegion({ x: 0, y: 0, width: 2000, height: 1500 }, { width: 200, height: 150 })).width).toBe(200);
  });

  it('scales regions from the coarsest sufficient level and pads outside the image with black', async () => {
    const { store } = storeWith(DEFAULT_SETTINGS.images, path.join(dir, 'cache-scaled'));
    const image = await store.open(SAMPLE_PHOTO);
    const reader = await store.whenReady(image.id);
    expect(reader.levelFor(0.5)).toBe(1);
    expect(reader.levelFor(0.3)).toBe(1);
    expect(reader.levelFor(0.25)).toBe(2);
    const whole = await reader.readRegion({ x: 0, y: 0, width: 1024, height: 819 }, { width: 256, height: 205 });
    expect([whole.width, whole.height, whole.channels]).toEqual([256, 205, 3]);
    const edge = await reader.readRegion({ x: -100, y: -100, width: 200, height: 200 });
    expect(edge.data[0]).toBe(0);
    expect(edge.data[(150 * 200 + 150) * 3]).toBeGreaterThan(0);
  });

  it('serves JPEG viewer tiles cut to the image at its edges', async () => {
    const { store } = storeWith(DEFAULT_SETTINGS.images, path.join(dir, 'cache-tiles'));
    const image = await store.open(SAMPLE_PHOTO);
    const reader = await store.whenReady(image.id);
    const tile = await reader.readTile(0, 3, 3);
    const meta = await sharp(tile).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1024 - 768, 819 - 768]);
    await expect(reader.readTile(0, 4, 0)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('reuses a cached pyramid: a second open needs no job', async () => {
    const cache = path.join(dir, 'cache-reuse');
    const first = storeWith(DEFAULT_SETTINGS.images, cache);
    await first.store.whenReady((await first.store.open(SAMPLE_PHOTO)).id);
    const second = storeWith(DEFAULT_SETTINGS.images, cache);
    const image = await second.store.open(SAMPLE_PHOTO);
    expect(image.pyramid.state).toBe('ready');
    expect(second.events).toHaveLength(0);
  });

  it('cancels a pyramid build of a large image and leaves no partial file', async () => {
    const tif = path.join(dir, 'large.tif');
    await writeMosaicTiff(tif, 9000, 9000);
    const cache = path.join(dir, 'cache-cancel');
    const { store, jobs, events } = storeWith(DEFAULT_SETTINGS.images, cache);
    const image = await store.open(tif);
    // Wait until the builder reports real progress, then cancel it.
    await vi.waitFor(() => expect(events.some((e) => e.state === 'running')).toBe(true), { timeout: 120_000 });
    jobs.cancel(image.pyramid.jobId!, true);
    await expect(store.whenReady(image.id)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(store.get(image.id).pyramid.state).toBe('cancelled');
    // A hard cancel reports at once; the killed builder's partial file goes when the builder has exited.
    const leftovers = async () => (await fs.readdir(path.join(cache, 'pyramids')).catch(() => [] as string[])).filter((f) => f.endsWith('.tif') || f.includes('.partial'));
    await expect.poll(leftovers, { timeout: 120_000 }).toEqual([]);
  });
});
