/**
 * The Detect tool's state: per image the latest result, the running job,
 * the run settings (mode, model), the score threshold (filtered here, at
 * once) and cascade overrides (γ, τ_low, τ_high: re-applied by the engine
 * without running stage 1 again), the ground resolution typed for the image
 * (overriding its GeoTIFF's), plus which detection is selected.
 */
import { create } from 'zustand';
import { GsdInput, type DetectExportFormat, type DetectMode, type DetectResult, type DetectThresholds, type Detection } from '../../../electron/common/detect-contract';
import { api } from '../api/client';
import { useApp } from '../state/store';

export interface ImageDetections {
  result: DetectResult | null;
  jobId: string | null;
  mode: DetectMode;
  modelId: string | null;
  /** Shown detections score at least this (client-side filter). */
  scoreThreshold: number;
  /** Cascade settings asked for after the run, not yet applied by the engine. */
  pending: Partial<DetectThresholds> | null;
  refiltering: boolean;
  showCrops: boolean;
  hiddenClasses: number[];
  /** Ground resolution typed for this image (metres per pixel, as typed), or null: the GeoTIFF's, if any. */
  gsdText: string | null;
}

interface DetectState {
  byImage: Record<string, ImageDetections>;
  selected: number | null;
  configure(imageId: string, patch: Partial<Pick<ImageDetections, 'mode' | 'modelId' | 'showCrops' | 'hiddenClasses' | 'gsdText'>>): void;
  run(imageId: string): Promise<void>;
  load(imageId: string): Promise<void>;
  setScore(imageId: string, score: number): void;
  refilter(imageId: string, patch: Partial<DetectThresholds>): void;
  select(id: number | null): void;
  /** Writes an export (throws a typed error; the export flow reports it). */
  exportTo(imageId: string, format: DetectExportFormat, path: string, crops?: boolean, overwrite?: boolean): Promise<{ path: string; summary: string }>;
}

export const EMPTY_DETECTIONS: ImageDetections = {
  result: null, jobId: null, mode: 'cascade', modelId: null, scoreThreshold: 0.3, pending: null, refiltering: false, showCrops: false, hiddenClasses: [], gsdText: null,
};

/** The typed ground resolution as metres per pixel; undefined when none is typed, null when it does not parse (or is out of range). */
export function typedGsd(entry: Pick<ImageDetections, 'gsdText'>): number | null | undefined {
  const text = entry.gsdText?.trim().replace(',', '.');
  if (!text) return undefined;
  const parsed = GsdInput.safeParse(Number(text));
  return parsed.success ? parsed.data : null;
}

const timers = new Map<string, ReturnType<typeof setTimeout>>();

export const useDetect = create<DetectState>((set, get) => ({
  byImage: {},
  selected: null,

  configure(imageId, update) {
    patch(imageId, update);
  },

  async run(imageId) {
    const entry = detectionsOf(get(), imageId);
    try {
      const gsd = typedGsd(entry);
      if (gsd === null) return;
      const job = await api.detect({ imageId, mode: entry.mode, ...(entry.modelId ? { modelId: entry.modelId } : {}), ...(gsd !== undefined ? { gsd } : {}) });
      useApp.setState((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
      patch(imageId, { jobId: job.id, pending: null });
      set({ selected: null });
    } catch (error) {
      useApp.getState().notify(error, 'Detecting objects');
    }
  },

  async load(imageId) {
    try {
      const result = await api.getDetections({ imageId });
      patch(imageId, { result, ...(result ? { scoreThreshold: result.thresholds.scoreThreshold, mode: result.mode } : {}) });
    } catch (error) {
      useApp.getState().notify(error, 'Reading the detections');
    }
  },

  setScore(imageId, score) {
    patch(imageId, { scoreThreshold: score });
  },

  refilter(imageId, update) {
    const entry = detectionsOf(get(), imageId);
    if (!entry.result) return;
    const pending = { ...(entry.pending ?? {}), ...update };
    patch(imageId, { pending });
    clearTimeout(timers.get(imageId));
    // Sliders send many values: apply the last one once they settle.
    timers.set(imageId, setTimeout(() => {
      timers.delete(imageId);
      void apply(imageId);
    }, 200));
  },

  select(id) {
    set({ selected: id });
  },

  async exportTo(imageId, format, path, crops, overwrite) {
    const entry = detectionsOf(get(), imageId);
    const written = await api.exportDetections({ imageId, format, path, scoreThreshold: entry.scoreThreshold, ...(crops ? { crops } : {}), ...(overwrite ? { overwrite } : {}) });
    return { path: written.path, summary: `${written.detections.toLocaleString()} detection${written.detections === 1 ? '' : 's'}` };
  },
}));

async function apply(imageId: string): Promise<void> {
  const entry = detectionsOf(useDetect.getState(), imageId);
  if (!entry.pending || !entry.result) return;
  const thresholds = entry.pending;
  patch(imageId, { refiltering: true });
  try {
    const result = await api.refilterDetections({ imageId, thresholds });
    const now = detectionsOf(useDetect.getState(), imageId);
    // Newer changes arrived meanwhile: keep them pending (their own timer applies them).
    const rest = now.pending && JSON.stringify(now.pending) !== JSON.stringify(thresholds) ? now.pending : null;
    patch(imageId, { result, pending: rest, refiltering: false });
  } catch (error) {
    patch(imageId, { refiltering: false, pending: null });
    useApp.getState().notify(error, 'Applying the thresholds');
  }
}

function patch(imageId: string, update: Partial<ImageDetections>): void {
  useDetect.setState((s) => ({ byImage: { ...s.byImage, [imageId]: { ...(s.byImage[imageId] ?? EMPTY_DETECTIONS), ...update } } }));
}

export function detectionsOf(state: Pick<DetectState, 'byImage'>, imageId: string): ImageDetections {
  return state.byImage[imageId] ?? EMPTY_DETECTIONS;
}

/**
 * The result of the mode chosen now: after switching Cascade ↔ Tiled, the
 * other mode's run is not shown (its boxes and sliders would be stale).
 */
export function currentResult(entry: ImageDetections): DetectResult | null {
  return entry.result && entry.result.mode === entry.mode ? entry.result : null;
}

/** The detections shown: at or above the score threshold, classes not hidden. */
export function visibleDetections(entry: ImageDetections): Detection[] {
  const result = currentResult(entry);
  if (!result) return [];
  const hidden = new Set(entry.hiddenClasses);
  return result.detections.filter((d) => d.score >= entry.scoreThreshold && !hidden.has(d.class));
}

let listening = false;
/** Fetches a result when a detection job of an open image succeeds (once, however many panels mount). */
export function listenForDetectJobs(): void {
  if (listening) return;
  listening = true;
  api.onEvent((event) => {
    if (event.type === 'job' && event.job.kind === 'detect' && event.job.state === 'succeeded' && event.job.imageId && !event.job.title.startsWith('Re-filtering')) {
      void useDetect.getState().load(event.job.imageId);
    }
  });
}
