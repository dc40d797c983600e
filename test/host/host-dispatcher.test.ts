import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { dispatch } from '../../electron/host/host-dispatcher';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';

let engine: Engine;
beforeAll(async () => {
  const dir = await tempDir();
  engine = await Engine.create({ paths: { appRoot: REPO_ROOT, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
});
afterAll(() => engine.dispose());

describe('inference host dispatch', () => {
  it('runs calls on the engine and wraps results and typed errors in replies', async () => {
    expect(await dispatch(engine, { type: 'call', id: 1, method: 'inspectImage', input: { path: SAMPLE_PHOTO } })).toMatchObject({ ok: true, result: { width: 1024 } });
    expect(await dispatch(engine, { type: 'call', id: 2, method: 'getImage', input: { imageId: 'nope' } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('carries binary replies (thumbnails) as bytes', async () => {
    const reply = await dispatch(engine, { type: 'call', id: 3, method: 'readThumbnail', input: { path: SAMPLE_PHOTO, size: 64 } });
    expect(reply.ok && reply.result instanceof Uint8Array).toBe(true);
  });
});
