// InterroGate face model parity: the committed pruned ONNX graph
// (models/face-interrogate/model.onnx) run in onnxruntime-node must reproduce
// the outputs of the trained, gated PyTorch network recorded by
// training/faces/export.py in models/face-interrogate/parity.json (the gated
// network, not the pruned copy: pruning and export are what is checked).
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, 'models', 'face-interrogate');
const TOL = 1e-4;

interface Parity {
  input_shape: number[];
  /** NCHW 8-bit pixels; the float input is u8 / 255, as the app feeds crops. */
  input_u8_b64: string;
  outputs: Record<string, number[]>;
}

describe('face-interrogate: ONNX vs PyTorch', () => {
  const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
  const parity = JSON.parse(readFileSync(join(DIR, 'parity.json'), 'utf8')) as Parity;

  it('manifest hashes match the files', () => {
    for (const f of manifest.files as { path: string; sha256: string; bytes: number }[]) {
      const buf = readFileSync(join(DIR, f.path));
      expect(buf.length).toBe(f.bytes);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
    }
  });

  it(`every output is within ${TOL} (relative above 1) of the gated PyTorch network, with the manifest's names`, async () => {
    const graph = manifest.graphs.main;
    const session = await ort.InferenceSession.create(join(DIR, graph.file), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(graph.inputs.map((i: { name: string }) => i.name));
      expect(session.outputNames).toEqual(graph.outputs.map((o: { name: string }) => o.name));
      const u8 = Buffer.from(parity.input_u8_b64, 'base64');
      const input = Float32Array.from(u8, (v) => v / 255);
      expect(input.length).toBe(parity.input_shape.reduce((a, b) => a * b, 1));
      const res = await session.run({ faces: new ort.Tensor('float32', input, parity.input_shape) });
      const n = parity.input_shape[0];
      for (const name of session.outputNames) {
        const got = res[name];
        expect(Array.from(got.dims)).toEqual([n, 1]);
        const want = parity.outputs[name];
        const data = got.data as Float32Array;
        let maxErr = 0;
        // Relative above 1 (ages are in years), absolute below.
        for (let i = 0; i < data.length; i++) maxErr = Math.max(maxErr, Math.abs(data[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        expect(maxErr, `${name} max abs error`).toBeLessThanOrEqual(TOL);
      }
      // The inputs differ, so a graph that ignored its input would not pass either.
      const face = Array.from(res.faceness.data as Float32Array);
      expect(new Set(face.map((v) => v.toFixed(6))).size).toBeGreaterThan(1);
    } finally {
      await session.release();
    }
  });
});
