import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsError, isDiskFull } from './fs-errors';

/** A temporary name beside the target, so the final rename stays on one file system. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
}

/**
 * Produces `target` atomically: `produce` writes to a temporary path, which is
 * flushed and renamed over the target only when it succeeded. A failure (a
 * full disk, a cancelled job, a crash) leaves the old target untouched and no
 * partial file behind.
 */
export async function writeAtomically<T>(target: string, produce: (tempPath: string) => Promise<T>): Promise<T> {
  const temp = tempPathFor(target);
  try {
    const result = await produce(temp);
    const handle = await fs.open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
    return result;
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    // Errno failures (disk full, permissions) get a typed error; others pass through.
    throw (error as NodeJS.ErrnoException)?.code || isDiskFull(error) ? fsError(error, target, 'write') : error;
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await writeAtomically(target, (temp) => fs.writeFile(temp, data));
}
