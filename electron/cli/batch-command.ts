/**
 * `iriscope batch enqueue|status|cancel|retry` and `iriscope worker`: batch
 * work over a shared Redis queue (BullMQ), for archives that outgrow one
 * machine. The per-file work is the CLI's own (engine/tasks); see
 * engine/batch/ for the queue layout and idempotent outputs.
 */
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { QueueUrl, RunName, type RunStatus } from '../common/batch-contract';
import { IriscopeError } from '../common/errors';
import { PROVIDER_NAMES } from '../common/contract';
import { BatchWorker } from '../engine/batch/batch-worker';
import { enqueue } from '../engine/batch/enqueue';
import { connectRedis, listRuns, redactUrl, requireRunMeta } from '../engine/batch/run-queue';
import { cancelRun, retryRun, runStatus } from '../engine/batch/run-status';
import { Engine } from '../engine/engine';
import { prepareOutputFolder } from '../engine/fs/output-guard';
import { chooseColorizer } from '../engine/pipelines/colorize/pic-model';
import { TASK_NAMES, TASK_OPTIONS, type ColorizeTaskOptions, type DetectTaskOptions, type TaskName } from '../engine/tasks/task-options';
import { COLORIZE_DEFAULT_TEMPERATURE, COLORIZE_MAX_SAMPLES, COLORIZE_MAX_SEED, COLORIZE_MAX_TEMPERATURE } from '../common/colorize-contract';
import { expandInputs, integerIn, numberIn } from './cli-args';
import { colorizeTaskOptions } from './colorize-command';
import { detectTaskOptions } from './detect-command';
import { withInterrupts } from './signals';

const queueOption = () => new Option('-q, --queue <url>', 'the Redis queue: redis://[:password@]host:port/db').env('IRISCOPE_QUEUE').makeOptionMandatory();

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new IriscopeError({ code: 'BAD_REQUEST', message: `Invalid ${what}: ${parsed.error.issues[0]?.message ?? 'not accepted'}.`, detail: z.prettifyError(parsed.error) });
  return parsed.data;
}

async function withRedis<T>(url: string, body: (redis: Awaited<ReturnType<typeof connectRedis>>) => Promise<T>): Promise<T> {
  const redis = await connectRedis(checked(QueueUrl, url, 'queue URL'));
  try {
    return await body(redis);
  } finally {
    redis.disconnect();
  }
}

/** Options of every task, for `enqueue --task …`: the task commands' own flags, plus faces'. */
interface EnqueueFlags {
  task: TaskName;
  queue: string;
  out: string;
  name?: string;
  attempts: number;
  json?: boolean;
  // colorize
  samples: number;
  seed?: number;
  temperature: number;
  model?: string;
  format?: string;
  // detect
  mode: 'cascade' | 'tiled';
  stage1Model?: string;
  image?: boolean;
  threshold?: number;
  gamma?: number;
  tauLow?: number;
  tauHigh?: number;
  overlap?: number;
  gsd?: number;
  // faces
  minFace?: number;
}

function taskOptions(flags: EnqueueFlags): unknown {
  switch (flags.task) {
    case 'colorize':
      return colorizeTaskOptions({ ...flags, format: flags.format as ColorizeTaskOptions['format'] });
    case 'detect':
      return detectTaskOptions({ ...flags, format: flags.format?.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean) as DetectTaskOptions['formats'] });
    case 'faces':
      return { threshold: flags.threshold, minFace: flags.minFace };
  }
}

