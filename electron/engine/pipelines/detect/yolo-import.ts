/**
 * Imports a user's bare Ultralytics YOLO detection ONNX (as `yolo export
 * format=onnx` writes it): class names and image size come from its
 * metadata_props, input/output signatures from onnxruntime; a manifest is
 * written for it and the model registry validates and installs the pair
 * like any other model. Models of another task or output layout are refused
 * with MODEL_SIGNATURE_MISMATCH / MODEL_INVALID and a clear reason.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelInfo } from '../../../common/contract';
import { IriscopeError } from '../../../common/errors';
import { fsError } from '../../fs/fs-errors';
import { sha256File, type ModelRegistry } from '../../models/model-registry';
import { checkYoloOutputShape, YOLO_FORMAT } from './models';
import { parseImgsz, parsePythonNames, readOnnxMetadata } from './onnx-metadata';

type Meta = { name: string; type?: string; shape?: Array<number | string> };

export function modelIdFor(file: string): string {
  const stem = path.basename(file, path.extname(file)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return (stem || 'yolo').slice(0, 56);
}

/** The manifest of an Ultralytics detection ONNX, from its metadata and session signature. */
export async function ultralyticsManifest(file: string): Promise<Record<string, unknown>> {
  const name = path.basename(file);
  const meta = await readOnnxMetadata(file);
  if (meta.task && meta.task !== 'detect') {
    throw new IriscopeError({
      code: 'MODEL_INVALID',
      message: `"${name}" is an Ultralytics ${meta.task} model; Iriscope runs detection models (task "detect").`,
      hint: 'Export a detection model (yolo export model=...pt format=onnx).',
    });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  } catch (error) {
    throw new IriscopeError({ code: 'MODEL_INVALID', message: `onnxruntime cannot load "${name}".`, detail: String((error as Error)?.message ?? error) });
  }
  let input: Meta;
  let output: Meta;
  try {
    const inputs = session.inputMetadata as unknown as Meta[];
    const outputs = session.outputMetadata as unknown as Meta[];
    if (inputs.length !== 1) throw new IriscopeError({ code: 'MODEL_SIGNATURE_MISMATCH', message: `"${name}" takes ${inputs.length} inputs; a YOLO detector takes one image.` });
    input = inputs[0];
    output = outputs[0];
  } finally {
    await session.release();
  }
  const names = meta.names ? parsePythonNames(meta.names) : [];
  const shape = input.shape ?? [];
  const imgsz = parseImgsz(meta.imgsz);
  const h = typeof shape[2] === 'number' ? shape[2] : imgsz?.[0];
  const w = typeof shape[3] === 'number' ? shape[3] : imgsz?.[1];
  const fail = (why: string, hint?: string) => new IriscopeError({
    code: 'MODEL_SIGNATURE_MISMATCH',
    message: `"${name}" does not look like an Ultralytics YOLO detector: ${why}.`,
    hint: hint ?? 'Export with Ultralytics YOLOv8/11: yolo export model=best.pt format=onnx (no nms, no end2end).',
  });
  if (shape.length !== 4 || shape[1] !== 3 || !h || !w) throw fail(`its input is [${shape.join(', ')}], not one [1, 3, H, W] image`);
  if (h !== w) throw fail(`its input is ${w} x ${h}; Iriscope scans square windows`, 'Export with a square image size (imgsz=640).');
  checkYoloOutputShape(output.shape ?? [], names.length, fail);
  const rows = output.shape?.[1];
  const nc = names.length || (typeof rows === 'number' ? rows - 4 : 0);
  const labels = names.length ? names : Array.from({ length: nc }, (_, i) => `class ${i}`);
  const { size } = await fs.stat(file);
  const dims = (s: Array<number | string> | undefined, fallback: Array<number | string>) => (s ?? fallback).map((d, i) => (typeof d === 'number' ? d : i === 0 ? 'N' : String(d) || `d${i}`));
  return {
    schemaVersion: 1,
    id: modelIdFor(file),
    name: meta.description ? `${meta.description}` : `${path.basename(file, '.onnx')} (Ultralytics YOLO)`,
    task: 'detection',
    version: meta.version || '1',
    description: `Ultralytics YOLO detector imported from ${name}: ${labels.length} classes, ${h} px input.`,
    license: meta.license || 'see the model\'s author',
    source: `imported from ${name}${meta.author ? ` (${meta.author})` : ''}${meta.date ? `, exported ${meta.date}` : ''}`,
    files: [{ path: name, sha256: await sha256File(file), bytes: size }],
    graphs: {
      detector: {
        file: name,
        inputs: [{ name: input.name, type: input.type ?? 'float32', shape: dims(shape, [1, 3, h, w]) }],
        outputs: [{ name: output.name, type: output.type ?? 'float32', shape: dims(output.shape, [1, 4 + nc, 'anchors']) }],
      },
    },
    labels,
    preprocessing: { format: YOLO_FORMAT, imgsz: h, color: 'RGB', layout: 'NCHW', range: [0, 1], letterbox: { pad: 114 }, stride: Number(meta.stride) || 32 },
    thresholds: { scoreMin: 0.25, nms: 0.45, scoreThreshold: 0.25, overlap: 0.2, mergeIos: 0 },
  };
}

/** Writes the manifest beside a copy of the file and lets the registry validate and install both. */
export async function importUltralyticsOnnx(file: string, registry: ModelRegistry): Promise<ModelInfo> {
  const source = path.resolve(file);
  await fs.stat(source).catch((error) => {
    throw fsError(error, source);
  });
  const manifest = await ultralyticsManifest(source);
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-import-'));
  try {
    await fs.copyFile(source, path.join(staging, path.basename(source)));
    await fs.writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return await registry.import(staging);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
