/**
 * Schemas of the colorization calls (`listColorizers`, `colorize`,
 * `colorizePreview`, `getColorization`, `exportColorization`), kept beside
 * the main contract so the feature's shapes live together.
 *
 * A colorize job samples N colorizations of an open photo in one batch
 * (seeded: the same seed, sample count, temperature and model give the same
 * images). Each full-resolution sample is registered as an image of its own,
 * backed by a pyramid, so the tile viewer shows, zooms and pans it like any
 * photo; its `imageId` is in the result.
 */
import { z } from 'zod';
import { FilePath } from './file-path';

const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'ids are letters, digits, _ and -');

export const COLORIZE_MAX_SAMPLES = 16;
export const COLORIZE_DEFAULT_SAMPLES = 4;
/** Between the best single-sample fidelity (about 0.7) and the photos' real colourfulness (1.0) in the models' evaluations. */
export const COLORIZE_DEFAULT_TEMPERATURE = 0.8;
export const COLORIZE_MAX_TEMPERATURE = 1.5;
export const COLORIZE_MAX_SEED = 0xffffffff;

export const ColorizerSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  /** Side of the square the model looks at (the whole photo, resized). */
  inputSize: z.number().int().positive(),
  /** Side of the chroma grid it samples. */
  grid: z.number().int().positive(),
  /** The one used when a call names no model (largest input, then finest grid). */
  default: z.boolean(),
});
export type Colorizer = z.infer<typeof ColorizerSchema>;

export const ColorizeSampleSchema = z.object({
  /** Position in the gallery, 0-based (what exportColorization's sampleIndex refers to). */
  index: z.number().int().nonnegative(),
  /** The full-resolution sample, open as an image of its own (pyramid-backed). */
  imageId: z.string(),
  seed: z.number().int().min(0).max(COLORIZE_MAX_SEED),
  /** Which sample of its batch, and the batch size: (seed, batch, temperature, model) reproduce it. */
  batchIndex: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  temperature: z.number(),
  /** Small JPEG data URL for the gallery card. */
  thumbnail: z.string(),
  /** Mean chroma (√(a² + b²)) of the sampled grid: how colourful it is. */
  chroma: z.number(),
});
export type ColorizeSample = z.infer<typeof ColorizeSampleSchema>;

export const ColorizeRunSchema = z.object({
  seed: z.number().int(),
  samples: z.number().int().positive(),
  temperature: z.number(),
  timing: z.object({ embedMs: z.number(), sampleMs: z.number(), renderMs: z.number(), totalMs: z.number() }),
});

export const ColorizationSchema = z.object({
  /** The photo that was colorized. */
  imageId: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  model: ColorizerSchema.omit({ default: true }),
  samples: z.array(ColorizeSampleSchema),
  /** One entry per colorize job whose samples are in `samples` (the first, then each "more samples"). */
  runs: z.array(ColorizeRunSchema),
  createdAt: z.number(),
});
export type Colorization = z.infer<typeof ColorizationSchema>;

export const COLORIZE_EXPORT_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;
export type ColorizeExportFormat = (typeof COLORIZE_EXPORT_FORMATS)[number];

export const colorizeApi = {
  /** Installed colorization models, best first. */
  listColorizers: { input: z.object({}).strict(), output: z.array(ColorizerSchema) },
  /**
   * Starts a colorize job (lane 'inference') on an open photo. Its result is
   * read with getColorization once the job succeeded. `append` adds the new
   * samples to the photo's gallery ("more samples") instead of replacing it.
   */
  colorize: {
    input: z.object({
      imageId: Id,
      samples: z.number().int().min(1).max(COLORIZE_MAX_SAMPLES).optional(),
      /** Unsigned 32-bit; a random one when left out (the result says which). */
      seed: z.number().int().min(0).max(COLORIZE_MAX_SEED).optional(),
      temperature: z.number().min(0).max(COLORIZE_MAX_TEMPERATURE).optional(),
      modelId: z.string().min(1).max(64).optional(),
      append: z.boolean().optional(),
    }).strict(),
  },
  /** The embedding head's one-pass prediction, at once (no sampling): a small JPEG data URL. */
  colorizePreview: {
    input: z.object({ imageId: Id, modelId: z.string().min(1).max(64).optional() }).strict(),
    output: z.object({ modelId: z.string(), thumbnail: z.string(), width: z.number().int(), height: z.number().int(), ms: z.number() }),
  },
  /** The photo's gallery of colorizations, or null before the first colorize job succeeded. */
  getColorization: { input: z.object({ imageId: Id }).strict(), output: ColorizationSchema.nullable() },
  /**
   * Writes one sample at full resolution (EXIF and XMP of the original kept,
   * sRGB profile attached), atomically, never over the original.
   */
  exportColorization: {
    input: z.object({
      imageId: Id,
      sampleIndex: z.number().int().min(0).max(10_000),
      path: FilePath,
      format: z.enum(COLORIZE_EXPORT_FORMATS).optional(),
      /** Replace a file already at `path` (never an input: images open in the engine are always refused). Without it an existing file is refused with OUTPUT_EXISTS. */
      overwrite: z.boolean().optional(),
    }).strict(),
    output: z.object({ path: z.string(), bytes: z.number().int().nonnegative(), format: z.enum(COLORIZE_EXPORT_FORMATS), width: z.number().int(), height: z.number().int() }),
  },
} as const;
