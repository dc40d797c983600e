/**
 * The one API contract of Iriscope: every call the UI can make, with runtime
 * schemas (zod) for its input and output, and the events the engine pushes.
 *
 * The engine implements it (`electron/engine`), and each transport carries it
 * unchanged: Electron IPC (main validates with these schemas), the loopback
 * HTTP/WebSocket server, and the in-process calls of the CLI and tests.
 */
import { z } from 'zod';
import { FilePath } from './file-path';
import type { BinaryMethod, JsonMethod } from './api-methods';
import { ERROR_CODES } from './errors';
import { faceApi } from './faces-contract';
import { detectApi, DetectResultSchema } from './detect-contract';
import { colorizeApi } from './colorize-contract';
import { batchApi } from './batch-contract';
import { filesApi } from './files-contract';
import { GsdRangeSchema } from './ground-resolution';

// ---------------------------------------------------------------- shared shapes

export const ErrorInfoSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  detail: z.string().optional(),
  hint: z.string().optional(),
});

const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');

export const GeoInfoSchema = z.object({
  /** EPSG code of the CRS (projected or geographic), null when the file names none. */
  epsg: z.number().int().nullable(),
  /** Citation/name of the CRS when the file carries one. */
  crsName: z.string().nullable(),
  /** Why the georeferencing cannot be used (NaN, infinite or zero pixel size), or null. Map coordinates are refused then. */
  problem: z.string().nullable(),
  /** Affine transform, GDAL order: X = t0 + col*t1 + row*t2, Y = t3 + col*t4 + row*t5 (pixel corner). */
  transform: z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]),
  /** Map coordinates of the top-left corner of pixel (0, 0). */
  origin: z.tuple([z.number(), z.number()]),
  /** Pixel size in map units (x, y); y is negative for north-up images. */
  pixelSize: z.tuple([z.number(), z.number()]),
  units: z.string().nullable(),
  rasterType: z.enum(['area', 'point']),
  /**
   * Ground sample distance in metres per pixel at the image centre (map units
   * converted; degrees by the latitude there), or null when the georeferencing
   * cannot say (unknown units, a broken transform).
   */
  gsd: z.number().positive().nullable(),
});
export type GeoInfo = z.infer<typeof GeoInfoSchema>;

export const ImageMetaSchema = z.object({
  path: z.string(),
  name: z.string(),
  /** Container format as sharp names it: jpeg, png, webp, tiff, gif, heif, ... */
  format: z.string(),
  fileBytes: z.number().int().nonnegative(),
  /** Size as displayed, i.e. after EXIF orientation. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bands: z.number().int().positive(),
  bitDepth: z.number().int().positive(),
  colourSpace: z.string(),
  hasAlpha: z.boolean(),
  /** EXIF orientation tag (1 = upright). */
  orientation: z.number().int().min(1).max(8),
  icc: z.object({ present: z.boolean(), description: z.string().nullable() }),
  hasExif: z.boolean(),
  pages: z.number().int().positive(),
  /** Tiled TIFFs allow fast random region reads straight from the file. */
  tiled: z.boolean(),
  geo: GeoInfoSchema.nullable(),
});
export type ImageMeta = z.infer<typeof ImageMetaSchema>;

export const PyramidLevelSchema = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });

/** Which source bands are shown (1-based, as GIS tools number them), one as gray or three as RGB. */
export const BandsSchema = z.array(z.number().int().min(1).max(64)).refine((b) => b.length === 1 || b.length === 3, 'one band (gray) or three (red, green, blue)');

export const PyramidInfoSchema = z.object({
  state: z.enum(['building', 'ready', 'failed', 'cancelled']),
  jobId: z.string().nullable(),
  tileSize: z.number().int().positive(),
  /** Level 0 is full resolution; each next level halves both sides. */
  levels: z.array(PyramidLevelSchema),
  error: ErrorInfoSchema.nullable(),
  /**
   * How a multispectral, 16-bit or float raster is shown (null for plain
   * photographs): its bands (1-based) and each one's native values mapped
   * to black and white (the 2–98% cumulative cut).
   */
  mapping: z.object({ bands: BandsSchema, stretch: z.array(z.object({ low: z.number(), high: z.number() })) }).nullable(),
});
export type PyramidInfo = z.infer<typeof PyramidInfoSchema>;

