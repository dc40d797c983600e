// Converter units: SAME padding arithmetic, weight decoding, error messages.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { samePadding } from '../../../scripts/tfjs2onnx/padding.js';
import { decodeWeights, halfToFloat } from '../../../scripts/tfjs2onnx/weights.js';
import { convertTfjsModel, ConversionError } from '../../../scripts/tfjs2onnx/convert.js';
import { supportedOps } from '../../../scripts/tfjs2onnx/ops/index.js';
import { readHumanModel, HUMAN_MODELS } from './harness.js';

describe('TF SAME padding', () => {
  it('puts the odd pixel at the end (bottom/right), as TF does', () => {
    expect(samePadding(256, 5, 2, 1)).toEqual([1, 2]); // blazeface stem
    expect(samePadding(128, 3, 2, 1)).toEqual([0, 1]); // depthwise s2 on an even size
    expect(samePadding(60, 3, 2, 1)).toEqual([0, 1]); // gender MaxPool
    expect(samePadding(64, 3, 1, 1)).toEqual([1, 1]);
    expect(samePadding(7, 1, 2, 1)).toEqual([0, 0]);
    expect(samePadding(256, 5, 2, 1, 'start')).toEqual([2, 1]);
  });
});

describe('weight decoding', () => {
  it('decodes float16, uint8 and uint16 affine quantisation, int32', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    const buf = new Uint8Array(4 + 2 + 4 + 4);
    const dv = new DataView(buf.buffer);
    dv.setUint16(0, 0x3800, true); // 0.5
    dv.setUint16(2, 0xbc00, true); // -1
    buf[4] = 0;
    buf[5] = 255;
    dv.setUint16(6, 1000, true);
    dv.setUint16(8, 0, true);
    dv.setInt32(10, -7, true);
    const w = decodeWeights(
      [
        { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'q8', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'q16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.01, min: 2 } },
        { name: 'i', shape: [], dtype: 'int32' },
      ],
      buf,
    );
    expect(Array.from(w.get('h')!.data)).toEqual([0.5, -1]);
    expect(Array.from(w.get('q8')!.data)).toEqual([-1, 126.5]);
    expect(w.get('q16')!.data[0]).toBeCloseTo(12, 5);
    expect(w.get('q16')!.data[1]).toBeCloseTo(2, 6);
    expect(Array.from(w.get('i')!.data)).toEqual([-7]);
  });

  it('rejects shards that do not match the manifest', () => {
    expect(() => decodeWeights([{ name: 'a', shape: [3], dtype: 'float32' }], new Uint8Array(8))).toThrow(/needs bytes 0\.\.12/);
    expect(() => decodeWeights([{ name: 'a', shape: [1], dtype: 'float32' }], new Uint8Array(8))).toThrow(/accounts for 4 bytes/);
  });
});

describe('unknown ops', () => {
  it('fail with the op and the node named', () => {
    const model = readHumanModel('gender');
    const node = model.json.modelTopology.node.find((n) => n.op === 'Softmax')!;
    const broken = { ...model, json: { ...model.json, modelTopology: { ...model.json.modelTopology, node: model.json.modelTopology.node.map((n) => (n === node ? { ...n, op: 'FancyNewOp' } : n)) } } };
    expect(() => convertTfjsModel(broken)).toThrow(ConversionError);
    expect(() => convertTfjsModel(broken)).toThrow(new RegExp(`unsupported TensorFlow op "FancyNewOp" in node "${node.name.replace(/[/]/g, '\\/')}"`));
    expect(supportedOps()).toContain('_FusedConv2D');
  });

  it('make the CLI exit with status 1 and the message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs2onnx-'));
    const model = readHumanModel('emotion');
    const json = structuredClone(model.json);
    const node = json.modelTopology.node.find((n) => n.op === 'MaxPool')!;
    node.op = 'MaxPoolWithArgmax';
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    for (const g of json.weightsManifest) for (const p of g.paths) copyFileSync(join(HUMAN_MODELS, p), join(dir, p));
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/tfjs2onnx/cli.ts', join(dir, 'model.json'), join(dir, 'out.onnx')]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/unsupported TensorFlow op "MaxPoolWithArgmax" in node "[^"]+"/);
  });
});
