// The committed face models: rebuilt bit-for-bit from the sources, manifests
// valid and in agreement with the ONNX graphs, detector parity against TFJS,
// and attribute graphs (merged and separate) against the TFJS heads fed with
// the upstream preprocessing done by hand.
import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type * as tf from '@tensorflow/tfjs';
import { buildDetectorGraph, buildAttributeGraph, CROP, EMOTION_WINDOW, GRAY_WEIGHTS } from '../../../scripts/build-face-models.js';
import { ManifestSchema } from '../../../electron/engine/models/manifest-schema.js';
import { readHumanModel, loadTfModel, randomImages, nhwcToNchw, runTf, relError, rng } from './harness.js';

const MODELS = join(process.cwd(), 'models');
const TOL = 1e-4;
const IDS = ['face-detector', 'face-age', 'face-gender', 'face-emotion', 'face-attributes'];

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function manifest(id: string) {
  return ManifestSchema.parse(JSON.parse(readFileSync(join(MODELS, id, 'manifest.json'), 'utf8')));
}

async function session(id: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(join(MODELS, id, 'model.onnx'), { intraOpNumThreads: 1 });
}

describe('shipped face models', () => {
  it('are exactly what scripts/build-face-models.ts builds now', () => {
    const built: Record<string, Uint8Array> = {
      'face-detector': buildDetectorGraph().bytes,
      'face-age': buildAttributeGraph(['age']).bytes,
      'face-gender': buildAttributeGraph(['gender']).bytes,
      'face-emotion': buildAttributeGraph(['emotion']).bytes,
      'face-attributes': buildAttributeGraph(['age', 'gender', 'emotion']).bytes,
    };
    for (const id of IDS) expect(sha256(readFileSync(join(MODELS, id, 'model.onnx'))), id).toBe(sha256(built[id]));
  });

  for (const id of IDS) {
    it(`${id}: manifest validates, hashes match, session signature matches, model is small`, async () => {
      const m = manifest(id);
      expect(m.id).toBe(id);
      for (const f of m.files) {
        const bytes = readFileSync(join(MODELS, id, f.path));
        expect(bytes.byteLength).toBe(f.bytes);
        expect(sha256(bytes)).toBe(f.sha256);
        expect(f.bytes).toBeLessThan(4 * 1024 * 1024);
      }
      const s = await session(id);
      const g = m.graphs.main;
      expect(s.inputNames).toEqual(g.inputs.map((i) => i.name));
      expect(s.outputNames).toEqual(g.outputs.map((o) => o.name));
      const meta = [...s.inputMetadata, ...s.outputMetadata] as unknown as { name: string; type?: string; shape?: (number | string)[] }[];
      for (const spec of [...g.inputs, ...g.outputs]) {
        const found = meta.find((x) => x.name === spec.name)!;
        expect(found.type).toBe(spec.type);
        expect(found.shape).toEqual(spec.shape);
      }
      await s.release();
    });
  }
});

describe('face-detector graph vs TensorFlow.js blazeface-back', () => {
  it(`batch of 2 equals two TFJS runs with sigmoid + concat (< ${TOL})`, async () => {
    const model = readHumanModel('blazeface-back');
    const tfm = await loadTfModel(model);
    const n = 2;
    const x = randomImages([n, 256, 256, 3], -1, 1, 11);
    const expected = new Float32Array(n * 896 * 17);
    for (let b = 0; b < n; b++) {
      const one = x.subarray(b * 256 * 256 * 3, (b + 1) * 256 * 256 * 3);
      const [l512, l384, r512, r384] = await runTf(tfm, Float32Array.from(one), [1, 256, 256, 3], ['Identity', 'Identity_1', 'Identity_2', 'Identity_3']);
      const put = (l: Float32Array, r: Float32Array, count: number, at: number) => {
        for (let i = 0; i < count; i++) {
          const row = (b * 896 + at + i) * 17;
          expected[row] = 1 / (1 + Math.exp(-l[i]));
          expected.set(r.subarray(i * 16, i * 16 + 16), row + 1);
        }
      };
      put(l512, r512, 512, 0);
      put(l384, r384, 384, 512);
    }
    const s = await session('face-detector');
    const out = await s.run({ image: new ort.Tensor('float32', nhwcToNchw(x, [n, 256, 256, 3]), [n, 3, 256, 256]) });
    await s.release();
    expect(out.detections.dims).toEqual([n, 896, 17]);
    const err = relError(out.detections.data as Float32Array, expected);
    console.log(`[parity] face-detector vs TFJS: ${err.toExponential(2)}`);
    expect(err).toBeLessThan(TOL);
  });
});

// ---- upstream preprocessing, by hand (independent of the ONNX graph) ----