export const ImageInfoSchema = ImageMetaSchema.extend({
  id: Id,
  pyramid: PyramidInfoSchema,
});
export type ImageInfo = z.infer<typeof ImageInfoSchema>;

export const JOB_KINDS = ['pyramid', 'colorize', 'detect', 'faces', 'export', 'setup'] as const;
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const JobInfoSchema = z.object({
  id: Id,
  kind: z.enum(JOB_KINDS),
  title: z.string(),
  state: z.enum(JOB_STATES),
  /** 0..1, or null while the amount of work is unknown. */
  progress: z.number().min(0).max(1).nullable(),
  message: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
  imageId: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

export const PROVIDER_NAMES = ['cuda', 'tensorrt', 'dml', 'webgpu', 'coreml', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const ProviderAttemptSchema = z.object({
  provider: z.enum(PROVIDER_NAMES),
  ok: z.boolean(),
  /** Why it was skipped: the runtime's own message, or "not bundled" / "not for this platform". */
  reason: z.string().nullable(),
  ms: z.number(),
});

export const SessionReportSchema = z.object({
  model: z.string(),
  graph: z.string(),
  provider: z.enum(PROVIDER_NAMES),
  attempts: z.array(ProviderAttemptSchema),
});
export type SessionReport = z.infer<typeof SessionReportSchema>;

export const ModelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  task: z.string(),
  version: z.string(),
  license: z.string(),
  source: z.string(),
  description: z.string(),
  dir: z.string(),
  builtin: z.boolean(),
  sizeBytes: z.number().int().nonnegative(),
  graphs: z.array(z.string()),
  /** Detection models: the ground resolution the manifest declares (metres per pixel), or null. */
  gsd: GsdRangeSchema.nullable(),
  /** False when the manifest, a hash or a session signature check failed. */
  valid: z.boolean(),
  error: ErrorInfoSchema.nullable(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const ProviderOverrideSchema = z.enum(['auto', ...PROVIDER_NAMES]);

export const SettingsSchema = z.object({
  version: z.literal(1),
  inference: z.object({
    /** 'auto' walks the platform's provider chain; anything else forces one provider. */
    provider: ProviderOverrideSchema,
    deviceId: z.number().int().min(0).max(15),
    /** 0 lets onnxruntime choose. */
    intraOpThreads: z.number().int().min(0).max(256),
  }),
  images: z.object({
    /** Larger images are refused with a clear error (memory and disk safety). */
    maxMegapixels: z.number().int().min(1).max(20_000),
    /** jpeg: small and fast pyramids; deflate: lossless, about 3x larger and 5x slower to build. */
    pyramidCompression: z.enum(['jpeg', 'deflate']),
    pyramidQuality: z.number().int().min(50).max(100),
  }),
  recentFiles: z.array(z.string()).max(20),
  ui: z.object({
    /** Whether the job list is open (the status bar always shows a summary). */
    showJobPanel: z.boolean(),
    /** Where the last export went: the next export dialog starts there. */
    exportFolder: z.string().max(4096).nullable(),
  }),
});
export type Settings = z.infer<typeof SettingsSchema>;

/**
 * A partial update, objects merged one level deep. The recent files are not
 * part of it: the engine records them when images open, so a page cannot
 * plant paths there (Electron main grants access to files only from its own
 * record of the user's choices).
 */
export const SettingsPatchSchema = z.object({
  inference: SettingsSchema.shape.inference.partial().optional(),
  images: SettingsSchema.shape.images.partial().optional(),
  ui: SettingsSchema.shape.ui.partial().optional(),
}).strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const SampleSchema = z.object({
  path: z.string(),
  name: z.string(),
  title: z.string(),
  description: z.string(),
  credit: z.string(),
  license: z.string(),
  use: z.array(z.enum(['view', 'colorize', 'detect', 'faces'])),
});
export type Sample = z.infer<typeof SampleSchema>;

export const DirEntrySchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  bytes: z.number().nullable(),
  isImage: z.boolean(),
});
export const DirectoryListingSchema = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(DirEntrySchema),
  /** Set when the path asked for names a file: `path` is then its folder. */
  file: z.string().nullable(),
  /** Shortcuts to offer beside the listing (home, samples, recent folders). */
  places: z.array(z.object({ name: z.string(), path: z.string() })),
});
export type DirectoryListing = z.infer<typeof DirectoryListingSchema>;

