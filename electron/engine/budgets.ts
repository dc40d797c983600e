/**
 * Resource budgets, one place for all features. Each feature's memory use is
 * bounded by design (tiles, strips, batches; see each pipeline's README) and
 * measured by `npm run bench`; what grows with the image is disk: pyramids in
 * the cache and temporary renders. Those are estimated from the image size
 * and checked against the free space *before* work starts, so a task that
 * cannot fit fails at once with the numbers, not after minutes with a full
 * disk.
 *
 * | feature      | memory (RSS)      | disk, estimated before work starts                        |
 * |--------------|-------------------|-----------------------------------------------------------|
 * | open/pyramid | ≤ 1.5 GB (builder child, streaming) | pyramid: ~0.2 (JPEG) / ~0.8 (deflate) × pixels × bands × 4/3 |
 * | colorize     | ≤ 1.5 GB          | per sample rendered at once: ≤ pixels × 3 (streamed PNG, usually far less), plus its viewer pyramid |
 * | detect/faces | ≤ 1.5 GB          | none beyond the pyramid                                   |
 * | exports      | ≤ 1.5 GB (WebP: whole picture, so ≤ 16,383 px a side) | the output file, written beside its target atomically |
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IriscopeError } from '../common/errors';

export const MEMORY_BUDGET_BYTES = 1.5 * 1024 ** 3;
/** Free space always left on a disk Iriscope writes to (the system and other programs need it): 512 MB, or 5% of a small disk. */
export const DISK_RESERVE_BYTES = 512 * 1024 ** 2;
const reserveFor = (totalBytes: number) => Math.min(DISK_RESERVE_BYTES, 0.05 * totalBytes);

/** Bytes of the viewer pyramid of a width × height image with `bands` bands. */
export function pyramidBytes(width: number, height: number, bands: number, compression: 'jpeg' | 'deflate'): number {
  return width * height * Math.max(1, Math.min(3, bands)) * (compression === 'jpeg' ? 0.2 : 0.8) * (4 / 3);
}

/** Temporary disk of a colorization: `atOnce` samples rendered side by side, plus every sample's pyramid. */
export function colorizeBytes(width: number, height: number, samples: number, atOnce: number, compression: 'jpeg' | 'deflate'): number {
  return Math.min(samples, atOnce) * width * height * 3 + samples * pyramidBytes(width, height, 3, compression);
}

/** Free and total bytes (for an unprivileged writer) of the disk holding `dir` (its nearest existing ancestor). */
export async function diskSpace(dir: string): Promise<{ free: number; total: number } | null> {
  let at = path.resolve(dir);
  for (;;) {
    try {
      const stat = await fs.statfs(at);
      return { free: stat.bavail * stat.bsize, total: stat.blocks * stat.bsize };
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return null;
      at = parent;
    }
  }
}

/**
 * Refuses a task whose estimated disk use does not fit in the free space of
 * `dir` (less the reserve), with IMAGE_TOO_LARGE_FOR_TASK and the numbers.
 */
export async function assertDiskFits(dir: string, neededBytes: number, task: { what: string; image: string; width: number; height: number; hint?: string }): Promise<void> {
  const space = await diskSpace(dir);
  if (!space) return;
  const { free } = space;
  const reserve = reserveFor(space.total);
  if (neededBytes + reserve <= free) return;
  throw new IriscopeError({
    code: 'IMAGE_TOO_LARGE_FOR_TASK',
    message: `${task.what} "${task.image}" (${task.width.toLocaleString('en-US')} × ${task.height.toLocaleString('en-US')} px) needs about ${formatBytes(neededBytes)} of disk space; ${formatBytes(Math.max(0, free - reserve))} are free in ${dir} (keeping ${formatBytes(reserve)} in reserve).`,
    detail: `needed ${Math.round(neededBytes)} bytes, free ${free} bytes`,
    hint: task.hint ?? 'Free some disk space (or clear Iriscope\'s cache) and try again. Nothing was written.',
  });
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${Math.max(0, Math.round(bytes / 1024))} KB`;
}
