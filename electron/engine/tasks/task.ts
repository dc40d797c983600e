/**
 * The per-file work of `iriscope colorize|detect|faces` and of a batch
 * worker, written once: open the image, run the feature as an engine job,
 * write its outputs through the engine's output guard, return the JSON
 * record the CLI prints with --json (and a batch job stores).
 *
 * Output names: every output of an input `<name>.<ext>` starts with
 * `<base>` = `<out>/<name>.<ext>` (the CLI; `-2`, `-3` … after the stem when
 * two inputs of one run share a name) or `<out>/<name>.<ext>.<hash>-<params>`
 * (a batch: input hash and parameters, so a result is never recomputed or
 * overwritten), then `.<task>…`: `scene.jpg.detect.png`, `photo.jpg.faces.json`,
 * `old.png.colorized-s7-1.png`. The source extension stays in the name, so
 * `scene.jpg` and `scene.png` never share outputs, and an output never looks
 * like another input's name.
 */
import type { Engine } from '../engine';
import type { ExistingOutput } from '../fs/output-guard';
import { stageOf } from '../jobs/job-queue';

export interface TaskOutput {
  /** Path prefix of every output of this input (see above). */
  base: string;
  /** What to do with a file already at an output path (inputs are always refused). */
  existing: ExistingOutput;
}

export interface TaskContext {
  /** Aborted on Ctrl-C / SIGTERM (CLI) or when the worker shuts down: the running engine job is cancelled. */
  signal: AbortSignal;
  /** A human progress line (stderr in the CLI, the worker's log). */
  log(message: string): void;
}

/** Cancels `jobId` when `signal` aborts; returns the unsubscribe. */
export function cancelOnAbort(engine: Engine, signal: AbortSignal, jobId: string | null): () => void {
  if (!jobId) return () => undefined;
  const cancel = () => {
    try {
      engine.jobs.cancel(jobId);
    } catch {
      // Already finished.
    }
  };
  if (signal.aborted) cancel();
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/**
 * Progress of an engine job as log lines (`42% Stage 1: 3 of 80 tiles`).
 * Every new stage is logged when it starts; updates within a stage at most
 * every `intervalMs`, so a long stage does not flood the terminal.
 */
export function logJobProgress(engine: Engine, jobId: string, log: (message: string) => void, intervalMs = 500): () => void {
  let last = -Infinity;
  let stage: string | null = null;
  return engine.onEvent((event) => {
    if (event.type !== 'job' || event.job.id !== jobId || event.job.state !== 'running' || !event.job.message) return;
    const now = Date.now();
    const next = stageOf(event.job.message);
    if (next === stage && now - last < intervalMs) return;
    stage = next;
    last = now;
    const pct = event.job.progress === null ? '' : `${Math.round(event.job.progress * 100)}% `;
    log(`${pct}${event.job.message}`);
  });
}

/**
 * Opens `file` and waits for its pyramid; the build is cancelled on abort.
 * The caller closes the image. (The CLI and workers create their engine with
 * `rememberRecent: false`: batch files do not fill the app's recent files.)
 */
export async function openForTask(engine: Engine, file: string, ctx: TaskContext) {
  const image = await engine.openImage({ path: file });
  const off = cancelOnAbort(engine, ctx.signal, image.pyramid.state === 'building' ? image.pyramid.jobId : null);
  try {
    const reader = await engine.images.whenReady(image.id);
    return { image, reader };
  } catch (error) {
    await engine.closeImage({ imageId: image.id }).catch(() => undefined);
    throw error;
  } finally {
    off();
  }
}

export function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}
