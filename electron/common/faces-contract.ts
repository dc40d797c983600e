/**
 * Schemas of the face calls (`detectFaces`, `getFaces`, `exportFaces`),
 * kept beside the main contract so the face feature's shapes live together.
 * Boxes, keypoints and sizes are in pixels of the image as displayed
 * (EXIF orientation applied), at full resolution.
 */
import { z } from 'zod';
import { FilePath } from './file-path';

const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');

/** MediaPipe keypoint order; "right" is the subject's right (image left in an unmirrored photo). */
export const FACE_KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar'] as const;

/** Detection scores at or above this are kept as candidates by default, so the UI can re-filter without re-running. */
export const FACE_CANDIDATE_FLOOR = 0.5;
/** The detector's own threshold (MediaPipe min_score_thresh for face_detection_back). */
export const FACE_DEFAULT_THRESHOLD = 0.65;

const Point = z.tuple([z.number(), z.number()]);

export const FaceSchema = z.object({
  /** 1-based: faces at or above the run's threshold left to right, then weaker candidates left to right. */
  id: z.number().int().positive(),
  /** [x, y, width, height], clipped to the image. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  /** Six points in FACE_KEYPOINT_NAMES order. */
  keypoints: z.array(Point).length(6),
  score: z.number().min(0).max(1),
  /** Roll in degrees: how far the line from the right eye to the left eye turns clockwise from horizontal. */
  roll: z.number(),
  /** Estimated age in years. */
  age: z.number(),
  /** The likely span of the true age, [low, high] years (the age ± a spread calibrated on held-out faces); absent with the old heads. */
  ageRange: z.tuple([z.number(), z.number()]).optional(),
  gender: z.object({ label: z.string(), p: z.number().min(0).max(1) }),
  /** The most likely expression, its probability, and the whole distribution. */
  emotion: z.object({ label: z.string(), p: z.number().min(0).max(1), all: z.record(z.string(), z.number()) }),
  /** The aligned crop the attribute model saw, as a small JPEG data URL (for face cards). */
  thumbnail: z.string().optional(),
});
export type Face = z.infer<typeof FaceSchema>;

export const FaceResultSchema = z.object({
  imageId: z.string(),
  /** Image size (as displayed). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The threshold asked for when running; faces below it are kept down to `floor`. */
  threshold: z.number(),
  /** Every face scoring at least this is in `faces` (with attributes). */
  floor: z.number(),
  /** Smallest face searched for, in image pixels. */
  minFace: z.number(),
  faces: z.array(FaceSchema),
  stats: z.object({
    passes: z.array(z.object({ scale: z.number(), columns: z.number().int(), rows: z.number().int() })),
    windows: z.number().int(),
    /** Raw detections above the floor before NMS. */
    candidates: z.number().int(),
    detectMs: z.number(),
    attributesMs: z.number(),
    totalMs: z.number(),
  }),
  /** Model ids and versions; `ageGender` is set when age and gender came from the age + gender head, not `attributes`. */
  models: z.object({ detector: z.string(), attributes: z.string(), ageGender: z.string().optional() }),
  createdAt: z.number(),
});
export type FaceResult = z.infer<typeof FaceResultSchema>;

export const FACE_EXPORT_FORMATS = ['png', 'jpeg', 'json', 'csv'] as const;
export type FaceExportFormat = (typeof FACE_EXPORT_FORMATS)[number];

export const faceApi = {
  /** Starts a face job (lane 'inference') on an open image; its result is read with getFaces once the job succeeded. */
  detectFaces: {
    input: z.object({
      imageId: Id,
      /** Score threshold (default 0.65); candidates are kept down to min(threshold, 0.5). */
      threshold: z.number().min(0.05).max(1).optional(),
      /** Smallest face to look for, in image pixels (default: 20 px, or 1/64 of the long side for large photos). */
      minFace: z.number().min(4).max(100_000).optional(),
    }).strict(),
  },
  /** The latest face result of an open image, or null when faces were not searched yet. */
  getFaces: { input: z.object({ imageId: Id }).strict(), output: FaceResultSchema.nullable() },
  /**
   * Writes the faces at or above `threshold` (default: the run's) as an
   * annotated image (EXIF/ICC kept), JSON or CSV; atomically, never over the original.
   */
  exportFaces: {
    input: z.object({
      imageId: Id,
      format: z.enum(FACE_EXPORT_FORMATS),
      path: FilePath,
      threshold: z.number().min(0).max(1).optional(),
      /** Replace a file already at `path` (never an input: images open in the engine are always refused). Without it an existing file is refused with OUTPUT_EXISTS. */
      overwrite: z.boolean().optional(),
    }).strict(),
    output: z.object({ path: z.string(), bytes: z.number().int().nonnegative(), faces: z.number().int().nonnegative() }),
  },
} as const;
