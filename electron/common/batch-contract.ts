/**
 * A batch run's status, as `iriscope batch status --json` prints it and the
 * app's read-only Batch panel shows it (the `batchStatus` call). The run
 * itself lives in Redis (BullMQ): see engine/batch/.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors';

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS). */
export const QueueUrl = z.string().min(1).max(2048).regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port/db');
export const RunName = z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'run names are letters, digits, ".", "_" and "-"');

export const RunStatusSchema = z.object({
  run: z.string(),
  task: z.string(),
  out: z.string(),
  createdAt: z.number(),
  total: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  active: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Files per second over the latest finished jobs; null before two finished. */
  throughput: z.number().nullable(),
  /** Seconds until waiting + active are done at that throughput; null while no job runs. */
  etaSeconds: z.number().nullable(),
  /** Failed jobs by typed error code. */
  failuresByCode: z.record(z.string(), z.number().int()),
  /** The latest failures (at most 20). */
  failures: z.array(z.object({ file: z.string(), code: z.enum(ERROR_CODES), message: z.string(), attempts: z.number().int() })),
});
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const batchApi = {
  /** Read-only: the status of one run, or of every run the queue knows (newest first). */
  batchStatus: {
    input: z.object({ queue: QueueUrl, run: RunName.optional() }).strict(),
    output: z.object({ runs: z.array(RunStatusSchema) }),
  },
} as const;
