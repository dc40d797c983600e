/**
 * The face pipeline on real photos with the shipped models, through the
 * engine as the app runs it (open, pyramid, job, result, export). Face
 * counts and boxes were verified by looking at each fixture (faces.json).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IriscopeError } from '../../../../electron/common/errors';
import { FaceResultSchema, type Face, type FaceResult } from '../../../../electron/common/faces-contract';
import { Engine } from '../../../../electron/engine/engine';
import { REPO_ROOT, tempDir, writeTruncatedJpeg } from '../../../helpers/fixtures';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'faces');
interface Truth { box: [number, number, number, number]; difficult?: boolean; note?: string }
const TRUTH = JSON.parse(readFileSync(path.join(FIXTURES, 'faces.json'), 'utf8')).fixtures as Record<string, { faces: Truth[] }>;

let engine: Engine;
let dir: string;

beforeAll(async () => {
  dir = await tempDir('iriscope-faces-');
  engine = await Engine.create({ paths: { dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
});

afterAll(async () => {
  await engine?.dispose();
});

async function faces(file: string, options: { threshold?: number; minFace?: number } = {}): Promise<{ result: FaceResult; imageId: string }> {
  const image = await engine.openImage({ path: file });
  const { done } = engine.faces.start({ imageId: image.id, ...options });
  const result = await done;
  expect(FaceResultSchema.parse(result)).toBeTruthy();
  expect(await engine.getFaces({ imageId: image.id })).toEqual(result);
  return { result, imageId: image.id };
}

const shown = (result: FaceResult) => result.faces.filter((f) => f.score >= result.threshold);
const centre = (f: Face) => [f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2];
const inside = ([x, y]: number[], [bx, by, bw, bh]: number[]) => x >= bx && y >= by && x <= bx + bw && y <= by + bh;
/** The truth face a detection lies on, if any. */
const truthOf = (f: Face, truth: Truth[]) => truth.find((t) => inside(centre(f), t.box));

