import type { Engine } from '../engine/engine';
import { stageOf } from '../engine/jobs/job-queue';

/**
 * Prints a job's progress on stderr as `<tag>: 42% Stage 1: 3 of 80 tiles`.
 * Every new stage is printed when it starts; updates within a stage at most
 * every `intervalMs`, so a long stage does not flood the terminal. Returns
 * the function that stops printing.
 */
export function printJobProgress(engine: Engine, jobId: string, tag: string, intervalMs = 500): () => void {
  let last = -Infinity;
  let stage: string | null = null;
  return engine.onEvent((event) => {
    if (event.type !== 'job' || event.job.id !== jobId || event.job.state !== 'running' || !event.job.message) return;
    const now = Date.now();
    const next = stageOf(event.job.message);
    if (next === stage && now - last < intervalMs) return;
    stage = next;
    last = now;
    const pct = event.job.progress === null ? '' : ` ${Math.round(event.job.progress * 100)}%`;
    process.stderr.write(`${tag}:${pct} ${event.job.message}\n`);
  });
}
