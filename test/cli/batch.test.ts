/**
 * `iriscope batch` and `iriscope worker` against a real Redis (Debian's
 * redis-server on a free loopback port): two workers drain 200 small images
 * with no duplicate or missing output and a bad file failed with its typed
 * error while the run goes on; the same enqueue again does no work; a worker
 * SIGKILLed mid-job loses nothing (another worker takes the job over, no
 * partial file). Every wait polls an outcome, with a deadline.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../electron/common/batch-contract';
import { requireRunMeta } from '../../electron/engine/batch/run-queue';
import { runStatus } from '../../electron/engine/batch/run-status';
import { isolatedEnv, leftovers, runIriscope, startIriscope, type LiveCli } from '../helpers/cli';
import { AERIAL, odgiModelDirs } from '../helpers/detect';
import { SAMPLE_PHOTO, tempDir, writeTruncatedJpeg } from '../helpers/fixtures';
import { hasRedisServer, startRedis, type TestRedis } from '../helpers/redis';

let redis: TestRedis;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;
const workers: LiveCli[] = [];

const ready = hasRedisServer() && odgiModelDirs().length > 0;

beforeAll(async () => {
  if (!ready) return;
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  dir = await tempDir('iriscope-cli-batch-');
  env = isolatedEnv(dir);
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  client?.disconnect();
  await redis?.stop();
});

function startWorker(...extra: string[]): LiveCli {
  // Each worker its own cache, as on separate machines; the output folder is shared.
  const w = startIriscope({ ...env, IRISCOPE_CACHE_DIR: path.join(dir, `cache-${workers.length}`) }, 'worker', '--queue', redis.url, ...extra);
  workers.push(w);
  return w;
}

async function status(run: string): Promise<RunStatus> {
  return runStatus(client, await requireRunMeta(client, run, redis.url));
}

async function until(run: string, finished: number, timeout: number): Promise<RunStatus> {
  await expect.poll(async () => {
    const s = await status(run);
    return s.done + s.failed;
  }, { timeout, interval: 250 }).toBe(finished);
  return status(run);
}

async function mtimes(folder: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await fs.readdir(folder)) if (!name.startsWith('.')) out[name] = (await fs.stat(path.join(folder, name))).mtimeMs;
  return out;
}

const enqueue = async (...args: string[]) => {
  const result = await runIriscope(env, 'batch', 'enqueue', ...args, '--queue', redis.url, '--json');
  expect(result.stderr).not.toContain('error');
  return JSON.parse(result.stdout.trim()) as { run: string; added: number; existing: number };
};

describe.skipIf(!ready)('iriscope batch + worker on a real Redis', () => {
  it('2 workers drain 200 small images: every output once, a bad file failed with CORRUPT_IMAGE, the same enqueue again does no work', async () => {
    const input = path.join(dir, 'tiles');
    await fs.mkdir(input);
    const tiles = (await fs.readdir(AERIAL)).filter((n) => n.endsWith('.jpg')).sort();
    for (let i = 0; i < 200; i++) {
      // 200 different 96 px crops (different content, so different hashes).
      await sharp(path.join(AERIAL, tiles[i % tiles.length])).extract({ left: (i * 37) % 900, top: (i * 53) % 900, width: 124, height: 124 }).resize(96, 96).jpeg({ quality: 90 }).toFile(path.join(input, `tile-${String(i).padStart(3, '0')}.jpg`));
    }
    await writeTruncatedJpeg(path.join(input, 'damaged.jpg'));
    const out = path.join(dir, 'drain-out');

    expect(await enqueue(input, '--task', 'detect', '--out', out, '--name', 'drain')).toEqual({ run: 'drain', added: 201, existing: 0 });
    startWorker();
    startWorker();
    const s = await until('drain', 201, 600_000);
    expect(s).toMatchObject({ total: 201, done: 200, failed: 1, waiting: 0, active: 0, failuresByCode: { CORRUPT_IMAGE: 1 } });
    expect(s.failures).toEqual([expect.objectContaining({ file: path.join(input, 'damaged.jpg'), code: 'CORRUPT_IMAGE', attempts: 1 })]);
    expect(s.throughput).toBeGreaterThan(0);

    // Every input once: one record and one COCO file, named by hash and parameters; nothing else, nothing partial.
    const names = (await fs.readdir(out)).filter((n) => !n.startsWith('.'));
    const records = names.filter((n) => n.endsWith('.detect-record.json'));
    expect(records).toHaveLength(200);
    expect(names.filter((n) => n.endsWith('.detect.coco.json'))).toHaveLength(200);
    expect(names).toHaveLength(400);
    const files = await Promise.all(records.map(async (r) => JSON.parse(await fs.readFile(path.join(out, r), 'utf8')).file as string));
    expect(new Set(files).size).toBe(200);
    for (const name of records) expect(name).toMatch(/^tile-\d{3}\.jpg\.[0-9a-f]{12}-[0-9a-f]{8}\.detect-record\.json$/);
    expect(await leftovers(out)).toEqual([]);

    // The same enqueue again adds nothing; a new run over the same files computes nothing and writes nothing.
    const before = await mtimes(out);
    expect(await enqueue(input, '--task', 'detect', '--out', out, '--name', 'drain')).toEqual({ run: 'drain', added: 0, existing: 201 });
    expect(await status('drain')).toMatchObject({ total: 201, done: 200, failed: 1 });
    expect(await enqueue(input, '--task', 'detect', '--out', out, '--name', 'again')).toMatchObject({ added: 201 });
    expect(await until('again', 201, 300_000)).toMatchObject({ done: 200, failed: 1 });
    expect(await mtimes(out)).toEqual(before);
    const logs = workers.map((w) => w.stderr()).join('');
    expect(logs.match(/already done job/g)).toHaveLength(200);

    // status --json is one record; retry puts the failed job back, and it fails again with the same code.
    const json = await runIriscope(env, 'batch', 'status', 'drain', '--queue', redis.url, '--json');
    expect(JSON.parse(json.stdout.trim())).toMatchObject({ run: 'drain', waiting: 0, active: 0, done: 200, failed: 1 });
    const retried = await runIriscope(env, 'batch', 'retry', 'drain', '--queue', redis.url);
    expect(retried.stdout).toContain('drain: 1 failed jobs queued again');
    // It ran again (a second attempt), and failed again.
    await expect.poll(async () => (await status('drain')).failures[0]?.attempts, { timeout: 120_000, interval: 250 }).toBe(2);
    expect(await until('drain', 201, 120_000)).toMatchObject({ done: 200, failed: 1, failuresByCode: { CORRUPT_IMAGE: 1 } });
  }, 900_000);

  it('cancel removes a run\'s waiting jobs', async () => {
    // No worker serves this run before it is cancelled: the drain test's workers are stopped first.
    for (const w of workers.splice(0)) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    const input = path.join(dir, 'to-cancel');
    await fs.mkdir(input);
    for (let i = 0; i < 3; i++) await sharp(path.join(AERIAL, 'tile-3000004.jpg')).resize(64 + i).jpeg().toFile(path.join(input, `c-${i}.jpg`));
    expect(await enqueue(input, '--task', 'detect', '--out', path.join(dir, 'cancel-out'), '--name', 'cancelled')).toMatchObject({ added: 3 });
    const cancelled = await runIriscope(env, 'batch', 'cancel', 'cancelled', '--queue', redis.url);
    expect(cancelled.stdout).toContain('cancelled: 3 waiting jobs removed');
    expect(await status('cancelled')).toMatchObject({ total: 0, waiting: 0 });
    const missing = await runIriscope(env, 'batch', 'status', 'no-such-run', '--queue', redis.url);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no run "no-such-run"');
  });

  it('a worker SIGKILLed mid-job: the job is taken over by another worker and completes, no partial file', async () => {
    const input = path.join(dir, 'photos');
    await fs.mkdir(input);
    for (let i = 0; i < 3; i++) await sharp(SAMPLE_PHOTO).resize(720 + 40 * i).toColourspace('b-w').jpeg().toFile(path.join(input, `old-${i}.jpg`));
    const out = path.join(dir, 'kill-out');
    // This run has its own two workers, with a short lock.
    expect(await enqueue(input, '--task', 'colorize', '--out', out, '--name', 'killed', '--samples', '4', '--seed', '5', '--model', 'pic-cpu64')).toMatchObject({ added: 3 });
    const victim = startWorker('--stalled-after', '4');
    const rescuer = startWorker('--stalled-after', '4');
    // A colorize job runs for seconds: killed as soon as it started, it is mid-job by construction.
    await expect.poll(() => /started job (\S+)/.test(victim.stderr()), { timeout: 120_000, interval: 20 }).toBe(true);
    const jobId = /started job (\S+)/.exec(victim.stderr())![1];
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const s = await until('killed', 3, 600_000);
    expect(s).toMatchObject({ done: 3, failed: 0 });
    expect(rescuer.stderr()).toContain(`started job ${jobId}`);
    const names = (await fs.readdir(out)).filter((n) => !n.startsWith('.'));
    expect(names.filter((n) => n.endsWith('.colorize-record.json'))).toHaveLength(3);
    expect(names.filter((n) => /\.colorized-s5-[1-4]\.jpg$/.test(n))).toHaveLength(12);
    expect(await leftovers(out)).toEqual([]);
    expect(await fs.readdir(path.join(out, '.iriscope-partial'))).toEqual([]);
  }, 900_000);
});
