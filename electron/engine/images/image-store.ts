import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { ImageInfo, ImageMeta, Settings } from '../../common/contract';
import { IriscopeError, toErrorInfo } from '../../common/errors';
import { assertDiskFits, pyramidBytes } from '../budgets';
import type { JobQueue } from '../jobs/job-queue';
import { buildPyramid } from './pyramid/build-pyramid';
import { PyramidCache } from './pyramid/pyramid-cache';
import { PYRAMID_FORMAT_VERSION, TILE_SIZE, type PyramidRecord } from './pyramid/pyramid-format';
import { defaultBands, needsMapping, rasterKind } from './pyramid/band-mapping';
import { PyramidReader } from './pyramid/pyramid-reader';
import { probeImage } from './probe-image';

interface OpenImage {
  info: ImageInfo;
  key: string;
  /** 0-based bands mapped into the pyramid, or null for a plain image. */
  mapBands: number[] | null;
  mtimeMs: number;
  reader: PyramidReader | null;
  ready: Promise<PyramidReader>;
}

/**
 * The images open in this engine. Opening probes the file, then serves it
 * from its cached pyramid or starts a job that builds one; until then the
 * image is listed with `pyramid.state = 'building'`.
 */
export class ImageStore {
  private readonly images = new Map<string, OpenImage>();

  constructor(
    readonly cache: PyramidCache,
    private readonly jobs: JobQueue,
    private readonly settings: () => Settings,
    private readonly emit: (image: ImageInfo) => void,
  ) {}

  /**
   * Opens an image. `bands` (1-based) chooses the bands a multispectral raster
   * shows; 16-bit, float and multispectral TIFFs are mapped and stretched
   * even without it (band-mapping.ts).
   */
  async open(file: string, options: { bands?: number[] } = {}): Promise<ImageInfo> {
    const { images } = this.settings();
    const meta = await probeImage(file, { maxMegapixels: images.maxMegapixels, verify: 'small' });
    const { mtimeMs } = await fs.stat(meta.path);
    const mapBands = await this.bandsToMap(meta, options.bands);
    const sameBands = (open: OpenImage) => JSON.stringify(open.mapBands) === JSON.stringify(mapBands);
    for (const open of this.images.values()) {
      if (open.info.path === meta.path && open.mtimeMs === mtimeMs && sameBands(open) && open.info.pyramid.state !== 'failed' && open.info.pyramid.state !== 'cancelled') return structuredClone(open.info);
    }

    const key = this.cache.key({ path: meta.path, bytes: meta.fileBytes, mtimeMs }, images.pyramidCompression, images.pyramidQuality, mapBands);
    const id = randomBytes(8).toString('hex');
    const record = await this.cache.lookup(key);
    if (!record) {
      // The pyramid must fit on the cache's disk: refuse now, with the numbers, rather than fill it.
      await assertDiskFits(this.cache.dir, pyramidBytes(meta.width, meta.height, meta.bands, images.pyramidCompression), {
        what: 'Preparing',
        image: meta.name,
        width: meta.width,
        height: meta.height,
        hint: 'Free some disk space or clear Iriscope\'s cache (Settings), then open the image again.',
      });
    }
    const entry: OpenImage = {
      info: { ...meta, id, pyramid: { state: 'building', jobId: null, tileSize: TILE_SIZE, levels: [], error: null, mapping: null } },
      key,
      mapBands,
      mtimeMs,
      reader: null,
      ready: Promise.resolve(null as unknown as PyramidReader),
    };
    this.images.set(id, entry);

    if (record) {
      entry.reader = this.makeReader(meta, key, record);
      entry.info.pyramid = { state: 'ready', jobId: null, tileSize: record.tileSize, levels: record.levels, error: null, mapping: shownMapping(record.mapping) };
      entry.ready = Promise.resolve(entry.reader);
      return structuredClone(entry.info);
    }

    const grayscale = meta.colourSpace === 'b-w' || meta.colourSpace === 'grey16';
    const started = Date.now();
    const { job, done } = this.jobs.submit({
      kind: 'pyramid',
      title: `Preparing ${meta.name}`,
      imageId: id,
      lane: 'io',
      run: async (ctx) => {
        await fs.mkdir(this.cache.dir, { recursive: true });
        const built = await buildPyramid(
          { source: meta.path, target: this.cache.tiffPath(key), compression: images.pyramidCompression, quality: images.pyramidQuality, grayscale, hasAlpha: meta.hasAlpha, mapBands, pixels: meta.width * meta.height },
          ctx,
        );
        const saved: PyramidRecord = {
          version: PYRAMID_FORMAT_VERSION,
          source: { path: meta.path, bytes: meta.fileBytes, mtimeMs },
          compression: images.pyramidCompression,
          tileSize: TILE_SIZE,
          bands: built.bands,
          levels: built.levels,
          mapping: built.mapping,
          builtAt: Date.now(),
          buildMs: Date.now() - started,
          builderPeakRssBytes: built.peakRssBytes,
          lastUsed: Date.now(),
        };
        await this.cache.save(key, saved);
        void this.cache.prune(new Set([...this.images.values()].map((i) => i.key)));
        return saved;
      },
    });
    entry.info.pyramid.jobId = job.id;
    entry.ready = done.then(
      (saved) => {
        entry.reader = this.makeReader(meta, key, saved);
        entry.info.pyramid = { state: 'ready', jobId: job.id, tileSize: saved.tileSize, levels: saved.levels, error: null, mapping: shownMapping(saved.mapping) };
        this.emitIfOpen(id);
        return entry.reader;
      },
      (error: unknown) => {
        const info = toErrorInfo(error);
        entry.info.pyramid = { ...entry.info.pyramid, state: info.code === 'CANCELLED' ? 'cancelled' : 'failed', error: info };
        this.emitIfOpen(id);
        throw error;
      },
    );
    entry.ready.catch(() => undefined);
    return structuredClone(entry.info);
  }

