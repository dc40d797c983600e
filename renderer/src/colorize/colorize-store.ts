/**
 * The Colorize tool's state: per photo its gallery (the engine's result),
 * the running job, the instant preview and the selected sample; the
 * sampling settings (samples, temperature, seed, model); how the stage
 * shows the samples (a synchronized gallery, or one sample against the
 * original with a before/after slider); and the ImageInfo of each sample
 * image (their pyramids are what the viewers draw).
 */
import { create } from 'zustand';
import {
  COLORIZE_DEFAULT_SAMPLES,
  COLORIZE_DEFAULT_TEMPERATURE,
  COLORIZE_MAX_SEED,
  type Colorization,
  type ColorizeSample,
  type ColorizeExportFormat,
  type Colorizer,
} from '../../../electron/common/colorize-contract';
import type { ImageInfo } from '../../../electron/common/contract';
import { api } from '../api/client';
import { useApp } from '../state/store';

export interface PhotoColorize {
  gallery: Colorization | null;
  jobId: string | null;
  preview: { thumbnail: string; ms: number } | null;
  /** Gallery index of the sample shown in the before/after view. */
  selected: number;
  /**
   * The seed field of this photo: the seed of its latest finished run (what
   * the gallery shows), or one the user typed (`seedEdited`); empty = random.
   * A submitted or cancelled run never changes it.
   */
  seed: string;
  seedEdited: boolean;
}

export type StageView = 'gallery' | 'compare';

interface ColorizeState {
  byImage: Record<string, PhotoColorize>;
  colorizers: Colorizer[];
  samples: number;
  temperature: number;
  modelId: string | null;
  view: StageView;
  /** Before/after divider, as a fraction of the stage width. */
  split: number;
  /** Whether the Colorize tab is open (the stage shows colorizations only then). */
  panelOpen: boolean;
  /** ImageInfo of sample images, by id. */
  sampleImages: Record<string, ImageInfo>;

  loadColorizers(): Promise<void>;
  run(imageId: string, how: 'new' | 'seed' | 'more'): Promise<void>;
  load(imageId: string): Promise<void>;
  loadPreview(imageId: string): Promise<void>;
  select(imageId: string, index: number): void;
  set(patch: Partial<Pick<ColorizeState, 'samples' | 'temperature' | 'modelId' | 'view' | 'split' | 'panelOpen'>>): void;
  /** The user typed in the seed field of a photo. */
  typeSeed(imageId: string, text: string): void;
  /** Writes one sample at full resolution (throws a typed error; the export flow reports it). */
  exportTo(imageId: string, sampleIndex: number, path: string, format?: ColorizeExportFormat, overwrite?: boolean): Promise<{ path: string; summary: string }>;
}

const EMPTY: PhotoColorize = { gallery: null, jobId: null, preview: null, selected: 0, seed: '', seedEdited: false };

