/**
 * `iriscope detect` as a user runs it, with the installed ODGI model: files
 * and folders, --json records on stdout (boxes in original-image pixels,
 * timing, crops), exports in --out (GeoJSON for a GeoTIFF, COCO for the
 * others), progress and clear errors on stderr, a non-zero exit when a file
 * fails while the batch goes on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recallPrecision } from '../../electron/engine/pipelines/detect/metrics';
import type { XYXY } from '../../electron/engine/pipelines/detect/nms';
import { ciTiles, renderAtGsd } from '../../scripts/odgi/gsd-eval';
import { isolatedEnv, runIriscope } from '../helpers/cli';
import { AERIAL, GEO_GSD, GEO_ORIGIN, odgiModelDirs, writeGeoTiff } from '../helpers/detect';
import { tempDir, writeTextAsPng } from '../helpers/fixtures';

let env: NodeJS.ProcessEnv;
let dir: string;
const iriscope = (...args: string[]) => runIriscope(env, ...args);

beforeAll(async () => {
  dir = await tempDir('iriscope-cli-detect-');
  env = isolatedEnv(dir);
  const extra = process.env.DETECT_EXTRA_MODEL;
  if (extra) await fs.cp(extra, path.join(dir, 'data', 'models', path.basename(extra)), { recursive: true });
});

describe.skipIf(!odgiModelDirs().length)('iriscope detect', () => {
  it('--json prints a record per image in original pixels; GeoJSON for the GeoTIFF, COCO for the rest; bad files fail clearly and the batch goes on', async () => {
    const geo = path.join(dir, 'scene.tif');
    await writeGeoTiff(geo, path.join(AERIAL, 'tile-3000004.jpg'), 'rgb');
    const folder = path.join(dir, 'tiles');
    await fs.mkdir(folder);
    await fs.copyFile(path.join(AERIAL, 'tile-3000012.jpg'), path.join(folder, 'tile-3000012.jpg'));
    await writeTextAsPng(path.join(folder, 'notes.png'));
    const out = path.join(dir, 'out');
    const { stdout, stderr, code } = await iriscope('detect', geo, folder, '--out', out, '--json');
    expect(code).toBe(1);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => path.basename(r.file))).toEqual(['scene.tif', 'notes.png', 'tile-3000012.jpg']);
    const [scene, notes, tile] = records;
    for (const r of [scene, tile]) {
      expect(r).toMatchObject({ width: 1024, height: 1024, mode: 'cascade', timing: { total_ms: expect.any(Number), stage1_ms: expect.any(Number), stage2_ms: expect.any(Number) } });
      expect(r.models.stage1).toMatch(/^odgi-/);
      expect(Array.isArray(r.crops)).toBe(true);
      for (const d of r.detections) {
        expect(d).toMatchObject({ box: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)], score: expect.any(Number), class: expect.stringMatching(/vehicle|boat|plane/) });
        expect(d.score).toBeGreaterThanOrEqual(r.threshold);
        expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(1024);
        expect(d.box[1] + d.box[3]).toBeLessThanOrEqual(1024);
      }
    }
    expect(scene.detections.length + tile.detections.length).toBeGreaterThan(0);
    expect(notes.error).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(stderr).toMatch(/\[1\/3\] scene\.tif: \d+% (Stage 1|Refining crops|Merging)/);
    expect(stderr).toContain('"notes.png" is not an image Iriscope can read');
    expect(stderr).toContain('detect: 2 of 3 images done');

    expect((await fs.readdir(out)).sort()).toEqual(['scene.tif.detect.geojson', 'tile-3000012.jpg.detect.coco.json']);
    const gj = JSON.parse(await fs.readFile(path.join(out, 'scene.tif.detect.geojson'), 'utf8'));
    expect(gj.features).toHaveLength(scene.detections.length);
    if (scene.detections.length) {
      const [x, y] = scene.detections[0].box;
      expect(gj.features[0].geometry.coordinates[0]).toContainEqual([GEO_ORIGIN[0] + x * GEO_GSD, GEO_ORIGIN[1] - y * GEO_GSD]);
    }
    const coco = JSON.parse(await fs.readFile(path.join(out, 'tile-3000012.jpg.detect.coco.json'), 'utf8'));
    expect(coco.annotations.map((a: { bbox: number[] }) => a.bbox)).toEqual(tile.detections.map((d: { box: number[] }) => d.box));
  });

  it('runs the tiled baseline; asking GeoJSON of an image without georeferencing fails that export only', async () => {
    const out = path.join(dir, 'out-tiled');
    const tile = path.join(AERIAL, 'tile-3000002.jpg');
    const { stdout, stderr, code } = await iriscope('detect', tile, '--mode', 'tiled', '--out', out, '--format', 'csv,geojson', '--json');
    expect(code).toBe(1);
    const record = JSON.parse(stdout.trim());
    expect(record.mode).toBe('tiled');
    expect(record.crops).toEqual([]);
    expect(record.export_errors).toEqual([{ format: 'geojson', error: expect.objectContaining({ code: 'BAD_REQUEST' }) }]);
    expect(stderr).toContain('has no georeferencing');
    expect(await fs.readdir(out)).toEqual(['tile-3000002.jpg.detect.csv']);
  });

  it('--gate skips stage 1 on an empty ground tile and keeps a tile with objects; --no-gate runs every tile', async () => {
    const empty = path.join(AERIAL, 'tile-3000000.jpg');
    const full = path.join(AERIAL, 'tile-3000002.jpg');
    const gated = await iriscope('detect', empty, full, '--gate', '--json', '--out', path.join(dir, 'out-gate'));
    expect(gated.code, gated.stderr).toBe(0);
    const [e, f] = gated.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(e.gate).toMatchObject({ model: 'odgi-cpu', tiles: 1, skipped: 1 });
    expect(e.detections).toEqual([]);
    expect(f.gate).toMatchObject({ tiles: 1, skipped: 0 });
    expect(f.detections.length).toBeGreaterThan(0);
    const plain = await iriscope('detect', empty, '--no-gate', '--json', '--out', path.join(dir, 'out-no-gate'));
    expect(JSON.parse(plain.stdout.trim()).gate).toBeNull();
  });

  it('--gsd: an image 2x coarser than the model is read at the model\'s GSD (boxes in its own pixels), and finds more than without', async () => {
    // The busiest CI tile, reduced 2x with sharp (20-31 cm/px): cars half the size the model knows.
    const tile = (await ciTiles()).reduce((a, b) => (b.boxes.length > a.boxes.length ? b : a));
    const coarse = await renderAtGsd(tile, 2, dir);
    const given = await iriscope('detect', coarse.path, '--gsd', String(coarse.gsd), '--json');
    expect(given.code).toBe(0);
    const withGsd = JSON.parse(given.stdout.trim());
    expect(withGsd).toMatchObject({ width: 512, height: 512, gsd: { image: coarse.gsd, source: 'user', model: { native: 0.125 } }, warnings: [] });
    expect(withGsd.gsd.scale).toBeCloseTo(coarse.gsd / 0.125, 6);
    for (const d of withGsd.detections) expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(512);
    const plain = await iriscope('detect', coarse.path, '--json');
    const without = JSON.parse(plain.stdout.trim());
    expect(without).toMatchObject({ gsd: { image: null, scale: 1 }, warnings: [{ code: 'GSD_UNKNOWN' }] });
    const recall = (r: { detections: Array<{ box: number[]; score: number }>; threshold: number }) =>
      recallPrecision([r.detections.map((d) => ({ box: [d.box[0], d.box[1], d.box[0] + d.box[2], d.box[1] + d.box[3]] as XYXY, score: d.score }))], [coarse.boxes.map((box) => ({ box }))], r.threshold).recall;
    console.info(`CLI --gsd on ${tile.file} 2x coarser (${coarse.boxes.length} objects): recall ${recall(withGsd).toFixed(3)} with, ${recall(without).toFixed(3)} without`);
    expect(recall(withGsd)).toBeGreaterThan(recall(without) + 0.1);

    // Satellite pixels for an aerial model: said on stderr, the run still done.
    const satellite = await iriscope('detect', coarse.path, '--gsd', '3', '--out', path.join(dir, 'out-gsd'));
    expect(satellite.code).toBe(0);
    expect(satellite.stderr).toMatch(/warning \(.*-x2\.png\): GSD_TOO_COARSE: The image \(3 m\/px\) is 24\.0× coarser/);
    const bad = await iriscope('detect', coarse.path, '--json', '--gsd', '30cm');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a number from 0.001 to 1000');
  });

  it('refuses to run with nothing to do, and names bad options', async () => {
    const none = await iriscope('detect', path.join(AERIAL, 'tile-3000002.jpg'));
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Nothing to do');
    const bad = await iriscope('detect', path.join(AERIAL, 'tile-3000002.jpg'), '--json', '--format', 'shapefile');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected one of coco, yolo, csv, geojson, png, jpeg');
  });
});
