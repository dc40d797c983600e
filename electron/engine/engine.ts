import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type {
  ApiInput,
  ApiOutput,
  EngineEvent,
  EngineInfo,
  ImageInfo,
  IriscopeApi,
  Settings,
  ProviderName,
  ThumbnailRequest,
  TileRequest,
} from '../common/contract';
import { IriscopeError } from '../common/errors';
import { writeAtomically } from './fs/atomic-write';
import { OutputGuard } from './fs/output-guard';
import { DownloadArea } from './fs/downloads';
import { fsError } from './fs/fs-errors';
import { sweepStalePartials } from './fs/stale-files';
import { connectRedis, listRuns, requireRunMeta } from './batch/run-queue';
import { runStatus } from './batch/run-status';
import { listDirectory } from './directory-listing';
import { ImageStore } from './images/image-store';
import { probeImage } from './images/probe-image';
import { PyramidCache } from './images/pyramid/pyramid-cache';
import { configureSharp } from './images/sharp-setup';
import { readThumbnail } from './images/thumbnails';
import { JobQueue, type JobQueueOptions } from './jobs/job-queue';
import { ModelRegistry } from './models/model-registry';
import { ColorizeService } from './pipelines/colorize/colorize-service';
import { DetectService } from './pipelines/detect/detect-service';
import { importUltralyticsOnnx } from './pipelines/detect/yolo-import';
import { FaceService } from './pipelines/faces/face-service';
import { defaultPaths, type EnginePaths } from './paths';
import { platformProviders } from './runtime/provider-chain';
import { installCudaProvider } from './runtime/provider-install';
import { SessionManager } from './runtime/session-manager';
import { listSamples } from './samples';
import { SettingsStore } from './settings/settings-store';

export interface EngineOptions {
  paths?: Partial<EnginePaths>;
  /** Set by the Electron inference host so `engineInfo` can report it. */
  electronVersion?: string | null;
  /** Job queue settings (tests see every progress update with `progressIntervalMs: 0`). */
  jobs?: JobQueueOptions;
  /** Record opened images in the settings' recent files (the app: yes; batch work on the command line: no). */
  rememberRecent?: boolean;
  /** Inference settings for this engine only, over the user's (a batch worker's --provider); never saved. */
  inference?: Partial<Settings['inference']>;
}

/**
 * The Iriscope engine: plain Node, no Electron. It implements the API
 * contract directly; transports (IPC, HTTP, CLI) only carry calls to it.
 */
export class Engine implements IriscopeApi {
  readonly paths: EnginePaths;
  readonly settings: SettingsStore;
  readonly jobs: JobQueue;
  readonly sessions: SessionManager;
  readonly models: ModelRegistry;
  readonly images: ImageStore;
  readonly faces: FaceService;
  readonly detection: DetectService;
  readonly colorization: ColorizeService;
  /** Every result file goes through it: never over an input, never over a file it did not write. */
  readonly outputs: OutputGuard;
  readonly downloads: DownloadArea;
  private readonly events = new EventEmitter();

  private constructor(options: EngineOptions) {
    configureSharp();
    this.paths = { ...defaultPaths(), ...options.paths };
    this.electronVersion = options.electronVersion ?? null;
    this.rememberRecent = options.rememberRecent ?? true;
    this.settings = new SettingsStore(path.join(this.paths.dataDir, 'settings.json'));
    this.jobs = new JobQueue((job) => this.publish({ type: 'job', job }), options.jobs);
    this.sessions = new SessionManager(() => ({ ...this.settings.get().inference, ...options.inference }), path.join(this.paths.appRoot, 'assets', 'onnx', 'probe-conv.onnx'));
    this.models = new ModelRegistry(path.join(this.paths.appRoot, 'models'), path.join(this.paths.dataDir, 'models'), this.sessions);
    this.images = new ImageStore(new PyramidCache(this.paths.cacheDir), this.jobs, () => this.settings.get(), (image) => this.publish({ type: 'image', image }));
    this.outputs = new OutputGuard(() => this.images.list().map((image) => image.path));
    this.faces = new FaceService(this.images, this.jobs, this.models, this.outputs);
    this.detection = new DetectService(this.images, this.jobs, this.models, this.outputs, () => this.sessions.reports());
    this.colorization = new ColorizeService(this.images, this.jobs, this.models, new PyramidCache(this.paths.cacheDir), this.paths.cacheDir, () => this.settings.get(), this.outputs);
    this.downloads = new DownloadArea(path.join(this.paths.dataDir, 'downloads'));
    this.events.setMaxListeners(100);
  }

