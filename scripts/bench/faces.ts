/**
 * Face benchmark (`npm run bench -- faces`), all on the committed fixtures
 * (test/fixtures/faces, faces verified by looking: faces.json):
 *
 *   1. faces per second, detection + attributes, on the group photo
 *      (median of a few runs after a warm-up), split into its stages;
 *   2. the merged attribute graph (one session run for age, gender and
 *      emotion) against the three single-head graphs run one after the
 *      other on the same batch of aligned crops: time ratio from the same
 *      run, and the largest difference between their outputs;
 *   3. detection recall and false positives on the fixtures, at the default
 *      threshold and around it.
 */
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Face, FaceResult } from '../../electron/common/faces-contract';
import { Engine } from '../../electron/engine/engine';
import { cropGeometry, cropSourceRegion, sampleCrop, writeCropTensor } from '../../electron/engine/pipelines/faces/align-crop';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = path.join(root, 'test', 'fixtures', 'faces');
const GROUP = 'scratch-group.jpg';
const RUNS = Number(process.env.BENCH_FACE_RUNS ?? 5);
const HEAD_RUNS = Number(process.env.BENCH_HEAD_RUNS ?? 20);
const THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9];

interface Truth { box: [number, number, number, number]; difficult?: boolean }

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const centre = (f: Face) => [f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2];
const on = (f: Face, t: Truth) => {
  const [x, y] = centre(f);
  const [bx, by, bw, bh] = t.box;
  return x >= bx && y >= by && x <= bx + bw && y <= by + bh;
};

