/**
 * Writes one pyramid: a pyramidal tiled TIFF of the source (band-mapped
 * first where needed, see band-mapping.ts). Runs in the builder child process
 * for large images (killable, crash-isolated) and in the engine itself for
 * small ones, where a child's start costs more than the whole build.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { inputOptions } from '../sharp-setup';
import { planMapping, writeMapped } from './band-mapping';
import type { DisplayMapping, PyramidBuildRequest } from './pyramid-format';
import { TILE_SIZE } from './pyramid-format';

export interface WrittenPyramid {
  levels: Array<{ width: number; height: number }>;
  bands: number;
  mapping: DisplayMapping | null;
}

export type ProgressReport = (fraction: number | null, message: string) => void;

/**
 * Fraction of the source consumed, read from this process's own file offset
 * on the source (Linux /proc). libvips reads sources front to back, tiles
 * included, so the offset tracks decoding. Null where /proc is missing.
 */
function sourceReadFraction(source: string, bytes: number): number | null {
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      let target: string;
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== source) continue;
      const pos = /pos:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (pos) return Math.min(1, Number(pos[1]) / bytes);
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * Builds `request.target`. With `watchSource`, progress is read from how far
 * this process has read into the source (meaningful only in the builder
 * child, which reads nothing else).
 */
export async function writePyramid(request: PyramidBuildRequest, report: ProgressReport, options: { watchSource: boolean }): Promise<WrittenPyramid> {
  const source = realpathSync(request.source);
  const { size } = await fs.stat(source);
  let last = -1;
  const timer = setInterval(() => {
    if (!options.watchSource) return;
    const fraction = sourceReadFraction(source, size);
    if (fraction === null) {
      report(null, 'Building pyramid…');
    } else if (fraction !== last) {
      last = fraction;
      // The last few percent are the lower levels, written after the source is read.
      report(0.95 * fraction, `Reading source: ${Math.round(fraction * 100)}%`);
    }
  }, 250);
  let mapping: DisplayMapping | null = null;
  let mapped: string | null = null;
  try {
    let image;
    if (request.mapBands) {
      // Multispectral, 16-bit or float: chosen bands, stretched, through an 8-bit PNG (band-mapping.ts).
      clearInterval(timer);
      report(0, 'Measuring the bands');
      mapping = await planMapping(source, request.mapBands);
      mapped = path.join(path.dirname(request.target), `.${path.basename(request.target)}-mapped.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
      let lastSent = 0;
      await writeMapped(source, mapped, mapping, (done, total) => {
        if (Date.now() - lastSent < 250 && done < total) return;
        lastSent = Date.now();
        report(0.7 * (done / total), `Mapping bands: ${Math.round((100 * done) / total)}%`);
      });
      report(0.7, 'Building pyramid…');
      image = sharp(mapped, inputOptions({ sequentialRead: true })).toColourspace(mapping.bands.length === 1 ? 'b-w' : 'srgb');
    } else {
      image = sharp(source, inputOptions({ sequentialRead: true })).autoOrient();
      if (request.hasAlpha) image = image.flatten({ background: '#ffffff' });
      image = image.toColourspace(request.grayscale ? 'b-w' : 'srgb');
    }
    await image
      .tiff({
        tile: true,
        tileWidth: TILE_SIZE,
        tileHeight: TILE_SIZE,
        pyramid: true,
        compression: request.compression,
        quality: request.quality,
        predictor: request.compression === 'deflate' ? 'horizontal' : 'none',
      })
      .toFile(request.target);
  } finally {
    clearInterval(timer);
    if (mapped) await fs.rm(mapped, { force: true });
  }
  report(0.97, 'Reading levels');
  const first = await sharp(request.target, { limitInputPixels: false }).metadata();
  const levels: Array<{ width: number; height: number }> = [];
  for (let page = 0; page < (first.pages ?? 1); page++) {
    const meta = await sharp(request.target, { limitInputPixels: false, page }).metadata();
    levels.push({ width: meta.width, height: meta.height });
  }
  return { levels, bands: first.channels, mapping };
}
