import { useEffect, useRef, type RefObject } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import type { Face, FaceExportFormat } from '../../../electron/common/faces-contract';
import { ExportBar, type ExportChoice } from '../components/kit/ExportBar';
import { derivedName } from '../components/kit/export/paths';
import { SliderField } from '../components/kit/fields';
import { JobProgress } from '../components/kit/progress';
import { ToolFitNote } from '../components/kit/ToolFitNote';
import { PanelFooter, PanelHead, PanelNote, plural, ToolPanel } from '../components/kit/ToolPanel';
import { useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { facesOf, listenForFaceJobs, useFaces, visibleFaces } from './faces-store';
import './faces.css';

const EMOTION_SHORT: Record<string, string> = { angry: 'ang', disgust: 'dis', fear: 'fear', happy: 'hap', sad: 'sad', surprise: 'sur', neutral: 'neu' };

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
  const job = useApp((s) => (entry.jobId ? s.jobs[entry.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);

  useEffect(() => {
    listenForFaceJobs();
    useFaces.setState({ hovered: null, selected: null });
    // A result may exist already (run before a reload, or from another window).
    if (!useFaces.getState().byImage[image.id]?.result) void load(image.id);
  }, [image.id, load]);

  const running = job !== null && (job.state === 'running' || job.state === 'queued');
  const result = entry.result;
  const faces = visibleFaces(entry);

  const exportChoice = (key: string, label: string, format: FaceExportFormat, testId: string, disabled = false): ExportChoice => ({
    key,
    label,
    testId,
    disabled,
    request: () => ({
      scope: `faces:${image.id}`,
      title: format === 'jpeg' || format === 'png' ? `Export the image with its ${plural(faces.length, 'face')} marked` : `Export the faces as ${format.toUpperCase()}`,
      fileName: derivedName(image.path, `faces.${EXTENSION[format]}`),
      filterName: format.toUpperCase(),
      extensions: [EXTENSION[format]],
      note: `The ${plural(faces.length, 'face')} at threshold ${entry.threshold.toFixed(2)}. Written in one go (no half-written file if something fails); the original photo is never overwritten.`,
      context: 'Exporting faces',
      write: (path, overwrite) => exportTo(image.id, format, path, overwrite),
    }),
  });

  return (
    <ToolPanel testId="faces-panel">
      <ToolFitNote image={image} tool="faces" />
      <PanelHead
        action={
          <button type="button" className="button primary" onClick={() => void run(image.id)} disabled={running || image.pyramid.state === 'failed'} data-testid="faces-run">
            {result ? 'Find faces again' : 'Find faces'}
          </button>
        }
        count={result && !running ? plural(faces.length, 'face') : null}
        countTestId="faces-count"
      />

      {running && job && <JobProgress job={job} onCancel={() => void cancelJob(job.id)} testId="faces-progress" />}
      {job?.state === 'failed' && job.error && (
        <p className="inline-error" role="alert">
          {job.error.message}
        </p>
      )}
      {!result && !running && job?.state !== 'failed' && (
        <PanelNote>
          <p>Finds every face, small ones included, and reads an age, a gender and an expression for each in one pass. Runs on this computer.</p>
          <p>Works on photos of people: portraits, groups, crowds.</p>
        </PanelNote>
      )}

      {result && (
        <SliderField
          label="Threshold"
          help="How sure the detector must be that a box is a face. Lower finds more faces (and more mistakes); it re-filters at once, without running again."
          min={result.floor}
          max={0.99}
          step={0.01}
          value={entry.threshold}
          onChange={(v) => setThreshold(image.id, v)}
          testId="faces-threshold"
        />
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
        <PanelFooter>
          <ExportBar
            scope={`faces:${image.id}`}
            statusTestId="faces-export-status"
            choices={[
              exportChoice('image', 'Annotated image', image.format === 'jpeg' ? 'jpeg' : 'png', 'faces-export-image', !faces.length),
              exportChoice('json', 'JSON', 'json', 'faces-export-json'),
              exportChoice('csv', 'CSV', 'csv', 'faces-export-csv'),
            ]}
          />
          <p className="panel-facts">
            {result.stats.windows} windows in {result.stats.passes.length} passes, {(result.stats.totalMs / 1000).toFixed(1)} s · {result.models.detector}, {result.models.attributes}{result.models.ageGender ? `, ${result.models.ageGender}` : ''}
          </p>
        </PanelFooter>
      )}
    </ToolPanel>
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
            {face.ageRange ? (
              <strong title={`Estimated age ${Math.round(face.age)}; the true age lies in this range for about 3 in 4 adults the model was checked on`}>
                {Math.round(face.ageRange[0])}–{Math.round(face.ageRange[1])} y
              </strong>
            ) : (
              <strong>{Math.round(face.age)} y</strong>
            )}
            <span>
              {gender} <span className="muted">{Math.round(face.gender.p * 100)}%</span>
            </span>
            <span className="face-score" title="Detection score: how sure the detector is that this is a face">
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
