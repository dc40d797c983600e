/**
 * Exports through the loopback server (the browser UI's transport): an
 * existing file is refused with 409 OUTPUT_EXISTS and kept, `overwrite`
 * replaces it, and the original is refused even with `overwrite`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { startServer, type RunningServer } from '../../electron/server/http-api-server';
import { REPO_ROOT, tempDir } from '../helpers/fixtures';

const PHOTO = path.join(REPO_ROOT, 'test', 'fixtures', 'faces', 'astronaut.jpg');
let engine: Engine;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await tempDir();
  engine = await Engine.create({ paths: { appRoot: REPO_ROOT, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
  server = await startServer({ api: engine, rendererDir: path.join(REPO_ROOT, 'renderer'), token: 'secret-token-for-tests-0123456789ab' });
});
afterAll(async () => {
  await server.close();
  await engine.dispose();
});

const post = async (method: string, body: unknown) => {
  const response = await fetch(`${server.url}api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { ok: boolean; result?: { path: string }; error?: { code: string; message: string } } };
};

describe('exports over HTTP never replace what they should not', () => {
  it('409 OUTPUT_EXISTS for an existing file, replaced with overwrite, never the original', async () => {
    const photo = path.join(dir, 'astronaut.jpg');
    await fs.copyFile(PHOTO, photo);
    const image = (await post('openImage', { path: photo })).body.result as unknown as { id: string };
    await engine.faces.start({ imageId: image.id }).done;
    const target = path.join(dir, 'faces.json');
    await fs.writeFile(target, 'notes');

    const refused = await post('exportFaces', { imageId: image.id, format: 'json', path: target });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining(target) });
    expect(await fs.readFile(target, 'utf8')).toBe('notes');

    const replaced = await post('exportFaces', { imageId: image.id, format: 'json', path: target, overwrite: true });
    expect(replaced.status).toBe(200);
    expect(JSON.parse(await fs.readFile(target, 'utf8')).faces).toHaveLength(1);

    const before = await fs.readFile(photo);
    const original = await post('exportFaces', { imageId: image.id, format: 'jpeg', path: photo, overwrite: true });
    expect(original.status).toBe(409);
    expect(original.body.error?.message).toContain('never overwrites the original');
    expect((await fs.readFile(photo)).equals(before)).toBe(true);

    const relative = await post('exportFaces', { imageId: image.id, format: 'json', path: 'faces.json' });
    expect(relative.status).toBe(400);
  });
});
