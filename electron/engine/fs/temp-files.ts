/**
 * Every temporary file this process has alive (atomic-write `.partial`s,
 * colorize `.v` strips), so a signal that cannot wait for a cooperative
 * cancel can still remove them all before the process exits.
 */
import { rmSync } from 'node:fs';

const live = new Set<string>();

export function trackTemp(file: string): string {
  live.add(file);
  return file;
}

export function releaseTemp(file: string): void {
  live.delete(file);
}

/** Synchronous on purpose: called from a signal handler right before `process.exit`. */
export function removeTrackedTempsSync(): void {
  for (const file of live) {
    try {
      rmSync(file, { force: true, recursive: true });
    } catch {
      // Best effort: the process is leaving.
    }
  }
  live.clear();
}
