import { z } from 'zod';
import { GsdRangeSchema } from '../../common/ground-resolution';

/**
 * `models/<id>/manifest.json`: what a model is, which files make it (with
 * their sha256), the signature of each ONNX graph, and everything its pre-
 * and post-processing needs. Free-form sections (`preprocessing`,
 * `thresholds`, `metrics`) belong to the pipeline that serves the model.
 */
const SafeRelativePath = z
  .string()
  .min(1)
  .max(255)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').includes('..') && !/^[A-Za-z]:/.test(p), 'must be a relative path inside the model folder');

export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  /** Element type as onnxruntime-node reports it: float32, int64, uint8, ... */
  type: z.string().min(1),
  /** Integers are fixed sizes; strings are named (symbolic) dimensions. */
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const GraphSpecSchema = z.object({
  file: SafeRelativePath,
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  /** Providers to prefer for this graph under 'auto' (e.g. ["cpu"] for tiny per-pixel graphs). */
  preferProviders: z.array(z.string()).optional(),
});
export type GraphSpec = z.infer<typeof GraphSpecSchema>;

export const KNOWN_TASKS = ['colorization', 'detection', 'face-detection', 'face-attributes', 'test'] as const;

export const ManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, ".", "_" and "-"'),
    name: z.string().min(1),
    task: z.string().min(1),
    version: z.string().min(1),
    description: z.string().default(''),
    license: z.string().min(1),
    source: z.string().min(1),
    files: z
      .array(z.object({ path: SafeRelativePath, sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'), bytes: z.number().int().nonnegative() }))
      .min(1),
    graphs: z.record(z.string().min(1), GraphSpecSchema).refine((g) => Object.keys(g).length > 0, 'at least one graph'),
    labels: z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]).optional(),
    /** Detection: the ground resolution the model was trained on (metres per pixel); absent for models that declare none. */
    gsd: GsdRangeSchema.optional(),
    preprocessing: z.record(z.string(), z.unknown()).optional(),
    thresholds: z.record(z.string(), z.unknown()).optional(),
    metrics: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough()
  .superRefine((manifest, ctx) => {
    const listed = new Set(manifest.files.map((f) => f.path));
    for (const [name, graph] of Object.entries(manifest.graphs)) {
      if (!listed.has(graph.file)) {
        ctx.addIssue({ code: 'custom', path: ['graphs', name, 'file'], message: `"${graph.file}" is not listed in files (so its hash is not checked)` });
      }
    }
  });
export type Manifest = z.infer<typeof ManifestSchema>;
