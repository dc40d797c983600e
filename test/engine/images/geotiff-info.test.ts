import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeArrayBuffer } from 'geotiff';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { pixelToMap } from '../../../electron/common/geo';
import { probeImage } from '../../../electron/engine/images/probe-image';
import { tempDir } from '../../helpers/fixtures';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});

/** A small single-band GeoTIFF written with geotiff.js, with the given geo tags. */
async function writeGeoTiff(file: string, tags: Record<string, unknown>): Promise<void> {
  const width = 64;
  const height = 48;
  const values = new Uint8Array(width * height).map((_, i) => (i * 7) % 256);
  const buffer = writeArrayBuffer(values, { width, height, ...tags } as Parameters<typeof writeArrayBuffer>[1]);
  await fs.writeFile(file, Buffer.from(buffer));
}

describe('georeferencing', () => {
  it('reads origin, pixel size and EPSG of a projected GeoTIFF (UTM 33N, 0.15 m pixels)', async () => {
    const file = path.join(dir, 'utm.tif');
    await writeGeoTiff(file, {
      ModelPixelScale: [0.15, 0.15, 0],
      ModelTiepoint: [0, 0, 0, 500000, 4649776, 0],
      GTModelTypeGeoKey: 1,
      GTRasterTypeGeoKey: 1,
      ProjectedCSTypeGeoKey: 32633,
    });
    const meta = await probeImage(file, { maxMegapixels: 100 });
    expect(meta.geo).toMatchObject({ epsg: 32633, origin: [500000, 4649776], pixelSize: [0.15, -0.15], rasterType: 'area', units: 'metre' });
    // The far corner of the image, in map coordinates.
    expect(pixelToMap(meta.geo!, 64, 48)).toEqual([500000 + 64 * 0.15, 4649776 - 48 * 0.15]);
  });

  it('shifts PixelIsPoint tie points from pixel centres to corners', async () => {
    const file = path.join(dir, 'point.tif');
    await writeGeoTiff(file, {
      ModelPixelScale: [2, 2, 0],
      ModelTiepoint: [0, 0, 0, 1000, 2000, 0],
      GTModelTypeGeoKey: 1,
      GTRasterTypeGeoKey: 2,
      ProjectedCSTypeGeoKey: 3857,
    });
    const meta = await probeImage(file, { maxMegapixels: 100 });
    expect(meta.geo).toMatchObject({ epsg: 3857, rasterType: 'point', origin: [999, 2001] });
  });

  it('reads a geographic CRS (EPSG:4326, degrees)', async () => {
    const file = path.join(dir, 'wgs84.tif');
    await writeGeoTiff(file, {
      ModelPixelScale: [0.0001, 0.0001, 0],
      ModelTiepoint: [0, 0, 0, 11.25, 48.1, 0],
      GTModelTypeGeoKey: 2,
      GTRasterTypeGeoKey: 1,
      GeographicTypeGeoKey: 4326,
    });
    const meta = await probeImage(file, { maxMegapixels: 100 });
    expect(meta.geo).toMatchObject({ epsg: 4326, units: 'degree', origin: [11.25, 48.1] });
  });

  it('reports no georeferencing for a plain TIFF', async () => {
    // geotiff.js always writes geo keys, so the plain TIFF comes from sharp.
    const file = path.join(dir, 'plain.tif');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } }).tiff().toFile(file);
    expect((await probeImage(file, { maxMegapixels: 100 })).geo).toBeNull();
  });
});
