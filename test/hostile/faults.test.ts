/**
 * Faults from outside: `iriscope serve` stopped by SIGTERM, SIGINT or SIGKILL
 * in the middle of a pyramid build, and disks that are full (a small tmpfs,
 * where the tests run as root; skipped with a message elsewhere). Nothing
 * half-written may survive, no builder may run on as an orphan, and the exit
 * codes are the conventional ones.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir, writeMosaicTiff } from '../helpers/fixtures';

let root: string;
let big: string;

beforeAll(async () => {
  root = await tempDir('iriscope-faults-');
  big = path.join(root, 'big.tif');
  // Large enough that its pyramid takes seconds to build on any machine (a strip TIFF: no direct reads).
  await writeMosaicTiff(big, 12_000, 12_000, { tiled: false, compression: 'deflate' });
});

/** Processes whose environment names this cache folder: the server and any builder it forked. */
function processesUsing(cacheDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`IRISCOPE_CACHE_DIR=${cacheDir}`)) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return pids;
}

const leftovers = async (dir: string) => (await fs.readdir(dir, { recursive: true }).catch(() => [] as string[])).map(String).filter((f) => f.endsWith('.partial'));

interface Serving {
  child: ChildProcess;
  url: string;
  token: string;
  cacheDir: string;
  dataDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(name: string): Promise<Serving> {
  const dataDir = path.join(root, name, 'data');
  const cacheDir = path.join(root, name, 'cache');
  const token = `fault-test-token-${name}-0123456789`;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iriscope.mjs'), 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, IRISCOPE_DATA_DIR: dataDir, IRISCOPE_CACHE_DIR: cacheDir, IRISCOPE_SERVE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d;
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`serve exited early:\n${output}`)));
  });
  // The token came from the environment: it is not on the command line for others to read.
  expect(readFileSync(`/proc/${child.pid}/cmdline`, 'latin1')).not.toContain(token);
  return { child, url, token, cacheDir, dataDir, exited };
}

async function call(s: Serving, method: string, body: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }> {
  const response = await fetch(`${s.url}api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return response.json() as never;
}

/** Opens the big image and returns once its pyramid build is under way (a partial file exists). */
async function startBuild(s: Serving): Promise<void> {
  const reply = await call(s, 'openImage', { path: big });
  expect(reply.ok).toBe(true);
  await expect.poll(async () => (await leftovers(s.cacheDir)).length, { timeout: 120_000, interval: 50 }).toBeGreaterThan(0);
  expect(processesUsing(s.cacheDir).length).toBeGreaterThanOrEqual(2); // the server and its builder
}

describe('serve stopped during a pyramid build', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal}: cancels the build, removes its partial file, ends the builder, exits with ${code}`, async () => {
      const s = await serve(signal.toLowerCase());
      await startBuild(s);
      s.child.kill(signal);
      expect(await s.exited).toEqual({ code, signal: null });
      await expect.poll(() => processesUsing(s.cacheDir), { timeout: 120_000 }).toEqual([]);
      expect(await leftovers(s.cacheDir)).toEqual([]);
      expect((await fs.readdir(path.join(s.cacheDir, 'pyramids'))).filter((f) => f.endsWith('.tif'))).toEqual([]);
    });
  }

  it('SIGKILL: the builder dies with its server; the next start sweeps what was left', async () => {
    const s = await serve('sigkill');
    await startBuild(s);
    s.child.kill('SIGKILL');
    expect((await s.exited).signal).toBe('SIGKILL');
    // No orphan goes on writing: the builder notices its parent is gone.
    await expect.poll(() => processesUsing(s.cacheDir), { timeout: 120_000 }).toEqual([]);
    // What a SIGKILL cannot clean up, the next engine start does.
    const engine = await Engine.create({ paths: { dataDir: s.dataDir, cacheDir: s.cacheDir } });
    try {
      expect(await leftovers(s.cacheDir)).toEqual([]);
      // And the image opens and builds normally afterwards.
      const image = await engine.openImage({ path: big });
      expect(image.pyramid.state).toBe('building');
      engine.jobs.cancel(image.pyramid.jobId!, true);
    } finally {
      await engine.dispose();
    }
    expect(await leftovers(s.cacheDir)).toEqual([]);
  });
});

describe('full disks (a small tmpfs)', () => {
  const isRoot = process.getuid?.() === 0;
  let disk: string;
  let mounted = false;

  beforeAll(async () => {
    if (!isRoot) return;
    disk = path.join(root, 'small-disk');
    await fs.mkdir(disk);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', disk], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
  });

  it('refuses a pyramid that cannot fit before building it, with the numbers; small images still open', async (ctx) => {
    if (!mounted) ctx.skip(); // needs root and tmpfs (not available here: run the suite as root to cover it)
    const cacheDir = path.join(disk, 'cache');
    const engine = await Engine.create({ paths: { dataDir: path.join(root, 'disk-data'), cacheDir } });
    try {
      const error = await engine.openImage({ path: big }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE_FOR_TASK', message: expect.stringMatching(/needs about \d+ MB of disk space; \d+ (MB|KB) are free/) });
      expect(engine.images.list()).toEqual([]);
      const small = await engine.openImage({ path: SAMPLE_PHOTO });
      await engine.images.whenReady(small.id);
      expect(await leftovers(disk)).toEqual([]);
    } finally {
      await engine.dispose();
    }
  });

  it('an export onto a disk that fills up fails with DISK_FULL and leaves neither file nor partial', async (ctx) => {
    if (!mounted) ctx.skip();
    const engine = await Engine.create({ paths: { dataDir: path.join(root, 'export-data'), cacheDir: path.join(root, 'export-cache') } });
    const out = path.join(disk, 'out');
    await fs.mkdir(out, { recursive: true });
    // Fill the small disk but for 200 KB.
    const filler = path.join(disk, 'filler.bin');
    const { bavail, bsize } = await fs.statfs(disk);
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 200 * 1024)));
    try {
      const photo = path.join(root, 'photo.jpg');
      await sharp(SAMPLE_PHOTO).toColourspace('b-w').jpeg().toFile(photo);
      const image = await engine.openImage({ path: photo });
      await engine.colorization.start({ imageId: image.id, samples: 1, seed: 1, modelId: 'pic-cpu64' }).done;
      const error = await engine.exportColorization({ imageId: image.id, sampleIndex: 0, path: path.join(out, 'colour.png') }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining('colour.png') });
      expect(await fs.readdir(out)).toEqual([]);
    } finally {
      await fs.rm(filler, { force: true });
      await engine.dispose();
    }
    expect(existsSync(path.join(out, 'colour.png'))).toBe(false);
  });
});
