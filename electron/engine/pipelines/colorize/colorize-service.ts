/**
 * The engine's colorization feature: runs the sampler as a job on an open
 * photo, registers every full-resolution sample as a pyramid-backed image of
 * its own (so the tile viewer zooms and pans it like any photo), keeps the
 * gallery per photo, and exports a sample at full resolution.
 *
 * A cancelled or failed job leaves nothing behind: samples are written into
 * a `.partial` folder that becomes final only when every sample is done.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ApiInput, ApiOutput, JobInfo, Settings } from '../../../common/contract';
import type { Colorization, ColorizeExportFormat, Colorizer } from '../../../common/colorize-contract';
import { COLORIZE_DEFAULT_SAMPLES, COLORIZE_DEFAULT_TEMPERATURE } from '../../../common/colorize-contract';
import { IriscopeError, cancelledError } from '../../../common/errors';
import { assertDiskFits, colorizeBytes } from '../../budgets';
import { fsError, outputExistsError } from '../../fs/fs-errors';
import type { ExistingOutput, OutputGuard } from '../../fs/output-guard';
import { processAlive } from '../../fs/stale-files';
import type { ImageStore } from '../../images/image-store';
import type { PyramidCache } from '../../images/pyramid/pyramid-cache';
import { PYRAMID_FORMAT_VERSION, TILE_SIZE, type PyramidRecord } from '../../images/pyramid/pyramid-format';
import type { PyramidReader } from '../../images/pyramid/pyramid-reader';
import type { JobContext, JobQueue } from '../../jobs/job-queue';
import type { ModelRegistry } from '../../models/model-registry';
import {
  coefficientsFor,
  encodePyramid,
  encodeRendered,
  exportMetadata,
  formatFor,
  picSessions,
  readGuide,
  readL,
  removeQuietly,
  renderFullResolution,
  renderSmall,
  samplePhoto,
  tempRenderPath,
  thumbnailOf,
  type OutputFormat,
  type SampledPhoto,
} from './colorize';
import { chooseColorizer, colorizers, type PicConfig } from './pic-model';
import { embedL } from './pic-sampler';
import { randomSeed } from './rng';

interface Gallery {
  info: Colorization;
  /** What export needs to render any sample again: the model's grid size and the guide. */
  photo: Pick<SampledPhoto, 'config' | 'guide'>;
  /** Per gallery entry, its ab grid (Lab units). */
  grids: Float32Array[];
  /** Run folders holding the samples' pyramids. */
  dirs: string[];
}

/** Disk for the temporary full-resolution renders made at once (more samples are rendered in turns). */
const RENDER_DISK_BUDGET = 1.5e9;
const samplesAtOnce = (width: number, height: number) => Math.max(1, Math.floor(RENDER_DISK_BUDGET / (width * height * 3)));

export class ColorizeService {
  private readonly galleries = new Map<string, Gallery>();
  private readonly root: string;
  /**
   * How fast this machine sampled and rendered in its last run: the progress
   * bar gives each stage its expected share of the time (sampling dominates
   * small photos, rendering large ones). The first guess is a 2-core CPU's.
   */
  private speed = { sampleMsPerCell: 3, renderMsPerMpx: 800 };
  private cleaned: Promise<void> | null = null;

  constructor(
    private readonly images: ImageStore,
    private readonly jobs: JobQueue,
    private readonly models: ModelRegistry,
    private readonly cache: PyramidCache,
    cacheDir: string,
    private readonly settings: () => Settings,
    private readonly outputs: OutputGuard,
  ) {
    this.root = path.join(cacheDir, 'colorize');
  }

  listColorizers(): Colorizer[] {
    const found = colorizers(this.models).flatMap((c) => ('config' in c ? [c.config] : []));
    return found.map((c, i) => ({ ...describe(c), default: i === 0 }));
  }

  /** The embedding head's one-pass colorization, small, at once. */
  async preview(input: ApiInput<'colorizePreview'>): Promise<ApiOutput<'colorizePreview'>> {
    const started = performance.now();
    const reader = await this.images.whenReady(input.imageId);
    const cfg = chooseColorizer(this.models, input.modelId);
    const sessions = await picSessions(this.models, cfg);
    const embedded = await embedL(sessions, cfg, await readL(reader, cfg.inputSize, cfg.inputSize));
    const guide = await readGuide(reader, cfg.grid);
    const jpeg = await renderSmall(reader, { config: cfg, guide }, embedded.previewAb);
    const s = Math.min(1, 480 / Math.max(reader.width, reader.height));
    return {
      modelId: cfg.modelId,
      thumbnail: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      width: Math.max(1, Math.round(reader.width * s)),
      height: Math.max(1, Math.round(reader.height * s)),
      ms: performance.now() - started,
    };
  }

