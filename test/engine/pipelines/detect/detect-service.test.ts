/**
 * Detection through the engine, as the UI, the server and the CLI call it,
 * with the installed ODGI model on real aerial tiles: results and their
 * re-thresholding without stage 1, exports and their round trips (GeoJSON
 * coordinates of a known pixel match the GeoTIFF transform), and bad input:
 * no objects, 1-band and 16-bit GeoTIFFs, a TIFF without georeferencing,
 * cancelled runs and exports (nothing partial left behind), the original
 * never overwritten.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectResult } from '../../../../electron/common/detect-contract';
import { pixelToMap } from '../../../../electron/common/geo';
import type { Engine } from '../../../../electron/engine/engine';
import { AERIAL, detectEngine, GEO_GSD as GSD, GEO_ORIGIN as ORIGIN, odgiModelDirs, writeGeoTiff } from '../../../helpers/detect';
import { tempDir } from '../../../helpers/fixtures';

let root: string;
let files: string;
let engine: Engine;

async function run(file: string, extra: Parameters<Engine['detect']>[0] extends infer I ? Partial<I> : never = {}): Promise<{ imageId: string; result: DetectResult }> {
  const image = await engine.openImage({ path: file });
  const result = await engine.detection.start({ imageId: image.id, ...extra }).done;
  return { imageId: image.id, result };
}

const listDir = async (dir: string) => (await fs.readdir(dir)).sort();

beforeAll(async () => {
  root = await tempDir('iriscope-detect-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  engine = await detectEngine(root);
  const busy = path.join(AERIAL, 'tile-3000001.jpg');
  await writeGeoTiff(path.join(files, 'geo-rgb.tif'), busy, 'rgb');
  await writeGeoTiff(path.join(files, 'geo-gray.tif'), busy, 'gray');
  await writeGeoTiff(path.join(files, 'geo-16bit.tif'), busy, 'rgb16');
  await sharp(busy).tiff({ tile: true, tileWidth: 256, tileHeight: 256 }).toFile(path.join(files, 'plain.tif'));
  // An image with no objects: a flat field with gentle noise.
  await sharp({ create: { width: 2500, height: 1800, channels: 3, background: { r: 96, g: 118, b: 74 }, noise: { type: 'gaussian', mean: 0, sigma: 6 } } })
    .jpeg({ quality: 85 }).toFile(path.join(files, 'empty-field.jpg'));
  // Large enough (10 x 8 stage-1 tiles) that a run reports progress before it ends, on any machine.
  await sharp({ create: { width: 10240, height: 8192, channels: 3, background: { r: 96, g: 118, b: 74 }, noise: { type: 'gaussian', mean: 0, sigma: 6 } } })
    .jpeg({ quality: 85 }).toFile(path.join(files, 'large-field.jpg'));
});

afterAll(async () => {
  await engine?.dispose();
});

describe.skipIf(!odgiModelDirs().length)('detection through the engine', () => {
  let geo: { imageId: string; result: DetectResult };

  it('runs the cascade on a georeferenced GeoTIFF: detections, crops, stats, the default model', async () => {
    geo = await run(path.join(files, 'geo-rgb.tif'));
    const r = geo.result;
    expect(r.mode).toBe('cascade');
    expect(r.models.stage1).toMatch(/^odgi-/);
    expect(r.models.detector).toBe(r.models.stage1);
    expect([r.width, r.height]).toEqual([1024, 1024]);
    expect(r.detections.length).toBeGreaterThan(0);
    expect(r.stats).toMatchObject({ tiles: 1, tileSize: 1024 });
    expect(r.crops.length).toBe(r.stats.crops);
    expect(r.crops.length).toBeLessThanOrEqual(r.thresholds.gamma);
    expect(r.stats.areaFullRes).toBeGreaterThan(0);
    expect(r.stats.areaFullRes).toBeLessThan(1);
    // Best first, ids 1..n, inside the image, each with its stage and (for refined ones) its crop.
    r.detections.forEach((d, i) => {
      expect(d.id).toBe(i + 1);
      if (i) expect(d.score).toBeLessThanOrEqual(r.detections[i - 1].score);
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(1024);
      expect(d.score).toBeGreaterThanOrEqual(r.floor);
      expect(['shortcut', 'refined']).toContain(d.stage);
      if (d.stage === 'refined') expect(r.crops[d.crop!]).toBeDefined();
      expect(d.label).toBe(r.labels[d.class]);
    });
    expect(await engine.getDetections({ imageId: geo.imageId })).toEqual(r);
  });

  it('names every stage it runs in its progress: models, stage-1 tiles, crops refined, merging', async () => {
    const image = await engine.openImage({ path: path.join(files, 'geo-gray.tif') });
    const messages: string[] = [];
    const { job, done } = engine.detection.start({ imageId: image.id });
    const off = engine.onEvent((e) => {
      if (e.type === 'job' && e.job.id === job.id && e.job.state === 'running' && e.job.message) messages.push(e.job.message);
    });
    const result = await done.finally(off);
    // A new stage is never throttled away, however fast the run (JobQueue's rule).
    expect(messages.some((m) => m === 'Loading the models')).toBe(true);
    expect(messages.some((m) => /^Stage 1: \d+ of 1 tiles$/.test(m))).toBe(true);
    expect(result.stats.cropsComputed).toBeGreaterThan(0);
    expect(messages.some((m) => /^Refining crops: \d+ of \d+$/.test(m))).toBe(true);
    expect(messages.at(-1)).toBe('Merging detections');
  });

  it('re-applies thresholds without running stage 1 again (fewer crops: nothing to compute)', async () => {
    const r = geo.result;
    const fewer = await engine.refilterDetections({ imageId: geo.imageId, thresholds: { gamma: 1 } });
    expect(fewer.stats.stage1Ms).toBe(0);
    expect(fewer.stats.cropsComputed).toBe(0);
    expect(fewer.crops).toEqual(r.crops.slice(0, 1));
    expect(fewer.thresholds.gamma).toBe(1);
    const more = await engine.refilterDetections({ imageId: geo.imageId, thresholds: { gamma: 2 * r.thresholds.gamma, tauLow: 0.02 } });
    expect(more.stats.stage1Ms).toBe(0);
    expect(more.crops.length).toBeGreaterThanOrEqual(r.crops.length);
    // Back to the run's settings: the same result as the first run.
    const back = await engine.refilterDetections({ imageId: geo.imageId, thresholds: { gamma: r.thresholds.gamma, tauLow: r.thresholds.tauLow } });
    expect(back.detections).toEqual(r.detections);
    expect(back.stats.cropsComputed).toBe(0);
  });

  it('exports GeoJSON in map coordinates: a detection\'s corners are the GeoTIFF transform of its pixels', async () => {
    const target = path.join(files, 'geo-rgb.geojson');
    const out = await engine.exportDetections({ imageId: geo.imageId, format: 'geojson', path: target, scoreThreshold: 0.1 });
    const doc = JSON.parse(await fs.readFile(target, 'utf8'));
    expect(out).toMatchObject({ path: target, format: 'geojson', detections: doc.features.length });
    expect(doc.crs.properties.name).toBe('urn:ogc:def:crs:EPSG::32633');
    const current = (await engine.getDetections({ imageId: geo.imageId }))!;
    expect(doc.features.length).toBe(current.detections.filter((d) => d.score >= 0.1).length);
    // Below the result's floor, the export reaches into the whole output.
    const all = await engine.exportDetections({ imageId: geo.imageId, format: 'geojson', path: path.join(files, 'all.geojson'), scoreThreshold: 0 });
    expect(all.detections).toBeGreaterThanOrEqual(doc.features.length);
    const f = doc.features[0];
    const d = current.detections[0];
    const [x, y, w, h] = d.box;
    expect(f.properties).toMatchObject({ id: d.id, score: d.score, class: d.label, stage: d.stage });
    const ring = f.geometry.coordinates[0];
    expect(ring).toHaveLength(5);
    expect(ring[0]).toEqual(ring[4]);
    // Top-left pixel corner → (E0 + x·gsd, N0 − y·gsd): by hand and through the image's own transform.
    const corners = ring.slice(0, 4);
    expect(corners).toContainEqual([ORIGIN[0] + x * GSD, ORIGIN[1] - y * GSD]);
    expect(corners).toContainEqual([ORIGIN[0] + (x + w) * GSD, ORIGIN[1] - (y + h) * GSD]);
    const image = await engine.getImage({ imageId: geo.imageId });
    expect(corners).toContainEqual(pixelToMap(image.geo!, x + w, y));
    // Counterclockwise exterior ring (RFC 7946).
    let area = 0;
    for (let i = 0; i < 4; i++) area += corners[i][0] * corners[(i + 1) % 4][1] - corners[(i + 1) % 4][0] * corners[i][1];
    expect(area).toBeGreaterThan(0);
  });

  it('exports COCO, YOLO and CSV that read back to the same boxes', async () => {
    const r = (await engine.getDetections({ imageId: geo.imageId }))!;
    const shown = r.detections.filter((d) => d.score >= r.thresholds.scoreThreshold);
    const coco = JSON.parse(await fs.readFile((await engine.exportDetections({ imageId: geo.imageId, format: 'coco', path: path.join(files, 'geo.coco.json') })).path, 'utf8'));
    expect(coco.images).toEqual([{ id: 1, file_name: 'geo-rgb.tif', width: 1024, height: 1024 }]);
    expect(coco.categories.map((c: { name: string }) => c.name)).toEqual(r.labels);
    expect(coco.annotations.map((a: { bbox: number[]; score: number; category_id: number }) => [a.bbox, a.score, a.category_id - 1])).toEqual(shown.map((d) => [d.box, d.score, d.class]));
    const yolo = (await fs.readFile((await engine.exportDetections({ imageId: geo.imageId, format: 'yolo', path: path.join(files, 'geo.txt') })).path, 'utf8')).trim().split('\n').filter(Boolean);
    expect(yolo).toHaveLength(shown.length);
    yolo.forEach((line, i) => {
      const [cls, cx, cy, w, h, score] = line.split(' ').map(Number);
      const [x, y, bw, bh] = shown[i].box;
      expect(cls).toBe(shown[i].class);
      expect(cx * 1024).toBeCloseTo(x + bw / 2, 2);
      expect(cy * 1024).toBeCloseTo(y + bh / 2, 2);
      expect(w * 1024).toBeCloseTo(bw, 2);
      expect(h * 1024).toBeCloseTo(bh, 2);
      expect(score).toBeCloseTo(shown[i].score, 4);
    });
    const csv = (await fs.readFile((await engine.exportDetections({ imageId: geo.imageId, format: 'csv', path: path.join(files, 'geo.csv') })).path, 'utf8')).trim().split('\r\n');
    expect(csv[0]).toBe('id,x,y,width,height,score,class_id,class,stage,crop,center_x_map,center_y_map,crs');
    expect(csv).toHaveLength(shown.length + 1);
    const first = csv[1].split(',');
    expect(Number(first[10])).toBeCloseTo(ORIGIN[0] + (shown[0].box[0] + shown[0].box[2] / 2) * GSD, 3);
    expect(first[12]).toBe('EPSG:32633');
  });

  it('exports an annotated overview image, with full-resolution crops under it on request', async () => {
    const plainPath = path.join(files, 'geo.png');
    await engine.exportDetections({ imageId: geo.imageId, format: 'png', path: plainPath, maxSide: 512 });
    expect(await sharp(plainPath).metadata()).toMatchObject({ format: 'png', width: 512, height: 512 });
    const withCrops = await engine.exportDetections({ imageId: geo.imageId, format: 'jpeg', path: path.join(files, 'geo.jpg'), maxSide: 512, crops: true });
    const meta = await sharp(withCrops.path).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.height).toBeGreaterThan(512 + 100);
    // The box colours are in the overview: some strongly red or blue pixels where there were none.
    const { data } = await sharp(plainPath).raw().toBuffer({ resolveWithObject: true });
    let coloured = 0;
    for (let i = 0; i < data.length; i += 3) if ((data[i] > 230 && data[i + 1] < 110) || (data[i + 2] > 230 && data[i] < 90)) coloured++;
    expect(coloured).toBeGreaterThan(20);
  });

  it('never overwrites the original, and says why', async () => {
    const original = path.join(files, 'geo-rgb.tif');
    const before = await fs.readFile(original);
    await expect(engine.exportDetections({ imageId: geo.imageId, format: 'coco', path: original })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringMatching(/never overwrites the original/) });
    expect((await fs.readFile(original)).equals(before)).toBe(true);
  });

  it('finds nothing in an image without objects, and exports empty files', async () => {
    const { imageId, result } = await run(path.join(files, 'empty-field.jpg'));
    expect(result.stats.tiles).toBe(6);
    expect(result.detections.filter((d) => d.score >= result.thresholds.scoreThreshold)).toEqual([]);
    const coco = JSON.parse(await fs.readFile((await engine.exportDetections({ imageId, format: 'coco', path: path.join(files, 'empty.coco.json') })).path, 'utf8'));
    expect(coco.annotations).toEqual([]);
    await expect(engine.exportDetections({ imageId, format: 'geojson', path: path.join(files, 'empty.geojson') })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('reads 1-band and 16-bit GeoTIFFs like the 8-bit RGB one', async () => {
    const gray = await run(path.join(files, 'geo-gray.tif'));
    const deep = await run(path.join(files, 'geo-16bit.tif'));
    const rgbCount = geo.result.detections.filter((d) => d.score >= 0.3).length;
    for (const r of [gray.result, deep.result]) {
      expect([r.width, r.height]).toEqual([1024, 1024]);
      expect(r.detections.length).toBeGreaterThan(0);
    }
    // 16 bits scaled down to 8 are the same pixels: the same detections.
    expect(deep.result.detections.filter((d) => d.score >= 0.3).length).toBe(rgbCount);
    expect((await engine.getImage({ imageId: gray.imageId })).geo?.epsg).toBe(32633);
  });

  it('exports a TIFF without georeferencing in pixels, and refuses GeoJSON for it with a clear message', async () => {
    const { imageId, result } = await run(path.join(files, 'plain.tif'));
    expect(result.detections.length).toBeGreaterThan(0);
    const error = await engine.exportDetections({ imageId, format: 'geojson', path: path.join(files, 'plain.geojson') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/"plain.tif" has no georeferencing/), hint: expect.stringMatching(/COCO/) });
    const csv = await fs.readFile((await engine.exportDetections({ imageId, format: 'csv', path: path.join(files, 'plain.csv') })).path, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('id,x,y,width,height,score,class_id,class,stage,crop');
    expect(await listDir(files)).not.toContain('plain.geojson');
  });

  it('a cancelled run keeps nothing: no result, nothing to export', async () => {
    const image = await engine.openImage({ path: path.join(files, 'large-field.jpg') });
    const { job, done } = engine.detection.start({ imageId: image.id });
    // Cancel in the middle of the run, at its first progress report.
    const seen: string[] = [];
    const off = engine.onEvent((e) => {
      if (e.type !== 'job' || e.job.id !== job.id || !e.job.message) return;
      seen.push(e.job.message);
      if (/Stage 1|Refining/.test(e.job.message) && e.job.state === 'running') void engine.cancelJob({ jobId: job.id });
    });
    await expect(done.finally(off)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen.some((m) => /Stage 1: \d+ of 80 tiles|Refining crops/.test(m))).toBe(true);
    expect(engine.jobs.get(job.id).state).toBe('cancelled');
    // Nothing of the cancelled run is kept.
    expect(await engine.getDetections({ imageId: image.id })).toBeNull();
    const fresh = await engine.openImage({ path: path.join(AERIAL, 'tile-3000004.jpg') });
    const second = engine.detection.start({ imageId: fresh.id });
    await engine.cancelJob({ jobId: second.job.id });
    await expect(second.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await engine.getDetections({ imageId: fresh.id })).toBeNull();
    await expect(engine.exportDetections({ imageId: fresh.id, format: 'coco', path: path.join(files, 'cancelled.coco.json') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await listDir(files)).not.toContain('cancelled.coco.json');
  });

  it('a cancelled export leaves neither the file nor a partial one', async () => {
    const before = await listDir(files);
    const pending = engine.exportDetections({ imageId: geo.imageId, format: 'png', path: path.join(files, 'cancelled.png'), crops: true });
    const job = engine.jobs.list().find((j) => j.kind === 'export' && j.state !== 'succeeded' && j.title.includes('(png)'))!;
    expect(job).toBeDefined();
    await engine.cancelJob({ jobId: job.id });
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await listDir(files)).toEqual(before);
  });

  it('runs the tiled baseline with the same stage-2 network', async () => {
    const { result } = await run(path.join(files, 'geo-rgb.tif'), { mode: 'tiled' });
    expect(result.mode).toBe('tiled');
    expect(result.models.stage1).toBeNull();
    expect(result.crops).toEqual([]);
    expect(result.stats.tiles).toBe(100); // 128 px windows, 20% overlap over 1024 px
    expect(result.stats.areaFullRes).toBe(1);
    expect(result.detections.every((d) => d.stage === 'tiled')).toBe(true);
  });
});
