import { useState } from 'react';
import { PROVIDER_NAMES } from '../../../electron/common/contract';
import { api } from '../api/client';
import { useApp } from '../state/store';
import { Dialog } from './Dialog';

/** Settings: execution provider, threads, image limits, and the installed models. */
export function SettingsDialog() {
  const open = useApp((s) => s.dialogs.settings);
  const setDialog = useApp((s) => s.setDialog);
  const settings = useApp((s) => s.settings);
  const engine = useApp((s) => s.engine);
  const update = useApp((s) => s.updateSettings);
  const refreshEngine = useApp((s) => s.refreshEngine);
  const notify = useApp((s) => s.notify);
  const [importPath, setImportPath] = useState('');

  if (!settings) return null;
  const importModel = async (path: string) => {
    try {
      await api.importModel({ path });
      setImportPath('');
      await refreshEngine();
    } catch (error) {
      notify(error, 'Importing the model');
    }
  };

  return (
    <Dialog open={open} title="Settings" onClose={() => setDialog('settings', false)} wide testId="settings">
      <section className="settings-section">
        <h3>Inference</h3>
        <label className="field">
          <span>Execution provider</span>
          <select value={settings.inference.provider} onChange={(e) => void update({ inference: { provider: e.target.value as typeof settings.inference.provider } })} data-testid="provider-select">
            <option value="auto">Automatic ({engine?.providers.chain.join(' → ') ?? '…'})</option>
            {PROVIDER_NAMES.map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>GPU index</span>
          <input type="number" min={0} max={15} value={settings.inference.deviceId} onChange={(e) => void update({ inference: { deviceId: Number(e.target.value) } })} />
        </label>
        <label className="field">
          <span>CPU threads (0 = automatic)</span>
          <input type="number" min={0} max={256} value={settings.inference.intraOpThreads} onChange={(e) => void update({ inference: { intraOpThreads: Number(e.target.value) } })} />
        </label>
        {engine && (
          <table className="provider-table" data-testid="provider-table">
            <thead>
              <tr><th>Provider</th><th>Status</th></tr>
            </thead>
            <tbody>
              {engine.providers.probe.map((a) => (
                <tr key={a.provider}>
                  <td>{a.provider}{engine.providers.active === a.provider ? ' (in use)' : ''}</td>
                  <td className={a.ok ? 'ok' : 'muted'}>{a.ok ? `works (${a.ms.toFixed(0)} ms to start)` : a.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="settings-section">
        <h3>Images</h3>
        <label className="field">
          <span>Largest image to open (megapixels)</span>
          <input type="number" min={1} max={20000} value={settings.images.maxMegapixels} onChange={(e) => void update({ images: { maxMegapixels: Number(e.target.value) } })} />
        </label>
        <label className="field">
          <span>Pyramid cache</span>
          <select value={settings.images.pyramidCompression} onChange={(e) => void update({ images: { pyramidCompression: e.target.value as 'jpeg' | 'deflate' } })}>
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
          <input placeholder="Folder with manifest.json and the ONNX files" value={importPath} onChange={(e) => setImportPath(e.target.value)} />
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
