import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IriscopeApi, Reply } from '../common/contract';
import { parseInput, isJsonMethod } from '../common/validate';
import { IriscopeError, toErrorInfo } from '../common/errors';
import { contentSecurityPolicy } from '../common/csp';
import { rendererMimeType } from '../common/mime';

export interface ServerOptions {
  api: IriscopeApi;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  port?: number;
  /** Fixed token (tests, `--token-file`); a random one per start otherwise. */
  token?: string;
  /**
   * Saves an upload streamed from the request (bounded memory) and opens it;
   * without it, uploads are read into memory and passed to `api.uploadImage`.
   * It must stop at `limitBytes` with PAYLOAD_TOO_LARGE and keep nothing then.
   */
  saveUpload?(name: string, body: Readable, limitBytes: number): Promise<unknown>;
}

export interface RunningServer {
  url: string;
  /** The URL with the access token, to open in a browser. */
  openUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const COOKIE = 'iriscope_token';
export const MAX_JSON_BYTES = 1024 * 1024;
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/**
 * `iriscope serve`: the renderer build and the API contract over HTTP and a
 * WebSocket, on 127.0.0.1 only. Every request needs the per-start token
 * (as a cookie set when the printed URL is opened, or a Bearer header). The
 * Host and Origin headers are checked against the loopback address to stop
 * DNS-rebinding and cross-site requests.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const tokenBuffer = Buffer.from(token);
  let port = options.port ?? 0;
  const sockets = new Set<WebSocket>();

  const isAuthorized = (req: http.IncomingMessage): boolean => {
    const header = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const cookie = parseCookies(req.headers.cookie)[COOKIE];
    return [header, cookie].some((t) => t !== undefined && t.length === token.length && timingSafeEqual(Buffer.from(t), tokenBuffer));
  };
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const isSameOrigin = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return !origin || allowedHosts().has(origin.replace(/^https?:\/\//, ''));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => sendJson(res, 500, { ok: false, error: toErrorInfo(error) }));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) return sendText(res, 421, 'Misdirected request: Iriscope answers on 127.0.0.1 only.');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      decodeURIComponent(url.pathname); // a malformed %-escape is the client's error, not ours
    } catch {
      return sendText(res, 400, 'Bad request: the address is malformed.');
    }
    setSecurityHeaders(res, port);

    // Opening the printed URL exchanges the token for a same-site cookie.
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      if (queryToken.length === token.length && timingSafeEqual(Buffer.from(queryToken), tokenBuffer)) {
        res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
        res.writeHead(302, { Location: url.pathname });
        return void res.end();
      }
      return sendText(res, 401, 'This Iriscope link has an invalid or expired token. Use the URL printed by `iriscope serve`.');
    }
    if (!isAuthorized(req)) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, 401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong access token.' } });
      return sendText(res, 401, 'Iriscope: open the URL printed by `iriscope serve` (it carries the access token).');
    }

    if (url.pathname.startsWith('/api/')) {
      if (!isSameOrigin(req)) return sendJson(res, 403, { ok: false, error: { code: 'UNAUTHORIZED', message: 'Cross-origin requests are refused.' } });
      return handleApi(req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    return serveStatic(res, options.rendererDir, url.pathname);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = url.pathname.slice('/api/'.length);
    try {
      const tile = /^tile\/([A-Za-z0-9_-]+)\/(\d+)\/(\d+)\/(\d+)$/.exec(route);
      if (tile && req.method === 'GET') {
        const input = parseInput('readTile', { imageId: tile[1], level: Number(tile[2]), x: Number(tile[3]), y: Number(tile[4]) }) as Parameters<IriscopeApi['readTile']>[0];
        const bytes = await options.api.readTile(input);
        res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': bytes.length, 'Cache-Control': 'private, max-age=3600' });
        return void res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
      if (route === 'thumbnail' && req.method === 'GET') {
        const input = parseInput('readThumbnail', { path: url.searchParams.get('path') ?? '', size: Number(url.searchParams.get('size') ?? 256) }) as Parameters<IriscopeApi['readThumbnail']>[0];
        const bytes = await options.api.readThumbnail(input);
        res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': bytes.length, 'Cache-Control': 'private, max-age=600' });
        return void res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
      const download = /^download\/([a-f0-9-]{36})\/([^/]+)$/.exec(route);
      if (download && req.method === 'GET') {
        // An export written through prepareDownload, streamed to the browser as a file to save.
        const input = parseInput('resolveDownload', { id: download[1], name: decodeURIComponent(download[2]) });
        const file = await options.api.resolveDownload(input);
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': file.bytes,
          'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(input.name)}`,
          'Cache-Control': 'no-store',
        });
        return void createReadStream(file.path).pipe(res);
      }
      if (route === 'upload' && req.method === 'POST') {
        const input = parseInput('uploadImage', { name: url.searchParams.get('name') ?? '' }) as { name: string };
        const tooLarge = `"${input.name}" is larger than the ${MAX_UPLOAD_BYTES / 1024 ** 2} MB an upload may have; open it from disk instead (File → Open).`;
        refuseIfDeclaredTooLarge(req, MAX_UPLOAD_BYTES, tooLarge);
        const result = options.saveUpload
          ? await options.saveUpload(input.name, req, MAX_UPLOAD_BYTES)
          : await options.api.uploadImage(input, await readBody(req, MAX_UPLOAD_BYTES, tooLarge));
        return sendJson(res, 200, { ok: true, result });
      }
      if (req.method !== 'POST' || !isJsonMethod(route)) {
        throw new IriscopeError({ code: 'NOT_FOUND', message: `No API call "${route}".` });
      }
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        // Forms cannot send JSON without a CORS preflight: this blocks cross-site posts.
        throw new IriscopeError({ code: 'BAD_REQUEST', message: 'API calls must be sent as application/json.' });
      }
      const tooLarge = `The request is larger than the ${MAX_JSON_BYTES / 1024 ** 2} MB an API call may have.`;
      refuseIfDeclaredTooLarge(req, MAX_JSON_BYTES, tooLarge);
      const body = await readBody(req, MAX_JSON_BYTES, tooLarge);
      let raw: unknown;
      try {
        raw = body.length ? JSON.parse(Buffer.from(body).toString('utf8')) : {};
      } catch {
        throw new IriscopeError({ code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' });
      }
      const input = parseInput(route, raw);
      const call = options.api[route] as (input: unknown) => Promise<unknown>;
      const result = await call.call(options.api, input);
      return sendJson(res, 200, { ok: true, result } satisfies Reply<unknown>);
    } catch (error) {
      const info = toErrorInfo(error);
      // A refused body is drained (not kept) before the answer goes out: a client still
      // sending would otherwise see its connection reset instead of the 413.
      if (info.code === 'PAYLOAD_TOO_LARGE') await drain(req, 4 * MAX_UPLOAD_BYTES, 60_000);
      return sendJson(res, statusFor(info.code), { ok: false, error: info } satisfies Reply<unknown>);
    }
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname !== '/api/events' || !allowedHosts().has(req.headers.host ?? '') || !isAuthorized(req) || !isSameOrigin(req)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return socket.destroy();
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = options.api.onEvent((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const url = `http://${HOST}:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    token,
    port,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function statusFor(code: string): number {
  switch (code) {
    case 'BAD_REQUEST':
      return 400;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNAUTHORIZED':
      return 401;
    case 'PERMISSION_DENIED':
      return 403;
    case 'FILE_NOT_FOUND':
    case 'NOT_FOUND':
    case 'MODEL_NOT_FOUND':
      return 404;
    case 'OUTPUT_EXISTS':
      return 409;
    case 'INTERNAL':
      return 500;
    case 'DISK_FULL':
      return 507;
    default:
      return 422;
  }
}

function setSecurityHeaders(res: http.ServerResponse, port: number): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] }));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

async function serveStatic(res: http.ServerResponse, root: string, pathname: string): Promise<void> {
  const relative = decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html';
  if (relative.includes('\0')) return sendText(res, 400, 'Bad request: the address is malformed.');
  const file = path.resolve(root, relative);
  // Never serve anything outside the renderer build.
  if (path.relative(root, file).startsWith('..') || path.isAbsolute(path.relative(root, file))) return sendText(res, 403, 'Forbidden');
  let target = file;
  try {
    const stat = await fs.stat(target);
    if (stat.isDirectory()) target = path.join(target, 'index.html');
  } catch {
    // Client-side routes fall back to the app shell.
    target = path.extname(relative) ? '' : path.join(root, 'index.html');
  }
  if (!target) return sendText(res, 404, 'Not found');
  try {
    await fs.access(target);
  } catch {
    return sendText(res, 500, 'The renderer is not built. Run `npm run build` first.');
  }
  res.writeHead(200, {
    'Content-Type': rendererMimeType(target),
    'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'private, max-age=31536000, immutable',
  });
  createReadStream(target).pipe(res);
}

/**
 * Reads and discards the rest of a request body, up to `maxBytes` or
 * `timeoutMs`; a client sending more than that is cut off.
 */
function drain(req: http.IncomingMessage, maxBytes: number, timeoutMs: number): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        req.destroy();
        done();
      }
    };
    const timer = setTimeout(() => {
      req.destroy();
      done();
    }, timeoutMs);
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/** Refuses a body whose declared length is over the limit before a byte of it is read. */
function refuseIfDeclaredTooLarge(req: http.IncomingMessage, limit: number, message: string): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new IriscopeError({ code: 'PAYLOAD_TOO_LARGE', message });
}

/** Reads a (small) body into memory, refusing it with PAYLOAD_TOO_LARGE past `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number, tooLarge: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading (the answer goes out, then the connection closes) and let go of what came.
        req.off('data', onData);
        req.pause();
        chunks.length = 0;
        reject(new IriscopeError({ code: 'PAYLOAD_TOO_LARGE', message: tooLarge }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const index = part.indexOf('=');
    if (index > 0) cookies[part.slice(0, index).trim()] = part.slice(index + 1).trim();
  }
  return cookies;
}