  /** Starts a colorize job; `done` resolves with the photo's gallery (also kept for getColorization). */
  start(input: ApiInput<'colorize'>): { job: JobInfo; done: Promise<Colorization> } {
    const image = this.images.get(input.imageId);
    // Checked now, so a wrong model id is an error of the call, not of the job.
    const cfg = chooseColorizer(this.models, input.modelId);
    const samples = input.samples ?? COLORIZE_DEFAULT_SAMPLES;
    const params = { samples, seed: input.seed ?? randomSeed(), temperature: input.temperature ?? COLORIZE_DEFAULT_TEMPERATURE };
    return this.jobs.submit({
      kind: 'colorize',
      title: `Colorizing ${image.name} (${samples} sample${samples === 1 ? '' : 's'}, seed ${params.seed})`,
      imageId: image.id,
      lane: 'inference',
      run: (ctx) => this.run(image.id, image.name, cfg, params, input.append ?? false, ctx),
    });
  }

  private async run(imageId: string, name: string, cfg: PicConfig, params: SampledPhoto['params'], append: boolean, ctx: JobContext): Promise<Colorization> {
    const started = performance.now();
    ctx.progress(null, 'Waiting for the image');
    const reader = await this.images.whenReady(imageId);
    ctx.throwIfCancelled();
    await this.cleanStale();
    const { pyramidCompression: compression } = this.settings().images;
    await assertDiskFits(this.root, colorizeBytes(reader.width, reader.height, params.samples, samplesAtOnce(reader.width, reader.height), compression), {
      what: `Colorizing ${params.samples} sample${params.samples === 1 ? '' : 's'} of`,
      image: name,
      width: reader.width,
      height: reader.height,
      hint: 'Free some disk space, ask for fewer samples, or colorize a smaller copy of the photo. Nothing was written.',
    });
    ctx.progress(0, 'Loading the colorization model');
    const sessions = await picSessions(this.models, cfg);
    // Share of the bar for sampling vs. rendering, from the expected time of each.
    const cells = params.samples * cfg.grid * cfg.grid;
    const mpx = (params.samples * reader.width * reader.height) / 1e6;
    const sampleShare = (cells * this.speed.sampleMsPerCell) / (cells * this.speed.sampleMsPerCell + mpx * this.speed.renderMsPerMpx);
    const sampled = 0.02 + 0.98 * sampleShare;
    ctx.progress(0.02, 'Sampling colours');
    const photo = await samplePhoto(reader, sessions, cfg, params, {
      signal: ctx.signal,
      onRow: (done, total) => ctx.progress(0.02 + (sampled - 0.02) * (done / total), `Sampling colours (row ${done} of ${total})`),
    });
    ctx.throwIfCancelled();

    const renderStarted = performance.now();
    const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const partial = path.join(this.root, `${runId}.${process.pid}.partial`);
    const final = path.join(this.root, `${runId}.${process.pid}`);
    const stem = path.basename(name, path.extname(name)).replace(/[^\w.\- ]+/g, '_').slice(0, 80) || 'photo';
    const fileName = (n: number) => `${stem}.colorized-s${params.seed}-${n + 1}.tif`;
    const { pyramidCompression, pyramidQuality } = this.settings().images;
    const opened: string[] = [];
    try {
      await fs.mkdir(partial, { recursive: true }).catch((error) => {
        throw fsError(error, partial, 'write');
      });
      const coefficients = photo.grids.map((grid) => coefficientsFor(photo, grid));
      const thumbnails: string[] = [];
      const levels: Array<Array<{ width: number; height: number }>> = [];
      const group = samplesAtOnce(reader.width, reader.height);
      const N = params.samples;
      for (let first = 0; first < N; first += group) {
        const members = Array.from({ length: Math.min(group, N - first) }, (_, i) => first + i);
        const vFiles = members.map((n) => tempRenderPath(partial, `sample-${n}`));
        const share = (count: number) => count / N;
        const rest = 1 - sampled;
        const base = sampled + rest * share(first);
        try {
          await renderFullResolution(reader, members.map((n) => coefficients[n]), vFiles, {
            signal: ctx.signal,
            onProgress: (f) => ctx.progress(base + rest * share(members.length) * 0.55 * f, `Rendering at full resolution (${Math.round(f * 100)}%)`),
          });
          for (const [i, n] of members.entries()) {
            ctx.throwIfCancelled();
            ctx.progress(base + rest * share(members.length) * (0.55 + (0.45 * i) / members.length), `Preparing sample ${n + 1} of ${N} for viewing`);
            levels[n] = await encodePyramid(vFiles[i], path.join(partial, fileName(n)), pyramidCompression, pyramidQuality);
            thumbnails[n] = await thumbnailOf(vFiles[i]);
            await removeQuietly(vFiles[i]);
          }
        } finally {
          await removeQuietly(...vFiles);
        }
      }
      ctx.throwIfCancelled();
      await fs.rename(partial, final);

      // Register every sample as a pyramid-backed image: its pyramid is the file itself.
      const sampleIds: string[] = [];
      for (let n = 0; n < N; n++) {
        const file = path.join(final, fileName(n));
        sampleIds.push(await this.registerPyramid(file, levels[n], pyramidCompression, pyramidQuality));
        opened.push(sampleIds[n]);
      }
      ctx.throwIfCancelled();

      const renderMs = performance.now() - renderStarted;
      this.speed = { sampleMsPerCell: photo.timing.sampleMs / cells, renderMsPerMpx: renderMs / mpx };
      const hw = cfg.grid * cfg.grid;
      const previous = this.galleries.get(imageId);
      const keep = append && previous && previous.info.model.id === cfg.modelId ? previous : null;
      if (previous && !keep) this.drop(previous);
      const offset = keep?.info.samples.length ?? 0;
      const gallery: Gallery = {
        info: {
          imageId,
          width: reader.width,
          height: reader.height,
          model: describe(cfg),
          samples: [
            ...(keep?.info.samples ?? []),
            ...photo.grids.map((grid, n) => ({
              index: offset + n,
              imageId: sampleIds[n],
              seed: params.seed,
              batchIndex: n,
              batchSize: N,
              temperature: params.temperature,
              thumbnail: thumbnails[n],
              chroma: meanChroma(grid, hw),
            })),
          ],
          runs: [
            ...(keep?.info.runs ?? []),
            { ...params, timing: { embedMs: photo.timing.embedMs, sampleMs: photo.timing.sampleMs, renderMs, totalMs: performance.now() - started } },
          ],
          createdAt: keep?.info.createdAt ?? Date.now(),
        },
        photo: { config: cfg, guide: photo.guide },
        grids: [...(keep?.grids ?? []), ...photo.grids],
        dirs: [...(keep?.dirs ?? []), final],
      };
      this.galleries.set(imageId, gallery);
      return structuredClone(gallery.info);
    } catch (error) {
      for (const id of opened) this.closeQuietly(id);
      await removeQuietly(partial, final);
      throw ctx.signal.aborted ? cancelledError('Colorizing') : error;
    }
  }

