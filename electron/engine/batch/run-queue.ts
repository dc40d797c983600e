/**
 * Where a batch run lives: one BullMQ queue per run (`iriscope-<run>`), so a
 * run's counts, cancel and retry are BullMQ's own (getJobCounts, drain,
 * retryJobs), plus two small keys of ours that BullMQ has no notion of: the
 * set of runs (`iriscope:runs`, how workers find work) and each run's
 * description (`iriscope:run:<run>`: task, options, output folder, attempts).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { IriscopeError } from '../../common/errors';
import { TASK_NAMES } from '../tasks/task-options';

export const RUNS_KEY = 'iriscope:runs';
export const runKey = (run: string) => `iriscope:run:${run}`;
export const queueName = (run: string) => `iriscope-${run}`;

export const RunMetaSchema = z.object({
  run: z.string(),
  task: z.enum(TASK_NAMES),
  /** The task's options, validated again by the worker for every job. */
  options: z.record(z.string(), z.unknown()),
  out: z.string(),
  attempts: z.number().int().min(1),
  createdAt: z.number(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

/** What one job carries: the file, its content hash, and where its outputs go. */
export const BatchJobDataSchema = z.object({
  run: z.string(),
  task: z.enum(TASK_NAMES),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  options: z.record(z.string(), z.unknown()),
  /** `<out>/<name>.<ext>.<hash12>-<params8>`: the prefix of every output of this job. */
  base: z.string(),
});
export type BatchJobData = z.infer<typeof BatchJobDataSchema>;

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * A Redis connection for BullMQ (which needs `maxRetriesPerRequest: null`),
 * failing with a clear error when the server cannot be reached at all.
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: 5000, retryStrategy: (times) => Math.min(times * 200, 2000) });
  redis.on('error', () => undefined); // Reconnects are ioredis's business; failures surface on commands.
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new IriscopeError({
      code: 'NOT_FOUND',
      message: `Cannot reach the queue at ${redactUrl(url)}.`,
      detail: error instanceof Error ? error.message : String(error),
      hint: 'Check that Redis runs there (and the password, if it has one).',
    });
  }
  return redis;
}

export function openRunQueue(redis: Redis, run: string): Queue {
  return new Queue(queueName(run), { connection: redis });
}

export async function readRunMeta(redis: Redis, run: string): Promise<RunMeta | null> {
  const raw = await redis.get(runKey(run));
  return raw ? RunMetaSchema.parse(JSON.parse(raw)) : null;
}

export async function requireRunMeta(redis: Redis, run: string, url: string): Promise<RunMeta> {
  const meta = await readRunMeta(redis, run);
  if (!meta) throw new IriscopeError({ code: 'NOT_FOUND', message: `There is no run "${run}" in the queue at ${redactUrl(url)}.`, hint: 'List the runs with `iriscope batch status --queue …`.' });
  return meta;
}

/** Every run the queue knows, newest first. */
export async function listRuns(redis: Redis): Promise<RunMeta[]> {
  const names = await redis.smembers(RUNS_KEY);
  const metas = await Promise.all(names.map((n) => readRunMeta(redis, n)));
  return metas.filter((m): m is RunMeta => m !== null).sort((a, b) => b.createdAt - a.createdAt);
}