export async function benchFaces(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-faces-'));
  const engine = await Engine.create({ paths: { appRoot: root, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
  try {
    const run = async (file: string): Promise<{ result: FaceResult; imageId: string }> => {
      const image = await engine.openImage({ path: path.join(FIXTURES, file) });
      await engine.images.whenReady(image.id);
      return { result: await engine.faces.start({ imageId: image.id }).done, imageId: image.id };
    };

    // ---- 1. faces per second on the group photo
    console.log(`\n== faces on ${process.platform}/${process.arch}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
    const warm = await run(GROUP);
    const shown = warm.result.faces.filter((f) => f.score >= warm.result.threshold);
    const runs: FaceResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push((await run(GROUP)).result);
    const total = median(runs.map((r) => r.stats.totalMs));
    const detect = median(runs.map((r) => r.stats.detectMs));
    const attrs = median(runs.map((r) => r.stats.attributesMs));
    const n = warm.result.faces.length;
    console.log(`${GROUP}: ${warm.result.width} × ${warm.result.height} px, ${shown.length} faces at ${warm.result.threshold} (${n} candidates with attributes), ${warm.result.stats.windows} detector windows in ${warm.result.stats.passes.length} passes`);
    console.log(`  whole pipeline      ${total.toFixed(0).padStart(6)} ms  → ${((shown.length / total) * 1000).toFixed(1)} faces/s shown (${((n / total) * 1000).toFixed(1)} candidates/s), median of ${RUNS}`);
    console.log(`  detection           ${detect.toFixed(0).padStart(6)} ms  (${(detect / warm.result.stats.windows).toFixed(1)} ms per window, region reads included)`);
    console.log(`  crops + attributes  ${attrs.toFixed(0).padStart(6)} ms  (${(attrs / Math.max(1, n)).toFixed(1)} ms per face)`);
    const providers = engine.sessions.reports().map((r) => `${r.model}: ${r.provider}`).join(', ');
    console.log(`  sessions: ${providers}`);

    // ---- 2. merged single pass vs the three heads as separate sessions
    const reader = await engine.images.whenReady(warm.imageId);
    const C = 128;
    const faces = warm.result.faces;
    const batch = new Float32Array(faces.length * 3 * C * C);
    for (const [i, f] of faces.entries()) {
      const detection = { x0: f.box[0], y0: f.box[1], x1: f.box[0] + f.box[2], y1: f.box[1] + f.box[3], keypoints: f.keypoints.flat(), score: f.score };
      const g = cropGeometry(detection);
      const region = cropSourceRegion(g);
      const side = Math.ceil((region.width * C) / g.side);
      writeCropTensor(sampleCrop(await reader.readRegion(region, { width: side, height: side }), region, g, C), C, batch, i);
    }
    const merged = await engine.models.session('face-attributes', 'main');
    const heads = await Promise.all(['face-age', 'face-gender', 'face-emotion'].map((id) => engine.models.session(id, 'main')));
    const time = async (fn: () => Promise<unknown>) => {
      await fn();
      const t: number[] = [];
      for (let i = 0; i < HEAD_RUNS; i++) {
        const start = performance.now();
        await fn();
        t.push(performance.now() - start);
      }
      return median(t);
    };
    console.log(`\nattributes: merged face-attributes (1 session run) vs face-age + face-gender + face-emotion (3 session runs), same aligned 128 px crops, median of ${HEAD_RUNS} runs × 3 interleaved rounds:`);
    for (const size of [faces.length, 1]) {
      const feeds = { faces: new ort.Tensor('float32', batch.subarray(0, size * 3 * C * C), [size, 3, C, C]) };
      // Interleave the two so machine noise hits both alike.
      const mergedTimes: number[] = [];
      const separateTimes: number[] = [];
      for (let round = 0; round < 3; round++) {
        mergedTimes.push(await time(() => merged.run(feeds)));
        separateTimes.push(await time(async () => {
          for (const head of heads) await head.run(feeds);
        }));
      }
      const mergedMs = median(mergedTimes);
      const separateMs = median(separateTimes);
      const a = await merged.run(feeds);
      const b = Object.assign({}, ...(await Promise.all(heads.map((h) => h.run(feeds))))) as Record<string, ort.Tensor>;
      let maxDiff = 0;
      for (const name of ['age', 'gender', 'emotion']) {
        const x = a[name].data as Float32Array;
        const y = b[name].data as Float32Array;
        for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]) / (name === 'age' ? Math.max(1, Math.abs(y[i])) : 1));
      }
      console.log(`  batch ${String(size).padStart(2)}: merged ${mergedMs.toFixed(2).padStart(6)} ms, separate ${separateMs.toFixed(2).padStart(6)} ms → separate / merged = ${(separateMs / mergedMs).toFixed(2)}× (${(mergedMs / size).toFixed(2)} vs ${(separateMs / size).toFixed(2)} ms per face; largest output difference ${maxDiff.toExponential(1)})`);
    }

    // ---- 3. recall on the fixtures
    const truth = JSON.parse(readFileSync(path.join(FIXTURES, 'faces.json'), 'utf8')).fixtures as Record<string, { faces: Truth[] }>;
    const results: Record<string, FaceResult> = {};
    for (const file of Object.keys(truth)) results[file] = (await run(file)).result;
    const score = (t: number) => {
      let found = 0;
      let wanted = 0;
      let fp = 0;
      const perFile: string[] = [];
      for (const [file, { faces: gt }] of Object.entries(truth)) {
        const dets = results[file].faces.filter((f) => f.score >= t);
        const hit = gt.filter((g) => !g.difficult && dets.some((d) => on(d, g))).length;
        const need = gt.filter((g) => !g.difficult).length;
        const wrong = dets.filter((d) => !gt.some((g) => on(d, g))).length;
        found += hit;
        wanted += need;
        fp += wrong;
        perFile.push(`${file} ${hit}/${need}${wrong ? ` +${wrong} FP` : ''}`);
      }
      return { found, wanted, fp, perFile };
    };
    const chosen = warm.result.threshold;
    console.log(`\ndetection on the ${Object.keys(truth).length} fixtures (${Object.values(truth).reduce((s, f) => s + f.faces.filter((g) => !g.difficult).length, 0)} faces verified by looking; 'difficult' tiny background faces not counted):`);
    console.log(`  ${'threshold'.padEnd(10)} ${'recall'.padStart(12)} ${'false pos.'.padStart(11)} ${'precision'.padStart(10)}`);
    for (const t of THRESHOLDS) {
      const s = score(t);
      const precision = s.found + s.fp ? s.found / (s.found + s.fp) : 1;
      console.log(`  ${`${t.toFixed(2)}${t === chosen ? ' *' : ''}`.padEnd(10)} ${`${s.found}/${s.wanted} ${((100 * s.found) / s.wanted).toFixed(0)}%`.padStart(12)} ${String(s.fp).padStart(11)} ${`${(100 * precision).toFixed(0)}%`.padStart(10)}`);
    }
    console.log(`  at ${chosen} (*, the default): ${score(chosen).perFile.join('; ')}`);
  } finally {
    await engine.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
