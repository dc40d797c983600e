import type { IriscopeApi } from '../../../electron/common/contract';
import { createHttpClient } from '../../../electron/common/http-client';

/** Extras only the desktop shell has: native dialogs and dropped-file paths. */
export interface DesktopBridge {
  openFileDialog(options: { multiple?: boolean; directory?: boolean }): Promise<string[]>;
  /** The real path of a dropped File (Electron's webUtils), or null. */
  pathForFile(file: File): string | null;
  revealInFolder(path: string): Promise<void>;
}

export interface UiApi extends IriscopeApi {
  transport: 'electron' | 'http';
  desktop: DesktopBridge | null;
  /** URL the viewer loads a tile from (the loopback server, or Electron's iriscope:// protocol). */
  tileUrl(imageId: string, level: number, x: number, y: number): string;
  thumbnailUrl(path: string, size: number): string;
}

declare global {
  interface Window {
    iriscope?: IriscopeApi;
    iriscopeDesktop?: DesktopBridge;
  }
}

/**
 * Picks the transport: the Electron preload bridge when the page runs in the
 * desktop window, the loopback HTTP/WebSocket API otherwise.
 */
export function createUiApi(): UiApi {
  if (window.iriscope) {
    const bridge = window.iriscope;
    return Object.assign(Object.create(bridge) as IriscopeApi, bridge, {
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
