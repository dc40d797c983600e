import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DownloadTarget } from '../../common/files-contract';
import { IriscopeError } from '../../common/errors';

/** Downloads older than this are deleted when the next one is prepared. */
const KEEP_MS = 60 * 60 * 1000;

/**
 * Exports a browser downloads (`iriscope serve`): each gets a fresh folder
 * under the engine's data folder; the export call writes there as usual
 * (atomically), then the server streams the file to the browser. Only files
 * in these folders can be fetched as downloads.
 */
export class DownloadArea {
  constructor(readonly dir: string) {}

  async prepare(name: string): Promise<DownloadTarget> {
    await this.sweep();
    const id = randomUUID();
    const folder = path.join(this.dir, id);
    await fs.mkdir(folder, { recursive: true });
    return { id, name, path: path.join(folder, name), url: `api/download/${id}/${encodeURIComponent(name)}` };
  }

  async resolve(id: string, name: string): Promise<{ path: string; bytes: number }> {
    const file = path.join(this.dir, id, name);
    // The schema already refuses separators and dot names; this guards the join itself.
    if (path.dirname(path.dirname(file)) !== path.resolve(this.dir)) throw notFound(name);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) throw notFound(name);
    return { path: file, bytes: stat.size };
  }

  private async sweep(): Promise<void> {
    const entries = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    const now = Date.now();
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const folder = path.join(this.dir, entry.name);
      const stat = await fs.stat(folder).catch(() => null);
      if (stat && now - stat.mtimeMs > KEEP_MS) await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function notFound(name: string): IriscopeError {
  return new IriscopeError({ code: 'NOT_FOUND', message: `The download "${name}" is no longer available.`, hint: 'Export it again.' });
}
