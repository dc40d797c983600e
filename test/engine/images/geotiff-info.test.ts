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

  it('reads the ground resolution in metres of a projected GeoTIFF (UTM, metres; a CRS in feet)', async () => {
    const utm = path.join(dir, 'gsd-utm.tif');
    await writeGeoTiff(utm, { ModelPixelScale: [0.25, 0.25, 0], ModelTiepoint: [0, 0, 0, 500000, 4649776, 0], GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32633 });
    expect((await probeImage(utm, { maxMegapixels: 100 })).geo!.gsd).toBeCloseTo(0.25, 10);
    // A user-defined projected CRS in US survey feet (e.g. a State Plane zone): 1 ft pixels are 0.3048006 m.
    const feet = path.join(dir, 'gsd-feet.tif');
    await writeGeoTiff(feet, { ModelPixelScale: [1, 1, 0], ModelTiepoint: [0, 0, 0, 2000000, 600000, 0], GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, ProjLinearUnitsGeoKey: 9003 });
    const geo = (await probeImage(feet, { maxMegapixels: 100 })).geo!;
    expect(geo.units).toBe('US survey foot');
    expect(geo.gsd).toBeCloseTo(1200 / 3937, 8);
  });

  it('converts degrees to metres at the latitude of the image centre (EPSG:4326)', async () => {
    // 1e-5° pixels, the image (64 x 48 px) centred on 45° N. On WGS 84 there 1° of latitude is
    // 111,132.95 m and 1° of longitude 78,846.81 m (the published table), so a pixel is
    // 0.78847 x 1.11133 m: 0.93608 m as the side of the square of the same area.
    const file = path.join(dir, 'gsd-wgs84.tif');
    await writeGeoTiff(file, { ModelPixelScale: [0.00001, 0.00001, 0], ModelTiepoint: [0, 0, 0, 11.25, 45 + 24 * 0.00001, 0], GTModelTypeGeoKey: 2, GTRasterTypeGeoKey: 1, GeographicTypeGeoKey: 4326 });
    const geo = (await probeImage(file, { maxMegapixels: 100 })).geo!;
    expect(geo.units).toBe('degree');
    expect(geo.gsd).toBeCloseTo(Math.sqrt(0.788_468_1 * 1.111_329_5), 5);
    // At the equator: 1° of latitude 110,574.4 m, of longitude 111,319.5 m.
    const equator = path.join(dir, 'gsd-equator.tif');
    await writeGeoTiff(equator, { ModelPixelScale: [0.00001, 0.00001, 0], ModelTiepoint: [0, 0, 0, 30, 24 * 0.00001, 0], GTModelTypeGeoKey: 2, GTRasterTypeGeoKey: 1, GeographicTypeGeoKey: 4326 });
    expect((await probeImage(equator, { maxMegapixels: 100 })).geo!.gsd).toBeCloseTo(Math.sqrt(1.113_195 * 1.105_744), 5);
  });

  it('takes Web Mercator metres at their scale at the image centre (1 map metre = cos φ ground metres)', async () => {
    // Northing 6,274,861 m is 49° N in EPSG:3857: 1 m map pixels are 0.656 m on the ground.
    const file = path.join(dir, 'gsd-3857.tif');
    await writeGeoTiff(file, { ModelPixelScale: [1, 1, 0], ModelTiepoint: [0, 0, 0, 1000000, 6274861 + 24, 0], GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1, ProjectedCSTypeGeoKey: 3857 });
    expect((await probeImage(file, { maxMegapixels: 100 })).geo!.gsd).toBeCloseTo(Math.cos((49 * Math.PI) / 180), 3);
  });

  it('has no ground resolution where the pixel size is unusable (zero) and says why', async () => {
    const file = path.join(dir, 'gsd-zero.tif');
    await writeGeoTiff(file, { ModelPixelScale: [0, 0, 0], ModelTiepoint: [0, 0, 0, 500000, 4649776, 0], GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32633 });
    const geo = (await probeImage(file, { maxMegapixels: 100 })).geo!;
    expect(geo.problem).toMatch(/pixel size is zero/);
    expect(geo.gsd).toBeNull();
  });

  it('reports no georeferencing for a plain TIFF', async () => {
    // geotiff.js always writes geo keys, so the plain TIFF comes from sharp.
    const file = path.join(dir, 'plain.tif');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } }).tiff().toFile(file);
    expect((await probeImage(file, { maxMegapixels: 100 })).geo).toBeNull();
  });
});