  /** The 0-based bands to map for this image and request, or null when libvips shows it as it is. */
  private async bandsToMap(meta: ImageMeta, requested: number[] | undefined): Promise<number[] | null> {
    if (requested?.length) {
      const missing = requested.find((b) => b > meta.bands);
      if (missing !== undefined) {
        throw new IriscopeError({ code: 'BAD_REQUEST', message: `"${meta.name}" has ${meta.bands} band${meta.bands === 1 ? '' : 's'}: there is no band ${missing}.`, hint: `Choose bands from 1 to ${meta.bands}.` });
      }
      if (meta.format !== 'tiff') throw new IriscopeError({ code: 'BAD_REQUEST', message: `Bands can be chosen for TIFF rasters; "${meta.name}" is ${meta.format.toUpperCase()}.` });
      return requested.map((b) => b - 1);
    }
    if (meta.format !== 'tiff') return null;
    const kind = await rasterKind(meta.path).catch(() => null);
    return needsMapping(kind, null) ? defaultBands(kind!.bands) : null;
  }

  get(id: string): ImageInfo {
    return structuredClone(this.entry(id).info);
  }

  list(): ImageInfo[] {
    return [...this.images.values()].map((i) => structuredClone(i.info));
  }

  /** The reader once the pyramid is ready; waits for a build in progress. */
  async whenReady(id: string): Promise<PyramidReader> {
    return this.entry(id).ready;
  }

  reader(id: string): PyramidReader {
    const entry = this.entry(id);
    if (!entry.reader) {
      const state = entry.info.pyramid.state;
      throw new IriscopeError({
        code: state === 'failed' && entry.info.pyramid.error ? entry.info.pyramid.error.code : 'BAD_REQUEST',
        message: state === 'building' ? `"${entry.info.name}" is still being prepared.` : `"${entry.info.name}" could not be prepared for viewing.`,
        detail: entry.info.pyramid.error?.message,
      });
    }
    return entry.reader;
  }

  close(id: string): void {
    const entry = this.entry(id);
    if (entry.info.pyramid.state === 'building' && entry.info.pyramid.jobId) {
      try {
        this.jobs.cancel(entry.info.pyramid.jobId, true);
      } catch {
        // The job already finished.
      }
    }
    this.images.delete(id);
  }

  private entry(id: string): OpenImage {
    const entry = this.images.get(id);
    if (!entry) throw new IriscopeError({ code: 'NOT_FOUND', message: 'That image is not open any more.', detail: id });
    return entry;
  }

  private emitIfOpen(id: string): void {
    const entry = this.images.get(id);
    if (entry) this.emit(structuredClone(entry.info));
  }

  private makeReader(meta: ImageMeta, key: string, record: PyramidRecord): PyramidReader {
    // Full-resolution regions come from the original when it is random-access
    // and already in the pyramid's pixel format: no re-compression loss.
    const direct = meta.tiled && meta.orientation === 1 && meta.bitDepth === 8 && !meta.hasAlpha
      && ((meta.bands === 3 && meta.colourSpace === 'srgb') || (meta.bands === 1 && meta.colourSpace === 'b-w'))
      && meta.bands === record.bands;
    return new PyramidReader(this.cache.tiffPath(key), { tileSize: record.tileSize, bands: record.bands, levels: record.levels }, key, direct ? meta.path : null);
  }
}

export type { ImageMeta };

/** A pyramid's band mapping as the contract shows it (1-based bands). */
function shownMapping(mapping: PyramidRecord['mapping'] | undefined): ImageInfo['pyramid']['mapping'] {
  return mapping ? { bands: mapping.bands.map((b) => b + 1), stretch: mapping.stretch } : null;
}