/** cv2.resize(INTER_LINEAR) on an HWC float image: half-pixel centres, edge clamping, no antialias. */
function resizeLinear(src: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow * c);
  const coord = (i: number, scale: number, size: number): [number, number, number] => {
    let f = (i + 0.5) * scale - 0.5;
    let i0 = Math.floor(f);
    f -= i0;
    if (i0 < 0) [i0, f] = [0, 0];
    if (i0 >= size - 1) [i0, f] = [size - 1, 0];
    return [i0, Math.min(i0 + 1, size - 1), f];
  };
  for (let y = 0; y < oh; y++) {
    const [y0, y1, fy] = coord(y, h / oh, h);
    for (let x = 0; x < ow; x++) {
      const [x0, x1, fx] = coord(x, w / ow, w);
      for (let ch = 0; ch < c; ch++) {
        const p = (yy: number, xx: number) => src[(yy * w + xx) * c + ch];
        out[(y * ow + x) * c + ch] = (1 - fy) * ((1 - fx) * p(y0, x0) + fx * p(y0, x1)) + fy * ((1 - fx) * p(y1, x0) + fx * p(y1, x1));
      }
    }
  }
  return out;
}

function toGray(rgb: Float32Array, n: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = GRAY_WEIGHTS[0] * rgb[3 * i] + GRAY_WEIGHTS[1] * rgb[3 * i + 1] + GRAY_WEIGHTS[2] * rgb[3 * i + 2];
  return g;
}

function window(gray: Float32Array, size: number, a: number, z: number): Float32Array {
  const s = z - a;
  const out = new Float32Array(s * s);
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out[y * s + x] = gray[(y + a) * size + x + a];
  return out;
}

/** Per face: the NHWC input each upstream project would have fed its model. */
function upstreamInputs(crop: Float32Array) {
  const age = resizeLinear(crop, CROP, CROP, 3, 64, 64).map((v) => v * 255);
  for (let i = 0; i < 64 * 64; i++) [age[3 * i], age[3 * i + 2]] = [age[3 * i + 2], age[3 * i]]; // RGB -> BGR
  const gray = toGray(crop, CROP * CROP);
  const gender = resizeLinear(gray, CROP, CROP, 1, 64, 64).map((v) => (v - 0.5) * 2);
  const [a, z] = EMOTION_WINDOW;
  const emotion = resizeLinear(window(gray, CROP, a, z), z - a, z - a, 1, 64, 64).map((v) => (v - 0.5) * 2);
  return { age, gender, emotion };
}

describe('attribute graphs vs the TFJS heads with upstream preprocessing by hand', () => {
  const heads = ['age', 'gender', 'emotion'] as const;
  const n = 3;
  const expected: Record<string, Float32Array> = {};
  let faces: Float32Array;

  beforeAll(async () => {
    // Random "faces": smooth blobs + noise, plus one flat crop, RGB in [0,1].
    const nhwc = randomImages([n, CROP, CROP, 3], 0, 1, 5);
    const r = rng(3);
    for (let i = 0; i < CROP * CROP * 3; i++) nhwc[2 * CROP * CROP * 3 + i] = 0.3 + 0.4 * r();
    faces = nhwcToNchw(nhwc, [n, CROP, CROP, 3]);
    const per = Array.from({ length: n }, (_, b) => upstreamInputs(nhwc.subarray(b * CROP * CROP * 3, (b + 1) * CROP * CROP * 3)));
    for (const h of heads) {
      const tfm: tf.GraphModel = await loadTfModel(readHumanModel(h));
      const c = h === 'age' ? 3 : 1;
      const x = new Float32Array(n * 64 * 64 * c);
      per.forEach((p, b) => x.set(p[h], b * 64 * 64 * c));
      [expected[h]] = await runTf(tfm, x, [n, 64, 64, c], ['Identity']);
    }
  });

  async function run(id: string): Promise<Record<string, Float32Array>> {
    const s = await session(id);
    const out = await s.run({ faces: new ort.Tensor('float32', faces, [n, 3, CROP, CROP]) });
    await s.release();
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  }

  it(`face-attributes (one run, three outputs) matches every head (< ${TOL})`, async () => {
    const out = await run('face-attributes');
    for (const h of heads) {
      const err = relError(out[h], expected[h]);
      console.log(`[parity] face-attributes.${h} vs TFJS ${h} + upstream preprocessing: ${err.toExponential(2)}`);
      expect(err).toBeLessThan(TOL);
    }
    // Sanity: probabilities and a plausible age range.
    for (let b = 0; b < n; b++) {
      expect(out.gender[2 * b] + out.gender[2 * b + 1]).toBeCloseTo(1, 5);
      expect(out.age[b]).toBeGreaterThan(0);
      expect(out.age[b]).toBeLessThan(101);
    }
  });

  for (const h of heads) {
    it(`face-${h} (separate graph) matches TFJS ${h} (< ${TOL})`, async () => {
      const out = await run(`face-${h}`);
      expect(Object.keys(out)).toEqual([h]);
      const err = relError(out[h], expected[h]);
      console.log(`[parity] face-${h} vs TFJS: ${err.toExponential(2)}`);
      expect(err).toBeLessThan(TOL);
    });
  }
});
