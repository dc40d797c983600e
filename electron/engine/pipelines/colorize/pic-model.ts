/**
 * What the colorizer reads from a PIC model's manifest (`task:
 * "colorization"`): the input size, the chroma grid, the decoder's sizes and
 * the ab scale, checked against the shapes of its `embed`, `row` and `pixel`
 * graphs. Any model that passes is usable; the default is the one with the
 * largest input (the most detail), then the finest grid.
 */
import { z } from 'zod';
import { IriscopeError } from '../../../common/errors';
import type { LoadedModel, ModelRegistry } from '../../models/model-registry';

export interface PicConfig {
  modelId: string;
  name: string;
  version: string;
  /** S: the square input side of the embedding network. */
  inputSize: number;
  /** h = w: side of the autoregressive ab grid. */
  grid: number;
  embedDim: number;
  /** C and l of the decoder; the caches hold l·C channels. */
  channels: number;
  blocks: number;
  /** K logistic mixtures (8K parameters per pixel). */
  mixtures: number;
  /** Lab ab = ab_n × abScale. */
  abScale: number;
}

const Preprocessing = z.object({
  inputSize: z.number().int().min(4).max(4096),
  grid: z.number().int().min(1).max(512),
  embedDim: z.number().int().positive(),
  decoderChannels: z.number().int().positive(),
  decoderBlocks: z.number().int().positive(),
  mixtures: z.number().int().min(1).max(64),
  ab: z.object({ scale: z.number().positive() }).optional(),
});

export const PIC_GRAPHS = ['embed', 'row', 'pixel'] as const;

function invalid(model: LoadedModel, why: string): IriscopeError {
  return new IriscopeError({
    code: 'MODEL_INVALID',
    message: `The model "${model.info.name}" cannot be used to colorize: ${why}.`,
    hint: 'Reinstall Iriscope, or fix the imported model\'s manifest (see training/pic/README.md, "Sampler contract").',
  });
}

/** Reads and checks a colorization model's configuration; throws MODEL_INVALID with the reason. */
export function picConfig(model: LoadedModel): PicConfig {
  const { manifest } = model;
  if (manifest.task !== 'colorization') throw invalid(model, `its task is "${manifest.task}", not "colorization"`);
  for (const g of PIC_GRAPHS) if (!manifest.graphs[g]) throw invalid(model, `it has no "${g}" graph`);
  const parsed = Preprocessing.safeParse(manifest.preprocessing ?? {});
  if (!parsed.success) throw invalid(model, `its manifest's preprocessing section is incomplete (${z.prettifyError(parsed.error)})`);
  const p = parsed.data;
  const cfg: PicConfig = {
    modelId: manifest.id,
    name: manifest.name,
    version: manifest.version,
    inputSize: p.inputSize,
    grid: p.grid,
    embedDim: p.embedDim,
    channels: p.decoderChannels,
    blocks: p.decoderBlocks,
    mixtures: p.mixtures,
    abScale: p.ab?.scale ?? 128,
  };
  const shapeOf = (graph: string, kind: 'inputs' | 'outputs', name: string) => manifest.graphs[graph][kind].find((t) => t.name === name)?.shape;
  const expect = (graph: string, kind: 'inputs' | 'outputs', name: string, want: Array<number | 'N'>) => {
    const shape = shapeOf(graph, kind, name);
    const ok = shape && shape.length === want.length && want.every((d, i) => (d === 'N' ? true : shape[i] === d));
    if (!ok) throw invalid(model, `the ${graph} graph's ${kind === 'inputs' ? 'input' : 'output'} "${name}" should be [${want.join(', ')}], the manifest says [${shape?.join(', ') ?? 'nothing'}]`);
  };
  const { inputSize: S, grid: h, embedDim: E, channels: C, blocks: l, mixtures: K } = cfg;
  const lC = l * C;
  expect('embed', 'inputs', 'L', [1, 1, S, S]);
  expect('embed', 'outputs', 'emb', [1, E, h, h]);
  expect('embed', 'outputs', 'L_low', [1, 1, h, h]);
  expect('embed', 'outputs', 'preview_ab', [1, 2, h, h]);
  expect('row', 'inputs', 'canvas', ['N', 4, h, h]);
  expect('row', 'inputs', 'cache_u', ['N', lC, 2, h]);
  expect('row', 'inputs', 'row_ul', ['N', lC, 1, h]);
  expect('row', 'outputs', 'p2', ['N', 2 * lC, 1, h]);
  expect('pixel', 'inputs', 'u_mix', ['N', K, 1, 1]);
  expect('pixel', 'inputs', 'u_log', ['N', 2, 1, 1]);
  expect('pixel', 'outputs', 'canvas_out', ['N', 4, h, h]);
  return cfg;
}

/** Valid colorization models, best first: largest input, then finest grid, then id. */
export function colorizers(registry: ModelRegistry): Array<{ config: PicConfig } | { id: string; error: string }> {
  const out: Array<{ config: PicConfig } | { id: string; error: string }> = [];
  for (const info of registry.list()) {
    if (info.task !== 'colorization') continue;
    try {
      out.push({ config: picConfig(registry.get(info.id)) });
    } catch (error) {
      out.push({ id: info.id, error: (error as Error).message });
    }
  }
  return out.sort((x, y) => {
    if (!('config' in x)) return 1;
    if (!('config' in y)) return -1;
    return y.config.inputSize - x.config.inputSize || y.config.grid - x.config.grid || x.config.modelId.localeCompare(y.config.modelId);
  });
}

/** The model to use: the one asked for (checked), or the best installed one. */
export function chooseColorizer(registry: ModelRegistry, modelId?: string): PicConfig {
  if (modelId) return picConfig(registry.get(modelId));
  const best = colorizers(registry).find((c) => 'config' in c);
  if (!best || !('config' in best)) {
    throw new IriscopeError({
      code: 'MODEL_NOT_FOUND',
      message: 'No colorization model is installed.',
      hint: 'Reinstall Iriscope, or import a PIC model (a folder with manifest.json and embed/row/pixel ONNX graphs).',
    });
  }
  return best.config;
}
