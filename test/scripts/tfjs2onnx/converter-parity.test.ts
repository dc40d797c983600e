// Converter parity: every TFJS model behind a shipped face model (plus extra
// models that exercise the remaining ops) is converted in memory and run in
// onnxruntime-node against the original in TensorFlow.js on random inputs.
import { describe, it, expect, beforeAll } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { convertTfjsModel, type ConvertOptions, type Converted } from '../../../scripts/tfjs2onnx/convert.js';
import { encodeModel } from '../../../scripts/tfjs2onnx/writer.js';
import type { TfjsModel } from '../../../scripts/tfjs2onnx/tfjs-model.js';
import { readHumanModel, loadTfModel, randomImages, nhwcToNchw, runTf, onnxSession, runOnnx, relError } from './harness.js';

const TOL = 1e-4;

interface Case {
  id: string;
  /** Value range of the random input (the model's own input range). */
  range: [number, number];
  batch: number;
  why: string;
}

const CASES: Case[] = [
  { id: 'blazeface-back', range: [-1, 1], batch: 1, why: 'shipped face-detector' },
  { id: 'age', range: [0, 255], batch: 2, why: 'shipped face-age / face-attributes' },
  { id: 'gender', range: [-1, 1], batch: 2, why: 'shipped face-gender / face-attributes' },
  { id: 'emotion', range: [-1, 1], batch: 2, why: 'shipped face-emotion / face-attributes' },
  { id: 'blazeface-front', range: [-1, 1], batch: 1, why: 'detector candidate' },
  { id: 'facemesh-detection-full', range: [-1, 1], batch: 2, why: 'float16 weights, ResizeBilinear, DepthToSpace, Shape/StridedSlice/Pack/ConcatV2, dynamic batch' },
  { id: 'faceres', range: [0, 1], batch: 1, why: 'float16 weights, unfused Conv2D, Maximum/Minimum, Sigmoid (not shipped)' },
];

async function parity(model: TfjsModel, tfModel: tf.GraphModel, c: Case, opts: ConvertOptions = {}): Promise<{ conv: Converted; errors: number[] }> {
  const conv = convertTfjsModel(model, opts);
  const [, ch, h, w] = conv.inputs[0].shape as number[];
  const shape: [number, number, number, number] = [c.batch, h, w, ch];
  const x = randomImages(shape, c.range[0], c.range[1], 7);
  const expected = await runTf(tfModel, x, shape, conv.outputs.map((o) => o.tf));
  const session = await onnxSession(encodeModel(conv.model));
  const got = await runOnnx(session, { [conv.inputs[0].name]: { data: nhwcToNchw(x, shape), dims: [c.batch, ch, h, w] } }, conv.outputs.map((o) => o.name));
  await session.release();
  return { conv, errors: got.map((g, i) => relError(g.data, expected[i])) };
}

describe('TFJS -> ONNX converter parity (random inputs, max |onnx - tfjs| / max |tfjs|)', () => {
  const models = new Map<string, { model: TfjsModel; tf: tf.GraphModel }>();
  beforeAll(async () => {
    for (const c of CASES) {
      const model = readHumanModel(c.id);
      models.set(c.id, { model, tf: await loadTfModel(model) });
    }
  });

  for (const c of CASES) {
    it(`${c.id} (${c.why}) matches TensorFlow.js to < ${TOL}`, async () => {
      const { model, tf } = models.get(c.id)!;
      const { conv, errors } = await parity(model, tf, c);
      const report = conv.outputs.map((o, i) => `${o.name}=${errors[i].toExponential(2)}`).join(' ');
      console.log(`[parity] ${c.id}: ${report}`);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) expect(e).toBeLessThan(TOL);
    });
  }

  it('negative control: SAME padding with the extra pixel at the start fails the same check', async () => {
    const c = CASES[0];
    const { model, tf } = models.get(c.id)!;
    const { errors } = await parity(model, tf, c, { samePaddingExtra: 'start' });
    console.log(`[parity] negative control blazeface-back: ${errors.map((e) => e.toExponential(2)).join(' ')}`);
    // Every output must fail the 1e-4 check, and by a wide margin (it moves the outputs by tens of %).
    for (const e of errors) expect(e).toBeGreaterThan(1e-2);
  });
});
