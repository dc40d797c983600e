import type { JobInfo } from '../../../electron/common/contract';
import { useApp } from '../state/store';
import { Icon } from './Icon';

/** Running and recent jobs with progress bars and cancel buttons. */
export function JobPanel() {
  const jobs = useApp((s) => s.jobs);
  const visible = useApp((s) => s.settings?.ui.showJobPanel ?? true);
  const cancelJob = useApp((s) => s.cancelJob);
  const list = Object.values(jobs).sort((a, b) => b.createdAt - a.createdAt).slice(0, 6);
  const active = list.filter((j) => j.state === 'running' || j.state === 'queued');
  if (!visible || !list.length) return null;
  return (
    <section className="jobs" aria-label="Jobs" data-testid="job-panel">
      <header className="jobs-header">
        <Icon name="jobs" /> Jobs {active.length > 0 && <span className="badge">{active.length} running</span>}
      </header>
      <ul>
        {list.map((job) => (
          <li key={job.id} className={`job ${job.state}`} data-testid="job" data-state={job.state}>
            <span className="job-title">{job.title}</span>
            <div className={`progress ${job.progress === null && job.state === 'running' ? 'indeterminate' : ''}`}>
              <div className="progress-bar" style={{ width: `${Math.round((job.progress ?? 0) * 100)}%` }} />
            </div>
            <span className="job-status">{statusText(job)}</span>
            {(job.state === 'running' || job.state === 'queued') && (
              <button type="button" className="button subtle small" onClick={() => void cancelJob(job.id, true)} data-testid="job-cancel">
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function statusText(job: JobInfo): string {
  switch (job.state) {
    case 'queued':
      return 'Waiting';
    case 'running':
      return job.progress === null ? job.message ?? 'Working…' : `${Math.round(job.progress * 100)}%`;
    case 'succeeded':
      return job.startedAt && job.finishedAt ? `Done in ${((job.finishedAt - job.startedAt) / 1000).toFixed(1)} s` : 'Done';
    case 'cancelled':
      return 'Cancelled';
    case 'failed':
      return job.error?.message ?? 'Failed';
  }
}
