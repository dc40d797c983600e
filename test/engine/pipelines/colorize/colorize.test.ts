/**
 * Colorization through the engine as the app runs it (open, pyramid, job,
 * gallery of pyramid-backed samples, export) on real photos and the shipped
 * model, and on bad input: a colour photo, a 16-bit and a CMYK image, a 1×1
 * image, a 40-Mpx photo, a cancelled job, a wrong model id.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColorizationSchema, type Colorization } from '../../../../electron/common/colorize-contract';
import { Engine } from '../../../../electron/engine/engine';
import { GRAY_TO_L, rgb8ToL } from '../../../../electron/engine/pipelines/colorize/lab';
import { SAMPLE_PHOTO, tempDir } from '../../../helpers/fixtures';

let engine: Engine;
let dir: string;
let files: string;
let gray: string;

beforeAll(async () => {
  dir = await tempDir('iriscope-colorize-');
  files = path.join(dir, 'files');
  await fs.mkdir(files);
  // Every progress update reaches the listeners (the cancel test cancels at given stages).
  engine = await Engine.create({ paths: { dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') }, jobs: { progressIntervalMs: 0 } });
  // A true grayscale photo (one band) with EXIF to keep.
  gray = path.join(files, 'boats-gray.jpg');
  await sharp(SAMPLE_PHOTO).resize(640).toColourspace('b-w').withExif({ IFD0: { Copyright: 'Iriscope test', Artist: 'Ueno Hikoma' } }).jpeg({ quality: 90 }).toFile(gray);
});

afterAll(async () => {
  await engine?.dispose();
});

async function colorize(file: string, options: { samples?: number; seed?: number; temperature?: number; append?: boolean; imageId?: string } = {}): Promise<Colorization> {
  const imageId = options.imageId ?? (await engine.openImage({ path: file })).id;
  // The small model keeps these tests quick; the default (largest) model is checked below.
  const { done } = engine.colorization.start({ imageId, samples: options.samples ?? 2, seed: options.seed ?? 1, temperature: options.temperature, append: options.append, modelId: 'pic-cpu64' });
  const result = ColorizationSchema.parse(await done);
  expect(await engine.getColorization({ imageId })).toEqual(result);
  return result;
}

/** Full-resolution raw pixels of an open image, read through its pyramid reader. */
async function pixels(imageId: string) {
  const reader = await engine.images.whenReady(imageId);
  return reader.readRegion({ x: 0, y: 0, width: reader.width, height: reader.height });
}

/** Mean |ΔL| between a sample (RGB) and its source photo (gray or RGB), and the sample's mean chroma spread. */
async function compareL(sampleId: string, sourceId: string) {
  const s = await pixels(sampleId);
  const o = await pixels(sourceId);
  expect([s.width, s.height]).toEqual([o.width, o.height]);
  let dL = 0;
  let colour = 0;
  const n = s.width * s.height;
  for (let i = 0; i < n; i++) {
    const Ls = rgb8ToL(s.data[3 * i], s.data[3 * i + 1], s.data[3 * i + 2]);
    const Lo = o.channels === 1 ? GRAY_TO_L[o.data[i]] : rgb8ToL(o.data[o.channels * i], o.data[o.channels * i + 1], o.data[o.channels * i + 2]);
    dL += Math.abs(Ls - Lo);
    colour += Math.abs(s.data[3 * i] - s.data[3 * i + 1]) + Math.abs(s.data[3 * i + 1] - s.data[3 * i + 2]);
  }
  return { meanDL: dL / n, colour: colour / n };
}

