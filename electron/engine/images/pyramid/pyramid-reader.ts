import { existsSync } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { IriscopeError } from '../../../common/errors';
import type { Sharp } from 'sharp';
import { imageError } from '../image-errors';
import { configureSharp, openImageFile } from '../sharp-setup';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export interface PyramidLayout {
  tileSize: number;
  bands: number;
  levels: Array<{ width: number; height: number }>;
}

/** Side of the decoded full-resolution blocks `readRegions` shares between regions. */
const BLOCK = 512;

/** Decoded full-resolution blocks (raw pixels), shared by all open images, bounded in bytes. */
const blockCache = new LRUCache<string, Promise<RawImage>>({ maxSize: 96 * 1024 * 1024, sizeCalculation: () => BLOCK * BLOCK * 3 });

/** Encoded viewer tiles shared by all open images, bounded in bytes. */
const tileCache = new LRUCache<string, Buffer>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });

/**
 * Reads viewer tiles and arbitrary regions from a pyramid TIFF. Every read
 * decodes only the TIFF tiles it touches, so memory stays bounded whatever
 * the image size. When the original file is itself a tiled TIFF in display
 * orientation, full-resolution regions come straight from it (no
 * re-compression loss); otherwise from level 0 of the pyramid.
 */
export class PyramidReader {
  constructor(
    readonly tiffPath: string,
    readonly layout: PyramidLayout,
    private readonly cacheKey: string,
    private readonly fullResSource: string | null = null,
  ) {}

  get width(): number {
    return this.layout.levels[0].width;
  }

  get height(): number {
    return this.layout.levels[0].height;
  }

  tileGrid(level: number): { columns: number; rows: number } {
    const { width, height } = this.level(level);
    return { columns: Math.ceil(width / this.layout.tileSize), rows: Math.ceil(height / this.layout.tileSize) };
  }

  /** One viewer tile as JPEG; edge tiles are cut to the image. */
  async readTile(level: number, x: number, y: number): Promise<Buffer> {
    const key = `${this.cacheKey}/${level}/${x}/${y}`;
    const cached = tileCache.get(key);
    if (cached) return cached;
    const { width, height } = this.level(level);
    const size = this.layout.tileSize;
    const left = x * size;
    const top = y * size;
    if (left >= width || top >= height) {
      throw new IriscopeError({ code: 'BAD_REQUEST', message: 'That tile lies outside the image.', detail: `level ${level} tile ${x},${y}` });
    }
    const tile = await openImageFile(this.tiffPath, { page: level })
      .extract({ left, top, width: Math.min(size, width - left), height: Math.min(size, height - top) })
      .jpeg({ quality: 85 })
      .toBuffer()
      .catch((error: unknown) => this.readFailed(error, this.tiffPath));
    tileCache.set(key, tile);
    return tile;
  }

  /**
   * Reads `region` (full-resolution pixel coordinates) as raw 8-bit pixels,
   * optionally scaled to `output` size, using the coarsest level that still
   * has enough detail. Parts outside the image are filled with black.
   */
  async readRegion(region: Region, output?: { width: number; height: number }): Promise<RawImage> {
    const plan = this.plan(region, output);
    if (!plan.read) return blank(plan);
    return this.finish(plan, openImageFile(plan.file, plan.page === null ? {} : { page: plan.page }).extract(plan.read)).catch((error: unknown) => this.readFailed(error, plan.file));
  }

  /**
   * Full-resolution pixels of an integer rectangle inside the image, copied
   * out of decoded blocks of BLOCK px kept in a shared, bounded cache: the
   * cascade's crops (several overlapping ones per stage-1 tile, neighbours
   * sharing TIFF tiles) decode each compressed tile once, not once per crop.
   */
  async readPixels(rect: { left: number; top: number; width: number; height: number }): Promise<RawImage> {
    const inside = rect.left >= 0 && rect.top >= 0 && rect.width > 0 && rect.height > 0 && rect.left + rect.width <= this.width && rect.top + rect.height <= this.height;
    if (!inside) throw new IriscopeError({ code: 'BAD_REQUEST', message: 'A pixel rectangle must lie inside the image.', detail: JSON.stringify(rect) });
    return this.assemble(this.fullResSource ?? this.tiffPath, rect);
  }

  /** A full-resolution rectangle copied out of cached decoded blocks. */
  private async assemble(file: string, r: { left: number; top: number; width: number; height: number }): Promise<RawImage> {
    const channels = this.layout.bands;
    const out = Buffer.alloc(r.width * r.height * channels);
    const jobs: Array<Promise<void>> = [];
    for (let by = Math.floor(r.top / BLOCK); by * BLOCK < r.top + r.height; by++) {
      for (let bx = Math.floor(r.left / BLOCK); bx * BLOCK < r.left + r.width; bx++) {
        jobs.push(
          this.block(file, bx, by).then((b) => {
            const x0 = Math.max(r.left, bx * BLOCK);
            const x1 = Math.min(r.left + r.width, bx * BLOCK + b.width);
            const y0 = Math.max(r.top, by * BLOCK);
            const y1 = Math.min(r.top + r.height, by * BLOCK + b.height);
            for (let y = y0; y < y1; y++) {
              const src = ((y - by * BLOCK) * b.width + (x0 - bx * BLOCK)) * channels;
              b.data.copy(out, ((y - r.top) * r.width + (x0 - r.left)) * channels, src, src + (x1 - x0) * channels);
            }
          }),
        );
      }
    }
    await Promise.all(jobs);
    return { data: out, width: r.width, height: r.height, channels };
  }