  /** Records a pyramid TIFF we wrote as the cached pyramid of that same file, then opens it. */
  private async registerPyramid(file: string, levels: Array<{ width: number; height: number }>, compression: 'jpeg' | 'deflate', quality: number): Promise<string> {
    const stat = await fs.stat(file);
    const key = this.cache.key({ path: file, bytes: stat.size, mtimeMs: stat.mtimeMs }, compression, quality);
    await fs.mkdir(this.cache.dir, { recursive: true });
    const cached = this.cache.tiffPath(key);
    await fs.rm(cached, { force: true });
    await fs.link(file, cached).catch(() => fs.copyFile(file, cached));
    const record: PyramidRecord = {
      version: PYRAMID_FORMAT_VERSION,
      source: { path: file, bytes: stat.size, mtimeMs: stat.mtimeMs },
      compression,
      tileSize: TILE_SIZE,
      bands: 3,
      levels,
      mapping: null,
      builtAt: Date.now(),
      buildMs: 0,
      lastUsed: Date.now(),
    };
    await this.cache.save(key, record);
    const info = await this.images.open(file);
    if (info.pyramid.state !== 'ready') {
      this.closeQuietly(info.id);
      throw new IriscopeError({ code: 'INTERNAL', message: 'A colorized sample could not be prepared for viewing.', detail: file });
    }
    return info.id;
  }

  get(imageId: string): Colorization | null {
    this.images.get(imageId);
    const gallery = this.galleries.get(imageId);
    return gallery ? structuredClone(gallery.info) : null;
  }

  /** Closes a photo's samples and removes their files (the photo was closed). */
  forget(imageId: string): void {
    const gallery = this.galleries.get(imageId);
    if (!gallery) return;
    this.galleries.delete(imageId);
    this.drop(gallery);
  }

  private drop(gallery: Gallery): void {
    for (const sample of gallery.info.samples) this.closeQuietly(sample.imageId);
    void removeQuietly(...gallery.dirs);
  }

  private closeQuietly(imageId: string): void {
    try {
      this.images.close(imageId);
    } catch {
      // Already closed.
    }
  }

