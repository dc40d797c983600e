/**
 * What the face pipeline reads from the models' manifests: the detector's
 * input size, anchors and thresholds, and the attribute graph's crop size
 * and labels. A manifest that lacks them is reported as an invalid model.
 */
import { z } from 'zod';
import { IriscopeError } from '../../../common/errors';
import type { LoadedModel } from '../../models/model-registry';
import type { AnchorLayer } from './anchors';

export interface DetectorConfig {
  inputName: string;
  outputName: string;
  inputSize: number;
  layers: AnchorLayer[];
  scoreThreshold: number;
  nmsIou: number;
  version: string;
}

/** The age + gender head (`models/face-age-gender`): its own crop framing, decision rule and age spread. */
export interface AgeGenderConfig {
  inputName: string;
  cropSize: number;
  /** Crop side over the detector box side. */
  boxScale: number;
  /** Male if the model's p(male) is at least this (the upstream rule). */
  maleThreshold: number;
  /** Half-width of the shown age range, in years (calibrated on faces the model was not evaluated on). */
  ageSpread: number;
  version: string;
}

export interface AttributeConfig {
  inputName: string;
  cropSize: number;
  genderLabels: string[];
  emotionLabels: string[];
  version: string;
}

const DetectorSections = z.object({
  preprocessing: z.object({
    anchors: z.object({
      layers: z.array(z.object({ stride: z.number().positive(), grid: z.number().int().positive(), anchorsPerCell: z.number().int().positive() })).min(1),
    }),
  }),
  thresholds: z.object({ score: z.number().min(0).max(1), nmsIou: z.number().min(0).max(1) }),
});

const AttributeSections = z.object({
  labels: z.object({ gender: z.array(z.string()).length(2), emotion: z.array(z.string()).min(2) }),
});

const AgeGenderSections = z.object({
  preprocessing: z.object({ crop: z.object({ boxScale: z.number().positive() }) }),
  thresholds: z.object({ male: z.number().min(0).max(1), ageSpread: z.number().positive() }),
});

function invalid(model: LoadedModel, why: string): IriscopeError {
  return new IriscopeError({
    code: 'MODEL_INVALID',
    message: `The model "${model.info.name}" cannot be used for faces: ${why}.`,
    hint: 'Reinstall Iriscope, or fix the imported model\'s manifest.',
  });
}

function squareInput(model: LoadedModel): { name: string; size: number } {
  const input = model.manifest.graphs.main?.inputs[0];
  const shape = input?.shape ?? [];
  const [, channels, h, w] = shape;
  if (!input || shape.length !== 4 || channels !== 3 || typeof h !== 'number' || h !== w) {
    throw invalid(model, `its main graph must take one [N, 3, S, S] image, not [${shape.join(', ')}]`);
  }
  return { name: input.name, size: h };
}

export function detectorConfig(model: LoadedModel): DetectorConfig {
  const parsed = DetectorSections.safeParse(model.manifest);
  if (!parsed.success) throw invalid(model, `its manifest lacks anchors or thresholds (${z.prettifyError(parsed.error)})`);
  const { name, size } = squareInput(model);
  const output = model.manifest.graphs.main.outputs[0];
  const layers = parsed.data.preprocessing.anchors.layers;
  for (const layer of layers) {
    if (layer.grid * layer.stride !== size) throw invalid(model, `an anchor layer of ${layer.grid} × ${layer.stride} px does not cover its ${size} px input`);
  }
  return {
    inputName: name,
    outputName: output.name,
    inputSize: size,
    layers,
    scoreThreshold: parsed.data.thresholds.score,
    nmsIou: parsed.data.thresholds.nmsIou,
    version: `${model.manifest.id}@${model.manifest.version}`,
  };
}

export function attributeConfig(model: LoadedModel): AttributeConfig {
  const parsed = AttributeSections.safeParse(model.manifest);
  if (!parsed.success) throw invalid(model, `its manifest lacks the gender and emotion labels (${z.prettifyError(parsed.error)})`);
  const outputs = model.manifest.graphs.main.outputs.map((o) => o.name);
  for (const name of ['age', 'gender', 'emotion']) if (!outputs.includes(name)) throw invalid(model, `its main graph has no "${name}" output`);
  const { name, size } = squareInput(model);
  return {
    inputName: name,
    cropSize: size,
    genderLabels: parsed.data.labels.gender,
    emotionLabels: parsed.data.labels.emotion,
    version: `${model.manifest.id}@${model.manifest.version}`,
  };
}

export function ageGenderConfig(model: LoadedModel): AgeGenderConfig {
  const parsed = AgeGenderSections.safeParse(model.manifest);
  if (!parsed.success) throw invalid(model, `its manifest lacks the crop framing or thresholds (${z.prettifyError(parsed.error)})`);
  const outputs = model.manifest.graphs.main.outputs.map((o) => o.name);
  for (const name of ['male', 'ageBins']) if (!outputs.includes(name)) throw invalid(model, `its main graph has no "${name}" output`);
  const { name, size } = squareInput(model);
  return {
    inputName: name,
    cropSize: size,
    boxScale: parsed.data.preprocessing.crop.boxScale,
    maleThreshold: parsed.data.thresholds.male,
    ageSpread: parsed.data.thresholds.ageSpread,
    version: `${model.manifest.id}@${model.manifest.version}`,
  };
}
