/**
 * The app pointed at a batch queue (read-only): a real Redis holding a run
 * with a finished job, a failed one and waiting ones; the Batch runs dialog
 * shows its counts and the failure's typed error code.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../electron/engine/batch/enqueue';
import { queueName } from '../../electron/engine/batch/run-queue';
import { SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';
import { hasRedisServer, startRedis, type TestRedis } from '../helpers/redis';
import { screenshot, startAppSession, type AppSession } from '../helpers/serve';

let session: AppSession;
let page: Page;
let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  if (!hasRedisServer()) return;
  const root = await tempDir('iriscope-e2e-batch-');
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const files = path.join(root, 'scans');
  await fs.mkdir(files);
  const names = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'];
  for (const [i, name] of names.entries()) await sharp(SAMPLE_PHOTO).resize(64 + i).jpeg().toFile(path.join(files, name));
  await enqueue(client, { run: 'museum-scans', task: 'faces', options: {}, out: path.join(root, 'out'), files: names.map((n) => path.join(files, n)), attempts: 2 });
  // Two jobs through BullMQ by hand (its manual-processing API), as a worker would finish them: one done, one failed with a typed error.
  const worker = new Worker(queueName('museum-scans'), null, { connection: client });
  const first = (await worker.getNextJob('t1'))!;
  await first.moveToCompleted({ record: 'x', skipped: false, outputs: [] }, 't1', false);
  const second = (await worker.getNextJob('t2'))!;
  await second.moveToFailed(new UnrecoverableError(JSON.stringify({ code: 'CORRUPT_IMAGE', message: '"b.jpg" is damaged or incomplete.' })), 't2', false);
  await worker.close();
  session = await startAppSession(root);
  page = session.page;
}, 600_000);

afterAll(async () => {
  await session?.close();
  client?.disconnect();
  await redis?.stop();
});

describe.skipIf(!hasRedisServer())('Batch runs in the app', () => {
  it('shows a run\'s counts and failures when pointed at its queue', async () => {
    await page.goto(session.served.openUrl);
    await page.getByTestId('batch-button').click();
    await page.getByTestId('batch-queue').fill(redis.url);
    await page.getByTestId('batch-show').click();
    await expect.poll(() => page.getByTestId('batch-counts').textContent(), { timeout: 120_000 }).toContain('1 done · 1 failed · 0 running · 2 waiting');
    await expect.poll(() => page.getByTestId('batch-run').textContent()).toContain('museum-scans');
    await expect.poll(() => page.getByTestId('batch-run').textContent()).toContain('CORRUPT_IMAGE 1');
    await screenshot(page, 'batch-runs');
    await page.getByTestId('batch-queue').fill('redis://127.0.0.1:1/0');
    await page.getByTestId('batch-show').click();
    await expect.poll(() => page.getByTestId('batch-error').textContent(), { timeout: 120_000 }).toContain('Cannot reach the queue');
  });
});
