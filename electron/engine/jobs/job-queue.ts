import { randomUUID } from 'node:crypto';
import type { JobInfo } from '../../common/contract';
import { IriscopeError, cancelledError, toErrorInfo } from '../../common/errors';

/** What a running job sees: its cancel signal and a way to report progress. */
export interface JobContext {
  readonly signal: AbortSignal;
  /** Fraction 0..1 (null: unknown amount of work) and a short status line. */
  progress(fraction: number | null, message?: string): void;
  /** Throws CANCELLED once a cancel was requested; call it between units of work. */
  throwIfCancelled(): void;
  /** Registers how to stop work that cannot poll the signal (e.g. kill a worker process). */
  onHardCancel(stop: () => void): void;
}

export interface JobSpec<T> {
  kind: JobInfo['kind'];
  title: string;
  imageId?: string | null;
  /** Jobs in one lane run one after another; lanes run side by side. */
  lane?: 'io' | 'inference';
  run(ctx: JobContext): Promise<T>;
}

interface Entry {
  info: JobInfo;
  spec: JobSpec<unknown>;
  controller: AbortController;
  stoppers: Array<() => void>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  lastEmit: number;
  /** Stage of the last emitted update (see `stageOf`). */
  lastStage: string | null;
  /** The job's own work, until it has settled (a hard-cancelled job may still be unwinding). */
  work: Promise<unknown> | null;
}

const KEEP_FINISHED = 50;

export interface JobQueueOptions {
  /** Jobs of one lane run one after another; lanes run side by side. */
  concurrency?: Record<'io' | 'inference', number>;
  /** Progress updates within one stage are emitted at most this often (0: every update). */
  progressIntervalMs?: number;
  /** The clock the throttle reads (tests inject their own). */
  now?: () => number;
}

/**
 * The stage a progress message names: its wording without the numbers, so
 * "Stage 1: 3 of 80 tiles" and "Stage 1: 4 of 80 tiles" are one stage and
 * "Refining crops: 0 of 9" is the next.
 */
export function stageOf(message: string | null): string | null {
  return message === null ? null : message.replace(/\d+(\.\d+)?/g, '#');
}

/**
 * A job queue with per-lane concurrency, progress events, cooperative cancel
 * (an AbortSignal the job polls) and hard cancel (the job's registered
 * stoppers, e.g. killing its worker process).
 *
 * Progress within a stage is throttled (a pipeline may report thousands of
 * steps), but a new stage and every state change are emitted at once: a
 * listener always sees each stage a job went through, however fast it was.
 */
