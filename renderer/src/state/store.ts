import { create } from 'zustand';
import type { EngineEvent, EngineInfo, ImageInfo, JobInfo, Sample, Settings, SettingsPatch } from '../../../electron/common/contract';
import { toErrorInfo, type ErrorInfo } from '../../../electron/common/errors';
import { api } from '../api/client';

/** A message in the corner: errors (typed, with hint and details) and confirmations. */
export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  /** For errors: the engine's typed error; for the others, message (and detail) only. */
  error: ErrorInfo;
  /** What the user was doing, e.g. 'Opening "x.jpg"'. */
  context?: string;
  /** One action, e.g. "Show in folder". */
  action?: { label: string; run(): void };
}

export interface ViewState {
  zoom: number;
  cursor: { x: number; y: number } | null;
}

/** The side panel's tabs; overlays on the image belong to their tool. */
export type ToolId = 'image' | 'colorize' | 'faces' | 'detect';

interface AppState {
  engine: EngineInfo | null;
  engineState: 'connecting' | 'ready' | 'restarting' | 'offline';
  settings: Settings | null;
  images: ImageInfo[];
  /** The sample images shipped with the app, with the tools each suits. */
  samples: Sample[];
  activeImageId: string | null;
  jobs: Record<string, JobInfo>;
  toasts: Toast[];
  view: ViewState;
  dialogs: { fileBrowser: boolean; settings: boolean; shortcuts: boolean; batch: boolean };
  tool: ToolId;

  init(): Promise<void>;
  openPaths(paths: string[]): Promise<void>;
  /** Opens a raster again with other bands shown (multispectral TIFFs); 1-based. */
  openWithBands(path: string, bands: number[]): Promise<void>;
  openFiles(files: File[]): Promise<void>;
  closeImage(id: string): Promise<void>;
  activate(id: string): void;
  cancelJob(id: string, hard?: boolean): Promise<void>;
  updateSettings(patch: SettingsPatch): Promise<void>;
  refreshEngine(): Promise<void>;
  /** An error toast (cancellations are not errors and show nothing). */
  notify(error: unknown, context?: string): void;
  /** A confirmation or information toast. */
  toast(toast: { kind: 'success' | 'info'; message: string; detail?: string; action?: Toast['action'] }): void;
  dismiss(id: number): void;
  /** Forgets finished jobs (the list keeps running and queued ones). */
  clearFinishedJobs(): void;
  setView(view: Partial<ViewState>): void;
  setTool(tool: ToolId): void;
  setDialog(name: keyof AppState['dialogs'], open: boolean): void;
}

let toastId = 0;

export const useApp = create<AppState>((set, get) => ({
  engine: null,
  engineState: 'connecting',
  settings: null,
  images: [],
  samples: [],
  activeImageId: null,
  jobs: {},
  toasts: [],
  view: { zoom: 1, cursor: null },
  dialogs: { fileBrowser: false, settings: false, shortcuts: false, batch: false },
  tool: 'image',

  async init() {
    api.onEvent((event) => handleEvent(event));
    try {
      const [settings, jobs] = await Promise.all([api.getSettings(), api.listJobs()]);
      set({ settings, jobs: Object.fromEntries(jobs.map((j) => [j.id, j])), engineState: 'ready' });
      // Engine info probes the execution providers, which can take a moment.
      void get().refreshEngine();
      api.listSamples().then((samples) => set({ samples }), (error) => get().notify(error, 'Listing sample images'));
    } catch (error) {
      set({ engineState: 'offline' });
      get().notify(error, 'Connecting to the Iriscope engine');
    }
  },

  async refreshEngine() {
    try {
      set({ engine: await api.engineInfo() });
    } catch (error) {
      get().notify(error, 'Reading engine information');
    }
  },

  async openPaths(paths) {
    for (const path of paths) {
      try {
        const image = await api.openImage({ path });
        addImage(image);
      } catch (error) {
        get().notify(error, `Opening "${baseName(path)}"`);
      }
    }
    void api.getSettings().then((settings) => set({ settings }), () => undefined);
  },

  async openWithBands(path, bands) {
    try {
      addImage(await api.openImage({ path, bands }));
    } catch (error) {
      get().notify(error, `Showing bands ${bands.join(', ')} of "${baseName(path)}"`);
    }
  },

  async openFiles(files) {
    for (const file of files) {
      const path = api.desktop?.pathForFile(file) ?? null;
      try {
        // The desktop shell knows the dropped file's path; a browser only has its bytes.
        const image = path ? await api.openImage({ path }) : await api.uploadImage({ name: file.name }, new Uint8Array(await file.arrayBuffer()));
        addImage(image);
      } catch (error) {
        get().notify(error, `Opening "${file.name}"`);
      }
    }
    void api.getSettings().then((settings) => set({ settings }), () => undefined);
  },

  async closeImage(id) {
    await api.closeImage({ imageId: id }).catch(() => undefined);
    set((state) => {
      const images = state.images.filter((i) => i.id !== id);
      const activeImageId = state.activeImageId === id ? images.at(-1)?.id ?? null : state.activeImageId;
      return { images, activeImageId };
    });
  },

  activate(id) {
    set({ activeImageId: id });
  },

  async cancelJob(id, hard) {
    try {
      const job = await api.cancelJob({ jobId: id, hard });
      set((state) => ({ jobs: { ...state.jobs, [job.id]: job } }));
    } catch (error) {
      get().notify(error, 'Cancelling');
    }
  },

  async updateSettings(patch) {
    try {
      set({ settings: await api.updateSettings(patch) });
      if (patch.inference) void get().refreshEngine();
    } catch (error) {
      get().notify(error, 'Saving settings');
    }
  },

  notify(error, context) {
    const info = toErrorInfo(error);
    if (info.code === 'CANCELLED') return;
    set((state) => ({ toasts: [...state.toasts.slice(-3), { id: ++toastId, kind: 'error', error: info, context }] }));
  },

  toast({ kind, message, detail, action }) {
    const error: ErrorInfo = { code: 'INTERNAL', message, ...(detail ? { detail } : {}) };
    set((state) => ({ toasts: [...state.toasts.slice(-3), { id: ++toastId, kind, error, action }] }));
  },

  dismiss(id) {
    set((state) => ({ toasts: state.toasts.filter((n) => n.id !== id) }));
  },

  clearFinishedJobs() {
    set((state) => ({ jobs: Object.fromEntries(Object.entries(state.jobs).filter(([, j]) => j.state === 'running' || j.state === 'queued')) }));
  },

  setView(view) {
    set((state) => ({ view: { ...state.view, ...view } }));
  },

  setTool(tool) {
    set({ tool });
  },

  setDialog(name, open) {
    set((state) => ({ dialogs: { ...state.dialogs, [name]: open } }));
  },
}));

