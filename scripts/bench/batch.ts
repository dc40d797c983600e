/**
 * `npm run bench -- batch [files] [px]`: throughput of `iriscope worker` on a
 * real Redis (Debian's redis-server), 1 worker vs 2 workers draining the same
 * files (detect on `files` aerial crops of `px` × `px`, default 100 × 256),
 * each run into its own output folder so nothing is skipped. Files per second
 * from BullMQ's own timestamps (first job started → last job finished), the
 * ratio against 1 worker from the same run. Each worker is its own process
 * with its own engine (models loaded once per worker).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { enqueue } from '../../electron/engine/batch/enqueue';
import { queueName } from '../../electron/engine/batch/run-queue';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function benchBatch(count = 100, px = 256): Promise<void> {
  const { startRedis, hasRedisServer } = await import('../../test/helpers/redis');
  const { AERIAL } = await import('../../test/helpers/detect');
  if (!hasRedisServer()) {
    console.log('batch: skipped (apt-get install redis-server)');
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-batch-'));
  const input = path.join(dir, 'in');
  await fs.mkdir(input);
  const tiles = (await fs.readdir(AERIAL)).filter((n) => n.endsWith('.jpg')).sort();
  const side = Math.min(px, 1024);
  for (let i = 0; i < count; i++) {
    const offset = (i * 97) % (1024 - side + 1);
    await sharp(path.join(AERIAL, tiles[i % tiles.length])).extract({ left: offset, top: (offset * 3) % (1024 - side + 1), width: side, height: side }).jpeg({ quality: 90 }).toFile(path.join(input, `f-${i}.jpg`));
  }
  const files = (await fs.readdir(input)).map((n) => path.join(input, n));
  const redis = await startRedis();
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const rows: Array<{ workers: number; seconds: number; perSecond: number }> = [];
  try {
    for (const workers of [1, 2]) {
      const run = `bench-${workers}`;
      const out = path.join(dir, `out-${workers}`);
      await fs.mkdir(out);
      await enqueue(client, { run, task: 'detect', options: { mode: 'cascade', thresholds: {} }, out, files, attempts: 1 });
      const env = { ...process.env, IRISCOPE_DATA_DIR: path.join(dir, 'data'), IRISCOPE_CACHE_DIR: path.join(dir, `cache-${workers}`) };
      const children = Array.from({ length: workers }, (_, k) => spawn(process.execPath, [path.join(ROOT, 'bin', 'iriscope.mjs'), 'worker', '--queue', redis.url], { env: { ...env, IRISCOPE_CACHE_DIR: `${env.IRISCOPE_CACHE_DIR}-${k}` }, stdio: 'ignore' }));
      const queue = new Queue(queueName(run), { connection: client });
      for (;;) {
        const c = await queue.getJobCounts('completed', 'failed');
        if (c.completed + c.failed >= files.length) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const jobs = await queue.getJobs(['completed', 'failed'], 0, -1);
      const first = Math.min(...jobs.map((j) => j.processedOn ?? Infinity));
      const last = Math.max(...jobs.map((j) => j.finishedOn ?? 0));
      const seconds = (last - first) / 1000;
      rows.push({ workers, seconds, perSecond: files.length / seconds });
      await queue.close();
      await Promise.all(children.map((c) => new Promise((r) => {
        c.once('exit', r);
        c.kill('SIGTERM');
      })));
    }
  } finally {
    client.disconnect();
    await redis.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
  console.log(`\nbatch: detect on ${count} files of ${side} × ${side} px, ${os.cpus().length} CPUs, redis-server on loopback`);
  console.log('workers  seconds  files/s  vs 1 worker');
  for (const r of rows) console.log(`${String(r.workers).padStart(7)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.perSecond.toFixed(2).padStart(7)}  ${(r.perSecond / rows[0].perSecond).toFixed(2).padStart(10)}×`);
}
