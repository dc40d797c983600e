// ODGI parity: the committed ONNX graphs (models/odgi-*/stage{1,2}.onnx) run in
// onnxruntime-node must reproduce the PyTorch outputs recorded by
// training/odgi/export.py in test/fixtures/models/odgi/parity-<id>.json
// (real test-tile inputs stored as uint8; the float input is u8 / 255).
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/models/odgi');
const TOL = 1e-4;

interface StageFixture {
  input_shape: number[];
  input_u8_b64: string;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}
interface Fixture {
  model: string;
  stage1: StageFixture;
  stage2: StageFixture;
}

const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => /^parity-.*\.json$/.test(f)) : [];

function toFloat(b64: string): Float32Array {
  const u8 = Buffer.from(b64, 'base64');
  const out = new Float32Array(u8.length);
  for (let i = 0; i < u8.length; i++) out[i] = u8[i] / 255;
  return out;
}

describe('ODGI ONNX vs PyTorch parity', () => {
  it('has at least one fixture', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const file of fixtures) {
    const fx = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Fixture;
    const dir = join(ROOT, 'models', fx.model);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

    it(`${fx.model}: manifest hashes match the files`, () => {
      for (const f of manifest.files as { path: string; sha256: string; bytes: number }[]) {
        const buf = readFileSync(join(dir, f.path));
        expect(buf.length).toBe(f.bytes);
        expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
      }
    });

    for (const stage of ['stage1', 'stage2'] as const) {
      it(`${fx.model} ${stage}: outputs within ${TOL} of PyTorch, names/shapes as in the manifest`, async () => {
        const graph = manifest.graphs[stage];
        const session = await ort.InferenceSession.create(join(dir, graph.file), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
        try {
          expect(session.inputNames).toEqual(graph.inputs.map((i: { name: string }) => i.name));
          expect(session.outputNames).toEqual(graph.outputs.map((o: { name: string }) => o.name));
          const s = fx[stage];
          const x = new ort.Tensor('float32', toFloat(s.input_u8_b64), s.input_shape);
          const res = await session.run({ image: x });
          for (const spec of graph.outputs as { name: string; type: string; shape: (number | string)[] }[]) {
            const got = res[spec.name];
            const exp = s.outputs[spec.name];
            expect(got.type).toBe(spec.type);
            expect(Array.from(got.dims)).toEqual(exp.shape);
            spec.shape.forEach((d, i) => {
              if (typeof d === 'number') expect(got.dims[i]).toBe(d);
            });
            const data = got.data as Float32Array;
            let maxErr = 0;
            for (let i = 0; i < data.length; i++) maxErr = Math.max(maxErr, Math.abs(data[i] - exp.data[i]));
            expect(maxErr, `${stage}.${spec.name} max abs error`).toBeLessThanOrEqual(TOL);
          }
        } finally {
          await session.release();
        }
      });
    }
  }
});
