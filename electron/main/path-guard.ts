import path from 'node:path';
import { IriscopeError } from '../common/errors';

/**
 * Which files the desktop window may name. A renderer can only reach files
 * the user chose (dialog, drop), recent files, and the app's own samples:
 * a compromised page cannot ask the engine to read arbitrary paths.
 */
export class PathGuard {
  private readonly files = new Set<string>();
  private readonly folders = new Set<string>();

  constructor(private readonly alwaysAllowedFolders: string[]) {}

  grantFile(file: string): void {
    this.files.add(path.resolve(file));
  }

  grantFolder(folder: string): void {
    this.folders.add(path.resolve(folder));
  }

  allows(file: string): boolean {
    const resolved = path.resolve(file);
    if (this.files.has(resolved)) return true;
    return [...this.folders, ...this.alwaysAllowedFolders].some((folder) => {
      const relative = path.relative(folder, resolved);
      return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    });
  }

  check(file: string): void {
    if (!this.allows(file)) {
      throw new IriscopeError({
        code: 'PERMISSION_DENIED',
        message: `Open "${path.basename(file)}" with File → Open or by dropping it on the window first.`,
        detail: `path not granted to the renderer: ${file}`,
      });
    }
  }
}
