import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { ImageInfo, ModelInfo } from '../../../electron/common/contract';
import { CLASS_COLOURS, type DetectExportFormat, type Detection } from '../../../electron/common/detect-contract';
import { api } from '../api/client';
import { Dialog } from '../components/Dialog';
import { useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { detectionsOf, listenForDetectJobs, useDetect, visibleDetections } from './detect-store';
import './detect.css';

const EXTENSION: Record<DetectExportFormat, string> = { coco: 'coco.json', yolo: 'yolo.txt', csv: 'csv', geojson: 'geojson', png: 'detections.png', jpeg: 'detections.jpg' };
const EXPORTS: Array<{ format: DetectExportFormat; label: string }> = [
  { format: 'geojson', label: 'GeoJSON' },
  { format: 'coco', label: 'COCO' },
  { format: 'yolo', label: 'YOLO' },
  { format: 'csv', label: 'CSV' },
  { format: 'png', label: 'Image' },
];

/** `/data/scene.tif` → `/data/scene.geojson` (same folder, never the original's name). */
export function suggestPath(original: string, format: DetectExportFormat): string {
  const cut = Math.max(original.lastIndexOf('/'), original.lastIndexOf('\\'));
  const name = original.slice(cut + 1);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  return `${original.slice(0, cut + 1)}${stem}.${EXTENSION[format]}`;
}

const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`);

/**
 * The Detect tool: pick cascade or tiled and a model, run with progress
 * (stage-1 tiles, crops refined) and cancel, move the score threshold
 * (instant) and the cascade settings (re-applied without stage 1), browse the
 * detections (a click pans the view to one), and export.
 */
export function DetectPanel({ image, viewer }: { image: ImageInfo; viewer: RefObject<ViewerHandle | null> }) {
  const entry = useDetect((s) => detectionsOf(s, image.id));
  const { run, load, configure, setScore, refilter, exportTo } = useDetect.getState();
  const lastExport = useDetect((s) => s.lastExport);
  const exporting = useDetect((s) => s.exporting);
  const job = useApp((s) => (entry.jobId ? s.jobs[entry.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [saving, setSaving] = useState<{ format: DetectExportFormat; path: string } | null>(null);

  useEffect(() => {
    listenForDetectJobs();
    useDetect.setState({ selected: null });
    if (!useDetect.getState().byImage[image.id]?.result) void load(image.id);
  }, [image.id, load]);

  useEffect(() => {
    api.listModels().then((list) => setModels(list.filter((m) => m.task === 'detection' && m.valid)), () => setModels([]));
  }, []);

  const running = job !== null && (job.state === 'running' || job.state === 'queued');
  const result = entry.result;
  const shown = visibleDetections(entry);
  const counts = useMemo(() => {
    const c = new Map<number, number>();
    if (result) for (const d of result.detections) if (d.score >= entry.scoreThreshold) c.set(d.class, (c.get(d.class) ?? 0) + 1);
    return c;
  }, [result, entry.scoreThreshold]);
  const t = result ? { ...result.thresholds, ...(entry.pending ?? {}) } : null;

  const startExport = async (format: DetectExportFormat) => {
    const suggested = suggestPath(image.path, format);
    if (api.desktop) {
      const ext = EXTENSION[format].split('.').pop()!;
      const chosen = await api.desktop.saveFileDialog({ defaultPath: suggested, filters: [{ name: format.toUpperCase(), extensions: [ext] }] });
      if (chosen) await exportTo(image.id, format, chosen, format === 'png', true);
    } else {
      setSaving({ format, path: suggested });
    }
  };

  return (
    <div className="detect-panel" data-testid="detect-panel">
      <div className="detect-controls">
        <div className="segmented" role="radiogroup" aria-label="Detection mode">
          {(['cascade', 'tiled'] as const).map((mode) => (
            <button key={mode} type="button" role="radio" aria-checked={entry.mode === mode} className={entry.mode === mode ? 'active' : ''} onClick={() => configure(image.id, { mode })} data-testid={`detect-mode-${mode}`} disabled={running}>
              {mode === 'cascade' ? 'Cascade' : 'Tiled'}
            </button>
          ))}
        </div>
        <select className="detect-model" value={entry.modelId ?? ''} onChange={(e) => configure(image.id, { modelId: e.target.value || null })} disabled={running} data-testid="detect-model" aria-label="Model">
          <option value="">Best installed model</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
      </div>
      <p className="muted small detect-mode-note">
        {entry.mode === 'cascade'
          ? 'Looks at the whole image at 1/4 resolution, then reads at full resolution only where objects or groups are.'
          : 'Runs the detector on every window at full resolution: slower, the baseline.'}
      </p>
      <div className="detect-head">
        <button type="button" className="button primary" onClick={() => void run(image.id)} disabled={running || image.pyramid.state === 'failed'} data-testid="detect-run">
          {result ? 'Detect again' : 'Detect objects'}
        </button>
        {result && !running && (
          <span className="detect-count" data-testid="detect-count">
            {shown.length} object{shown.length === 1 ? '' : 's'}
          </span>
        )}
      </div>

      {running && job && (
        <div className="detect-progress" data-testid="detect-progress">
          <div className={`progress ${job.progress === null ? 'indeterminate' : ''}`}>
            <div className="progress-bar" style={{ width: `${Math.round((job.progress ?? 0.3) * 100)}%` }} />
          </div>
          <div className="detect-progress-row">
            <span className="muted small" data-testid="detect-progress-message">{job.message ?? 'Waiting…'}</span>
            <button type="button" className="button subtle small" onClick={() => void cancelJob(job.id)} data-testid="detect-cancel">
              Cancel
            </button>
          </div>
        </div>
      )}
      {job?.state === 'failed' && job.error && (
        <p className="inline-error" role="alert" data-testid="detect-error">
          {job.error.message}
        </p>
      )}
      {job?.state === 'cancelled' && !running && <p className="muted small" data-testid="detect-cancelled">Cancelled: nothing was kept from that run.</p>}

      {result && t && (
        <>
          <p className="muted small detect-summary" data-testid="detect-summary">
            {result.mode === 'cascade'
              ? `${result.stats.tiles} tiles · ${result.crops.length} crops · ${(result.stats.areaFullRes * 100).toFixed(1)}% read at full res · ${fmtMs(result.stats.totalMs)}`
              : `${result.stats.tiles} windows · ${fmtMs(result.stats.totalMs)}`}
          </p>
          <div className="detect-sliders">
            <Slider label="Score" testId="detect-score" min={result.floor} max={0.99} step={0.01} value={entry.scoreThreshold} onChange={(v) => setScore(image.id, v)} />
            {result.mode === 'cascade' && (
              <>
                <Slider label="γ crops / tile" testId="detect-gamma" min={0} max={16} step={1} value={t.gamma} onChange={(v) => refilter(image.id, { gamma: v })} digits={0} />
                <Slider label="τ low · crop" testId="detect-tau-low" min={0.01} max={0.9} step={0.01} value={t.tauLow} onChange={(v) => refilter(image.id, { tauLow: v })} />
                <Slider label="τ high · keep" testId="detect-tau-high" min={0.3} max={1.01} step={0.01} value={t.tauHigh} onChange={(v) => refilter(image.id, { tauHigh: v })} />
              </>
            )}
            <p className="muted small detect-refilter" data-testid="detect-refilter-state">
              {entry.refiltering || entry.pending ? 'Applying…' : result.mode === 'cascade' ? 'Settings apply without re-running stage 1.' : '\u00a0'}
            </p>
          </div>
          <div className="detect-legend">
            {result.labels.map((label, cls) => (
              <label key={label} className={`legend-item${entry.hiddenClasses.includes(cls) ? ' off' : ''}`}>
                <input
                  type="checkbox"
                  checked={!entry.hiddenClasses.includes(cls)}
                  onChange={(e) => configure(image.id, { hiddenClasses: e.target.checked ? entry.hiddenClasses.filter((c) => c !== cls) : [...entry.hiddenClasses, cls] })}
                />
                <span className="legend-swatch" style={{ background: CLASS_COLOURS[cls % CLASS_COLOURS.length] }} />
                {label} <span className="muted">{counts.get(cls) ?? 0}</span>
              </label>
            ))}
            {result.mode === 'cascade' && (
              <label className="legend-item">
                <input type="checkbox" checked={entry.showCrops} onChange={(e) => configure(image.id, { showCrops: e.target.checked })} data-testid="detect-show-crops" />
                <span className="legend-swatch dashed" />
                crops
              </label>
            )}
          </div>
          <DetectionList detections={shown} viewer={viewer} />
          {!shown.length && <p className="muted detect-none">No objects at this threshold.</p>}
          <div className="detect-footer">
            <div className="detect-export">
              <span className="muted small">Export</span>
              {EXPORTS.map((e) => (
                <button
                  key={e.format}
                  type="button"
                  className="button small"
                  onClick={() => void startExport(e.format)}
                  data-testid={`detect-export-${e.format}`}
                  disabled={exporting !== null || (e.format === 'geojson' && (!image.geo || image.geo.problem !== null))}
                  title={e.format === 'geojson' && !image.geo ? 'The image has no georeferencing' : e.format === 'geojson' && image.geo?.problem ? `Unusable georeferencing: ${image.geo.problem}` : undefined}
                >
                  {e.label}
                </button>
              ))}
            </div>
            {exporting && <p className="muted small">Exporting {exporting}…</p>}
            {lastExport?.imageId === image.id && (
              <p className="muted small detect-saved" data-testid="detect-export-status" title={lastExport.path}>
                Saved {lastExport.detections} detection{lastExport.detections === 1 ? '' : 's'} to {lastExport.path}
              </p>
            )}
            <p className="muted small">
              {result.models.stage1 && result.models.stage1 !== result.models.detector ? `${result.models.stage1} → ${result.models.detector}` : result.models.detector}
              {result.stats.providers.length ? ` · ${[...new Set(result.stats.providers.map((p) => p.split(': ')[1]))].join(', ')}` : ''}
            </p>
          </div>
        </>
      )}
      {!result && !running && job?.state !== 'failed' && (
        <p className="muted detect-intro">Finds vehicles, boats and planes in aerial images of any size (10–16 cm per pixel works best). Runs on this computer.</p>
      )}
      <SaveDialog
        saving={saving}
        onClose={() => setSaving(null)}
        onSave={async (path) => {
          if (saving && (await exportTo(image.id, saving.format, path, saving.format === 'png'))) setSaving(null);
        }}
      />
    </div>
  );
}

function Slider({ label, testId, min, max, step, value, onChange, digits = 2 }: { label: string; testId: string; min: number; max: number; step: number; value: number; onChange: (v: number) => void; digits?: number }) {
  return (
    <label className="detect-slider">
      <span>{label}</span>
      <input type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId} />
      <span className="mono">{value.toFixed(digits)}</span>
    </label>
  );
}

const ROW = 28;

/** A windowed list: only the rows in view exist in the DOM, whatever the count. */
function DetectionList({ detections, viewer }: { detections: Detection[]; viewer: RefObject<ViewerHandle | null> }) {
  const selected = useDetect((s) => s.selected);
  const select = useDetect((s) => s.select);
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const height = 220;
  const first = Math.max(0, Math.floor(scroll / ROW) - 4);
  const last = Math.min(detections.length, Math.ceil((scroll + height) / ROW) + 4);

  useEffect(() => {
    if (selected === null || !box.current) return;
    const at = detections.findIndex((d) => d.id === selected);
    if (at < 0) return;
    const top = at * ROW;
    if (top < box.current.scrollTop || top + ROW > box.current.scrollTop + height) box.current.scrollTop = Math.max(0, top - height / 2);
  }, [selected, detections]);

  if (!detections.length) return null;
  return (
    <div className="detect-list" ref={box} style={{ height: Math.min(height, detections.length * ROW + 2) }} onScroll={(e) => setScroll(e.currentTarget.scrollTop)} data-testid="detect-list" data-count={detections.length}>
      <div style={{ height: detections.length * ROW, position: 'relative' }}>
        {detections.slice(first, last).map((d, k) => {
          const [x, y, w, h] = d.box;
          return (
            <button
              key={d.id}
              type="button"
              className={`detect-row${d.id === selected ? ' selected' : ''}`}
              style={{ top: (first + k) * ROW }}
              data-testid="detect-row"
              data-id={d.id}
              onClick={() => {
                select(d.id);
                const side = Math.max(w, h, 24) * 8;
                viewer.current?.showRegion({ x: x + w / 2 - side / 2, y: y + h / 2 - side / 2, width: side, height: side });
              }}
            >
              <span className="legend-swatch" style={{ background: CLASS_COLOURS[d.class % CLASS_COLOURS.length] }} />
              <span className="detect-row-label">{d.label}</span>
              <span className={`detect-stage ${d.stage}`} title={d.stage === 'shortcut' ? 'Kept from stage 1' : d.stage === 'refined' ? 'Found in a full-resolution crop' : 'Tiled detector'}>
                {d.stage === 'shortcut' ? 'S1' : d.stage === 'refined' ? 'S2' : 'T'}
              </span>
              <span className="mono muted detect-row-pos">{Math.round(x + w / 2)}, {Math.round(y + h / 2)}</span>
              <span className="mono detect-row-score">{d.score.toFixed(2)}</span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** Browser transport: the engine writes on its own machine, to a path typed here. */
function SaveDialog({ saving, onClose, onSave }: { saving: { format: DetectExportFormat; path: string } | null; onClose: () => void; onSave: (path: string) => Promise<void> }) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (saving) setPath(saving.path);
  }, [saving]);
  const label = saving ? (saving.format === 'png' ? 'an annotated image' : saving.format.toUpperCase()) : '';
  return (
    <Dialog open={saving !== null} title={`Export detections as ${label}`} onClose={onClose} testId="detect-save-dialog">
      <form
        className="detect-save"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void onSave(path.trim()).finally(() => setBusy(false));
        }}
      >
        <label className="muted small" htmlFor="detect-save-path">
          File on the engine's computer
        </label>
        <input id="detect-save-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} data-testid="detect-save-path" spellCheck={false} autoFocus />
        <p className="muted small">
          {saving?.format === 'png' ? 'A downscaled overview with every box, and full-resolution crops of the best detections under it. ' : ''}
          Written in one go (no half-written file if something fails). The original is never overwritten.
        </p>
        <div className="detect-save-buttons">
          <button type="button" className="button subtle" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!path.trim() || busy} data-testid="detect-save-confirm">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
