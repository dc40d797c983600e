import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../electron/common/contract';
import { createHttpClient } from '../../electron/common/http-client';
import { Engine } from '../../electron/engine/engine';
import { MAX_UPLOAD_BYTES, startServer, type RunningServer } from '../../electron/server/http-api-server';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';

let engine: Engine;
let server: RunningServer;

beforeAll(async () => {
  const dir = await tempDir();
  engine = await Engine.create({ paths: { appRoot: REPO_ROOT, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
  // The static files are not under test here; any folder will do.
  server = await startServer({
    api: engine,
    rendererDir: path.join(REPO_ROOT, 'renderer'),
    token: 'secret-token-for-tests-0123456789ab',
    saveUpload: (name, body, limit) => engine.saveUpload(name, body, limit),
  });
});
afterAll(async () => {
  await server.close();
  await engine.dispose();
});

const post = (method: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers }, body: JSON.stringify(body) });

describe('iriscope serve (loopback transport)', () => {
  it('listens on 127.0.0.1 only and prints a URL that carries the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.openUrl).toBe(`${server.url}?token=${server.token}`);
  });

  it('refuses API calls without the token', async () => {
    const response = await fetch(`${server.url}api/engineInfo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  });

  it('refuses a foreign Host header (DNS rebinding) and cross-origin calls', async () => {
    // fetch() will not forge a Host header; a raw request can, as a rebinding page would.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}api/listJobs`, { method: 'POST', headers: { Host: 'evil.example', Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(421);
    const crossOrigin = await post('listJobs', {}, { Origin: 'https://evil.example' });
    expect(crossOrigin.status).toBe(403);
  });

  it('exchanges the token in the URL for an HttpOnly same-site cookie', async () => {
    const response = await fetch(server.openUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('set-cookie')).toMatch(/iriscope_token=.+; HttpOnly; SameSite=Strict/);
    expect((await fetch(`${server.url}?token=wrong`)).status).toBe(401);
  });

  it('validates arguments with the contract and answers typed errors', async () => {
    const bad = await post('openImage', { path: 42 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: unknown }).error).toMatchObject({ code: 'BAD_REQUEST', message: 'Invalid request for openImage.' });
    const missing = await post('openImage', { path: '/nowhere/at/all.jpg' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: unknown }).error).toMatchObject({ code: 'FILE_NOT_FOUND', message: '"all.jpg" does not exist.' });
    const formPost = await fetch(`${server.url}api/listJobs`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
    expect(formPost.status).toBe(400);
  });

  it('carries the whole contract: open an image, get events over the WebSocket, read tiles and thumbnails', async () => {
    const client = createHttpClient({ baseUrl: server.url, token: server.token, WebSocket: WebSocket as never });
    const events: EngineEvent[] = [];
    const off = client.onEvent((event) => events.push(event));
    await client.eventsConnected();
    const image = await client.openImage({ path: SAMPLE_PHOTO });
    expect(image).toMatchObject({ name: 'nagasaki-boats.jpg', width: 1024, height: 819 });
    await expect.poll(() => events.some((e) => e.type === 'image' && e.image.id === image.id && e.image.pyramid.state === 'ready'), { timeout: 120_000 }).toBe(true);
    expect(events.some((e) => e.type === 'job' && e.job.state === 'succeeded')).toBe(true);

    const tile = await client.readTile({ imageId: image.id, level: 1, x: 0, y: 0 });
    expect((await sharp(tile).metadata()).format).toBe('jpeg');
    const thumb = await sharp(await client.readThumbnail({ path: SAMPLE_PHOTO, size: 128 })).metadata();
    expect(Math.max(thumb.width, thumb.height)).toBe(128);
    await expect(client.readTile({ imageId: image.id, level: 9, x: 0, y: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    off();
    client.close();
  });

  it('accepts uploads (drag and drop in a browser) and opens them', async () => {
    const client = createHttpClient({ baseUrl: server.url, token: server.token });
    const bytes = new Uint8Array(await sharp(SAMPLE_PHOTO).resize(300).png().toBuffer());
    const image = await client.uploadImage({ name: 'dropped photo.png' }, bytes);
    expect(image).toMatchObject({ format: 'png', width: 300 });
    expect(image.path).toContain(path.join('data', 'uploads'));
  });

  it('never serves files outside the renderer folder', async () => {
    const response = await fetch(`${server.url}..%2f..%2fpackage.json`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect([403, 404]).toContain(response.status);
  });

  it('sends a strict Content-Security-Policy', async () => {
    const response = await fetch(server.url, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("object-src 'none'");
  });

  it('answers an oversized API call with 413 and a message, not a reset', async () => {
    const response = await post('listJobs', { padding: 'x'.repeat(2 * 1024 * 1024) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('1 MB') });
    // The server is still there.
    expect((await post('listJobs', {})).status).toBe(200);
  });

  it('answers an oversized upload with 413 before storing it, and keeps nothing of it', async () => {
    const uploads = engine.uploadsDir();
    const before = await fs.readdir(uploads).catch(() => []);
    // Declared too large: refused before a byte is stored. (A fresh connection, as a browser's
    // upload has: not one the pool kept alive from an earlier test.)
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}api/upload?name=huge.png`, { method: 'POST', agent: false, headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': MAX_UPLOAD_BYTES + 1 } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(4 * 1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < MAX_UPLOAD_BYTES + 1) {
          const n = Math.min(chunk.length, MAX_UPLOAD_BYTES + 1 - sent);
          sent += n;
          if (!req.write(chunk.subarray(0, n))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(declared.status).toBe(413);
    expect((JSON.parse(declared.body) as { error: unknown }).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('"huge.png" is larger than the 512 MB') });
    expect(await fs.readdir(uploads).catch(() => [])).toEqual(before);
  });

  it('streams uploads to disk: a chunked upload over the limit is cut off, and an abandoned one leaves nothing', async () => {
    const uploads = engine.uploadsDir();
    const before = await fs.readdir(uploads).catch(() => []);
    // No Content-Length (chunked), more than the limit: the engine stops at the limit.
    const chunk = Buffer.alloc(8 * 1024 * 1024, 7);
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent > MAX_UPLOAD_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(`${server.url}api/upload?name=endless.png`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    await expect.poll(() => fs.readdir(uploads).catch(() => [])).toEqual(before);

    // A client that goes away in the middle of an upload.
    await new Promise<void>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`POST /api/upload?name=gone.png HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n`);
        socket.write(Buffer.alloc(1_000_000, 1), () => {
          socket.destroy();
          resolve();
        });
      });
    });
    await expect.poll(() => fs.readdir(uploads).catch(() => [])).toEqual(before);
  });

  it('answers a malformed address with 400, not 500', async () => {
    for (const bad of ['%E0%A4%A', 'assets/%zz.js', 'a%00b']) {
      const response = await fetch(`${server.url}${bad}`, { headers: { Authorization: `Bearer ${server.token}` } });
      expect(response.status, bad).toBe(400);
    }
  });

  it('streams an export written through prepareDownload as a file download, and nothing else', async () => {
    const target = (await (await post('prepareDownload', { name: 'boats.faces.json' })).json()) as { result: { path: string; url: string } };
    await import('node:fs').then((fs) => fs.promises.writeFile(target.result.path, '{"faces":[]}'));
    const response = await fetch(`${server.url}${target.result.url}`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''boats.faces.json");
    expect(await response.text()).toBe('{"faces":[]}');
    expect((await fetch(`${server.url}${target.result.url}`)).status).toBe(401);
    const missing = await fetch(`${server.url}api/download/00000000-0000-0000-0000-000000000000/boats.faces.json`, { headers: { Authorization: `Bearer ${server.token}` } });
    expect(missing.status).toBe(404);
    expect((await post('prepareDownload', { name: '../settings.json' })).status).toBe(400);
  });

  it('refuses to force a provider that cannot start here, with its reason, and keeps the setting', async () => {
    const info = (await (await post('engineInfo', {})).json()) as { result: { providers: { available: string[]; probe: Array<{ provider: string; ok: boolean }> } } };
    expect(info.result.providers.available).toEqual(info.result.providers.probe.map((a) => a.provider));
    const failing = info.result.providers.probe.find((a) => !a.ok);
    if (failing) {
      const refused = (await (await post('updateSettings', { inference: { provider: failing.provider } })).json()) as { ok: boolean; error: { code: string; message: string } };
      expect(refused).toMatchObject({ ok: false, error: { code: 'PROVIDER_UNAVAILABLE' } });
      expect(refused.error.message).toContain(`${failing.provider} cannot run on this computer`);
    }
    const wrongPlatform = (await (await post('updateSettings', { inference: { provider: process.platform === 'win32' ? 'coreml' : 'dml' } })).json()) as { ok: boolean; error: { code: string } };
    expect(wrongPlatform).toMatchObject({ ok: false, error: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(((await (await post('getSettings', {})).json()) as { result: { inference: { provider: string } } }).result.inference.provider).toBe('auto');
    expect(((await (await post('updateSettings', { inference: { provider: 'cpu' } })).json()) as { ok: boolean }).ok).toBe(true);
    await post('updateSettings', { inference: { provider: 'auto' } });
  });
});