  private block(file: string, bx: number, by: number): Promise<RawImage> {
    const key = `${this.cacheKey}|${file}|${bx},${by}`;
    let pending = blockCache.get(key);
    if (!pending) {
      const left = bx * BLOCK;
      const top = by * BLOCK;
      pending = openImageFile(file)
        .extract({ left, top, width: Math.min(BLOCK, this.width - left), height: Math.min(BLOCK, this.height - top) })
        .raw()
        .toBuffer({ resolveWithObject: true })
        .then(({ data, info }) => ({ data, width: info.width, height: info.height, channels: info.channels }), (error: unknown) => this.readFailed(error, file));
      pending.catch(() => blockCache.delete(key));
      blockCache.set(key, pending);
    }
    return pending;
  }

  /**
   * A read that failed, as a typed error naming the real cause: the original
   * or the pyramid was deleted or moved while open (FILE_NOT_FOUND), or its
   * data is damaged (CORRUPT_IMAGE, from the decoder's message).
   */
  private async readFailed(error: unknown, file: string): Promise<never> {
    if (!existsSync(file)) {
      const original = file === this.fullResSource;
      throw new IriscopeError({
        code: 'FILE_NOT_FOUND',
        message: original
          ? `"${path.basename(file)}" was moved or deleted while Iriscope was reading it.`
          : 'The prepared copy of this image was removed from the cache while it was open.',
        detail: `${file}: ${error instanceof Error ? error.message : String(error)}`,
        hint: original ? 'Put the file back, or open it again from its new place.' : 'Close the image and open it again (it will be prepared anew).',
      });
    }
    throw await imageError(error, file);
  }

  /** Which level and pixels a region read needs, and how they are scaled and padded into the output. */
  private plan(region: Region, output?: { width: number; height: number }): RegionPlan {
    if (region.width <= 0 || region.height <= 0) throw new IriscopeError({ code: 'BAD_REQUEST', message: 'A region must have a positive size.' });
    const outW = Math.max(1, Math.round(output?.width ?? region.width));
    const outH = Math.max(1, Math.round(output?.height ?? region.height));
    const level = this.levelFor(Math.min(outW / region.width, outH / region.height));
    const { width: lw, height: lh } = this.level(level);
    const sx = lw / this.width;
    const sy = lh / this.height;

    // Region in level coordinates, and its intersection with the level.
    const rx0 = region.x * sx;
    const ry0 = region.y * sy;
    const rx1 = (region.x + region.width) * sx;
    const ry1 = (region.y + region.height) * sy;
    const ix0 = Math.max(0, Math.floor(rx0));
    const iy0 = Math.max(0, Math.floor(ry0));
    const ix1 = Math.min(lw, Math.ceil(rx1));
    const iy1 = Math.min(lh, Math.ceil(ry1));
    const channels = this.layout.bands;
    const direct = level === 0 && this.fullResSource !== null;
    const plan: RegionPlan = { level, file: direct ? this.fullResSource! : this.tiffPath, page: direct ? null : level, outW, outH, channels, read: null, scale: null };
    if (ix1 <= ix0 || iy1 <= iy0) return plan;
    plan.read = { left: ix0, top: iy0, width: ix1 - ix0, height: iy1 - iy0 };
    const exact = ix0 === rx0 && iy0 === ry0 && ix1 === rx1 && iy1 === ry1;
    if (!exact || outW !== ix1 - ix0 || outH !== iy1 - iy0) {
      // Scale the intersecting part, then pad it into place inside the output.
      const scaleX = outW / (rx1 - rx0);
      const scaleY = outH / (ry1 - ry0);
      const left = Math.round((ix0 - rx0) * scaleX);
      const top = Math.round((iy0 - ry0) * scaleY);
      const w = Math.max(1, Math.min(outW - Math.max(0, left), Math.round((ix1 - ix0) * scaleX)));
      const h = Math.max(1, Math.min(outH - Math.max(0, top), Math.round((iy1 - iy0) * scaleY)));
      plan.scale = { left, top, w, h };
    }
    return plan;
  }

  private async finish(plan: RegionPlan, extracted: Sharp): Promise<RawImage> {
    let image = extracted;
    if (plan.scale) {
      const { left, top, w, h } = plan.scale;
      image = image.resize(w, h, { fit: 'fill', kernel: 'lanczos3' });
      if (left > 0 || top > 0 || left + w < plan.outW || top + h < plan.outH) {
        image = image.extend({
          left: Math.max(0, left),
          top: Math.max(0, top),
          right: Math.max(0, plan.outW - w - Math.max(0, left)),
          bottom: Math.max(0, plan.outH - h - Math.max(0, top)),
          background: { r: 0, g: 0, b: 0 },
        });
      }
    }
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  }

  /** The coarsest level whose resolution is at least `scale` of full resolution. */
  levelFor(scale: number): number {
    let best = 0;
    for (let i = 1; i < this.layout.levels.length; i++) {
      if (this.layout.levels[i].width / this.width >= scale - 1e-9) best = i;
      else break;
    }
    return best;
  }

  private level(level: number): { width: number; height: number } {
    const found = this.layout.levels[level];
    if (!found) throw new IriscopeError({ code: 'BAD_REQUEST', message: `The image has no pyramid level ${level}.` });
    return found;
  }
}

interface RegionPlan {
  level: number;
  file: string;
  /** TIFF page of the pyramid level; null when reading the original file. */
  page: number | null;
  outW: number;
  outH: number;
  channels: number;
  /** Level pixels to read; null when the region misses the image. */
  read: { left: number; top: number; width: number; height: number } | null;
  /** Resize of the read pixels and their place in the output; null when they are the output. */
  scale: { left: number; top: number; w: number; h: number } | null;
}

function blank(plan: RegionPlan): RawImage {
  return { data: Buffer.alloc(plan.outW * plan.outH * plan.channels), width: plan.outW, height: plan.outH, channels: plan.channels };
}