  private readonly electronVersion: string | null;
  private readonly rememberRecent: boolean;

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(options);
    await fs.mkdir(engine.paths.dataDir, { recursive: true });
    await fs.mkdir(engine.paths.cacheDir, { recursive: true });
    await engine.settings.load();
    await engine.models.scan();
    // What a killed earlier process left behind: half-written pyramids and uploads.
    await engine.images.cache.sweep();
    await sweepStalePartials(engine.uploadsDir(), 1);
    return engine;
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  private publish(event: EngineEvent): void {
    this.events.emit('event', event);
  }

  async engineInfo(): Promise<EngineInfo> {
    const probe = await this.sessions.probe();
    const settings = this.settings.get();
    const chain = this.sessions.chain();
    return {
      app: { name: 'Iriscope', version: appVersion(this.paths.appRoot) },
      runtime: {
        node: process.versions.node,
        electron: this.electronVersion,
        platform: process.platform,
        arch: process.arch,
        cpus: os.cpus().length,
        totalMemoryBytes: os.totalmem(),
      },
      libraries: { onnxruntime: ort.env.versions.node ?? ort.env.versions.common, sharp: sharp.versions.sharp ?? '', libvips: sharp.versions.vips },
      providers: {
        chain,
        available: platformProviders(),
        override: settings.inference.provider,
        backends: this.sessions.backends(),
        probe,
        active: chain.find((p) => probe.some((a) => a.provider === p && a.ok)) ?? null,
      },
      sessions: this.sessions.reports(),
      models: this.models.list(),
      paths: { models: this.models.dirs, cache: this.paths.cacheDir, settings: this.settings.file, exportDefault: await exportDefaultFolder() },
    };
  }

  async inspectImage({ path: file }: ApiInput<'inspectImage'>): Promise<ApiOutput<'inspectImage'>> {
    return probeImage(file, { maxMegapixels: this.settings.get().images.maxMegapixels, verify: 'small' });
  }

  async openImage({ path: file, bands }: ApiInput<'openImage'>): Promise<ImageInfo> {
    const image = await this.images.open(file, { bands });
    if (this.rememberRecent) await this.settings.addRecent(image.path).catch(() => undefined);
    return image;
  }

  async getImage({ imageId }: ApiInput<'getImage'>): Promise<ImageInfo> {
    return this.images.get(imageId);
  }

  async closeImage({ imageId }: ApiInput<'closeImage'>): Promise<Record<string, never>> {
    this.images.close(imageId);
    this.faces.forget(imageId);
    this.detection.forget(imageId);
    this.colorization.forget(imageId);
    return {};
  }

  async listJobs(): Promise<ApiOutput<'listJobs'>> {
    return this.jobs.list();
  }

  async cancelJob({ jobId, hard }: ApiInput<'cancelJob'>): Promise<ApiOutput<'cancelJob'>> {
    return this.jobs.cancel(jobId, hard ?? false);
  }

  async getSettings(): Promise<ApiOutput<'getSettings'>> {
    return this.settings.get();
  }

  async updateSettings(patch: ApiInput<'updateSettings'> = {}): Promise<ApiOutput<'updateSettings'>> {
    const forced = patch.inference?.provider;
    if (forced && forced !== 'auto') await this.assertProviderWorks(forced);
    const before = this.settings.get().inference;
    const after = await this.settings.update(patch);
    // Sessions were created for the old provider/threads: drop them.
    if (JSON.stringify(before) !== JSON.stringify(after.inference)) await this.sessions.releaseAll();
    return after;
  }

  /** A provider forced in Settings must start here; otherwise the change is refused with its reason. */
  private async assertProviderWorks(provider: ProviderName): Promise<void> {
    if (!platformProviders().includes(provider)) {
      throw new IriscopeError({ code: 'PROVIDER_UNAVAILABLE', message: `onnxruntime has no ${provider} provider on ${process.platform}/${process.arch}.`, hint: `Choose one of: automatic, ${platformProviders().join(', ')}.` });
    }
    const attempt = (await this.sessions.probe()).find((a) => a.provider === provider);
    if (attempt && !attempt.ok) {
      throw new IriscopeError({ code: 'PROVIDER_UNAVAILABLE', message: `${provider} cannot run on this computer: ${attempt.reason}.`, hint: 'The setting was not changed; models keep running where they did.' });
    }
  }

