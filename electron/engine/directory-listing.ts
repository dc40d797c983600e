import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DirectoryListing } from '../common/contract';
import { fsError } from './fs/fs-errors';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic', '.heif', '.jp2', '.j2k', '.svg', '.bmp']);

export function looksLikeImage(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/**
 * Lists a folder for the in-app file browser (the loopback transport has no
 * native dialog). Hidden entries are skipped; folders come first. A path
 * that names a file lists the file's folder and says which file it was, so a
 * typed file path can be opened rather than called missing.
 */
export async function listDirectory(dir: string | undefined, options: { imagesOnly?: boolean; places: Array<{ name: string; path: string }> }): Promise<DirectoryListing> {
  let target = path.resolve(dir ?? os.homedir());
  let file: string | null = null;
  const stat = await fs.stat(target).catch(() => null);
  if (stat?.isFile()) {
    file = target;
    target = path.dirname(target);
  }
  let entries;
  try {
    entries = await fs.readdir(target, { withFileTypes: true });
  } catch (error) {
    throw fsError(error, target, 'list');
  }
  const listed: DirectoryListing['entries'] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(target, entry.name);
    let isDir = entry.isDirectory();
    let bytes: number | null = null;
    if (entry.isSymbolicLink() || entry.isFile()) {
      try {
        const stat = await fs.stat(full);
        isDir = stat.isDirectory();
        bytes = stat.isFile() ? stat.size : null;
      } catch {
        continue;
      }
    }
    const isImage = !isDir && looksLikeImage(entry.name);
    if (options.imagesOnly && !isDir && !isImage) continue;
    listed.push({ name: entry.name, path: full, kind: isDir ? 'dir' : 'file', bytes, isImage });
  }
  listed.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true }) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(target);
  return { path: target, parent: parent === target ? null : parent, entries: listed, file, places: options.places };
}