describe('faces in real photos', () => {
  it('finds the one face of a portrait, level, with plausible attributes', async () => {
    const { result } = await faces(path.join(FIXTURES, 'astronaut.jpg'));
    const found = shown(result);
    expect(found).toHaveLength(1);
    const [face] = found;
    expect(truthOf(face, TRUTH['astronaut.jpg'].faces)).toBeTruthy();
    expect(face.score).toBeGreaterThan(0.9);
    expect(Math.abs(face.roll)).toBeLessThan(10);
    expect(face.gender).toMatchObject({ label: 'female' });
    expect(face.gender.p).toBeGreaterThan(0.8);
    expect(face.emotion.label).toBe('happy');
    expect(face.age).toBeGreaterThan(20);
    expect(face.age).toBeLessThan(60);
    expect(result.models.ageGender).toMatch(/^face-age-gender@/);
    expect(face.ageRange![0]).toBeLessThan(face.age);
    expect(face.ageRange![1]).toBeGreaterThan(face.age);
    expect(Object.values(face.emotion.all).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    // Keypoints: right eye (image left) left of the left eye, both in the upper half of the box, mouth below the nose.
    const [re, le, nose, mouth] = face.keypoints;
    expect(re[0]).toBeLessThan(le[0]);
    for (const p of [re, le]) expect(inside(p, [face.box[0], face.box[1], face.box[2], face.box[3] / 2])).toBe(true);
    expect(mouth[1]).toBeGreaterThan(nose[1]);
    expect(face.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
    // A run scans tiles and a whole-image pass.
    expect(result.stats.passes.length).toBeGreaterThanOrEqual(2);
  });

  it('finds the 4 small faces of a stage photo (faces about 32 px wide), all men', async () => {
    const { result } = await faces(path.join(FIXTURES, 'musicians-ireland.jpg'));
    const found = shown(result);
    expect(found).toHaveLength(4);
    const truth = TRUTH['musicians-ireland.jpg'].faces;
    expect(new Set(found.map((f) => truthOf(f, truth)))).toEqual(new Set(truth));
    for (const f of found) expect(f.gender.label).toBe('male');
    // Numbered left to right.
    expect(found.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    expect(found.map((f) => f.box[0])).toEqual([...found.map((f) => f.box[0])].sort((a, b) => a - b));
  });

  it('finds the 8 faces of the composed group photo and no other', async () => {
    const { result } = await faces(path.join(FIXTURES, 'scratch-group.jpg'));
    const found = shown(result);
    const truth = TRUTH['scratch-group.jpg'].faces;
    expect(found).toHaveLength(8);
    expect(new Set(found.map((f) => truthOf(f, truth)))).toEqual(new Set(truth));
    const byNote = (s: string) => found.find((f) => truthOf(f, truth)?.note?.includes(s))!;
    expect(byNote('marissa').gender.label).toBe('female');
    expect(byNote('anjuli').gender.label).toBe('female');
    expect(byNote('sam').gender.label).toBe('male');
    expect(byNote('sam').emotion.label).toBe('happy');
    expect(byNote('marissa').emotion.label).toBe('happy');
    for (const f of found) {
      expect(f.age).toBeGreaterThan(5);
      expect(f.age).toBeLessThan(80);
    }
  });

  it('finds the clear faces of a crowded band photo and nothing that is not a face', async () => {
    const { result } = await faces(path.join(FIXTURES, 'mariachi-mexico.jpg'));
    const truth = TRUTH['mariachi-mexico.jpg'].faces;
    const found = shown(result);
    for (const f of found) expect(truthOf(f, truth), `face ${f.id} at ${f.box.join(',')}`).toBeTruthy();
    const hit = truth.filter((t) => !t.difficult && found.some((f) => truthOf(f, truth) === t));
    expect(hit.length).toBeGreaterThanOrEqual(4);
    // The three-quarter face scores below the default threshold but is kept as a candidate.
    expect(result.faces.some((f) => truthOf(f, truth)?.note?.includes('moustache'))).toBe(true);
  });

  it('finds no face in a photo without people', async () => {
    const { result } = await faces(path.join(FIXTURES, 'drums-no-faces.jpg'));
    expect(result.faces).toEqual([]);
    expect(result.stats.windows).toBeGreaterThan(1);
  });
});

describe('faces in awkward files', () => {
  it('a 1 × 1 image: no face, no error', async () => {
    const file = path.join(dir, 'one-pixel.png');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toFile(file);
    const { result } = await faces(file);
    expect(result.faces).toEqual([]);
    expect(result.stats.windows).toBe(1);
  });

  it('a grayscale photo and a 16-bit PNG give the same face as the colour original', async () => {
    const source = path.join(FIXTURES, 'astronaut.jpg');
    const gray = path.join(dir, 'astronaut-gray.jpg');
    const deep = path.join(dir, 'astronaut-16bit.png');
    await sharp(source).toColourspace('b-w').jpeg({ quality: 92 }).toFile(gray);
    await sharp(source).toColourspace('rgb16').png().toFile(deep);
    expect((await engine.inspectImage({ path: gray })).bands).toBe(1);
    expect((await engine.inspectImage({ path: deep })).bitDepth).toBe(16);
    for (const file of [gray, deep]) {
      const found = shown((await faces(file)).result);
      expect(found, path.basename(file)).toHaveLength(1);
      const [x, y, w, h] = found[0].box;
      const [tx, ty, tw, th] = TRUTH['astronaut.jpg'].faces[0].box;
      for (const [a, b] of [[x, tx], [y, ty], [w, tw], [h, th]]) expect(Math.abs(a - b)).toBeLessThan(8);
    }
  });

  it('a JPEG stored rotated with an EXIF orientation tag: boxes in upright (displayed) pixels', async () => {
    const file = path.join(dir, 'ireland-rotated.jpg');
    // Pixels stored turned a quarter left; orientation 6 tells viewers to turn them back.
    await sharp(path.join(FIXTURES, 'musicians-ireland.jpg')).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(file);
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([416, 1024, 6]);
    const { result } = await faces(file);
    expect([result.width, result.height]).toEqual([1024, 416]);
    const found = shown(result);
    const truth = TRUTH['musicians-ireland.jpg'].faces;
    expect(found).toHaveLength(4);
    expect(new Set(found.map((f) => truthOf(f, truth)))).toEqual(new Set(truth));
  });

  it('a damaged file: the face job fails with the image\'s own clear error', async () => {
    const file = path.join(dir, 'truncated.jpg');
    await writeTruncatedJpeg(file);
    const image = await engine.openImage({ path: file }).catch((e: unknown) => e);
    if (image instanceof IriscopeError) {
      expect(image.code).toBe('CORRUPT_IMAGE');
      return;
    }
    const { job, done } = engine.faces.start({ imageId: (image as { id: string }).id });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IriscopeError);
    expect((error as IriscopeError).code).toBe('CORRUPT_IMAGE');
    expect(engine.jobs.get(job.id)).toMatchObject({ state: 'failed', kind: 'faces' });
  });

  it('asks for a result that does not exist: null before a run, NOT_FOUND for an unknown image', async () => {
    const image = await engine.openImage({ path: path.join(FIXTURES, 'drumkit-no-faces.jpg') });
    expect(await engine.getFaces({ imageId: image.id })).toBeNull();
    await expect(engine.getFaces({ imageId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.detectFaces({ imageId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.exportFaces({ imageId: image.id, format: 'json', path: path.join(dir, 'x.json') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('face jobs', () => {
  it('report progress and stop at the next batch when cancelled', async () => {
    const copy = path.join(dir, 'group-to-cancel.jpg');
    await fs.copyFile(path.join(FIXTURES, 'scratch-group.jpg'), copy);
    const image = await engine.openImage({ path: copy });
    await engine.images.whenReady(image.id);
    const seen: Array<{ state: string; progress: number | null }> = [];
    const off = engine.onEvent((e) => {
      if (e.type === 'job' && e.job.kind === 'faces') seen.push({ state: e.job.state, progress: e.job.progress });
    });
    // Small windows make the job long enough to cancel in flight.
    const { job, done } = engine.faces.start({ imageId: image.id, minFace: 12 });
    await expect.poll(() => engine.jobs.get(job.id).progress ?? 0, { timeout: 120_000, interval: 20 }).toBeGreaterThan(0.05);
    engine.jobs.cancel(job.id);
    const error = await done.catch((e: unknown) => e);
    off();
    expect((error as IriscopeError).code).toBe('CANCELLED');
    expect(engine.jobs.get(job.id).state).toBe('cancelled');
    expect(engine.jobs.get(job.id).progress).toBeLessThan(0.8);
    expect(seen.some((s) => s.state === 'running' && (s.progress ?? 0) > 0)).toBe(true);
    // A cancelled run leaves no result behind.
    expect(await engine.getFaces({ imageId: image.id })).toBeNull();
  });
});

describe('face exports', () => {
  let imageId: string;
  let original: string;
  let originalBytes: Buffer;

  beforeAll(async () => {
    // A JPEG stored rotated, with an ICC profile and EXIF, to check what exports keep.
    original = path.join(dir, 'group-with-metadata.jpg');
    await sharp(path.join(FIXTURES, 'scratch-group.jpg')).rotate(90).withMetadata({ orientation: 8 }).withIccProfile('p3').withExif({ IFD0: { Copyright: 'Iriscope test photo' } }).jpeg({ quality: 90 }).toFile(original);
    originalBytes = await fs.readFile(original);
    ({ imageId } = await faces(original));
  });

  it('writes an annotated JPEG and PNG: upright pixels, EXIF and ICC kept, orientation reset', async () => {
    for (const format of ['jpeg', 'png'] as const) {
      const target = path.join(dir, `annotated.${format === 'jpeg' ? 'jpg' : 'png'}`);
      const written = await engine.exportFaces({ imageId, format, path: target });
      expect(written).toMatchObject({ path: target, faces: 8 });
      const meta = await sharp(target).metadata();
      expect(meta.format).toBe(format);
      expect([meta.width, meta.height]).toEqual([1440, 1080]);
      expect(meta.orientation ?? 1).toBe(1);
      expect(meta.channels).toBe(3);
      expect(meta.icc?.length).toBeGreaterThan(0);
      expect(meta.exif?.toString('latin1')).toContain('Iriscope test photo');
      // The boxes are drawn: the annotated copy differs from the original near a face, not in the sky.
      const face = (await engine.getFaces({ imageId }))!.faces.find((f) => f.score > 0.9)!;
      const edge = { left: Math.round(face.box[0]) - 2, top: Math.round(face.box[1] + face.box[3] / 2), width: 5, height: 1 };
      const sky = { left: 700, top: 40, width: 5, height: 1 };
      const read = (file: string, region: typeof sky) => sharp(file).autoOrient().extract(region).removeAlpha().raw().toBuffer();
      const diff = async (region: typeof sky) => {
        const [a, b] = await Promise.all([read(original, region), read(target, region)]);
        return a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;
      };
      expect(await diff(edge)).toBeGreaterThan(30);
      expect(await diff(sky)).toBeLessThan(6);
    }
  });

  it('writes JSON and CSV of the faces at or above a threshold', async () => {
    const json = path.join(dir, 'faces.json');
    expect((await engine.exportFaces({ imageId, format: 'json', path: json })).faces).toBe(8);
    const record = JSON.parse(await fs.readFile(json, 'utf8'));
    expect(record.file).toBe(original);
    expect(record.faces).toHaveLength(8);
    expect(record.faces[0]).toMatchObject({ id: expect.any(Number), box: expect.any(Array), score: expect.any(Number), age: expect.any(Number), gender: { label: expect.any(String) }, emotion: { label: expect.any(String) } });
    expect(Object.keys(record.faces[0].keypoints)).toEqual(['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar']);
    expect(JSON.stringify(record)).not.toContain('data:image');

    const csv = path.join(dir, 'faces.csv');
    const written = await engine.exportFaces({ imageId, format: 'csv', path: csv, threshold: 0.5 });
    const lines = (await fs.readFile(csv, 'utf8')).trim().split('\r\n');
    expect(lines[0]).toMatch(/^face,x,y,width,height,score,age,gender,gender_p,emotion,emotion_p,p_angry,p_disgust,p_fear,p_happy,p_sad,p_surprise,p_neutral,roll_deg,right_eye_x,right_eye_y,/);
    expect(lines).toHaveLength(written.faces + 1);
    expect(written.faces).toBeGreaterThanOrEqual(8);
  });

  it('never writes over the original, and leaves no partial file when it cannot write', async () => {
    for (const format of ['jpeg', 'json'] as const) {
      await expect(engine.exportFaces({ imageId, format, path: original })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining('never overwrites the original') });
    }
    const link = path.join(dir, 'link-to-original.jpg');
    await fs.symlink(original, link);
    await expect(engine.exportFaces({ imageId, format: 'png', path: link, overwrite: true })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect((await fs.readFile(original)).equals(originalBytes)).toBe(true);

    await expect(engine.exportFaces({ imageId, format: 'png', path: path.join(dir, 'no-such-folder', 'x.png') })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const readOnly = path.join(dir, 'read-only');
    await fs.mkdir(readOnly);
    await fs.chmod(readOnly, 0o500);
    const error = await engine.exportFaces({ imageId, format: 'png', path: path.join(readOnly, 'x.png') }).catch((e: unknown) => e);
    await fs.chmod(readOnly, 0o700);
    if (process.getuid?.() !== 0) expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await fs.readdir(readOnly)).filter((f) => f.includes('partial'))).toEqual([]);
  });
});
