/**
 * Ground resolution in detection: an image whose GSD (given, or read from its
 * GeoTIFF) lies outside the model's trained range is read at the model's
 * native GSD, and its boxes come back in the image's own pixels.
 *
 * With the installed ODGI model on the frozen CI tiles rendered 2x coarser
 * (sharp, boxes scaled with them): given the GSD, recall stays near the
 * original's; without it, it drops — why the feature exists. GSDs outside
 * what resampling can reach are said in typed warnings, never silently.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../../electron/engine/engine';
import { MAX_UPSAMPLE, WARN_UPSAMPLE, planGsd, scaledSource } from '../../../../electron/engine/pipelines/detect/ground-resolution';
import { pyramidSource } from '../../../../electron/engine/pipelines/detect/patches';
import { ciTiles, renderAtGsd, scoreTiles, type RenderedTile } from '../../../../scripts/odgi/gsd-eval';
import { detectEngine, odgiModelDirs, writeGeoTiff } from '../../../helpers/detect';
import { tempDir } from '../../../helpers/fixtures';

const odgi = { min: 0.1, max: 0.16, native: 0.125 };

describe('the scale a run reads an image at', () => {
  it('reads an image inside the model\'s trained range as it is', () => {
    expect(planGsd({ gsd: 0.15, source: 'geotiff' }, odgi, 'odgi')).toMatchObject({ scale: 1, readAt: 0.15, warnings: [] });
  });

  it('resamples an image outside it to the model\'s native GSD (coarser: enlarged; finer: reduced)', () => {
    expect(planGsd({ gsd: 0.25, source: 'user' }, odgi, 'odgi')).toMatchObject({ scale: 2, readAt: 0.125, source: 'user', warnings: [] });
    expect(planGsd({ gsd: 0.05, source: 'geotiff' }, odgi, 'odgi')).toMatchObject({ scale: 0.4, readAt: 0.125, warnings: [] });
  });

  it('says when the image is coarser than upsampling can sensibly reach (3 m/px satellite pixels for a 12.5 cm model)', () => {
    const plan = planGsd({ gsd: 3, source: 'user' }, odgi, 'odgi-cpu');
    expect(plan.scale).toBe(MAX_UPSAMPLE);
    expect(plan.warnings).toEqual([{ code: 'GSD_TOO_COARSE', message: expect.stringMatching(/3 m\/px.*24\.0× coarser.*12\.5 cm\/px.*enlarged 8×/) }]);
    // 75 cm/px: enlarged all the way (6x), with the warning; 50 cm/px (4x) without.
    expect(planGsd({ gsd: 0.75, source: 'user' }, odgi, 'odgi-cpu')).toMatchObject({ scale: 6, readAt: 0.125, warnings: [{ code: 'GSD_TOO_COARSE' }] });
    expect(planGsd({ gsd: 0.125 * WARN_UPSAMPLE, source: 'user' }, odgi, 'odgi-cpu')).toMatchObject({ scale: WARN_UPSAMPLE, warnings: [] });
    expect(planGsd({ gsd: 0.001, source: 'user' }, odgi, 'odgi-cpu').warnings.map((w) => w.code)).toEqual(['GSD_TOO_FINE']);
  });

  it('says when the GSD is unknown, or when the model declares none (a user\'s YOLO), and then reads the image as is', () => {
    expect(planGsd(null, odgi, 'odgi-cpu')).toMatchObject({ scale: 1, image: null, warnings: [{ code: 'GSD_UNKNOWN', message: expect.stringContaining('10–16 cm/px') }] });
    expect(planGsd({ gsd: 0.3, source: 'geotiff' }, null, 'yolo11n')).toMatchObject({ scale: 1, warnings: [{ code: 'GSD_NOT_DECLARED' }] });
    expect(planGsd(null, null, 'yolo11n')).toMatchObject({ scale: 1, warnings: [] });
  });
});

describe('a scaled view of a pyramid', () => {
  let engine: Engine;
  let root: string;
  beforeAll(async () => {
    root = await tempDir('iriscope-gsd-view-');
    engine = await detectEngine(root);
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('puts a square of the image where the scale says, in the virtual image\'s pixels', async () => {
    // A white 40 x 40 px square at (300, 200) on black, 1000 x 700 px.
    const file = path.join(root, 'square.png');
    await sharp({ create: { width: 1000, height: 700, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 40, height: 40, channels: 3, background: '#fff' } }, left: 300, top: 200 }])
      .png().toFile(file);
    const image = await engine.openImage({ path: file });
    const reader = await engine.images.whenReady(image.id);
    for (const scale of [2, 0.5, 1.6]) {
      const view = scaledSource(pyramidSource(reader), scale);
      expect([view.width, view.height]).toEqual([Math.round(1000 * scale), Math.round(700 * scale)]);
      // A window around the square, read at the virtual image's own resolution.
      const win = { x: 250 * scale, y: 150 * scale, width: 140 * scale, height: 140 * scale };
      const patch = await view.readPatch(win, Math.round(win.width), Math.round(win.height));
      const bright: number[][] = [];
      for (let y = 0; y < patch.height; y++) for (let x = 0; x < patch.width; x++) if (patch.data[(y * patch.width + x) * patch.channels] > 127) bright.push([x, y]);
      const xs = bright.map((p) => p[0]);
      const ys = bright.map((p) => p[1]);
      // The square spans image pixels 300..340 = virtual 300s..340s, i.e. window pixels 50s..90s (within a pixel).
      expect(Math.min(...xs)).toBeCloseTo(50 * scale, -0.5);
      expect(Math.max(...xs) + 1).toBeCloseTo(90 * scale, -0.5);
      expect(Math.min(...ys)).toBeCloseTo(50 * scale, -0.5);
      expect(Math.max(...ys) + 1).toBeCloseTo(90 * scale, -0.5);
    }
    await engine.closeImage({ imageId: image.id });
  });
});

describe.skipIf(!odgiModelDirs().length)('detection at another ground resolution (odgi-cpu, CI tiles)', () => {
  let engine: Engine;
  let root: string;
  let original: RenderedTile[];
  let coarse: RenderedTile[];
  let recallOriginal: number;
  let recallWith: number;

  beforeAll(async () => {
    root = await tempDir('iriscope-gsd-');
    engine = await detectEngine(root);
    const tiles = await ciTiles();
    original = await Promise.all(tiles.map((t) => renderAtGsd(t, 1, root)));
    coarse = await Promise.all(tiles.map((t) => renderAtGsd(t, 2, root)));
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('keeps recall within a few points of the original on the same scenes 2x coarser, given their GSD', async () => {
    const base = await scoreTiles(engine, original, { mode: 'cascade', withGsd: true, modelId: 'odgi-cpu' });
    const withGsd = await scoreTiles(engine, coarse, { mode: 'cascade', withGsd: true, modelId: 'odgi-cpu' });
    recallOriginal = base.recall;
    recallWith = withGsd.recall;
    console.info(`GSD x2 (cascade): recall ${base.recall.toFixed(3)} at the original GSD, ${withGsd.recall.toFixed(3)} 2x coarser with gsd; AP@0.5 ${base.ap50.toFixed(3)} / ${withGsd.ap50.toFixed(3)}`);
    // The originals (10-16 cm/px) are inside the model's range: read as they are.
    for (const r of base.results) expect(r.gsd).toMatchObject({ scale: 1, source: 'user' });
    // 20-31 cm/px: enlarged back to 12.5 cm/px; boxes in the small image's own pixels.
    for (const [i, r] of withGsd.results.entries()) {
      expect(r.gsd.scale).toBeCloseTo(coarse[i].gsd / 0.125, 6);
      expect(r.gsd.readAt).toBeCloseTo(0.125, 6);
      expect([r.width, r.height]).toEqual([512, 512]);
      expect(r.warnings).toEqual([]);
      for (const d of r.detections) expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(512);
    }
    // Measured: 0.683 original, 0.704 2x coarser (models/odgi-cpu/MODEL_CARD.md, GSD table).
    expect(withGsd.recall).toBeGreaterThanOrEqual(base.recall - 0.07);
    expect(withGsd.ap50).toBeGreaterThanOrEqual(base.ap50 - 0.07);
  });

  it('loses recall on the 2x coarser scenes without their GSD (read as they are: cars half the size the model knows)', async () => {
    const without = await scoreTiles(engine, coarse, { mode: 'cascade', withGsd: false, modelId: 'odgi-cpu' });
    console.info(`GSD x2 (cascade): recall ${without.recall.toFixed(3)} without gsd (${recallWith.toFixed(3)} with, ${recallOriginal.toFixed(3)} original)`);
    for (const r of without.results) expect(r).toMatchObject({ gsd: { scale: 1, image: null }, warnings: [{ code: 'GSD_UNKNOWN' }] });
    // Measured: 0.446 without against 0.704 with.
    expect(without.recall).toBeLessThanOrEqual(recallWith - 0.12);
  });

  it('reads the GSD of a GeoTIFF by itself, and a given gsd overrides it', async () => {
    const tile = coarse.find((t) => t.boxes.length >= 10)!;
    const file = path.join(root, 'coarse-geo.tif');
    await writeGeoTiff(file, tile.path, 'rgb', tile.gsd);
    const image = await engine.openImage({ path: file });
    expect(image.geo?.gsd).toBeCloseTo(tile.gsd, 9);
    const auto = await engine.detection.start({ imageId: image.id }).done;
    expect(auto.gsd).toMatchObject({ source: 'geotiff', readAt: expect.closeTo(0.125, 6) });
    // The same image given as a PNG with its GSD: the same boxes.
    const png = await engine.openImage({ path: tile.path });
    const given = await engine.detection.start({ imageId: png.id, gsd: tile.gsd }).done;
    expect(auto.detections.map((d) => d.box)).toEqual(given.detections.map((d) => d.box));
    expect(auto.detections.length).toBeGreaterThan(0);
    // An override (a wrong 12.5 cm) reads the GeoTIFF as it is.
    const overridden = await engine.detection.start({ imageId: image.id, gsd: 0.125 }).done;
    expect(overridden.gsd).toMatchObject({ source: 'user', image: 0.125, scale: 1 });
    await engine.closeImage({ imageId: image.id });
    await engine.closeImage({ imageId: png.id });
  });

  it('runs the tiled detector at the model\'s GSD too, and warns on satellite pixels (3 m/px)', async () => {
    const few = coarse.filter((t) => t.boxes.length >= 10).slice(0, 3);
    const withGsd = await scoreTiles(engine, few, { mode: 'tiled', withGsd: true, modelId: 'odgi-cpu' });
    const without = await scoreTiles(engine, few, { mode: 'tiled', withGsd: false, modelId: 'odgi-cpu' });
    console.info(`GSD x2 (tiled, ${withGsd.objects} objects): recall ${withGsd.recall.toFixed(3)} with gsd, ${without.recall.toFixed(3)} without`);
    for (const r of withGsd.results) {
      expect(r.mode).toBe('tiled');
      expect(r.gsd.scale).toBeGreaterThan(1.5);
      for (const d of r.detections) expect(d.box[0] + d.box[2]).toBeLessThanOrEqual(512);
    }
    expect(withGsd.recall).toBeGreaterThan(without.recall + 0.1);

    const image = await engine.openImage({ path: few[0].path });
    const satellite = await engine.detection.start({ imageId: image.id, gsd: 3 }).done;
    expect(satellite.gsd.scale).toBe(MAX_UPSAMPLE);
    expect(satellite.warnings.map((w) => w.code)).toEqual(['GSD_TOO_COARSE']);
    await engine.closeImage({ imageId: image.id });
  });
});