export const useColorize = create<ColorizeState>((set, get) => ({
  byImage: {},
  colorizers: [],
  samples: COLORIZE_DEFAULT_SAMPLES,
  temperature: COLORIZE_DEFAULT_TEMPERATURE,
  modelId: null,
  view: 'gallery',
  split: 0.5,
  panelOpen: false,
  sampleImages: {},

  async loadColorizers() {
    try {
      const colorizers = await api.listColorizers();
      set((s) => ({ colorizers, modelId: s.modelId && colorizers.some((c) => c.id === s.modelId) ? s.modelId : colorizers.find((c) => c.default)?.id ?? null }));
    } catch (error) {
      useApp.getState().notify(error, 'Listing colorization models');
    }
  },

  async run(imageId, how) {
    const { samples, temperature, modelId } = get();
    const photo = photoOf(get(), imageId);
    const typed = parseSeed(photo.seed);
    // 'new': the seed the user typed, else a fresh random one; 'seed': the one in the field; 'more': a fresh one, appended.
    const seed = (how === 'seed' || (how === 'new' && photo.seedEdited)) && typed !== null ? typed : Math.floor(Math.random() * COLORIZE_MAX_SEED);
    try {
      const job = await api.colorize({ imageId, samples, temperature, seed, modelId: modelId ?? undefined, append: how === 'more' });
      useApp.setState((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
      patch(imageId, { jobId: job.id });
    } catch (error) {
      useApp.getState().notify(error, 'Colorizing');
    }
  },

  async load(imageId) {
    try {
      const gallery = await api.getColorization({ imageId });
      if (gallery) {
        const infos = await Promise.all(gallery.samples.filter((s) => !get().sampleImages[s.imageId]).map((s) => api.getImage({ imageId: s.imageId })));
        set((s) => ({ sampleImages: { ...s.sampleImages, ...Object.fromEntries(infos.map((i) => [i.id, i])) } }));
      }
      const previous = photoOf(get(), imageId);
      // A run that replaced the gallery starts at its first sample; "more samples" shows the first new one.
      const grew = gallery && previous.gallery && gallery.samples.length > previous.gallery.samples.length && gallery.samples[0].imageId === previous.gallery.samples[0].imageId;
      const selected = !gallery ? 0 : grew ? previous.gallery!.samples.length : gallery.samples[0].imageId === previous.gallery?.samples[0]?.imageId ? Math.min(previous.selected, gallery.samples.length - 1) : 0;
      // The field shows the seed of what is on screen now (a typed seed waits until it is used).
      const seed = gallery?.runs.at(-1) ? String(gallery.runs.at(-1)!.seed) : previous.seed;
      patch(imageId, { gallery, selected, ...(previous.seedEdited && previous.seed !== seed ? {} : { seed, seedEdited: false }) });
    } catch (error) {
      useApp.getState().notify(error, 'Reading the colorizations');
    }
  },

  async loadPreview(imageId) {
    try {
      const preview = await api.colorizePreview({ imageId, modelId: get().modelId ?? undefined });
      patch(imageId, { preview: { thumbnail: preview.thumbnail, ms: preview.ms } });
    } catch (error) {
      // The preview is a nicety; the image may still be preparing.
      patch(imageId, { preview: null });
      void error;
    }
  },

  select(imageId, index) {
    patch(imageId, { selected: index });
  },

  set(update) {
    set(update);
  },

  typeSeed(imageId, text) {
    patch(imageId, { seed: text, seedEdited: true });
  },

  async exportTo(imageId, sampleIndex, path, format, overwrite) {
    const written = await api.exportColorization({ imageId, sampleIndex, path, format, ...(overwrite ? { overwrite } : {}) });
    return { path: written.path, summary: `${written.width.toLocaleString()} × ${written.height.toLocaleString()} px` };
  },
}));

function patch(imageId: string, update: Partial<PhotoColorize>): void {
  useColorize.setState((s) => ({ byImage: { ...s.byImage, [imageId]: { ...(s.byImage[imageId] ?? EMPTY), ...update } } }));
}

export function photoOf(state: Pick<ColorizeState, 'byImage'>, imageId: string): PhotoColorize {
  return state.byImage[imageId] ?? EMPTY;
}

/** "seed 7 · 3/4": what reproduces one sample (the seed of its batch, and its place in the batch). */
export function sampleTag(s: Pick<ColorizeSample, 'seed' | 'batchIndex' | 'batchSize'>): string {
  return `seed ${s.seed} · ${s.batchIndex + 1}/${s.batchSize}`;
}

export function parseSeed(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n <= COLORIZE_MAX_SEED ? n : null;
}

let listening = false;
/** Reads the gallery when a colorize job of a photo succeeds (once, however many panels mount). */
export function listenForColorizeJobs(): void {
  if (listening) return;
  listening = true;
  api.onEvent((event) => {
    if (event.type === 'job' && event.job.kind === 'colorize' && event.job.state === 'succeeded' && event.job.imageId) {
      void useColorize.getState().load(event.job.imageId);
    }
  });
}
