/**
 * Sandboxed preload: the renderer's only door to the app. It exposes one
 * function per API call (each bound to its own IPC channel), strips the IPC
 * event from callbacks (checklist #20) and never exposes ipcRenderer itself.
 * Calls return Reply envelopes; the renderer unwraps them into typed errors.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { BINARY_METHODS, IPC_EVENT_CHANNEL, JSON_METHODS, ipcChannel } from '../common/api-methods';

const api: Record<string, unknown> = {};
for (const method of JSON_METHODS) {
  const channel = ipcChannel(method);
  api[method] = (input?: unknown) => ipcRenderer.invoke(channel, input ?? {});
}
for (const method of BINARY_METHODS) {
  const channel = ipcChannel(method);
  api[method] = method === 'uploadImage'
    ? (input: unknown, bytes: Uint8Array) => ipcRenderer.invoke(channel, input, bytes)
    : (input: unknown) => ipcRenderer.invoke(channel, input);
}
api.onEvent = (listener: (event: unknown) => void) => {
  const handler = (_event: unknown, payload: unknown) => listener(payload);
  ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
  return () => ipcRenderer.off(IPC_EVENT_CHANNEL, handler);
};

const desktop = {
  openFileDialog: (options: { multiple?: boolean; directory?: boolean }) => ipcRenderer.invoke('iriscope-desktop:open-dialog', { multiple: Boolean(options?.multiple), directory: Boolean(options?.directory) }),
  pathForFile: (file: File) => {
    const path = webUtils.getPathForFile(file);
    if (!path) return null;
    ipcRenderer.send('iriscope-desktop:grant-dropped', path);
    return path;
  },
  revealInFolder: (path: string) => ipcRenderer.invoke('iriscope-desktop:reveal', String(path)),
  /** The native Save dialog; main grants the chosen path to the export calls. Resolves null when cancelled. */
  saveFileDialog: (options: { defaultPath?: string; filters?: Array<{ name: string; extensions: string[] }> }) =>
    ipcRenderer.invoke('iriscope-desktop:save-dialog', {
      defaultPath: typeof options?.defaultPath === 'string' ? options.defaultPath : undefined,
      filters: Array.isArray(options?.filters) ? options.filters.map((f) => ({ name: String(f.name), extensions: Array.isArray(f.extensions) ? f.extensions.map(String) : [] })) : undefined,
    }),
  onMenu: (listener: (action: string) => void) => {
    const handler = (_event: unknown, action: unknown) => listener(String(action));
    ipcRenderer.on('iriscope:menu', handler);
    return () => ipcRenderer.off('iriscope:menu', handler);
  },
};

contextBridge.exposeInMainWorld('iriscope', api);
contextBridge.exposeInMainWorld('iriscopeDesktop', desktop);
