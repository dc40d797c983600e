import { BINARY_METHODS, JSON_METHODS } from '../../../electron/common/api-methods';
import type { EngineEvent, IriscopeApi, Reply } from '../../../electron/common/contract';
import { fromErrorInfo } from '../../../electron/common/errors';
import { createHttpClient } from '../../../electron/common/http-client';

/** Extras only the desktop shell has: native dialogs, dropped-file paths, the menu. */
export interface DesktopBridge {
  openFileDialog(options: { multiple?: boolean; directory?: boolean }): Promise<string[]>;
  /** The real path of a dropped File (Electron's webUtils), or null. */
  pathForFile(file: File): string | null;
  revealInFolder(path: string): Promise<void>;
  /** Native Save dialog; the chosen path is granted to export calls. Null when cancelled. */
  saveFileDialog(options: { defaultPath?: string; filters?: Array<{ name: string; extensions: string[] }> }): Promise<string | null>;
  onMenu(listener: (action: string) => void): () => void;
}

export interface UiApi extends IriscopeApi {
  transport: 'electron' | 'http';
  desktop: DesktopBridge | null;
  /** URL the viewer loads a tile from (the loopback server, or Electron's iriscope:// protocol). */
  tileUrl(imageId: string, level: number, x: number, y: number): string;
  thumbnailUrl(path: string, size: number): string;
}

/** What the Electron preload exposes: the same calls, answering with Reply envelopes. */
type PreloadBridge = Record<string, (...args: unknown[]) => Promise<Reply<unknown>>> & {
  onEvent(listener: (event: EngineEvent) => void): () => void;
};

declare global {
  interface Window {
    iriscope?: PreloadBridge;
    iriscopeDesktop?: DesktopBridge;
  }
}

function unwrap<T>(reply: Reply<T>): T {
  if (!reply.ok) throw fromErrorInfo(reply.error);
  return reply.result;
}

/**
 * Picks the transport: the Electron preload bridge when the page runs in the
 * desktop window, the loopback HTTP/WebSocket API otherwise.
 */
export function createUiApi(): UiApi {
  const bridge = window.iriscope;
  if (bridge) {
    const calls = Object.fromEntries(
      [...JSON_METHODS, ...BINARY_METHODS].map((method) => [method, async (...args: unknown[]) => unwrap(await bridge[method](...args))]),
    );
    return Object.assign(calls as unknown as IriscopeApi, {
      onEvent: (listener: (event: EngineEvent) => void) => bridge.onEvent(listener),
      transport: 'electron' as const,
      desktop: window.iriscopeDesktop ?? null,
      tileUrl: (imageId: string, level: number, x: number, y: number) => `iriscope://app/tile/${imageId}/${level}/${x}/${y}`,
      thumbnailUrl: (path: string, size: number) => `iriscope://app/thumbnail?path=${encodeURIComponent(path)}&size=${size}`,
    });
  }
  const http = createHttpClient({ baseUrl: '' });
  return Object.assign(http, {
    transport: 'http' as const,
    desktop: null,
    tileUrl: (imageId: string, level: number, x: number, y: number) => `./api/tile/${imageId}/${level}/${x}/${y}`,
    thumbnailUrl: (path: string, size: number) => `./api/thumbnail?path=${encodeURIComponent(path)}&size=${size}`,
  });
}

export const api: UiApi = createUiApi();
