import { JSON_METHODS, type JsonMethod } from './api-methods';
import type { EngineEvent, ImageInfo, IriscopeApi, Reply, ThumbnailRequest, TileRequest } from './contract';
import { fromErrorInfo, IriscopeError } from './errors';

interface MinimalWebSocket {
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onopen: ((event: unknown) => void) | null;
  close(): void;
}

export interface HttpClientOptions {
  /** e.g. http://127.0.0.1:4321/ ; '' for the page's own origin. */
  baseUrl: string;
  /** Bearer token for non-browser clients; browsers send the cookie. */
  token?: string;
  WebSocket?: new (url: string, options?: unknown) => MinimalWebSocket;
}

/**
 * The API contract over the loopback server: POST /api/<method> with JSON,
 * GET /api/tile/..., POST /api/upload, and engine events on a WebSocket
 * that reconnects by itself.
 */
export function createHttpClient(options: HttpClientOptions): IriscopeApi & { close(): void; eventsConnected(): Promise<void> } {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const listeners = new Set<(event: EngineEvent) => void>();
  let socket: MinimalWebSocket | null = null;
  let closed = false;
  let retry = 250;
  // Resolved while the event socket is open; events sent before it opened are not seen.
  let opened!: () => void;
  let connected = new Promise<void>((resolve) => (opened = resolve));

  async function unwrap<T>(response: Response): Promise<T> {
    let reply: Reply<T>;
    try {
      reply = (await response.json()) as Reply<T>;
    } catch {
      throw new IriscopeError({ code: 'INTERNAL', message: `The Iriscope server answered ${response.status} without a readable reply.` });
    }
    if (!reply.ok) throw fromErrorInfo(reply.error);
    return reply.result;
  }

  async function call(method: JsonMethod, input: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        credentials: 'same-origin',
      });
    } catch (error) {
      throw new IriscopeError({ code: 'INTERNAL', message: 'Cannot reach the Iriscope engine. Is `iriscope serve` still running?', detail: String(error) });
    }
    return unwrap(response);
  }

  function connect(): void {
    if (socket || closed || !listeners.size) return;
    const Impl = options.WebSocket ?? (globalThis as unknown as { WebSocket: HttpClientOptions['WebSocket'] }).WebSocket!;
    const origin = base || (globalThis as unknown as { location: { origin: string } }).location.origin;
    const wsUrl = `${origin.replace(/^http/, 'ws')}/api/events`;
    const ws = options.token ? new Impl(wsUrl, { headers }) : new Impl(wsUrl);
    socket = ws;
    ws.onopen = () => {
      retry = 250;
      opened();
    };
    ws.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as EngineEvent;
      for (const listener of listeners) listener(event);
    };
    ws.onclose = () => {
      socket = null;
      connected = new Promise<void>((resolve) => (opened = resolve));
      if (!closed && listeners.size) setTimeout(connect, (retry = Math.min(retry * 2, 5000)));
    };
    ws.onerror = () => undefined;
  }

  const client = Object.fromEntries(JSON_METHODS.map((method) => [method, (input: unknown) => call(method, input)])) as unknown as IriscopeApi;

  return Object.assign(client, {
    async readTile({ imageId, level, x, y }: TileRequest): Promise<Uint8Array> {
      const response = await fetch(`${base}/api/tile/${imageId}/${level}/${x}/${y}`, { headers, credentials: 'same-origin' });
      if (!response.ok) return unwrap(response);
      return new Uint8Array(await response.arrayBuffer());
    },
    async readThumbnail({ path, size }: ThumbnailRequest): Promise<Uint8Array> {
      const response = await fetch(`${base}/api/thumbnail?path=${encodeURIComponent(path)}&size=${size}`, { headers, credentials: 'same-origin' });
      if (!response.ok) return unwrap(response);
      return new Uint8Array(await response.arrayBuffer());
    },
    async uploadImage({ name }: { name: string }, bytes: Uint8Array): Promise<ImageInfo> {
      const response = await fetch(`${base}/api/upload?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/octet-stream' },
        body: bytes as unknown as Blob,
        credentials: 'same-origin',
      });
      return unwrap(response);
    },
    onEvent(listener: (event: EngineEvent) => void): () => void {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (!listeners.size) socket?.close();
      };
    },
    /** Resolves once the event socket is open (after the first onEvent). */
    eventsConnected(): Promise<void> {
      return connected;
    },
    close(): void {
      closed = true;
      socket?.close();
    },
  });
}
