import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsError, isDiskFull, outputExistsError, outputFolderError } from './fs-errors';
import { releaseTemp, trackTemp } from './temp-files';

/** A temporary name beside the target (or in `dir`, on the same file system), so the final rename stays on one file system. */
export function tempPathFor(target: string, dir = path.dirname(target)): string {
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
}

/** Whether `name` is a temporary file `tempPathFor(<folder>/<target>)` made (of any process). */
export function isTempOf(name: string, target: string): boolean {
  const prefix = `.${path.basename(target)}.`;
  return name.startsWith(prefix) && /^\d+\.[0-9a-f]{8}\.partial$/.test(name.slice(prefix.length));
}

export interface AtomicWriteOptions {
  /**
   * true (default): the finished file replaces whatever `target` held.
   * false: it is linked into place only if `target` does not exist at that
   * moment (link() fails on an existing name, atomically), else OUTPUT_EXISTS.
   */
  replace?: boolean;
  /** Where the temporary file goes (default: beside the target); must be on the target's file system. */
  tempDir?: string;
}

/**
 * Produces `target` atomically: `produce` writes to a temporary path, which is
 * flushed and renamed over the target only when it succeeded. A failure (a
 * full disk, a cancelled job, a crash) leaves the old target untouched and no
 * partial file behind. The temporary file is created before `produce` runs, so
 * a folder that cannot be written fails at once, as an error about the folder.
 */
export async function writeAtomically<T>(target: string, produce: (tempPath: string) => Promise<T>, options: AtomicWriteOptions = {}): Promise<T> {
  const temp = trackTemp(tempPathFor(target, options.tempDir));
  try {
    await (await fs.open(temp, 'wx').catch((error: unknown) => {
      throw outputFolderError(error, path.dirname(target));
    })).close();
    const result = await produce(temp);
    const handle = await fs.open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.replace === false) await linkIntoPlace(temp, target);
    else await fs.rename(temp, target);
    return result;
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    // Errno failures (disk full, permissions) get a typed error; others pass through.
    throw (error as NodeJS.ErrnoException)?.code || isDiskFull(error) ? fsError(error, target, 'write') : error;
  } finally {
    releaseTemp(temp);
  }
}

/** Moves `temp` to `target` only if `target` does not exist, without a window in which another writer could slip in. */
async function linkIntoPlace(temp: string, target: string): Promise<void> {
  try {
    await fs.link(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw outputExistsError(target, 'existing');
    // File systems without hard links (some network and FAT-like ones): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw error;
    if (await fs.lstat(target).then(() => true, () => false)) throw outputExistsError(target, 'existing');
    await fs.rename(temp, target);
    return;
  }
  await fs.rm(temp, { force: true });
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options?: AtomicWriteOptions): Promise<void> {
  await writeAtomically(target, (temp) => fs.writeFile(temp, data), options);
}