/** Anonymous (heap) memory of this process on Linux (RssAnon); resident set size elsewhere. */
function anonymousMemory(): number {
  try {
    const kb = /RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

describe('colorize a gray photo', () => {
  let result: Colorization;
  let sourceId: string;

  it('samples 4 different colorizations, each a full-resolution pyramid-backed image with the photo\'s own L', async () => {
    const image = await engine.openImage({ path: gray });
    sourceId = image.id;
    expect(image.bands).toBe(1);
    result = await colorize(gray, { samples: 4, seed: 5, imageId: image.id });
    expect(result.samples).toHaveLength(4);
    expect(result.model.id).toBe('pic-cpu64');
    expect([result.width, result.height]).toEqual([image.width, image.height]);
    expect(result.runs).toEqual([expect.objectContaining({ seed: 5, samples: 4 })]);
    for (const [i, sample] of result.samples.entries()) {
      expect(sample).toMatchObject({ index: i, seed: 5, batchIndex: i, batchSize: 4 });
      expect(sample.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      const info = await engine.getImage({ imageId: sample.imageId });
      expect(info.pyramid.state).toBe('ready');
      expect([info.width, info.height, info.bands]).toEqual([image.width, image.height, 3]);
      // A tile reads like any image's.
      expect((await engine.readTile({ imageId: sample.imageId, level: 0, x: 0, y: 0 })).length).toBeGreaterThan(100);
      const { meanDL, colour } = await compareL(sample.imageId, image.id);
      expect(meanDL).toBeLessThan(1.5);
      expect(colour).toBeGreaterThan(2);
    }
    // The four samples are different images.
    const raws = await Promise.all(result.samples.map((s) => pixels(s.imageId)));
    for (let i = 1; i < 4; i++) {
      let diff = 0;
      for (let p = 0; p < raws[0].data.length; p++) diff += Math.abs(raws[0].data[p] - raws[i].data[p]);
      expect(diff / raws[0].data.length).toBeGreaterThan(1);
    }
  });

  it('reproduces a seed exactly, and "more samples" appends to the gallery', async () => {
    const again = await colorize(gray, { samples: 4, seed: 5, imageId: sourceId });
    // Replaced: the old samples' images are closed.
    await expect(engine.getImage({ imageId: result.samples[0].imageId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (let i = 0; i < 4; i++) {
      // Same grid (chroma to the last bit) and the same rendered image (identical JPEG thumbnail bytes).
      expect(again.samples[i].chroma).toBe(result.samples[i].chroma);
      expect(again.samples[i].thumbnail).toBe(result.samples[i].thumbnail);
    }
    const more = await colorize(gray, { samples: 2, seed: 6, append: true, imageId: sourceId });
    expect(more.samples.map((s) => [s.index, s.seed])).toEqual([[0, 5], [1, 5], [2, 5], [3, 5], [4, 6], [5, 6]]);
    expect(more.runs.map((r) => r.seed)).toEqual([5, 6]);
    result = more;
  });

  it('exports a sample at full resolution with the original\'s EXIF, an sRGB profile, atomically, never over the original', async () => {
    const target = path.join(files, 'boats-gray.colorized.jpg');
    const written = await engine.exportColorization({ imageId: sourceId, sampleIndex: 4, path: target });
    expect(written).toMatchObject({ path: target, format: 'jpeg', width: 640 });
    const meta = await sharp(target).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels, meta.space]).toEqual(['jpeg', 640, written.height, 3, 'srgb']);
    expect(meta.exif?.toString('latin1')).toContain('Iriscope test');
    expect(meta.orientation ?? 1).toBe(1);
    expect(meta.icc?.length).toBeGreaterThan(100);
    // The export is the sample shown in the viewer (up to the pyramid's JPEG compression).
    const shown = await pixels(result.samples[4].imageId);
    const exported = await sharp(target).raw().toBuffer();
    let diff = 0;
    for (let p = 0; p < exported.length; p++) diff += Math.abs(exported[p] - shown.data[p]);
    expect(diff / exported.length).toBeLessThan(3);
    // PNG by extension; nothing half-written left beside the exports.
    const png = await engine.exportColorization({ imageId: sourceId, sampleIndex: 0, path: path.join(files, 'boats-gray.colorized.png') });
    expect(png.format).toBe('png');
    expect((await fs.readdir(files)).filter((n) => n.startsWith('.'))).toEqual([]);

    const before = await fs.readFile(gray);
    await expect(engine.exportColorization({ imageId: sourceId, sampleIndex: 0, path: gray })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining('never overwrites the original') });
    expect((await fs.readFile(gray)).equals(before)).toBe(true);
    await expect(engine.exportColorization({ imageId: sourceId, sampleIndex: 99, path: target })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('gives an instant one-pass preview from the embedding head', async () => {
    const preview = await engine.colorizePreview({ imageId: sourceId });
    // The default model: the largest installed one.
    const best = (await engine.listColorizers()).find((c) => c.default)!;
    expect(preview.modelId).toBe(best.id);
    expect(preview.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
  });

  it('closing the photo closes its samples and removes their files', async () => {
    const ids = result.samples.map((s) => s.imageId);
    await engine.closeImage({ imageId: sourceId });
    for (const id of ids) await expect(engine.getImage({ imageId: id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect.poll(async () => (await listFiles(path.join(dir, 'cache', 'colorize'))).length).toBe(0);
  });
});

describe('colorize unusual inputs', () => {
  it('a colour photo is desaturated first: the samples keep its L, not its colours', async () => {
    const colour = path.join(files, 'colour.jpg');
    await sharp(SAMPLE_PHOTO).resize(400).modulate({ saturation: 2, hue: 120 }).jpeg({ quality: 92 }).toFile(colour);
    const result = await colorize(colour, { samples: 2, seed: 3 });
    const image = (await engine.images.list()).find((i) => i.path === colour)!;
    expect(image.bands).toBe(3);
    // (A little more than for gray: out-of-gamut chroma is clipped, and JPEG subsamples the source's colours.)
    for (const s of result.samples) expect((await compareL(s.imageId, image.id)).meanDL).toBeLessThan(3);
    // Same L as the gray version of the same photo gives the same colours (only L is used).
    const grayTwin = path.join(files, 'colour-as-gray.png');
    const { data, info } = await sharp(colour).raw().toBuffer({ resolveWithObject: true });
    const twinPixels = Buffer.alloc(info.width * info.height);
    for (let i = 0; i < twinPixels.length; i++) {
      // The gray value whose L is nearest the colour pixel's L.
      const L = rgb8ToL(data[3 * i], data[3 * i + 1], data[3 * i + 2]);
      let v = 0;
      while (v < 255 && Math.abs(GRAY_TO_L[v + 1] - L) < Math.abs(GRAY_TO_L[v] - L)) v++;
      twinPixels[i] = v;
    }
    await sharp(twinPixels, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toFile(grayTwin);
    const twin = await colorize(grayTwin, { samples: 2, seed: 3 });
    for (let i = 0; i < 2; i++) expect(Math.abs(twin.samples[i].chroma - result.samples[i].chroma)).toBeLessThan(3);
  });

  it('a 16-bit gray PNG and a CMYK JPEG colorize through their 8-bit sRGB/gray pyramid', async () => {
    const png16 = path.join(files, 'gray16.png');
    await sharp(SAMPLE_PHOTO).resize(300).toColourspace('grey16').png().toFile(png16);
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const cmyk = path.join(files, 'cmyk.jpg');
    await sharp(SAMPLE_PHOTO).resize(300).toColourspace('cmyk').jpeg().toFile(cmyk);
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    for (const file of [png16, cmyk]) {
      const result = await colorize(file, { samples: 1, seed: 2 });
      const info = await engine.getImage({ imageId: result.samples[0].imageId });
      expect([info.width, info.bands, info.bitDepth, info.colourSpace]).toEqual([300, 3, 8, 'srgb']);
      const source = (await engine.images.list()).find((i) => i.path === file)!;
      expect((await compareL(result.samples[0].imageId, source.id)).meanDL).toBeLessThan(2);
      const target = path.join(files, `${path.basename(file)}.colorized.tif`);
      const written = await engine.exportColorization({ imageId: source.id, sampleIndex: 0, path: target });
      expect(written.format).toBe('tiff');
      expect((await sharp(target).metadata()).space).toBe('srgb');
    }
  });

  it('a 1×1 image gives a 1×1 colorization', async () => {
    const tiny = path.join(files, 'tiny.png');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#777777' } }).png().toFile(tiny);
    const result = await colorize(tiny, { samples: 2 });
    expect([result.width, result.height]).toEqual([1, 1]);
    const px = await pixels(result.samples[0].imageId);
    expect([px.width, px.height, px.channels]).toEqual([1, 1, 3]);
    const written = await engine.exportColorization({ imageId: result.imageId, sampleIndex: 1, path: path.join(files, 'tiny.colorized.png') });
    expect([written.width, written.height]).toEqual([1, 1]);
  });

  it('refuses an unknown model with a clear error', async () => {
    const image = await engine.openImage({ path: gray });
    expect(() => engine.colorization.start({ imageId: image.id, modelId: 'no-such-model' })).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
    const models = await engine.listColorizers();
    expect(models).toContainEqual(expect.objectContaining({ id: 'pic-cpu64', inputSize: 64, grid: 16 }));
    // Best first: the largest input (then the finest grid) is the default.
    expect(models.filter((m) => m.default)).toEqual([models[0]]);
    for (const m of models.slice(1)) expect(m.inputSize).toBeLessThanOrEqual(models[0].inputSize);
  });

  it('a cancelled job leaves no samples, no files and no gallery', async () => {
    const big = path.join(files, 'cancel-me.jpg');
    await sharp(SAMPLE_PHOTO).resize(2400).jpeg({ quality: 85 }).toFile(big);
    const image = await engine.openImage({ path: big });
    await engine.images.whenReady(image.id);
    const openBefore = engine.images.list().length;
    const cacheBefore = await listFiles(path.join(dir, 'cache', 'pyramids'));
    const colorizeBefore = await listFiles(path.join(dir, 'cache', 'colorize'));
    for (const stage of ['Sampling colours', 'Rendering at full resolution', 'Preparing sample 2']) {
      const { job, done } = engine.colorization.start({ imageId: image.id, samples: 4, seed: 9, modelId: 'pic-cpu64' });
      const off = engine.onEvent((e) => {
        if (e.type === 'job' && e.job.id === job.id && e.job.state === 'running' && e.job.message?.startsWith(stage)) engine.cancelJob({ jobId: job.id });
      });
      await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
      off();
      expect(engine.jobs.get(job.id).state).toBe('cancelled');
      // Background work (a strip writer, a sample's pyramid) may still be unwinding: nothing may be left once it has.
      await expect.poll(() => engine.images.list().length, { timeout: 120_000 }).toBe(openBefore);
      await expect.poll(() => listFiles(path.join(dir, 'cache', 'colorize')), { timeout: 120_000 }).toEqual(colorizeBefore);
      await expect.poll(() => listFiles(path.join(dir, 'cache', 'pyramids')), { timeout: 120_000 }).toEqual(cacheBefore);
      expect(await engine.getColorization({ imageId: image.id })).toBeNull();
    }
  });
});

describe('a very large photo', () => {
  it('colorizes a 40-Mpx photo strip by strip, with bounded memory', async () => {
    const huge = path.join(files, 'huge-40mpx.jpg');
    await sharp(SAMPLE_PHOTO).resize(7760, 5160, { fit: 'fill' }).toColourspace('b-w').jpeg({ quality: 80 }).toFile(huge);
    const image = await engine.openImage({ path: huge });
    expect(image.width * image.height).toBeGreaterThan(40e6);
    await engine.images.whenReady(image.id);
    // Models loaded and libvips warmed up before measuring (fixed costs, whatever the photo's size).
    await colorize(gray, { samples: 2 });
    const base = anonymousMemory();
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, anonymousMemory())), 20);
    let result: Colorization;
    try {
      result = await colorize(huge, { samples: 2, seed: 4, imageId: image.id });
    } finally {
      clearInterval(timer);
    }
    const info = await engine.getImage({ imageId: result.samples[1].imageId });
    expect([info.width, info.height]).toEqual([7760, 5160]);
    // Process memory of its own (not file pages libvips maps while encoding, which the kernel can
    // drop at will). Holding the two samples whole, even as 8-bit RGB (2 × 120 MB), let alone as
    // one float channel (160 MB), would exceed this: the join runs strip by strip through streamed PNGs.
    console.log(`40 Mpx, 2 samples: peak growth of anonymous memory ${((peak - base) / 2 ** 20).toFixed(0)} MB`);
    expect(peak - base).toBeLessThan(150 * 2 ** 20);
    // Colour over the whole photo (read from the sample's own pyramid), and the photo's L in a full-resolution strip.
    const reader = await engine.images.whenReady(result.samples[1].imageId);
    const small = await reader.readRegion({ x: 0, y: 0, width: 7760, height: 5160 }, { width: 776, height: 516 });
    let colour = 0;
    for (let i = 0; i < 776 * 516; i++) colour += Math.abs(small.data[3 * i] - small.data[3 * i + 1]) + Math.abs(small.data[3 * i + 1] - small.data[3 * i + 2]);
    expect(colour / (776 * 516)).toBeGreaterThan(1);
    const strip = await reader.readRegion({ x: 3000, y: 2500, width: 512, height: 64 });
    const source = await (await engine.images.whenReady(image.id)).readRegion({ x: 3000, y: 2500, width: 512, height: 64 });
    let dL = 0;
    for (let i = 0; i < 512 * 64; i++) dL += Math.abs(rgb8ToL(strip.data[3 * i], strip.data[3 * i + 1], strip.data[3 * i + 2]) - GRAY_TO_L[source.data[source.channels * i]]);
    expect(dL / (512 * 64)).toBeLessThan(2);
  });
});
