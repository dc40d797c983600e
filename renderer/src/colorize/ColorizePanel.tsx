import { useEffect, useState } from 'react';
import { COLORIZE_MAX_SAMPLES, COLORIZE_MAX_TEMPERATURE, type ColorizeExportFormat } from '../../../electron/common/colorize-contract';
import type { ImageInfo } from '../../../electron/common/contract';
import { api } from '../api/client';
import { Dialog } from '../components/Dialog';
import { useApp } from '../state/store';
import { listenForColorizeJobs, parseSeed, photoOf, useColorize } from './colorize-store';
import './colorize.css';

const EXTENSION: Record<ColorizeExportFormat, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };

/** `/photos/boats.jpg`, sample 3, seed 7 → `/photos/boats.colorized-s7-3.jpg` (never the original's name). */
export function suggestColorizePath(original: string, seed: number, batchIndex: number, ext: string): string {
  const cut = Math.max(original.lastIndexOf('/'), original.lastIndexOf('\\'));
  const dir = original.slice(0, cut + 1);
  const name = original.slice(cut + 1);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  return `${dir}${stem}.colorized-s${seed}-${batchIndex + 1}.${ext}`;
}

function formatOf(image: ImageInfo): ColorizeExportFormat {
  return image.format === 'jpeg' ? 'jpeg' : image.format === 'webp' ? 'webp' : image.format === 'tiff' ? 'tiff' : 'png';
}

/**
 * The Colorize tool: sample N colorizations (seeded, with a temperature),
 * watch the progress, see them as a gallery beside the original (zoom and
 * pan synchronized) or one against the original with a before/after slider,
 * resample with a seed or add more samples, and export one at full resolution.
 */
