import type { JobInfo } from '../../../../electron/common/contract';

/**
 * A progress bar with the `progressbar` role: determinate (0..1) or, while
 * the amount of work is unknown, indeterminate (no aria-valuenow).
 */
export function ProgressBar({ fraction, label, state, testId }: { fraction: number | null; label: string; state?: JobInfo['state']; testId?: string }) {
  const percent = fraction === null ? null : Math.round(fraction * 100);
  return (
    <div
      className={`progress${fraction === null ? ' indeterminate' : ''}${state ? ` ${state}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      data-testid={testId}
    >
      <div className="progress-bar" style={{ width: `${percent ?? 35}%` }} />
    </div>
  );
}

/** Percent and the job's stage line, e.g. "Sampling 3 of 8 · 42%". */
export function jobStatusText(job: JobInfo): string {
  switch (job.state) {
    case 'queued':
      return 'Waiting for the job before it…';
    case 'running':
      return job.message ?? 'Starting…';
    case 'succeeded':
      return job.startedAt && job.finishedAt ? `Done in ${formatSeconds((job.finishedAt - job.startedAt) / 1000)}` : 'Done';
    case 'cancelled':
      return 'Cancelled';
    case 'failed':
      return job.error?.message ?? 'Failed';
  }
}

export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/**
 * A running job in a tool panel: the bar, the stage it is in (the engine's
 * message) with the percentage, and Cancel.
 */
export function JobProgress({ job, onCancel, testId, messageTestId, cancelTestId }: { job: JobInfo; onCancel(): void; testId?: string; messageTestId?: string; cancelTestId?: string }) {
  const percent = job.state === 'running' && job.progress !== null ? `${Math.round(job.progress * 100)}%` : '';
  return (
    <div className="job-progress" data-testid={testId}>
      <span className="job-progress-stage" data-testid={messageTestId} title={jobStatusText(job)}>
        {jobStatusText(job)}
      </span>
      <div className="job-progress-row">
        <ProgressBar fraction={job.state === 'queued' ? 0 : job.progress} label={job.title} />
        <span className="job-progress-percent mono">{percent}</span>
        <button type="button" className="button subtle small" onClick={onCancel} data-testid={cancelTestId}>
          Cancel
        </button>
      </div>
    </div>
  );
}