export const EngineInfoSchema = z.object({
  app: z.object({ name: z.string(), version: z.string() }),
  runtime: z.object({
    node: z.string(),
    electron: z.string().nullable(),
    platform: z.string(),
    arch: z.string(),
    cpus: z.number().int(),
    totalMemoryBytes: z.number(),
  }),
  libraries: z.object({ onnxruntime: z.string(), sharp: z.string(), libvips: z.string() }),
  providers: z.object({
    /** The order tried on this platform when the setting is 'auto'. */
    chain: z.array(z.enum(PROVIDER_NAMES)),
    /** Every provider onnxruntime has for this platform (what Settings offers), best first. */
    available: z.array(z.enum(PROVIDER_NAMES)),
    override: ProviderOverrideSchema,
    /** What the onnxruntime binary in use reports, bundled or not. */
    backends: z.array(z.object({ name: z.string(), bundled: z.boolean() })),
    /** Result of trying each provider in the chain on a probe model. */
    probe: z.array(ProviderAttemptSchema),
    /** The provider new sessions will use. */
    active: z.enum(PROVIDER_NAMES).nullable(),
  }),
  sessions: z.array(SessionReportSchema),
  models: z.array(ModelInfoSchema),
  paths: z.object({
    models: z.array(z.string()),
    cache: z.string(),
    settings: z.string(),
    /** Where exports go before the user picked a folder: Pictures, else the home folder. */
    exportDefault: z.string(),
  }),
});
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

// ---------------------------------------------------------------- the calls

const method = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });
const Empty = z.object({}).strict();

export const api = {
  engineInfo: method(Empty, EngineInfoSchema),
  /** Reads size, bands, depth, ICC, EXIF orientation and georeferencing without opening the image for viewing. */
  inspectImage: method(z.object({ path: FilePath }).strict(), ImageMetaSchema),
  /**
   * Registers the image and starts its pyramid build (a job) when no cached pyramid exists.
   * `bands` chooses the bands shown (multispectral rasters; default the first three, or one).
   */
  openImage: method(z.object({ path: FilePath, bands: BandsSchema.optional() }).strict(), ImageInfoSchema),
  getImage: method(z.object({ imageId: Id }).strict(), ImageInfoSchema),
  closeImage: method(z.object({ imageId: Id }).strict(), Empty),
  listJobs: method(Empty, z.array(JobInfoSchema)),
  /** Cooperative cancel stops at the next safe point; hard cancel kills the worker process. */
  cancelJob: method(z.object({ jobId: Id, hard: z.boolean().optional() }).strict(), JobInfoSchema),
  getSettings: method(Empty, SettingsSchema),
  updateSettings: method(SettingsPatchSchema, SettingsSchema),
  listSamples: method(Empty, z.array(SampleSchema)),
  listDirectory: method(z.object({ path: FilePath.optional(), imagesOnly: z.boolean().optional() }).strict(), DirectoryListingSchema),
  /** Folders and downloads of the browser transport's export dialog (see files-contract.ts). */
  makeDirectory: method(filesApi.makeDirectory.input, filesApi.makeDirectory.output),
  prepareDownload: method(filesApi.prepareDownload.input, filesApi.prepareDownload.output),
  resolveDownload: method(filesApi.resolveDownload.input, filesApi.resolveDownload.output),
  listModels: method(Empty, z.array(ModelInfoSchema)),
  /** The opt-in GPU setup: downloads onnxruntime's CUDA provider libraries (a job; needs the network). */
  installProvider: method(z.object({ provider: z.enum(['cuda']) }).strict(), JobInfoSchema),
  /** Imports a user's model: a folder holding manifest.json and the ONNX files it lists, or a bare Ultralytics YOLO detection .onnx. */
  importModel: method(z.object({ path: FilePath }).strict(), ModelInfoSchema),
  /** Faces: a job on an open image; the result is read with getFaces when it succeeded (see faces-contract.ts). */
  detectFaces: method(faceApi.detectFaces.input, JobInfoSchema),
  getFaces: method(faceApi.getFaces.input, faceApi.getFaces.output),
  exportFaces: method(faceApi.exportFaces.input, faceApi.exportFaces.output),
  /** Aerial detection (ODGI cascade or tiled): a job on an open image; read the result with getDetections (see detect-contract.ts). */
  detect: method(detectApi.detect.input, JobInfoSchema),
  getDetections: method(detectApi.getDetections.input, DetectResultSchema.nullable()),
  refilterDetections: method(detectApi.refilterDetections.input, DetectResultSchema),
  exportDetections: method(detectApi.exportDetections.input, detectApi.exportDetections.output),
  /** Colorize (PIC): a job sampling N colorizations; read the gallery with getColorization (see colorize-contract.ts). */
  listColorizers: method(colorizeApi.listColorizers.input, colorizeApi.listColorizers.output),
  colorize: method(colorizeApi.colorize.input, JobInfoSchema),
  colorizePreview: method(colorizeApi.colorizePreview.input, colorizeApi.colorizePreview.output),
  getColorization: method(colorizeApi.getColorization.input, colorizeApi.getColorization.output),
  exportColorization: method(colorizeApi.exportColorization.input, colorizeApi.exportColorization.output),
  /** Batch at scale: a run's status read from its Redis queue (read-only; see batch-contract.ts). */
  batchStatus: method(batchApi.batchStatus.input, batchApi.batchStatus.output),
} satisfies Record<JsonMethod, { input: z.ZodType; output: z.ZodType }>;

