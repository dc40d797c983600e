import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../electron/engine/models/model-registry';
import { SessionManager } from '../../../electron/engine/runtime/session-manager';
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/defaults';
import { REPO_ROOT, tempDir } from '../../helpers/fixtures';

const PROBE_MODEL = path.join(REPO_ROOT, 'assets', 'onnx', 'probe-conv.onnx');

/** A model folder holding the probe ONNX model and a manifest describing it. */
async function writeModel(root: string, id: string, edit: (manifest: Record<string, any>) => void = () => undefined): Promise<string> {
  const dir = path.join(root, id);
  await fs.mkdir(dir, { recursive: true });
  const bytes = await fs.readFile(PROBE_MODEL);
  await fs.writeFile(path.join(dir, 'model.onnx'), bytes);
  const manifest: Record<string, any> = {
    schemaVersion: 1,
    id,
    name: `Test model ${id}`,
    task: 'test',
    version: '1.0.0',
    description: 'A 3×3 convolution used by the tests.',
    license: 'Apache-2.0',
    source: 'scripts/make-probe-model.ts',
    files: [{ path: 'model.onnx', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }],
    graphs: {
      main: {
        file: 'model.onnx',
        inputs: [{ name: 'x', type: 'float32', shape: [1, 3, 32, 32] }],
        outputs: [{ name: 'y', type: 'float32', shape: [1, 8, 32, 32] }],
      },
    },
  };
  edit(manifest);
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

let builtin: string;
let user: string;
let registry: ModelRegistry;
beforeEach(async () => {
  const root = await tempDir();
  builtin = path.join(root, 'models');
  user = path.join(root, 'user-models');
  registry = new ModelRegistry(builtin, user, new SessionManager(() => DEFAULT_SETTINGS.inference, PROBE_MODEL));
});

describe('model registry', () => {
  it('lists a valid model and opens a session whose signature matches its manifest', async () => {
    await writeModel(builtin, 'good');
    const [model] = await registry.scan();
    expect(model).toMatchObject({ id: 'good', valid: true, error: null, builtin: true, graphs: ['main'], task: 'test' });
    const session = await registry.session('good', 'main');
    expect(session.outputNames).toEqual(['y']);
  });

  it('rejects a manifest that misses required fields, saying which', async () => {
    await writeModel(builtin, 'broken', (m) => {
      delete m.license;
      m.files[0].sha256 = 'not-a-hash';
    });
    const [model] = await registry.scan();
    expect(model.valid).toBe(false);
    expect(model.error).toMatchObject({ code: 'MODEL_INVALID', message: 'The manifest of the model in "broken" is invalid.' });
    expect(model.error!.detail).toMatch(/license/);
    expect(model.error!.detail).toMatch(/sha256/);
    expect(() => registry.get('broken')).toThrow(/invalid/);
  });

  it('reads a detection model\'s ground resolution (metres per pixel), optional, and refuses one that is not a range', async () => {
    await writeModel(builtin, 'aerial', (m) => {
      m.gsd = { min: 0.1, max: 0.16, native: 0.125 };
    });
    await writeModel(builtin, 'byo');
    await writeModel(builtin, 'upside-down', (m) => {
      m.gsd = { min: 0.3, max: 0.1, native: 0.2 };
    });
    await writeModel(builtin, 'centimetres', (m) => {
      m.gsd = { min: 10, max: 16, native: '12.5 cm' };
    });
    const byId = Object.fromEntries((await registry.scan()).map((m) => [m.id, m]));
    expect(byId.aerial).toMatchObject({ valid: true, gsd: { min: 0.1, max: 0.16, native: 0.125 } });
    expect(byId.byo).toMatchObject({ valid: true, gsd: null });
    expect(byId['upside-down']).toMatchObject({ valid: false, error: { code: 'MODEL_INVALID', detail: expect.stringMatching(/min <= native <= max/) } });
    expect(byId.centimetres).toMatchObject({ valid: false, error: { code: 'MODEL_INVALID', detail: expect.stringMatching(/gsd/) } });
  });

  it('refuses a model file whose bytes no longer match the manifest hash', async () => {
    const dir = await writeModel(builtin, 'tampered');
    const file = path.join(dir, 'model.onnx');
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 5] ^= 0xff;
    await fs.writeFile(file, bytes);
    const [model] = await registry.scan();
    expect(model).toMatchObject({ valid: false, error: { code: 'MODEL_HASH_MISMATCH' } });
    expect(model.error!.message).toBe('The file "model.onnx" of the model "Test model tampered" does not match its manifest: it was changed or damaged.');
    await expect(registry.session('tampered', 'main')).rejects.toMatchObject({ code: 'MODEL_HASH_MISMATCH' });
  });

  it('detects a manifest that describes other inputs than the ONNX graph has', async () => {
    await writeModel(builtin, 'mislabelled', (m) => {
      m.graphs.main.inputs = [{ name: 'image', type: 'float32', shape: [1, 3, 64, 64] }];
    });
    await registry.scan();
    const failure = registry.session('mislabelled', 'main');
    await expect(failure).rejects.toMatchObject({ code: 'MODEL_SIGNATURE_MISMATCH' });
    await expect(failure).rejects.toHaveProperty('detail', expect.stringContaining('input "image" missing (the graph has "x")'));
  });

  it('refuses files outside the model folder', async () => {
    await writeModel(builtin, 'escape', (m) => {
      m.files[0].path = '../model.onnx';
    });
    const [model] = await registry.scan();
    expect(model.error?.detail).toMatch(/relative path inside the model folder/);
  });

  it('imports a user model after checking it, and refuses a tampered one', async () => {
    const outside = await tempDir();
    const source = await writeModel(outside, 'mine');
    await fs.writeFile(path.join(source, 'LICENSE'), 'Apache License 2.0 (the model\'s own terms)\n');
    await fs.writeFile(path.join(source, 'MODEL_CARD.md'), '# mine\n');
    await fs.writeFile(path.join(source, 'notes-not-copied.txt'), 'scratch\n');
    const imported = await registry.import(source);
    expect(imported).toMatchObject({ id: 'mine', valid: true, builtin: false, dir: path.join(user, 'mine') });
    // Its licence and card come along; other files do not.
    expect((await fs.readdir(path.join(user, 'mine'))).sort()).toEqual(['LICENSE', 'MODEL_CARD.md', 'manifest.json', 'model.onnx']);
    expect((await registry.scan()).map((m) => m.id)).toEqual(['mine']);

    const bad = await writeModel(outside, 'bad');
    await fs.appendFile(path.join(bad, 'model.onnx'), 'garbage');
    await expect(registry.import(bad)).rejects.toMatchObject({ code: 'MODEL_HASH_MISMATCH' });
    expect((await registry.scan()).map((m) => m.id)).toEqual(['mine']);
  });
});
