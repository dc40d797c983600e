/**
 * `iriscope batch enqueue`: one BullMQ job per file, carrying the file, its
 * content hash, the task and its options. The job id is made of the path,
 * the content and the parameters, so enqueueing the same files again adds
 * nothing (BullMQ keeps one job per id); an output already written by any
 * earlier run is kept by the worker (see batch-job.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { IriscopeError } from '../../common/errors';
import { TASK_OPTIONS, type TaskName } from '../tasks/task-options';
import { batchBase, sha256File } from './batch-job';
import { openRunQueue, readRunMeta, RUNS_KEY, runKey, type BatchJobData, type RunMeta } from './run-queue';

export interface EnqueueRequest {
  run: string;
  task: TaskName;
  options: unknown;
  /** Absolute output folder, shared by every worker (a shared file system). */
  out: string;
  files: string[];
  /** How many times a job may start before it fails for good (stalls included). */
  attempts: number;
  /** Called after each file is hashed (the count so far). */
  onProgress?: (hashed: number) => void;
}

export interface EnqueueResult {
  run: string;
  /** Jobs added now. */
  added: number;
  /** Files whose job this run already had (queued, running, done or failed). */
  existing: number;
}

const CHUNK = 200;

export function jobIdOf(file: string, sha256: string, base: string): string {
  // Never all digits: BullMQ refuses integer-looking custom ids.
  return `j-${createHash('sha256').update(`${file}\0${sha256}\0${path.basename(base)}`).digest('hex').slice(0, 40)}`;
}

export async function enqueue(redis: Redis, request: EnqueueRequest): Promise<EnqueueResult> {
  const options = TASK_OPTIONS[request.task].parse(request.options) as Record<string, unknown>;
  const previous = await readRunMeta(redis, request.run);
  if (previous && (previous.task !== request.task || previous.out !== request.out)) {
    throw new IriscopeError({
      code: 'BAD_REQUEST',
      message: `The run "${request.run}" already exists for ${previous.task} into ${previous.out}.`,
      hint: 'Choose another --name, or the same task and --out.',
    });
  }
  const meta: RunMeta = previous ?? { run: request.run, task: request.task, options, out: request.out, attempts: request.attempts, createdAt: Date.now() };
  await redis.set(runKey(request.run), JSON.stringify(meta));
  await redis.sadd(RUNS_KEY, request.run);

  const queue = openRunQueue(redis, request.run);
  let added = 0;
  let existing = 0;
  let hashed = 0;
  try {
    for (let i = 0; i < request.files.length; i += CHUNK) {
      const jobs: Array<{ name: string; data: BatchJobData; opts: { jobId: string; attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: false; removeOnFail: false } }> = [];
      for (const file of request.files.slice(i, i + CHUNK)) {
        const sha256 = await sha256File(file);
        hashed++;
        request.onProgress?.(hashed);
        const base = batchBase(request.out, file, sha256, request.task, options);
        jobs.push({
          name: request.task,
          data: { run: request.run, task: request.task, file, sha256, options, base },
          opts: { jobId: jobIdOf(file, sha256, base), attempts: request.attempts, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: false, removeOnFail: false },
        });
      }
      const states = await Promise.all(jobs.map((job) => queue.getJobState(job.opts.jobId)));
      const fresh = jobs.filter((_, k) => states[k] === 'unknown');
      existing += jobs.length - fresh.length;
      if (fresh.length) await queue.addBulk(fresh);
      added += fresh.length;
    }
  } finally {
    await queue.close();
  }
  return { run: request.run, added, existing };
}