/** Binary calls: their JSON part is validated like the others; the bytes are carried raw. */
export const binaryApi = {
  /** One viewer tile, JPEG bytes. Level 0 is full resolution. */
  readTile: method(
    z.object({ imageId: Id, level: z.number().int().min(0).max(40), x: z.number().int().min(0), y: z.number().int().min(0) }).strict(),
    z.instanceof(Uint8Array),
  ),
  /** A small JPEG preview of an image file (start screen, file browser). */
  readThumbnail: method(z.object({ path: FilePath, size: z.number().int().min(16).max(1024) }).strict(), z.instanceof(Uint8Array)),
  /** Saves dropped file bytes into the engine's uploads folder and opens them (browser transport). */
  uploadImage: method(z.object({ name: z.string().min(1).max(255) }).strict(), ImageInfoSchema),
} satisfies Record<BinaryMethod, { input: z.ZodType; output: z.ZodType }>;

export type Api = typeof api;
export type ApiInput<M extends JsonMethod> = z.input<Api[M]['input']>;
export type ApiOutput<M extends JsonMethod> = z.output<Api[M]['output']>;
export type TileRequest = z.infer<typeof binaryApi.readTile.input>;
export type ThumbnailRequest = z.infer<typeof binaryApi.readThumbnail.input>;

// ---------------------------------------------------------------- events

export const EngineEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobInfoSchema }),
  z.object({ type: z.literal('image'), image: ImageInfoSchema }),
  z.object({ type: z.literal('engine'), state: z.enum(['ready', 'restarting']), reason: z.string().nullable() }),
]);
export type EngineEvent = z.infer<typeof EngineEventSchema>;

/**
 * What every transport offers the UI: one async function per call, plus a
 * subscription to engine events. Implemented by the engine itself (in
 * process), the HTTP client and the Electron preload bridge.
 */
export type IriscopeApi = {
  // Calls whose input is an empty object may be called without one.
  [M in JsonMethod]: Record<string, never> extends ApiInput<M>
    ? (input?: ApiInput<M>) => Promise<ApiOutput<M>>
    : (input: ApiInput<M>) => Promise<ApiOutput<M>>;
} & {
  readTile(input: TileRequest): Promise<Uint8Array>;
  readThumbnail(input: ThumbnailRequest): Promise<Uint8Array>;
  uploadImage(input: { name: string }, bytes: Uint8Array): Promise<ImageInfo>;
  onEvent(listener: (event: EngineEvent) => void): () => void;
};

/** Envelope every transport uses for a reply, so typed errors survive the trip. */
export type Reply<T> = { ok: true; result: T } | { ok: false; error: z.infer<typeof ErrorInfoSchema> };
