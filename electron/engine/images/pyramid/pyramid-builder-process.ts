/**
 * Child-process entry that writes one pyramid. It runs out of the engine's
 * process so that a cancel can kill it at once (libvips cannot be interrupted
 * mid-write) and so a decoder crash on a hostile file cannot take the engine
 * down. Progress comes from how far libvips has read into the source file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { inputOptions } from '../sharp-setup';
import { planMapping, writeMapped } from './band-mapping';
import type { BuilderMessage, DisplayMapping, PyramidBuildRequest } from './pyramid-format';
import { TILE_SIZE } from './pyramid-format';

function send(message: BuilderMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });
}

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

async function build(request: PyramidBuildRequest): Promise<void> {
  const source = realpathSync(request.source);
  const { size } = await fs.stat(source);
  sharp.concurrency(Math.max(1, Math.min(4, (await import('node:os')).cpus().length)));
  let last = -1;
  const timer = setInterval(() => {
    const fraction = sourceReadFraction(source, size);
    if (fraction === null) {
      void send({ type: 'progress', fraction: null, message: 'Building pyramid…' });
    } else if (fraction !== last) {
      last = fraction;
      // The last few percent are the lower levels, written after the source is read.
      void send({ type: 'progress', fraction: 0.95 * fraction, message: `Reading source: ${Math.round(fraction * 100)}%` });
    }
  }, 250);
  let mapping: DisplayMapping | null = null;
  let mapped: string | null = null;
  try {
    let image;
    if (request.mapBands) {
      // Multispectral, 16-bit or float: chosen bands, stretched, through an 8-bit PNG (band-mapping.ts).
      clearInterval(timer);
      void send({ type: 'progress', fraction: 0, message: 'Measuring the bands' });
      mapping = await planMapping(source, request.mapBands);
      mapped = path.join(path.dirname(request.target), `.${path.basename(request.target)}-mapped.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
      let lastSent = 0;
      await writeMapped(source, mapped, mapping, (done, total) => {
        if (Date.now() - lastSent < 250 && done < total) return;
        lastSent = Date.now();
        void send({ type: 'progress', fraction: 0.7 * (done / total), message: `Mapping bands: ${Math.round((100 * done) / total)}%` });
      });
      void send({ type: 'progress', fraction: 0.7, message: 'Building pyramid…' });
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
  await send({ type: 'progress', fraction: 0.97, message: 'Reading levels' });
  const first = await sharp(request.target, { limitInputPixels: false }).metadata();
  const levels: Array<{ width: number; height: number }> = [];
  for (let page = 0; page < (first.pages ?? 1); page++) {
    const meta = await sharp(request.target, { limitInputPixels: false, page }).metadata();
    levels.push({ width: meta.width, height: meta.height });
  }
  await send({ type: 'done', levels, bands: first.channels, mapping, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
}

// The builder dies with the engine: when the parent goes (killed, crashed,
// exited) the IPC channel closes, and an orphan must not go on writing.
process.once('disconnect', () => process.exit(1));

process.once('message', (request: PyramidBuildRequest) => {
  build(request).then(
    () => process.exit(0),
    async (error: unknown) => {
      const err = error as NodeJS.ErrnoException;
      await send({ type: 'error', message: err?.message ?? String(error), code: err?.code });
      process.exit(1);
    },
  );
});
