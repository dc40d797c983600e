/**
 * `iriscope colorize` as a user runs it: files and folders, N full-resolution
 * colorizations per photo in --out, --json records on stdout, progress and
 * clear errors on stderr, the batch going on past a bad file with a non-zero
 * exit, and the same seed giving the same images.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PHOTO, tempDir, writeTextAsPng } from '../helpers/fixtures';
import { isolatedEnv, runIriscope } from '../helpers/cli';

let env: NodeJS.ProcessEnv;
let dir: string;
const iriscope = (...args: string[]) => runIriscope(env, ...args);

beforeAll(async () => {
  dir = await tempDir('iriscope-cli-colorize-');
  env = isolatedEnv(dir);
});

describe('iriscope colorize', () => {
  it('--json: one record per image with its outputs, seed and timing; bad files fail clearly, the batch goes on', async () => {
    const folder = path.join(dir, 'photos');
    await fs.mkdir(folder);
    await sharp(SAMPLE_PHOTO).resize(480).toColourspace('b-w').png().toFile(path.join(folder, 'boats.png'));
    await writeTextAsPng(path.join(folder, 'notes.png'));
    const jpeg = path.join(dir, 'boats.jpg');
    await sharp(SAMPLE_PHOTO).resize(400).jpeg().toFile(jpeg);
    const out = path.join(dir, 'out');
    const { stdout, stderr, code } = await iriscope('colorize', folder, jpeg, path.join(dir, 'missing.jpg'), '--samples', '3', '--seed', '11', '--model', 'pic-cpu64', '--out', out, '--json');
    expect(code).toBe(1);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => path.basename(r.file))).toEqual(['boats.png', 'notes.png', 'boats.jpg', 'missing.jpg']);
    const [png, notes, jpg, missing] = records;
    expect(notes.error).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(missing.error).toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(png.outputs.map((f: string) => path.basename(f))).toEqual(['boats.png.colorized-s11-1.png', 'boats.png.colorized-s11-2.png', 'boats.png.colorized-s11-3.png']);
    expect(jpg.outputs.map((f: string) => path.basename(f))).toEqual(['boats.jpg.colorized-s11-1.jpg', 'boats.jpg.colorized-s11-2.jpg', 'boats.jpg.colorized-s11-3.jpg']);
    for (const record of [png, jpg]) {
      expect(record.seed).toBe(11);
      expect(record.timing).toEqual({ embed_ms: expect.any(Number), sample_ms: expect.any(Number), total_ms: expect.any(Number) });
      expect(record.timing.total_ms).toBeGreaterThanOrEqual(record.timing.sample_ms);
    }
    // Full resolution, colour, and three different images.
    const raws = await Promise.all(png.outputs.map((f: string) => sharp(f).raw().toBuffer({ resolveWithObject: true })));
    for (const { info } of raws) expect([info.width, info.channels]).toEqual([480, 3]);
    for (let i = 1; i < 3; i++) {
      let diff = 0;
      for (let p = 0; p < raws[0].data.length; p++) diff += Math.abs(raws[0].data[p] - raws[i].data[p]);
      expect(diff / raws[0].data.length).toBeGreaterThan(1);
    }
    expect(stderr).toMatch(/sampling 3 colorizations, row 16 of 16/);
    expect(stderr).toContain('error (');
    expect(stderr).toMatch(/colorize: 2 of 4 images done, 2 failed, seed 11/);
    expect((await fs.readdir(out)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('the same seed gives the same images; a bad option or model is refused', async () => {
    const photo = path.join(dir, 'again.jpg');
    await sharp(SAMPLE_PHOTO).resize(300).jpeg().toFile(photo);
    const a = await iriscope('colorize', photo, '-n', '2', '-s', '3', '-t', '0.7', '-m', 'pic-cpu64', '-o', path.join(dir, 'a'), '-f', 'png');
    const b = await iriscope('colorize', photo, '-n', '2', '-s', '3', '-t', '0.7', '-m', 'pic-cpu64', '-o', path.join(dir, 'b'), '-f', 'png');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toContain('2 colorizations');
    for (const name of ['again.jpg.colorized-s3-1.png', 'again.jpg.colorized-s3-2.png']) {
      const [x, y] = await Promise.all([sharp(path.join(dir, 'a', name)).raw().toBuffer(), sharp(path.join(dir, 'b', name)).raw().toBuffer()]);
      expect(x.equals(y)).toBe(true);
    }
    const badSamples = await iriscope('colorize', photo, '--samples', '17', '--out', path.join(dir, 'c'));
    expect(badSamples.code).not.toBe(0);
    expect(badSamples.stderr).toContain('from 1 to 16');
    const badModel = await iriscope('colorize', photo, '--model', 'no-such-model', '--out', path.join(dir, 'c'));
    expect(badModel.code).toBe(1);
    expect(badModel.stderr).toContain('No model "no-such-model" is installed');
  });
});