/**
 * Image updates that arrived before the call that opened the image returned
 * (a small image's pyramid is ready within milliseconds, so its "ready" event
 * can overtake the openImage reply that still says "building").
 */
const earlyImageUpdates = new Map<string, ImageInfo>();

function addImage(opened: ImageInfo): void {
  const image = earlyImageUpdates.get(opened.id) ?? opened;
  earlyImageUpdates.delete(opened.id);
  useApp.setState((state) => {
    const exists = state.images.some((i) => i.id === image.id);
    return { images: exists ? state.images.map((i) => (i.id === image.id ? image : i)) : [...state.images, image], activeImageId: image.id };
  });
}

function handleEvent(event: EngineEvent): void {
  const { setState, getState } = useApp;
  switch (event.type) {
    case 'job':
      setState((state) => ({ jobs: { ...state.jobs, [event.job.id]: event.job } }));
      if (event.job.state === 'failed' && event.job.error) {
        const image = getState().images.find((i) => i.id === event.job.imageId);
        getState().notify(event.job.error, image && event.job.kind === 'pyramid' ? `Opening "${image.name}"` : event.job.title);
      }
      break;
    case 'image':
      if (!getState().images.some((i) => i.id === event.image.id)) {
        earlyImageUpdates.set(event.image.id, event.image);
        if (earlyImageUpdates.size > 64) earlyImageUpdates.delete(earlyImageUpdates.keys().next().value!);
        break;
      }
      setState((state) => ({ images: state.images.map((i) => (i.id === event.image.id ? event.image : i)) }));
      break;
    case 'engine': {
      const wasRestarting = getState().engineState === 'restarting';
      setState({ engineState: event.state === 'ready' ? 'ready' : 'restarting' });
      if (event.state === 'ready') {
        void getState().refreshEngine();
        // A restarted engine has forgotten the open images: open them again
        // (their pyramids are cached, so this is instant).
        if (wasRestarting) void reopenAll();
      }
      break;
    }
  }
}

async function reopenAll(): Promise<void> {
  const { images, activeImageId } = useApp.getState();
  const reopened: ImageInfo[] = [];
  let active: string | null = null;
  for (const image of images) {
    try {
      const fresh = await api.openImage({ path: image.path });
      reopened.push(fresh);
      if (image.id === activeImageId) active = fresh.id;
    } catch (error) {
      useApp.getState().notify(error, `Reopening "${image.name}"`);
    }
  }
  useApp.setState({ images: reopened, activeImageId: active ?? reopened.at(-1)?.id ?? null });
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export const activeImage = (state: AppState): ImageInfo | null => state.images.find((i) => i.id === state.activeImageId) ?? null;

const NO_FILES: string[] = [];
/** Selector with a stable empty value (a fresh [] would re-render forever). */
export const recentFiles = (state: AppState): string[] => state.settings?.recentFiles ?? NO_FILES;