  /** Runs onnxruntime's installer for the CUDA provider (a job: it downloads ~400 MB where the network allows). */
  async installProvider({ provider }: ApiInput<'installProvider'>): Promise<ApiOutput<'installProvider'>> {
    return this.jobs.submit({
      kind: 'setup',
      title: `Installing the ${provider.toUpperCase()} provider`,
      lane: 'io',
      run: async (ctx) => {
        ctx.progress(null, 'Downloading onnxruntime\'s CUDA 12 provider from NuGet…');
        await installCudaProvider({ signal: ctx.signal, onOutput: (line) => ctx.progress(null, line.slice(0, 160)) });
        // New sessions and the probe must see the new libraries.
        await this.sessions.releaseAll();
      },
    }).job;
  }

  async listSamples(): Promise<ApiOutput<'listSamples'>> {
    return listSamples(path.join(this.paths.appRoot, 'assets'));
  }

  async listDirectory(input: ApiInput<'listDirectory'> = {}): Promise<ApiOutput<'listDirectory'>> {
    const pictures = await picturesFolder();
    const places = [
      { name: 'Home', path: os.homedir() },
      ...(pictures ? [{ name: 'Pictures', path: pictures }] : []),
      { name: 'Samples', path: path.join(this.paths.appRoot, 'assets', 'samples') },
      { name: 'Uploads', path: this.uploadsDir() },
      ...[...new Set(this.settings.get().recentFiles.map((f) => path.dirname(f)))].slice(0, 4).map((dir) => ({ name: path.basename(dir) || dir, path: dir })),
    ];
    return listDirectory(input.path, { imagesOnly: input.imagesOnly, places });
  }

  async makeDirectory({ path: dir }: ApiInput<'makeDirectory'>): Promise<ApiOutput<'makeDirectory'>> {
    const target = path.resolve(dir);
    // Level by level from the deepest folder that exists: Node's recursive mkdir can loop forever
    // where a parent refuses new entries (e.g. under /proc) instead of failing.
    const missing: string[] = [];
    for (let at = target; ; at = path.dirname(at)) {
      const stat = await fs.stat(at).catch(() => null);
      if (stat?.isDirectory() || path.dirname(at) === at) break;
      if (stat) {
        throw new IriscopeError({ code: 'NOT_A_FOLDER', message: `"${path.basename(at)}" is a file, not a folder: no folder can be made inside it.`, detail: at, hint: 'Choose another folder for the export.' });
      }
      missing.unshift(at);
    }
    for (const folder of missing) {
      try {
        await fs.mkdir(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, folder, 'write');
      }
    }
    return { path: target };
  }

  async prepareDownload({ name }: ApiInput<'prepareDownload'>): Promise<ApiOutput<'prepareDownload'>> {
    return this.downloads.prepare(name);
  }

  async resolveDownload({ id, name }: ApiInput<'resolveDownload'>): Promise<ApiOutput<'resolveDownload'>> {
    return this.downloads.resolve(id, name);
  }

  async listModels(): Promise<ApiOutput<'listModels'>> {
    return this.models.scan();
  }

  async importModel({ path: folder }: ApiInput<'importModel'>): Promise<ApiOutput<'importModel'>> {
    // A bare Ultralytics YOLO .onnx gets its manifest from its own metadata.
    if (/\.onnx$/i.test(folder)) return importUltralyticsOnnx(folder, this.models);
    return this.models.import(folder);
  }

  async detectFaces(input: ApiInput<'detectFaces'>): Promise<ApiOutput<'detectFaces'>> {
    return this.faces.start(input).job;
  }

  async getFaces({ imageId }: ApiInput<'getFaces'>): Promise<ApiOutput<'getFaces'>> {
    return this.faces.get(imageId);
  }

  async exportFaces(input: ApiInput<'exportFaces'>): Promise<ApiOutput<'exportFaces'>> {
    return this.faces.export(input);
  }

  async detect(input: ApiInput<'detect'>): Promise<ApiOutput<'detect'>> {
    return this.detection.start(input).job;
  }

  async getDetections({ imageId }: ApiInput<'getDetections'>): Promise<ApiOutput<'getDetections'>> {
    return this.detection.get(imageId);
  }

  async refilterDetections(input: ApiInput<'refilterDetections'>): Promise<ApiOutput<'refilterDetections'>> {
    return this.detection.refilter(input).done;
  }

  /** Runs as a job (kind 'export', cancellable with cancelJob) and resolves when the file is in place. */
  async exportDetections(input: ApiInput<'exportDetections'>): Promise<ApiOutput<'exportDetections'>> {
    return this.detection.export(input).done;
  }

  async listColorizers(): Promise<ApiOutput<'listColorizers'>> {
    return this.colorization.listColorizers();
  }