export function ColorizePanel({ image }: { image: ImageInfo }) {
  const photo = useColorize((s) => photoOf(s, image.id));
  const { samples, temperature, seed, modelId, colorizers, view, lastExport } = useColorize();
  const { run, load, loadPreview, loadColorizers, select, set, exportTo } = useColorize.getState();
  const job = useApp((s) => (photo.jobId ? s.jobs[photo.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);
  const [saving, setSaving] = useState<{ index: number; path: string; format: ColorizeExportFormat } | null>(null);

  useEffect(() => {
    listenForColorizeJobs();
    set({ panelOpen: true });
    return () => set({ panelOpen: false });
  }, [set]);

  useEffect(() => {
    if (!useColorize.getState().colorizers.length) void loadColorizers();
  }, [loadColorizers]);

  const ready = image.pyramid.state === 'ready';
  useEffect(() => {
    if (!ready) return;
    const current = photoOf(useColorize.getState(), image.id);
    if (!current.gallery) void load(image.id);
    if (!current.preview) void loadPreview(image.id);
  }, [image.id, ready, load, loadPreview]);

  const running = job !== null && (job.state === 'running' || job.state === 'queued');
  const gallery = photo.gallery;
  const selected = gallery?.samples[photo.selected] ?? null;
  const seedValue = parseSeed(seed);
  const disabled = running || !ready;

  const startExport = async () => {
    if (!selected) return;
    const format = formatOf(image);
    const suggested = suggestColorizePath(image.path, selected.seed, selected.batchIndex, EXTENSION[format]);
    if (api.desktop) {
      const chosen = await api.desktop.saveFileDialog({ defaultPath: suggested, filters: [{ name: format.toUpperCase(), extensions: [EXTENSION[format]] }] });
      if (chosen) await exportTo(image.id, selected.index, chosen, undefined, true);
    } else {
      setSaving({ index: selected.index, path: suggested, format });
    }
  };

  return (
    <div className="colorize-panel" data-testid="colorize-panel">
      <div className="colorize-head">
        <button type="button" className="button primary" onClick={() => void run(image.id, 'new')} disabled={disabled} data-testid="colorize-run">
          {gallery ? 'Colorize again' : 'Colorize'}
        </button>
        {gallery && !running && (
          <span className="colorize-count" data-testid="colorize-count">
            {gallery.samples.length} sample{gallery.samples.length === 1 ? '' : 's'}
          </span>
        )}
      </div>

      <div className="colorize-settings">
        <label className="colorize-slider">
          <span>Samples</span>
          <input type="range" min={1} max={COLORIZE_MAX_SAMPLES} step={1} value={samples} onChange={(e) => set({ samples: Number(e.target.value) })} data-testid="colorize-samples" />
          <span className="mono">{samples}</span>
        </label>
        <label className="colorize-slider" title="0: the most likely colours. 1: as the model learned them. Higher: bolder, stranger.">
          <span>Temperature</span>
          <input type="range" min={0} max={COLORIZE_MAX_TEMPERATURE} step={0.05} value={temperature} onChange={(e) => set({ temperature: Number(e.target.value) })} data-testid="colorize-temperature" />
          <span className="mono">{temperature.toFixed(2)}</span>
        </label>
        <div className="colorize-seed">
          <label htmlFor="colorize-seed-input">Seed</label>
          <input
            id="colorize-seed-input"
            className={`mono ${seed && seedValue === null ? 'invalid' : ''}`}
            value={seed}
            placeholder="random"
            inputMode="numeric"
            onChange={(e) => set({ seed: e.target.value })}
            data-testid="colorize-seed"
            spellCheck={false}
          />
          <button
            type="button"
            className="button small"
            onClick={() => void run(image.id, 'seed')}
            disabled={disabled || seedValue === null}
            title="The same seed, sample count, temperature and model give the same colorizations"
            data-testid="colorize-resample"
          >
            Resample with this seed
          </button>
        </div>
        {colorizers.length > 1 && (
          <label className="colorize-model">
            <span>Model</span>
            <select value={modelId ?? ''} onChange={(e) => set({ modelId: e.target.value })} data-testid="colorize-model">
              {colorizers.map((c) => (
                <option key={c.id} value={c.id} title={c.name}>
                  {c.id} · {c.inputSize}² → {c.grid}²{c.default ? ' ★' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      {running && job && (
        <div className="colorize-progress" data-testid="colorize-progress">
          <div className={`progress ${job.progress === null ? 'indeterminate' : ''}`}>
            <div className="progress-bar" style={{ width: `${Math.round((job.progress ?? 0.3) * 100)}%` }} />
          </div>
          <div className="colorize-progress-row">
            <span className="muted small">{job.message ?? 'Waiting…'}</span>
            <button type="button" className="button subtle small" onClick={() => void cancelJob(job.id)} data-testid="colorize-cancel">
              Cancel
            </button>
          </div>
        </div>
      )}
      {job?.state === 'failed' && job.error && (
        <p className="inline-error" role="alert">
          {job.error.message}
        </p>
      )}

      {!gallery && (
        <div className="colorize-intro">
          {photo.preview ? (
            <figure className="colorize-preview" data-testid="colorize-preview">
              <img src={photo.preview.thumbnail} alt="One-pass colour preview" />
              <figcaption className="muted small">Instant one-pass preview ({Math.round(photo.preview.ms)} ms). Colorize draws several plausible colorizations instead of this average.</figcaption>
            </figure>
          ) : (
            <p className="muted">Draws several plausible colorizations of a black-and-white photo at full resolution. Runs on this computer; colour photos are colorized from their gray.</p>
          )}
        </div>
      )}

      {gallery && (
        <>
          <div className="colorize-views" role="group" aria-label="Show">
            <button type="button" className={`segment ${view === 'gallery' ? 'active' : ''}`} onClick={() => set({ view: 'gallery' })} data-testid="colorize-view-gallery">
              Gallery
            </button>
            <button type="button" className={`segment ${view === 'compare' ? 'active' : ''}`} onClick={() => set({ view: 'compare' })} data-testid="colorize-view-compare">
              Before / after
            </button>
          </div>
          <ul className="colorize-thumbs" data-testid="colorize-thumbs">
            {gallery.samples.map((s) => (
              <li key={s.imageId}>
                <button
                  type="button"
                  className={`colorize-thumb${s.index === photo.selected ? ' selected' : ''}`}
                  onClick={() => select(image.id, s.index)}
                  onDoubleClick={() => {
                    select(image.id, s.index);
                    set({ view: 'compare' });
                  }}
                  data-testid="colorize-sample"
                  data-index={s.index}
                  data-seed={s.seed}
                  title={`Sample ${s.index + 1} · seed ${s.seed} (#${s.batchIndex + 1} of ${s.batchSize}) · temperature ${s.temperature.toFixed(2)}`}
                >
                  <img src={s.thumbnail} alt={`Colorization ${s.index + 1}`} />
                  <span className="colorize-thumb-label">{s.index + 1}</span>
                </button>
              </li>
            ))}
          </ul>
          <button type="button" className="button" onClick={() => void run(image.id, 'more')} disabled={disabled} data-testid="colorize-more">
            More samples (+{samples})
          </button>
          <div className="colorize-footer">
            {selected && (
              <p className="muted small" data-testid="colorize-selected">
                Sample {selected.index + 1}: seed {selected.seed}, #{selected.batchIndex + 1} of {selected.batchSize}, temperature {selected.temperature.toFixed(2)}
              </p>
            )}
            <button type="button" className="button" onClick={() => void startExport()} disabled={!selected} data-testid="colorize-export">
              Export sample {selected ? selected.index + 1 : ''} at full resolution…
            </button>
            {lastExport?.imageId === image.id && (
              <p className="muted small colorize-saved" data-testid="colorize-export-status" title={lastExport.path}>
                Saved {lastExport.path}
              </p>
            )}
            <p className="muted small">
              {gallery.width.toLocaleString()} × {gallery.height.toLocaleString()} px · {gallery.model.name} · last run {(gallery.runs.at(-1)!.timing.totalMs / 1000).toFixed(1)} s
              (sampling {Math.round(gallery.runs.at(-1)!.timing.sampleMs)} ms)
            </p>
          </div>
        </>
      )}

      <SaveDialog
        saving={saving}
        onClose={() => setSaving(null)}
        onSave={async (path) => {
          if (saving && (await exportTo(image.id, saving.index, path))) setSaving(null);
        }}
      />
    </div>
  );
}

/** Browser transport: the engine writes on its own machine, to a path typed here. */
function SaveDialog({ saving, onClose, onSave }: { saving: { index: number; path: string } | null; onClose: () => void; onSave: (path: string) => Promise<void> }) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (saving) setPath(saving.path);
  }, [saving]);
  return (
    <Dialog open={saving !== null} title={`Export colorization ${saving ? saving.index + 1 : ''}`} onClose={onClose} testId="colorize-save-dialog">
      <form
        className="colorize-save"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void onSave(path.trim()).finally(() => setBusy(false));
        }}
      >
        <label className="muted small" htmlFor="colorize-save-path">
          File on the engine's computer (.jpg, .png, .tif or .webp)
        </label>
        <input id="colorize-save-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} data-testid="colorize-save-path" spellCheck={false} autoFocus />
        <p className="muted small">Full resolution, the photo's EXIF kept. Written in one go (no half-written file if something fails); the original is never overwritten.</p>
        <div className="colorize-save-buttons">
          <button type="button" className="button subtle" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!path.trim() || busy} data-testid="colorize-save-confirm">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
