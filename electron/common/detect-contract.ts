/**
 * Schemas of the aerial detection calls (`detect`, `getDetections`,
 * `refilterDetections`, `exportDetections`), kept beside the main contract so
 * the detection feature's shapes live together. Boxes are [x, y, width, height]
 * in pixels of the full-resolution image.
 */
import { z } from 'zod';
import { FilePath } from './file-path';
import { GsdRangeSchema } from './ground-resolution';

const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');
const ModelId = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id');
const Unit = z.number().min(0).max(1);

export const DETECT_MODES = ['cascade', 'tiled'] as const;
export type DetectMode = (typeof DETECT_MODES)[number];

/** Which part of the pipeline produced a detection. */
export const DETECTION_STAGES = ['shortcut', 'refined', 'tiled'] as const;
export type DetectionStage = (typeof DETECTION_STAGES)[number];

/**
 * Cascade and merge settings. Defaults come from the model's manifest
 * (`thresholds`, chosen on its validation split); each may be overridden per run.
 */
export const DetectThresholdsSchema = z.object({
  /** At most this many crops per stage-1 tile (γ). */
  gamma: z.number().int().min(0).max(256),
  /** Candidates (groups and weak individuals) need a stage-1 confidence above this (τ_low). */
  tauLow: Unit,
  /** Individuals above this confidence skip stage 2 (τ_high); above 1 turns the shortcut off. */
  tauHigh: z.number().min(0).max(1.01),
  /** IoU above which a crop is suppressed by a better one. */
  cropNms: Unit,
  /** IoU above which a final detection is suppressed by a better one. */
  nms: Unit,
  /** Intersection over the smaller box above which a box cut by a crop border is merged into its neighbour (0: off). */
  mergeIos: Unit,
  /** Stage-2 detections below this score are dropped. */
  scoreMin: Unit,
  /** Smallest crop side as a fraction of a stage-1 tile. */
  minCropSide: Unit,
  /** group_prob above this marks a stage-1 box as a group. */
  groupThreshold: Unit,
  /** The operating point: detections at or above it are shown and exported. */
  scoreThreshold: Unit,
  /** Tiled detector: window overlap as a fraction of the window. */
  overlap: z.number().min(0).max(0.75),
});
export type DetectThresholds = z.infer<typeof DetectThresholdsSchema>;

/** Detections scoring at least min(scoreThreshold, this) are kept in a result, so the UI can lower the threshold without re-running. */
export const DETECT_CANDIDATE_FLOOR = 0.1;

const Box = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const DetectionSchema = z.object({
  /** 1-based, by descending score. */
  id: z.number().int().positive(),
  box: Box,
  score: Unit,
  /** Index into the result's `labels`. */
  class: z.number().int().nonnegative(),
  label: z.string(),
  stage: z.enum(DETECTION_STAGES),
  /** The crop (index into `crops`) whose stage-2 run found it, or null. */
  crop: z.number().int().nonnegative().nullable(),
});
export type Detection = z.infer<typeof DetectionSchema>;

export const CropSchema = z.object({
  box: Box,
  /** Stage-1 confidence of the box that asked for the crop. */
  score: Unit,
  /** Stage-1 tile (row-major index) that proposed it. */
  tile: z.number().int().nonnegative(),
  /** Whether the proposing stage-1 box was a group (>= 2 objects). */
  group: z.boolean(),
});
export type Crop = z.infer<typeof CropSchema>;

export const DetectStatsSchema = z.object({
  /** Stage-1 tiles (cascade) or detector windows (tiled). */
  tiles: z.number().int().nonnegative(),
  tileColumns: z.number().int().nonnegative(),
  tileRows: z.number().int().nonnegative(),
  /** Stage-1 tile side in full-resolution pixels (cascade), window side (tiled). */
  tileSize: z.number().int().nonnegative(),
  crops: z.number().int().nonnegative(),
  /** Stage-2 crops run in this pass (others came from the cache of an earlier pass). */
  cropsComputed: z.number().int().nonnegative(),
  cropsPerTile: z.number().nonnegative(),
  /** Share of the image area read at full resolution by stage 2 (union of the crops). */
  areaFullRes: z.number().min(0).max(1),
  /** Boxes before the final merge. */
  candidates: z.number().int().nonnegative(),
  shortcut: z.number().int().nonnegative(),
  stage1Ms: z.number().nonnegative(),
  stage2Ms: z.number().nonnegative(),
  readMs: z.number().nonnegative(),
  mergeMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  /** Execution providers the graphs ran on. */
  providers: z.array(z.string()),
});
export type DetectStats = z.infer<typeof DetectStatsSchema>;

