/**
 * Face crops for training and evaluating the face-attribute models, cut by
 * the app's own engine: its detector (models/face-detector), weighted NMS,
 * and eye-levelled 1.8 × box crop (electron/engine/pipelines/faces). The
 * shipped heads' outputs (models/face-attributes) are recorded as the engine
 * returns them, so "today's heads" in the evaluation are exactly the app.
 *
 *   npx tsx training/faces/prepare.ts [--data ../shared/data/faces] [--corpus training/data/cache/corpus]
 *                                     [--out training/data/cache/faces] [--limit N] [--only SET] [--redo SET]
 *
 * Writes into --out (git-ignored): crops/<key>.png (128 px, the attribute
 * crop), crops/<key>.t224.png (224 px, same centre and roll, side 1.25 × box:
 * the teacher's framing candidate) and crops/<key>.w224.png (224 px, 1.8 ×
 * box), and records.jsonl, one line per crop with the source's sha256, the
 * labels, the detection and the shipped heads' outputs. Resumable: sources
 * already in records.jsonl are skipped.
 *
 * Sources:
 * - face sets of ../shared/data/faces (london, canada, pixabay, fairface-dev):
 *   the best-scoring detection of each photo (all are single-face portraits),
 *   scanned with minFace = 1/6 of the short side (these faces are large; the
 *   app's --min-face option);
 * - face-free photos of the colour corpus (training/corpus, by id: animals,
 *   objects, places, textures; ids naming people are left out): every detector
 *   candidate at the app's default settings down to score 0.3 (the detector's
 *   own false faces), plus random squares cut with the same crop geometry.
 *   The corpus split decides use: train → training negatives, val/test →
 *   evaluation ("false faces per non-face photo").
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Engine } from '../../electron/engine/engine';
import { cropGeometry, cropSourceRegion, sampleCrop } from '../../electron/engine/pipelines/faces/align-crop';
import type { Detection } from '../../electron/engine/pipelines/faces/detection';
import type { RegionSource } from '../../electron/engine/pipelines/faces/detect-faces';
import { defaultMinFace } from '../../electron/engine/pipelines/faces/detect-faces';
import type { Face } from '../../electron/common/faces-contract';
import { seededRandom } from '../../scripts/seeded-random';

const root = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DATA = path.resolve(arg('data', path.join(root, '..', 'shared', 'data', 'faces')));
const CORPUS = path.resolve(arg('corpus', path.join(root, 'training', 'data', 'cache', 'corpus')));
const OUT = path.resolve(arg('out', path.join(root, 'training', 'data', 'cache', 'faces')));
const LIMIT = Number(arg('limit', '0')) || Infinity;
const ONLY = arg('only', '');
/** A set to crop again (its new records supersede the old ones: readers keep the last record per key). */
const REDO = arg('redo', '');

/** Corpus ids with people in them (musicians, portraits, crowds, account pictures): never negatives. */
const PEOPLE = /music|people|person|portrait|(^|-)(wo)?man|girl|boy|child|kid|famil|crowd|player|dancer|astronaut|face|chef|doctor|farmer|worker|baby|lady|gentle|firefight|police|teacher|sport|athlet|skier|surf|clown|king|queen|soldier|pilot|nurse|baker|tailor|painter|gnome-control-center|scratch-(indoors|sports)|rushmore|statueofliberty|christtheredeemer|lincolnmemorial|friends|life-by|mural|graffiti|movies|baseball|volleyball|playground|boardwalk/i;
const RANDOM_NEGATIVES_PER_PHOTO = 12;

interface Labels {
  age?: number;
  ageGroup?: string;
  gender?: 'female' | 'male';
  expression?: 'neutral' | 'smiling';
  person?: string;
  ethnicity?: string;
}

