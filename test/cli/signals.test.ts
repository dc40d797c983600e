/**
 * Ctrl-C (SIGINT) and SIGTERM of a real `iriscope` process in the middle of
 * its work: it cancels, removes every temporary file (atomic-write partials
 * in --out, colorize `.render.png` samples in the cache), leaves the inputs as they
 * were, and exits with the conventional code (130, 143). Each signal is
 * sent once the work it interrupts is observably under way (a rendered sample in
 * the cache, the second image opened), never after a sleep.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, isolatedEnv, leftovers, sha256, startIriscope } from '../helpers/cli';
import { AERIAL, odgiModelDirs } from '../helpers/detect';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';

const FACES = path.join(REPO_ROOT, 'test', 'fixtures', 'faces');
let dir: string;

beforeAll(async () => {
  dir = await tempDir('iriscope-cli-signals-');
});

async function copies(source: string, folder: string, names: string[]): Promise<string[]> {
  await fs.mkdir(folder, { recursive: true });
  const files = names.map((n) => path.join(folder, n));
  for (const file of files) await fs.copyFile(source, file);
  return files;
}

describe('interrupted commands leave nothing behind', () => {
  it('colorize, Ctrl-C while rendering at full resolution: exit 130, no rendered strip in the cache, no partial in --out', async () => {
    const run = path.join(dir, 'colorize');
    const env = isolatedEnv(run);
    const photo = path.join(run, 'boats.jpg');
    await fs.mkdir(run, { recursive: true });
    await sharp(SAMPLE_PHOTO).resize(2400).toColourspace('b-w').jpeg().toFile(photo);
    const before = await sha256(photo);
    const out = path.join(run, 'out');
    const cli = startIriscope(env, 'colorize', photo, '--samples', '4', '--seed', '1', '--out', out);
    const cache = path.join(run, 'cache');
    await expect.poll(async () => (await filesUnder(path.join(cache, 'colorize'))).some((f) => f.endsWith('.render.png')), { timeout: 240_000, interval: 25 }).toBe(true);
    cli.child.kill('SIGINT');
    const { code, signal } = await cli.exited;
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(cli.stderr()).toContain('colorize: interrupted, cancelling');
    expect(await leftovers(out, cache)).toEqual([]);
    expect(await sha256(photo)).toBe(before);
  });

  it('faces, SIGTERM once the second of three images is opened: exit 143, the third is not started, nothing partial', async () => {
    const run = path.join(dir, 'faces');
    const env = isolatedEnv(run);
    const inputs = await copies(path.join(FACES, 'musicians-ireland.jpg'), path.join(run, 'in'), ['a.jpg', 'b.jpg', 'c.jpg']);
    const before = await Promise.all(inputs.map(sha256));
    const out = path.join(run, 'out');
    const cli = startIriscope(env, 'faces', path.join(run, 'in'), '--out', out);
    await expect.poll(() => cli.stderr().includes('[2/3] b.jpg: opening'), { timeout: 120_000, interval: 10 }).toBe(true);
    cli.child.kill('SIGTERM');
    const { code, signal } = await cli.exited;
    expect({ code, signal }).toEqual({ code: 143, signal: null });
    expect(cli.stderr()).not.toContain('[3/3]');
    expect(await leftovers(out, path.join(run, 'cache'))).toEqual([]);
    expect(await Promise.all(inputs.map(sha256))).toEqual(before);
    // What was finished is whole: a.jpg's two outputs, maybe b.jpg's, never half of them.
    const written = await fs.readdir(out);
    expect(written).toEqual(expect.arrayContaining(['a.jpg.faces.jpg', 'a.jpg.faces.json']));
    for (const name of written.filter((n) => n.endsWith('.json'))) expect(JSON.parse(await fs.readFile(path.join(out, name), 'utf8')).faces).toHaveLength(4);
  });

  it.skipIf(!odgiModelDirs().length)('detect, SIGTERM once the second tile is opened: exit 143, nothing partial', async () => {
    const run = path.join(dir, 'detect');
    const env = isolatedEnv(run);
    const inputs = await copies(path.join(AERIAL, 'tile-3000004.jpg'), path.join(run, 'in'), ['t1.jpg', 't2.jpg', 't3.jpg']);
    const out = path.join(run, 'out');
    const cli = startIriscope(env, 'detect', ...inputs, '--image', '--out', out);
    await expect.poll(() => cli.stderr().includes('[2/3] t2.jpg: opening'), { timeout: 120_000, interval: 10 }).toBe(true);
    cli.child.kill('SIGTERM');
    const { code, signal } = await cli.exited;
    expect({ code, signal }).toEqual({ code: 143, signal: null });
    expect(cli.stderr()).not.toContain('[3/3]');
    expect(await leftovers(out, path.join(run, 'cache'))).toEqual([]);
  });
});
