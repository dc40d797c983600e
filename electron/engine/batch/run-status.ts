/**
 * A run's counts, throughput, ETA and failures, from BullMQ's own records
 * (job counts; the latest finished and failed jobs), and its cancel and retry.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunStatus } from '../../common/batch-contract';
import { isErrorCode, type ErrorCode, type ErrorInfo } from '../../common/errors';
import { openRunQueue, type RunMeta } from './run-queue';

/** The typed error a failed job carries (the worker stores ErrorInfo JSON as its failure reason). */
export function failureOf(reason: string | undefined): ErrorInfo {
  try {
    const info = JSON.parse(reason ?? '') as ErrorInfo;
    if (isErrorCode(info.code) && typeof info.message === 'string') return info;
  } catch {
    // Not ours: BullMQ's own (a job stalled too often, a lock lost).
  }
  return { code: 'INTERNAL', message: reason || 'The job failed.' };
}

const RECENT = 200;

export async function runStatus(redis: Redis, meta: RunMeta): Promise<RunStatus> {
  const queue = openRunQueue(redis, meta.run);
  try {
    return await statusOf(queue, meta);
  } finally {
    await queue.close();
  }
}

async function statusOf(queue: Queue, meta: RunMeta): Promise<RunStatus> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
  const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
  const active = counts.active ?? 0;
  const done = counts.completed ?? 0;
  const failed = counts.failed ?? 0;

  // Throughput over the latest finished jobs (finished = done or failed).
  const recent = [...(await queue.getJobs(['completed'], 0, RECENT - 1)), ...(await queue.getJobs(['failed'], 0, RECENT - 1))];
  const finishedAt = recent.map((j) => j.finishedOn).filter((t): t is number => typeof t === 'number').sort((a, b) => a - b).slice(-RECENT);
  const startedAt = Math.min(...recent.map((j) => j.processedOn ?? Infinity));
  let throughput: number | null = null;
  if (finishedAt.length >= 2) {
    const span = (finishedAt[finishedAt.length - 1] - Math.min(finishedAt[0], startedAt)) / 1000;
    throughput = span > 0 ? finishedAt.length / span : null;
  }
  const left = waiting + active;
  const failures = (await queue.getJobs(['failed'], 0, 19)).map((job) => {
    const info = failureOf(job.failedReason);
    return { file: String((job.data as { file?: string }).file ?? job.id), code: info.code, message: info.message, attempts: job.attemptsMade };
  });
  const failuresByCode: Record<string, number> = {};
  // Codes of every failure, read in pages (a run can fail thousands of files).
  for (let start = 0; start < failed; start += 500) {
    for (const job of await queue.getJobs(['failed'], start, start + 499)) {
      const code: ErrorCode = failureOf(job.failedReason).code;
      failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
    }
  }
  return {
    run: meta.run,
    task: meta.task,
    out: meta.out,
    createdAt: meta.createdAt,
    total: waiting + active + done + failed,
    waiting,
    active,
    done,
    failed,
    throughput,
    // No ETA while nobody works on the run (no job active): the workers may be gone.
    etaSeconds: left === 0 ? 0 : active > 0 && throughput ? left / throughput : null,
    failuresByCode,
    failures,
  };
}

/** Removes the run's waiting jobs (running ones finish); returns how many were removed. */
export async function cancelRun(redis: Redis, run: string): Promise<number> {
  const queue = openRunQueue(redis, run);
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
    await queue.drain(true);
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
  } finally {
    await queue.close();
  }
}

/** Puts the run's failed jobs back in the queue; returns how many. */
export async function retryRun(redis: Redis, run: string): Promise<number> {
  const queue = openRunQueue(redis, run);
  try {
    const failed = (await queue.getJobCounts('failed')).failed ?? 0;
    await queue.retryJobs({ state: 'failed', count: 1000 });
    return failed;
  } finally {
    await queue.close();
  }
}
