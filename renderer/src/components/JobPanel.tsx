import type { JobInfo } from '../../../electron/common/contract';
import { useApp } from '../state/store';
import { Icon } from './Icon';
import { jobStatusText, ProgressBar } from './kit/progress';

const isActive = (j: JobInfo) => j.state === 'running' || j.state === 'queued';

/** Running jobs first, then the finished ones, newest first. */
export function sortedJobs(jobs: Record<string, JobInfo>): JobInfo[] {
  return Object.values(jobs).sort((a, b) => Number(isActive(b)) - Number(isActive(a)) || b.createdAt - a.createdAt);
}

const toggle = () => {
  const state = useApp.getState();
  void state.updateSettings({ ui: { showJobPanel: !(state.settings?.ui.showJobPanel ?? false) } });
};

/**
 * The status bar's job item: what runs now (with its progress), or how many
 * jobs are done. It opens the job list, which floats over the stage so the
 * viewer never shrinks however many jobs pile up.
 */
export function JobsIndicator() {
  const jobs = useApp((s) => s.jobs);
  const open = useApp((s) => s.settings?.ui.showJobPanel ?? false);
  const list = sortedJobs(jobs);
  if (!list.length) return null;
  const running = list.filter(isActive);
  const failed = list.filter((j) => j.state === 'failed').length;
  const current = running[0];
  return (
    <button type="button" className={`status-item jobs-indicator${open ? ' open' : ''}`} onClick={toggle} aria-expanded={open} aria-controls="job-panel" title="Jobs (J)" data-testid="jobs-indicator">
      {current ? <span className="dot busy" /> : <Icon name="jobs" size={14} />}
      {current ? (
        <>
          <span className="jobs-current">{current.title}</span>
          {current.progress !== null && current.state === 'running' && <span className="mono">{Math.round(current.progress * 100)}%</span>}
          {running.length > 1 && <span className="badge">+{running.length - 1}</span>}
        </>
      ) : (
        <span>
          {list.length} job{list.length === 1 ? '' : 's'}
          {failed ? <span className="jobs-failed"> · {failed} failed</span> : null}
        </span>
      )}
      <Icon name={open ? 'chevron' : 'chevron-up'} size={13} />
    </button>
  );
}

/** The job list: progress, stage and cancel per job; finished jobs can be cleared. */
export function JobPanel() {
  const jobs = useApp((s) => s.jobs);
  const open = useApp((s) => s.settings?.ui.showJobPanel ?? false);
  const cancelJob = useApp((s) => s.cancelJob);
  const clear = useApp((s) => s.clearFinishedJobs);
  const list = sortedJobs(jobs);
  const running = list.filter(isActive).length;
  // Kept in the document while closed (hidden), so its rows stay readable for assistive tech and tests.
  return (
    <section id="job-panel" className="jobs" aria-label="Jobs" data-testid="job-panel" hidden={!open || !list.length}>
      <header className="jobs-header">
        <Icon name="jobs" /> <span>Jobs</span>
        {running > 0 && <span className="badge">{running} running</span>}
        <span className="spacer" />
        <button type="button" className="button subtle small" onClick={clear} disabled={running === list.length} data-testid="jobs-clear">
          Clear finished
        </button>
        <button type="button" className="icon-button" onClick={toggle} aria-label="Hide the jobs">
          <Icon name="close" size={14} />
        </button>
      </header>
      <ul>
        {list.map((job) => (
          <li key={job.id} className={`job ${job.state}`} data-testid="job" data-state={job.state}>
            <span className="job-title" title={job.title}>{job.title}</span>
            <ProgressBar fraction={job.state === 'running' ? job.progress : job.state === 'queued' ? 0 : 1} label={job.title} state={job.state} />
            <span className="job-status" title={jobStatusText(job)}>
              {job.state === 'running' && job.progress !== null ? `${Math.round(job.progress * 100)}% · ` : ''}
              {jobStatusText(job)}
            </span>
            {isActive(job) ? (
              <button type="button" className="button subtle small" onClick={() => void cancelJob(job.id, true)} data-testid="job-cancel">
                Cancel
              </button>
            ) : (
              <span />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