/**
 * Typed warnings of a run: what the result cannot be trusted for, said
 * rather than hidden.
 *
 * - GSD_UNKNOWN: the model declares a ground resolution, the image has none
 *   (no GeoTIFF pixel size, none given): read at its own pixels.
 * - GSD_NOT_DECLARED: the image's ground resolution is known but the model
 *   declares none, so nothing can be matched: read at its own pixels.
 * - GSD_TOO_COARSE: the image is so much coarser than the model's native GSD
 *   that upsampling would have to invent detail; read at the largest
 *   upsampling allowed, objects still smaller than the model saw them.
 * - GSD_TOO_FINE: reducing the image to the model's GSD would shrink it
 *   beyond the smallest reduction allowed (often a wrong GSD).
 */
export const DETECT_WARNING_CODES = ['GSD_UNKNOWN', 'GSD_NOT_DECLARED', 'GSD_TOO_COARSE', 'GSD_TOO_FINE'] as const;
export type DetectWarningCode = (typeof DETECT_WARNING_CODES)[number];

export const DetectWarningSchema = z.object({ code: z.enum(DETECT_WARNING_CODES), message: z.string() });
export type DetectWarning = z.infer<typeof DetectWarningSchema>;

/** A ground sample distance given by the user: metres per pixel (1 mm to 1 km). */
export const GsdInput = z.number().min(0.001).max(1000);

/** How a run matched the image's ground resolution to the model's. */
export const DetectGsdSchema = z.object({
  /** Metres per pixel of the image as the run took it, or null when unknown. */
  image: z.number().positive().nullable(),
  /** Where `image` came from: the call's `gsd`, the GeoTIFF's pixel size, or nowhere. */
  source: z.enum(['user', 'geotiff']).nullable(),
  /** The range the model declares (the stage-1 model's in cascade mode), or null. */
  model: GsdRangeSchema.nullable(),
  /** Model pixels per image pixel the run read at: 1 as is, 2 upsampled 2x (image coarser than the model). */
  scale: z.number().positive(),
  /** Metres per pixel the model saw (image / scale), or null when unknown. */
  readAt: z.number().positive().nullable(),
});
export type DetectGsd = z.infer<typeof DetectGsdSchema>;

/**
 * The cascade's tile gate: a tiny graph of the stage-1 model that sees each
 * stage-1 tile at 1/16 and skips stage 1 on tiles it finds empty.
 */
export const DETECT_GATE_DEFAULT = false;

export const DetectGateSchema = z.object({
  /** The model whose `gate` graph ran. */
  model: z.string(),
  /** Tiles scoring below this were skipped. */
  threshold: Unit,
  tiles: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  /** Row-major indices of the skipped stage-1 tiles. */
  skippedTiles: z.array(z.number().int().nonnegative()),
  /** Reading the thumbnails and running the gate. */
  ms: z.number().nonnegative(),
});
export type DetectGate = z.infer<typeof DetectGateSchema>;

export const DetectResultSchema = z.object({
  imageId: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  mode: z.enum(DETECT_MODES),
  models: z.object({
    /** The ODGI model whose stage 1 proposed the crops (cascade), or null. */
    stage1: z.string().nullable(),
    /** The model that refined the crops (cascade) or scanned the windows (tiled). */
    detector: z.string(),
  }),
  labels: z.array(z.string()),
  thresholds: DetectThresholdsSchema,
  /** Every detection scoring at least `floor`, best first. */
  floor: Unit,
  detections: z.array(DetectionSchema),
  crops: z.array(CropSchema),
  stats: DetectStatsSchema,
  gsd: DetectGsdSchema,
  /** The tile gate of a cascade run, or null when it did not run (tiled mode, turned off, or the model has none). */
  gate: DetectGateSchema.nullable(),
  warnings: z.array(DetectWarningSchema),
  createdAt: z.number(),
});
export type DetectResult = z.infer<typeof DetectResultSchema>;