  async colorize(input: ApiInput<'colorize'>): Promise<ApiOutput<'colorize'>> {
    return this.colorization.start(input).job;
  }

  async colorizePreview(input: ApiInput<'colorizePreview'>): Promise<ApiOutput<'colorizePreview'>> {
    return this.colorization.preview(input);
  }

  async getColorization({ imageId }: ApiInput<'getColorization'>): Promise<ApiOutput<'getColorization'>> {
    return this.colorization.get(imageId);
  }

  async exportColorization(input: ApiInput<'exportColorization'>): Promise<ApiOutput<'exportColorization'>> {
    return this.colorization.export(input);
  }

  /** Read-only: one run's status, or every run's, from the Redis queue at `queue`. */
  async batchStatus({ queue, run }: ApiInput<'batchStatus'>): Promise<ApiOutput<'batchStatus'>> {
    const redis = await connectRedis(queue);
    try {
      const metas = run ? [await requireRunMeta(redis, run, queue)] : await listRuns(redis);
      return { runs: await Promise.all(metas.map((meta) => runStatus(redis, meta))) };
    } finally {
      redis.disconnect();
    }
  }

  async readTile({ imageId, level, x, y }: TileRequest): Promise<Uint8Array> {
    return this.images.reader(imageId).readTile(level, x, y);
  }

  async readThumbnail({ path: file, size }: ThumbnailRequest): Promise<Uint8Array> {
    return readThumbnail(path.resolve(file), size);
  }

  /** Stores dropped bytes (browser transport: no file path) and opens them. */
  async uploadImage({ name }: { name: string }, bytes: Uint8Array): Promise<ImageInfo> {
    return this.saveUpload(name, Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]), Infinity);
  }

  /**
   * Streams an upload to disk with bounded memory and opens it. Past
   * `limitBytes` it stops with PAYLOAD_TOO_LARGE; nothing of a refused,
   * aborted or failed upload is kept.
   */
  async saveUpload(name: string, body: Readable, limitBytes: number): Promise<ImageInfo> {
    const safe = path.basename(name).replace(/[^\w.\- ]+/g, '_').slice(-120) || 'image';
    // One folder per upload keeps the file's own name, whatever was dropped before.
    const dir = path.join(this.uploadsDir(), `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`);
    await fs.mkdir(dir, { recursive: true });
    const target = path.join(dir, safe);
    let bytes = 0;
    try {
      await writeAtomically(target, (temp) =>
        pipeline(
          body.on('aborted', () => body.destroy(new IriscopeError({ code: 'BAD_REQUEST', message: `The upload of "${name}" was interrupted.` }))),
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              bytes += chunk.length;
              if (bytes > limitBytes) done(new IriscopeError({ code: 'PAYLOAD_TOO_LARGE', message: `"${name}" is larger than the ${Math.round(limitBytes / 1024 ** 2)} MB an upload may have; open it from disk instead (File → Open).` }));
              else done(null, chunk);
            },
          }),
          createWriteStream(temp),
        ).catch((error: NodeJS.ErrnoException) => {
          if (error?.code === 'ERR_STREAM_PREMATURE_CLOSE' || error?.code === 'ECONNRESET') throw new IriscopeError({ code: 'BAD_REQUEST', message: `The upload of "${name}" was interrupted.` });
          throw error;
        }),
      );
      if (!bytes) throw new IriscopeError({ code: 'CORRUPT_IMAGE', message: `"${name}" is empty (0 bytes).` });
      // A file that cannot be opened is of no use kept: the upload leaves nothing behind.
      return await this.openImage({ path: target });
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Stops: cancels every job and waits (up to `timeoutMs`) for their work to
   * unwind, so no temporary file outlives the engine; then frees the sessions.
   */
  async dispose(timeoutMs = 15_000): Promise<void> {
    this.jobs.cancelAll();
    await this.jobs.drain(timeoutMs);
    await this.sessions.releaseAll();
  }

  uploadsDir(): string {
    return path.join(this.paths.dataDir, 'uploads');
  }
}

/** The user's Pictures folder when there is one (XDG, macOS and Windows all name it so). */
async function picturesFolder(): Promise<string | null> {
  const dir = path.join(os.homedir(), 'Pictures');
  return (await fs.stat(dir).then((s) => s.isDirectory(), () => false)) ? dir : null;
}

/** Exports start in Pictures, else the home folder: never beside the original, never inside the app. */
async function exportDefaultFolder(): Promise<string> {
  return (await picturesFolder()) ?? os.homedir();
}

function appVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
