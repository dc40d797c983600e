/**
 * One batch job: the same task the CLI runs for a file (engine/tasks), with
 * idempotent outputs. Every output name carries the input's hash and the
 * parameters (`<name>.<ext>.<hash12>-<params8>.<task>…`), so an existing one
 * is that very result: it is kept, never recomputed or overwritten. The job's
 * record (`….<task>-record.json`, what `--json` prints for the file, with
 * the input hash) is written last: when it exists, the job is done.
 *
 * Temporary files go into `<out>/.iriscope-partial/<job id>/`, removed when
 * the job starts (a worker killed mid-write left them) and when it ends.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { IriscopeError, type ErrorCode } from '../../common/errors';
import type { Engine } from '../engine';
import { fsError } from '../fs/fs-errors';
import { runColorizeTask } from '../tasks/colorize-task';
import { runDetectTask } from '../tasks/detect-task';
import { runFacesTask } from '../tasks/faces-task';
import type { TaskContext, TaskOutput } from '../tasks/task';
import { paramsKey, TASK_OPTIONS, type TaskName } from '../tasks/task-options';
import type { BatchJobData } from './run-queue';

export const PARTIAL_DIR = '.iriscope-partial';

/** Errors that another attempt cannot fix: the job fails at once instead of being retried. */
export const PERMANENT_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'BAD_REQUEST', 'FILE_NOT_FOUND', 'NOT_A_FILE', 'UNSUPPORTED_FORMAT', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE', 'MODEL_NOT_FOUND', 'MODEL_INVALID',
  'MODEL_HASH_MISMATCH', 'MODEL_SIGNATURE_MISMATCH', 'OUTPUT_EXISTS', 'PERMISSION_DENIED',
]);

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (error) {
    throw fsError(error, file);
  }
  return hash.digest('hex');
}

/** `<out>/<name>.<ext>.<hash12>-<params8>`: see the header. */
export function batchBase(out: string, file: string, sha256: string, task: TaskName, options: unknown): string {
  return path.join(out, `${path.basename(file)}.${sha256.slice(0, 12)}-${paramsKey(task, options)}`);
}

export const recordPath = (data: Pick<BatchJobData, 'base' | 'task'>) => `${data.base}.${data.task}-record.json`;

export interface BatchJobResult {
  record: string;
  /** True when the record was already there: nothing was computed. */
  skipped: boolean;
  outputs: string[];
}

export async function runBatchJob(engine: Engine, jobId: string, data: BatchJobData, ctx: TaskContext): Promise<BatchJobResult> {
  const record = recordPath(data);
  const done = await readRecord(record, data.sha256);
  if (done) return { record, skipped: true, outputs: done };

  const sha = await sha256File(data.file);
  if (sha !== data.sha256) {
    throw new IriscopeError({ code: 'BAD_REQUEST', message: `"${path.basename(data.file)}" changed after it was queued.`, detail: `queued ${data.sha256}, now ${sha}`, hint: 'Enqueue it again: its results get a new name.' });
  }
  const staging = path.join(path.dirname(data.base), PARTIAL_DIR, jobId);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true }).catch((error: unknown) => {
    throw fsError(error, staging, 'write');
  });
  const unstage = engine.outputs.stageTempsIn(data.base, staging);
  try {
    const out: TaskOutput = { base: data.base, existing: 'keep' };
    const result = await runTask(engine, data, out, ctx);
    const outputs = 'outputs' in result ? result.outputs : result.exports;
    const text = `${JSON.stringify({ ...result, input_sha256: data.sha256, task: data.task, options: data.options, run: data.run }, null, 1)}\n`;
    await engine.outputs.write(record, (temp) => fs.writeFile(temp, text), { existing: 'keep' });
    return { record, skipped: false, outputs };
  } finally {
    unstage();
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

function runTask(engine: Engine, data: BatchJobData, out: TaskOutput, ctx: TaskContext) {
  switch (data.task) {
    case 'colorize':
      return runColorizeTask(engine, data.file, TASK_OPTIONS.colorize.parse(data.options), out, ctx);
    case 'detect':
      return runDetectTask(engine, data.file, TASK_OPTIONS.detect.parse(data.options), out, ctx);
    case 'faces':
      return runFacesTask(engine, data.file, TASK_OPTIONS.faces.parse(data.options), out, ctx);
  }
}

/** The outputs a finished record lists, or null when there is none for this input. */
async function readRecord(file: string, sha256: string): Promise<string[] | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { input_sha256?: string; outputs?: string[]; exports?: string[] };
    return parsed.input_sha256 === sha256 ? (parsed.outputs ?? parsed.exports ?? []) : null;
  } catch {
    return null;
  }
}
