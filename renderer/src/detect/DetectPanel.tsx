import { useEffect, useMemo, useState, type RefObject } from 'react';
import type { ImageInfo, ModelInfo } from '../../../electron/common/contract';
import { CLASS_COLOURS, type DetectExportFormat, type DetectResult, type Detection } from '../../../electron/common/detect-contract';
import { formatGsd, formatGsdRange } from '../../../electron/common/ground-resolution';
import { api } from '../api/client';
import { ExportBar, type ExportChoice } from '../components/kit/ExportBar';
import { derivedName } from '../components/kit/export/paths';
import { NumberField, Segmented, SelectField, SliderField } from '../components/kit/fields';
import { JobProgress, formatSeconds } from '../components/kit/progress';
import { ToolFitNote } from '../components/kit/ToolFitNote';
import { PanelFooter, PanelHead, PanelNote, PanelSection, plural, ToolPanel } from '../components/kit/ToolPanel';
import { WindowedList } from '../components/kit/WindowedList';
import { useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { currentResult, detectionsOf, listenForDetectJobs, typedGsd, useDetect, visibleDetections } from './detect-store';
import './detect.css';

/** The cascade's settings, re-applied by the engine without stage 1 (plain names first; the paper's symbols in the help). */
const CASCADE_SLIDERS: Array<{ key: 'gamma' | 'tauLow' | 'tauHigh'; label: string; help: string; min: number; max: number; step: number; digits?: number; format?: (v: number) => string; testId: string }> = [
  {
    key: 'gamma',
    label: 'Crops per tile',
    help: 'γ: at most this many regions of each 1024 px tile are read again at full resolution (groups and uncertain objects). More finds more small objects and costs time.',
    min: 0,
    max: 16,
    step: 1,
    digits: 0,
    testId: 'detect-gamma',
  },
  { key: 'tauLow', label: 'Look closer at', help: 'τ low: an overview box scoring at least this can become a full-resolution crop. Lower looks at more places.', min: 0.01, max: 0.9, step: 0.01, testId: 'detect-tau-low' },
  {
    key: 'tauHigh',
    label: 'Trust overview',
    help: 'τ high: an overview box scoring at least this is kept as it is, without a closer look. “never”: every object is checked at full resolution.',
    min: 0.3,
    max: 1.01,
    step: 0.01,
    format: (v) => (v > 1 ? 'never' : v.toFixed(2)),
    testId: 'detect-tau-high',
  },
];

const EXTENSION: Record<DetectExportFormat, string> = { coco: 'coco.json', yolo: 'yolo.txt', csv: 'csv', geojson: 'geojson', png: 'detections.png', jpeg: 'detections.jpg' };
const EXPORTS: Array<{ format: DetectExportFormat; label: string; what: string }> = [
  { format: 'geojson', label: 'GeoJSON', what: 'GeoJSON in map coordinates' },
  { format: 'coco', label: 'COCO', what: 'COCO JSON' },
  { format: 'yolo', label: 'YOLO', what: 'YOLO txt' },
  { format: 'csv', label: 'CSV', what: 'CSV' },
  { format: 'png', label: 'Image', what: 'an annotated image' },
];

/**
 * The Detect tool: pick cascade or tiled and a model, run with progress
 * (stage-1 tiles, crops refined) and cancel, move the score threshold
 * (instant) and the cascade settings (re-applied without stage 1), browse the
 * detections (a click pans the view to one), and export.
 */
export function DetectPanel({ image, viewer }: { image: ImageInfo; viewer: RefObject<ViewerHandle | null> }) {
  const entry = useDetect((s) => detectionsOf(s, image.id));
  const { run, load, configure, setScore, refilter, exportTo } = useDetect.getState();
  const job = useApp((s) => (entry.jobId ? s.jobs[entry.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);
  const [models, setModels] = useState<ModelInfo[]>([]);

  useEffect(() => {
    listenForDetectJobs();
    useDetect.setState({ selected: null });
    if (!useDetect.getState().byImage[image.id]?.result) void load(image.id);
  }, [image.id, load]);

  useEffect(() => {
    api.listModels().then((list) => setModels(list.filter((m) => m.task === 'detection' && m.valid)), () => setModels([]));
  }, []);

  const running = job !== null && (job.state === 'running' || job.state === 'queued');
  const result = currentResult(entry);
  const otherMode = entry.result && !result ? entry.result.mode : null;
  const shown = visibleDetections(entry);
  const counts = useMemo(() => {
    const c = new Map<number, number>();
    if (result) for (const d of result.detections) if (d.score >= entry.scoreThreshold) c.set(d.class, (c.get(d.class) ?? 0) + 1);
    return c;
  }, [result, entry.scoreThreshold]);
  const t = result ? { ...result.thresholds, ...(entry.pending ?? {}) } : null;
  // Ground resolution: the GeoTIFF's unless one is typed for this image.
  const geoGsd = image.geo && !image.geo.problem ? image.geo.gsd : null;
  const gsd = typedGsd(entry);
  const gsdModel = models.find((m) => m.id === entry.modelId && m.gsd) ?? models.find((m) => m.gsd);
  const modelRange = gsdModel?.gsd ? formatGsdRange(gsdModel.gsd) : null;
  const gsdNote = gsd === null
    ? 'Type metres per pixel, from 0.001 to 1000 (e.g. 0.3 for 30 cm).'
    : gsd !== undefined
      ? geoGsd ? `Replaces the GeoTIFF's ${formatGsd(geoGsd)} for this image.` : `${formatGsd(gsd)}, remembered for this image.`
      : geoGsd
        ? `From the GeoTIFF (${formatGsd(geoGsd)}).`
        : `Unknown: the image is read as it is${modelRange ? `; type it if it is not ${modelRange}` : ''}.`;

  const exportChoice = ({ format, label, what }: (typeof EXPORTS)[number]): ExportChoice => ({
    key: format,
    label,
    testId: `detect-export-${format}`,
    disabled: format === 'geojson' && (!image.geo || image.geo.problem !== null),
    title: format === 'geojson' && !image.geo ? 'The image has no georeferencing' : format === 'geojson' && image.geo?.problem ? `Unusable georeferencing: ${image.geo.problem}` : `Export ${what}`,
    request: () => ({
      scope: `detect:${image.id}`,
      title: `Export the detections as ${what}`,
      fileName: derivedName(image.path, EXTENSION[format]),
      filterName: label,
      extensions: [EXTENSION[format].split('.').pop()!],
      note: `${format === 'png' ? 'A downscaled overview with every box, and full-resolution crops of the best detections under it. ' : ''}The ${plural(shown.length, 'detection')} at score ${entry.scoreThreshold.toFixed(2)}. Written in one go (no half-written file if something fails); the original is never overwritten.`,
      context: 'Exporting detections',
      write: (path, overwrite) => exportTo(image.id, format, path, format === 'png', overwrite),
    }),
  });

  return (
    <ToolPanel testId="detect-panel">
      <ToolFitNote image={image} tool="detect" />
      <PanelSection title="Method">
        <div className="detect-controls">
          <Segmented
            label="Detection mode"
            value={entry.mode}
            onChange={(mode) => configure(image.id, { mode })}
            testIdPrefix="detect-mode"
            disabled={running}
            options={[
              { value: 'cascade', label: 'Cascade', title: 'ODGI: overview first, full resolution only where objects are' },
              { value: 'tiled', label: 'Tiled', title: 'Every window at full resolution (the baseline)' },
            ]}
          />
          <select className="detect-model" value={entry.modelId ?? ''} onChange={(e) => configure(image.id, { modelId: e.target.value || null })} disabled={running} data-testid="detect-model" aria-label="Model">
            <option value="">Best model</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
              </option>
            ))}
          </select>
        </div>
        <NumberField
          label="Ground res."
          help="Metres on the ground per pixel (GSD). Read from a GeoTIFF; type it for other images, or to correct it. An image outside the model's trained range is resampled to the model's resolution (boxes stay in the image's pixels)."
          value={entry.gsdText ?? (geoGsd ? String(+geoGsd.toPrecision(4)) : '')}
          unit="m/px"
          placeholder="unknown"
          invalid={gsd === null}
          onChange={(text) => configure(image.id, { gsdText: text })}
          testId="detect-gsd"
          disabled={running}
        />
        <p className="muted small detect-gsd-note" data-testid="detect-gsd-note">
          {gsdNote}
          {entry.gsdText !== null && geoGsd !== null && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => configure(image.id, { gsdText: null })} data-testid="detect-gsd-reset">
                Use the GeoTIFF's
              </button>
            </>
          )}
        </p>
        <p className="muted small detect-mode-note">
          {entry.mode === 'cascade'
            ? 'Looks at the whole image at ¼ resolution, then reads at full resolution only where objects or groups of them are.'
            : 'Runs the detector on every window at full resolution: slower; the baseline to compare with.'}
        </p>
      </PanelSection>

      <PanelHead
        action={
          <button type="button" className="button primary" onClick={() => void run(image.id)} disabled={running || image.pyramid.state === 'failed' || gsd === null} data-testid="detect-run">
            {result ? 'Detect again' : 'Detect objects'}
          </button>
        }
        count={result && !running ? plural(shown.length, 'object') : null}
        countTestId="detect-count"
      />

      {running && job && <JobProgress job={job} onCancel={() => void cancelJob(job.id)} testId="detect-progress" messageTestId="detect-progress-message" cancelTestId="detect-cancel" />}
      {job?.state === 'failed' && job.error && (
        <p className="inline-error" role="alert" data-testid="detect-error">
          {job.error.message}
        </p>
      )}
      {job?.state === 'cancelled' && !running && <p className="muted small" data-testid="detect-cancelled">Cancelled: nothing was kept from that run.</p>}
      {otherMode && !running && (
        <PanelNote kind="hint" testId="detect-other-mode">
          <p>
            The last run used the {otherMode} method; its results are hidden while {entry.mode === 'tiled' ? 'Tiled' : 'Cascade'} is chosen. Run to replace them, or{' '}
            <button type="button" className="link" onClick={() => configure(image.id, { mode: otherMode })}>
              show the {otherMode} results
            </button>
            .
          </p>
        </PanelNote>
      )}

      {result && t && (
        <>
          <p className="muted small detect-summary" data-testid="detect-summary">
            {result.mode === 'cascade'
              ? `${result.stats.tiles} tiles${result.gate ? ` (${result.gate.skipped} of ${result.gate.tiles} skipped by the gate)` : ''} · ${result.crops.length} crops · ${(result.stats.areaFullRes * 100).toFixed(1)}% read at full res · ${formatSeconds(result.stats.totalMs / 1000)}`
              : `${result.stats.tiles} windows · ${formatSeconds(result.stats.totalMs / 1000)}`}
          </p>
          <GsdReport result={result} />
          <PanelSection title="Filters">
            <div className="detect-sliders">
              <SliderField label="Score" help="Detections scoring below this are hidden (and not exported). Instant: nothing runs again." min={result.floor} max={0.99} step={0.01} value={entry.scoreThreshold} onChange={(v) => setScore(image.id, v)} testId="detect-score" />
              {result.mode === 'cascade' &&
                CASCADE_SLIDERS.map((c) => (
                  <SliderField key={c.key} label={c.label} help={c.help} min={c.min} max={c.max} step={c.step} digits={c.digits} format={c.format} value={t[c.key]} onChange={(v) => refilter(image.id, { [c.key]: v })} testId={c.testId} />
                ))}
              {result.mode === 'cascade' && (
                <p className="muted small detect-refilter" data-testid="detect-refilter-state">
                  {entry.refiltering || entry.pending ? 'Applying…' : 'These apply without re-running stage 1.'}
                </p>
              )}
            </div>
          </PanelSection>
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
              <label className="legend-item" title="The regions read again at full resolution: groups (white) and single uncertain objects (grey)">
                <input type="checkbox" checked={entry.showCrops} onChange={(e) => configure(image.id, { showCrops: e.target.checked })} data-testid="detect-show-crops" />
                <span className="legend-swatch dashed" />
                crops
              </label>
            )}
          </div>
          <DetectionList detections={shown} viewer={viewer} cascade={result.mode === 'cascade'} />
          {!shown.length && <p className="muted detect-none">No objects at this threshold.</p>}
          <PanelFooter>
            <ExportBar scope={`detect:${image.id}`} statusTestId="detect-export-status" choices={EXPORTS.map(exportChoice)} />
            <p className="panel-facts">
              {result.models.stage1 && result.models.stage1 !== result.models.detector ? `${result.models.stage1} → ${result.models.detector}` : result.models.detector}
              {result.stats.providers.length ? ` · ${[...new Set(result.stats.providers.map((p) => p.split(': ')[1]))].join(', ')}` : ''}
            </p>
          </PanelFooter>
        </>
      )}
      {!entry.result && !running && job?.state !== 'failed' && (
        <PanelNote>
          <p>Finds vehicles, boats and planes in aerial images of any size, seen from straight above (10–16 cm per pixel works best). Runs on this computer.</p>
        </PanelNote>
      )}
    </ToolPanel>
  );
}