function printStatus(s: RunStatus): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`${s.run}: ${s.task} into ${s.out} (queued ${new Date(s.createdAt).toISOString()})`);
  out(`  ${s.done} done, ${s.failed} failed, ${s.active} running, ${s.waiting} waiting (of ${s.total})`);
  if (s.throughput !== null) out(`  ${s.throughput.toFixed(2)} files/s${s.etaSeconds ? `, about ${formatDuration(s.etaSeconds)} left` : ''}`);
  const codes = Object.entries(s.failuresByCode);
  if (codes.length) out(`  failures: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  for (const f of s.failures.slice(0, 10)) out(`    ${f.code}  ${f.file}: ${f.message}`);
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function batchCommand(program: Command): void {
  const batch = program.command('batch').description('batch work over a shared Redis queue: enqueue files, watch a run, cancel or retry it (workers: `iriscope worker`)');

  const enqueueCmd = batch
    .command('enqueue')
    .description('one job per file (files, folders, or globs your shell expands), for the workers to run')
    .argument('<inputs...>', 'image files or folders (the images directly inside)')
    .addOption(new Option('--task <task>', 'what to run on each file').choices([...TASK_NAMES]).makeOptionMandatory())
    .addOption(queueOption())
    .requiredOption('-o, --out <dir>', 'output folder, shared by every worker (the same path on each machine)')
    .option('--name <run>', 'the run\'s name (default: run-<date>-<time>); the same name and files again add nothing')
    .option('--attempts <n>', 'how many times a job may start before it fails for good', integerIn(1, 20), 3)
    .option('--json', 'print one JSON record: run, added, existing');
  // The task options, long names only (-t means temperature to colorize and threshold to the others); checked by the task's schema.
  enqueueCmd
    .option('--model <id>', 'colorize/detect: the model (default: the best installed)')
    .option('--samples <N>', 'colorize: colorizations per photo', integerIn(1, COLORIZE_MAX_SAMPLES), 4)
    .option('--seed <S>', 'colorize: random seed (default: one drawn for the whole run)', integerIn(0, COLORIZE_MAX_SEED))
    .option('--temperature <T>', 'colorize: sampling temperature', numberIn(0, COLORIZE_MAX_TEMPERATURE), COLORIZE_DEFAULT_TEMPERATURE)
    .option('--format <formats>', 'colorize: jpeg|png|tiff|webp (default: the input\'s); detect: export formats, comma separated')
    .addOption(new Option('--mode <mode>', 'detect: cascade or tiled').choices(['cascade', 'tiled']).default('cascade'))
    .option('--stage1-model <id>', 'detect: with a YOLO --model in cascade mode, the ODGI model proposing the crops')
    .option('--image', 'detect: also the annotated overview')
    .option('--threshold <score>', 'detect/faces: score threshold (default: the model\'s)', numberIn(0, 1))
    .option('--gamma <n>', 'detect: crops per stage-1 tile', integerIn(0, 256))
    .option('--tau-low <conf>', 'detect: stage-1 confidence for a crop', numberIn(0, 1))
    .option('--tau-high <conf>', 'detect: stage-1 confidence to keep an individual without stage 2', numberIn(0, 1.01))
    .option('--overlap <fraction>', 'detect: tiled window overlap', numberIn(0, 0.75))
    .option('--gsd <metres>', 'detect: ground resolution in metres per pixel (images without georeferencing)', numberIn(0.001, 1000))
    .option('--min-face <px>', 'faces: smallest face to look for, in pixels', numberIn(4, 100_000));
  enqueueCmd.action(async (inputs: string[], flags: EnqueueFlags) => {
    const run = checked(RunName, flags.name ?? `run-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`, 'run name');
    const items = await expandInputs(inputs);
    const bad = items.filter((i) => i.error);
    for (const item of bad) process.stderr.write(`error (${item.file}): ${item.error!.message}\n`);
    const files = items.filter((i) => !i.error).map((i) => i.file);
    if (!files.length) throw new IriscopeError({ code: 'NOT_FOUND', message: 'No image files to enqueue.' });
    const out = await prepareOutputFolder(flags.out);
    const options = checked(TASK_OPTIONS[flags.task] as z.ZodType, taskOptions(flags), `options for ${flags.task}`);
    if (flags.task === 'colorize') {
      // A wrong model id is refused here, not by every job.
      const engine = await Engine.create();
      try {
        chooseColorizer(engine.models, (options as { model?: string }).model);
      } finally {
        await engine.dispose();
      }
    }
    const result = await withRedis(flags.queue, (redis) => enqueue(redis, {
      run,
      task: flags.task,
      options,
      out,
      files,
      attempts: flags.attempts,
      onProgress: (n) => {
        if (n % 500 === 0) process.stderr.write(`enqueue: ${n} of ${files.length} files hashed\n`);
      },
    }));
    if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${run}: ${result.added} job${result.added === 1 ? '' : 's'} added, ${result.existing} already in the run (queue ${redactUrl(flags.queue)}, results in ${out})\n`);
    if (bad.length) process.exitCode = 1;
  });

  batch
    .command('status')
    .description('counts (waiting, running, done, failed), throughput, ETA and failures with their error codes')
    .argument('[run]', 'the run (default: every run, newest first)')
    .addOption(queueOption())
    .option('--json', 'print one JSON record per run')
    .action(async (run: string | undefined, flags: { queue: string; json?: boolean }) => {
      await withRedis(flags.queue, async (redis) => {
        const metas = run ? [await requireRunMeta(redis, checked(RunName, run, 'run name'), flags.queue)] : await listRuns(redis);
        for (const meta of metas) {
          const status = await runStatus(redis, meta);
          if (flags.json) process.stdout.write(`${JSON.stringify(status)}\n`);
          else printStatus(status);
        }
        if (!metas.length && !flags.json) process.stdout.write(`No runs in the queue at ${redactUrl(flags.queue)}.\n`);
      });
    });

  const runAction = (name: string, description: string, act: (redis: Awaited<ReturnType<typeof connectRedis>>, run: string) => Promise<string>) => batch
    .command(name)
    .description(description)
    .argument('<run>')
    .addOption(queueOption())
    .action(async (run: string, flags: { queue: string }) => {
      await withRedis(flags.queue, async (redis) => {
        await requireRunMeta(redis, checked(RunName, run, 'run name'), flags.queue);
        process.stdout.write(`${run}: ${await act(redis, run)}\n`);
      });
    });
  runAction('cancel', 'remove the run\'s waiting jobs (running ones finish; results already written stay)', async (redis, run) => `${await cancelRun(redis, run)} waiting jobs removed`);
  runAction('retry', 'put the run\'s failed jobs back in the queue', async (redis, run) => `${await retryRun(redis, run)} failed jobs queued again`);

  program
    .command('worker')
    .description('run the jobs of every run in a queue (one per GPU; models loaded once); SIGTERM finishes the running jobs, a second one stops at once')
    .addOption(queueOption())
    .option('-c, --concurrency <n>', 'jobs at once per run', integerIn(1, 64), 1)
    .addOption(new Option('--provider <provider>', 'execution provider for this worker (default: the user\'s setting)').choices(['auto', ...PROVIDER_NAMES]))
    .option('--stalled-after <seconds>', 'a job whose worker is silent this long goes to another worker', integerIn(2, 3600), 30)
    .action(async (flags: { queue: string; concurrency: number; provider?: (typeof PROVIDER_NAMES)[number] | 'auto'; stalledAfter: number }) => {
      const url = checked(QueueUrl, flags.queue, 'queue URL');
      const redis = await connectRedis(url);
      const engine = await Engine.create({ rememberRecent: false, ...(flags.provider ? { inference: { provider: flags.provider } } : {}) });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const worker = new BatchWorker(engine, redis, { concurrency: flags.concurrency, stalledAfterMs: flags.stalledAfter * 1000, log });
      await withInterrupts('worker', async ({ signal }) => {
        await worker.start();
        log(`worker ${worker.name}: waiting for jobs on ${redactUrl(url)} (concurrency ${flags.concurrency})`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        log('worker: finishing the running jobs (signal again to stop at once: they go to another worker)');
        await worker.close(false);
      }, { graceMs: null }).finally(async () => {
        await engine.dispose();
        redis.disconnect();
      });
    });
}

