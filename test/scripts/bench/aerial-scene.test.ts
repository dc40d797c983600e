/**
 * The detection benchmark's scene generator: seeded and reproducible to the
 * byte, real 3-channel pixels where the plan puts them, and ground-truth
 * boxes that lie on the objects' pixels after every rotation and mirror.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AERIAL_TILES, planScene, turnBox, turnedPixels, writeAerialScene, type Box, type SceneTruth } from '../../../scripts/bench/aerial-scene';
import { tempDir } from '../../helpers/fixtures';

let dir: string;
let file: string;
let truth: SceneTruth;
const SIZE = 3000; // not a multiple of the 1024 px cells: the last row and column are cut
const fixture = JSON.parse(await fs.readFile(path.join(AERIAL_TILES, 'boxes.json'), 'utf8')) as { tiles: Array<{ file: string; boxes: Box[] }> };

beforeAll(async () => {
  dir = await tempDir('iriscope-aerial-scene-');
  file = path.join(dir, 'scene.tif');
  truth = await writeAerialScene(file, { size: SIZE, seed: 7, objectTiles: 2 });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Mean of each channel inside a box of a raw RGB image `width` px wide. */
function meanColour(px: Buffer, width: number, b: Box): number[] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.ceil(b[1]); y < Math.floor(b[3]); y++) {
    for (let x = Math.ceil(b[0]); x < Math.floor(b[2]); x++) {
      for (let k = 0; k < 3; k++) sum[k] += px[(y * width + x) * 3 + k];
      n++;
    }
  }
  return sum.map((s) => s / n);
}

describe('aerial benchmark scenes', () => {
  it('is a tiled 3-channel TIFF of the asked size, with its ground truth beside it', async () => {
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height, meta.channels, meta.format]).toEqual([SIZE, SIZE, 3, 'tiff']);
    const written = JSON.parse(await fs.readFile(`${file}.json`, 'utf8')) as SceneTruth;
    expect(written).toEqual(truth);
    const expected = truth.objects.reduce((n, o) => n + fixture.tiles.find((t) => t.file === o.file)!.boxes.length, 0);
    expect(truth.boxes).toHaveLength(expected);
    expect(truth.classes).toHaveLength(expected);
    for (const b of truth.boxes) {
      expect(b[0]).toBeGreaterThanOrEqual(0);
      expect(b[1]).toBeGreaterThanOrEqual(0);
      expect(b[2]).toBeLessThanOrEqual(SIZE);
      expect(b[3]).toBeLessThanOrEqual(SIZE);
      expect(b[2]).toBeGreaterThan(b[0]);
      expect(b[3]).toBeGreaterThan(b[1]);
    }
  });

  it('gives the same bytes and boxes for the same seed, another layout for another seed', async () => {
    const again = await writeAerialScene(path.join(dir, 'again.tif'), { size: SIZE, seed: 7, objectTiles: 2 });
    expect(again.sha256).toBe(truth.sha256);
    expect(again.boxes).toEqual(truth.boxes);
    const other = planScene({ size: SIZE, seed: 8, objectTiles: 2 });
    expect(other.objects).not.toEqual(truth.objects);
  });

  it('places object tiles off the 1024 px grid, never overlapping', () => {
    const plan = planScene({ size: 20_000, seed: 1 });
    expect(plan.objects.length).toBeGreaterThan(10);
    expect(plan.objects.some((o) => o.x % 1024 !== 0 || o.y % 1024 !== 0)).toBe(true);
    for (const [i, a] of plan.objects.entries()) {
      for (const b of plan.objects.slice(i + 1)) expect(Math.abs(a.x - b.x) >= 1024 || Math.abs(a.y - b.y) >= 1024).toBe(true);
    }
  });

  it('holds the turned object tiles\' own pixels where the plan puts them (not garbled channels)', async () => {
    for (const o of truth.objects) {
      const region = await sharp(file).extract({ left: o.x, top: o.y, width: 1024, height: 1024 }).raw().toBuffer();
      const source = await turnedPixels(o.file, o);
      let diff = 0;
      for (let i = 0; i < region.length; i++) diff += Math.abs(region[i] - source[i]);
      // JPEG (quality 90) on top of the source JPEG: a few levels; garbled or shifted pixels are tens.
      expect(diff / region.length).toBeLessThan(4);
    }
  });

  it('puts every box on its object\'s pixels, whatever the rotation and mirror', async () => {
    const scene = await sharp(file).raw().toBuffer();
    let k = 0;
    let worst = 0;
    for (const o of truth.objects) {
      const tile = fixture.tiles.find((t) => t.file === o.file)!;
      const source = await sharp(path.join(AERIAL_TILES, o.file)).removeAlpha().raw().toBuffer();
      for (const b of tile.boxes) {
        // Turning moves pixels but keeps each box's set of pixels: its mean colour is unchanged.
        const want = meanColour(source, 1024, b);
        const got = meanColour(scene, SIZE, truth.boxes[k++]);
        worst = Math.max(worst, ...want.map((v, c) => Math.abs(v - got[c])));
      }
    }
    expect(k).toBe(truth.boxes.length);
    expect(worst).toBeLessThan(6);
  });

  it('turns boxes like the pixels: four quarter turns or two mirrors are the identity', () => {
    const b: Box = [10, 20, 110, 60];
    expect(turnBox(b, { rotate: 90, flop: false }, 1024)).toEqual([964, 10, 1004, 110]);
    let r = b;
    for (let i = 0; i < 4; i++) r = turnBox(r, { rotate: 90, flop: false }, 1024);
    expect(r).toEqual(b);
    expect(turnBox(turnBox(b, { rotate: 0, flop: true }), { rotate: 0, flop: true })).toEqual(b);
  });

  it('refuses a scene smaller than one tile or too small for its object tiles', () => {
    expect(() => planScene({ size: 512 })).toThrow(/>= 1024/);
    expect(() => planScene({ size: 2048, objectTiles: 9 })).toThrow(/cannot place 9 object tiles/);
  });
});
