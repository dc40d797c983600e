import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineInfoSchema, ImageMetaSchema } from '../../electron/common/contract';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir, writeLyingTiffHeader, writeTextAsPng, writeTruncatedJpeg } from '../helpers/fixtures';
import { isolatedEnv, runIriscope } from '../helpers/cli';

let env: NodeJS.ProcessEnv;
let dir: string;

const iriscope = (...args: string[]) => runIriscope(env, ...args);

beforeAll(async () => {
  dir = await tempDir();
  env = isolatedEnv(dir);
});

describe('iriscope CLI', () => {
  it('info --json reports versions, the providers tried with reasons, and the models', async () => {
    const { stdout, code } = await iriscope('info', '--json');
    const info = EngineInfoSchema.parse(JSON.parse(stdout));
    expect(info.libraries.onnxruntime).toBe('1.30.0');
    // Every provider of the platform is probed (Settings lists them); the automatic chain is a subset, in order.
    expect(info.providers.probe.map((a) => a.provider)).toEqual(info.providers.available);
    expect(info.providers.available.filter((p) => info.providers.chain.includes(p))).toEqual(info.providers.chain);
    expect(info.providers.active).not.toBeNull();
    expect(code).toBe(info.models.every((m) => m.valid) ? 0 : 1);
  });

  it('inspect --json prints one record per file, with typed errors for bad ones', async () => {
    const truncated = path.join(dir, 'truncated.jpg');
    const text = path.join(dir, 'readme.png');
    const liar = path.join(dir, 'huge-header.tif');
    await writeTruncatedJpeg(truncated);
    await writeTextAsPng(text);
    await writeLyingTiffHeader(liar, 100_000, 100_000);
    const { stdout, code } = await iriscope('inspect', '--json', SAMPLE_PHOTO, truncated, text, liar, path.join(dir, 'missing.jpg'));
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records).toHaveLength(5);
    expect(ImageMetaSchema.parse(records[0].image)).toMatchObject({ width: 1024, height: 819 });
    expect(records.slice(1).map((r) => [r.ok, r.error.code])).toEqual([
      [false, 'CORRUPT_IMAGE'],
      [false, 'UNSUPPORTED_FORMAT'],
      [false, 'IMAGE_TOO_LARGE'],
      [false, 'FILE_NOT_FOUND'],
    ]);
    expect(code).toBe(1);
  });

  it('inspect prints readable errors on stderr without crashing', async () => {
    const text = path.join(dir, 'notes.png');
    await writeTextAsPng(text);
    const { stdout, stderr, code } = await iriscope('inspect', SAMPLE_PHOTO, text);
    expect(stdout).toContain('JPEG, 1024 × 819 px');
    expect(stderr).toContain('"notes.png" is not an image Iriscope can read: it contains text, not image data.');
    expect(code).toBe(1);
  });

  it('reports a tampered model as invalid with the reason, and exits non-zero', async () => {
    const model = path.join(env.IRISCOPE_DATA_DIR!, 'models', 'tampered-test');
    await fs.mkdir(model, { recursive: true });
    const bytes = await fs.readFile(path.join(REPO_ROOT, 'assets', 'onnx', 'probe-conv.onnx'));
    await fs.writeFile(path.join(model, 'model.onnx'), Buffer.concat([bytes, Buffer.from('tampered')]));
    await fs.writeFile(path.join(model, 'manifest.json'), JSON.stringify({
      schemaVersion: 1, id: 'tampered-test', name: 'Tampered test model', task: 'test', version: '1', license: 'MIT', source: 'test',
      files: [{ path: 'model.onnx', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }],
      graphs: { main: { file: 'model.onnx', inputs: [{ name: 'x', type: 'float32', shape: [1, 3, 32, 32] }], outputs: [{ name: 'y', type: 'float32', shape: [1, 8, 32, 32] }] } },
    }));
    const { stdout, code } = await iriscope('info');
    expect(stdout).toContain('✘ tampered-test');
    expect(stdout).toContain('The file "model.onnx" of the model "Tampered test model" does not match its manifest: it was changed or damaged.');
    expect(code).toBe(1);
    await fs.rm(model, { recursive: true });
  });
});