/** Box colour per class index (overlay and annotated exports). */
export const CLASS_COLOURS = ['#ff5a5f', '#3ab0ff', '#ffd23f', '#7bd389', '#c77dff', '#ff9f1c', '#2ec4b6', '#f15bb5'];

export const DETECT_EXPORT_FORMATS = ['coco', 'yolo', 'csv', 'geojson', 'png', 'jpeg'] as const;
export type DetectExportFormat = (typeof DETECT_EXPORT_FORMATS)[number];

export const detectApi = {
  /** Starts a detection job (lane 'inference') on an open image; read the result with getDetections once it succeeded. */
  detect: {
    input: z.object({
      imageId: Id,
      mode: z.enum(DETECT_MODES).optional(),
      /**
       * An ODGI model (stage 1 + stage 2), or a plain detector (e.g. an imported
       * Ultralytics YOLO): tiled mode scans with it, cascade mode refines the
       * crops of `stage1ModelId` with it. Default: the best installed ODGI model.
       */
      modelId: ModelId.optional(),
      /** Cascade with a plain detector: the ODGI model that proposes crops (default: the best installed). */
      stage1ModelId: ModelId.optional(),
      thresholds: DetectThresholdsSchema.partial().strict().optional(),
      /**
       * Ground sample distance of the image in metres per pixel, for images
       * without georeferencing (or to override a GeoTIFF's). The image is
       * resampled to the model's native GSD when it lies outside the model's
       * trained range; boxes stay in the image's pixels.
       */
      gsd: GsdInput.optional(),
      /**
       * Cascade: run the stage-1 model's tile gate first and skip stage 1 on
       * tiles it finds empty (default DETECT_GATE_DEFAULT). `true` with a model
       * that has no gate graph is refused.
       */
      gate: z.boolean().optional(),
      /** The gate's threshold instead of the manifest's. */
      gateThreshold: Unit.optional(),
    }).strict(),
  },
  /** The latest detection result of an open image, or null. */
  getDetections: { input: z.object({ imageId: Id }).strict() },
  /**
   * Applies new thresholds to the latest result without running stage 1 again
   * (stage 2 runs only on crops it has not seen yet). Runs as a job; resolves
   * with the new result.
   */
  refilterDetections: {
    input: z.object({ imageId: Id, thresholds: DetectThresholdsSchema.partial().strict() }).strict(),
  },
  /**
   * Writes the detections at or above `scoreThreshold` (default: the run's):
   * COCO JSON, YOLO txt (pixels normalised to the image), CSV, GeoJSON in map
   * coordinates (georeferenced images only), or an annotated PNG/JPEG overview
   * (optionally with full-resolution crops of the best detections under it).
   * Runs as a job (kind 'export', cancellable); the file is written atomically,
   * never over the original.
   */
  exportDetections: {
    input: z.object({
      imageId: Id,
      format: z.enum(DETECT_EXPORT_FORMATS),
      path: FilePath,
      scoreThreshold: Unit.optional(),
      /** Annotated image: longest side of the overview (default 4096). */
      maxSide: z.number().int().min(256).max(16384).optional(),
      /** Annotated image: add full-resolution crops of the best detections under the overview. */
      crops: z.boolean().optional(),
      /** Replace a file already at `path` (never an input: images open in the engine are always refused). Without it an existing file is refused with OUTPUT_EXISTS. */
      overwrite: z.boolean().optional(),
    }).strict(),
    output: z.object({ path: z.string(), bytes: z.number().int().nonnegative(), detections: z.number().int().nonnegative(), format: z.enum(DETECT_EXPORT_FORMATS) }),
  },
} as const;
