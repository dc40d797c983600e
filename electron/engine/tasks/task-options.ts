/**
 * The options of each task, as a schema: the CLI builds them from its flags,
 * a batch job carries them (validated again by the worker), and their
 * canonical JSON is what a batch output name's parameter hash is made of.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { COLORIZE_MAX_SAMPLES, COLORIZE_MAX_SEED, COLORIZE_MAX_TEMPERATURE } from '../../common/colorize-contract';
import { DETECT_EXPORT_FORMATS, GsdInput } from '../../common/detect-contract';

export const TASK_NAMES = ['colorize', 'detect', 'faces'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export const ColorizeTaskOptionsSchema = z.object({
  samples: z.number().int().min(1).max(COLORIZE_MAX_SAMPLES),
  seed: z.number().int().min(0).max(COLORIZE_MAX_SEED),
  temperature: z.number().min(0).max(COLORIZE_MAX_TEMPERATURE),
  model: z.string().min(1).max(64).optional(),
  format: z.enum(['jpeg', 'png', 'tiff', 'webp']).optional(),
}).strict();
export type ColorizeTaskOptions = z.infer<typeof ColorizeTaskOptionsSchema>;

const Unit = z.number().min(0).max(1);
export const DetectTaskOptionsSchema = z.object({
  mode: z.enum(['cascade', 'tiled']),
  model: z.string().min(1).max(64).optional(),
  stage1Model: z.string().min(1).max(64).optional(),
  /** Export formats (default: geojson for georeferenced images, else coco). */
  formats: z.array(z.enum(DETECT_EXPORT_FORMATS)).optional(),
  /** Also the annotated overview (PNG, full-resolution crops under it). */
  image: z.boolean().optional(),
  /** Ground sample distance in metres per pixel (images without georeferencing, or overriding it). */
  gsd: GsdInput.optional(),
  /** Cascade: the model's tile gate on or off (default: the engine's, DETECT_GATE_DEFAULT). */
  gate: z.boolean().optional(),
  thresholds: z.object({
    scoreThreshold: Unit.optional(),
    gamma: z.number().int().min(0).max(256).optional(),
    tauLow: Unit.optional(),
    tauHigh: z.number().min(0).max(1.01).optional(),
    overlap: z.number().min(0).max(0.75).optional(),
  }).strict(),
}).strict();
export type DetectTaskOptions = z.infer<typeof DetectTaskOptionsSchema>;

export const FacesTaskOptionsSchema = z.object({
  threshold: z.number().min(0.05).max(1).optional(),
  minFace: z.number().min(4).max(100_000).optional(),
}).strict();
export type FacesTaskOptions = z.infer<typeof FacesTaskOptionsSchema>;

export const TASK_OPTIONS = {
  colorize: ColorizeTaskOptionsSchema,
  detect: DetectTaskOptionsSchema,
  faces: FacesTaskOptionsSchema,
} as const;

export type TaskOptions<T extends TaskName> = z.infer<(typeof TASK_OPTIONS)[T]>;

/** JSON with sorted keys and no undefined members: equal options give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 8 hex digits naming a task and its options (part of batch output names). */
export function paramsKey(task: TaskName, options: unknown): string {
  return createHash('sha256').update(`${task}\n${canonicalJson(options)}`).digest('hex').slice(0, 8);
}
