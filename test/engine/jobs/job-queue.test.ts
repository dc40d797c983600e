import { describe, expect, it, vi } from 'vitest';
import type { JobInfo } from '../../../electron/common/contract';
import { JobQueue, stageOf } from '../../../electron/engine/jobs/job-queue';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('JobQueue', () => {
  it('runs a job, reports progress and its result', async () => {
    const updates: JobInfo[] = [];
    const queue = new JobQueue((job) => updates.push(job));
    const { job, done } = queue.submit({
      kind: 'pyramid',
      title: 'Count',
      run: async (ctx) => {
        for (let i = 1; i <= 3; i++) {
          await tick(120);
          ctx.progress(i / 3, `step ${i}`);
        }
        return 42;
      },
    });
    expect(await done).toBe(42);
    expect(queue.get(job.id)).toMatchObject({ state: 'succeeded', progress: 1 });
    expect(updates.map((u) => u.state)).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));
    expect(updates.some((u) => u.message === 'step 1')).toBe(true);
  });

  it('throttles progress within a stage but emits every new stage at once (injected clock)', async () => {
    const updates: JobInfo[] = [];
    let clock = 1000;
    const queue = new JobQueue((job) => updates.push(job), { now: () => clock });
    const { done } = queue.submit({
      kind: 'detect',
      title: 'Stages',
      run: async (ctx) => {
        // Everything below happens within one millisecond of the clock.
        ctx.progress(0, 'Loading the models');
        for (let i = 0; i < 50; i++) ctx.progress(i / 100, `Stage 1: ${i} of 50 tiles`);
        ctx.progress(0.5, 'Refining crops: 0 of 3');
        ctx.progress(0.6, 'Refining crops: 1 of 3');
        clock += 100;
        ctx.progress(0.7, 'Refining crops: 2 of 3');
        ctx.progress(0.98, 'Merging detections');
      },
    });
    await done;
    const messages = updates.filter((u) => u.state === 'running').map((u) => u.message);
    expect(messages).toEqual([null, 'Loading the models', 'Stage 1: 0 of 50 tiles', 'Refining crops: 0 of 3', 'Refining crops: 2 of 3', 'Merging detections']);
    expect(updates.at(-1)).toMatchObject({ state: 'succeeded', progress: 1 });
  });

  it('names a stage by its wording, not its numbers', () => {
    expect(stageOf('Stage 1: 3 of 80 tiles')).toBe(stageOf('Stage 1: 79 of 80 tiles'));
    expect(stageOf('Reading source: 4.5%')).toBe(stageOf('Reading source: 95%'));
    expect(stageOf('Stage 1: 3 of 80 tiles')).not.toBe(stageOf('Refining crops: 3 of 80'));
  });

  it('with progressIntervalMs 0 emits every update', async () => {
    const updates: JobInfo[] = [];
    const queue = new JobQueue((job) => updates.push(job), { progressIntervalMs: 0 });
    await queue.submit({ kind: 'colorize', title: 'All', run: async (ctx) => { for (let i = 1; i <= 20; i++) ctx.progress(i / 20, `row ${i} of 20`); } }).done;
    expect(updates.filter((u) => u.state === 'running' && u.message?.startsWith('row')).map((u) => u.message)).toHaveLength(20);
  });

  it('runs jobs of one lane one after another, other lanes alongside', async () => {
    const queue = new JobQueue(() => undefined);
    const order: string[] = [];
    const work = (name: string, lane: 'io' | 'inference') =>
      queue.submit({ kind: 'pyramid', title: name, lane, run: async () => { order.push(`${name}+`); await tick(40); order.push(`${name}-`); } }).done;
    await Promise.all([work('a', 'io'), work('b', 'io'), work('c', 'inference')]);
    expect(order.indexOf('b+')).toBeGreaterThan(order.indexOf('a-'));
    expect(order.indexOf('c+')).toBeLessThan(order.indexOf('a-'));
  });

  it('cancels cooperatively: the job sees its signal and stops at the next check', async () => {
    const queue = new JobQueue(() => undefined);
    let steps = 0;
    const { job, done } = queue.submit({
      kind: 'colorize',
      title: 'Loop',
      run: async (ctx) => {
        for (;;) {
          ctx.throwIfCancelled();
          steps++;
          await tick();
        }
      },
    });
    await tick(30);
    queue.cancel(job.id);
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(queue.get(job.id).state).toBe('cancelled');
    const after = steps;
    await tick(30);
    expect(steps).toBe(after);
  });

  it('cancels hard: runs the stoppers and reports cancelled at once', async () => {
    const queue = new JobQueue(() => undefined);
    const stop = vi.fn();
    const { job, done } = queue.submit({
      kind: 'pyramid',
      title: 'Stuck',
      run: (ctx) => {
        ctx.onHardCancel(stop);
        return new Promise(() => undefined);
      },
    });
    await tick();
    expect(queue.cancel(job.id, true).state).toBe('cancelled');
    expect(stop).toHaveBeenCalledOnce();
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('cancels a queued job without running it', async () => {
    const queue = new JobQueue(() => undefined);
    const run = vi.fn(async () => undefined);
    queue.submit({ kind: 'pyramid', title: 'first', run: () => tick(50) });
    const { job, done } = queue.submit({ kind: 'pyramid', title: 'second', run });
    queue.cancel(job.id);
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
    await tick(80);
    expect(run).not.toHaveBeenCalled();
  });

  it('keeps the typed error of a failed job', async () => {
    const queue = new JobQueue(() => undefined);
    const { job, done } = queue.submit({ kind: 'pyramid', title: 'Fail', run: async () => { throw Object.assign(new Error('boom'), {}); } });
    await expect(done).rejects.toBeTruthy();
    expect(queue.get(job.id)).toMatchObject({ state: 'failed', error: { code: 'INTERNAL', detail: 'boom' } });
  });
});
