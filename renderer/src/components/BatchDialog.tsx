import { useEffect, useState } from 'react';
import type { RunStatus } from '../../../electron/common/batch-contract';
import { api } from '../api/client';
import { useApp } from '../state/store';
import { Dialog } from './Dialog';

const QUEUE_KEY = 'iriscope.batchQueue';

/**
 * Batch runs (read-only): the status of the runs in a Redis queue that
 * `iriscope batch enqueue` filled and `iriscope worker`s drain, refreshed
 * every few seconds while the dialog is open.
 */
export function BatchDialog() {
  const open = useApp((s) => s.dialogs.batch);
  const setDialog = useApp((s) => s.setDialog);
  const [queue, setQueue] = useState(() => localStorage.getItem(QUEUE_KEY) ?? 'redis://127.0.0.1:6379/0');
  const [watching, setWatching] = useState<string | null>(null);
  const [runs, setRuns] = useState<RunStatus[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open || !watching) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const { runs: next } = await api.batchStatus({ queue: watching });
        if (!stopped) {
          setRuns(next);
          setError(null);
        }
      } catch (e) {
        if (!stopped) setError((e as { message?: string }).message ?? String(e));
      }
      if (!stopped) timer = setTimeout(load, 3000);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [open, watching]);

  const show = () => {
    localStorage.setItem(QUEUE_KEY, queue);
    setRuns(null);
    setWatching(queue);
  };

  return (
    <Dialog open={open} title="Batch runs" onClose={() => setDialog('batch', false)} wide testId="batch-dialog">
      <form className="batch-queue" onSubmit={(e) => { e.preventDefault(); show(); }}>
        <label className="field">
          <span>Queue</span>
          <input value={queue} onChange={(e) => setQueue(e.target.value)} spellCheck={false} placeholder="redis://host:6379/0" data-testid="batch-queue" />
        </label>
        <button type="submit" className="button primary" data-testid="batch-show">Show runs</button>
      </form>
      {error && <p className="batch-error" data-testid="batch-error">{error}</p>}
      {runs && !runs.length && <p className="muted">No runs in this queue yet. Start one with <code>iriscope batch enqueue</code>.</p>}
      {runs?.map((run) => <RunCard key={run.run} run={run} />)}
      <p className="muted small">Read-only. Workers: <code>iriscope worker --queue {watching ?? queue}</code>; cancel or retry with <code>iriscope batch cancel|retry</code>.</p>
    </Dialog>
  );
}

function RunCard({ run }: { run: RunStatus }) {
  const finished = run.done + run.failed;
  const pct = run.total ? (100 * finished) / run.total : 0;
  const codes = Object.entries(run.failuresByCode);
  return (
    <section className="batch-run" data-testid="batch-run">
      <header>
        <strong>{run.run}</strong> <span className="muted">{run.task} → {run.out}</span>
      </header>
      <div className="progress"><div className="progress-bar" style={{ width: `${pct}%` }} /></div>
      <p className="batch-counts" data-testid="batch-counts">
        {run.done} done · {run.failed} failed · {run.active} running · {run.waiting} waiting <span className="muted">of {run.total}</span>
        {run.throughput !== null && <span className="muted"> · {run.throughput.toFixed(2)} files/s{run.etaSeconds ? ` · about ${eta(run.etaSeconds)} left` : ''}</span>}
      </p>
      {codes.length > 0 && (
        <details className="batch-failures">
          <summary>Failures: {codes.map(([code, n]) => `${code} ${n}`).join(', ')}</summary>
          <ul>
            {run.failures.map((f) => (
              <li key={f.file}><code>{f.code}</code> {f.file}: {f.message}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function eta(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