export class JobQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, number>();
  private readonly concurrency: Record<'io' | 'inference', number>;
  private readonly progressIntervalMs: number;
  private readonly now: () => number;

  constructor(private readonly onUpdate: (job: JobInfo) => void, options: JobQueueOptions = {}) {
    this.concurrency = options.concurrency ?? { io: 1, inference: 1 };
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  submit<T>(spec: JobSpec<T>): { job: JobInfo; done: Promise<T> } {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<T>((res, rej) => {
      resolve = res as (v: unknown) => void;
      reject = rej;
    });
    // Callers that only watch events must not see an unhandled rejection.
    done.catch(() => undefined);
    const info: JobInfo = {
      id: randomUUID(),
      kind: spec.kind,
      title: spec.title,
      state: 'queued',
      progress: 0,
      message: null,
      error: null,
      imageId: spec.imageId ?? null,
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
    };
    const entry: Entry = { info, spec: spec as JobSpec<unknown>, controller: new AbortController(), stoppers: [], resolve, reject, lastEmit: 0, lastStage: null, work: null };
    this.entries.set(info.id, entry);
    this.emit(entry);
    this.pump();
    return { job: { ...info }, done };
  }

  get(id: string): JobInfo {
    const entry = this.entries.get(id);
    if (!entry) throw new IriscopeError({ code: 'NOT_FOUND', message: 'That job no longer exists.', detail: id });
    return { ...entry.info };
  }

  list(): JobInfo[] {
    return [...this.entries.values()].map((e) => ({ ...e.info }));
  }

  /**
   * Cancels a job. Queued jobs end at once. Running jobs get their signal
   * aborted; with `hard`, their stoppers run too and the job is reported
   * cancelled immediately, whatever the work still does in the background.
   */
  cancel(id: string, hard = false): JobInfo {
    const entry = this.entries.get(id);
    if (!entry) throw new IriscopeError({ code: 'NOT_FOUND', message: 'That job no longer exists.', detail: id });
    if (isFinished(entry.info)) return { ...entry.info };
    entry.controller.abort(cancelledError(entry.info.title));
    if (entry.info.state === 'queued') {
      this.finish(entry, 'cancelled', cancelledError(entry.info.title));
    } else if (hard) {
      for (const stop of entry.stoppers) {
        try {
          stop();
        } catch {
          // A stopper that fails must not keep the job alive.
        }
      }
      this.finish(entry, 'cancelled', cancelledError(entry.info.title));
    } else {
      entry.info.message = 'Cancelling…';
      this.emit(entry);
    }
    return { ...entry.info };
  }

  /** Cancels everything (used when the engine shuts down). */
  cancelAll(): void {
    for (const id of this.entries.keys()) this.cancel(id, true);
  }

  /**
   * Resolves once every job's own work has settled (cleanup included: a
   * hard-cancelled job reports at once, but its temporary files go when its
   * work unwinds), or after `timeoutMs`. Returns whether everything settled.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const work = [...this.entries.values()].map((e) => e.work).filter((w): w is Promise<unknown> => w !== null);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const settled = Promise.allSettled(work).then(() => true as const);
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private pump(): void {
    for (const entry of this.entries.values()) {
      if (entry.info.state !== 'queued') continue;
      const lane = entry.spec.lane ?? 'io';
      if ((this.running.get(lane) ?? 0) >= this.concurrency[lane]) continue;
      this.start(entry, lane);
    }
  }

  private start(entry: Entry, lane: 'io' | 'inference'): void {
    this.running.set(lane, (this.running.get(lane) ?? 0) + 1);
    entry.info.state = 'running';
    entry.info.startedAt = Date.now();
    this.emit(entry);
    const ctx: JobContext = {
      signal: entry.controller.signal,
      progress: (fraction, message) => {
        if (isFinished(entry.info)) return;
        entry.info.progress = fraction === null ? null : Math.min(1, Math.max(0, fraction));
        if (message !== undefined) entry.info.message = message;
        const newStage = stageOf(entry.info.message) !== entry.lastStage;
        if (newStage || this.now() - entry.lastEmit >= this.progressIntervalMs) this.emit(entry);
      },
      throwIfCancelled: () => {
        if (entry.controller.signal.aborted) throw cancelledError(entry.info.title);
      },
      onHardCancel: (stop) => {
        entry.stoppers.push(stop);
      },
    };
    const work = Promise.resolve().then(() => entry.spec.run(ctx));
    entry.work = work.then(() => undefined, () => undefined).finally(() => (entry.work = null));
    work
      .then(
        (value) => {
          if (entry.controller.signal.aborted) this.finish(entry, 'cancelled', cancelledError(entry.info.title));
          else this.finish(entry, 'succeeded', null, value);
        },
        (error) => {
          const cancelled = entry.controller.signal.aborted || (error instanceof IriscopeError && error.code === 'CANCELLED');
          this.finish(entry, cancelled ? 'cancelled' : 'failed', cancelled ? cancelledError(entry.info.title) : error);
        },
      )
      .finally(() => {
        this.running.set(lane, (this.running.get(lane) ?? 1) - 1);
        this.pump();
      });
  }

  private finish(entry: Entry, state: 'succeeded' | 'failed' | 'cancelled', error: unknown, value?: unknown): void {
    if (isFinished(entry.info)) return;
    entry.info.state = state;
    entry.info.finishedAt = Date.now();
    if (state === 'succeeded') {
      entry.info.progress = 1;
      entry.info.message = null;
      entry.resolve(value);
    } else {
      entry.info.error = toErrorInfo(error);
      entry.info.message = null;
      entry.reject(error instanceof IriscopeError ? error : new IriscopeError(entry.info.error, { cause: error }));
    }
    this.emit(entry);
    this.prune();
  }

  private emit(entry: Entry): void {
    entry.lastEmit = this.now();
    entry.lastStage = stageOf(entry.info.message);
    this.onUpdate({ ...entry.info });
  }

  private prune(): void {
    const finished = [...this.entries.values()].filter((e) => isFinished(e.info));
    for (const entry of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.entries.delete(entry.info.id);
  }
}

function isFinished(job: JobInfo): boolean {
  return job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';
}
