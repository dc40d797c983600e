import path from 'node:path';
import { IriscopeError } from '../common/errors';

export type Access = 'read' | 'write';

/**
 * Which files the desktop window may name. A renderer can only read files the
 * user chose (Open dialog, drop), folders chosen in the dialog and the app's
 * own samples; it can only write where the user chose in the Save dialog. A
 * compromised page can neither read arbitrary paths nor overwrite a file it
 * was only allowed to read. Grants come from main alone (dialogs, drops, and
 * main's own store of earlier choices), never from the renderer's settings.
 */
export class PathGuard {
  private readonly files = new Map<string, Set<Access>>();
  private readonly folders = new Set<string>();

  constructor(private readonly alwaysReadableFolders: string[]) {}

  grantFile(file: string, access: Access = 'read'): void {
    const resolved = normalise(file);
    if (!resolved) return;
    const grants = this.files.get(resolved) ?? new Set<Access>();
    grants.add(access);
    this.files.set(resolved, grants);
  }

  grantFolder(folder: string): void {
    const resolved = normalise(folder);
    if (resolved) this.folders.add(resolved);
  }

  allows(file: string, access: Access = 'read'): boolean {
    const resolved = normalise(file);
    if (!resolved) return false;
    if (this.files.get(resolved)?.has(access)) return true;
    if (access === 'write') return false;
    return [...this.folders, ...this.alwaysReadableFolders].some((folder) => {
      const relative = path.relative(folder, resolved);
      return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    });
  }

  check(file: string, access: Access = 'read'): void {
    if (this.allows(file, access)) return;
    throw new IriscopeError({
      code: 'PERMISSION_DENIED',
      message: access === 'write'
        ? `Choose where to save "${path.basename(String(file))}" in the Save dialog first.`
        : `Open "${path.basename(String(file))}" with File → Open or by dropping it on the window first.`,
      detail: `path not granted to the renderer for ${access}: ${file}`,
    });
  }
}

/** An absolute path without NUL bytes, resolved; null for anything else (relative, empty, not a string). */
export function normalise(file: unknown): string | null {
  if (typeof file !== 'string' || !file || file.length > 4096 || file.includes('\0') || !path.isAbsolute(file)) return null;
  return path.resolve(file);
}
