import type { IpcMain, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { GrantedFiles } from './granted-files';
import { normalise, type PathGuard } from './path-guard';
import { isTrustedSender, type SenderEvent } from './trusted-sender';

/** The native pieces the desktop calls use (Electron's dialog and shell; fakes in tests). */
export interface DesktopDeps {
  guard: PathGuard;
  granted: GrantedFiles;
  trustedOrigin: string;
  showOpenDialog(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }>;
  showItemInFolder(file: string): void;
}

const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'gif', 'avif', 'heic', 'jp2', 'svg'];

/**
 * The desktop-only calls of the preload's `iriscopeDesktop`: native Open and
 * Save dialogs, dropped files, reveal in the file manager. Like every API
 * handler, each refuses any sender but the app's top-level page; the dialogs
 * are the only way a path gets granted (read for Open and drops, write for
 * Save), and reveal works only on granted paths.
 */
export function registerDesktopHandlers(ipcMain: Pick<IpcMain, 'handle' | 'on'>, deps: DesktopDeps): void {
  const trusted = (event: unknown) => isTrustedSender(event as SenderEvent, deps.trustedOrigin);

  ipcMain.handle('iriscope-desktop:open-dialog', async (event, options: { multiple?: unknown; directory?: unknown }) => {
    if (!trusted(event)) return [];
    const directory = options?.directory === true;
    const result = await deps.showOpenDialog({
      properties: [directory ? 'openDirectory' : 'openFile', ...(options?.multiple === true ? (['multiSelections'] as const) : [])],
      filters: directory ? [] : [{ name: 'Images', extensions: IMAGE_EXTENSIONS }, { name: 'All files', extensions: ['*'] }],
    });
    if (result.canceled) return [];
    for (const chosen of result.filePaths) {
      if (directory) deps.guard.grantFolder(chosen);
      else await deps.granted.remember(deps.guard, chosen);
    }
    return result.filePaths;
  });

  // Dropped files: the preload resolves the File to its path (webUtils), which
  // only works for real files the user dropped.
  ipcMain.on('iriscope-desktop:grant-dropped', (event, file: unknown) => {
    const resolved = normalise(file);
    if (resolved && trusted(event)) void deps.granted.remember(deps.guard, resolved).catch(() => undefined);
  });

  // Save… for exports: only the path the user picks is granted, for writing.
  ipcMain.handle('iriscope-desktop:save-dialog', async (event, options: { defaultPath?: unknown; filters?: unknown }) => {
    if (!trusted(event)) return null;
    const filters = Array.isArray(options?.filters)
      ? (options.filters as Array<{ name?: unknown; extensions?: unknown }>).slice(0, 8).map((f) => ({
          name: String(f?.name ?? '').slice(0, 80),
          extensions: Array.isArray(f?.extensions) ? f.extensions.map(String).filter((e) => /^[\w*]{1,10}$/.test(e)).slice(0, 8) : ['*'],
        }))
      : undefined;
    const result = await deps.showSaveDialog({
      defaultPath: typeof options?.defaultPath === 'string' ? options.defaultPath.slice(0, 4096) : undefined,
      filters,
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (result.canceled || !result.filePath) return null;
    deps.guard.grantFile(result.filePath, 'write');
    return result.filePath;
  });

  ipcMain.handle('iriscope-desktop:reveal', (event, file: unknown) => {
    const resolved = normalise(file);
    if (!resolved || !trusted(event)) return false;
    if (!deps.guard.allows(resolved, 'read') && !deps.guard.allows(resolved, 'write')) return false;
    deps.showItemInFolder(resolved);
    return true;
  });
}
