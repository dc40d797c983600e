/**
 * One export flow for every tool. A tool describes what it exports (title,
 * suggested file name, file type) and how to write it to a path (its engine
 * call); the flow picks the folder, creates it when missing, asks before
 * replacing a file, offers a download in a browser, remembers the folder for
 * next time and confirms what was written.
 */
import { create } from 'zustand';
import { api } from '../../../api/client';
import { useApp } from '../../../state/store';
import { dirName, fileName, joinPath } from './paths';

export interface ExportRequest {
  /** Where the result is shown again (e.g. `faces:<imageId>`): the tool's "Saved …" line. */
  scope: string;
  title: string;
  /** Suggested file name (no folder: the folder is the user's last export folder). */
  fileName: string;
  filterName: string;
  extensions: string[];
  /** A sentence on what the file will hold. */
  note?: string;
  /** Writes the file at `path` with the tool's engine call; throws a typed error on failure (OUTPUT_EXISTS unless `overwrite`). */
  write(path: string, overwrite?: boolean): Promise<{ path: string; summary?: string }>;
  /** What failed, for the error message: e.g. "Exporting faces". */
  context: string;
}

export interface ExportRecord {
  path: string;
  name: string;
  how: 'saved' | 'downloaded';
  summary?: string;
}

interface ExportState {
  /** The browser's export dialog, open while not null. */
  request: ExportRequest | null;
  last: Record<string, ExportRecord>;
  busy: boolean;
}

export const useExport = create<ExportState>(() => ({ request: null, last: {}, busy: false }));

/** The folder an export dialog starts in: the last export folder, else Pictures or home (never beside the original). */
export function defaultExportFolder(): string | null {
  const { settings, engine } = useApp.getState();
  return settings?.ui.exportFolder ?? engine?.paths.exportDefault ?? null;
}

/** Starts an export: the native Save dialog on the desktop, the in-app export dialog in a browser. */
export async function startExport(request: ExportRequest): Promise<void> {
  if (!api.desktop) {
    useExport.setState({ request });
    return;
  }
  const folder = defaultExportFolder();
  const chosen = await api.desktop.saveFileDialog({
    defaultPath: folder ? joinPath(folder, request.fileName) : request.fileName,
    filters: [{ name: request.filterName, extensions: request.extensions }],
  });
  if (!chosen) return;
  // The system Save dialog has asked before replacing a file.
  await saveTo(request, chosen, true).catch((error) => useApp.getState().notify(error, request.context));
}

export function closeExportDialog(): void {
  useExport.setState({ request: null });
}

/** Writes the export at `path` (its folder must exist), records and confirms it; replaces a file only with `overwrite`. */
export async function saveTo(request: ExportRequest, path: string, overwrite = false): Promise<ExportRecord> {
  useExport.setState({ busy: true });
  try {
    const written = await request.write(path, overwrite);
    const record: ExportRecord = { path: written.path, name: fileName(written.path), how: 'saved', summary: written.summary };
    remember(request.scope, record);
    void useApp.getState().updateSettings({ ui: { exportFolder: dirName(written.path) } });
    const reveal = api.desktop ? { label: 'Show in folder', run: () => void api.desktop!.revealInFolder(written.path) } : undefined;
    useApp.getState().toast({ kind: 'success', message: `Saved ${record.name}${record.summary ? ` (${record.summary})` : ''}`, detail: dirName(written.path), action: reveal });
    return record;
  } finally {
    useExport.setState({ busy: false });
  }
}

/** Browser transport: the engine writes the export into a download folder of its own, then the browser saves it. */
export async function download(request: ExportRequest, name: string): Promise<ExportRecord> {
  useExport.setState({ busy: true });
  try {
    const target = await api.prepareDownload({ name });
    const written = await request.write(target.path);
    const link = document.createElement('a');
    link.href = `./${target.url}`;
    link.download = target.name;
    document.body.append(link);
    link.click();
    link.remove();
    const record: ExportRecord = { path: written.path, name: target.name, how: 'downloaded', summary: written.summary };
    remember(request.scope, record);
    useApp.getState().toast({ kind: 'success', message: `Downloaded ${target.name}${record.summary ? ` (${record.summary})` : ''}` });
    return record;
  } finally {
    useExport.setState({ busy: false });
  }
}

function remember(scope: string, record: ExportRecord): void {
  useExport.setState((s) => ({ last: { ...s.last, [scope]: record } }));
}
