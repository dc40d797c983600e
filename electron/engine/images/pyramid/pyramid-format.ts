/**
 * The on-disk pyramid: one pyramidal tiled TIFF per source image (libvips
 * writes each level as a TIFF page, level 0 at full resolution, each next
 * level halved) plus a small JSON record beside it. Shared by the builder
 * (a child process) and the reader (the engine).
 */
export const PYRAMID_FORMAT_VERSION = 2;
export const TILE_SIZE = 256;

export type PyramidCompression = 'jpeg' | 'deflate';

/** How source bands become the pyramid's gray or RGB (see band-mapping.ts); 0-based bands. */
export interface DisplayMapping {
  bands: number[];
  stretch: Array<{ low: number; high: number }>;
}

export interface PyramidBuildRequest {
  source: string;
  target: string;
  compression: PyramidCompression;
  quality: number;
  /** Keep one band for grayscale sources (colorization reads it as L). */
  grayscale: boolean;
  hasAlpha: boolean;
  /** Map bands (multispectral, 16-bit, float TIFFs): these 0-based bands, stretched; null for plain images. */
  mapBands: number[] | null;
  /** Width × height of the source (small images are built in the engine's own process). */
  pixels: number;
}

export interface PyramidRecord {
  version: number;
  source: { path: string; bytes: number; mtimeMs: number };
  compression: PyramidCompression;
  tileSize: number;
  bands: number;
  levels: Array<{ width: number; height: number }>;
  /** The band mapping the pyramid was built with, or null. */
  mapping: DisplayMapping | null;
  builtAt: number;
  buildMs: number;
  /** Peak memory of the builder process (bytes), for the benchmark and bug reports. */
  builderPeakRssBytes?: number;
  lastUsed: number;
}

/** Messages from the builder process to the engine. */
export type BuilderMessage =
  | { type: 'progress'; fraction: number | null; message: string }
  | { type: 'done'; levels: Array<{ width: number; height: number }>; bands: number; mapping: DisplayMapping | null; peakRssBytes: number }
  | { type: 'error'; message: string; code?: string };
