import type { Settings } from '../../common/contract';

export const DEFAULT_SETTINGS: Settings = {
  version: 1,
  inference: { provider: 'auto', deviceId: 0, intraOpThreads: 0 },
  // 2,147 Mpx is about 46,000 px a side: room for large aerial scenes, while a
  // header claiming 100,000 × 100,000 px is refused before anything is decoded.
  images: { maxMegapixels: 2147, pyramidCompression: 'jpeg', pyramidQuality: 90 },
  recentFiles: [],
  ui: { showJobPanel: true },
};
