/**
 * The Faces tool's state: per image the latest result, the running job and
 * the threshold the user picked (the engine keeps every candidate down to
 * its floor, so moving the threshold re-filters without re-running), plus
 * which face is hovered or selected (shared by the boxes and the cards).
 */
import { create } from 'zustand';
import type { FaceExportFormat, FaceResult, Face } from '../../../electron/common/faces-contract';
import { api } from '../api/client';
import { useApp } from '../state/store';

export interface ImageFaces {
  result: FaceResult | null;
  jobId: string | null;
  threshold: number;
}

interface FacesState {
  byImage: Record<string, ImageFaces>;
  hovered: number | null;
  selected: number | null;
  run(imageId: string): Promise<void>;
  load(imageId: string): Promise<void>;
  setThreshold(imageId: string, threshold: number): void;
  hover(id: number | null): void;
  select(id: number | null): void;
  /** Writes an export (throws a typed error; the export flow reports it); `overwrite`: the user confirmed replacing a file. */
  exportTo(imageId: string, format: FaceExportFormat, path: string, overwrite?: boolean): Promise<{ path: string; summary: string }>;
}

const EMPTY: ImageFaces = { result: null, jobId: null, threshold: 0.65 };

export const useFaces = create<FacesState>((set, get) => ({
  byImage: {},
  hovered: null,
  selected: null,

  async run(imageId) {
    try {
      const job = await api.detectFaces({ imageId });
      useApp.setState((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
      patch(imageId, { jobId: job.id });
      set({ selected: null, hovered: null });
    } catch (error) {
      useApp.getState().notify(error, 'Finding faces');
    }
  },

  async load(imageId) {
    try {
      const result = await api.getFaces({ imageId });
      patch(imageId, { result, ...(result ? { threshold: result.threshold } : {}) });
    } catch (error) {
      useApp.getState().notify(error, 'Reading the faces');
    }
  },

  setThreshold(imageId, threshold) {
    patch(imageId, { threshold });
  },

  hover(id) {
    if (get().hovered !== id) set({ hovered: id });
  },

  select(id) {
    set({ selected: id });
  },

  async exportTo(imageId, format, path, overwrite) {
    const threshold = facesOf(get(), imageId).threshold;
    const written = await api.exportFaces({ imageId, format, path, threshold, ...(overwrite ? { overwrite } : {}) });
    return { path: written.path, summary: `${written.faces} face${written.faces === 1 ? '' : 's'}` };
  },
}));

function patch(imageId: string, update: Partial<ImageFaces>): void {
  useFaces.setState((s) => ({ byImage: { ...s.byImage, [imageId]: { ...(s.byImage[imageId] ?? EMPTY), ...update } } }));
}

export function facesOf(state: Pick<FacesState, 'byImage'>, imageId: string): ImageFaces {
  return state.byImage[imageId] ?? EMPTY;
}

/** The faces shown at the current threshold. */
export function visibleFaces(entry: ImageFaces): Face[] {
  return entry.result ? entry.result.faces.filter((f) => f.score >= entry.threshold) : [];
}

let listening = false;
/** Fetches a result when a face job of an open image succeeds (once, however many panels mount). */
export function listenForFaceJobs(): void {
  if (listening) return;
  listening = true;
  api.onEvent((event) => {
    if (event.type === 'job' && event.job.kind === 'faces' && event.job.state === 'succeeded' && event.job.imageId) {
      void useFaces.getState().load(event.job.imageId);
    }
  });
}
