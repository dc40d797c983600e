/**
 * `iriscope worker`: one engine (models loaded once, sessions reused for
 * every job) serving every run of a queue that has work, through one BullMQ
 * Worker per run. BullMQ does the rest: at most `concurrency` jobs at once
 * per run, locks renewed while a job runs, stalled jobs (a worker killed or
 * cut off) moved back to waiting by the other workers, failed jobs retried
 * up to the run's attempts with a backoff.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { toErrorInfo } from '../../common/errors';
import type { Engine } from '../engine';
import { PERMANENT_ERRORS, runBatchJob, type BatchJobResult } from './batch-job';
import { BatchJobDataSchema, openRunQueue, queueName, RUNS_KEY, type BatchJobData } from './run-queue';

export interface BatchWorkerOptions {
  concurrency: number;
  /** A job whose worker stops renewing its lock for this long is given to another worker. */
  stalledAfterMs: number;
  /** How often new runs are looked for. */
  pollMs?: number;
  log(line: string): void;
}

export class BatchWorker {
  private readonly workers = new Map<string, Worker<BatchJobData, BatchJobResult>>();
  private readonly controller = new AbortController();
  /** Jobs this process runs now, per run. */
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  readonly name = `${hostname()}:${process.pid}`;

  constructor(private readonly engine: Engine, private readonly redis: Redis, private readonly options: BatchWorkerOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    const poll = () => {
      this.timer = setTimeout(() => {
        this.refresh().catch((error: unknown) => this.options.log(`worker: cannot read the runs: ${toErrorInfo(error).detail ?? toErrorInfo(error).message}`)).finally(() => {
          if (!this.closing) poll();
        });
      }, this.options.pollMs ?? 2000);
    };
    poll();
  }

  /** Serves every run with jobs waiting, running or delayed; stops serving the finished ones. */
  private async refresh(): Promise<void> {
    for (const run of await this.redis.smembers(RUNS_KEY)) {
      if (this.closing) return;
      const queue = openRunQueue(this.redis, run);
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active').finally(() => queue.close());
      const pending = Object.values(counts).reduce((a, b) => a + b, 0);
      const served = this.workers.get(run);
      if (pending && !served) this.serve(run);
      else if (!pending && served && !this.running.get(run)) {
        this.workers.delete(run);
        await served.close();
      }
    }
  }

  private serve(run: string): void {
    const worker = new Worker<BatchJobData, BatchJobResult>(queueName(run), (job) => this.process(job), {
      connection: this.redis,
      name: this.name,
      concurrency: this.options.concurrency,
      lockDuration: this.options.stalledAfterMs,
      stalledInterval: Math.max(500, Math.floor(this.options.stalledAfterMs / 2)),
      maxStalledCount: 2,
      autorun: true,
    });
    worker.on('error', (error) => this.options.log(`worker: ${run}: ${error.message}`));
    this.workers.set(run, worker);
    this.options.log(`worker: serving run ${run}`);
  }

  private async process(job: Job<BatchJobData, BatchJobResult>): Promise<BatchJobResult> {
    const data = BatchJobDataSchema.parse(job.data);
    const started = performance.now();
    this.running.set(data.run, (this.running.get(data.run) ?? 0) + 1);
    this.options.log(`worker: started job ${job.id} (${data.file}, attempt ${job.attemptsMade + 1})`);
    try {
      const result = await runBatchJob(this.engine, job.id!, data, { signal: this.controller.signal, log: (line) => this.options.log(`worker: job ${job.id}: ${line}`) });
      this.options.log(`worker: ${result.skipped ? 'already done' : 'done'} job ${job.id} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (error) {
      const info = toErrorInfo(error);
      this.options.log(`worker: failed job ${job.id}: ${info.code} ${info.message}`);
      // The typed error travels as the job's failure reason; errors no retry can fix fail at once.
      throw PERMANENT_ERRORS.has(info.code) ? new UnrecoverableError(JSON.stringify(info)) : new Error(JSON.stringify(info));
    } finally {
      this.running.set(data.run, (this.running.get(data.run) ?? 1) - 1);
    }
  }

  /**
   * Stops taking jobs. `force` false: running jobs finish first (the graceful
   * stop of a deploy); true: they are abandoned where they are and another
   * worker takes them over once their lock expires.
   */
  async close(force = false): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    if (force) this.controller.abort();
    await Promise.all([...this.workers.values()].map((w) => w.close(force)));
    this.workers.clear();
  }
}
