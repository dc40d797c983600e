// Reader for TensorFlow.js graph models (model.json + weight shards).
// Only the parts of the format the converter needs: topology, signature, weights.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeWeights, type WeightSpec, type DecodedWeight } from './weights.js';

/** TF AttrValue as serialised to JSON by the TFJS converter (int64s are strings). */
export interface TfAttrValue {
  s?: string; // base64
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[]; type?: string[] };
  func?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
  device?: string;
}

export interface TfSignatureEntry {
  name: string;
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[] };
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: { node: TfNode[]; library?: { function?: unknown[] }; versions?: unknown };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  signature?: { inputs?: Record<string, TfSignatureEntry>; outputs?: Record<string, TfSignatureEntry> };
  userDefinedMetadata?: { signature?: TfjsModelJson['signature'] };
}

export interface TfjsModel {
  /** Path of model.json, for error messages and provenance. */
  path: string;
  json: TfjsModelJson;
  /** Flattened weight specs in storage order (what tf.io expects). */
  weightSpecs: WeightSpec[];
  /** All shards concatenated in manifest order. */
  weightData: Uint8Array;
  /** Weights decoded to float32 / int32, keyed by Const node name. */
  weights: Map<string, DecodedWeight>;
}

export function readTfjsModel(modelJsonPath: string): TfjsModel {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as TfjsModelJson;
  if (json.format && json.format !== 'graph-model') {
    throw new Error(`${modelJsonPath}: format "${json.format}" is not a TensorFlow.js graph model (layers models are not supported)`);
  }
  if (!json.modelTopology?.node) throw new Error(`${modelJsonPath}: no modelTopology.node list`);
  if (json.modelTopology.library?.function?.length) {
    throw new Error(`${modelJsonPath}: graphs with control-flow functions (library.function) are not supported`);
  }
  const dir = dirname(modelJsonPath);
  const weightSpecs: WeightSpec[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(readFileSync(join(dir, p)));
  }
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const s of shards) {
    weightData.set(s, off);
    off += s.byteLength;
  }
  const weights = decodeWeights(weightSpecs, weightData, modelJsonPath);
  return { path: modelJsonPath, json, weightSpecs, weightData, weights };
}

export function signatureOf(json: TfjsModelJson): TfjsModelJson['signature'] {
  return json.signature ?? json.userDefinedMetadata?.signature;
}

/** "node:1" -> {node, index 1}; "^ctrl" -> null (control edges carry no data). */
export function parseInputRef(ref: string): { node: string; index: number } | null {
  if (ref.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(ref);
  if (m) return { node: m[1], index: Number(m[2]) };
  return { node: ref, index: 0 };
}

// ---- attribute accessors (TF AttrValue JSON) ----

export function attrString(node: TfNode, key: string, fallback?: string): string {
  const v = node.attr?.[key];
  if (v?.s === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node "${node.name}" (${node.op}): missing string attribute "${key}"`);
  }
  return Buffer.from(v.s, 'base64').toString('utf8');
}

export function attrStringList(node: TfNode, key: string): string[] {
  const v = node.attr?.[key]?.list?.s ?? [];
  return v.map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

export function attrInt(node: TfNode, key: string, fallback?: number): number {
  const v = node.attr?.[key];
  if (v?.i === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node "${node.name}" (${node.op}): missing int attribute "${key}"`);
  }
  return Number(v.i);
}

export function attrIntList(node: TfNode, key: string, fallback?: number[]): number[] {
  const v = node.attr?.[key]?.list?.i;
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node "${node.name}" (${node.op}): missing int-list attribute "${key}"`);
  }
  return v.map(Number);
}

export function attrFloat(node: TfNode, key: string, fallback?: number): number {
  const v = node.attr?.[key];
  if (v?.f === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node "${node.name}" (${node.op}): missing float attribute "${key}"`);
  }
  return Number(v.f);
}

export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  const v = node.attr?.[key];
  return v?.b === undefined ? fallback : Boolean(v.b);
}

export function attrType(node: TfNode, key: string, fallback?: string): string {
  const v = node.attr?.[key]?.type;
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node "${node.name}" (${node.op}): missing type attribute "${key}"`);
  }
  return v;
}

/** Dims of a TensorShape attr/signature entry; -1 = unknown. */
export function dimsOf(shape: { dim?: { size?: string | number }[] } | undefined): number[] | undefined {
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d) => Number(d.size ?? -1));
}
