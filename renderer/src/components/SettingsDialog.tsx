import { useEffect, useState } from 'react';
import type { ProviderName, Settings, SettingsPatch } from '../../../electron/common/contract';
import { api } from '../api/client';
import { useApp } from '../state/store';
import { Dialog } from './Dialog';
import { JobProgress } from './kit/progress';
import { providerLabel } from './StatusBar';

/** Providers that take a GPU index. */
const INDEXED: ProviderName[] = ['cuda', 'tensorrt', 'dml'];

/**
 * Settings: where inference runs (only the providers this platform has; one
 * that cannot start here is not offered, with its reason beside it), the GPU
 * setup, threads, image limits and the installed models. Every change is
 * saved at once and confirmed.
 */
export function SettingsDialog() {
  const open = useApp((s) => s.dialogs.settings);
  const setDialog = useApp((s) => s.setDialog);
  const settings = useApp((s) => s.settings);
  const engine = useApp((s) => s.engine);
  const notify = useApp((s) => s.notify);
  const toast = useApp((s) => s.toast);
  const [importPath, setImportPath] = useState('');
  const [installJob, setInstallJob] = useState<string | null>(null);
  const job = useApp((s) => (installJob ? s.jobs[installJob] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);

  useEffect(() => {
    if (job?.state === 'succeeded') {
      setInstallJob(null);
      toast({ kind: 'success', message: 'The CUDA provider is installed.', detail: 'New sessions try it first; the table shows whether it starts.' });
      void useApp.getState().refreshEngine();
    } else if (job && job.state !== 'running' && job.state !== 'queued') {
      setInstallJob(null);
    }
  }, [job, toast]);

  if (!settings) return null;

  /** Saves one change and says so (the engine refuses what cannot work, e.g. a provider that does not start here). */
  const save = async (patch: SettingsPatch, what: string) => {
    try {
      const next = await api.updateSettings(patch);
      useApp.setState({ settings: next });
      if (patch.inference) void useApp.getState().refreshEngine();
      toast({ kind: 'success', message: `Saved: ${what}` });
    } catch (error) {
      notify(error, 'Saving settings');
    }
  };

  const importModel = async (path: string) => {
    try {
      const model = await api.importModel({ path });
      setImportPath('');
      await useApp.getState().refreshEngine();
      toast({ kind: 'success', message: `Imported the model “${model.name}”` });
    } catch (error) {
      notify(error, 'Importing the model');
    }
  };

  const installCuda = async () => {
    try {
      const started = await api.installProvider({ provider: 'cuda' });
      useApp.setState((s) => ({ jobs: { ...s.jobs, [started.id]: started } }));
      setInstallJob(started.id);
    } catch (error) {
      notify(error, 'Installing the CUDA provider');
    }
  };

  const probe = engine?.providers.probe ?? [];
  const attempt = (p: ProviderName) => probe.find((a) => a.provider === p);
  const available = engine?.providers.available ?? [];
  const cudaMissing = attempt('cuda')?.reason?.includes('provider is not installed') ?? false;

  return (
    <Dialog open={open} title="Settings" onClose={() => setDialog('settings', false)} wide testId="settings">
      <section className="settings-section">
        <h3>Inference</h3>
        <label className="field">
          <span>Execution provider</span>
          <select
            value={settings.inference.provider}
            onChange={(e) => {
              const provider = e.target.value as Settings['inference']['provider'];
              void save({ inference: { provider } }, `execution provider ${provider === 'auto' ? 'automatic' : providerLabel(provider)}`);
            }}
            data-testid="provider-select"
          >
            <option value="auto">Automatic ({engine?.providers.chain.join(' → ') ?? '…'})</option>
            {available.map((p) => {
              const a = attempt(p);
              const works = a?.ok ?? false;
              return (
                <option key={p} value={p} disabled={!works && settings.inference.provider !== p} title={a?.reason ?? undefined}>
                  {providerLabel(p)}{works ? '' : ' — unavailable here'}
                </option>
              );
            })}
          </select>
        </label>
        {available.some((p) => INDEXED.includes(p)) && (
          <NumberField label="GPU index" min={0} max={15} value={settings.inference.deviceId} onCommit={(v) => void save({ inference: { deviceId: v } }, `GPU index ${v}`)} hint="Which GPU, when there are several (0 is the first)." />
        )}
        <NumberField label="CPU threads" min={0} max={256} value={settings.inference.intraOpThreads} onCommit={(v) => void save({ inference: { intraOpThreads: v } }, `CPU threads ${v === 0 ? 'automatic' : v}`)} hint="0 lets onnxruntime choose (one per core)." testId="threads-input" />
        {engine && (
          <table className="provider-table" data-testid="provider-table">
            <thead>
              <tr><th>Provider</th><th>On this computer</th></tr>
            </thead>
            <tbody>
              {probe.map((a) => (
                <tr key={a.provider} data-provider={a.provider}>
                  <td>{providerLabel(a.provider)}{engine.providers.active === a.provider ? <span className="in-use"> in use</span> : ''}</td>
                  <td className={a.ok ? 'ok' : 'muted'}>{a.ok ? `works (${a.ms.toFixed(0)} ms to start)` : a.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {available.includes('cuda') && (
          <div className="gpu-setup" data-testid="gpu-setup">
            <p className="muted small">
              NVIDIA GPU: onnxruntime's CUDA provider is an opt-in download (about 400 MB from NuGet; CUDA 12 and cuDNN 9 must be installed). Run <code>npm run setup:cuda</code> in the Iriscope folder, or install it from here where this computer reaches the internet.
            </p>
            {job && (job.state === 'running' || job.state === 'queued') ? (
              <JobProgress job={job} onCancel={() => void cancelJob(job.id)} testId="cuda-install-progress" />
            ) : (
              <button type="button" className="button" onClick={() => void installCuda()} data-testid="cuda-install" disabled={!cudaMissing}>
                {cudaMissing ? 'Install the CUDA provider' : 'CUDA provider installed'}
              </button>
            )}
          </div>
        )}
      </section>
      <section className="settings-section">
        <h3>Images</h3>
        <NumberField label="Largest image to open" unit="megapixels" min={1} max={20000} step={100} value={settings.images.maxMegapixels} onCommit={(v) => void save({ images: { maxMegapixels: v } }, `largest image ${v.toLocaleString()} megapixels`)} hint={`${Math.round(Math.sqrt(settings.images.maxMegapixels * 1e6)).toLocaleString()} px a side; larger files are refused before anything is decoded.`} testId="max-megapixels" />
        <label className="field">
          <span>Pyramid cache</span>
          <select value={settings.images.pyramidCompression} onChange={(e) => void save({ images: { pyramidCompression: e.target.value as 'jpeg' | 'deflate' } }, e.target.value === 'jpeg' ? 'pyramid cache JPEG' : 'pyramid cache lossless')}>
            <option value="jpeg">JPEG (small, fast)</option>
            <option value="deflate">Lossless (about 3× larger, slower to build)</option>
          </select>
        </label>
      </section>
      <section className="settings-section">
        <h3>Models</h3>
        <ul className="model-list">
          {engine?.models.map((m) => (
            <li key={m.id} className={m.valid ? '' : 'invalid'}>
              <div><strong>{m.name}</strong> <span className="muted small">{m.id} · {m.task} · {m.license}{m.builtin ? '' : ' · imported'}</span></div>
              {!m.valid && m.error && <div className="inline-error">{m.error.message}</div>}
            </li>
          ))}
          {engine && !engine.models.length && <li className="muted">No models installed.</li>}
        </ul>
        <form
          className="import-row"
          onSubmit={(e) => {
            e.preventDefault();
            void importModel(importPath);
          }}
        >
          <input placeholder="Folder with manifest.json and the ONNX files, or a YOLO .onnx" value={importPath} onChange={(e) => setImportPath(e.target.value)} />
          <button
            type="button"
            className="button"
            onClick={async () => {
              const picked = await api.desktop?.openFileDialog({ directory: true });
              if (picked?.[0]) setImportPath(picked[0]);
            }}
            hidden={!api.desktop}
          >
            Browse…
          </button>
          <button type="submit" className="button primary" disabled={!importPath}>Import model</button>
        </form>
      </section>
    </Dialog>
  );
}

/** A number saved when it is complete (Enter or leaving the field), not at every keystroke; out of range is said, not saved. */
function NumberField({ label, unit, min, max, step = 1, value, onCommit, hint, testId }: { label: string; unit?: string; min: number; max: number; step?: number; value: number; onCommit(v: number): void; hint?: string; testId?: string }) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const n = Number(draft);
  const valid = draft.trim() !== '' && Number.isInteger(n) && n >= min && n <= max;
  const commit = () => {
    if (valid && n !== value) onCommit(n);
    if (!valid) setDraft(String(value));
  };
  return (
    <label className="field">
      <span>{label}{unit ? <span className="muted"> ({unit})</span> : null}</span>
      <span className="number-field">
        <input
          type="number"
          min={min}
          max={max}
          step={step}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
          }}
          className={valid ? '' : 'invalid'}
          data-testid={testId}
        />
        <span className={`muted small${valid ? '' : ' inline-error'}`}>{valid ? hint : `A whole number from ${min} to ${max.toLocaleString()}.`}</span>
      </span>
    </label>
  );
}
