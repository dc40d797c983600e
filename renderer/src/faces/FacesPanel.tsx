import { useEffect, useRef, useState, type RefObject } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import type { Face, FaceExportFormat } from '../../../electron/common/faces-contract';
import { api } from '../api/client';
import { Dialog } from '../components/Dialog';
import { useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { facesOf, listenForFaceJobs, useFaces, visibleFaces } from './faces-store';
import './faces.css';

const EMOTION_SHORT: Record<string, string> = { angry: 'ang', disgust: 'dis', fear: 'fea', happy: 'hap', sad: 'sad', surprise: 'sur', neutral: 'neu' };

/** `/photos/group.jpg` → `/photos/group.faces.png` (same folder, never the original's name). */
export function suggestExportPath(original: string, ext: string): string {
  const cut = Math.max(original.lastIndexOf('/'), original.lastIndexOf('\\'));
  const dir = original.slice(0, cut + 1);
  const name = original.slice(cut + 1);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  return `${dir}${stem}.faces.${ext}`;
}

const EXPORTS: Array<{ key: string; label: string; format: (image: ImageInfo) => FaceExportFormat; testId: string }> = [
  { key: 'image', label: 'Annotated image', format: (image) => (image.format === 'jpeg' ? 'jpeg' : 'png'), testId: 'faces-export-image' },
  { key: 'json', label: 'JSON', format: () => 'json', testId: 'faces-export-json' },
  { key: 'csv', label: 'CSV', format: () => 'csv', testId: 'faces-export-csv' },
];

const EXTENSION: Record<FaceExportFormat, string> = { jpeg: 'jpg', png: 'png', json: 'json', csv: 'csv' };

/**
 * The Faces tool: run the detector, watch its progress, move the threshold
 * (re-filters at once), browse the faces as cards linked to their boxes on
 * the image, and export the annotated image, JSON or CSV.
 */
export function FacesPanel({ image, viewer }: { image: ImageInfo; viewer: RefObject<ViewerHandle | null> }) {
  const entry = useFaces((s) => facesOf(s, image.id));
  const run = useFaces((s) => s.run);
  const load = useFaces((s) => s.load);
  const setThreshold = useFaces((s) => s.setThreshold);
  const exportTo = useFaces((s) => s.exportTo);
  const lastExport = useFaces((s) => s.lastExport);
  const job = useApp((s) => (entry.jobId ? s.jobs[entry.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);
  const [saving, setSaving] = useState<{ format: FaceExportFormat; path: string } | null>(null);

  useEffect(() => {
    listenForFaceJobs();
    useFaces.setState({ hovered: null, selected: null });
    // A result may exist already (run before a reload, or from another window).
    if (!useFaces.getState().byImage[image.id]?.result) void load(image.id);
  }, [image.id, load]);

  const running = job !== null && (job.state === 'running' || job.state === 'queued');
  const result = entry.result;
  const faces = visibleFaces(entry);

  const startExport = async (format: FaceExportFormat) => {
    const suggested = suggestExportPath(image.path, EXTENSION[format]);
    if (api.desktop) {
      const chosen = await api.desktop.saveFileDialog({ defaultPath: suggested, filters: [{ name: format.toUpperCase(), extensions: [EXTENSION[format]] }] });
      if (chosen) await exportTo(image.id, format, chosen, true);
    } else {
      setSaving({ format, path: suggested });
    }
  };

  return (
    <div className="faces-panel" data-testid="faces-panel">
      <div className="faces-head">
        <button type="button" className="button primary" onClick={() => void run(image.id)} disabled={running || image.pyramid.state === 'failed'} data-testid="faces-run">
          {result ? 'Find faces again' : 'Find faces'}
        </button>
        {result && !running && (
          <span className="faces-count" data-testid="faces-count">
            {faces.length} face{faces.length === 1 ? '' : 's'}
          </span>
        )}
      </div>

      {running && job && (
        <div className="faces-progress" data-testid="faces-progress">
          <div className={`progress ${job.progress === null ? 'indeterminate' : ''}`}>
            <div className="progress-bar" style={{ width: `${Math.round((job.progress ?? 0.3) * 100)}%` }} />
          </div>
          <div className="faces-progress-row">
            <span className="muted small">{job.message ?? 'Waiting…'}</span>
            <button type="button" className="button subtle small" onClick={() => void cancelJob(job.id)}>
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
      {!result && !running && job?.state !== 'failed' && (
        <p className="muted faces-intro">
          Finds every face, small ones included, and reads an age, a gender and an expression for each in one pass. Runs on this computer.
        </p>
      )}

      {result && (
        <label className="faces-threshold">
          <span>Detection threshold</span>
          <input
            type="range"
            min={result.floor}
            max={0.99}
            step={0.01}
            value={entry.threshold}
            onChange={(e) => setThreshold(image.id, Number(e.target.value))}
            data-testid="faces-threshold"
          />
          <span className="mono">{entry.threshold.toFixed(2)}</span>
        </label>
      )}

      {result && (
        <ul className="face-cards" data-testid="face-cards">
          {faces.map((face) => (
            <FaceCard key={face.id} face={face} viewer={viewer} />
          ))}
        </ul>
      )}
      {result && !faces.length && <p className="muted faces-none">No faces at this threshold.</p>}

      {result && (
        <div className="faces-footer">
          <div className="faces-export">
            <span className="muted small">Export</span>
            {EXPORTS.map((e) => (
              <button key={e.key} type="button" className="button small" onClick={() => void startExport(e.format(image))} data-testid={e.testId} disabled={!faces.length && e.key === 'image'}>
                {e.label}
              </button>
            ))}
          </div>
          {lastExport?.imageId === image.id && (
            <p className="muted small faces-saved" data-testid="faces-export-status" title={lastExport.path}>
              Saved {lastExport.faces} face{lastExport.faces === 1 ? '' : 's'} to {lastExport.path}
            </p>
          )}
          <p className="muted small">
            {result.stats.windows} windows in {result.stats.passes.length} passes, {(result.stats.totalMs / 1000).toFixed(1)} s · {result.models.detector}, {result.models.attributes}
          </p>
        </div>
      )}

      <SaveDialog
        saving={saving}
        onClose={() => setSaving(null)}
        onSave={async (path) => {
          if (saving && (await exportTo(image.id, saving.format, path))) setSaving(null);
        }}
      />
    </div>
  );
}

function FaceCard({ face, viewer }: { face: Face; viewer: RefObject<ViewerHandle | null> }) {
  const active = useFaces((s) => s.hovered === face.id || s.selected === face.id);
  const selected = useFaces((s) => s.selected === face.id);
  const hover = useFaces((s) => s.hover);
  const select = useFaces((s) => s.select);
  const ref = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (selected) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [selected]);

  const [x, y, w, h] = face.box;
  const gender = face.gender.label === 'female' ? 'Female' : face.gender.label === 'male' ? 'Male' : face.gender.label;
  return (
    <li>
      <button
        ref={ref}
        type="button"
        className={`face-card${active ? ' active' : ''}${selected ? ' selected' : ''}`}
        data-testid="face-card"
        data-face-id={face.id}
        onMouseEnter={() => hover(face.id)}
        onMouseLeave={() => hover(null)}
        onClick={() => {
          select(face.id);
          // Show the face with some of its surroundings.
          const side = Math.max(w, h) * 4;
          viewer.current?.showRegion({ x: x + w / 2 - side / 2, y: y + h / 2 - side / 2, width: side, height: side });
        }}
      >
        {face.thumbnail ? <img className="face-thumb" src={face.thumbnail} alt={`Face ${face.id}`} width={64} height={64} /> : <span className="face-thumb" />}
        <span className="face-info">
          <span className="face-title">
            <span className="face-num">{face.id}</span>
            <strong>{Math.round(face.age)} y</strong>
            <span>
              {gender} <span className="muted">{Math.round(face.gender.p * 100)}%</span>
            </span>
            <span className="face-score" title="Detection score">
              {face.score.toFixed(2)}
            </span>
          </span>
          <span className="face-emotion">
            {face.emotion.label} <span className="muted">{Math.round(face.emotion.p * 100)}%</span>
          </span>
          <ExpressionBars all={face.emotion.all} top={face.emotion.label} />
        </span>
      </button>
    </li>
  );
}

function ExpressionBars({ all, top }: { all: Record<string, number>; top: string }) {
  return (
    <span className="expression-bars" role="img" aria-label={Object.entries(all).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(', ')}>
      {Object.entries(all).map(([label, p]) => (
        <span key={label} className={`expression${label === top ? ' top' : ''}`} title={`${label} ${Math.round(p * 100)}%`}>
          <span className="expression-track">
            <span className="expression-fill" style={{ height: `${Math.max(4, Math.round(p * 100))}%` }} />
          </span>
          <span className="expression-label">{EMOTION_SHORT[label] ?? label.slice(0, 3)}</span>
        </span>
      ))}
    </span>
  );
}

/** Browser transport: the engine writes on its own machine, to a path typed here. */
function SaveDialog({ saving, onClose, onSave }: { saving: { format: FaceExportFormat; path: string } | null; onClose: () => void; onSave: (path: string) => Promise<void> }) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (saving) setPath(saving.path);
  }, [saving]);
  const label = saving ? (saving.format === 'jpeg' || saving.format === 'png' ? `annotated ${saving.format.toUpperCase()}` : saving.format.toUpperCase()) : '';
  return (
    <Dialog open={saving !== null} title={`Export faces as ${label}`} onClose={onClose} testId="faces-save-dialog">
      <form
        className="faces-save"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          void onSave(path.trim()).finally(() => setBusy(false));
        }}
      >
        <label className="muted small" htmlFor="faces-save-path">
          File on the engine's computer
        </label>
        <input id="faces-save-path" className="mono" value={path} onChange={(e) => setPath(e.target.value)} data-testid="faces-save-path" spellCheck={false} autoFocus />
        <p className="muted small">Written in one go (no half-written file if something fails). The original photo is never overwritten.</p>
        <div className="faces-save-buttons">
          <button type="button" className="button subtle" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!path.trim() || busy} data-testid="faces-save-confirm">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
