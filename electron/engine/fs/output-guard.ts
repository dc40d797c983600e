/**
 * What every writer of results (CLI, UI and server exports, batch workers)
 * goes through, so nothing a user owns is ever written over:
 *
 * - never onto an input: an image open in the engine or a file named in the
 *   current batch (compared by path, real path and inode, so links and
 *   case-insensitive names are caught too), whatever the caller asked;
 * - never onto an existing file this guard did not write itself, unless the
 *   caller asked to replace it (`existing: 'replace'`), or asked to keep it
 *   as a finished result (`existing: 'keep'`, batch outputs whose names carry
 *   the input's hash and parameters);
 * - the final step is atomic and refuses a file that appeared meanwhile
 *   (see atomic-write.ts), so a concurrent writer cannot be clobbered either.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IriscopeError } from '../../common/errors';
import { writeAtomically } from './atomic-write';
import { outputExistsError, outputFolderError } from './fs-errors';

/** What to do when an output file already exists (never applies to inputs: those are always refused). */
export type ExistingOutput = 'refuse' | 'replace' | 'keep';

export interface GuardedWrite<T> {
  path: string;
  /** False when an existing finished output was kept (`existing: 'keep'`); `result` is then undefined. */
  written: boolean;
  result?: T;
}

const identity = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`;

export class OutputGuard {
  private readonly created = new Set<string>();
  private readonly batchPaths = new Set<string>();
  private readonly batchIds = new Set<string>();
  /** Output prefix → folder for its temporary files (a batch job's own, swept when the job starts again elsewhere). */
  private readonly tempDirs = new Map<string, string>();

  /** `openInputs` lists the paths of the images open in the engine right now. */
  constructor(private readonly openInputs: () => Iterable<string> = () => []) {}

  /** Files named in the current batch (the CLI's inputs): never written over, even when asked to overwrite. */
  async addInputs(files: Iterable<string>): Promise<void> {
    for (const file of files) {
      const resolved = path.resolve(file);
      this.batchPaths.add(resolved);
      const stat = await fs.stat(resolved).catch(() => null);
      if (stat) this.batchIds.add(identity(stat));
    }
  }

  /**
   * Temporary files of every output whose path starts with `prefix` go into
   * `dir` (same file system) until the returned function is called: a batch
   * job keeps them in a folder of its own, which the next attempt can remove
   * whole if a worker was killed mid-write.
   */
  stageTempsIn(prefix: string, dir: string): () => void {
    this.tempDirs.set(path.resolve(prefix), dir);
    return () => this.tempDirs.delete(path.resolve(prefix));
  }

  private tempDirFor(target: string): string | undefined {
    for (const [prefix, dir] of this.tempDirs) if (target.startsWith(prefix)) return dir;
    return undefined;
  }

  /** Whether `target` is one of the inputs (the same path, or the same file through a link or another spelling). */
  async isInput(target: string): Promise<boolean> {
    const resolved = path.resolve(target);
    const open = [...this.openInputs()].map((p) => path.resolve(p));
    if (this.batchPaths.has(resolved) || open.includes(resolved)) return true;
    const stat = await fs.stat(resolved).catch(() => null);
    if (!stat) return false;
    const id = identity(stat);
    if (this.batchIds.has(id)) return true;
    for (const file of open) {
      const s = await fs.stat(file).catch(() => null);
      if (s && identity(s) === id) return true;
    }
    return false;
  }

  /**
   * Writes `target` atomically through `produce(tempPath)`, under the rules
   * above. The folder must exist; errors name it, never the input.
   */
  async write<T>(target: string, produce: (tempPath: string) => Promise<T>, options: { existing?: ExistingOutput } = {}): Promise<GuardedWrite<T>> {
    const resolved = path.resolve(target);
    const existing = options.existing ?? 'refuse';
    await checkFolder(path.dirname(resolved));
    if (await this.isInput(resolved)) throw outputExistsError(resolved, 'input');
    const present = await fs.lstat(resolved).catch(() => null);
    if (present?.isDirectory()) throw new IriscopeError({ code: 'NOT_A_FILE', message: `"${resolved}" is a folder, not a file.`, hint: 'Choose another output name.' });
    if (present && existing === 'keep') return { path: resolved, written: false };
    const replace = Boolean(present) && (existing === 'replace' || this.created.has(resolved));
    if (present && !replace) throw outputExistsError(resolved, 'existing');
    try {
      const result = await writeAtomically(resolved, produce, { replace, tempDir: this.tempDirFor(resolved) });
      this.created.add(resolved);
      return { path: resolved, written: true, result };
    } catch (error) {
      // Another writer finished the same batch output first: it is the same result.
      if (existing === 'keep' && (error as IriscopeError).code === 'OUTPUT_EXISTS' && !(await this.isInput(resolved))) return { path: resolved, written: false };
      throw error;
    }
  }
}

async function checkFolder(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch((error: unknown) => {
    throw outputFolderError(error, dir);
  });
  if (!stat.isDirectory()) throw outputFolderError(Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' }), dir);
}

/**
 * Creates an output folder (with its parents) and proves it can be written,
 * before any work starts: a read-only disk, a folder without permission or a
 * file in the way is one clear error about the folder, not one per input.
 */
export async function prepareOutputFolder(dir: string): Promise<string> {
  const resolved = path.resolve(dir);
  await fs.mkdir(resolved, { recursive: true }).catch((error: unknown) => {
    throw outputFolderError(error, resolved);
  });
  await checkFolder(resolved);
  const probe = path.join(resolved, `.iriscope-write-test.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await (await fs.open(probe, 'wx')).close();
  } catch (error) {
    throw outputFolderError(error, resolved);
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
  }
  return resolved;
}
