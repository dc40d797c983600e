/**
 * Hostile input, as users and attackers hand it over: every case of
 * hostile-inputs.ts through inspect and open (the engine, in process), the
 * quick ones through `iriscope colorize`, `faces` and `detect` (real CLI
 * processes, one batch each) and uploads through `iriscope serve`'s server.
 * Each gives its typed error or a correct result; no input changes (hash);
 * no partial file is left anywhere.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { startServer, type RunningServer } from '../../electron/server/http-api-server';
import { isolatedEnv, runIriscope } from '../helpers/cli';
import { REPO_ROOT, tempDir } from '../helpers/fixtures';
import { CASES, writeHostileInputs, type HostileCase } from './hostile-inputs';

let root: string;
let files: Map<string, string>;
let hashes: Map<string, string | null>;
let engine: Engine;

const hashOf = async (file: string) => {
  try {
    return createHash('sha256').update(await fs.readFile(file)).digest('hex');
  } catch {
    return null; // folders, dangling links
  }
};

/** Every file under `dir` whose name says it is half-written. */
async function partials(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (/\.partial$|\.v$|\.render\.png$/.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

const expectOutcome = (c: HostileCase, outcome: { code?: string }) => {
  if (c.expect === 'ok') expect(outcome.code, `${c.name}: expected success`).toBeUndefined();
  else expect(outcome.code, c.name).toBe(c.expect);
};

beforeAll(async () => {
  root = await tempDir('iriscope-hostile-');
  files = await writeHostileInputs(path.join(root, 'inputs'));
  hashes = new Map(await Promise.all([...files].map(async ([name, file]) => [name, await hashOf(file)] as const)));
  engine = await Engine.create({ paths: { dataDir: path.join(root, 'data'), cacheDir: path.join(root, 'cache') } });
});

afterAll(async () => {
  await engine?.dispose();
});

describe('hostile input', () => {
  it(`has at least 40 generated cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('inspect and open: %s', async (_name, c) => {
    const file = files.get(c.name)!;
    const inspected = await engine.inspectImage({ path: file }).then((meta) => ({ meta, code: undefined }), (e: { code: string }) => ({ meta: null, code: e.code }));
    // Inspect reads headers and (small images) decodes once: it already knows the damage.
    expectOutcome(c, inspected);
    const opened = await engine.openImage({ path: file }).then(async (image) => {
      await engine.images.whenReady(image.id);
      return { image: await engine.getImage({ imageId: image.id }), code: undefined };
    }, (e: { code: string }) => ({ image: null, code: e.code }));
    expectOutcome(c, opened);
    if (opened.image && c.check) {
      const { image } = opened;
      if (c.check.width !== undefined) expect([image.width, image.height]).toEqual([c.check.width, c.check.height]);
      if (c.check.geoProblem !== undefined) expect(Boolean(image.geo?.problem), `${c.name}: georeferencing problem`).toBe(c.check.geoProblem);
      if (c.check.mapped !== undefined) expect(image.pyramid.mapping !== null, `${c.name}: band mapping`).toBe(c.check.mapped);
      // The pyramid serves real pixels: a tile and a full-resolution region.
      expect((await engine.readTile({ imageId: image.id, level: 0, x: 0, y: 0 })).length).toBeGreaterThan(50);
      const region = await engine.images.reader(image.id).readRegion({ x: 0, y: 0, width: Math.min(16, image.width), height: Math.min(16, image.height) });
      expect(region.width * region.height).toBe(Math.min(16, image.width) * Math.min(16, image.height));
    }
    expect(await hashOf(file), `${c.name} changed`).toBe(hashes.get(c.name));
  });

  it('shows a multispectral raster\'s bands as chosen, stretched, and refuses bands it does not have', async () => {
    const file = files.get('tiff-5band-u8.tif')!;
    const byDefault = await engine.openImage({ path: file });
    await engine.images.whenReady(byDefault.id);
    const chosen = await engine.openImage({ path: file, bands: [5, 4, 3] });
    await engine.images.whenReady(chosen.id);
    expect((await engine.getImage({ imageId: byDefault.id })).pyramid.mapping?.bands).toEqual([1, 2, 3]);
    expect((await engine.getImage({ imageId: chosen.id })).pyramid.mapping?.bands).toEqual([5, 4, 3]);
    const a = await engine.images.reader(byDefault.id).readRegion({ x: 0, y: 0, width: 32, height: 32 });
    const b = await engine.images.reader(chosen.id).readRegion({ x: 0, y: 0, width: 32, height: 32 });
    expect(a.data.equals(b.data)).toBe(false);
    await expect(engine.openImage({ path: file, bands: [6, 2, 1] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('has 5 bands: there is no band 6') });
    // A 12-bit raster in a 16-bit container is stretched (2–98%), not shown near black.
    const deep = await engine.openImage({ path: files.get('tiff-1band-12bit-in-u16.tif')! });
    await engine.images.whenReady(deep.id);
    const stretch = (await engine.getImage({ imageId: deep.id })).pyramid.mapping!.stretch[0];
    expect(stretch.high).toBeLessThan(4096);
    const px = await engine.images.reader(deep.id).readRegion({ x: 0, y: 0, width: 256, height: 64 });
    expect(Math.max(...px.data)).toBeGreaterThan(200);
  });

  it('leaves no partial file in the cache after all that', async () => {
    expect(await partials(root)).toEqual([]);
  });
});

describe('hostile input through the CLI (one batch per task, the batch goes on)', () => {
  const taskCases = CASES.filter((c) => c.tasks);
  let env: NodeJS.ProcessEnv;
  let inputs: string[];

  beforeAll(() => {
    env = isolatedEnv(path.join(root, 'cli'));
    inputs = taskCases.map((c) => files.get(c.name)!);
  });

  const records = (stdout: string) => new Map(stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)).map((r) => [path.basename(r.file), r]));

  it('faces: a record per file, typed errors for the damaged ones', async () => {
    const { stdout, code } = await runIriscope(env, 'faces', ...inputs, '--json');
    expect(code).toBe(1);
    const byName = records(stdout);
    for (const c of taskCases) {
      const r = byName.get(c.name);
      expect(r, c.name).toBeDefined();
      expectOutcome(c, { code: r.error?.code });
      if (c.expect === 'ok') expect(Array.isArray(r.faces)).toBe(true);
    }
  });

  it('detect: a record per file; broken georeferencing exports pixel coordinates, never null map ones', async () => {
    const out = path.join(root, 'detect-out');
    const { stdout, code } = await runIriscope(env, 'detect', ...inputs, '--json', '--out', out);
    expect(code).toBe(1);
    const byName = records(stdout);
    for (const c of taskCases) {
      const r = byName.get(c.name);
      expect(r, c.name).toBeDefined();
      expectOutcome(c, { code: r.error?.code });
      for (const file of r.exports ?? []) await expect(fs.stat(file)).resolves.toBeTruthy();
    }
    const valid = byName.get('geotiff-valid.tif');
    expect(valid.exports.some((f: string) => f.endsWith('.geojson'))).toBe(true);
    const broken = byName.get('geotiff-nan-scale.tif');
    expect(broken.exports.some((f: string) => f.endsWith('.geojson'))).toBe(false);
    expect(broken.exports.length).toBeGreaterThan(0);
    // Asked for GeoJSON explicitly, the broken one is refused with the reason.
    const asked = await runIriscope(env, 'detect', files.get('geotiff-nan-scale.tif')!, '--json', '--format', 'geojson', '--out', path.join(root, 'detect-geo'));
    expect(JSON.parse(asked.stdout.trim()).export_errors[0].error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('unusable georeferencing') });
    expect(await partials(out)).toEqual([]);
  });

  it('colorize: outputs for the good files, typed errors for the rest, nothing half-written', async () => {
    const out = path.join(root, 'colorize-out');
    const { stdout, code } = await runIriscope(env, 'colorize', ...inputs, '--samples', '1', '--model', 'pic-cpu64', '--seed', '3', '--json', '--out', out);
    expect(code).toBe(1);
    const byName = records(stdout);
    for (const c of taskCases) {
      const r = byName.get(c.name);
      expect(r, c.name).toBeDefined();
      expectOutcome(c, { code: r.error?.code });
      if (c.expect === 'ok') for (const file of r.outputs) await expect(fs.stat(file)).resolves.toBeTruthy();
    }
    expect(await partials(out)).toEqual([]);
    expect(await partials(path.join(root, 'cli'))).toEqual([]);
  });

  it('left every input as it was', async () => {
    for (const [name, file] of files) expect(await hashOf(file), name).toBe(hashes.get(name));
  });
});

describe('hostile uploads through the server', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ api: engine, rendererDir: path.join(REPO_ROOT, 'renderer'), token: 'hostile-token-0123456789abcdef', saveUpload: (name, body, limit) => engine.saveUpload(name, body, limit) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers each upload with its typed error or the opened image, and keeps no rejected upload', async () => {
    const uploadable = CASES.filter((c) => c.expect === 'ok' || c.expect === 'CORRUPT_IMAGE' || c.expect === 'UNSUPPORTED_FORMAT').filter((c) => c.name !== 'png-1x1.png').slice(0, 24);
    for (const c of uploadable) {
      const bytes = await fs.readFile(files.get(c.name)!);
      const response = await fetch(`${server.url}api/upload?name=${encodeURIComponent(c.name)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      const reply = (await response.json()) as { ok: boolean; error?: { code: string } };
      expectOutcome(c, { code: reply.error?.code });
      expect(response.status, c.name).toBe(c.expect === 'ok' ? 200 : 422);
    }
    // Only the uploads that opened are kept.
    const kept = await fs.readdir(engine.uploadsDir(), { recursive: true });
    const names = kept.map((f) => path.basename(String(f)));
    for (const c of uploadable) {
      const safe = c.name.replace(/[^\w.\- ]+/g, '_');
      expect(names.includes(safe), c.name).toBe(c.expect === 'ok');
    }
    expect(await partials(engine.uploadsDir())).toEqual([]);
  });
});
