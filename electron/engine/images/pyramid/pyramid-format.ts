/**
 * The on-disk pyramid: one pyramidal tiled TIFF per source image (libvips
 * writes each level as a TIFF page, level 0 at full resolution, each next
 * level halved) plus a small JSON record beside it. Shared by the builder
 * (a child process) and the reader (the engine).
 */
export const PYRAMID_FORMAT_VERSION = 1;
export const TILE_SIZE = 256;

export type PyramidCompression = 'jpeg' | 'deflate';

export interface PyramidBuildRequest {
  source: string;
  target: string;
  compression: PyramidCompression;
  quality: number;
  /** Keep one band for grayscale sources (colorization reads it as L). */
  grayscale: boolean;
  hasAlpha: boolean;
}

export interface PyramidRecord {
  version: number;
  source: { path: string; bytes: number; mtimeMs: number };
  compression: PyramidCompression;
  tileSize: number;
  bands: number;
  levels: Array<{ width: number; height: number }>;
  builtAt: number;
  buildMs: number;
  /** Peak memory of the builder process (bytes), for the benchmark and bug reports. */
  builderPeakRssBytes?: number;
  lastUsed: number;
}

/** Messages from the builder process to the engine. */
export type BuilderMessage =
  | { type: 'progress'; fraction: number | null; message: string }
  | { type: 'done'; levels: Array<{ width: number; height: number }>; bands: number; peakRssBytes: number }
  | { type: 'error'; message: string; code?: string };
