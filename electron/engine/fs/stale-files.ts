import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Temporary files carry the pid of the process writing them
 * (`.<name>.<pid>.<random>.partial`, see atomic-write.ts), so whatever a
 * killed process left can be told from work in progress and swept.
 */
export function partialOwner(name: string): number | null {
  const match = /^\..+\.(\d+)\.[0-9a-f]+\.partial$/.exec(name);
  return match ? Number(match[1]) : null;
}

/** Whether a process of this machine is alive (EPERM: alive, but another user's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the `.partial` files in `dir` (and, with `depth` > 0, in its
 * subfolders; folders left empty go too) whose writing process is gone.
 * Returns their paths.
 */
export async function sweepStalePartials(dir: string, depth = 0): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const pid = partialOwner(entry.name);
    if (pid !== null) {
      if (processAlive(pid)) continue;
      await fs.rm(full, { force: true, recursive: true }).catch(() => undefined);
      removed.push(full);
    } else if (entry.isDirectory() && depth > 0) {
      removed.push(...(await sweepStalePartials(full, depth - 1)));
      if (removed.length) await fs.rmdir(full).catch(() => undefined); // only if now empty
    }
  }
  return removed;
}
