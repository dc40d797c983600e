import { useEffect } from 'react';
import { COLORIZE_MAX_SAMPLES, COLORIZE_MAX_TEMPERATURE, type ColorizeExportFormat } from '../../../electron/common/colorize-contract';
import type { ImageInfo } from '../../../electron/common/contract';
import { ExportBar } from '../components/kit/ExportBar';
import { derivedName } from '../components/kit/export/paths';
import { SelectField, SliderField } from '../components/kit/fields';
import { JobProgress, formatSeconds } from '../components/kit/progress';
import { ToolFitNote } from '../components/kit/ToolFitNote';
import { PanelFooter, PanelHead, PanelNote, PanelSection, plural, ToolPanel } from '../components/kit/ToolPanel';
import { useApp } from '../state/store';
import { listenForColorizeJobs, parseSeed, photoOf, sampleTag, useColorize } from './colorize-store';
import { useHasColour } from './use-colourfulness';
import './colorize.css';

const EXTENSION: Record<ColorizeExportFormat, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };

/** `boats.jpg`, sample 3 of seed 7 → `boats.colorized-s7-3.jpg` (never the original's name). */
export function suggestColorizeName(original: string, seed: number, batchIndex: number, ext: string): string {
  return derivedName(original, `colorized-s${seed}-${batchIndex + 1}.${ext}`);
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
  const { samples, temperature, modelId, colorizers, view } = useColorize();
  const { run, load, loadPreview, loadColorizers, select, set, typeSeed, exportTo } = useColorize.getState();
  const job = useApp((s) => (photo.jobId ? s.jobs[photo.jobId] ?? null : null));
  const cancelJob = useApp((s) => s.cancelJob);
  const hasColour = useHasColour(image);

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
  const seedValue = parseSeed(photo.seed);
  const disabled = running || !ready;
  const typedSeed = photo.seedEdited && seedValue !== null;
  const many = (gallery?.samples.length ?? 0) > 6;

  return (
    <ToolPanel testId="colorize-panel">
      <ToolFitNote image={image} tool="colorize" />
      <PanelHead
        action={
          <button
            type="button"
            className="button primary"
            onClick={() => void run(image.id, 'new')}
            disabled={disabled}
            data-testid="colorize-run"
            title={typedSeed ? `Sample with seed ${seedValue}` : 'Sample with a new random seed'}
          >
            {typedSeed ? `Colorize with seed ${seedValue}` : gallery ? 'New colorizations' : 'Colorize'}
          </button>
        }
        count={gallery && !running ? plural(gallery.samples.length, 'sample') : null}
        countTestId="colorize-count"
      />

      {hasColour && (
        <PanelNote kind="hint" testId="colorize-colour-hint">
          <p>This photo is already in colour. Colorize keeps only its gray and draws new colours; its own colours are not used.</p>
        </PanelNote>
      )}

      <PanelSection title="Sampling">
        <SliderField label="Samples" help="How many different colorizations one run draws (in one batch)." min={1} max={COLORIZE_MAX_SAMPLES} step={1} value={samples} onChange={(v) => set({ samples: v })} digits={0} testId="colorize-samples" disabled={running} />
        <SliderField
          label="Temperature"
          help="0: the most likely colours, muted. 1: as bold as the model learned them. Higher: bolder, stranger."
          min={0}
          max={COLORIZE_MAX_TEMPERATURE}
          step={0.05}
          value={temperature}
          onChange={(v) => set({ temperature: v })}
          testId="colorize-temperature"
          disabled={running}
        />
        <div className="field seed-field">
          <span className="field-label">
            <label htmlFor="colorize-seed-input">Seed</label>
          </span>
          <input
            id="colorize-seed-input"
            className={`mono ${photo.seed && seedValue === null ? 'invalid' : ''}`}
            value={photo.seed}
            placeholder="random"
            inputMode="numeric"
            onChange={(e) => typeSeed(image.id, e.target.value)}
            data-testid="colorize-seed"
            spellCheck={false}
            title={photo.seedEdited ? 'The seed the next run uses' : gallery ? 'The seed of the colorizations on screen' : 'Empty: a new random seed'}
          />
          <button
            type="button"
            className="button small"
            onClick={() => void run(image.id, 'seed')}
            disabled={disabled || seedValue === null}
            title="The same seed, sample count, temperature and model give the same colorizations"
            data-testid="colorize-resample"
          >
            Resample
          </button>
        </div>
        {colorizers.length > 1 && (
          <SelectField
            label="Model"
            help="Colorization models installed. Each looks at the whole photo at a small size and samples colours on a coarse grid, then paints them onto the full-resolution photo."
            value={modelId ?? ''}
            onChange={(v) => set({ modelId: v })}
            testId="colorize-model"
            disabled={running}
            options={colorizers.map((c) => ({ value: c.id, label: `${c.id}${c.default ? ' (default)' : ''}`, title: `${c.name}: looks at the photo at ${c.inputSize} px, samples a ${c.grid}×${c.grid} colour grid` }))}
          />
        )}
      </PanelSection>

      {running && job && <JobProgress job={job} onCancel={() => void cancelJob(job.id)} testId="colorize-progress" messageTestId="colorize-progress-message" cancelTestId="colorize-cancel" />}
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
            <PanelNote>
              <p>Draws several plausible colorizations of a black-and-white photo at full resolution. Runs on this computer.</p>
            </PanelNote>
          )}
        </div>
      )}

      {gallery && (
        <PanelSection
          title="Samples"
          aside={
            <div className="segmented" role="radiogroup" aria-label="Show">
              <button type="button" role="radio" aria-checked={view === 'gallery'} className={view === 'gallery' ? 'active' : ''} onClick={() => set({ view: 'gallery' })} data-testid="colorize-view-gallery">
                Gallery
              </button>
              <button type="button" role="radio" aria-checked={view === 'compare'} className={view === 'compare' ? 'active' : ''} onClick={() => set({ view: 'compare' })} data-testid="colorize-view-compare">
                Before / after
              </button>
            </div>
          }
        >
          <ul className={`colorize-thumbs${many ? ' many' : ''}`} data-testid="colorize-thumbs">
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
                  title={`Sample ${s.index + 1}: ${sampleTag(s)}, temperature ${s.temperature.toFixed(2)} (double-click: before / after)`}
                >
                  <img src={s.thumbnail} alt={`Colorization ${s.index + 1}`} />
                  <span className="colorize-thumb-label">{s.index + 1}</span>
                </button>
              </li>
            ))}
          </ul>
          <button type="button" className="button" onClick={() => void run(image.id, 'more')} disabled={disabled} data-testid="colorize-more" title="Adds samples with a new random seed">
            More samples (+{samples})
          </button>
        </PanelSection>
      )}

      {gallery && (
        <PanelFooter>
          {selected && (
            <p className="colorize-selected" data-testid="colorize-selected">
              <span className="colorize-selected-num">{selected.index + 1}</span> Sample {selected.index + 1} · {sampleTag(selected)} · temperature {selected.temperature.toFixed(2)}
            </p>
          )}
          {selected && (
            <ExportBar
              scope={`colorize:${image.id}`}
              statusTestId="colorize-export-status"
              label={`Sample ${selected.index + 1}`}
              choices={[
                {
                  key: 'full',
                  label: 'Export at full resolution…',
                  testId: 'colorize-export',
                  request: () => {
                    const format = formatOf(image);
                    return {
                      scope: `colorize:${image.id}`,
                      title: `Export colorization ${selected.index + 1}`,
                      fileName: suggestColorizeName(image.path, selected.seed, selected.batchIndex, EXTENSION[format]),
                      filterName: format.toUpperCase(),
                      extensions: [EXTENSION[format]],
                      note: `Full resolution (${gallery.width.toLocaleString()} × ${gallery.height.toLocaleString()} px), the photo's EXIF kept. Written in one go (no half-written file if something fails); the original is never overwritten.`,
                      context: 'Exporting the colorization',
                      write: (path, overwrite) => exportTo(image.id, selected.index, path, undefined, overwrite),
                    };
                  },
                },
              ]}
            />
          )}
          <p className="panel-facts">
            {gallery.width.toLocaleString()} × {gallery.height.toLocaleString()} px · {gallery.model.name} · last run {formatSeconds(gallery.runs.at(-1)!.timing.totalMs / 1000)} (sampling {formatSeconds(gallery.runs.at(-1)!.timing.sampleMs / 1000)})
          </p>
        </PanelFooter>
      )}
    </ToolPanel>
  );
}
