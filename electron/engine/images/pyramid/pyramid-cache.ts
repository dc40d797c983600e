import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PyramidCompression, PyramidRecord } from './pyramid-format';
import { PYRAMID_FORMAT_VERSION } from './pyramid-format';
import { writeFileAtomic } from '../../fs/atomic-write';
import { partialOwner, processAlive } from '../../fs/stale-files';

/**
 * Where pyramids live: `<cache>/pyramids/<key>.tif` and `<key>.json`. The key
 * is derived from the source's path, size and modification time (hashing a
 * multi-gigabyte file would cost more than building its pyramid), and the
 * build settings.
 */
export class PyramidCache {
  readonly dir: string;

  constructor(cacheDir: string, private readonly maxBytes = 20 * 1024 ** 3) {
    this.dir = path.join(cacheDir, 'pyramids');
  }

  key(source: { path: string; bytes: number; mtimeMs: number }, compression: PyramidCompression, quality: number, mapBands: number[] | null = null): string {
    return createHash('sha256')
      .update(JSON.stringify([PYRAMID_FORMAT_VERSION, source.path, source.bytes, Math.round(source.mtimeMs), compression, quality, ...(mapBands ? [mapBands] : [])]))
      .digest('hex')
      .slice(0, 32);
  }

  tiffPath(key: string): string {
    return path.join(this.dir, `${key}.tif`);
  }

  recordPath(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /** The record of a complete pyramid, or null when none exists (or it is unreadable). */
  async lookup(key: string): Promise<PyramidRecord | null> {
    try {
      const record = JSON.parse(await fs.readFile(this.recordPath(key), 'utf8')) as PyramidRecord;
      if (record.version !== PYRAMID_FORMAT_VERSION) return null;
      await fs.access(this.tiffPath(key));
      record.lastUsed = Date.now();
      await writeFileAtomic(this.recordPath(key), JSON.stringify(record)).catch(() => undefined);
      return record;
    } catch {
      return null;
    }
  }

  async save(key: string, record: PyramidRecord): Promise<void> {
    await writeFileAtomic(this.recordPath(key), JSON.stringify(record));
  }

  /**
   * Removes what a killed or crashed process left: `.partial` files of the
   * atomic writer whose process is gone (their names carry its pid), and
   * records or TIFFs without their other half. Run when an engine starts.
   */
  async sweep(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    const present = new Set(names);
    for (const name of names) {
      const pid = partialOwner(name);
      const orphanPartial = pid !== null && !processAlive(pid);
      const halfPyramid = (name.endsWith('.tif') && !present.has(`${name.slice(0, -4)}.json`)) || (name.endsWith('.json') && !present.has(`${name.slice(0, -5)}.tif`));
      if (orphanPartial || (pid === null && halfPyramid)) {
        await fs.rm(path.join(this.dir, name), { force: true, recursive: true }).catch(() => undefined);
        removed.push(name);
      }
    }
    return removed;
  }

  /** Removes least recently used pyramids until the cache fits its size budget. */
  async prune(keep: Set<string>): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return;
    }
    const entries: Array<{ key: string; bytes: number; lastUsed: number }> = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const key = name.slice(0, -5);
      try {
        const record = JSON.parse(await fs.readFile(this.recordPath(key), 'utf8')) as PyramidRecord;
        const { size } = await fs.stat(this.tiffPath(key));
        entries.push({ key, bytes: size, lastUsed: record.lastUsed ?? 0 });
      } catch {
        // A record without its TIFF is garbage.
        await fs.rm(this.recordPath(key), { force: true });
      }
    }
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    for (const entry of entries.sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (total <= this.maxBytes) break;
      if (keep.has(entry.key)) continue;
      await fs.rm(this.tiffPath(entry.key), { force: true });
      await fs.rm(this.recordPath(entry.key), { force: true });
      total -= entry.bytes;
    }
  }
}