/** How the run matched the image's ground resolution to the model's, and its warnings (typed, never silent). */
function GsdReport({ result }: { result: DetectResult }) {
  const g = result.gsd;
  return (
    <>
      {g.scale !== 1 && g.image !== null && g.readAt !== null && (
        <p className="muted small" data-testid="detect-gsd-applied">
          Read at {formatGsd(g.readAt)}: the image's {formatGsd(g.image)} {g.scale > 1 ? 'enlarged' : 'reduced'} ×{g.scale.toFixed(2)} to the model's resolution.
        </p>
      )}
      {/* An unknown GSD is said beside the field already. */}
      {result.warnings.filter((w) => w.code !== 'GSD_UNKNOWN').map((w) => (
        <PanelNote key={w.code} kind="warn" testId="detect-warning">
          <p data-code={w.code}>{w.message}</p>
        </PanelNote>
      ))}
    </>
  );
}

const ROW = 28;

/** The detections, best first, in a windowed list; a click pans and zooms to one. */
function DetectionList({ detections, viewer, cascade }: { detections: Detection[]; viewer: RefObject<ViewerHandle | null>; cascade: boolean }) {
  const selected = useDetect((s) => s.selected);
  const select = useDetect((s) => s.select);
  return (
    <>
      <WindowedList
        items={detections}
        rowHeight={ROW}
        maxHeight={220}
        selectedIndex={selected === null ? -1 : detections.findIndex((d) => d.id === selected)}
        testId="detect-list"
        renderRow={(d, _i, style) => {
          const [x, y, w, h] = d.box;
          return (
            <button
              key={d.id}
              type="button"
              role="listitem"
              className={`list-row detect-row${d.id === selected ? ' selected' : ''}`}
              style={style}
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
              {cascade && (
                <span className={`detect-stage ${d.stage}`} title={d.stage === 'shortcut' ? 'Kept from the ¼-resolution overview (stage 1)' : 'Found in a full-resolution crop (stage 2)'}>
                  {d.stage === 'shortcut' ? 'overview' : 'full res'}
                </span>
              )}
              <span className="mono muted detect-row-pos">{Math.round(x + w / 2)}, {Math.round(y + h / 2)}</span>
              <span className="mono detect-row-score">{d.score.toFixed(2)}</span>
            </button>
          );
        }}
      />
    </>
  );
}