interface CropRecord extends Labels {
  key: string;
  set: string;
  split: string;
  source: string;
  sourceSha256: string;
  kind: 'face' | 'candidate' | 'random';
  width: number;
  height: number;
  detection: { score: number; box: [number, number, number, number]; keypoints: [number, number][] } | null;
  facesFound: number;
  shipped: { age: number; male: number; emotion: Record<string, number> } | null;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function writeCrop(source: RegionSource, d: Detection, margin: number, size: number, file: string): Promise<Uint8Array> {
  const g = cropGeometry(d, margin);
  const region = cropSourceRegion(g);
  const side = Math.max(1, Math.ceil((region.width * size) / g.side));
  const raw = await source.readRegion(region, { width: side, height: side });
  const crop = sampleCrop(raw, region, g, size);
  await sharp(Buffer.from(crop.buffer, crop.byteOffset, crop.byteLength), { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
  return crop;
}

/** The engine's Face back as the detection it came from (box and keypoints in image pixels). */
function asDetection(f: Face): Detection {
  return { x0: f.box[0], y0: f.box[1], x1: f.box[0] + f.box[2], y1: f.box[1] + f.box[3], keypoints: f.keypoints.flat(), score: f.score };
}

async function main(): Promise<void> {
  await fs.mkdir(path.join(OUT, 'crops'), { recursive: true });
  const recordsFile = path.join(OUT, 'records.jsonl');
  const done = new Set<string>();
  if (existsSync(recordsFile)) for (const line of readFileSync(recordsFile, 'utf8').split('\n')) if (line) done.add(JSON.parse(line).source);
  const out = await fs.open(recordsFile, 'a');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-faces-prepare-'));
  const engine = await Engine.create({ paths: { appRoot: root, dataDir: path.join(tmp, 'data'), cacheDir: path.join(tmp, 'cache') }, rememberRecent: false });

  // ---- the face sets
  const manifest = JSON.parse(readFileSync(path.join(DATA, 'manifest.json'), 'utf8'));
  const sources: Array<{ file: string; set: string; labels: Labels }> = [];
  for (const r of manifest.images) {
    sources.push({ file: r.file, set: r.set, labels: { age: r.age ?? undefined, ageGroup: r.age_group, gender: r.gender, expression: r.expression, person: r.person, ethnicity: r.ethnicity } });
  }
  // FairFace's own ground truth must agree with the manifest (the evaluation reads the manifest's labels).
  const ff = JSON.parse(readFileSync(path.join(DATA, 'fairface-dev', 'ground_truth.json'), 'utf8'));
  const byFile = new Map(sources.map((s) => [s.file, s]));
  for (const r of ff) {
    const s = byFile.get(`fairface-dev/${r.filename}`);
    if (!s || s.labels.ageGroup !== r.age || s.labels.gender !== String(r.gender).toLowerCase()) throw new Error(`fairface-dev/${r.filename}: manifest and ground_truth.json disagree`);
  }

  // ---- the face-free corpus photos
  const corpusManifest = path.join(CORPUS, 'manifest.json');
  const negatives: Array<{ file: string; id: string; split: string }> = [];
  if (existsSync(corpusManifest)) {
    for (const r of JSON.parse(readFileSync(corpusManifest, 'utf8')).images) {
      if (PEOPLE.test(r.id)) continue;
      const file = path.join(CORPUS, r.file);
      if (existsSync(file)) negatives.push({ file, id: r.id, split: r.split });
    }
  }
  console.log(`[prepare] ${sources.length} face photos, ${negatives.length} face-free corpus photos; out ${OUT}`);

  let n = 0;
  const t0 = Date.now();
  for (const s of sources) {
    if (ONLY && s.set !== ONLY) continue;
    if ((done.has(s.file) && s.set !== REDO) || n >= LIMIT) continue;
    n++;
    const file = path.join(DATA, s.file);
    const image = await engine.openImage({ path: file });
    const reader = await engine.images.whenReady(image.id);
    const minFace = Math.max(20, Math.round(Math.min(reader.width, reader.height) / 6));
    const result = await engine.faces.start({ imageId: image.id, minFace }).done;
    const key = s.file.replace(/\.[a-z]+$/i, '').replace(/[^A-Za-z0-9_-]+/g, '__');
    // The photo's subject: of the faces at the threshold (else all candidates), the one nearest the centre
    // (FairFace crops centre their subject; neighbours at the edges are other people).
    const pool = result.faces.some((f) => f.score >= result.threshold) ? result.faces.filter((f) => f.score >= result.threshold) : result.faces;
    const off = (f: Face) => Math.hypot(f.box[0] + f.box[2] / 2 - reader.width / 2, f.box[1] + f.box[3] / 2 - reader.height / 2);
    const best = [...pool].sort((a, b) => off(a) - off(b))[0];
    const split = s.set === 'fairface-dev' ? 'eval' : s.set === 'pixabay' ? 'train' : personSplit(`${s.set}:${s.labels.person ?? key}`);
    const record: CropRecord = {
      key, set: s.set, split, source: s.file, sourceSha256: sha256(file), kind: 'face', width: reader.width, height: reader.height,
      ...s.labels,
      detection: best ? { score: best.score, box: best.box, keypoints: best.keypoints } : null,
      facesFound: result.faces.filter((f) => f.score >= result.threshold).length,
      shipped: best ? { age: best.age, male: best.gender.label === 'male' ? best.gender.p : 1 - best.gender.p, emotion: best.emotion.all } : null,
    };
    if (best) {
      const d = asDetection(best);
      await writeCrop(reader, d, 1.8, 128, path.join(OUT, 'crops', `${key}.png`));
      await writeCrop(reader, d, 1.25, 224, path.join(OUT, 'crops', `${key}.t224.png`));
      await writeCrop(reader, d, 1.8, 224, path.join(OUT, 'crops', `${key}.w224.png`));
    }
    await out.write(JSON.stringify(record) + '\n');
    await engine.closeImage({ imageId: image.id });
    if (n % 50 === 0) console.log(`[prepare] faces ${n} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }

  for (const neg of negatives) {
    if (ONLY && ONLY !== 'corpus') continue;
    if (done.has(neg.file) || n >= LIMIT) continue;
    n++;
    const image = await engine.openImage({ path: neg.file });
    const reader = await engine.images.whenReady(image.id);
    // The app's defaults (threshold 0.65 kept down to 0.3 here, minFace by photo size): what a user's run would see.
    const result = await engine.faces.start({ imageId: image.id, threshold: 0.3, minFace: defaultMinFace(reader.width, reader.height) }).done;
    const sourceSha256 = sha256(neg.file);
    const base = { set: 'corpus', split: neg.split === 'train' ? 'train' : 'eval', source: neg.file, sourceSha256, width: reader.width, height: reader.height, facesFound: result.faces.filter((f) => f.score >= 0.65).length };
    const lines: string[] = [];
    for (const [i, f] of result.faces.entries()) {
      const key = `corpus__${neg.id}__c${i}`;
      await writeCrop(reader, asDetection(f), 1.8, 128, path.join(OUT, 'crops', `${key}.png`));
      const rec: CropRecord = { key, kind: 'candidate', ...base, detection: { score: f.score, box: f.box, keypoints: f.keypoints }, shipped: { age: f.age, male: f.gender.label === 'male' ? f.gender.p : 1 - f.gender.p, emotion: f.emotion.all } };
      lines.push(JSON.stringify(rec));
    }
    if (base.split === 'train') {
      // Random squares (20 px up to half the short side), eyes level: what the detector might propose anywhere.
      const rng = seededRandom(parseInt(sourceSha256.slice(0, 8), 16));
      for (let i = 0; i < RANDOM_NEGATIVES_PER_PHOTO; i++) {
        const side = 20 + rng() * (Math.min(reader.width, reader.height) / 2 - 20);
        const x0 = rng() * (reader.width - side);
        const y0 = rng() * (reader.height - side);
        const d: Detection = { x0, y0, x1: x0 + side, y1: y0 + side, score: 0, keypoints: [x0 + 0.3 * side, y0 + 0.4 * side, x0 + 0.7 * side, y0 + 0.4 * side, 0, 0, 0, 0, 0, 0, 0, 0] };
        const key = `corpus__${neg.id}__r${i}`;
        await writeCrop(reader, d, 1.8, 128, path.join(OUT, 'crops', `${key}.png`));
        lines.push(JSON.stringify({ key, kind: 'random', ...base, detection: null, shipped: null } satisfies CropRecord));
      }
    }
    if (!lines.length) lines.push(JSON.stringify({ key: `corpus__${neg.id}__none`, kind: 'candidate', ...base, detection: null, shipped: null, noCrop: true }));
    await out.write(lines.join('\n') + '\n');
    await engine.closeImage({ imageId: image.id });
    if (n % 20 === 0) console.log(`[prepare] ${n} photos (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  // ---- the face fixtures (test/fixtures/faces, faces verified by looking): every candidate at the
  // app's defaults, for fixture recall with and without a faceness filter. Evaluation only.
  const fixtures = JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'faces', 'faces.json'), 'utf8')).fixtures as Record<string, unknown>;
  for (const name of Object.keys(fixtures)) {
    const file = path.join(root, 'test', 'fixtures', 'faces', name);
    if ((ONLY && ONLY !== 'fixtures') || done.has(file) || n >= LIMIT) continue;
    n++;
    const image = await engine.openImage({ path: file });
    const reader = await engine.images.whenReady(image.id);
    const result = await engine.faces.start({ imageId: image.id }).done;
    const base = { set: 'fixtures', split: 'eval', source: file, sourceSha256: sha256(file), width: reader.width, height: reader.height, facesFound: result.faces.filter((f) => f.score >= result.threshold).length };
    const lines: string[] = [];
    for (const [i, f] of result.faces.entries()) {
      const key = `fixtures__${name.replace(/\.[a-z]+$/i, '')}__c${i}`;
      await writeCrop(reader, asDetection(f), 1.8, 128, path.join(OUT, 'crops', `${key}.png`));
      lines.push(JSON.stringify({ key, kind: 'candidate', ...base, fixture: name, detection: { score: f.score, box: f.box, keypoints: f.keypoints }, shipped: { age: f.age, male: f.gender.label === 'male' ? f.gender.p : 1 - f.gender.p, emotion: f.emotion.all } } satisfies CropRecord & { fixture: string }));
    }
    if (!lines.length) lines.push(JSON.stringify({ key: `fixtures__${name}__none`, kind: 'candidate', ...base, fixture: name, detection: null, shipped: null, noCrop: true }));
    await out.write(lines.join('\n') + '\n');
    await engine.closeImage({ imageId: image.id });
  }

  await out.close();
  await engine.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
  console.log(`[prepare] done: ${n} new photos in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** London/Canada person ids → train or test by a hash of the id (both photos of a person share it). */
function personSplit(person: string): 'train' | 'test' {
  const h = createHash('sha256').update(`faces-v2:${person}`).digest();
  return h[0] < 64 ? 'test' : 'train';
}


main().catch((e) => {
  console.error(e);
  process.exit(1);
});