  /**
   * Removes what runs of processes that are gone left behind (a crash, a
   * killed app or CLI, or simply an earlier session: galleries live only as
   * long as their engine): run folders and temporary `.v` files carry their
   * process id. Once per engine.
   */
  cleanStale(): Promise<void> {
    this.cleaned ??= (async () => {
      const names = await fs.readdir(this.root).catch(() => [] as string[]);
      for (const name of names) {
        const pid = /^[a-z0-9]+-[0-9a-f]{8}\.(\d+)(\.partial)?$/.exec(name)?.[1] ?? /^\..*\.(\d+)\.[a-z0-9]+\.(v|render\.png)$/.exec(name)?.[1];
        if (pid && !processAlive(Number(pid))) await removeQuietly(path.join(this.root, name));
      }
    })();
    return this.cleaned;
  }

  /** Writes one sample at full resolution to `path`, atomically, through the output guard. */
  async export(input: ApiInput<'exportColorization'>): Promise<ApiOutput<'exportColorization'>> {
    const image = this.images.get(input.imageId);
    const gallery = this.galleries.get(input.imageId);
    if (!gallery) throw new IriscopeError({ code: 'NOT_FOUND', message: `"${image.name}" has not been colorized yet.`, hint: 'Run Colorize first, then export a sample.' });
    const grid = gallery.grids[input.sampleIndex];
    if (!grid) throw new IriscopeError({ code: 'BAD_REQUEST', message: `There is no sample ${input.sampleIndex + 1}: the gallery has ${gallery.grids.length}.` });
    const format: OutputFormat = input.format ?? formatFromExtension(input.path) ?? formatFor(image.format);
    const reader = await this.images.whenReady(input.imageId);
    await fs.mkdir(this.root, { recursive: true });
    await assertDiskFits(this.root, reader.width * reader.height * 3, { what: 'Exporting a colorization of', image: image.name, width: reader.width, height: reader.height });
    const metadata = await exportMetadata(image.path);
    const { path: target } = await this.outputs.write(input.path, async (temp) => {
      const vFile = tempRenderPath(this.root, 'export');
      try {
        await renderFullResolution(reader, [coefficientsFor(gallery.photo, grid)], [vFile], { metadata });
        await encodeRendered(vFile, temp, format);
      } finally {
        await removeQuietly(vFile);
      }
    }, { existing: input.overwrite ? 'replace' : 'refuse' });
    const { size } = await fs.stat(target);
    return { path: target, bytes: size, format, width: reader.width, height: reader.height };
  }

  /** For the CLI and benchmarks: renders samples of a sampled photo straight to files. */
  async writeSamples(
    reader: PyramidReader,
    photo: SampledPhoto,
    targets: string[],
    format: OutputFormat,
    original: string,
    ctx?: Pick<JobContext, 'signal' | 'progress'>,
    existing: ExistingOutput = 'refuse',
  ): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    // Refused before minutes of rendering, not after (the guard checks again when each file lands).
    for (const target of targets) {
      if (await this.outputs.isInput(target)) throw outputExistsError(path.resolve(target), 'input');
      if (existing === 'refuse' && (await fs.lstat(target).then(() => true, () => false))) throw outputExistsError(path.resolve(target), 'existing');
    }
    await this.cleanStale();
    const group = samplesAtOnce(reader.width, reader.height);
    await assertDiskFits(this.root, Math.min(group, targets.length) * reader.width * reader.height * 3, { what: 'Colorizing', image: path.basename(original), width: reader.width, height: reader.height });
    const metadata = await exportMetadata(original);
    const coefficients = photo.grids.map((grid) => coefficientsFor(photo, grid));
    for (let first = 0; first < targets.length; first += group) {
      const members = Array.from({ length: Math.min(group, targets.length - first) }, (_, i) => first + i);
      const vFiles = members.map((n) => tempRenderPath(this.root, `sample-${n}`));
      try {
        await renderFullResolution(reader, members.map((n) => coefficients[n]), vFiles, {
          signal: ctx?.signal,
          metadata,
          onProgress: (f) => ctx?.progress((first + f * members.length) / targets.length, `Rendering at full resolution: ${Math.round(f * 100)}%`),
        });
        for (const [i, n] of members.entries()) {
          if (ctx?.signal.aborted) throw cancelledError('Colorizing');
          await this.outputs.write(targets[n], (temp) => encodeRendered(vFiles[i], temp, format), { existing });
        }
      } finally {
        await removeQuietly(...vFiles);
      }
    }
  }
}

function describe(cfg: PicConfig): Omit<Colorizer, 'default'> {
  return { id: cfg.modelId, name: cfg.name, version: cfg.version, inputSize: cfg.inputSize, grid: cfg.grid };
}

function meanChroma(grid: Float32Array, hw: number): number {
  let sum = 0;
  for (let i = 0; i < hw; i++) sum += Math.hypot(grid[i], grid[hw + i]);
  return sum / hw;
}

function formatFromExtension(file: string): ColorizeExportFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.png') return 'png';
  if (ext === '.tif' || ext === '.tiff') return 'tiff';
  if (ext === '.webp') return 'webp';
  return null;
}
