import type { Settings } from '../../common/contract';

export const DEFAULT_SETTINGS: Settings = {
  version: 1,
  inference: { provider: 'auto', deviceId: 0, intraOpThreads: 0 },
  // 2,000 Mpx is about 44,700 px a side: room for large aerial scenes, while a
  // header claiming 100,000 × 100,000 px is refused before anything is decoded.
  images: { maxMegapixels: 2000, pyramidCompression: 'jpeg', pyramidQuality: 90 },
  recentFiles: [],
  ui: { showJobPanel: false, exportFolder: null },
};

/** Defaults of earlier releases that a settings file may still hold although the user never chose them. */
export const OLD_DEFAULT_MAX_MEGAPIXELS = 2147;
